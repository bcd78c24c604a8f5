/* Neural PLC, internals: libopus 1.6.1's LPCNetPLCState (dnn/lpcnet_private.h, dnn/lpcnet_plc.c)
 * in fixed point. The public API (dredfx_plc_get_size, _init, _reset, _update, _conceal,
 * _fec_clear, _fec_add) is in dredfx.h. The full layout is here because libopus' codec embeds the
 * state by value and reads and writes its first five fields directly (same names and meanings as
 * libopus' fields). Formats and bounds: docs/fixed-point.md, "PLC". */
#ifndef DREDFX_PLC_PLC_H
#define DREDFX_PLC_PLC_H

#include <stdint.h>

#include "analysis/analysis.h"
#include "dredfx.h"
#include "fargan/fargan.h"
#include "nn/nn.h"

#define DREDFX_PLC_FRAME 160
#define DREDFX_PLC_NB_FEATURES 20
#define DREDFX_PLC_NB_BANDS 18
#define DREDFX_PLC_MAX_FEC 104   /* libopus' PLC_MAX_FEC */
#define DREDFX_PLC_CONT_VECTORS 5
#define DREDFX_PLC_BUF_SIZE ((DREDFX_PLC_CONT_VECTORS + 10) * DREDFX_PLC_FRAME) /* 2400 */
#define DREDFX_PLC_GRU 192
#define DREDFX_PLC_DENSE_IN_OUT 128
/* predictor input: Burg cepstrum (2 x 18), features (20), flag (+1 analysed, -1 FEC, 0 none) */
#define DREDFX_PLC_PRED_IN (2 * DREDFX_PLC_NB_BANDS + DREDFX_PLC_NB_FEATURES + 1)
#define DREDFX_PLC_INT8_ROWS (4 * 3 * DREDFX_PLC_GRU)
/* Features entering the state (fec_add) are clamped to +-DREDFX_PLC_FEATURE_MAX_Q16 (+-256.0; real
 * features stay within +-32), so every sum on them stays far inside int32. */
#define DREDFX_PLC_FEATURE_MAX_Q16 (256 << 16)

/* libopus PLCNetState: the predictor's two GRU states (a15). */
typedef struct {
  int16_t gru1[DREDFX_PLC_GRU];
  int16_t gru2[DREDFX_PLC_GRU];
} dredfx_plc_net;

typedef struct dredfx_plc {
  /* libopus' fields read and written by its codec (celt_decoder.c, silk/PLC.c, opus_decoder.c) */
  int loaded;       /* the models are loaded */
  int blend;        /* 1 while concealing (the next good frame blends out of concealment) */
  int fec_read_pos; /* FEC queue: next entry to read */
  int fec_fill_pos; /* FEC queue: entries added */
  int fec_skip;     /* FEC queue: pending "skip" entries (fec_add(NULL)) */
  /* the rest of libopus' LPCNetPLCState */
  int analysis_gap, analysis_pos, predict_pos, loss_count;
  int32_t fec_q16[DREDFX_PLC_MAX_FEC][DREDFX_PLC_NB_FEATURES];
  int16_t pcm[DREDFX_PLC_BUF_SIZE]; /* history: libopus' float pcm times 32768, exactly */
  int32_t features_q16[DREDFX_PLC_NB_FEATURES];
  int32_t cont_features_q16[DREDFX_PLC_CONT_VECTORS * DREDFX_PLC_NB_FEATURES];
  dredfx_plc_net net, bak[2];
  /* the predictor (libopus PLCModel) */
  const dredfx_nn_kernels *k;
  dredfx_nn_linear dense_in, gru1_in, gru1_rec, gru2_in, gru2_rec, dense_out;
  int32_t wsum[DREDFX_PLC_INT8_ROWS];
  int64_t rq[DREDFX_NN_RQ_LEN(DREDFX_PLC_INT8_ROWS)];
  /* plc_dense_in's output for the all-zero input (a prediction with neither analysis nor FEC:
   * every concealed frame without DRED), computed once at init */
  int16_t dense_in_zero_a15[DREDFX_PLC_DENSE_IN_OUT];
  /* Burg: reflection coefficients clamped to |k| < 1 (rounding only; counted, docs), in the
   * cepstra the predictor reads */
  uint32_t sat_burg;
  dredfx_analysis enc; /* libopus' LPCNetEncState: features of the good audio */
  dredfx_fargan fargan;
} dredfx_plc;

/* libopus burg_cepstral_analysis: one 160-sample frame (int16) -> ceps[36] in Q16 (the mean and
 * the difference of the two 80-sample halves' Burg cepstra). sat counts clamped reflection
 * coefficients. */
void dredfx_plc_burg_cepstrum(const int16_t *x, int32_t *ceps_q16, uint32_t *sat);

#endif
