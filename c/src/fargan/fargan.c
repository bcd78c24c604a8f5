/* FARGAN vocoder: libopus 1.6.1 dnn/fargan.c (compute_fargan_cond, run_fargan_subframe,
 * fargan_cont, fargan_synthesize_int) on the fixed-point engine. Network: libopus dnn/fargan.c;
 * signal formats (Q28 signal, float-like gain, reciprocal): docs/fixed-point.md, "FARGAN signal
 * formats". */
#include <string.h>

#include "common/common.h"
#include "fargan/fargan.h"
#include "nn/kernels.h"
#include "nn/layer.h"
#include "nn/nn.h"

#define FARGAN_MAGIC 0x4E475246u /* "FRGN" */
#define PEMBED_ROWS 224
#define PEMBED_OUT 12
#define FDENSE1_OUT 64
#define FCONV1_OUT 128
#define COND_SIZE 80
#define SIG_IN (COND_SIZE + FARGAN_SUB + 4 + FARGAN_SUB) /* 164: cond | pred 44 | prev 40 */
#define FWC0_OUT 192
#define GRU1 160
#define GRU2 128
#define GRU3 128
#define SKIP_OUT 128
#define SKIP_IN (GRU1 + GRU2 + GRU3 + FWC0_OUT + 2 * FARGAN_SUB) /* 688 */
#define FARGAN_INT8_ROWS                                                                            \
  (FCONV1_OUT + 4 * COND_SIZE + FWC0_OUT + FWC0_OUT + 3 * GRU1 + 3 * GRU1 + GRU1 + 3 * GRU2 + 3 * GRU2 + \
   GRU2 + 3 * GRU3 + 3 * GRU3 + GRU3 + SKIP_OUT + SKIP_OUT + FARGAN_SUB)

#define DEEMPH_Q30 912680550    /* 0.85 in Q30 (rounded) */
#define LOG2E_Q30 1549082005    /* log2(e) in Q30 (rounded) */
#define EPS_Q46 703687442       /* 1e-5 in Q46 (rounded) */
#define GAIN_EXP_MIN (-40)      /* g < 2^-40 counts as 0 next to 1e-5 (< 1e-7 relative) */
#define GAIN_EXP_MAX 2          /* g < 8: |s| = g |tanh| stays inside Q28 */

_Static_assert(FDENSE1_OUT == FARGAN_ST_FDENSE1_OUT && SIG_IN == FARGAN_ST_SIG_IN && GRU1 == FARGAN_ST_GRU1 &&
                   GRU2 == FARGAN_ST_GRU2 && GRU3 == FARGAN_ST_GRU3 && FARGAN_INT8_ROWS == FARGAN_ST_INT8_ROWS,
               "fargan.h state sizes");

size_t dredfx_fargan_get_size(void) {
  return sizeof(dredfx_fargan);
}

int dredfx_fargan_init(dredfx_fargan *st, const dredfx_weight_array *arrays, int n) {
  int rc;
  if (st == NULL || arrays == NULL || n < 0) return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  st->k = dredfx_nn_get_kernels();
  const struct { dredfx_nn_linear *l; const char *name; int nin, nout, wide; } t[] = {
    {&st->pembed, "cond_net_pembed", PEMBED_ROWS, PEMBED_OUT, 1},
    {&st->fdense1, "cond_net_fdense1", DREDFX_DRED_NUM_FEATURES + PEMBED_OUT, FDENSE1_OUT, 1},
    {&st->fconv1, "cond_net_fconv1", 3 * FDENSE1_OUT, FCONV1_OUT, 0},
    {&st->fdense2, "cond_net_fdense2", FCONV1_OUT, 4 * COND_SIZE, 0},
    {&st->gain_dense, "sig_net_cond_gain_dense", COND_SIZE, 1, 1},
    {&st->fwc0, "sig_net_fwc0_conv", 2 * SIG_IN, FWC0_OUT, 0},
    {&st->fwc0_glu, "sig_net_fwc0_glu_gate", FWC0_OUT, FWC0_OUT, 0},
    {&st->gain_out, "sig_net_gain_dense_out", FWC0_OUT, 4, 1},
    {&st->gru_in[0], "sig_net_gru1_input", FWC0_OUT + 2 * FARGAN_SUB, 3 * GRU1, 0},
    {&st->gru_rec[0], "sig_net_gru1_recurrent", GRU1, 3 * GRU1, 0},
    {&st->gru_glu[0], "sig_net_gru1_glu_gate", GRU1, GRU1, 0},
    {&st->gru_in[1], "sig_net_gru2_input", GRU1 + 2 * FARGAN_SUB, 3 * GRU2, 0},
    {&st->gru_rec[1], "sig_net_gru2_recurrent", GRU2, 3 * GRU2, 0},
    {&st->gru_glu[1], "sig_net_gru2_glu_gate", GRU2, GRU2, 0},
    {&st->gru_in[2], "sig_net_gru3_input", GRU2 + 2 * FARGAN_SUB, 3 * GRU3, 0},
    {&st->gru_rec[2], "sig_net_gru3_recurrent", GRU3, 3 * GRU3, 0},
    {&st->gru_glu[2], "sig_net_gru3_glu_gate", GRU3, GRU3, 0},
    {&st->skip_dense, "sig_net_skip_dense", SKIP_IN, SKIP_OUT, 0},
    {&st->skip_glu, "sig_net_skip_glu_gate", SKIP_OUT, SKIP_OUT, 0},
    {&st->out_dense, "sig_net_sig_dense_out", SKIP_OUT, FARGAN_SUB, 0},
  };
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++)
    if ((rc = dredfx_nn_linear_init(t[i].l, arrays, n, t[i].name, t[i].nin, t[i].nout, t[i].wide)) < 0)
      return rc;
  /* The embedding is read as a table of w32 rows: the wide form is required. */
  if (st->pembed.w32 == NULL) return DREDFX_ERR_WEIGHTS_SHAPE;
  dredfx_nn_prep_pool pool = {st->wsum, st->rq, (int)DREDFX_ARRAY_LEN(st->wsum), (int)DREDFX_ARRAY_LEN(st->rq),
                              NULL, 0}; /* no sparse layers */
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++)
    if (!t[i].wide && (rc = dredfx_nn_linear_prepare_from(t[i].l, &pool)) < 0) return rc;
  st->magic = FARGAN_MAGIC;
  return DREDFX_OK;
}

/* Period from feature 18 (p16): floor(0.5 + 256 / 2^(f18 + 1.5)) = round(2^(6.5 - f18)), with
 * f18 clamped to [-16, 16] and the result to >= 1 (libopus reads outside its pitch buffer for a
 * period of 0, i.e. f18 > 7.5; no real feature comes near either bound). */
static int fargan_period(int32_t f18_p16) {
  const int32_t f = f18_p16 < -(16 << 16) ? -(16 << 16) : f18_p16 > (16 << 16) ? (16 << 16) : f18_p16;
  const int32_t y = (13 << 15) - f; /* 6.5 - f18, p16, in [-9.5, 22.5] */
  const int e = y >> 16;
  const int32_t frac = y & 0xFFFF;
  const int i = frac >> 8, r = frac & 255;
  const int64_t lo = dredfx_nn_exp2_table[i], hi = dredfx_nn_exp2_table[i + 1];
  const int64_t m_q30 = lo + (((hi - lo) * r + 128) >> 8); /* 2^frac in Q30, [2^30, 2^31] */
  /* round(m 2^(e - 30)): e in [-10, 22], so the shift is in [8, 40] */
  const int64_t p = (m_q30 + ((int64_t)1 << (29 - e))) >> (30 - e);
  return p < 1 ? 1 : (int)p;
}

/* compute_fargan_cond: features (Q16) and period -> cond[320] (a15). */
static int fargan_cond(dredfx_fargan *st, int16_t *cond, const int32_t *features_q16, int period) {
  int32_t dense_in[DREDFX_DRED_NUM_FEATURES + PEMBED_OUT];
  int16_t conv_in[FDENSE1_OUT], fdense2_in[FCONV1_OUT];
  int row = period - 32;
  int rc;
  row = row < 0 ? 0 : row > PEMBED_ROWS - 1 ? PEMBED_ROWS - 1 : row;
  memcpy(dense_in, features_q16, DREDFX_DRED_NUM_FEATURES * sizeof(int32_t));
  /* Embedding row: w32[i][row] / 2^wexp32_i, to Q16 rounded half up (wexp32 <= 62). */
  for (int i = 0; i < PEMBED_OUT; i++) {
    const int64_t w = st->pembed.w32[i * PEMBED_ROWS + row];
    const int s = st->pembed.wexp32[i] - 16;
    dense_in[DREDFX_DRED_NUM_FEATURES + i] = s > 0 ? DFX_SAT32(DFX_PSHR64(w, s)) : DFX_SAT32(w * ((int64_t)1 << -s));
  }
  if ((rc = dredfx_nn_dense_i32(st->k, &st->fdense1, DREDFX_NN_ACT_TANH, conv_in, dense_in, 16)) < 0 ||
      (rc = dredfx_nn_conv1d(st->k, &st->fconv1, DREDFX_NN_ACT_TANH, fdense2_in, st->cond_conv_mem, conv_in,
                             FDENSE1_OUT, 1)) < 0)
    return rc;
  return dredfx_nn_dense(st->k, &st->fdense2, DREDFX_NN_ACT_TANH, cond, fdense2_in);
}

/* v * r * 2^-shift rounded half up, clamped to [-32767, 32767]: a gain-normalised a15 input. */
static int16_t fargan_norm_a15(int32_t v_q28, int64_t r_q30, int shift) {
  const int64_t p = DFX_PSHR64(v_q28 * r_q30, shift);
  return (int16_t)(p > 32767 ? 32767 : p < -32767 ? -32767 : p);
}

/* run_fargan_subframe: out_q28[40] (de-emphasised), pitch buffer and states updated. */
static int fargan_subframe(dredfx_fargan *st, int32_t *out_q28, const int16_t *cond, int period) {
  int16_t fwc0_in[SIG_IN], pred[FARGAN_SUB + 4], prev[FARGAN_SUB];
  int16_t gru1_in[FWC0_OUT + 2 * FARGAN_SUB], gru2_in[GRU1 + 2 * FARGAN_SUB], gru3_in[GRU2 + 2 * FARGAN_SUB];
  int16_t skip_cat[SKIP_IN], skip_out[SKIP_OUT], sig[FARGAN_SUB];
  int32_t gain_p16, gates_p16[4], gates_g15[4];
  int rc;

  /* g = exp(x) = m 2^(e - 30), m = 2^frac in Q30 from the engine's exp2 table (linear
   * interpolation: <= 1e-6 relative), e clamped to [GAIN_EXP_MIN, GAIN_EXP_MAX]. */
  if ((rc = dredfx_nn_linear_a15(st->k, &st->gain_dense, &gain_p16, cond)) < 0) return rc;
  int64_t y = DFX_PSHR64((int64_t)gain_p16 * LOG2E_Q30, 30); /* x log2(e), p16 */
  int e = (int)(y >> 16);
  int64_t m_q30;
  if (e < GAIN_EXP_MIN) {
    e = GAIN_EXP_MIN;
    m_q30 = (int64_t)1 << 30;
  } else if (e > GAIN_EXP_MAX) {
    e = GAIN_EXP_MAX;
    m_q30 = ((int64_t)1 << 31) - 1;
  } else {
    const int frac = (int)(y & 0xFFFF), i = frac >> 8, r = frac & 255;
    const int64_t lo = dredfx_nn_exp2_table[i], hi = dredfx_nn_exp2_table[i + 1];
    m_q30 = lo + (((hi - lo) * r + 128) >> 8);
  }
  /* D = g + 1e-5 in Q46 (g < 8: D < 2^49.1; D >= EPS_Q46 > 2^29), normalised to
   * Dn = D 2^-sh in [2^30, 2^31); 1/D = r 2^(-15 - sh) with r = round(2^61 / Dn) in (2^30, 2^31]. */
  const int64_t d_q46 = (e + 16 >= 0 ? m_q30 << (e + 16) : DFX_PSHR64(m_q30, -(e + 16))) + EPS_Q46;
  int sh = 0;
  while ((d_q46 >> sh) >= ((int64_t)1 << 31)) sh++;
  if (sh == 0)
    while ((d_q46 << -sh) < ((int64_t)1 << 30)) sh--;
  const int64_t dn = sh >= 0 ? d_q46 >> sh : d_q46 << -sh; /* sh >= 0 truncates: < 2^-30 relative */
  const int64_t r_q30 = (((int64_t)1 << 61) + dn / 2) / dn;
  /* a15 = v_q28 g^-1 2^-13 = v_q28 r 2^-(28 + sh), shift in [27, 46] */
  const int nshift = 28 + sh;

  int pos = FARGAN_PITCH_BUF - period - 2;
  for (int i = 0; i < FARGAN_SUB + 4; i++) {
    pred[i] = fargan_norm_a15(st->pitch_buf_q28[pos < 0 ? 0 : pos], r_q30, nshift);
    pos++;
    if (pos == FARGAN_PITCH_BUF) pos -= period;
  }
  for (int i = 0; i < FARGAN_SUB; i++)
    prev[i] = fargan_norm_a15(st->pitch_buf_q28[FARGAN_PITCH_BUF - FARGAN_SUB + i], r_q30, nshift);

  memcpy(fwc0_in, cond, COND_SIZE * sizeof(int16_t));
  memcpy(&fwc0_in[COND_SIZE], pred, sizeof(pred));
  memcpy(&fwc0_in[COND_SIZE + FARGAN_SUB + 4], prev, sizeof(prev));
  if ((rc = dredfx_nn_conv1d(st->k, &st->fwc0, DREDFX_NN_ACT_TANH, gru1_in, st->fwc0_mem, fwc0_in, SIG_IN, 1)) < 0 ||
      (rc = dredfx_nn_glu(st->k, &st->fwc0_glu, gru1_in, gru1_in)) < 0 ||
      (rc = dredfx_nn_linear_a15(st->k, &st->gain_out, gates_p16, gru1_in)) < 0)
    return rc;
  /* Pitch gates as g15 (exact 0 and 1.0): gated pred = PSHR32(g pred, 15), within int16. */
  dredfx_nn_sigmoid_gate(gates_g15, gates_p16, 4);

  int16_t *const gin[3] = {gru1_in, gru2_in, gru3_in};
  int16_t *const gout[3] = {gru2_in, gru3_in, &skip_cat[GRU1 + GRU2]};
  int16_t *const state[3] = {st->gru1, st->gru2, st->gru3};
  const int width[3] = {FWC0_OUT, GRU1, GRU2};
  for (int g = 0; g < 3; g++) {
    for (int i = 0; i < FARGAN_SUB; i++) gin[g][width[g] + i] = (int16_t)DFX_PSHR32(gates_g15[g] * pred[i + 2], 15);
    memcpy(&gin[g][width[g] + FARGAN_SUB], prev, sizeof(prev));
    if ((rc = dredfx_nn_gru(st->k, &st->gru_in[g], &st->gru_rec[g], state[g], gin[g])) < 0 ||
        (rc = dredfx_nn_glu(st->k, &st->gru_glu[g], gout[g], state[g])) < 0)
      return rc;
  }
  memcpy(skip_cat, gru2_in, GRU1 * sizeof(int16_t));
  memcpy(&skip_cat[GRU1], gru3_in, GRU2 * sizeof(int16_t));
  memcpy(&skip_cat[GRU1 + GRU2 + GRU3], gru1_in, FWC0_OUT * sizeof(int16_t));
  for (int i = 0; i < FARGAN_SUB; i++)
    skip_cat[GRU1 + GRU2 + GRU3 + FWC0_OUT + i] = (int16_t)DFX_PSHR32(gates_g15[3] * pred[i + 2], 15);
  memcpy(&skip_cat[GRU1 + GRU2 + GRU3 + FWC0_OUT + FARGAN_SUB], prev, sizeof(prev));
  if ((rc = dredfx_nn_dense(st->k, &st->skip_dense, DREDFX_NN_ACT_TANH, skip_out, skip_cat)) < 0 ||
      (rc = dredfx_nn_glu(st->k, &st->skip_glu, skip_out, skip_out)) < 0 ||
      (rc = dredfx_nn_dense(st->k, &st->out_dense, DREDFX_NN_ACT_TANH, sig, skip_out)) < 0)
    return rc;

  /* s = g sig: sig_a15 m_q30 2^(e - 30) in Q28 = PSHR(sig m, 17 - e), shift in [15, 57];
   * |s| < 8 by the exponent clamp, saturated anyway. */
  memmove(st->pitch_buf_q28, &st->pitch_buf_q28[FARGAN_SUB], (FARGAN_PITCH_BUF - FARGAN_SUB) * sizeof(int32_t));
  for (int i = 0; i < FARGAN_SUB; i++) {
    const int32_t s = DFX_SAT32(DFX_PSHR64((int64_t)sig[i] * m_q30, 17 - e));
    st->pitch_buf_q28[FARGAN_PITCH_BUF - FARGAN_SUB + i] = s;
    /* de-emphasis: out = s + 0.85 out[-1] (Q28, saturated: the int16 output clamps far below) */
    st->deemph_q28 = DFX_SAT32((int64_t)s + DFX_PSHR64((int64_t)st->deemph_q28 * DEEMPH_Q30, 30));
    out_q28[i] = st->deemph_q28;
  }
  return DREDFX_OK;
}

int dredfx_fargan_cont(dredfx_fargan *st, const int16_t *pcm, const int32_t *features_q16) {
  int16_t cond[4 * COND_SIZE];
  int32_t x0[FARGAN_CONT_SAMPLES], dummy[FARGAN_SUB];
  int period = 0, rc;
  if (st == NULL || st->magic != FARGAN_MAGIC || pcm == NULL || features_q16 == NULL) return DREDFX_ERR_BAD_ARG;
  for (int i = 0; i < 5; i++) {
    st->last_period = period;
    period = fargan_period(features_q16[i * DREDFX_DRED_NUM_FEATURES + 18]);
    if ((rc = fargan_cond(st, cond, &features_q16[i * DREDFX_DRED_NUM_FEATURES], period)) < 0) return rc;
  }
  /* pre-emphasis in Q28: p << 13 - 0.85 p[-1] << 13 */
  x0[0] = 0;
  for (int i = 1; i < FARGAN_CONT_SAMPLES; i++)
    x0[i] = (int32_t)pcm[i] * 8192 - (int32_t)DFX_PSHR64((int64_t)pcm[i - 1] * DEEMPH_Q30, 17);
  memcpy(&st->pitch_buf_q28[FARGAN_PITCH_BUF - FARGAN_FRAME], x0, FARGAN_FRAME * sizeof(int32_t));
  st->cont_initialized = 1;
  for (int i = 0; i < 4; i++) {
    if ((rc = fargan_subframe(st, dummy, &cond[i * COND_SIZE], st->last_period)) < 0) return rc;
    memcpy(&st->pitch_buf_q28[FARGAN_PITCH_BUF - FARGAN_SUB], &x0[FARGAN_FRAME + i * FARGAN_SUB],
           FARGAN_SUB * sizeof(int32_t));
  }
  st->deemph_q28 = (int32_t)pcm[FARGAN_CONT_SAMPLES - 1] * 8192;
  return DREDFX_OK;
}

int dredfx_fargan_synthesize_q28(dredfx_fargan *st, int32_t *out_q28, const int32_t *features_q16) {
  int16_t cond[4 * COND_SIZE];
  int rc;
  if (st == NULL || st->magic != FARGAN_MAGIC || !st->cont_initialized || out_q28 == NULL || features_q16 == NULL)
    return DREDFX_ERR_BAD_ARG;
  const int period = fargan_period(features_q16[18]);
  if ((rc = fargan_cond(st, cond, features_q16, period)) < 0) return rc;
  for (int i = 0; i < 4; i++)
    if ((rc = fargan_subframe(st, &out_q28[i * FARGAN_SUB], &cond[i * COND_SIZE], st->last_period)) < 0) return rc;
  st->last_period = period;
  return DREDFX_OK;
}

int dredfx_fargan_synthesize_int16(dredfx_fargan *st, int16_t *out, const int32_t *features_q16) {
  int32_t y[FARGAN_FRAME];
  if (out == NULL) return DREDFX_ERR_BAD_ARG;
  int rc = dredfx_fargan_synthesize_q28(st, y, features_q16);
  if (rc < 0) return rc;
  /* floor(0.5 + clamp(32768 y, -32767, 32767)) */
  for (int i = 0; i < FARGAN_FRAME; i++) {
    const int32_t v = (int32_t)(((int64_t)y[i] + 4096) >> 13);
    out[i] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
  }
  return DREDFX_OK;
}
