/* Fixed-point NN primitives: linear, dense, GRU, GLU, conv1d, conv2d, activations, exp2/log2.
 *
 * API (names and argument order of the engine contract; every int function returns DREDFX_OK or
 * DREDFX_ERR_BAD_ARG, and its outputs are unspecified after an error):
 *   int  dredfx_nn_linear_a15(k, l, int32_t *p16_out, const int16_t *a15_in)
 *   int  dredfx_nn_linear_i16(k, l, int32_t *p16_out, const int16_t *x, int in_q)
 *   int  dredfx_nn_linear_i32(k, l, int32_t *p16_out, const int32_t *x, int in_q)
 *   int  dredfx_nn_activation(int16_t *a15_out, const int32_t *p16_in, int n, int act)
 *   void dredfx_nn_tanh(int16_t *a15_out, const int32_t *p16_in, int n)
 *   void dredfx_nn_sigmoid(int16_t *a15_out, const int32_t *p16_in, int n)
 *   int16_t dredfx_nn_tanh_a15(int32_t p16), dredfx_nn_sigmoid_a15(int32_t p16)   (one value)
 *   int32_t dredfx_nn_sigmoid_g15(int32_t p16)   (a gate in [0, 32768]; 0 and 1.0 exact)
 *   void dredfx_nn_sigmoid_gate(int32_t *g15_out, const int32_t *p16_in, int n)
 *   int  dredfx_nn_dense(k, l, int act, int16_t *out_a15, const int16_t *in_a15)
 *   int  dredfx_nn_dense_i16(k, l, int act, int16_t *out_a15, const int16_t *x, int in_q)
 *   int  dredfx_nn_dense_i32(k, l, int act, int16_t *out_a15, const int32_t *x, int in_q)
 *   int  dredfx_nn_gru(k, input_layer, recurrent_layer, int16_t *state_a15, const int16_t *in_a15)
 *   int  dredfx_nn_glu(k, l, int16_t *out_a15, const int16_t *in_a15)
 *   int  dredfx_nn_conv1d(k, l, int act, int16_t *out_a15, int16_t *mem_a15, const int16_t *in_a15,
 *                         int input_size, int dilation)
 *   int  dredfx_nn_conv2d(k, l, in_channels, ktime, kheight, int act, int16_t *out_a15, int hstride,
 *                         int16_t *mem, const int16_t *in, int height, int in_q)
 *   int32_t dredfx_nn_exp2_q16(int32_t x_p16), dredfx_nn_log2_q16(int32_t x, int q)
 *   int  dredfx_nn_sparse_check(idx, idx_len, w_len, rows, cols)   (load-time validation:
 *        returns the block count or DREDFX_ERR_WEIGHTS_SHAPE)
 * Dense outputs are a15 for every activation; a layer whose output is not an activation
 * (linear outputs such as latents or features) is read as p16 from dredfx_nn_linear_a15/_i16.
 *
 * Q formats: fixed.h. Layer storage (what the weights importer writes): docs/fixed-point.md.
 * k: the kernel table of a CPU level (kernels.h), chosen once when a model's state is initialised
 * and passed to every call (libopus passes `arch`); only the matrix products go through it,
 * everything else here is scalar, shared by all levels, so all levels give the same integers. */
#ifndef DREDFX_NN_H
#define DREDFX_NN_H

#include <stddef.h>
#include <stdint.h>

#include "common/fixed.h"
#include "nn/kernels.h"

/* Activation ids: libopus' ACTIVATION_* numbers. SOFTMAX is a plain copy in libopus 1.6.1
 * (SOFTMAX_HACK), so it behaves as LINEAR. */
enum {
  DREDFX_NN_ACT_LINEAR = 0,
  DREDFX_NN_ACT_SIGMOID = 1,
  DREDFX_NN_ACT_TANH = 2,
  DREDFX_NN_ACT_RELU = 3,
  DREDFX_NN_ACT_SOFTMAX = 4
};

/* Largest logical layer sizes (stack buffers); every model layer is far below. */
#define DREDFX_NN_MAX_INPUTS 2048
#define DREDFX_NN_MAX_OUTPUTS 2048

/* Array lengths (checked by the weights loader, trusted here), with R = nb_outputs rounded up
 * to 8 and C = nb_inputs rounded up to 4: dense w8 R * C bytes; sparse w8 and idx as accepted by
 * dredfx_nn_sparse_check(idx, idx_len, w8_len, R, C); w16 and w32 nb_outputs * nb_inputs
 * (no -32768 in w16, no INT32_MIN in w32); mult, shift, wexp, wexp32, bias nb_outputs.
 * A float-weight layer may carry both wide forms: w16/wexp (16-bit path, conv2d) and
 * w32/wexp32 (32-bit path: the one dredfx_nn_linear_a15 and dredfx_nn_dense use when present). */
typedef struct dredfx_nn_linear {
  int nb_inputs, nb_outputs;             /* logical sizes */
  const int8_t *w8; const int32_t *idx;  /* int8 layer (idx NULL = dense) */
  const int32_t *mult, *shift;           /* int8 requantization, per output */
  const int16_t *w16; const int32_t *wexp; /* wide layer, 16-bit weights (w8 NULL) */
  const int32_t *w32; const int32_t *wexp32; /* wide layer, 32-bit weights (w8 NULL) */
  const int32_t *bias;                   /* p16, may be NULL */
  /* int8 layer: per padded row sum_j w_ij, set at load only where dredfx_nn_i8_row_sums() accepts
   * the weights (kernels.h); then the offset kernels serve the layer. NULL: the signed kernels. */
  const int32_t *wsum;
  /* int8 layer: DREDFX_NN_RQ_LEN(nb_outputs) constants, set at load only where
   * dredfx_nn_requant_prep() proves that no saturation can occur (kernels.h); then the
   * requantize_rq kernel serves the layer. NULL: the saturating requantize. */
  const int64_t *rq;
  /* 1 where dredfx_nn_requant_prep() also filled rq's layer-wide form and wsum is set: the x86
   * linear_u_rq kernels then use that form. */
  int rq_hi;
  /* sparse int8 layer: idx in the byte form of dredfx_nn_sparse_idx8(), set at load only where that
   * accepts the layer (long groups) and the model's pool has room; the AVX-VNNI linear_u_rq kernel
   * then reads it instead of idx (the same blocks, so the same integers). */
  const uint8_t *idx8;
} dredfx_nn_linear;

/* p16_out[nb_outputs] = W x + b.
 * int8 layer: x8_j = (127 a_j + 16384) >> 15 (zero-padded to a multiple of 4 columns; the weights
 *   are stored with rows padded to 8 and columns to 4), acc_i = sum_j w_ij x8_j (int32),
 *   p_i = SAT32(PSHR64(acc_i * mult_i, shift_i)) with shift_i in [1, 62], then + bias_i (saturating).
 * Wide layer: the a15 input is an input in Q15: dredfx_nn_linear_i32(l, out, in, 15) if the layer
 *   has w32, else dredfx_nn_linear_i16(l, out, in, 15).
 * No weights: bias only (zeros without bias), as libopus. */
int dredfx_nn_linear_a15(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int16_t *a15_in);

/* Wide layer, input x in Q in_q (0..31): acc_i = sum_j w16_ij x_j (int64); with
 * s = wexp_i + in_q - 16 (wexp_i in [0, 40]): p_i = s > 0 ? PSHR64(acc_i, s) : acc_i << -s,
 * saturated to int32, then + bias_i (saturating). An int8 layer is refused (DREDFX_ERR_BAD_ARG). */
int dredfx_nn_linear_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int16_t *x, int in_q);

/* 32-bit wide layer (w32/wexp32), input x int32 in Q in_q (0..31): p16 values (in_q 16), or
 * exact integers (in_q 0; e.g. quantized DRED indices with the dequantization scale folded into
 * the weights), so the input itself loses nothing. Weights: w32_ij / 2^wexp32_i, |w32| < 2^31,
 * wexp32_i in [0, 62] (31 significant bits for the row's largest weight: a float32 weight of at
 * least 2^-7 times it is stored exactly, any other within 2^-(wexp32_i + 1)). Exact sum, as two int64 halves of x = 2^16 xh + xl
 * (xh = x >> 16 in [-2^15, 2^15), xl = x & 0xFFFF):
 *   H_i = sum_j w_ij xh_j (|H| < 2^57), L_i = sum_j w_ij xl_j (|L| < 2^58),
 *   acc_i = 2^16 H_i + L_i (exact, up to 2^74; never formed: T_i = H_i + (L_i >> 16) and
 *   R_i = L_i & 0xFFFF give the result without 128-bit arithmetic, nn.c);
 * with s = wexp32_i + in_q - 16 (in [-16, 77]): p_i = (acc_i + 2^(s-1)) >> s for s > 0 (rounded
 * half up), acc_i * 2^-s for s <= 0, saturated to int32, then + bias_i (saturating). The sums H and L come from the kernel table's dense_i32
 * (kernels.h), the rest is scalar. An int8 layer, or one without w32, is
 * refused (DREDFX_ERR_BAD_ARG). */
int dredfx_nn_linear_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int32_t *p16_out,
                         const int32_t *x, int in_q);

/* p16 -> a15 element-wise. TANH, SIGMOID: below. LINEAR, SOFTMAX: SAT16(PSHR32(p, 1)).
 * RELU: as LINEAR for p > 0, else 0. In place (a15_out aliasing p16_in) is not allowed. */
int dredfx_nn_activation(int16_t *a15_out, const int32_t *p16_in, int n, int act);

/* tanh of p16 x, a15 result. One table T[k] = tanh_approx(k / 64) in Q15, k = 0..512, of libopus'
 * rational approximation (tools/gen_nn_tables.py). For a = |x| < 8 << 16: i = a >> 10,
 * f = a & 1023, y19 = 16 T[i] + PSHR32((T[i+1] - T[i]) f, 6) (Q19), tanh = sign(x) PSHR32(y19, 4);
 * |x| >= 8: sign(x) 32767. Odd and monotonic.
 * Worst case over every p16 input in [-16, 16] (c/tests/test_nn.c asserts these bounds):
 *   vs libopus' float approximation: DREDFX_NN_TANH_MAX_ERR_APPROX_E7, vs true tanh: _TRUE_E7. */
int16_t dredfx_nn_tanh_a15(int32_t x_p16);
/* sigmoid as a g15 gate in [0, 32768] (the GRU and GLU gates): 0 and 1.0 are exact where libopus'
 * generic sigmoid_approx is exactly 0.0f and 1.0f, so a saturated update gate keeps a GRU state
 * bit for bit. x >= 682280 (10.4106): 32768; x <= -682280: 0; else, from the tanh table,
 * y19 = tanh(x / 2) in Q19 as above with i = |x| >> 11, f = |x| & 2047, PSHR32(.., 7), and
 * g = 16384 + sign(x) PSHR32(y19, 5) clamped to [1, 32767]. sigmoid(-x) = 32768 - sigmoid(x). */
int32_t dredfx_nn_sigmoid_g15(int32_t x_p16);
/* The same in a15 (a sigmoid activation's output): min(sigmoid_g15(x), 32767). */
int16_t dredfx_nn_sigmoid_a15(int32_t x_p16);
void dredfx_nn_tanh(int16_t *a15_out, const int32_t *p16_in, int n);
void dredfx_nn_sigmoid(int16_t *a15_out, const int32_t *p16_in, int n);
void dredfx_nn_sigmoid_gate(int32_t *g15_out, const int32_t *p16_in, int n);

/* Worst-case errors in units of 1e-7 (1 a15 LSB = 305e-7), asserted by test_nn. Measured:
 * tanh 4.84e-5 vs libopus' approximation, 8.82e-5 vs tanh (libopus' own: 6.0e-5);
 * sigmoid 3.18e-5 vs libopus' approximation, 5.18e-5 vs 1 / (1 + e^-x). */
#define DREDFX_NN_TANH_MAX_ERR_APPROX_E7 490
#define DREDFX_NN_TANH_MAX_ERR_TRUE_E7 890
#define DREDFX_NN_SIGMOID_MAX_ERR_APPROX_E7 320
#define DREDFX_NN_SIGMOID_MAX_ERR_TRUE_E7 520

/* out_a15[nb_outputs] = act(W in + b); in_a15 may alias out_a15 only if nb_inputs == nb_outputs
 * (the input is consumed before the output is written). */
int dredfx_nn_dense(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                    const int16_t *in_a15);
/* Same for a wide layer fed an i16 input in Q in_q (16-bit weights). */
int dredfx_nn_dense_i16(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                        const int16_t *x, int in_q);
/* Same for a 32-bit wide layer fed an i32 input in Q in_q (dredfx_nn_linear_i32). */
int dredfx_nn_dense_i32(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                        const int32_t *x, int in_q);

/* libopus compute_generic_gru, N = recurrent_layer->nb_inputs units, both layers 3N outputs in
 * gate order [z, r, h]: a = W_in in + b_in, c = W_rec state + b_rec (p16),
 * z = sigmoid_g15(a_z + c_z), r = sigmoid_g15(a_r + c_r) (gates in [0, 32768]),
 * h~ = tanh(a_h + PSHR64(r c_h, 15)) (sums saturating),
 * state = PSHR32(z state + (32768 - z) h~, 15) (a convex combination: in range; z = 32768 keeps
 * the state exactly, z = 0 gives h~). 3N <= DREDFX_NN_MAX_OUTPUTS. */
int dredfx_nn_gru(const dredfx_nn_kernels *k, const dredfx_nn_linear *input_layer,
                  const dredfx_nn_linear *recurrent_layer,
                  int16_t *state_a15, const int16_t *in_a15);

/* libopus compute_glu: out = in * sigmoid(W in + b), PSHR32(in * g, 15) with the g15 gate (so a
 * saturated gate passes the input unchanged); W square. In place ok. */
int dredfx_nn_glu(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int16_t *out_a15,
                  const int16_t *in_a15);

/* libopus compute_generic_conv1d(_dilation): the layer sees [memory | input] (oldest first),
 * ksize = nb_inputs / input_size. Memory length: (ksize - 1) input_size for dilation 1,
 * (ksize - 1) input_size dilation otherwise (the dilation - 1 frames between taps are kept too).
 * out must not overlap mem or in. */
int dredfx_nn_conv1d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int act, int16_t *out_a15,
                     int16_t *mem_a15,
                     const int16_t *in_a15, int input_size, int dilation);

/* libopus compute_conv2d (the pitch DNN's two layers), on a wide layer (w16/wexp/bias) whose
 * nb_outputs are the output channels and whose nb_inputs = in_channels * ktime * kheight taps are
 * stored [out][in][time][height] (libopus' float_weights order). One frame of input, `in`, holds
 * in_channels rows of height + kheight - 1 values in Q in_q; mem holds the ktime - 1 previous frames,
 * oldest first ((ktime - 1) * in_channels * (height + kheight - 1) values; NULL when ktime is 1) and
 * is updated. For each output channel i and j < height:
 *   acc = sum_{m,t,h} w16[i][m][t][h] x_t[m][j + h] (int64, exact),
 *   p = PSHR64(acc, wexp_i + in_q - 16) (or a left shift), saturated, + bias_i (saturating), p16,
 *   out_a15[i * hstride + j] = act(p).
 * ktime * in_channels * (height + kheight - 1) <= DREDFX_NN_MAX_CONV2D_INPUTS (libopus' limit),
 * height <= DREDFX_NN_MAX_OUTPUTS, hstride >= height;
 * out must not overlap mem or in. The sums come from the kernel table's conv2d (kernels.h), TANH from its tanh. */
#define DREDFX_NN_MAX_CONV2D_INPUTS 8192
int dredfx_nn_conv2d(const dredfx_nn_kernels *k, const dredfx_nn_linear *l, int in_channels, int ktime, int kheight,
                     int act, int16_t *out_a15, int hstride, int16_t *mem, const int16_t *in, int height, int in_q);

/* 2^x, x in p16, result in Q16 (saturated to INT32_MAX; 0 below 2^-17). Table of 2^(k/256) in
 * Q30 with linear interpolation; error <= DREDFX_NN_EXP2_MAX_REL_ERR_E7 relative + 0.5 LSB. */
int32_t dredfx_nn_exp2_q16(int32_t x_p16);
/* log2(x / 2^q) in p16 for x > 0, q in [0, 62]; INT32_MIN for x <= 0 or q outside.
 * Table of log2(1 + k/256) in Q30 with linear interpolation; error <= DREDFX_NN_LOG2_MAX_ERR_E7. */
int32_t dredfx_nn_log2_q16(int32_t x, int q);
/* Measured: exp2 relative error <= 1e-6 on top of the 0.5 LSB output rounding (8.5e-6 relative
 * at results near 1.0); log2 absolute error 1.04e-5 (0.68 LSB). */
#define DREDFX_NN_EXP2_MAX_REL_ERR_E7 10
#define DREDFX_NN_LOG2_MAX_ERR_E7 105

/* Checks a sparse 8x4 index for a layer of rows x cols (both padded: rows % 8 == 0,
 * cols % 4 == 0): the index has exactly idx_len entries, each position p satisfies
 * 0 <= p <= cols - 4, and the blocks use exactly w_len weight bytes. Returns the number of
 * blocks or DREDFX_ERR_WEIGHTS_SHAPE. */
int dredfx_nn_sparse_check(const int32_t *idx, size_t idx_len, size_t w_len, int rows, int cols);

/* Generated tables (nn_tables.c, tools/gen_nn_tables.py). */
extern const int16_t dredfx_nn_tanh_table[513];
extern const uint32_t dredfx_nn_exp2_table[257];
extern const int32_t dredfx_nn_log2_table[257];

#endif
