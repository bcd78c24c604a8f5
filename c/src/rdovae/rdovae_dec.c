/* RDO-VAE decoder: libopus 1.6.1 dnn/dred_rdovae_dec.c (DRED_rdovae_decode_all,
 * dred_rdovae_dec_init_states, dred_rdovae_decode_qframe) on the fixed-point engine.
 * Network: libopus dnn/dred_rdovae_dec.c; formats: docs/fixed-point.md. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "nn/kernels.h"
#include "nn/layer.h"
#include "nn/nn.h"

#define RDOVAE_STAGES 5       /* GRU + GLU + conv-dense + conv, five times */
#define RDOVAE_HIDDEN 128     /* dec_hidden_init outputs */
#define RDOVAE_GRU 64         /* units of each GRU, outputs of each GLU */
#define RDOVAE_CONV 32        /* outputs of each conv-dense and conv */
#define RDOVAE_DENSE1 96      /* dec_dense1 outputs */
#define RDOVAE_STAGE_OUT (RDOVAE_GRU + RDOVAE_CONV)
#define RDOVAE_BUFFER (RDOVAE_DENSE1 + RDOVAE_STAGES * RDOVAE_STAGE_OUT) /* 576 */
#define RDOVAE_QFRAME (4 * DREDFX_DRED_NUM_FEATURES)                     /* 80 */
#define RDOVAE_MAGIC 0x52564445u                                          /* "RVDE" */

/* The dequantized inputs of the two float-weight layers are Q16 int32 (dredfx_dred_dequantize):
 * real payloads reach |state| 261 and |latent| 128 (measured on the interop data), and the
 * encoder network bounds them only by ~900, so no int16 Q fits both range and precision: they go
 * through the engine's 32-bit wide path as they are (dredfx_nn_dense_i32, Q16 in, 31-bit weights,
 * exact sums). */

/* Output rows of the int8 layers (all multiples of 8): gru_init, output, and per stage the GRU's
 * input and recurrent layers, the GLU, the conv-dense and the conv. */
#define RDOVAE_INT8_ROWS \
  (RDOVAE_STAGES * RDOVAE_GRU + RDOVAE_QFRAME + RDOVAE_STAGES * (7 * RDOVAE_GRU + 2 * RDOVAE_CONV))

struct dredfx_rdovae_dec {
  uint32_t magic;
  const dredfx_nn_kernels *k;
  dredfx_nn_linear hidden_init, gru_init, dense1, output;
  dredfx_nn_linear gru_input[RDOVAE_STAGES], gru_recurrent[RDOVAE_STAGES], glu[RDOVAE_STAGES];
  dredfx_nn_linear conv_dense[RDOVAE_STAGES], conv[RDOVAE_STAGES];
  /* The layers' load-time constants (dredfx_nn_linear_prepare): the engine's faster exact paths. */
  int32_t wsum[RDOVAE_INT8_ROWS];
  int64_t rq[DREDFX_NN_RQ_LEN(RDOVAE_INT8_ROWS)];
  /* Byte-form indices of the long-group sparse layers (nn/layer.h): libopus 1.6.1's dec_output,
   * dec_conv_dense2 and dec_conv_dense3 take 1,154 bytes. */
  uint8_t idx8[1280];
};

/* libopus' RDOVAEDecState, cleared for every decode_all as libopus does. */
typedef struct {
  int16_t gru_a15[RDOVAE_STAGES][RDOVAE_GRU];
  int16_t conv_mem_a15[RDOVAE_STAGES][RDOVAE_CONV];
} rdovae_dec_state;

size_t dredfx_rdovae_dec_get_size(void) {
  return sizeof(dredfx_rdovae_dec);
}

int dredfx_rdovae_dec_init(dredfx_rdovae_dec *st, const dredfx_weight_array *arrays, int n) {
  char name[32];
  int rc;
  if (st == NULL || arrays == NULL || n < 0) return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  st->k = dredfx_nn_get_kernels();
  if ((rc = dredfx_nn_linear_init(&st->hidden_init, arrays, n, "dec_hidden_init", DREDFX_DRED_STATE_DIM,
                                  RDOVAE_HIDDEN, 1)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->gru_init, arrays, n, "dec_gru_init", RDOVAE_HIDDEN,
                                  RDOVAE_STAGES * RDOVAE_GRU, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->dense1, arrays, n, "dec_dense1", DREDFX_RDOVAE_LATENT_STRIDE,
                                  RDOVAE_DENSE1, 1)) < 0 ||
      (rc = dredfx_nn_linear_init(&st->output, arrays, n, "dec_output", RDOVAE_BUFFER, RDOVAE_QFRAME, 0)) < 0)
    return rc;
  for (int s = 0; s < RDOVAE_STAGES; s++) {
    /* Stage s + 1 reads the buffer as it is after stage s (libopus' buffer layout). */
    const int gru_in = RDOVAE_DENSE1 + s * RDOVAE_STAGE_OUT;
    const struct { dredfx_nn_linear *l; const char *fmt; int nin, nout; } t[] = {
      {&st->gru_input[s], "dec_gru%d_input", gru_in, 3 * RDOVAE_GRU},
      {&st->gru_recurrent[s], "dec_gru%d_recurrent", RDOVAE_GRU, 3 * RDOVAE_GRU},
      {&st->glu[s], "dec_glu%d", RDOVAE_GRU, RDOVAE_GRU},
      {&st->conv_dense[s], "dec_conv_dense%d", gru_in + RDOVAE_GRU, RDOVAE_CONV},
      {&st->conv[s], "dec_conv%d", 2 * RDOVAE_CONV, RDOVAE_CONV},
    };
    for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++) {
      snprintf(name, sizeof(name), t[i].fmt, s + 1);
      if ((rc = dredfx_nn_linear_init(t[i].l, arrays, n, name, t[i].nin, t[i].nout, 0)) < 0) return rc;
    }
  }
  dredfx_nn_prep_pool pool = {st->wsum, st->rq, (int)DREDFX_ARRAY_LEN(st->wsum), (int)DREDFX_ARRAY_LEN(st->rq),
                              st->idx8, (int)sizeof(st->idx8)};
  dredfx_nn_linear *const layers[] = {&st->gru_init, &st->output};
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(layers); i++)
    if ((rc = dredfx_nn_linear_prepare_from(layers[i], &pool)) < 0) return rc;
  for (int s = 0; s < RDOVAE_STAGES; s++)
    if ((rc = dredfx_nn_linear_prepare_from(&st->gru_input[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->gru_recurrent[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->glu[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->conv_dense[s], &pool)) < 0 ||
        (rc = dredfx_nn_linear_prepare_from(&st->conv[s], &pool)) < 0)
      return rc;
  st->magic = RDOVAE_MAGIC;
  return DREDFX_OK;
}

/* dred_rdovae_dec_init_states: GRU states from the initial state, conv memories zero. */
static int rdovae_init_states(const dredfx_rdovae_dec *st, rdovae_dec_state *h, const int32_t *state_q16) {
  int16_t hidden[RDOVAE_HIDDEN];
  int rc = dredfx_nn_dense_i32(st->k, &st->hidden_init, DREDFX_NN_ACT_TANH, hidden, state_q16, 16);
  if (rc < 0) return rc;
  memset(h, 0, sizeof(*h));
  return dredfx_nn_dense(st->k, &st->gru_init, DREDFX_NN_ACT_TANH, &h->gru_a15[0][0], hidden);
}

/* dred_rdovae_decode_qframe: one latent (26 values) -> 4 frames of 20 features, newest first. */
static int rdovae_decode_qframe(const dredfx_rdovae_dec *st, rdovae_dec_state *h, int32_t *qframe_q16,
                                const int32_t *latent_q16) {
  int16_t buffer[RDOVAE_BUFFER], conv_in[RDOVAE_CONV];
  int pos = RDOVAE_DENSE1, rc;
  if ((rc = dredfx_nn_dense_i32(st->k, &st->dense1, DREDFX_NN_ACT_TANH, buffer, latent_q16, 16)) < 0) return rc;
  for (int s = 0; s < RDOVAE_STAGES; s++) {
    /* The GRU reads the buffer so far; its GLU-gated state, not the state, extends the buffer. */
    if ((rc = dredfx_nn_gru(st->k, &st->gru_input[s], &st->gru_recurrent[s], h->gru_a15[s], buffer)) < 0 ||
        (rc = dredfx_nn_glu(st->k, &st->glu[s], &buffer[pos], h->gru_a15[s])) < 0)
      return rc;
    pos += RDOVAE_GRU;
    if ((rc = dredfx_nn_dense(st->k, &st->conv_dense[s], DREDFX_NN_ACT_TANH, conv_in, buffer)) < 0 ||
        (rc = dredfx_nn_conv1d(st->k, &st->conv[s], DREDFX_NN_ACT_TANH, &buffer[pos], h->conv_mem_a15[s],
                               conv_in, RDOVAE_CONV, 1)) < 0)
      return rc;
    pos += RDOVAE_CONV;
  }
  /* Linear output: the p16 values are the features in Q16. */
  return dredfx_nn_linear_a15(st->k, &st->output, qframe_q16, buffer);
}

int dredfx_rdovae_decode_all(const dredfx_rdovae_dec *st, const int32_t *state_q16,
                             const int32_t *latents_q16, int nb_latents, int32_t *features_q16) {
  rdovae_dec_state h;
  if (st == NULL || st->magic != RDOVAE_MAGIC || state_q16 == NULL || nb_latents < 0 ||
      nb_latents > DREDFX_DRED_MAX_LATENTS || (nb_latents > 0 && (latents_q16 == NULL || features_q16 == NULL)))
    return DREDFX_ERR_BAD_ARG;
  int rc = rdovae_init_states(st, &h, state_q16);
  if (rc < 0) return rc;
  for (int c = 0; c < nb_latents; c++) {
    rc = rdovae_decode_qframe(st, &h, &features_q16[c * RDOVAE_QFRAME],
                              &latents_q16[c * DREDFX_RDOVAE_LATENT_STRIDE]);
    if (rc < 0) return rc;
  }
  return 4 * nb_latents;
}

int dredfx_rdovae_decode_payload(const dredfx_rdovae_dec *st, const dredfx_dred_payload *p,
                                 const dredfx_dred_stats *stats, int32_t *features_q16) {
  int32_t state_q16[DREDFX_DRED_STATE_DIM];
  int32_t latents_q16[DREDFX_DRED_MAX_LATENTS * DREDFX_RDOVAE_LATENT_STRIDE];
  int rc = dredfx_dred_dequantize(p, stats, state_q16, latents_q16);
  if (rc < 0) return rc;
  return dredfx_rdovae_decode_all(st, state_q16, latents_q16, p->nb_latents, features_q16);
}
