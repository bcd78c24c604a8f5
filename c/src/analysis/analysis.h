/* Feature analysis: speech to libopus 1.6.1's 20 DRED features (lpcnet_compute_single_frame_features,
 * compute_frame_features, pitchdnn.c, and dred_encoder.c's conversion to 16 kHz), integer only.
 * Formats and error bounds: docs/fixed-point.md section 8.
 *
 *   size_t dredfx_analysis_get_size(void)
 *   int    dredfx_analysis_init(st, arrays, n)        16 kHz, pitch DNN from the weights blob
 *   int    dredfx_analysis_set_rate(st, sampling_rate) 8000, 12000, 16000, 24000 or 48000; resets
 *   int    dredfx_analysis_delay16k(st, n)            zero 16 kHz samples first (DRED encoder: 11)
 *   int    dredfx_analysis_process(st, pcm, n, features_q16, max_frames)
 *
 * The state keeps pointers into the weights arrays: they must outlive it. The kernel table of the
 * CPU level in use is chosen once, at init (every level gives the same integers). */
#ifndef DREDFX_ANALYSIS_ANALYSIS_H
#define DREDFX_ANALYSIS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "dredfx.h"
#include "nn/nn.h"

#define DREDFX_ANALYSIS_FRAME 160        /* 16 kHz samples per feature frame (10 ms) */
#define DREDFX_ANALYSIS_NB_FEATURES 20
#define DREDFX_ANALYSIS_NB_BANDS 18
#define DREDFX_ANALYSIS_LPC_ORDER 16
#define DREDFX_ANALYSIS_PITCH_MAX 256
#define DREDFX_ANALYSIS_NB_XCORR 224     /* lags 256 down to 33 */
#define DREDFX_ANALYSIS_IF_BINS 30
#define DREDFX_ANALYSIS_NB_IF 88
#define DREDFX_ANALYSIS_GRU 64
#define DREDFX_ANALYSIS_RESAMPLE_ORDER 7

/* The pitch DNN (libopus dnn/pitchdnn.c) and its recurrent state. */
typedef struct {
  dredfx_nn_linear if1, if2, down, gru_in, gru_rec, up, conv1, conv2;
  int16_t gru_a15[DREDFX_ANALYSIS_GRU];
  int16_t conv1_mem[2 * (DREDFX_ANALYSIS_NB_XCORR + 2)];
  int16_t conv2_mem[2 * 4 * (DREDFX_ANALYSIS_NB_XCORR + 2)];
} dredfx_pitchdnn;

typedef struct {
  const dredfx_nn_kernels *k;
  /* cross-correlation kernel of the CPU level (scalar or AVX2, identical integers) */
  void (*xcorr)(const int32_t *x, const int32_t *y, int64_t *xc);
  dredfx_pitchdnn dnn;
  /* compute_frame_features state (libopus LPCNetEncState); input Q8, pitch-path signals Q4 */
  int32_t preemph_prev_q8;               /* previous input sample */
  int32_t analysis_mem_q8[DREDFX_ANALYSIS_FRAME]; /* pre-emphasized previous frame */
  /* previous spectrum bins 0..29, in that frame's Q(14 + fs) (docs/fixed-point.md 8.1) */
  int32_t prev_if_re[DREDFX_ANALYSIS_IF_BINS], prev_if_im[DREDFX_ANALYSIS_IF_BINS];
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
} dredfx_analysis_state;

size_t dredfx_analysis_get_size(void);
/* Loads the pitch DNN from a parsed weights blob (DREDFX_ERR_WEIGHTS_MISSING/_SHAPE), zeroes the
 * state, 16 kHz input. */
int dredfx_analysis_init(dredfx_analysis_state *st, const dredfx_weight_array *arrays, int n);
/* Sets the input rate and clears every signal state (the model stays). DREDFX_ERR_BAD_ARG for
 * another rate. */
int dredfx_analysis_set_rate(dredfx_analysis_state *st, int sampling_rate);
/* Inserts n zero 16 kHz samples before the next input (n + the samples waiting for a frame must
 * stay below 160): libopus' DRED encoder starts its 16 kHz buffer with DRED_SILK_ENCODER_DELAY = 11
 * zeros, which no input-rate padding reproduces at 8, 12 and 24 kHz. DREDFX_ERR_BAD_ARG otherwise. */
int dredfx_analysis_delay16k(dredfx_analysis_state *st, int n);
/* Feeds n mono int16 samples at the input rate; writes one row of 20 features (Q16) per completed
 * 160-sample 16 kHz frame, at most max_frames rows (a call that would complete more returns
 * DREDFX_ERR_BUFFER_TOO_SMALL and consumes nothing). Returns the number of rows written. At 16 kHz
 * the frames are libopus fargan_demo -features' frames; at other rates, the samples libopus'
 * DRED encoder converts to 16 kHz (dred_convert_to_16k). */
int dredfx_analysis_process(dredfx_analysis_state *st, const int16_t *pcm, int n, int32_t *features_q16,
                            int max_frames);
/* The number of rows dredfx_analysis_process would write for n more samples. */
int dredfx_analysis_frames_for(const dredfx_analysis_state *st, int n);

/* One frame: 160 16 kHz samples in Q8 (|x| < 2^24) -> 20 features in Q16. */
void dredfx_analysis_frame(dredfx_analysis_state *st, const int32_t *x_q8, int32_t *features_q16);

/* Helpers (exposed for the tests). */
/* libopus 1.6.1 celt_log2 of v / 2^q (v > 0), Q24. */
int32_t dredfx_an_log2_q24(uint64_t v, int q);
/* floor(sqrt(v)). */
uint32_t dredfx_an_isqrt64(uint64_t v);
/* 320-point forward FFT, Q14 in and out (radices 4, 4, 4, 5). */
void dredfx_an_fft320(int32_t *re, int32_t *im);

void dredfx_an_xcorr_avx2(const int32_t *x, const int32_t *y, int64_t *xc);

/* Pitch DNN: IF features (88, a15) and xcorr features (224, Q14) -> f18 (dnn_pitch) in Q16. */
int32_t dredfx_pitchdnn_compute(const dredfx_nn_kernels *k, dredfx_pitchdnn *p, const int16_t *if_a15,
                                const int16_t *xcorr_q14);
int dredfx_pitchdnn_init(dredfx_pitchdnn *p, const dredfx_weight_array *arrays, int n);

/* Generated tables (analysis_tables.c, tools/gen_analysis_tables.py). */
extern const int32_t dredfx_an_window_q30[160];
extern const int32_t dredfx_an_cos_q30[320];
extern const int32_t dredfx_an_sin_q30[320];
extern const int32_t dredfx_an_dct_q30[18 * 18];

#endif
