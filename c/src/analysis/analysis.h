/* Feature analysis, internals: the state's layout, the per-frame step, the integer helpers and the
 * pitch DNN. The public API (dredfx_analysis_get_size, _init, _set_rate, _delay16k, _process,
 * _frames_for) is in dredfx.h. Formats and error bounds: docs/fixed-point.md section 8. */
#ifndef DREDFX_ANALYSIS_ANALYSIS_H
#define DREDFX_ANALYSIS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#define DREDFX_ANALYSIS_NB_BANDS 18
#define DREDFX_ANALYSIS_LPC_ORDER 16
#define DREDFX_ANALYSIS_PITCH_MAX 256
#define DREDFX_ANALYSIS_NB_XCORR 224     /* lags 256 down to 33 */
#define DREDFX_ANALYSIS_IF_BINS 30
#define DREDFX_ANALYSIS_NB_IF 88
#define DREDFX_ANALYSIS_GRU 64
#define DREDFX_ANALYSIS_RESAMPLE_ORDER 7
#define DREDFX_AN_AC_FOLD 80 /* the autocorrelation's folded length (dredfx_an_autocorr_c) */

/* Output rows of the pitch DNN's int8 layers, each padded to 8: if1, if2, down (64 each), gru_in,
 * gru_rec, up (192 each). */
#define DREDFX_ANALYSIS_PITCH_INT8_ROWS (3 * 64 + 3 * 3 * DREDFX_ANALYSIS_GRU)

/* The pitch DNN (libopus dnn/pitchdnn.c) and its recurrent state. */
typedef struct {
  dredfx_nn_linear if1, if2, down, gru_in, gru_rec, up, conv1, conv2;
  /* The int8 layers' load-time constants (dredfx_nn_linear_prepare): the engine's faster exact
   * paths. The layers point here, so the state must not be copied after init. */
  int32_t wsum[DREDFX_ANALYSIS_PITCH_INT8_ROWS];
  int64_t rq[DREDFX_NN_RQ_LEN(DREDFX_ANALYSIS_PITCH_INT8_ROWS)];
  int16_t gru_a15[DREDFX_ANALYSIS_GRU];
  int16_t conv1_mem[2 * (DREDFX_ANALYSIS_NB_XCORR + 2)];
  int16_t conv2_mem[2 * 4 * (DREDFX_ANALYSIS_NB_XCORR + 2)];
} dredfx_pitchdnn;

struct dredfx_analysis {
  const dredfx_nn_kernels *k;
  /* cross-correlation kernel of the CPU level (scalar or AVX2, identical integers) */
  void (*xcorr)(const int32_t *x, const int32_t *y, int64_t *xc);
  /* autocorrelation sum of the CPU level (scalar or AVX2, identical integers) and its folded
   * cosines (dredfx_an_autocorr_c, set at init) */
  void (*autocorr)(const int32_t *g, const int32_t *cosf_q30, int64_t *s);
  int32_t ac_cosf_q30[DREDFX_ANALYSIS_LPC_ORDER + 1][DREDFX_AN_AC_FOLD];
  /* the LPC residual's and the DCTs' sums of the CPU level (identical integers) */
  void (*mac64)(const int32_t *c, int m, const int32_t *x, ptrdiff_t stride, int n, int64_t *y);
  /* the analysis window's products of the CPU level (identical integers), and the window: the
   * 160 values of dredfx_an_window_q30, then the same reversed (set at init) */
  void (*window)(const int32_t *x, const int32_t *w, int n, int sh, int32_t *out);
  int32_t win_q30[2 * DREDFX_ANALYSIS_FRAME];
  /* dredfx_an_log2_q24 of an array, of the CPU level (identical integers) */
  void (*log2n)(const uint64_t *v, int n, int q, int32_t *out);
  /* dredfx_an_dct_q30 transposed (set at init): the second DCT's rows as mac64's x */
  int32_t dct_t_q30[DREDFX_ANALYSIS_NB_BANDS * DREDFX_ANALYSIS_NB_BANDS];
  dredfx_pitchdnn dnn;
  /* compute_frame_features state (libopus LPCNetEncState); input Q8, pitch-path signals Q4 */
  int32_t preemph_prev_q8;               /* previous input sample */
  int32_t analysis_mem_q8[DREDFX_ANALYSIS_FRAME]; /* pre-emphasized previous frame */
  /* previous spectrum bins 0..29, in that frame's Q(14 + fs) (docs/fixed-point.md 8.1) */
  int32_t prev_if_re[DREDFX_ANALYSIS_IF_BINS], prev_if_im[DREDFX_ANALYSIS_IF_BINS];
  int prev_if_fs; /* that frame's fs (the IF phasors' 1e-15 is placed in Q(28 + fs + prev fs)) */
  int32_t pitch_mem_q4[DREDFX_ANALYSIS_LPC_ORDER];
  int32_t exc_q4[DREDFX_ANALYSIS_PITCH_MAX + DREDFX_ANALYSIS_FRAME];
  int32_t lp_q4[DREDFX_ANALYSIS_PITCH_MAX + DREDFX_ANALYSIS_FRAME];
  int32_t pitch_filt_q4;
  int64_t lp_mem_q8[2];
  /* input path */
  int rate, up, decim, phase;
  int64_t rs_mem_q38[DREDFX_ANALYSIS_RESAMPLE_ORDER];
  const int32_t *rs_b_q31, *rs_a_q27;
  int32_t in_q8[DREDFX_ANALYSIS_FRAME];
  int in_fill;
  /* saturation counters (docs/fixed-point.md 8): LPC coefficients, residual and low-passed
   * residual, resampler outputs */
  uint32_t sat_lpc, sat_residual, sat_resample;
};

/* One frame: 160 16 kHz samples in Q8 (|x| < 2^24) -> 20 features in Q16. */
void dredfx_analysis_frame(dredfx_analysis *st, const int32_t *x_q8, int32_t *features_q16);

/* Helpers (exposed for the tests). */
/* libopus 1.6.1 celt_log2 of v / 2^q (v > 0), Q24: v = m 2^(e - 30) with m in [2^30, 2^31),
 * t = m / (1 + k/8) - 1.0625 (Q30, k the 3 bits after m's leading one; |t| < 2^27), the quartic
 * p(t) by Horner with a rounding shift each step (|p| < 2^31 at every step: A_i + 2^31 2^27 / 2^30),
 * then (e - q) + p + log2(1 + k/8). The pieces around the quartic are shared with the AVX2 twin
 * of the array form (x86/xcorr_avx2.c), which evaluates four quartics at once. */
int32_t dredfx_an_log2_q24(uint64_t v, int q);
void dredfx_an_log2_q24_n_c(const uint64_t *v, int n, int q, int32_t *out);
void dredfx_an_log2_q24_n_avx2(const uint64_t *v, int n, int q, int32_t *out);
extern const int64_t dredfx_an_log2_c_q31[8];
extern const int32_t dredfx_an_log2_l_q30[8];
extern const int32_t dredfx_an_log2_a_q30[5];
static inline uint32_t dredfx_an_log2_norm(uint64_t v, int *e, int *k) {
  *e = 63 - __builtin_clzll(v);
  const uint32_t m = *e >= 30 ? (uint32_t)(v >> (*e - 30)) : (uint32_t)(v << (30 - *e));
  *k = (m >> 27) & 7;
  return m;
}
static inline int64_t dredfx_an_log2_t(uint32_t m, int k) {
  return (((int64_t)m * dredfx_an_log2_c_q31[k] + ((int64_t)1 << 30)) >> 31) - 1140850688; /* - 1.0625 */
}
static inline int32_t dredfx_an_log2_finish(int eq, int64_t p, int k) {
  return (int32_t)(((int64_t)eq * (1 << 30) + p + dredfx_an_log2_l_q30[k] + 32) >> 6);
}
/* floor(sqrt(v)). */
uint32_t dredfx_an_isqrt64(uint64_t v);
/* 320-point forward FFT, Q14 in and out (radices 4, 4, 4, 5). */
void dredfx_an_fft320(int32_t *re, int32_t *im);
/* The same integers for a real input (im is written only). */
void dredfx_an_fft320_real(int32_t *re, int32_t *im);
/* The same integers for a real input that is zero from re[n] on (n <= 64; im is written only). */
void dredfx_an_fft320_short(int32_t *re, int32_t *im, int n);
/* The FFT's last two radix-4 stages (m = 20 in 4 groups, then m = 80) in place on 320 complex
 * values, interleaved (re, im): the scalar specification and its AVX2 twin (x86/fft_avx2.c).
 * Contract: every value and every stage's result within +-2^30 (the FFT's bound, docs/fixed-point.md
 * 8.1), so no int32 sum overflows. */
void dredfx_an_fft_tail_c(int32_t *f);
void dredfx_an_fft_tail_avx2(int32_t *f);
/* The radix-4 stage before them (m = 5, 16 groups of 20), same layout and contract: the scalar
 * specification, one of its butterflies (group at f, butterfly k: the AVX2 twin's fifth), and
 * its AVX2 twin. */
void dredfx_an_fft_mid_c(int32_t *f);
/* The leaves of the real-input FFT (radix 5, 64 of them) from re into f (320 complex values,
 * interleaved), and their AVX2 twin; contract: |re| < 2^30 (the window's outputs stay below
 * 2^23). */
void dredfx_an_fft_leaves_real_c(const int32_t *re, int32_t *f);
void dredfx_an_fft_leaves_real_avx2(const int32_t *re, int32_t *f);
void dredfx_an_fft_mid_bfly(int32_t *f, int k);
void dredfx_an_fft_mid_avx2(int32_t *f);

/* xc[i] = sum_{n < 160} x[n] y[i + n], i < 224, exact (|x|, |y| < 2^27: the sums stay < 2^61):
 * the scalar specification and its AVX2 and AVX-VNNI twins (x86/xcorr_avx2.c). */
void dredfx_an_xcorr_c(const int32_t *x, const int32_t *y, int64_t *xc);
void dredfx_an_xcorr_avx2(const int32_t *x, const int32_t *y, int64_t *xc);
void dredfx_an_xcorr_avxvnni(const int32_t *x, const int32_t *y, int64_t *xc);
/* s[l] = sum_{0 < k < 160} g[k] cos(2 pi k l / 320) in Q30, l <= 16, exact, folded: the table's
 * cosines at k and 160 - k are equal for even l and opposite for odd l (test_analysis checks it on
 * the Q30 table), so s[l] = sum_{k < 80} f_l[k] cosf_q30[l * 80 + k] with f_l[0] = g[80],
 * f_l[k] = g[k] +- g[160 - k] (+ for even l) and cosf_q30[l][0] = cos(pi l / 2), cosf_q30[l][k] =
 * cos(2 pi k l / 320) (dredfx_an_autocorr_fold_table). |g| <= 2^25, |cos| <= 2^30: |f| <= 2^26 and
 * the sums stay below 80 2^56 < 2^63. The scalar specification and its AVX2 twin
 * (x86/xcorr_avx2.c). */
void dredfx_an_autocorr_c(const int32_t *g, const int32_t *cosf_q30, int64_t *s);
void dredfx_an_autocorr_avx2(const int32_t *g, const int32_t *cosf_q30, int64_t *s);
/* The folded cosines of dredfx_an_autocorr_c from dredfx_an_cos_q30. */
void dredfx_an_autocorr_fold_table(int32_t cosf_q30[DREDFX_ANALYSIS_LPC_ORDER + 1][DREDFX_AN_AC_FOLD]);

/* y[i] = sum_{j < m} c[j] x[j * stride + i], i < n, exact: the caller keeps every sum within int64
 * (the LPC residual: 16 taps, the DCTs: 18 rows; bounds at the call sites). The scalar
 * specification and its AVX2 twin (x86/xcorr_avx2.c). */
void dredfx_an_mac64_c(const int32_t *c, int m, const int32_t *x, ptrdiff_t stride, int n, int64_t *y);
void dredfx_an_mac64_avx2(const int32_t *c, int m, const int32_t *x, ptrdiff_t stride, int n, int64_t *y);

/* out[i] = (int32_t)PSHR64(x[i] w[i], sh), i < n, 1 <= sh <= 32, every result within int32 (the
 * window: |x| 2^fs < 2^25, w < 2^30, sh = 24 - fs). The scalar specification and its AVX2 twin
 * (x86/xcorr_avx2.c). */
void dredfx_an_window_c(const int32_t *x, const int32_t *w, int n, int sh, int32_t *out);
void dredfx_an_window_avx2(const int32_t *x, const int32_t *w, int n, int sh, int32_t *out);

/* Pitch DNN: IF features (88, a15) and xcorr features (224, Q14) -> f18 (dnn_pitch) in Q16. */
int32_t dredfx_pitchdnn_compute(const dredfx_nn_kernels *k, dredfx_pitchdnn *p, const int16_t *if_a15,
                                const int16_t *xcorr_q14);
int dredfx_pitchdnn_init(dredfx_pitchdnn *p, const dredfx_weight_array *arrays, int n);

/* Generated tables (analysis_tables.c, tools/gen_analysis_tables.py). */
extern const int32_t dredfx_an_window_q30[160];
extern const int32_t dredfx_an_cos_q30[320];
extern const int32_t dredfx_an_sin_q30[320];
extern const int32_t dredfx_an_dct_q30[18 * 18];
extern const int32_t dredfx_an_fft_tw_q30[600];
extern const int32_t dredfx_an_fft_tw5_q30[24];
extern const uint16_t dredfx_an_isqrt_start_q6[1024];

#endif
