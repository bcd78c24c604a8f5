/* RDO-VAE encoder state (internal: the DRED encoder embeds it; callers see an opaque type). */
#ifndef DREDFX_RDOVAE_ENC_H
#define DREDFX_RDOVAE_ENC_H

#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#define RDOVAE_ENC_STAGES 5 /* GRU + conv-dense + conv, five times */
#define RDOVAE_ENC_GRU 32   /* units of each GRU */
#define RDOVAE_ENC_CONV 64  /* outputs of each conv-dense and conv */

struct dredfx_rdovae_enc {
  uint32_t magic;
  const dredfx_nn_kernels *k;
  dredfx_nn_linear dense1, zdense, gdense1, gdense2;
  dredfx_nn_linear gru_input[RDOVAE_ENC_STAGES], gru_recurrent[RDOVAE_ENC_STAGES];
  dredfx_nn_linear conv_dense[RDOVAE_ENC_STAGES], conv[RDOVAE_ENC_STAGES];
  /* The int8 layers' load-time constants (dredfx_nn_linear_prepare): rows of enc_zdense (32),
   * gdense1 (128), gdense2 (56) and per stage the GRU's two layers and the two convs. */
  int32_t wsum[32 + 128 + 56 + RDOVAE_ENC_STAGES * (6 * RDOVAE_ENC_GRU + 2 * RDOVAE_ENC_CONV)];
  int64_t rq[DREDFX_NN_RQ_LEN(32 + 128 + 56 + RDOVAE_ENC_STAGES * (6 * RDOVAE_ENC_GRU + 2 * RDOVAE_ENC_CONV))];
  /* Byte-form indices of the long-group sparse layers (nn/layer.h): libopus 1.6.1's gdense1 takes
   * 1,104 bytes. */
  uint8_t idx8[1152];
  /* libopus' RDOVAEEncState: GRU states; conv memories (conv1: the previous input; conv2..5,
   * dilation 2: the two previous inputs, oldest first). */
  int16_t gru_a15[RDOVAE_ENC_STAGES][RDOVAE_ENC_GRU];
  int16_t conv_mem_a15[RDOVAE_ENC_STAGES][2 * RDOVAE_ENC_CONV];
};

#endif
