/* NN layers on top of the kernels: input quantization, requantization, GRU, GLU, conv1d.
 * Semantics follow libopus 1.6.1 dnn/nnet.c; formats and rounding: nn.h and fixed.h. */
#include <string.h>

#include "common/common.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#define ROUND_UP(n, m) (((n) + (m) - 1) / (m) * (m))

static int sizes_ok(const dredfx_nn_linear *l) {
  return l != NULL && l->nb_inputs >= 1 && l->nb_inputs <= DREDFX_NN_MAX_INPUTS && l->nb_outputs >= 1 &&
         l->nb_outputs <= DREDFX_NN_MAX_OUTPUTS;
}

static void add_bias(const dredfx_nn_linear *l, int32_t *p16) {
  if (l->bias == NULL) return;
  for (int i = 0; i < l->nb_outputs; i++) p16[i] = DFX_ADD_SAT32(p16[i], l->bias[i]);
}

/* The int8 layers that the level's linear_u_rq cannot take in one call (its buffers live here, so
 * that the one-call path of dredfx_nn_linear_a15 sets up no stack frame for them). */
__attribute__((noinline)) static int linear_i8(const dredfx_nn_kernels *k, const dredfx_nn_linear *l,
                                               int32_t *p16_out, const int16_t *a15_in) {
  const int cols = ROUND_UP(l->nb_inputs, 4);
  const int rows = ROUND_UP(l->nb_outputs, 8);
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  if (l->mult == NULL || l->shift == NULL) return DREDFX_ERR_BAD_ARG;
  if (l->wsum != NULL) {
    /* x8 = round(127 a) with a = a15 / 32768, in [-127, 127], fed as xu = x8 + 127 (kernels.h). */
    uint8_t xu[DREDFX_NN_MAX_INPUTS];
    k->quantize_u8(xu, a15_in, l->nb_inputs);
    for (int j = l->nb_inputs; j < cols; j++) xu[j] = 127;
    if (l->rq != NULL) {
      if (l->idx != NULL)
        k->sparse_i8_u_rq(p16_out, l->w8, l->wsum, l->idx, xu, rows, l->rq, l->nb_outputs);
      else
        k->dense_i8_u_rq(p16_out, l->w8, l->wsum, xu, rows, cols, l->rq, l->nb_outputs);
      return DREDFX_OK;
    }
    if (l->idx != NULL)
      k->sparse_i8_u(acc, l->w8, l->wsum, l->idx, xu, rows);
    else
      k->dense_i8_u(acc, l->w8, l->wsum, xu, rows, cols);
  } else {
    int8_t x8[DREDFX_NN_MAX_INPUTS];
    for (int j = 0; j < l->nb_inputs; j++) x8[j] = (int8_t)DFX_PSHR32(DFX_MULT16_16(127, a15_in[j]), 15);
    for (int j = l->nb_inputs; j < cols; j++) x8[j] = 0;
    if (l->idx != NULL)
      k->sparse_i8(acc, l->w8, l->idx, x8, rows);
    else
      k->dense_i8(acc, l->w8, x8, rows, cols);
  }
  if (l->rq != NULL) {
    k->requantize_rq(p16_out, acc, l->rq, l->nb_outputs);
    return DREDFX_OK;
  }
  /* also checks every shift is in [1, 62] */
  return k->requantize(p16_out, acc, l->mult, l->shift, l->bias, l->nb_outputs) == 0 ? DREDFX_OK : DREDFX_ERR_BAD_ARG;
}

/* SAT32(v * 2^n) for 0 <= n <= 16 and |v| < 2^46. */
static int32_t sat_shl64(int64_t v, int n) {
  return DFX_SAT32(v * ((int64_t)1 << n));
}

int dredfx_nn_linear_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int16_t *x, int in_q) {
  int64_t acc[DREDFX_NN_MAX_OUTPUTS];
  if (k == NULL || !sizes_ok(l) || p16_out == NULL || x == NULL || l->w8 != NULL || l->w16 == NULL ||
      l->wexp == NULL || in_q < 0 || in_q > 31)
    return DREDFX_ERR_BAD_ARG;
  for (int i = 0; i < l->nb_outputs; i++)
    if (l->wexp[i] < 0 || l->wexp[i] > 40) return DREDFX_ERR_BAD_ARG;
  k->dense_i16(acc, l->w16, x, l->nb_outputs, l->nb_inputs);
  /* |acc| <= 2048 * 32767 * 32768 < 2^41, so the shifts below cannot overflow int64. */
  for (int i = 0; i < l->nb_outputs; i++) {
    const int s = l->wexp[i] + in_q - 16;
    p16_out[i] = s > 0 ? DFX_SAT32(DFX_PSHR64(acc[i], s)) : sat_shl64(acc[i], -s);
  }
  add_bias(l, p16_out);
  return DREDFX_OK;
}

/* SAT32(v * 2^n) for any v and 0 <= n <= 32. */
static int32_t sat_shl(int64_t v, int n) {
  if (v > INT32_MAX || v < INT32_MIN) return DFX_SAT32(v);
  return DFX_SAT32(v * ((int64_t)1 << n)); /* |v| <= 2^31: fits int64 */
}

int dredfx_nn_linear_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int32_t *x, int in_q) {
  int64_t hi[DREDFX_NN_MAX_OUTPUTS], lo[DREDFX_NN_MAX_OUTPUTS];
  if (k == NULL || !sizes_ok(l) || p16_out == NULL || x == NULL || l->w8 != NULL || l->w32 == NULL ||
      l->wexp32 == NULL || in_q < 0 || in_q > 31)
    return DREDFX_ERR_BAD_ARG;
  for (int i = 0; i < l->nb_outputs; i++)
    if (l->wexp32[i] < 0 || l->wexp32[i] > 62) return DREDFX_ERR_BAD_ARG;
  k->dense_i32(hi, lo, l->w32, x, l->nb_outputs, l->nb_inputs);
  for (int i = 0; i < l->nb_outputs; i++) {
    const int s = l->wexp32[i] + in_q - 16; /* in [-16, 77] */
    /* acc = 2^16 t + r, |t| < 2^58, 0 <= r < 2^16 */
    const int64_t t = DFX_ADD64(hi[i], lo[i] >> 16);
    const int64_t r = lo[i] & 0xFFFF;
    if (s > 16) {
      /* Rounding acc by 2^s adds 2^(s-1), a multiple of 2^16, so r never carries: exact. */
      p16_out[i] = DFX_SAT32(DFX_PSHR64(t, s - 16));
    } else if (t > INT32_MAX || t < INT32_MIN) {
      p16_out[i] = DFX_SAT32(t); /* |acc| >= 2^47 and s <= 16: saturated, with the sign of t */
    } else if (s > 0) {
      /* (2^16 t + r + 2^(s-1)) >> s = 2^(16-s) t + ((r + 2^(s-1)) >> s), |2^(16-s) t| < 2^47 */
      p16_out[i] = DFX_SAT32(t * ((int64_t)1 << (16 - s)) + DFX_PSHR64(r, s));
    } else {
      p16_out[i] = sat_shl(t * 65536 + r, -s);
    }
  }
  add_bias(l, p16_out);
  return DREDFX_OK;
}

/* A 32-bit wide layer on a15 inputs (its buffer here, out of dredfx_nn_linear_a15's frame). */
__attribute__((noinline)) static int linear_w32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l,
                                                int32_t *p16_out, const int16_t *a15_in) {
  int32_t x[DREDFX_NN_MAX_INPUTS];
  for (int j = 0; j < l->nb_inputs; j++) x[j] = a15_in[j];
  return dredfx_nn_linear_i32(k, l, p16_out, x, 15);
}

int dredfx_nn_linear_a15(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int16_t *a15_in) {
  if (k == NULL || !sizes_ok(l) || p16_out == NULL || a15_in == NULL) return DREDFX_ERR_BAD_ARG;
  if (l->w8 != NULL) {
    if (l->wsum != NULL && l->rq != NULL && l->mult != NULL && l->shift != NULL && k->linear_u_rq != NULL)
      return k->linear_u_rq(p16_out, l, a15_in);
    return linear_i8(k, l, p16_out, a15_in);
  }
  if (l->w32 != NULL) return linear_w32(k, l, p16_out, a15_in);
  if (l->w16 != NULL) return dredfx_nn_linear_i16(k, l, p16_out, a15_in, 15);
  memset(p16_out, 0, sizeof(*p16_out) * (size_t)l->nb_outputs);
  add_bias(l, p16_out);
  return DREDFX_OK;
}

int dredfx_nn_dense(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                    const int16_t *in_a15) {
  int32_t p16[DREDFX_NN_MAX_OUTPUTS];
  int rc = dredfx_nn_linear_a15(k, l, p16, in_a15);
  if (rc < 0) return rc;
  if (act == DREDFX_NN_ACT_TANH) {
    k->tanh(out_a15, p16, l->nb_outputs);
    return DREDFX_OK;
  }
  return dredfx_nn_activation(out_a15, p16, l->nb_outputs, act);
}

int dredfx_nn_dense_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                        const int16_t *x, int in_q) {
  int32_t p16[DREDFX_NN_MAX_OUTPUTS];
  int rc = dredfx_nn_linear_i16(k, l, p16, x, in_q);
  if (rc < 0) return rc;
  return dredfx_nn_activation(out_a15, p16, l->nb_outputs, act);
}

int dredfx_nn_dense_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                        const int32_t *x, int in_q) {
  int32_t p16[DREDFX_NN_MAX_OUTPUTS];
  int rc = dredfx_nn_linear_i32(k, l, p16, x, in_q);
  if (rc < 0) return rc;
  return dredfx_nn_activation(out_a15, p16, l->nb_outputs, act);
}

int dredfx_nn_gru(const dredfx_nn_kernels *k, const dredfx_nn_linear *input_layer,
                  const dredfx_nn_linear *recurrent_layer,
                  int16_t *state_a15, const int16_t *in_a15) {
  int32_t zrh[DREDFX_NN_MAX_OUTPUTS], recur[DREDFX_NN_MAX_OUTPUTS];
  if (input_layer == NULL || recurrent_layer == NULL || state_a15 == NULL) return DREDFX_ERR_BAD_ARG;
  const int n = recurrent_layer->nb_inputs;
  if (recurrent_layer->nb_outputs != 3 * n || input_layer->nb_outputs != 3 * n) return DREDFX_ERR_BAD_ARG;
  int rc = dredfx_nn_linear_a15(k, input_layer, zrh, in_a15);
  if (rc < 0) return rc;
  rc = dredfx_nn_linear_a15(k, recurrent_layer, recur, state_a15);
  if (rc < 0) return rc;
  k->gru_update(state_a15, zrh, recur, n);
  return DREDFX_OK;
}

int dredfx_nn_glu(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int16_t *out_a15,
                  const int16_t *in_a15) {
  int32_t p16[DREDFX_NN_MAX_OUTPUTS], gate[DREDFX_NN_MAX_OUTPUTS];
  if (l == NULL || out_a15 == NULL || l->nb_inputs != l->nb_outputs) return DREDFX_ERR_BAD_ARG;
  int rc = dredfx_nn_linear_a15(k, l, p16, in_a15);
  if (rc < 0) return rc;
  k->sigmoid_gate(gate, p16, l->nb_outputs);
  /* |in g| <= 2^30: the result is an int16 (in itself when g = 32768). */
  for (int i = 0; i < l->nb_outputs; i++)
    out_a15[i] = DFX_EXTRACT16(DFX_PSHR32(DFX_MULT32_32_32(in_a15[i], gate[i]), 15));
  return DREDFX_OK;
}

int dredfx_nn_conv1d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                     int16_t *mem_a15,
                     const int16_t *in_a15, int input_size, int dilation) {
  int16_t tmp[DREDFX_NN_MAX_INPUTS];
  if (!sizes_ok(l) || out_a15 == NULL || in_a15 == NULL || input_size < 1 || dilation < 1 ||
      l->nb_inputs % input_size != 0)
    return DREDFX_ERR_BAD_ARG;
  const int ksize = l->nb_inputs / input_size;
  const int hist = l->nb_inputs - input_size; /* taps before the newest input */
  if (hist > 0 && mem_a15 == NULL) return DREDFX_ERR_BAD_ARG;
  if (hist > 0 && dilation == 1) {
    memcpy(tmp, mem_a15, sizeof(*tmp) * (size_t)hist);
  } else {
    for (int t = 0; t < ksize - 1; t++) /* none for ksize 1 */
      memcpy(&tmp[t * input_size], &mem_a15[t * input_size * dilation], sizeof(*tmp) * (size_t)input_size);
  }
  memcpy(&tmp[hist], in_a15, sizeof(*tmp) * (size_t)input_size);
  int rc = dredfx_nn_dense(k, l, act, out_a15, tmp);
  if (rc < 0) return rc;
  if (hist > 0 && dilation == 1) {
    memcpy(mem_a15, &tmp[input_size], sizeof(*tmp) * (size_t)hist);
  } else if (hist > 0) {
    const int mem_len = input_size * dilation * (ksize - 1);
    memmove(mem_a15, &mem_a15[input_size], sizeof(*mem_a15) * (size_t)(mem_len - input_size));
    memcpy(&mem_a15[mem_len - input_size], in_a15, sizeof(*mem_a15) * (size_t)input_size);
  }
  return DREDFX_OK;
}

int dredfx_nn_conv2d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int in_channels, int ktime, int kheight,
                     int act, int16_t *out_a15, int hstride, int16_t *mem, const int16_t *in, int height, int in_q) {
  int16_t buf[DREDFX_NN_MAX_CONV2D_INPUTS];
  int32_t p16[DREDFX_NN_MAX_OUTPUTS];
  if (k == NULL || !sizes_ok(l) || l->w8 != NULL || l->w16 == NULL || l->wexp == NULL || out_a15 == NULL ||
      in == NULL || in_channels < 1 || ktime < 1 || kheight < 1 || height < 1 || height > DREDFX_NN_MAX_OUTPUTS ||
      hstride < height || in_q < 0 || in_q > 31 || (int64_t)in_channels * ktime * kheight != l->nb_inputs ||
      act < DREDFX_NN_ACT_LINEAR || act > DREDFX_NN_ACT_SOFTMAX)
    return DREDFX_ERR_BAD_ARG;
  const int in_stride = height + kheight - 1;
  const int64_t time_stride64 = (int64_t)in_channels * in_stride;
  if (ktime * time_stride64 > DREDFX_NN_MAX_CONV2D_INPUTS || (ktime > 1 && mem == NULL))
    return DREDFX_ERR_BAD_ARG;
  for (int i = 0; i < l->nb_outputs; i++)
    if (l->wexp[i] < 0 || l->wexp[i] > 40) return DREDFX_ERR_BAD_ARG;
  const size_t ts = (size_t)time_stride64, hist = (size_t)(ktime - 1) * ts;
  if (hist > 0) memcpy(buf, mem, sizeof(*buf) * hist);
  memcpy(&buf[hist], in, sizeof(*buf) * ts);
  if (hist > 0) memcpy(mem, &buf[ts], sizeof(*buf) * hist);
  const int taps = l->nb_inputs;
  for (int i = 0; i < l->nb_outputs; i++) {
    k->conv2d(p16, &l->w16[(size_t)i * (size_t)taps], buf, in_channels, ktime, kheight, height, in_stride, (int)ts,
              l->wexp[i] + in_q - 16, l->bias != NULL ? l->bias[i] : 0);
    int16_t *out = &out_a15[(size_t)i * (size_t)hstride];
    if (act == DREDFX_NN_ACT_TANH)
      k->tanh(out, p16, height);
    else
      dredfx_nn_activation(out, p16, height, act);
  }
  return DREDFX_OK;
}

int dredfx_nn_sparse_check(const int32_t *idx, size_t idx_len, size_t w_len, int rows, int cols) {
  size_t pos = 0, blocks = 0;
  if (idx == NULL || rows < 8 || rows % 8 != 0 || cols < 4 || cols % 4 != 0) return DREDFX_ERR_WEIGHTS_SHAPE;
  for (int i = 0; i < rows; i += 8) {
    if (pos >= idx_len) return DREDFX_ERR_WEIGHTS_SHAPE;
    const int32_t n = idx[pos++];
    if (n < 0 || (size_t)n > idx_len - pos) return DREDFX_ERR_WEIGHTS_SHAPE;
    for (int32_t b = 0; b < n; b++, pos++)
      if (idx[pos] < 0 || idx[pos] > cols - 4) return DREDFX_ERR_WEIGHTS_SHAPE;
    blocks += (size_t)n;
  }
  if (pos != idx_len || blocks * 32 != w_len || blocks > INT32_MAX) return DREDFX_ERR_WEIGHTS_SHAPE;
  return (int)blocks;
}
