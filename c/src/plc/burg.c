/* The PLC's Burg cepstral analysis: libopus 1.6.1 dnn/freq.c burg_cepstral_analysis and
 * compute_burg_cepstrum, with dnn/burg.c silk_burg_analysis, in integer arithmetic.
 * Formats and bounds (docs/fixed-point.md, "PLC"):
 *  - Burg input v = 20 x[i+1] - 17 x[i] (exactly 20 (x[i+1] - 0.85 x[i]), |v| < 2^20.3), block
 *    scaled by 2^sh so that max |v| is in [2^14, 2^15) (sh < 0 rounds, sh = 0 for silence).
 *  - Correlations exact in int64 (|C| < 79 2^30); prediction coefficients Af in Q28, int64;
 *    reflection coefficients and the inverse gain in Q30. The minimum inverse gain 1e-3 bounds
 *    prod(1 + |k|) <= 1705 (16 stages), so sum |Af| < 2^11 and every product below stays in int64
 *    or goes through mul_shr (exact 128-bit product, rounded).
 *  - Spectrum of the bandwidth-expanded LPC polynomial: the analysis' 320-point integer FFT of the
 *    coefficients block-scaled to int32, in Q28; 1 / (|A|^2 + 1.024e-4)
 *    (libopus' 1 / (|X|^2 + 1e-9) with its FFT's 1/320 folded in) in Q36, at most 2^49.6.
 *  - Band energies to log10 in Q24 (analysis' log2), the DCT in Q24, the cepstrum in Q16. */
#include <string.h>

#include "analysis/analysis.h"
#include "common/common.h"
#include "plc/plc.h"

#define ORDER 16
#define LEN 80 /* samples a half frame */
#define NB DREDFX_PLC_NB_BANDS
#define MIN_INV_GAIN_Q30 1073742       /* 1e-3 */
#define COND_Q40 10995116              /* FIND_LPC_COND_FAC 1e-5 */
#define EPS_Q56 7378697629484LL        /* 320^2 * 1e-9 = 1.024e-4 */
#define KBURG_Q54 1266637395LL         /* 0.45 / (320 * 400 * 50): .45 / 320, v = 20 x, len - 30 */
#define LOG_FLOOR_Q24 167772           /* 1e-2 */
#define LOG10_2_Q31 646457024LL

/* 0.995^(i + 1) in Q30 */
static const int32_t bwexp_q30[ORDER] = {1068373115, 1063031249, 1057716093, 1052427513, 1047165375, 1041929548,
                                         1036719900, 1031536301, 1026378619, 1021246726, 1016140493, 1011059790,
                                         1006004491, 1000974469, 995969596,  990989748};

static const int eband5ms[NB] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40};

static int bits64(uint64_t v) {
  return v ? 64 - __builtin_clzll(v) : 0;
}

/* round(|a b| / 2^s) (half up) for unsigned operands, s in [1, 126], saturated to 2^63 - 1: the
 * exact 128-bit product, with __int128 where the compiler has it, else from 32-bit halves (armv7);
 * both give the same integers. */
#if defined(__SIZEOF_INT128__)
static uint64_t umul_shr(uint64_t a, uint64_t b, int s) {
  const unsigned __int128 p = (unsigned __int128)a * b;
  const unsigned __int128 q = ((p >> (s - 1)) + 1) >> 1; /* (p + 2^(s-1)) >> s without overflow */
  return q > (unsigned __int128)INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)q;
}
#else
static void umul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
  const uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
  const uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
  *lo = (ll & 0xFFFFFFFFu) | (mid << 32);
  *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static uint64_t umul_shr(uint64_t a, uint64_t b, int s) {
  uint64_t hi, lo;
  umul128(a, b, &hi, &lo);
  /* + 2^(s-1) */
  if (s - 1 < 64) {
    const uint64_t r = (uint64_t)1 << (s - 1), l2 = lo + r;
    hi += l2 < lo;
    lo = l2;
  } else {
    hi += (uint64_t)1 << (s - 65);
  }
  uint64_t q;
  if (s < 64) {
    if (hi >> s) return (uint64_t)INT64_MAX; /* the quotient needs more than 64 bits */
    q = (lo >> s) | (hi << (64 - s));
  } else {
    q = hi >> (s - 64);
  }
  return q > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : q;
}
#endif

/* a b / 2^s rounded half away from zero (sign-magnitude), s in [1, 126], the magnitude saturated
 * to 2^63 - 1. With __int128 in signed form, the same integers: for p = a b < 0,
 * -floor((-p + 2^(s-1)) / 2^s) = floor((p + 2^(s-1) - 1) / 2^s). */
#if defined(__SIZEOF_INT128__)
static int64_t mul_shr(int64_t a, int64_t b, int s) {
  const __int128 p = (__int128)a * b;
  const __int128 q = (p + (((__int128)1 << (s - 1)) - (p < 0))) >> s;
  return q > INT64_MAX ? INT64_MAX : q < -INT64_MAX ? -INT64_MAX : (int64_t)q;
}
#else
static int64_t mul_shr(int64_t a, int64_t b, int s) {
  const uint64_t ua = a < 0 ? -(uint64_t)a : (uint64_t)a, ub = b < 0 ? -(uint64_t)b : (uint64_t)b;
  const int64_t m = (int64_t)umul_shr(ua, ub, s);
  return (a < 0) != (b < 0) ? -m : m;
}
#endif

/* silk_burg_analysis (one subframe of L samples, order ORDER, min inverse gain 1e-3): the
 * prediction coefficients Af (= -A) in Q28 and the residual energy in x's units (>= 0). */
static int64_t burg(int64_t *af_q28, const int32_t *x, int L, uint32_t *sat) {
  int64_t c_first[ORDER], c_last[ORDER], caf[ORDER + 1], cab[ORDER + 1];
  int64_t c0 = 0;
  int reached_max_gain = 0;
  int64_t inv_gain_q30 = (int64_t)1 << 30;
  for (int i = 0; i < L; i++) c0 += (int64_t)x[i] * x[i];
  for (int n = 1; n <= ORDER; n++) {
    int64_t s = 0;
    for (int i = 0; i < L - n; i++) s += (int64_t)x[i] * x[i + n];
    c_first[n - 1] = s;
  }
  memcpy(c_last, c_first, sizeof(c_first));
  memset(af_q28, 0, ORDER * sizeof(int64_t));
  /* CAf[0] = C0 (1 + 1e-5) + 1e-9: here one unit (2^-28 of the block-scaled energy) for the 1e-9 */
  caf[0] = cab[0] = c0 + mul_shr(c0, COND_Q40, 40) + 1;
  for (int n = 0; n < ORDER; n++) {
    int64_t tmp1 = x[n] * ((int64_t)1 << 28), tmp2 = x[L - n - 1] * ((int64_t)1 << 28);
    for (int k = 0; k < n; k++) {
      c_first[k] -= (int64_t)x[n] * x[n - k - 1];
      c_last[k] -= (int64_t)x[L - n - 1] * x[L - n + k];
      tmp1 += x[n - k - 1] * af_q28[k];
      tmp2 += x[L - n + k] * af_q28[k];
    }
    for (int k = 0; k <= n; k++) {
      caf[k] -= mul_shr(tmp1, x[n - k], 28);
      cab[k] -= mul_shr(tmp2, x[L - n + k - 1], 28);
    }
    tmp1 = c_first[n];
    tmp2 = c_last[n];
    for (int k = 0; k < n; k++) {
      tmp1 += mul_shr(c_last[n - k - 1], af_q28[k], 28);
      tmp2 += mul_shr(c_first[n - k - 1], af_q28[k], 28);
    }
    caf[n + 1] = tmp1;
    cab[n + 1] = tmp2;
    int64_t num = cab[n + 1], nrg_b = cab[0], nrg_f = caf[0];
    for (int k = 0; k < n; k++) {
      num += mul_shr(cab[n - k], af_q28[k], 28);
      nrg_b += mul_shr(cab[k + 1], af_q28[k], 28);
      nrg_f += mul_shr(caf[k + 1], af_q28[k], 28);
    }
    /* rc = -2 num / (nrg_f + nrg_b) in Q30: both scaled down to a 33-bit numerator at most */
    int64_t den = nrg_f + nrg_b;
    if (den < 1) den = 1;
    const uint64_t an = num < 0 ? -(uint64_t)num : (uint64_t)num;
    const int sh = DREDFX_MAX(0, DREDFX_MAX(bits64(2 * an), bits64((uint64_t)den)) - 32);
    const int64_t nn = (int64_t)((2 * an) >> sh), dd = DREDFX_MAX((int64_t)1, den >> sh);
    int64_t rc = (nn << 30) / dd;
    if (rc > ((int64_t)1 << 30) - 1) {
      rc = ((int64_t)1 << 30) - 1; /* |rc| < 1 in exact arithmetic: only rounding gets here */
      (*sat)++;
    }
    if (num > 0) rc = -rc;
    const int64_t tmp = mul_shr(inv_gain_q30, ((int64_t)1 << 30) - mul_shr(rc, rc, 30), 30);
    if (tmp <= MIN_INV_GAIN_Q30) {
      /* rc = sqrt(1 - min / invGain), with the sign of -num: the maximum gain exactly */
      const int64_t q = ((inv_gain_q30 - MIN_INV_GAIN_Q30) << 30) / inv_gain_q30;
      rc = dredfx_an_isqrt64((uint64_t)q << 30);
      if (num > 0) rc = -rc;
      inv_gain_q30 = MIN_INV_GAIN_Q30;
      reached_max_gain = 1;
    } else {
      inv_gain_q30 = tmp;
    }
    for (int k = 0; k < (n + 1) >> 1; k++) {
      const int64_t t1 = af_q28[k], t2 = af_q28[n - k - 1];
      af_q28[k] = t1 + mul_shr(rc, t2, 30);
      af_q28[n - k - 1] = t2 + mul_shr(rc, t1, 30);
    }
    af_q28[n] = DFX_PSHR64(rc, 2);
    if (reached_max_gain) break; /* the remaining coefficients stay 0 */
    for (int k = 0; k <= n + 1; k++) {
      const int64_t t = caf[k];
      caf[k] += mul_shr(rc, cab[n - k + 1], 30);
      cab[n - k + 1] += mul_shr(rc, t, 30);
    }
  }
  int64_t nrg;
  if (reached_max_gain) {
    for (int i = 0; i < ORDER; i++) c0 -= (int64_t)x[i] * x[i];
    nrg = mul_shr(c0, inv_gain_q30, 30);
  } else {
    int64_t sq_q28 = (int64_t)1 << 28;
    nrg = caf[0];
    for (int k = 0; k < ORDER; k++) {
      nrg += mul_shr(caf[k + 1], af_q28[k], 28);
      sq_q28 += mul_shr(af_q28[k], af_q28[k], 28);
    }
    nrg -= mul_shr(mul_shr(c0, COND_Q40, 40), sq_q28, 28);
  }
  return nrg < 0 ? 0 : nrg;
}

/* 2^(92 - 2s) / d for d > 0 (1 / (|A|^2 + 1.024e-4) in Q36, |A|^2 + eps = d 2^(2s - 56)). */
static int64_t recip_q36(uint64_t d, int s) {
  const int b = bits64(d);
  const int t = b - 32;
  const uint64_t dn = t >= 0 ? d >> t : d << -t; /* in [2^31, 2^32) (truncated: < 2^-31 relative) */
  const uint64_t q = ((uint64_t)1 << 63) / dn;  /* in (2^31, 2^32] */
  const int e = 29 - 2 * s - t;
  if (e >= 0) return e > 30 ? INT64_MAX : (int64_t)(q << e);
  return -e > 62 ? 0 : (int64_t)((q + ((uint64_t)1 << (-e - 1))) >> -e);
}

/* compute_burg_cepstrum on LEN samples: cepstrum[18] in Q24. */
static void burg_cepstrum_half(const int16_t *pcm, int32_t *cep_q24, uint32_t *sat) {
  int32_t v[LEN - 1], x[LEN - 1];
  int32_t peak = 0;
  for (int i = 0; i < LEN - 1; i++) {
    v[i] = 20 * (int32_t)pcm[i + 1] - 17 * (int32_t)pcm[i];
    peak = DREDFX_MAX(peak, v[i] < 0 ? -v[i] : v[i]);
  }
  /* block scaling: max |x| in [2^14, 2^15) */
  const int sh = peak == 0 ? 0 : 15 - bits64((uint64_t)peak);
  for (int i = 0; i < LEN - 1; i++) x[i] = sh >= 0 ? v[i] * (1 << sh) : DFX_PSHR32(v[i], -sh);
  int64_t af_q28[ORDER];
  const int64_t nrg = burg(af_q28, x, LEN - 1, sat);

  /* A(e^jw) = 1 + sum_i Af[i] 0.995^(i+1) e^(-jw(i+1)), w = 2 pi k / 320, in Q28 */
  int64_t a_q28[ORDER + 1];
  a_q28[0] = (int64_t)1 << 28;
  for (int i = 0; i < ORDER; i++) a_q28[i + 1] = mul_shr(af_q28[i], bwexp_q30[i], 30);
  /* The 320-point FFT of the coefficients block-scaled to int32 (sum |a| in [2^29, 2^30), sa in
   * [-1, 9]): no stage of the analysis' integer FFT exceeds sum |a| < 2^30, each rounds its
   * twiddle products (<= 0.5 LSB of 2^-29 sum |a| each); then back to Q28. */
  uint64_t asum = 0;
  for (int i = 0; i <= ORDER; i++) asum += (uint64_t)(a_q28[i] < 0 ? -a_q28[i] : a_q28[i]);
  const int sa = bits64(asum) - 30;
  int32_t fre[2 * DREDFX_ANALYSIS_FRAME], fim[2 * DREDFX_ANALYSIS_FRAME];
  for (int i = 0; i <= ORDER; i++) fre[i] = (int32_t)(sa > 0 ? DFX_PSHR64(a_q28[i], sa) : a_q28[i] * (1 << -sa));
  dredfx_an_fft320_short(fre, fim, ORDER + 1);
  int64_t inv_q36[DREDFX_ANALYSIS_FRAME];
  for (int k = 0; k < DREDFX_ANALYSIS_FRAME; k++) {
    const int64_t re = sa >= 0 ? (int64_t)fre[k] * ((int64_t)1 << sa) : DFX_PSHR64(fre[k], 1); /* Q28 */
    const int64_t im = sa >= 0 ? (int64_t)fim[k] * ((int64_t)1 << sa) : DFX_PSHR64(fim[k], 1);
    const uint64_t ar = re < 0 ? -(uint64_t)re : (uint64_t)re, ai = im < 0 ? -(uint64_t)im : (uint64_t)im;
    const int s = DREDFX_MAX(0, bits64(ar > ai ? ar : ai) - 31);
    const uint64_t r = s ? (ar + ((uint64_t)1 << (s - 1))) >> s : ar, m = s ? (ai + ((uint64_t)1 << (s - 1))) >> s : ai;
    const uint64_t p = r * r + m * m; /* |A|^2 in Q(56 - 2s), < 2^63 */
    inv_q36[k] = recip_q36(p + (2 * s < 63 ? (uint64_t)EPS_Q56 >> (2 * s) : 0), s);
  }
  /* compute_band_energy_inverse: triangular weights (1 - j / size) and j / size, exact sums */
  uint64_t lo[NB] = {0}, hi[NB] = {0};
  int size[NB];
  for (int i = 0; i < NB - 1; i++) {
    size[i] = (eband5ms[i + 1] - eband5ms[i]) * 4;
    for (int j = 0; j < size[i]; j++) {
      const uint64_t t = (uint64_t)inv_q36[eband5ms[i] * 4 + j];
      lo[i] += t * (uint64_t)(size[i] - j);
      hi[i + 1] += t * (uint64_t)j;
    }
  }
  /* E = 0.45 g / 320 sum, g = nrg / (400 4^sh 50): E_q24 = K nrg sum 2^(-2 sh - 12), K in Q54 */
  int32_t ly_q24[NB];
  int32_t log_max = -(2 << 24), follow = -(2 << 24);
  const int en = DREDFX_MAX(0, bits64((uint64_t)nrg) - 31);
  const uint64_t mn = (uint64_t)nrg >> en;
  for (int i = 0; i < NB; i++) {
    uint64_t sum = (i < NB - 1 ? (lo[i] + size[i] / 2) / size[i] : 0) + (i > 0 ? (hi[i] + size[i - 1] / 2) / size[i - 1] : 0);
    if (i == 0 || i == NB - 1) sum *= 2;
    const int es = DREDFX_MAX(0, bits64(sum) - 31);
    const uint64_t ms = sum >> es;
    const int shift = 66 - en - es + 2 * sh;
    uint64_t e_q24;
    if (mn == 0 || ms == 0)
      e_q24 = 0;
    else if (shift < 1)
      e_q24 = (uint64_t)1 << 62;
    else
      e_q24 = shift > 126 ? 0 : umul_shr(mn * ms, KBURG_Q54, shift);
    if (e_q24 > ((uint64_t)1 << 62)) e_q24 = (uint64_t)1 << 62;
    int32_t l = (int32_t)DFX_PSHR64(dredfx_an_log2_q24(e_q24 + LOG_FLOOR_Q24, 24) * LOG10_2_Q31, 31);
    l = DREDFX_MAX(log_max - (8 << 24), DREDFX_MAX(follow - (5 << 23), l));
    log_max = DREDFX_MAX(log_max, l);
    follow = DREDFX_MAX(follow - (5 << 23), l);
    ly_q24[i] = l;
  }
  for (int i = 0; i < NB; i++) {
    int64_t s = 0;
    for (int j = 0; j < NB; j++) s += (int64_t)ly_q24[j] * dredfx_an_dct_q30[j * NB + i];
    cep_q24[i] = (int32_t)DFX_PSHR64(s, 30);
  }
  cep_q24[0] -= 4 << 24;
}

void dredfx_plc_burg_cepstrum(const int16_t *x, int32_t *ceps_q16, uint32_t *sat) {
  int32_t c0[NB], c1[NB];
  burg_cepstrum_half(x, c0, sat);
  burg_cepstrum_half(&x[DREDFX_ANALYSIS_FRAME / 2], c1, sat);
  for (int i = 0; i < NB; i++) {
    ceps_q16[i] = (int32_t)DFX_PSHR64((int64_t)c0[i] + c1[i], 9);
    ceps_q16[NB + i] = (int32_t)DFX_PSHR64((int64_t)c0[i] - c1[i], 8);
  }
}
