/* The pitch DNN (libopus 1.6.1 dnn/pitchdnn.c compute_pitchdnn) on the fixed-point engine. */
#include <string.h>

#include "analysis/analysis.h"
#include "common/common.h"
#include "nn/layer.h"

#define XC DREDFX_ANALYSIS_NB_XCORR
#define XC_PAD (XC + 2)

int dredfx_pitchdnn_init(dredfx_pitchdnn *p, const dredfx_weight_array *arrays, int n) {
  int rc;
  memset(p, 0, sizeof(*p));
  /* int8 layers, then the two conv2d layers in their 16-bit wide form (dredfx_nn_conv2d). */
  if ((rc = dredfx_nn_linear_init(&p->if1, arrays, n, "dense_if_upsampler_1", DREDFX_ANALYSIS_NB_IF, 64,
                                  0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->if2, arrays, n, "dense_if_upsampler_2", 64, 64, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->down, arrays, n, "dense_downsampler", XC + 64, 64, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->gru_in, arrays, n, "gru_1_input", 64, 3 * DREDFX_ANALYSIS_GRU, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->gru_rec, arrays, n, "gru_1_recurrent", DREDFX_ANALYSIS_GRU,
                                  3 * DREDFX_ANALYSIS_GRU, 0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->up, arrays, n, "dense_final_upsampler", DREDFX_ANALYSIS_GRU, 192,
                                  0)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->conv1, arrays, n, "conv2d_1", 1 * 3 * 3, 4, 1)) < 0 ||
      (rc = dredfx_nn_linear_init(&p->conv2, arrays, n, "conv2d_2", 4 * 3 * 3, 1, 1)) < 0)
    return rc;
  dredfx_nn_prep_pool pool = {p->wsum, p->rq, (int)DREDFX_ARRAY_LEN(p->wsum), (int)DREDFX_ARRAY_LEN(p->rq),
                              NULL, 0}; /* no sparse layers */
  dredfx_nn_linear *const layers[] = {&p->if1, &p->if2, &p->down, &p->gru_in, &p->gru_rec, &p->up};
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(layers); i++)
    if ((rc = dredfx_nn_linear_prepare_from(layers[i], &pool)) < 0) return rc;
  return DREDFX_OK;
}

int32_t dredfx_pitchdnn_compute(const dredfx_nn_kernels *k, dredfx_pitchdnn *p, const int16_t *if_a15,
                                const int16_t *xcorr_q14) {
  int16_t if1[64], down_in[XC + 64], down_out[64];
  int16_t conv_in[XC_PAD], conv1_out[4 * XC_PAD];
  int32_t out_p16[192];
  /* Return codes: every size here is fixed and checked at init. */
  dredfx_nn_dense(k, &p->if1, DREDFX_NN_ACT_TANH, if1, if_a15);
  dredfx_nn_dense(k, &p->if2, DREDFX_NN_ACT_TANH, &down_in[XC], if1);
  conv_in[0] = conv_in[XC_PAD - 1] = 0;
  memcpy(&conv_in[1], xcorr_q14, XC * sizeof(int16_t));
  /* conv2d_1 writes each channel at offset 1 of a 226-wide row whose two ends stay zero (libopus
   * zero-initialises conv1_tmp2 and writes &conv1_tmp2[1] with hstride 226). */
  memset(conv1_out, 0, sizeof(conv1_out));
  dredfx_nn_conv2d(k, &p->conv1, 1, 3, 3, DREDFX_NN_ACT_TANH, &conv1_out[1], XC_PAD, p->conv1_mem, conv_in, XC, 14);
  dredfx_nn_conv2d(k, &p->conv2, 4, 3, 3, DREDFX_NN_ACT_TANH, down_in, XC, p->conv2_mem, conv1_out, XC, 15);
  dredfx_nn_dense(k, &p->down, DREDFX_NN_ACT_TANH, down_out, down_in);
  dredfx_nn_gru(k, &p->gru_in, &p->gru_rec, p->gru_a15, down_out);
  dredfx_nn_linear_a15(k, &p->up, out_p16, p->gru_a15);
  /* libopus: first maximum over bins 0..179, the running maximum starting at -1: the maximum
   * first (no branch), then its first bin (0 when no bin passes -1). */
  int32_t maxval = -65536;
  for (int i = 0; i < 180; i++) maxval = DREDFX_MAX(maxval, out_p16[i]);
  int pos = 0;
  if (maxval > -65536)
    while (out_p16[pos] != maxval) pos++;
  /* Soft argmax over pos-2..pos+2 with weights e^(o_i - o_pos) (the common factor e^o_pos cancels). */
  int64_t sum = 0, count = 0;
  for (int i = DREDFX_MAX(0, pos - 2); i <= DREDFX_MIN(179, pos + 2); i++) {
    /* (o_i - o_pos) log2(e), log2(e) in Q30; o_i - o_pos <= 0 unless pos = 0 by the -1 rule. */
    int64_t d = (int64_t)out_p16[i] - out_p16[pos];
    int64_t x = DFX_PSHR64(d * 1549082005LL, 30);
    int32_t w = dredfx_nn_exp2_q16((int32_t)(x < -(64 << 16) ? -(64 << 16) : x > (14 << 16) ? (14 << 16) : x));
    sum += (int64_t)w * i;
    count += w;
  }
  /* index in Q16 over 60, minus 1.5 */
  int64_t idx_q16 = count > 0 ? ((sum << 16) + count / 2) / count : (int64_t)pos << 16;
  return (int32_t)((idx_q16 + 30) / 60 - 98304);
}
