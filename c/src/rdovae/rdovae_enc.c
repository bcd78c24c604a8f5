/* RDO-VAE encoder: libopus 1.6.1 dnn/dred_rdovae_enc.c (dred_rdovae_encode_dframe) on the
 * fixed-point engine (layer list: libopus dnn/dred_rdovae_enc.c); formats: docs/fixed-point.md. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "nn/layer.h"
#include "rdovae/rdovae_enc.h"

#define RDOVAE_ENC_DENSE1 64                                  /* enc_dense1 outputs */
#define RDOVAE_ENC_STAGE_OUT (RDOVAE_ENC_GRU + RDOVAE_ENC_CONV) /* 96 */
#define RDOVAE_ENC_BUFFER (RDOVAE_ENC_DENSE1 + RDOVAE_ENC_STAGES * RDOVAE_ENC_STAGE_OUT) /* 544 */
#define RDOVAE_ENC_INPUT (2 * DREDFX_DRED_NUM_FEATURES)          /* two 10 ms frames */
#define RDOVAE_ENC_HIDDEN 128                                   /* gdense1 outputs */
#define RDOVAE_ENC_PADDED_LATENT 32                             /* enc_zdense outputs */
#define RDOVAE_ENC_PADDED_STATE 56                              /* gdense2 outputs */
#define RDOVAE_ENC_MAGIC 0x52564e45u                            /* "ENVR" */

/* enc_dense1 has float weights in libopus: the Q16 features go through the engine's 32-bit wide
 * path as they are (dredfx_nn_dense_i32: 31-bit weights, exact sums, no input rounding). */

size_t dredfx_rdovae_enc_get_size(void) {
  return sizeof(dredfx_rdovae_enc);
}

void dredfx_rdovae_enc_reset(dredfx_rdovae_enc *st) {
  if (st == NULL) return;
  memset(st->gru_a15, 0, sizeof(st->gru_a15));
  memset(st->conv_mem_a15, 0, sizeof(st->conv_mem_a15));
}

/* All 24 layers of init_rdovaeenc with libopus' sizes; the blob's converted records (layer.h). */
static int rdovae_enc_load(dredfx_rdovae_enc *st, const dredfx_weight_array *arrays, int n) {
  char name[32];
  int rc;
  if ((rc = dredfx_nn_linear_init(&st->dense1, arrays, n, "enc_dense1", RDOVAE_ENC_INPUT,
                                  RDOVAE_ENC_DENSE1, 1)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->zdense, arrays, n, "enc_zdense", RDOVAE_ENC_BUFFER,
                                  RDOVAE_ENC_PADDED_LATENT, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->gdense1, arrays, n, "gdense1", RDOVAE_ENC_BUFFER,
                                  RDOVAE_ENC_HIDDEN, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->gdense2, arrays, n, "gdense2", RDOVAE_ENC_HIDDEN,
                                  RDOVAE_ENC_PADDED_STATE, 0)) < 0)
    return rc;
  for (int s = 0; s < RDOVAE_ENC_STAGES; s++) {
    /* GRU s + 1 reads the buffer as it is after stage s; its conv-dense reads it after the GRU. */
    const int gru_in = RDOVAE_ENC_DENSE1 + s * RDOVAE_ENC_STAGE_OUT;
    const struct { dredfx_nn_linear *l; const char *fmt; int nin, nout; } t[] = {
      {&st->gru_input[s], "enc_gru%d_input", gru_in, 3 * RDOVAE_ENC_GRU},
      {&st->gru_recurrent[s], "enc_gru%d_recurrent", RDOVAE_ENC_GRU, 3 * RDOVAE_ENC_GRU},
      {&st->conv_dense[s], "enc_conv_dense%d", gru_in + RDOVAE_ENC_GRU, RDOVAE_ENC_CONV},
      {&st->conv[s], "enc_conv%d", 2 * RDOVAE_ENC_CONV, RDOVAE_ENC_CONV},
    };
    for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++) {
      snprintf(name, sizeof(name), t[i].fmt, s + 1);
      if ((rc = dredfx_nn_linear_init(t[i].l, arrays, n, name, t[i].nin, t[i].nout, 0)) < 0) return rc;
    }
  }
  dredfx_nn_prep_pool pool = {st->wsum, st->rq, (int)DREDFX_ARRAY_LEN(st->wsum), (int)DREDFX_ARRAY_LEN(st->rq),
                              st->idx8, (int)sizeof(st->idx8)};
  dredfx_nn_linear *const layers[] = {&st->zdense, &st->gdense1, &st->gdense2};
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(layers); i++)
    if ((rc = dredfx_nn_linear_prepare_from(layers[i], &pool)) < 0) return rc;
  for (int s = 0; s < RDOVAE_ENC_STAGES; s++)
    if ((rc = dredfx_nn_linear_prepare_from(&st->gru_input[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->gru_recurrent[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->conv_dense[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->conv[s], &pool)) < 0)
      return rc;
  return DREDFX_OK;
}

int dredfx_rdovae_enc_init(dredfx_rdovae_enc *st, const dredfx_weight_array *arrays, int n) {
  int rc;
  if (st == NULL || arrays == NULL || n < 0) return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  if ((rc = rdovae_enc_load(st, arrays, n)) < 0) {
    memset(st, 0, sizeof(*st));
    return rc;
  }
  st->k = dredfx_nn_get_kernels();
  st->magic = RDOVAE_ENC_MAGIC;
  return DREDFX_OK;
}

int dredfx_rdovae_encode_dframe(dredfx_rdovae_enc *st, const int32_t *features_q16, int32_t *latent_q16,
                                int32_t *state_q16) {
  int16_t buffer[RDOVAE_ENC_BUFFER], conv_in[RDOVAE_ENC_CONV], hidden[RDOVAE_ENC_HIDDEN];
  int32_t padded_latent[RDOVAE_ENC_PADDED_LATENT], padded_state[RDOVAE_ENC_PADDED_STATE];
  int pos = RDOVAE_ENC_DENSE1;
  if (st == NULL || st->magic != RDOVAE_ENC_MAGIC || features_q16 == NULL || latent_q16 == NULL ||
      state_q16 == NULL)
    return DREDFX_ERR_BAD_ARG;
  dredfx_nn_dense_i32(st->k, &st->dense1, DREDFX_NN_ACT_TANH, buffer, features_q16, 16);
  for (int s = 0; s < RDOVAE_ENC_STAGES; s++) {
    /* libopus' order: GRU on the buffer so far, its state appended; conv-dense on the buffer
     * including it; the conv (dilation 1 for the first, 2 after) appended. */
    dredfx_nn_gru(st->k, &st->gru_input[s], &st->gru_recurrent[s], st->gru_a15[s], buffer);
    memcpy(buffer + pos, st->gru_a15[s], sizeof(st->gru_a15[s]));
    pos += RDOVAE_ENC_GRU;
    dredfx_nn_dense(st->k, &st->conv_dense[s], DREDFX_NN_ACT_TANH, conv_in, buffer);
    dredfx_nn_conv1d(st->k, &st->conv[s], DREDFX_NN_ACT_TANH, buffer + pos, st->conv_mem_a15[s], conv_in,
                     RDOVAE_ENC_CONV, s == 0 ? 1 : 2);
    pos += RDOVAE_ENC_CONV;
  }
  dredfx_nn_linear_a15(st->k, &st->zdense, padded_latent, buffer);
  dredfx_nn_dense(st->k, &st->gdense1, DREDFX_NN_ACT_TANH, hidden, buffer);
  dredfx_nn_linear_a15(st->k, &st->gdense2, padded_state, hidden);
  memcpy(latent_q16, padded_latent, sizeof(int32_t) * DREDFX_DRED_LATENT_DIM);
  memcpy(state_q16, padded_state, sizeof(int32_t) * DREDFX_DRED_STATE_DIM);
  return DREDFX_OK;
}
