/* Neural PLC: libopus 1.6.1 dnn/lpcnet_plc.c (lpcnet_plc_*) on the fixed-point engine. The state
 * machine, the queue and the order of the predictor's steps and backups are libopus' line for
 * line; the history is int16 (libopus keeps pcm / 32768 in float, which holds every int16
 * exactly, and multiplies it back before any use). Formats: docs/fixed-point.md, "PLC". */
#include <stddef.h>
#include <string.h>

#include "common/common.h"
#include "nn/layer.h"
#include "plc/plc.h"

#define N DREDFX_PLC_FRAME
#define NF DREDFX_PLC_NB_FEATURES
#define NB DREDFX_PLC_NB_BANDS
#define BUF DREDFX_PLC_BUF_SIZE

size_t dredfx_plc_get_size(void) {
  return sizeof(dredfx_plc);
}

void dredfx_plc_reset(dredfx_plc *st) {
  if (st == NULL) return;
  /* libopus clears from `fec` to the end; here that is the queue, history, features and the
   * predictor's states (the models, the analysis' DNN and FARGAN stay). */
  memset(st->fec_q16, 0, sizeof(st->fec_q16));
  memset(st->features_q16, 0, sizeof(st->features_q16));
  memset(st->cont_features_q16, 0, sizeof(st->cont_features_q16));
  memset(&st->net, 0, sizeof(st->net));
  memset(st->bak, 0, sizeof(st->bak));
  memset(st->pcm, 0, sizeof(st->pcm));
  st->fec_read_pos = st->fec_fill_pos = st->fec_skip = 0;
  if (st->loaded) dredfx_analysis_set_rate(&st->enc, 16000);
  st->blend = 0;
  st->loss_count = 0;
  st->analysis_gap = 1;
  st->analysis_pos = BUF;
  st->predict_pos = BUF;
}

static int plc_model_init(dredfx_plc *st, const dredfx_weight_array *arrays, int n) {
  const struct { dredfx_nn_linear *l; const char *name; int nin, nout, wide; } t[] = {
    {&st->dense_in, "plc_dense_in", DREDFX_PLC_PRED_IN, DREDFX_PLC_DENSE_IN_OUT, 1},
    {&st->gru1_in, "plc_gru1_input", DREDFX_PLC_DENSE_IN_OUT, 3 * DREDFX_PLC_GRU, 0},
    {&st->gru1_rec, "plc_gru1_recurrent", DREDFX_PLC_GRU, 3 * DREDFX_PLC_GRU, 0},
    {&st->gru2_in, "plc_gru2_input", DREDFX_PLC_GRU, 3 * DREDFX_PLC_GRU, 0},
    {&st->gru2_rec, "plc_gru2_recurrent", DREDFX_PLC_GRU, 3 * DREDFX_PLC_GRU, 0},
    {&st->dense_out, "plc_dense_out", DREDFX_PLC_GRU, NF, 1},
  };
  int rc;
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++)
    if ((rc = dredfx_nn_linear_init(t[i].l, arrays, n, t[i].name, t[i].nin, t[i].nout, t[i].wide)) < 0)
      return rc;
  /* the 32-bit input layer needs the w32 form (Q16 features in, any int32) */
  if (st->dense_in.w32 == NULL || st->dense_out.w32 == NULL) return DREDFX_ERR_WEIGHTS_SHAPE;
  dredfx_nn_prep_pool pool = {st->wsum, st->rq, (int)DREDFX_ARRAY_LEN(st->wsum), (int)DREDFX_ARRAY_LEN(st->rq),
                              NULL, 0}; /* no sparse layers */
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++)
    if (!t[i].wide && (rc = dredfx_nn_linear_prepare_from(t[i].l, &pool)) < 0) return rc;
  st->k = dredfx_nn_get_kernels();
  const int32_t zero[DREDFX_PLC_PRED_IN] = {0};
  dredfx_nn_dense_i32(st->k, &st->dense_in, DREDFX_NN_ACT_TANH, st->dense_in_zero_a15, zero, 16);
  return DREDFX_OK;
}

int dredfx_plc_init(dredfx_plc *st, const dredfx_weight_array *arrays, int n) {
  int rc;
  if (st == NULL) return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  if (arrays == NULL || n <= 0) {
    rc = DREDFX_ERR_WEIGHTS_MISSING;
  } else if ((rc = plc_model_init(st, arrays, n)) >= 0 && (rc = dredfx_analysis_init(&st->enc, arrays, n)) >= 0) {
    rc = dredfx_fargan_init(&st->fargan, arrays, n);
  }
  st->loaded = rc >= 0;
  dredfx_plc_reset(st);
  return rc < 0 ? rc : DREDFX_OK;
}

void dredfx_plc_fec_clear(dredfx_plc *st) {
  if (st == NULL) return;
  st->fec_read_pos = st->fec_fill_pos = st->fec_skip = 0;
}

int dredfx_plc_fec_add(dredfx_plc *st, const int32_t *features_q16) {
  if (st == NULL) return DREDFX_ERR_BAD_ARG;
  if (features_q16 == NULL) {
    st->fec_skip++;
    return DREDFX_OK;
  }
  if (st->fec_fill_pos < 0 || st->fec_fill_pos >= DREDFX_PLC_MAX_FEC) return DREDFX_ERR_BUFFER_TOO_SMALL;
  for (int i = 0; i < NF; i++)
    st->fec_q16[st->fec_fill_pos][i] = DREDFX_MAX(-DREDFX_PLC_FEATURE_MAX_Q16, DREDFX_MIN(DREDFX_PLC_FEATURE_MAX_Q16, features_q16[i]));
  st->fec_fill_pos++;
  return DREDFX_OK;
}

/* compute_plc_pred: in[57] (Q16; NULL: all zero) -> out[20] (Q16; NULL: not wanted, as for a FEC
 * frame, whose prediction libopus discards), the GRU states advance. */
static void plc_pred(dredfx_plc *st, int32_t *out_q16, const int32_t *in_q16) {
  int16_t tmp[DREDFX_PLC_DENSE_IN_OUT];
  /* the layers were checked at load and the sizes are fixed: the engine cannot refuse */
  if (in_q16 != NULL)
    dredfx_nn_dense_i32(st->k, &st->dense_in, DREDFX_NN_ACT_TANH, tmp, in_q16, 16);
  else
    memcpy(tmp, st->dense_in_zero_a15, sizeof(tmp));
  dredfx_nn_gru(st->k, &st->gru1_in, &st->gru1_rec, st->net.gru1, tmp);
  dredfx_nn_gru(st->k, &st->gru2_in, &st->gru2_rec, st->net.gru2, st->net.gru1);
  if (out_q16 != NULL) dredfx_nn_linear_a15(st->k, &st->dense_out, out_q16, st->net.gru2);
}

static int get_fec_or_pred(dredfx_plc *st, int32_t *out_q16) {
  if (st->fec_read_pos != st->fec_fill_pos && st->fec_skip == 0) {
    int32_t in[DREDFX_PLC_PRED_IN] = {0};
    memcpy(out_q16, st->fec_q16[st->fec_read_pos], NF * sizeof(int32_t));
    st->fec_read_pos++;
    /* update the predictor with the FEC frame, without Burg features */
    memcpy(&in[2 * NB], out_q16, NF * sizeof(int32_t));
    in[2 * NB + NF] = -DFX_Q16_ONE;
    plc_pred(st, NULL, in);
    return 1;
  }
  plc_pred(st, out_q16, NULL);
  if (st->fec_skip > 0) st->fec_skip--;
  return 0;
}

static void queue_features(dredfx_plc *st, const int32_t *features_q16) {
  memmove(st->cont_features_q16, &st->cont_features_q16[NF], (DREDFX_PLC_CONT_VECTORS - 1) * NF * sizeof(int32_t));
  memcpy(&st->cont_features_q16[(DREDFX_PLC_CONT_VECTORS - 1) * NF], features_q16, NF * sizeof(int32_t));
}

static void backup_net(dredfx_plc *st) {
  st->bak[0] = st->bak[1];
  st->bak[1] = st->net;
}

static void push_history(dredfx_plc *st, const int16_t *pcm) {
  memmove(st->pcm, &st->pcm[N], (BUF - N) * sizeof(int16_t));
  memcpy(&st->pcm[BUF - N], pcm, N * sizeof(int16_t));
}

int dredfx_plc_update(dredfx_plc *st, const int16_t *pcm) {
  if (st == NULL || pcm == NULL) return DREDFX_ERR_BAD_ARG;
  if (st->analysis_pos - N >= 0)
    st->analysis_pos -= N;
  else
    st->analysis_gap = 1;
  if (st->predict_pos - N >= 0) st->predict_pos -= N;
  push_history(st, pcm);
  st->loss_count = 0;
  st->blend = 0;
  return DREDFX_OK;
}

/* libopus' att_table (dB-like steps on feature 0) in Q16 */
static const int32_t att_q16[10] = {0, 0, -13107, -13107, -26214, -26214, -52429, -52429, -104858, -104858};

int dredfx_plc_conceal(dredfx_plc *st, int16_t *pcm) {
  if (st == NULL || pcm == NULL || !st->loaded) return DREDFX_ERR_BAD_ARG;
  /* a caller that wrote libopus' public fields out of their range (0 <= fec_read_pos <=
   * fec_fill_pos <= 104, fec_skip >= 0) gets an error, not a wild read */
  if (st->analysis_pos < 0 || st->analysis_pos > BUF || st->predict_pos < 0 || st->predict_pos > BUF ||
      st->fec_read_pos < 0 || st->fec_read_pos > st->fec_fill_pos || st->fec_fill_pos > DREDFX_PLC_MAX_FEC ||
      st->fec_skip < 0)
    return DREDFX_ERR_BAD_ARG;
  if (st->blend == 0) {
    int count = 0;
    st->net = st->bak[0];
    while (st->analysis_pos + N <= BUF) {
      int32_t x_q8[N], in[DREDFX_PLC_PRED_IN];
      const int16_t *x = &st->pcm[st->analysis_pos];
      for (int i = 0; i < N; i++) x_q8[i] = (int32_t)x[i] * 256;
      dredfx_analysis_frame(&st->enc, x_q8, st->features_q16);
      if ((!st->analysis_gap || count > 0) && st->analysis_pos >= st->predict_pos) {
        /* libopus computes the Burg cepstrum of every analysed frame; only the predictor reads it
         * (stateless), so frames analysed for the analysis' state alone (the first after a gap,
         * concealed frames before predict_pos) skip it */
        dredfx_plc_burg_cepstrum(x, in, &st->sat_burg);
        queue_features(st, st->features_q16);
        memcpy(&in[2 * NB], st->features_q16, NF * sizeof(int32_t));
        in[2 * NB + NF] = DFX_Q16_ONE;
        backup_net(st);
        plc_pred(st, st->features_q16, in);
      }
      st->analysis_pos += N;
      count++;
    }
    backup_net(st);
    get_fec_or_pred(st, st->features_q16);
    queue_features(st, st->features_q16);
    backup_net(st);
    get_fec_or_pred(st, st->features_q16);
    queue_features(st, st->features_q16);
    dredfx_fargan_cont(&st->fargan, &st->pcm[BUF - FARGAN_CONT_SAMPLES], st->cont_features_q16);
    st->analysis_gap = 0;
  }
  backup_net(st);
  if (get_fec_or_pred(st, st->features_q16))
    st->loss_count = 0;
  else if (st->loss_count < INT32_MAX)
    st->loss_count++;
  /* feature 0 attenuation: max(-15, f0 + att), the att growing by 2 a frame from the 10th loss
   * (int64: the loss count is unbounded) */
  int64_t f0 = st->features_q16[0];
  if (st->loss_count >= 10)
    f0 += att_q16[9] - (int64_t)2 * DFX_Q16_ONE * (st->loss_count - 9);
  else
    f0 += att_q16[st->loss_count];
  st->features_q16[0] = (int32_t)DREDFX_MAX(f0, -15 * (int64_t)DFX_Q16_ONE);
  dredfx_fargan_synthesize_int16(&st->fargan, pcm, st->features_q16);
  queue_features(st, st->features_q16);
  if (st->analysis_pos - N >= 0)
    st->analysis_pos -= N;
  else
    st->analysis_gap = 1;
  st->predict_pos = BUF;
  push_history(st, pcm);
  st->blend = 1;
  return DREDFX_OK;
}
