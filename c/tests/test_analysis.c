/* Feature analysis (c/src/analysis): the integer helpers against double-precision math, and, with
 * the weights blob ($DREDFX_WEIGHTS or the imported one: blob_file.h), the whole analysis on hard
 * inputs: identical integers at every CPU level, no saturation, features in range, bad arguments
 * refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "blob_file.h"
#include "blob_sign.h"
#include "check.h"
#include "common/common.h"
#include "common/cpu.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next64(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* libopus 1.6.1 celt_log2 in double (its float32 constants), for the comparison. */
static double celt_log2_ref(double x) {
  static const double c[8] = {1.0, 8.88888895511627197265625e-01, 8.0e-01, 7.27272748947143554687500e-01,
                              6.66666686534881591796875e-01, 6.15384638309478759765625e-01,
                              5.71428596973419189453125e-01, 5.33333361148834228515625e-01};
  static const double l[8] = {0.0, 1.699250042438507080078125e-01, 3.219280838966369628906250e-01,
                              4.594316184520721435546875e-01, 5.849624872207641601562500e-01,
                              7.004396915435791015625000e-01, 8.073549270629882812500000e-01,
                              9.068905711174011230468750e-01};
  int e;
  double m = frexp(x, &e) * 2;
  e -= 1;
  int k = (int)((m - 1) * 8);
  double t = m * c[k] - 1.0625;
  double p = 8.74628424644470214843750000e-02 +
             t * (1.357829570770263671875 + t * (-6.3897705078125e-01 +
             t * (4.01971250772476196289062500e-01 + t * -2.8415444493293762207031250e-01)));
  return e + p + l[k];
}

static void test_log2(void) {
  double worst = 0;
  for (int i = 0; i < 200000; i++) {
    uint64_t v = next64() >> (next64() % 63);
    if (!v) continue;
    int q = (int)(next64() % 60);
    double got = dredfx_an_log2_q24(v, q) / 16777216.0;
    double want = celt_log2_ref(ldexp((double)v, -q));
    worst = fmax(worst, fabs(got - want));
  }
  /* docs/fixed-point.md 8.2: < 2e-8 + 3e-8 (Q24 rounding) */
  CHECKF(worst < 5e-8, "log2 worst %.3g", worst);
  CHECK_EQ(dredfx_an_log2_q24(1, 0), 0);
  CHECK_EQ(dredfx_an_log2_q24((uint64_t)1 << 40, 20), 20 << 24);
}

static void test_isqrt(void) {
  for (int i = 0; i < 100000; i++) {
    uint64_t v = next64() >> (next64() % 64);
    uint64_t r = dredfx_an_isqrt64(v);
    CHECKF(r * r <= v && (r + 1) * (r + 1) > v, "isqrt(%llu) = %llu", (unsigned long long)v,
           (unsigned long long)r);
  }
  CHECK_EQ(dredfx_an_isqrt64(UINT64_MAX), 4294967295u);
  /* every v below 2^20: the table's whole range with s = 0, 2 and 4, and its edges */
  int bad = 0;
  for (uint64_t v = 0; v < (1u << 20); v++) {
    uint64_t r = dredfx_an_isqrt64(v);
    bad += !(r * r <= v && (r + 1) * (r + 1) > v);
  }
  CHECK_EQ(bad, 0);
  /* Newton's stopping rule at the edges: perfect squares and one below. */
  for (int i = 0; i < 100000; i++) {
    uint64_t r = next64() >> (32 + next64() % 31);
    if (r < 2) r = 2;
    CHECK_EQ(dredfx_an_isqrt64(r * r), r);
    CHECK_EQ(dredfx_an_isqrt64(r * r - 1), r - 1);
  }
}

static void test_fft(void) {
  int32_t re[320], im[320];
  double xr[320], xi[320], worst = 0;
  for (int trial = 0; trial < 20; trial++) {
    /* full-scale inputs of the analysis: |x| < 2^21 * 2^-6 (Q4 times the window over 320, Q14) */
    int amp = trial < 10 ? 3700000 : 1000;
    for (int n = 0; n < 320; n++) {
      re[n] = (int32_t)(next64() % (2 * amp + 1)) - amp;
      im[n] = trial % 2 ? (int32_t)(next64() % (2 * amp + 1)) - amp : 0;
      xr[n] = re[n];
      xi[n] = im[n];
    }
    dredfx_an_fft320(re, im);
    for (int k = 0; k < 320; k++) {
      double sr = 0, si = 0;
      for (int n = 0; n < 320; n++) {
        double a = -2 * M_PI * (double)((k * n) % 320) / 320;
        sr += xr[n] * cos(a) - xi[n] * sin(a);
        si += xr[n] * sin(a) + xi[n] * cos(a);
      }
      worst = fmax(worst, fmax(fabs(sr - re[k]), fabs(si - im[k])));
    }
  }
  /* rounding of every twiddle product, carried through the later stages: measured 16.5 LSB Q14
   * (1e-3 real) on full-range random inputs (docs/fixed-point.md 8.2) */
  CHECKF(worst < 24, "fft worst %.3f LSB", worst);
}

/* The short-input FFT (the Burg cepstrum's: 17 taps) and the real-input one against the full one,
 * the same integers; and
 * the AVX2 twins of the real leaves and the last three stages against their scalar
 * specifications at the contracts' edges. */
static void test_fft_variants(void) {
  int32_t re[320], im[320], re2[320], im2[320];
  for (int trial = 0; trial < 400; trial++) {
    const int n = 1 + trial % 64, amp = trial < 200 ? (1 << 29) / n : 1 + (int)(next64() % 100000);
    for (int i = 0; i < 320; i++) re[i] = i < n ? (int32_t)(next64() % (2u * amp + 1)) - amp : 0;
    if (trial % 100 == 1)
      for (int i = 0; i < n; i++) re[i] = i % 2 ? -amp : amp;
    memcpy(re2, re, sizeof(re));
    memset(im, 0, sizeof(im));
    dredfx_an_fft320(re, im);
    dredfx_an_fft320_short(re2, im2, n);
    CHECKF(!memcmp(re, re2, sizeof(re)) && !memcmp(im, im2, sizeof(im)), "fft320_short differs, n %d, trial %d", n,
           trial);
    /* the real-input FFT, full length, at the analysis' full scale and below */
    const int32_t lim = trial < 2 ? 3700000 : 1 + (int32_t)(next64() % 3700000);
    for (int i = 0; i < 320; i++) re[i] = trial < 2 ? (i % 2 ? -lim : lim) : (int32_t)(next64() % (2u * lim + 1)) - lim;
    memcpy(re2, re, sizeof(re));
    memset(im, 0, sizeof(im));
    memset(im2, 0x55, sizeof(im2));
    dredfx_an_fft320(re, im);
    dredfx_an_fft320_real(re2, im2);
    CHECKF(!memcmp(re, re2, sizeof(re)) && !memcmp(im, im2, sizeof(im)), "fft320_real differs, trial %d", trial);
  }
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_max_level() < DREDFX_CPU_AVX2) return;
  static int32_t f[640], g[640];
  for (int round = 0; round < 300; round++) {
    /* a stage's output component is at most |f0| + 3 sqrt(2) max |component| < 5.25 times its input
     * bound: |values| <= 2^25 keep both stages within 27.5 2^25 < 2^30, the contract's edge */
    const int32_t lim = round < 2 ? 1 << 25 : round < 150 ? (1 << 25) - 1 : 1 + (int32_t)(next64() % 65536);
    for (int i = 0; i < 640; i++)
      f[i] = round < 2 ? (round ? -lim : lim) : (int32_t)(next64() % (2u * lim + 1)) - lim;
    memcpy(g, f, sizeof(f));
    /* the real leaves, |re| < 2^30 (their contract) */
    static int32_t lre[320], la[640], lb[640];
    const int32_t llim = round < 2 ? (1 << 30) - 1 : round < 100 ? (1 << 30) - 1 : 1 + (int32_t)(next64() % 65536);
    for (int i = 0; i < 320; i++)
      lre[i] = round < 2 ? (round ? -llim : (i % 2 ? -llim : llim)) : (int32_t)(next64() % (2u * llim + 1)) - llim;
    dredfx_an_fft_leaves_real_c(lre, la);
    dredfx_an_fft_leaves_real_avx2(lre, lb);
    CHECKF(!memcmp(la, lb, sizeof(la)), "fft real leaves avx2 differ, round %d", round);
    /* the m = 5 stage alone on the same values (one stage: within 5.25 2^25) */
    static int32_t h[640], hh[640];
    memcpy(h, f, sizeof(f));
    memcpy(hh, f, sizeof(f));
    dredfx_an_fft_mid_c(h);
    dredfx_an_fft_mid_avx2(hh);
    CHECKF(!memcmp(h, hh, sizeof(h)), "fft mid stage avx2 differs, round %d", round);
    dredfx_an_fft_tail_c(f);
    dredfx_an_fft_tail_avx2(g);
    CHECKF(!memcmp(f, g, sizeof(f)), "fft tail avx2 differs, round %d", round);
  }
#endif
}

/* The hard inputs (9 kinds): n samples of signal `kind`. */
static void make_signal(int16_t *x, int n, int kind) {
  uint64_t w = 0x2545f4914f6cdd1dULL; /* the noise's own generator: the same samples on every platform */
  for (int i = 0; i < n; i++) {
    double t = i / 16000.0;
    switch (kind) {
      case 0: x[i] = 0; break;                                                 /* silence */
      case 1: x[i] = 32767; break;                                             /* DC */
      case 2: x[i] = (i / 40) % 2 ? 32767 : -32768; break;                     /* 200 Hz square */
      case 3:                                                                  /* white, 0 dBFS */
        w ^= w << 13;
        w ^= w >> 7;
        w ^= w << 17;
        x[i] = (int16_t)(w & 0xffff);
        break;
      case 4: x[i] = (int16_t)lrint(1.04 * sin(2 * M_PI * 1000 * t)); break;   /* 1 kHz, -90 dBFS */
      case 5: x[i] = -32768; break;                                            /* negative DC */
      case 6: x[i] = (i / 2) % 2 ? 32767 : -32768; break;                      /* 4 kHz square */
      case 7: x[i] = i % 2 ? 1 : -1; break;                                    /* +-1 LSB at Nyquist */
      default: {                                                               /* clipped "speech" */
        double v = 90000 * sin(2 * M_PI * 140 * t) * sin(2 * M_PI * 3 * t) + 20000 * sin(2 * M_PI * 1700 * t);
        x[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
      }
    }
  }
}

/* CRC-32 of the scalar level's features (int32 Q16, little-endian) of every hard input at every
 * rate, in the loop's order, with the libopus 1.6.1 weights: the same integers on every platform
 * (x86, and aarch64 / armv7 under qemu: scripts/cross-test.sh). Changed deliberately only; last:
 * the IF phasors took libopus' 1e-15 (docs/fixed-point.md 8.2). */
#define CRC_HARD_INPUTS 0xa81752fdu

static void test_analysis(const unsigned char *blob, size_t len) {
  static dredfx_weight_array arrays[4096];
  int n = dredfx_weights_parse(blob, len, arrays, 4096);
  CHECK(n > 0);
  dredfx_analysis *st = malloc(dredfx_analysis_get_size());
  CHECK_EQ(dredfx_analysis_init(st, arrays, 3), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(dredfx_analysis_init(st, arrays, n), DREDFX_OK);
  CHECK_EQ(dredfx_analysis_set_rate(st, 44100), DREDFX_ERR_BAD_ARG);
  enum { LEN = 16000 };
  static int16_t x[LEN];
  /* 8 kHz input is upsampled 2x: 2 LEN / 160 frames at most */
  static int32_t feat[DREDFX_CPU_NB_LEVELS][2 * LEN / 160 * 20];
  const int rates[5] = {16000, 48000, 24000, 12000, 8000};
  static unsigned char all_le[9 * 5 * (2 * LEN / 160) * 20 * 4];
  size_t all_n = 0;
  for (int kind = 0; kind < 9; kind++) {
    make_signal(x, LEN, kind);
    for (int r = 0; r < 5; r++) {
      int frames = 0;
      for (int level = 0; level < DREDFX_CPU_NB_LEVELS; level++) {
        if (dredfx_cpu_set_level(level) != DREDFX_OK) continue;
        CHECK_EQ(dredfx_analysis_init(st, arrays, n), DREDFX_OK);
        CHECK_EQ(dredfx_analysis_set_rate(st, rates[r]), DREDFX_OK);
        int want = dredfx_analysis_frames_for(st, LEN);
        CHECK_EQ(dredfx_analysis_process(st, x, LEN, feat[level], want - 1), DREDFX_ERR_BUFFER_TOO_SMALL);
        /* odd piece lengths */
        frames = 0;
        for (int pos = 0; pos < LEN;) {
          int piece = 1 + (int)(next64() % 997);
          piece = DREDFX_MIN(LEN - pos, piece);
          int got = dredfx_analysis_process(st, x + pos, piece, feat[level] + frames * 20, want - frames);
          CHECKF(got >= 0, "got %d piece %d pos %d frames %d want %d rate %d", got, piece, pos, frames, want, rates[r]);
          frames += got;
          pos += piece;
        }
        CHECK_EQ(frames, want);
#ifdef DREDFX_FIXED_DEBUG
        /* FIXED_DEBUG: no operator saturates; the pitch DNN's tanh/sigmoid inputs past the table
         * end (ACT_CLAMP, the value libopus' approximation clamps to as well) are counted */
        CHECKF(dredfx_fixed_debug_total(NULL) == dredfx_fixed_debug_total("ACT_CLAMP"),
               "kind %d rate %d level %d: %lu saturations", kind, rates[r], level,
               dredfx_fixed_debug_total(NULL) - dredfx_fixed_debug_total("ACT_CLAMP"));
        if (level == 0)
          printf("hard input %d at %5d Hz: %lu ACT_CLAMP, no other saturation\n", kind, rates[r],
                 dredfx_fixed_debug_total("ACT_CLAMP"));
        dredfx_fixed_debug_reset();
#endif
        CHECKF(st->sat_lpc == 0 && st->sat_residual == 0 && st->sat_resample == 0,
               "kind %d rate %d: saturations %u %u %u", kind, rates[r], st->sat_lpc, st->sat_residual,
               st->sat_resample);
        if (level) CHECKF(memcmp(feat[0], feat[level], (size_t)frames * 20 * sizeof(int32_t)) == 0,
                          "kind %d rate %d: level %d differs from scalar", kind, rates[r], level);
      }
      for (int i = 0; i < frames * 20; i++)
        for (int b = 0; b < 4; b++) all_le[all_n++] = (unsigned char)((uint32_t)feat[0][i] >> (8 * b));
      for (int i = 0; i < frames; i++) {
        int32_t f18 = feat[0][i * 20 + 18], f19 = feat[0][i * 20 + 19];
        CHECKF(f18 >= -98304 && f18 <= 98304 && f19 >= -32768 && f19 <= 32768 && feat[0][i * 20] < 41 << 16,
               "kind %d rate %d frame %d: f0 %d f18 %d f19 %d", kind, rates[r], i, feat[0][i * 20], f18, f19);
      }
    }
  }
  const uint32_t crc = crc32_ref(all_le, all_n);
  CHECKF(crc == CRC_HARD_INPUTS, "hard inputs: features CRC-32 %08x, pinned %08x", crc, CRC_HARD_INPUTS);
  printf("hard inputs: features CRC-32 %08x (%zu bytes)\n", crc, all_n);
  dredfx_cpu_set_level(dredfx_cpu_max_level());
  CHECK_EQ(dredfx_analysis_process(st, NULL, 5, feat[0], 10), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_analysis_process(st, x, -1, feat[0], 10), DREDFX_ERR_BAD_ARG);
  free(st);
}

/* The folded autocorrelation sum against the plain one, sum_{0 < k < 160} g[k] cos(2 pi k l / 320),
 * on the Q30 table; first the table's symmetry that the fold rests on. */
static void test_autocorr_fold(void) {
  for (int l = 0; l <= DREDFX_ANALYSIS_LPC_ORDER; l++)
    for (int k = 1; k < DREDFX_ANALYSIS_FRAME; k++)
      CHECKF(dredfx_an_cos_q30[((DREDFX_ANALYSIS_FRAME - k) * l) % 320] ==
                 (l & 1 ? -1 : 1) * dredfx_an_cos_q30[(k * l) % 320],
             "cosine table not symmetric at l %d k %d", l, k);
  static int32_t cosf[DREDFX_ANALYSIS_LPC_ORDER + 1][DREDFX_AN_AC_FOLD];
  dredfx_an_autocorr_fold_table(cosf);
  int32_t g[DREDFX_ANALYSIS_FRAME];
  int64_t s[DREDFX_ANALYSIS_LPC_ORDER + 1];
  for (int round = 0; round < 200; round++) {
    const int32_t lim = round < 2 ? 1 << 25 : 1 + (int32_t)(next64() % (1u << 25));
    for (int k = 0; k < DREDFX_ANALYSIS_FRAME; k++)
      g[k] = round < 2 ? (round ? -lim : lim) : (int32_t)(next64() % (2u * lim + 1)) - lim;
    dredfx_an_autocorr_c(g, &cosf[0][0], s);
    for (int l = 0; l <= DREDFX_ANALYSIS_LPC_ORDER; l++) {
      int64_t want = 0;
      for (int k = 1; k < DREDFX_ANALYSIS_FRAME; k++) want += (int64_t)g[k] * dredfx_an_cos_q30[(k * l) % 320];
      CHECKF(s[l] == want, "folded autocorrelation differs, round %d l %d", round, l);
    }
  }
}

/* The SIMD twins of the cross-correlation, the autocorrelation, mac64, the window and the array log2
 * against their scalar specifications, at the edges of their contracts and on random values. */
static void test_sum_twins(void) {
#if defined(DREDFX_HAVE_AVX2)
  if (dredfx_cpu_max_level() < DREDFX_CPU_AVX2) return;
  static int32_t x[DREDFX_ANALYSIS_FRAME], y[(DREDFX_ANALYSIS_LPC_ORDER + 1) * DREDFX_ANALYSIS_FRAME];
  int64_t a[DREDFX_ANALYSIS_NB_XCORR], b[DREDFX_ANALYSIS_NB_XCORR];
  for (int round = 0; round < 300; round++) {
    /* the int64 form's full range, then the split form's ([-2^22, 2^22), speech), then its edge */
    const int32_t lim = round < 100 ? (1 << 27) - 1 : round < 200 ? (1 << 22) - 1 : 1 << 22;
    for (size_t i = 0; i < DREDFX_ARRAY_LEN(x); i++)
      x[i] = round % 100 < 2 ? (round % 2 ? -lim : lim) : (int32_t)(next64() % (2u * lim + 1)) - lim;
    for (size_t i = 0; i < DREDFX_ARRAY_LEN(y); i++)
      y[i] = round % 100 < 2 ? lim : (int32_t)(next64() % (2u * lim + 1)) - lim;
    dredfx_an_xcorr_c(x, y, a);
    dredfx_an_xcorr_avx2(x, y, b);
    CHECKF(!memcmp(a, b, sizeof(a)), "xcorr avx2 differs, round %d", round);
#if defined(DREDFX_HAVE_AVXVNNI)
    if (dredfx_cpu_max_level() >= DREDFX_CPU_AVXVNNI) {
      dredfx_an_xcorr_avxvnni(x, y, b);
      CHECKF(!memcmp(a, b, sizeof(a)), "xcorr avxvnni differs, round %d", round);
    }
#endif
    for (int i = 0; i < DREDFX_ANALYSIS_FRAME; i++)
      x[i] = round < 2 ? (round ? -(1 << 25) : 1 << 25) : (int32_t)(next64() % (2u << 25 | 1)) - (1 << 25);
    for (int i = 0; i < (DREDFX_ANALYSIS_LPC_ORDER + 1) * DREDFX_AN_AC_FOLD; i++)
      y[i] = round < 2 ? 1 << 30 : (int32_t)(next64() % (2u << 30 | 1)) - (1 << 30);
    dredfx_an_autocorr_c(x, y, a);
    dredfx_an_autocorr_avx2(x, y, b);
    CHECKF(!memcmp(a, b, (DREDFX_ANALYSIS_LPC_ORDER + 1) * sizeof(int64_t)), "autocorr avx2 differs, round %d",
           round);
    /* mac64 at the LPC residual's shape (16 taps, stride -1, 160 outputs), the DCTs' (18 x 18) and
     * random ones; |c| < 2^31, |x| <= 2^26, m <= 20: the sums stay below 2^62 */
    const int shape = round % 3;
    const int m = shape == 0 ? 16 : shape == 1 ? 18 : 1 + (int)(next64() % 20);
    const int nn = shape == 0 ? 160 : shape == 1 ? 18 : 1 + (int)(next64() % 40);
    const ptrdiff_t stride = shape == 0 ? -1 : shape == 1 ? 18 : (ptrdiff_t)(next64() % 5) - 2;
    int32_t c[20];
    for (int j = 0; j < m; j++)
      c[j] = round < 3 ? (round % 2 ? INT32_MIN : INT32_MAX) : (int32_t)(uint32_t)next64();
    for (int i = 0; i < (DREDFX_ANALYSIS_LPC_ORDER + 1) * DREDFX_ANALYSIS_FRAME; i++)
      y[i] = round < 3 ? -(1 << 26) : (int32_t)(next64() % (2u << 26 | 1)) - (1 << 26);
    const int32_t *x0 = y + 2 * 20 + 40; /* room for stride -2 .. 18 over 20 rows */
    dredfx_an_mac64_c(c, m, x0, stride, nn, a);
    dredfx_an_mac64_avx2(c, m, x0, stride, nn, b);
    CHECKF(!memcmp(a, b, (size_t)nn * sizeof(int64_t)), "mac64 avx2 differs, round %d (m %d n %d stride %d)", round,
           m, nn, (int)stride);
    /* window products: sh = 24 - fs (fs 0..8) with |x| 2^fs < 2^25 and the Q30 window's range,
     * and random lengths */
    const int fs = round % 9, wn = round % 4 ? 160 : 1 + (int)(next64() % 40);
    const int32_t xlim = ((1 << 25) >> fs) - 1;
    int32_t wx[160], ww[160], wa[160], wb[160];
    for (int i = 0; i < wn; i++) {
      wx[i] = round < 18 ? (round % 2 ? -xlim : xlim) : (int32_t)(next64() % (2u * xlim + 1)) - xlim;
      ww[i] = round < 18 ? (1 << 30) - 1 : (int32_t)(next64() % (1u << 30));
    }
    dredfx_an_window_c(wx, ww, wn, 24 - fs, wa);
    dredfx_an_window_avx2(wx, ww, wn, 24 - fs, wb);
    CHECKF(!memcmp(wa, wb, (size_t)wn * sizeof(int32_t)), "window avx2 differs, round %d", round);
    /* the array log2: every magnitude of v (1 .. 2^64 - 1, the table's eight k), q of the callers
     * and beyond */
    uint64_t lv[64];
    const int ln = round % 5 ? 64 : 1 + (int)(next64() % 12), lq = (int)(next64() % 80) - 8;
    for (int i = 0; i < ln; i++) {
      lv[i] = round < 2 ? (round ? UINT64_MAX >> (i % 64) : (uint64_t)1 << (i % 64)) : next64() >> (next64() % 64);
      if (lv[i] == 0) lv[i] = 1;
    }
    dredfx_an_log2_q24_n_c(lv, ln, lq, wa);
    dredfx_an_log2_q24_n_avx2(lv, ln, lq, wb);
    CHECKF(!memcmp(wa, wb, (size_t)ln * sizeof(int32_t)), "log2 avx2 differs, round %d", round);
  }
#endif
}

int main(void) {
  test_log2();
  test_isqrt();
  test_fft();
  test_fft_variants();
  test_autocorr_fold();
  test_sum_twins();
  char path[4096];
  size_t len;
  unsigned char *blob = test_read_blob(path, sizeof(path), &len);
  if (blob != NULL) {
    test_analysis(blob, len);
    free(blob);
  } else {
    printf("test_analysis: whole-analysis checks skipped: no blob at '%s' (set DREDFX_WEIGHTS or run "
           "`dredfx weights import`)\n", path);
  }
  return check_report("test_analysis");
}
