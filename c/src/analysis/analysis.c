/* Feature analysis (libopus 1.6.1 dnn/lpcnet_enc.c compute_frame_features, dnn/freq.c), integer only.
 * Formats and bounds: docs/fixed-point.md section 8. */
#include <string.h>

#include "analysis/analysis.h"
#include "common/common.h"
#include "common/cpu.h"

#define N 160
#define WIN 320
#define NB DREDFX_ANALYSIS_NB_BANDS
#define ORDER DREDFX_ANALYSIS_LPC_ORDER
#define PMAX DREDFX_ANALYSIS_PITCH_MAX
#define XC DREDFX_ANALYSIS_NB_XCORR
#define IFB DREDFX_ANALYSIS_IF_BINS
#define RES_MAX ((1 << 26) - 1)
#define IN_MAX ((1 << 24) - 1) /* input clamp, Q8: |x| < 2^16 real */
#define FFT_MAX_SHIFT 8 /* 2 fs <= 18 keeps the Q40 floor constant a right shift */

/* Band edges in 5 ms bins (times 4 for the 320-point FFT), libopus eband5ms. */
static const uint8_t eband5ms[NB] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40};
/* libopus' compensation, in Q15. */
static const int32_t comp_q15[NB] = {26214, 32768, 32768, 32768, 32768, 32768, 32768, 32768, 21845,
                                     16384, 16384, 16384, 10923, 8192, 8192, 6554, 5461, 5699};
/* Lag window 1 - 6e-5 k^2 in Q30. */
static const int32_t lag_q30[ORDER + 1] = {
  1073741824, 1073677399, 1073484126, 1073162003, 1072711032, 1072131211, 1071422542, 1070585023,
  1069618655, 1068523439, 1067299373, 1065946458, 1064464695, 1062854082, 1061114620, 1059246309,
  1057249150};

/* celt_log2 constants of libopus 1.6.1 (mathops.h, float32 values): 1/(1 + k/8) in Q31,
 * log2(1 + k/8) in Q30, the quartic's A0..A4 in Q30. */
const int64_t dredfx_an_log2_c_q31[8] = {2147483648LL, 1908874368, 1717986918, 1561806336,
                                         1431655808, 1321528448, 1227133568, 1145324672};
const int32_t dredfx_an_log2_l_q30[8] = {0, 182455584, 345667648, 493310944,
                                         628098688, 752091392, 866890752, 973766336};
const int32_t dredfx_an_log2_a_q30[5] = {93912512, 1457958400, -686096384, 431613344, -305108512};

#define LOG10_2_Q31 646457024LL   /* float32 0.3010299957 */
#define LOG2_10_Q28 891723283LL
#define LOG2_E_Q30 1549082005LL

static int bits64(uint64_t v) {
  return v ? 64 - __builtin_clzll(v) : 0;
}

static int64_t abs64(int64_t v) {
  return v < 0 ? -v : v;
}

int32_t dredfx_an_log2_q24(uint64_t v, int q) {
  int e, k;
  const uint32_t m = dredfx_an_log2_norm(v, &e, &k);
  const int64_t t = dredfx_an_log2_t(m, k);
  int64_t p = dredfx_an_log2_a_q30[4];
  for (int i = 3; i >= 0; i--) p = dredfx_an_log2_a_q30[i] + DFX_PSHR64(p * t, 30);
  return dredfx_an_log2_finish(e - q, p, k);
}

void dredfx_an_log2_q24_n_c(const uint64_t *v, int n, int q, int32_t *out) {
  for (int i = 0; i < n; i++) out[i] = dredfx_an_log2_q24(v[i], q);
}

uint32_t dredfx_an_isqrt64(uint64_t v) {
  if (v < 2) return (uint32_t)v;
  /* Newton: a step y = floor((x + floor(v / x)) / 2) from any x > 0 is >= floor(sqrt(v)) (AM-GM).
   * The start: t = v >> s (s even, t < 1024, t >= 256 once s > 0), x0 = ceil(64 sqrt(t + 1))
   * 2^(s/2) / 64 is within 0.3 % above sqrt(v), and two steps take that to below 1e-11 (0.04 at
   * 2^32), so x is floor(sqrt(v)) or one more: one conditional decrement ends it (for v < 1024,
   * where the start is coarser, test_analysis checks every v; v < 2^24 and 5e7 random v measured).
   * x <= 2^32 and v / x < 2^33: no sum overflows; x is capped at 2^32 - 1 (>= floor(sqrt(v)) for
   * every uint64) so that x * x cannot. */
  const int b = bits64(v), s = b > 10 ? (b - 9) & ~1 : 0;
  uint64_t x = ((uint64_t)dredfx_an_isqrt_start_q6[v >> s] << (s / 2)) >> 6;
  x = (x + v / x) >> 1;
  x = (x + v / x) >> 1;
  if (x > UINT32_MAX) x = UINT32_MAX;
  return (uint32_t)(x - (x * x > v)); /* no branch: taken about half the time */
}

/* v / bs (C division) for a band width bs: the widths of eband5ms (4, 8, 16, 24) as constants, so
 * the compiler divides by multiplying. */
static int64_t div_band(int64_t v, int bs) {
  switch (bs) {
    case 4: return v / 4;
    case 8: return v / 8;
    case 16: return v / 16;
    case 24: return v / 24;
    default: return v / bs;
  }
}

/* ---------------------------------------------------------------- FFT */

typedef struct {
  int32_t r, i;
} cpx;

/* a * exp(-2 pi i n / 320), rounded. */
static cpx twiddle(cpx a, int n) {
  int64_t c = dredfx_an_cos_q30[n], s = dredfx_an_sin_q30[n];
  cpx o;
  o.r = (int32_t)DFX_PSHR64((int64_t)a.r * c + (int64_t)a.i * s, 30);
  o.i = (int32_t)DFX_PSHR64((int64_t)a.i * c - (int64_t)a.r * s, 30);
  return o;
}

/* One radix-4 butterfly of kiss FFT at k, the twiddles exp(-2 pi i j k fstride / 320); at k = 0
 * they are exp(0), which twiddle() returns unchanged (2^30 a / 2^30): no product. */
static void bfly4_k(cpx *f0, int m, int k, int fstride) {
  cpx s0 = f0[m], s1 = f0[2 * m], s2 = f0[3 * m], s3, s4, s5;
  if (k) {
    s0 = twiddle(s0, k * fstride);
    s1 = twiddle(s1, 2 * k * fstride);
    s2 = twiddle(s2, 3 * k * fstride);
  }
  s5.r = f0->r - s1.r; s5.i = f0->i - s1.i;
  f0->r += s1.r; f0->i += s1.i;
  s3.r = s0.r + s2.r; s3.i = s0.i + s2.i;
  s4.r = s0.r - s2.r; s4.i = s0.i - s2.i;
  f0[2 * m].r = f0->r - s3.r; f0[2 * m].i = f0->i - s3.i;
  f0->r += s3.r; f0->i += s3.i;
  f0[m].r = s5.r + s4.i; f0[m].i = s5.i - s4.r;
  f0[3 * m].r = s5.r - s4.i; f0[3 * m].i = s5.i + s4.r;
}

static void bfly4(cpx *f, int fstride, int m) {
  for (int k = 0; k < m; k++) bfly4_k(f + k, m, k, fstride);
}

/* kiss FFT's radix-5 butterfly at m = 1 (the leaves, stride 64): its one twiddle index is 0. */
static void bfly5_leaf(cpx *f0) {
  const int64_t yar = dredfx_an_cos_q30[64], yai = -(int64_t)dredfx_an_sin_q30[64];
  const int64_t ybr = dredfx_an_cos_q30[128], ybi = -(int64_t)dredfx_an_sin_q30[128];
  cpx s0 = f0[0], s1 = f0[1], s2 = f0[2], s3 = f0[3], s4 = f0[4];
  int64_t s7r = (int64_t)s1.r + s4.r, s7i = (int64_t)s1.i + s4.i;
  int64_t s10r = (int64_t)s1.r - s4.r, s10i = (int64_t)s1.i - s4.i;
  int64_t s8r = (int64_t)s2.r + s3.r, s8i = (int64_t)s2.i + s3.i;
  int64_t s9r = (int64_t)s2.r - s3.r, s9i = (int64_t)s2.i - s3.i;
  int64_t s5r = s0.r + DFX_PSHR64(s7r * yar + s8r * ybr, 30), s5i = s0.i + DFX_PSHR64(s7i * yar + s8i * ybr, 30);
  int64_t s6r = DFX_PSHR64(s10i * yai + s9i * ybi, 30), s6i = -DFX_PSHR64(s10r * yai + s9r * ybi, 30);
  int64_t s11r = s0.r + DFX_PSHR64(s7r * ybr + s8r * yar, 30), s11i = s0.i + DFX_PSHR64(s7i * ybr + s8i * yar, 30);
  int64_t s12r = DFX_PSHR64(s9i * yai - s10i * ybi, 30), s12i = DFX_PSHR64(s10r * ybi - s9r * yai, 30);
  f0[0].r = (int32_t)(s0.r + s7r + s8r); f0[0].i = (int32_t)(s0.i + s7i + s8i);
  f0[1].r = (int32_t)(s5r - s6r); f0[1].i = (int32_t)(s5i - s6i);
  f0[4].r = (int32_t)(s5r + s6r); f0[4].i = (int32_t)(s5i + s6i);
  f0[2].r = (int32_t)(s11r + s12r); f0[2].i = (int32_t)(s11i + s12i);
  f0[3].r = (int32_t)(s11r - s12r); f0[3].i = (int32_t)(s11i - s12i);
}

/* bfly5_leaf for a real input (every s.i zero): the products of zero are zero, so the outputs are
 * bfly5_leaf's integers with those terms left out. */
static void bfly5_leaf_real(cpx *f0) {
  const int64_t yar = dredfx_an_cos_q30[64], yai = -(int64_t)dredfx_an_sin_q30[64];
  const int64_t ybr = dredfx_an_cos_q30[128], ybi = -(int64_t)dredfx_an_sin_q30[128];
  const int64_t s0r = f0[0].r;
  const int64_t s7r = (int64_t)f0[1].r + f0[4].r, s10r = (int64_t)f0[1].r - f0[4].r;
  const int64_t s8r = (int64_t)f0[2].r + f0[3].r, s9r = (int64_t)f0[2].r - f0[3].r;
  const int64_t s5r = s0r + DFX_PSHR64(s7r * yar + s8r * ybr, 30), s6i = -DFX_PSHR64(s10r * yai + s9r * ybi, 30);
  const int64_t s11r = s0r + DFX_PSHR64(s7r * ybr + s8r * yar, 30), s12i = DFX_PSHR64(s10r * ybi - s9r * yai, 30);
  f0[0].r = (int32_t)(s0r + s7r + s8r); f0[0].i = 0;
  f0[1].r = (int32_t)s5r; f0[1].i = (int32_t)-s6i;
  f0[4].r = (int32_t)s5r; f0[4].i = (int32_t)s6i;
  f0[2].r = (int32_t)s11r; f0[2].i = (int32_t)s12i;
  f0[3].r = (int32_t)s11r; f0[3].i = (int32_t)-s12i;
}

/* kiss FFT's recursion over the factors {4, 80, 4, 20, 4, 5, 5, 1}, stage by stage (a butterfly
 * group reads only its own sub-transforms, so the order is free; same integers): leaf c
 * (c = q + 4 q2 + 16 q3, each < 4) takes in[c + 64 q4], q4 < 5, into out[20 (4 q + q2) + 5 q3 + q4]
 * and goes through the radix-5 butterfly; then radix 4 with m = 5 (16 groups of 20), and the last
 * two stages, m = 20 and m = 80 (the tail). */
static cpx *leaf(cpx *out, int c) {
  return out + 20 * (4 * (c & 3) + ((c >> 2) & 3)) + 5 * (c >> 4);
}

void dredfx_an_fft_tail_c(int32_t *f) {
  cpx *out = (cpx *)f;
  for (int q = 0; q < 4; q++) bfly4(out + 80 * q, 4, 20);
  bfly4(out, 1, 80);
}

void dredfx_an_fft_mid_bfly(int32_t *f, int k) {
  bfly4_k((cpx *)f + k, 5, k, 16);
}

void dredfx_an_fft_mid_c(int32_t *f) {
  for (int g = 0; g < 16; g++) bfly4((cpx *)f + 20 * g, 16, 5);
}

static void fft_tail(cpx *out) {
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_level() >= 1) {
    dredfx_an_fft_tail_avx2((int32_t *)out);
    return;
  }
#endif
  dredfx_an_fft_tail_c((int32_t *)out);
}

/* The stages after the leaves, out to (re, im). */
static void fft_stages(cpx *out, int32_t *re, int32_t *im) {
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_level() >= 1)
    dredfx_an_fft_mid_avx2((int32_t *)out);
  else
#endif
    dredfx_an_fft_mid_c((int32_t *)out);
  fft_tail(out);
  for (int i = 0; i < WIN; i++) {
    re[i] = out[i].r;
    im[i] = out[i].i;
  }
}

void dredfx_an_fft320(int32_t *re, int32_t *im) {
  cpx out[WIN];
  for (int c = 0; c < 64; c++) {
    cpx *l = leaf(out, c);
    for (int q4 = 0; q4 < 5; q4++) {
      l[q4].r = re[c + 64 * q4];
      l[q4].i = im[c + 64 * q4];
    }
    bfly5_leaf(l);
  }
  fft_stages(out, re, im);
}

void dredfx_an_fft_leaves_real_c(const int32_t *re, int32_t *f) {
  for (int c = 0; c < 64; c++) {
    cpx *l = leaf((cpx *)f, c);
    for (int q4 = 0; q4 < 5; q4++) l[q4].r = re[c + 64 * q4];
    bfly5_leaf_real(l);
  }
}

void dredfx_an_fft320_real(int32_t *re, int32_t *im) {
  cpx out[WIN];
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_level() >= 1)
    dredfx_an_fft_leaves_real_avx2(re, (int32_t *)out);
  else
#endif
    dredfx_an_fft_leaves_real_c(re, (int32_t *)out);
  fft_stages(out, re, im);
}

/* Zero inputs stay exactly zero through a butterfly (every product is 0): with re[n..319] and im
 * zero, leaf c < 64 holds (re[c], 0) alone and its five outputs are that value; a radix-4 group of
 * the m = 5 stage whose leaves q3 = 1..3 are zero (c0 + 16 >= n) outputs its leaf 0's value 20
 * times. Only the other groups need their butterflies. */
void dredfx_an_fft320_short(int32_t *re, int32_t *im, int n) {
  cpx out[WIN];
  for (int g = 0; g < 16; g++) {
    const int c0 = (g >> 2) + 4 * (g & 3); /* group g = 4 q + q2 holds the leaves c0 + 16 q3 */
    cpx *o = out + 20 * g;
    for (int q3 = 0; q3 < 4; q3++) {
      const int c = c0 + 16 * q3;
      const cpx v = {c < n ? re[c] : 0, 0};
      for (int q4 = 0; q4 < 5; q4++) o[5 * q3 + q4] = v;
    }
    if (c0 + 16 < n) bfly4(o, 16, 5);
    else
      for (int j = 5; j < 20; j++) o[j] = o[0];
  }
  fft_tail(out);
  for (int i = 0; i < WIN; i++) {
    re[i] = out[i].r;
    im[i] = out[i].i;
  }
}

/* ---------------------------------------------------------------- LPC from the cepstrum */

/* The IF phasors still to compute: bins next..29 of the frame's spectrum (re, im in Q(14 + fs)),
 * into if_a15. */
typedef struct {
  const int32_t *re, *im;
  int fs;
  int16_t *if_a15;
  int next;
} if_work;

/* IF phasors of bins w->next .. end - 1: p = X_k conj(X_k prev) in Q(28 + fs + prev fs), the phasor
 * p / sqrt(1e-15 + |p|^2) with libopus' 1e-15 (real units): it takes the phasor of a nearly empty
 * bin to 0 (quiet or tonal input) where a unit phasor would be the phase of rounding noise */
static void if_phasors(const dredfx_analysis *st, if_work *w, int end) {
  const int32_t *re = w->re, *im = w->im;
  for (int i = w->next; i < end; i++) {
    int64_t pr = (int64_t)re[i] * st->prev_if_re[i] + (int64_t)im[i] * st->prev_if_im[i];
    int64_t pi = (int64_t)im[i] * st->prev_if_re[i] - (int64_t)re[i] * st->prev_if_im[i];
    int s = DREDFX_MAX(0, DREDFX_MAX(bits64((uint64_t)abs64(pr)), bits64((uint64_t)abs64(pi))) - 30);
    int64_t sr = s ? DFX_PSHR64(pr, s) : pr, si = s ? DFX_PSHR64(pi, s) : pi;
    /* 1e-15 in Q(2 q), q = 28 + fs + prev fs - s <= 44: 1e-15 in Q88 (309485009821 < 2^39)
     * shifted down; below Q48 it rounds to 0 */
    int q2 = 2 * (28 + w->fs + st->prev_if_fs - s);
    uint64_t eps = q2 == 88 ? 309485009821LL : q2 >= 48 ? (uint64_t)DFX_PSHR64(309485009821LL, 88 - q2) : 0;
    uint32_t nrm = dredfx_an_isqrt64((uint64_t)(sr * sr + si * si) + eps);
    int64_t cr = nrm ? sr * 32768 / nrm : 0, ci = nrm ? si * 32768 / nrm : 0;
    w->if_a15[3 * i - 2] = (int16_t)DREDFX_MAX(-32768, DREDFX_MIN(32767, cr));
    w->if_a15[3 * i - 1] = (int16_t)DREDFX_MAX(-32768, DREDFX_MIN(32767, ci));
  }
  w->next = DREDFX_MAX(w->next, end);
}

/* libopus lpc_from_cepstrum -> lpc_from_bands -> lpcn_lpc: LPC in Q24 from the band log energies
 * (the idct of the cepstrum with c0 + 4), Q24. */
static void lpc_from_log_bands(dredfx_analysis *st, const int32_t *ex_log_q24, int32_t *lpc_q24, if_work *ifw) {
  int64_t mc[NB];
  int e[NB], emax = -1000;
  for (int i = 0; i < NB; i++) {
    /* 10^x = 2^(x log2 10): integer part to the exponent, the fraction through exp2 (Q16). */
    int64_t y = DFX_PSHR64((int64_t)ex_log_q24[i] * LOG2_10_Q28, 36);
    e[i] = (int)(y >> 16);
    mc[i] = (int64_t)dredfx_nn_exp2_q16((int32_t)(y & 0xffff)) * comp_q15[i];
    emax = DREDFX_MAX(emax, e[i]);
  }
  /* Block floating point: G_i <= 2^24, real value G 2^(emax - 23). */
  int64_t g_band[NB];
  for (int i = 0; i < NB; i++) {
    int sh = 8 + emax - e[i];
    g_band[i] = sh > 62 ? 0 : DFX_PSHR64(mc[i], sh);
  }
  int32_t g[N];
  for (int i = 0; i < NB - 1; i++) {
    int b0 = eband5ms[i] * 4, bs = (eband5ms[i + 1] - eband5ms[i]) * 4;
    for (int j = 0; j < bs; j++)
      g[b0 + j] = (int32_t)div_band(((bs - j) * g_band[i] + j * g_band[i + 1] + bs / 2), bs);
  }
  /* ac_l = g_0 + 2 sum_k g_k cos(2 pi k l / 320): libopus' inverse FFT of the real even spectrum
   * (bin 160 is zero). Unit 2^(emax - 53). */
  int64_t ac[ORDER + 1];
  st->autocorr(g, &st->ac_cosf_q30[0][0], ac);
  for (int l = 0; l <= ORDER; l++) ac[l] = 2 * ac[l] + ((int64_t)g[0] << 30);
  int unit = emax - 53;
  if (unit < -40) {
    for (int l = 0; l <= ORDER; l++) ac[l] = DFX_PSHR64(ac[l], -40 - unit);
    unit = -40;
  }
  /* -40 dB floor: ac0 += 1e-4 ac0 + 26/38 (libopus' 320/12/38. with the integer 320/12). */
  int64_t noise = unit + 40 > 62 ? 0 : unit + 40 > 0 ? DFX_PSHR64(752297429531LL, unit + 40) : 752297429531LL;
  ac[0] += (ac[0] + 5000) / 10000 + noise;
  memset(lpc_q24, 0, ORDER * sizeof(int32_t));
  if (ac[0] <= 0) return;
  /* Normalise r_0 into [2^29, 2^30), then the lag window. */
  int32_t r[ORDER + 1];
  int sh = bits64((uint64_t)ac[0]) - 30;
  for (int l = 0; l <= ORDER; l++) {
    int64_t v = sh > 0 ? DFX_PSHR64(ac[l], sh) : ac[l] * ((int64_t)1 << -sh);
    r[l] = (int32_t)(l ? DFX_PSHR64(v * lag_q30[l], 30) : v);
  }
  /* Levinson-Durbin, libopus lpcn_lpc, with its early exit at 30 dB prediction gain. */
  int64_t err = r[0], stop = r[0] / 1000;
  for (int i = 0; i < ORDER; i++) {
    if_phasors(st, ifw, DREDFX_MIN(IFB, ifw->next + 2)); /* independent work beside the chain */
    int64_t rr = r[i + 1];
    for (int j = 0; j < i; j++) rr += DFX_PSHR64((int64_t)lpc_q24[j] * r[i - j], 24);
    /* |rr| < err for a positive-definite r; the clamp keeps rounding residue from overflowing */
    rr = rr > ((int64_t)1 << 32) ? (int64_t)1 << 32 : rr < -((int64_t)1 << 32) ? -((int64_t)1 << 32) : rr;
    int64_t k = -(rr * (1 << 30)) / err;
    if (k > (1 << 30) - 1) k = (1 << 30) - 1;
    if (k < -(1 << 30) + 1) k = -(1 << 30) + 1;
    lpc_q24[i] = (int32_t)DFX_PSHR64(k, 6);
    for (int j = 0; j < (i + 1) >> 1; j++) {
      int64_t t1 = lpc_q24[j], t2 = lpc_q24[i - 1 - j];
      int64_t a = t1 + DFX_PSHR64(k * t2, 30), b = t2 + DFX_PSHR64(k * t1, 30);
      if (a > INT32_MAX || a < INT32_MIN || b > INT32_MAX || b < INT32_MIN) st->sat_lpc++;
      lpc_q24[j] = DFX_SAT32(a);
      lpc_q24[i - 1 - j] = DFX_SAT32(b);
    }
    err -= DFX_PSHR64(DFX_PSHR64(k * k, 30) * err, 30);
    if (err < stop || err <= 0) break;
  }
}

/* ---------------------------------------------------------------- one frame */

void dredfx_an_xcorr_c(const int32_t *x, const int32_t *y, int64_t *xc) {
  for (int i = 0; i < XC; i++) {
    int64_t s = 0;
    for (int n = 0; n < N; n++) s += (int64_t)x[n] * y[i + n];
    xc[i] = s;
  }
}

void dredfx_an_autocorr_c(const int32_t *g, const int32_t *cosf_q30, int64_t *s) {
  for (int l = 0; l <= ORDER; l++) {
    const int32_t *c = cosf_q30 + l * DREDFX_AN_AC_FOLD;
    int64_t acc = (int64_t)g[DREDFX_AN_AC_FOLD] * c[0];
    for (int k = 1; k < DREDFX_AN_AC_FOLD; k++)
      acc += (int64_t)(l & 1 ? g[k] - g[N - k] : g[k] + g[N - k]) * c[k];
    s[l] = acc;
  }
}

void dredfx_an_autocorr_fold_table(int32_t cosf_q30[ORDER + 1][DREDFX_AN_AC_FOLD]) {
  for (int l = 0; l <= ORDER; l++) {
    cosf_q30[l][0] = dredfx_an_cos_q30[(DREDFX_AN_AC_FOLD * l) % WIN];
    for (int k = 1; k < DREDFX_AN_AC_FOLD; k++) cosf_q30[l][k] = dredfx_an_cos_q30[(k * l) % WIN];
  }
}

void dredfx_an_window_c(const int32_t *x, const int32_t *w, int n, int sh, int32_t *out) {
  for (int i = 0; i < n; i++) out[i] = (int32_t)DFX_PSHR64((int64_t)x[i] * w[i], sh);
}

void dredfx_an_mac64_c(const int32_t *c, int m, const int32_t *x, ptrdiff_t stride, int n, int64_t *y) {
  for (int i = 0; i < n; i++) {
    int64_t s = 0;
    for (int j = 0; j < m; j++) s += (int64_t)c[j] * x[j * stride + i];
    y[i] = s;
  }
}

/* 2 xc / (1 + e0 + e1) in Q14; |result| <= 1 since 2|xc| <= e0 + e1 (energies Q8, 1 = 256). */
static int16_t xcorr_feature(int64_t xc, int64_t den) {
  int s = DREDFX_MAX(0, bits64((uint64_t)den) - 47);
  int64_t num = s ? DFX_PSHR64(2 * xc, s) : 2 * xc;
  int64_t d = s ? DFX_PSHR64(den, s) : den;
  int64_t q = num * 16384 / d;
  return (int16_t)(q > 16384 ? 16384 : q < -16384 ? -16384 : q);
}

/* clamp((10 log10(1e-15 + e) - 6) / 64, -1, 1) in a15, e = |X|^2 in Q q. */
static int16_t if_log_feature(uint64_t e, int32_t log10_e) {
  if (e == 0) return -32768;
  int64_t v = DFX_PSHR64(10 * (int64_t)log10_e - (6 << 24), 15); /* Q24 / 64 -> Q15 */
  return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* log10_q24 of n values at once (each > 0), through the CPU level's array log2 */
static void log10_q24_n(const dredfx_analysis *st, const uint64_t *v, int n, int q, int32_t *out) {
  st->log2n(v, n, q, out);
  for (int i = 0; i < n; i++) out[i] = (int32_t)DFX_PSHR64(out[i] * LOG10_2_Q31, 31);
}

void dredfx_analysis_frame(dredfx_analysis *st, const int32_t *x_q8, int32_t *features_q16) {
  int32_t y[N], aligned[N];
  /* pre-emphasis y = x - 0.85 x[-1] in Q8 (0.85 in Q20); the pitch path takes it rounded to Q4 */
  for (int i = 0; i < N; i++) {
    y[i] = x_q8[i] - (int32_t)DFX_PSHR64((int64_t)891290 * st->preemph_prev_q8, 20);
    st->preemph_prev_q8 = x_q8[i];
  }
  for (int i = 0; i < 80; i++) {
    aligned[i] = DFX_PSHR32(st->analysis_mem_q8[N - 80 + i], 4);
    aligned[80 + i] = DFX_PSHR32(y[i], 4);
  }
  /* window [previous 160 | current 160] (the 1/320 of libopus' FFT is in the table), FFT.
   * Block scaling: quiet frames are shifted up by fs bits (|y| 2^fs < 2^25 in Q8 keeps the FFT
   * bound of docs/fixed-point.md 8.1), so the spectrum is in Q(14 + fs). */
  int32_t re[WIN], im[WIN];
  int32_t peak = 0;
  for (int i = 0; i < N; i++) {
    peak = DREDFX_MAX(peak, st->analysis_mem_q8[i] < 0 ? -st->analysis_mem_q8[i] : st->analysis_mem_q8[i]);
    peak = DREDFX_MAX(peak, y[i] < 0 ? -y[i] : y[i]);
  }
  int fs = DREDFX_MAX(0, DREDFX_MIN(FFT_MAX_SHIFT, 25 - bits64((uint64_t)peak)));
  st->window(st->analysis_mem_q8, st->win_q30, N, 24 - fs, re);
  st->window(y, &st->win_q30[N], N, 24 - fs, &re[N]);
  memcpy(st->analysis_mem_q8, y, sizeof(y));
  dredfx_an_fft320_real(re, im);

  /* IF features: log energies of bins 0..29 and phasors of bins 1..29 (if_phasors) */
  int16_t if_a15[DREDFX_ANALYSIS_NB_IF];
  /* the log energies of bins 0..29, all at once (an empty bin's log is not used: taken of 1) */
  uint64_t if_e[IFB], if_v[IFB];
  int32_t if_l[IFB];
  if_e[0] = (uint64_t)((int64_t)re[0] * re[0]);
  for (int i = 1; i < IFB; i++) if_e[i] = (uint64_t)((int64_t)re[i] * re[i] + (int64_t)im[i] * im[i]);
  for (int i = 0; i < IFB; i++) if_v[i] = if_e[i] ? if_e[i] : 1;
  log10_q24_n(st, if_v, IFB, 28 + 2 * fs, if_l);
  for (int i = 0; i < IFB; i++) if_a15[i ? 3 * i : 0] = if_log_feature(if_e[i], if_l[i]);
  /* the phasors of bins 1..29: run inside the Levinson recursion below (if_work), whose chain of
   * divisions leaves the divider idle most of the time; the state's previous spectrum is updated
   * after them */
  if_work ifw = {re, im, fs, if_a15, 1};

  /* band energies, Q(20 + 2 fs) times 48 (triangle weights (bs - j)/bs = (48/bs)(bs - j)/48) */
  int64_t ex[NB];
  memset(ex, 0, sizeof(ex));
  for (int i = 0; i < NB - 1; i++) {
    int b0 = eband5ms[i] * 4, bs = (eband5ms[i + 1] - eband5ms[i]) * 4, w = 48 / bs;
    for (int j = 0; j < bs; j++) {
      int64_t t = DFX_PSHR64((int64_t)re[b0 + j] * re[b0 + j] + (int64_t)im[b0 + j] * im[b0 + j], 8);
      ex[i] += (int64_t)w * (bs - j) * t;
      ex[i + 1] += (int64_t)w * j * t;
    }
  }
  ex[0] *= 2;
  ex[NB - 1] *= 2;
  /* log10(0.01 + E) with libopus' floors; 0.01 in Q40 shifted to Q(22 + 2 fs) */
  int64_t floor_q = DFX_PSHR64(10995116278LL, 18 - 2 * fs);
  int32_t ly[NB], log_max = -(2 << 24), follow = -(2 << 24);
  uint64_t e22[NB];
  for (int i = 0; i < NB; i++) e22[i] = (uint64_t)((4 * ex[i] + 24) / 48 + floor_q);
  log10_q24_n(st, e22, NB, 22 + 2 * fs, ly);
  for (int i = 0; i < NB; i++) {
    int32_t l = DREDFX_MAX(log_max - (8 << 24), DREDFX_MAX(follow - (5 << 23), ly[i]));
    log_max = DREDFX_MAX(log_max, l);
    follow = DREDFX_MAX(follow - (5 << 23), l);
    ly[i] = l;
  }
  /* DCT to the cepstrum (Q24); c0 - 4 */
  int32_t cep[NB];
  int64_t dsum[NB];
  st->mac64(ly, NB, dredfx_an_dct_q30, NB, NB, dsum);
  for (int i = 0; i < NB; i++) cep[i] = (int32_t)DFX_PSHR64(dsum[i], 30);
  /* LPC from the cepstrum: idct of (c with c0 + 4, i.e. before the - 4) */
  int32_t ex_log[NB], lpc[ORDER];
  st->mac64(cep, NB, st->dct_t_q30, NB, NB, dsum);
  for (int i = 0; i < NB; i++) ex_log[i] = (int32_t)DFX_PSHR64(dsum[i], 30);
  cep[0] -= 4 << 24;
  for (int i = 0; i < NB; i++) features_q16[i] = (int32_t)DFX_PSHR64(cep[i], 8);
  lpc_from_log_bands(st, ex_log, lpc, &ifw);
  if_phasors(st, &ifw, IFB);
  memcpy(st->prev_if_re, re, IFB * sizeof(int32_t));
  memcpy(st->prev_if_im, im, IFB * sizeof(int32_t));
  st->prev_if_fs = fs;

  /* residual of the 80-sample delayed signal, excitation, low-passed residual */
  memmove(st->exc_q4, &st->exc_q4[N], PMAX * sizeof(int32_t));
  memmove(st->lp_q4, &st->lp_q4[N], PMAX * sizeof(int32_t));
  int32_t xx[ORDER + N];
  memcpy(xx, st->pitch_mem_q4, ORDER * sizeof(int32_t));
  memcpy(&xx[ORDER], aligned, N * sizeof(int32_t));
  memcpy(st->pitch_mem_q4, &aligned[N - ORDER], ORDER * sizeof(int32_t));
  /* |lpc| < 2^31, |xx| < 2^21 (Q4 of |y| < 2^25): the sums stay below 2^56 */
  int64_t lpc_sum[N];
  st->mac64(lpc, ORDER, &xx[ORDER - 1], -1, N, lpc_sum);
  for (int i = 0; i < N; i++) {
    int64_t ev = (int64_t)xx[ORDER + i] + DFX_PSHR64(lpc_sum[i], 24);
    /* +-2^26 (4e6 real, 128 times full scale): keeps every 160-term energy below 2^62 */
    if (ev > RES_MAX || ev < -RES_MAX) {
      st->sat_residual++;
      ev = ev > 0 ? RES_MAX : -RES_MAX;
    }
    int32_t e = (int32_t)ev;
    st->lp_q4[PMAX + i] = e;
    st->exc_q4[PMAX + i] = e + (int32_t)DFX_PSHR64((int64_t)734003 * st->pitch_filt_q4, 20);
    st->pitch_filt_q4 = e;
  }
  /* cross-correlation features on the excitation (exact Q8 sums), and in the same loop the
   * biquad on the residual: two independent chains (the features' int64 divisions, the filter's
   * state recursion) that the core runs side by side */
  int16_t xcorr_q14[XC];
  {
    const int32_t *buf = st->exc_q4;
    int64_t xc[XC], e0 = 0, e1 = 0;
    for (int n = 0; n < N; n++) {
      e0 += (int64_t)buf[PMAX + n] * buf[PMAX + n];
      e1 += (int64_t)buf[n] * buf[n];
    }
    st->xcorr(&buf[PMAX], buf, xc);
    /* biquad (libopus' form): y = x + m0; m0 = (b0 - a0) x + m1 - a0 m0; m1 = (b1 - a1) x - a1 m0_old.
     * b = {-0.84946, 1}, a = {-1.54220, 0.70781}, Q24; states Q8. */
    int32_t *lp = &st->lp_q4[PMAX];
    int64_t m0 = st->lp_mem_q8[0], m1 = st->lp_mem_q8[1];
    uint32_t sat = 0;
    for (int i = 0; i < XC; i++) {
      xcorr_q14[i] = xcorr_feature(xc[i], 256 + e0 + e1);
      e1 += (int64_t)buf[i + N] * buf[i + N] - (int64_t)buf[i] * buf[i];
      if (i < N) {
        int64_t x = lp[i];
        int64_t yv = x + DFX_PSHR64(m0, 4);
        int64_t m0n = DFX_PSHR64(11622248 * x * 16 + 25873822 * m0, 24) + m1;
        m1 = DFX_PSHR64(4902135 * x * 16 - 11875081 * m0, 24);
        m0 = m0n;
        if (yv > RES_MAX || yv < -RES_MAX) {
          sat++;
          yv = yv > 0 ? RES_MAX : -RES_MAX;
        }
        lp[i] = (int32_t)yv;
      }
    }
    st->sat_residual += sat;
    st->lp_mem_q8[0] = m0;
    st->lp_mem_q8[1] = m1;
  }
  int32_t f18 = dredfx_pitchdnn_compute(st->k, &st->dnn, if_a15, xcorr_q14);
  /* period T = floor(1/2 + 256 / 2^(f18 + 1.5)) = round(2^(8 - f18 - 1.5)) */
  int32_t tq16 = dredfx_nn_exp2_q16((8 << 16) - 98304 - f18);
  int period = (tq16 + 32768) >> 16;
  period = DREDFX_MAX(1, DREDFX_MIN(PMAX, period));
  /* frame correlation on the low-passed residual */
  int64_t sxx = 0, syy = 0, sxy = 0;
  for (int n = 0; n < N; n++) {
    int64_t a = st->lp_q4[PMAX + n], b = st->lp_q4[PMAX - period + n];
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
  }
  int s = 0;
  while (bits64((uint64_t)(sxx >> 2 * s)) + bits64((uint64_t)(syy >> 2 * s)) > 61) s++;
  uint64_t d = (uint64_t)((sxx >> 2 * s) * (syy >> 2 * s)) + (4 * s <= 16 ? (uint64_t)65536 >> 4 * s : 0);
  uint32_t rd = dredfx_an_isqrt64(d);
  int64_t xy = s ? DFX_PSHR64(sxy, 2 * s) : sxy;
  int64_t rho_q30 = rd ? xy * (1 << 30) / rd : 0;
  if (rho_q30 > (1 << 30)) rho_q30 = 1 << 30;
  if (rho_q30 < -(1 << 30)) rho_q30 = -(1 << 30);
  /* ln(1 + e^(5 rho)) / ln(1 + e^5) - 1/2 = log2(1 + 2^(5 rho log2 e)) / log2(1 + e^5) - 1/2 */
  int32_t x5 = (int32_t)DFX_PSHR64(5 * rho_q30 * LOG2_E_Q30, 44);          /* p16 */
  int32_t ex5 = dredfx_nn_exp2_q16(x5);                                     /* Q16, <= 2^23.3 */
  int32_t l2 = dredfx_nn_log2_q16(ex5 + 65536, 16);                         /* p16 */
  /* 1 / log2(1 + e^5) = 0.13836... in Q30 */
  int32_t f19 = (int32_t)DFX_PSHR64((int64_t)l2 * 148652573, 30) - 32768;
  features_q16[NB] = f18;
  features_q16[NB + 1] = f19;
}

/* ---------------------------------------------------------------- state and input path */

/* libopus dred_convert_to_16k's ellip(7) filters: b (b0..b7) in Q31, a (a1..a7) in Q27. */
static const int32_t rs_a_b_q31[8] = {9713967, 12612940, 27876174, 31205816, 31205816, 27876174, 12612940, 9713967};
static const int32_t rs_a_a_q27[7] = {-520592800, 1040030912, -1295691136, 1074727296, -587799872, 196384976, -31101022};
static const int32_t rs_b_b_q31[8] = {4367116, -2184208, 7887981, 2167166, 2167166, 7887981, -2184208, 4367116};
static const int32_t rs_b_a_q27[7] = {-661748992, 1515538688, -2056489088, 1773875712, -969106944, 310116800, -44874168};
static const int32_t rs_c_b_q31[8] = {43184148, 175385248, 387409472, 557038016, 557038016, 387409472, 175385248, 43184148};
static const int32_t rs_c_a_q27[7] = {-187052800, 350280064, -322597952, 276061024, -154203904, 63485176, -14812249};

size_t dredfx_analysis_get_size(void) {
  return sizeof(struct dredfx_analysis);
}

int dredfx_analysis_set_rate(dredfx_analysis *st, int sampling_rate) {
  if (!st) return DREDFX_ERR_BAD_ARG;
  int up, decim;
  const int32_t *b = NULL, *a = NULL;
  switch (sampling_rate) {
    case 16000: up = 1; decim = 1; break;
    case 48000: up = 1; decim = 3; b = rs_a_b_q31; a = rs_a_a_q27; break;
    case 24000: up = 2; decim = 3; b = rs_a_b_q31; a = rs_a_a_q27; break;
    case 12000: up = 4; decim = 3; b = rs_b_b_q31; a = rs_b_a_q27; break;
    case 8000: up = 2; decim = 1; b = rs_c_b_q31; a = rs_c_a_q27; break;
    default: return DREDFX_ERR_BAD_ARG;
  }
  dredfx_pitchdnn *dnn = &st->dnn;
  memset(dnn->gru_a15, 0, sizeof(dnn->gru_a15));
  memset(dnn->conv1_mem, 0, sizeof(dnn->conv1_mem));
  memset(dnn->conv2_mem, 0, sizeof(dnn->conv2_mem));
  size_t off = offsetof(struct dredfx_analysis, preemph_prev_q8);
  memset((char *)st + off, 0, sizeof(*st) - off);
  st->rate = sampling_rate;
  st->up = up;
  st->decim = decim;
  st->rs_b_q31 = b;
  st->rs_a_q27 = a;
  return DREDFX_OK;
}

int dredfx_analysis_init(dredfx_analysis *st, const dredfx_weight_array *arrays, int n) {
  if (!st || !arrays || n < 0) return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  int rc = dredfx_pitchdnn_init(&st->dnn, arrays, n);
  if (rc < 0) return rc;
  st->k = dredfx_nn_get_kernels();
  dredfx_an_autocorr_fold_table(st->ac_cosf_q30);
  for (int i = 0; i < NB; i++)
    for (int j = 0; j < NB; j++) st->dct_t_q30[j * NB + i] = dredfx_an_dct_q30[i * NB + j];
  st->xcorr = dredfx_an_xcorr_c;
  st->autocorr = dredfx_an_autocorr_c;
  st->mac64 = dredfx_an_mac64_c;
  st->window = dredfx_an_window_c;
  st->log2n = dredfx_an_log2_q24_n_c;
  for (int i = 0; i < N; i++) st->win_q30[i] = st->win_q30[WIN - 1 - i] = dredfx_an_window_q30[i];
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_level() >= 1) {
    st->xcorr = dredfx_an_xcorr_avx2;
    st->autocorr = dredfx_an_autocorr_avx2;
    st->mac64 = dredfx_an_mac64_avx2;
    st->window = dredfx_an_window_avx2;
    st->log2n = dredfx_an_log2_q24_n_avx2;
  }
#endif
#if defined(DREDFX_HAVE_AVXVNNI)
  if (dredfx_cpu_level() >= 2) st->xcorr = dredfx_an_xcorr_avxvnni;
#endif
  return dredfx_analysis_set_rate(st, 16000);
}

/* One zero-stuffed sample through the transposed direct form II filter; y in Q14 (int64).
 * x = up * pcm clamped to int16 (Q0). */
static int64_t resample_filter(dredfx_analysis *st, int32_t x) {
  const int32_t *b = st->rs_b_q31, *a = st->rs_a_q27;
  int64_t *m = st->rs_mem_q38;
  /* b x in Q31 -> Q38: << 7; a y: Q27 * Q14 = Q41 -> Q38 */
  int64_t y = DFX_PSHR64((int64_t)b[0] * x * 128 + m[0], 24);
  for (int j = 0; j < DREDFX_ANALYSIS_RESAMPLE_ORDER - 1; j++)
    m[j] = m[j + 1] + (int64_t)b[j + 1] * x * 128 - DFX_PSHR64((int64_t)a[j] * y, 3);
  m[DREDFX_ANALYSIS_RESAMPLE_ORDER - 1] = (int64_t)b[7] * x * 128 - DFX_PSHR64((int64_t)a[6] * y, 3);
  return y;
}

int dredfx_analysis_delay16k(dredfx_analysis *st, int n) {
  if (!st || n < 0 || st->in_fill + n >= N) return DREDFX_ERR_BAD_ARG;
  memset(&st->in_q8[st->in_fill], 0, (size_t)n * sizeof(int32_t));
  st->in_fill += n;
  return DREDFX_OK;
}

int dredfx_analysis_frames_for(const dredfx_analysis *st, int n) {
  if (!st || n < 0) return DREDFX_ERR_BAD_ARG;
  /* 16 kHz samples produced: the outputs at positions phase, phase + decim, ... of n * up */
  int64_t total = (int64_t)n * st->up;
  int64_t produced = total > st->phase ? (total - st->phase + st->decim - 1) / st->decim : 0;
  return (int)((st->in_fill + produced) / N);
}

int dredfx_analysis_process(dredfx_analysis *st, const int16_t *pcm, int n, int32_t *features_q16,
                            int max_frames) {
  if (!st || n < 0 || (n > 0 && !pcm) || max_frames < 0) return DREDFX_ERR_BAD_ARG;
  int frames = dredfx_analysis_frames_for(st, n);
  if (frames > max_frames) return DREDFX_ERR_BUFFER_TOO_SMALL;
  if (frames > 0 && !features_q16) return DREDFX_ERR_BAD_ARG;
  int out = 0;
  if (st->rate == 16000) {
    /* no resampler: the samples go straight into the frame buffer, a frame at a time */
    for (int i = 0; i < n;) {
      const int m = DREDFX_MIN(n - i, N - st->in_fill);
      int32_t *dst = &st->in_q8[st->in_fill];
      for (int j = 0; j < m; j++) dst[j] = (int32_t)pcm[i + j] * 256;
      i += m;
      st->in_fill += m;
      if (st->in_fill == N) {
        dredfx_analysis_frame(st, st->in_q8, features_q16 + (size_t)out * DREDFX_ANALYSIS_NB_FEATURES);
        out++;
        st->in_fill = 0;
      }
    }
    return out;
  }
  for (int i = 0; i < n; i++) {
    for (int u = 0; u < st->up; u++) {
      int32_t x = u ? 0 : DREDFX_MAX(-32768, DREDFX_MIN(32767, st->up * (int32_t)pcm[i]));
      int64_t y = resample_filter(st, x);
      if (st->phase != 0) {
        st->phase--;
        continue;
      }
      st->phase = st->decim - 1;
      int64_t q8 = DFX_PSHR64(y, 6);
      if (q8 > IN_MAX || q8 < -IN_MAX) {
        st->sat_resample++;
        q8 = q8 > 0 ? IN_MAX : -IN_MAX;
      }
      st->in_q8[st->in_fill++] = (int32_t)q8;
      if (st->in_fill == N) {
        dredfx_analysis_frame(st, st->in_q8, features_q16 + (size_t)out * DREDFX_ANALYSIS_NB_FEATURES);
        out++;
        st->in_fill = 0;
      }
    }
  }
  return out;
}
