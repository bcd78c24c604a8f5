/* Matrix-vector kernels, input quantization and requantization: the only SIMD-specialised code of
 * the NN engine.
 *
 * kernels_c.c is the specification; every other level (x86/kernels_avx2.c,
 * x86/kernels_avxvnni.c, x86/kernels_avx512vnni.c, arm/kernels_neon.c, arm/kernels_dotprod.c)
 * returns exactly the same integers for every input its contract allows, the full int8 / int16
 * ranges included (c/tests/checkasm.c checks this).
 *
 * int8 block layout (libopus dense 8x4): the matrix is cut into blocks of 8 rows x 4 columns; the
 * blocks of rows 8b..8b+7 come one after the other (columns 0..3, then 4..7, ...), the blocks of
 * the next 8 rows follow. Inside a block, the 4 weights of row 0 come first, then row 1, ... so
 * w_ij of a dense matrix is at w[(i / 8) * 8 * cols + (j / 4) * 32 + (i % 8) * 4 + j % 4].
 * Sparse format (libopus sparse 8x4): for each group of 8 rows, idx holds the number of blocks n,
 * then n column positions p (the block covers columns p..p+3); w holds the n blocks in that order.
 * The kernels trust the index: dredfx_nn_sparse_check() validates it once, at load time.
 *
 * Accumulators: the int8 sums are int32 (exact while cols * 2^14 < 2^31, i.e. cols <= 131071);
 * the int16 sums are int64 (exact for any realistic size).
 *
 * Offset ("_u") kernels: the input arrives as xu = x8 + 127 in [0, 254] (x8 in [-127, 127], the
 * engine's quantized activations) and the layer carries wsum_i = 127 sum_j w_ij (the offset
 * itself, removed with one subtraction) per padded row, computed and checked once at load by
 * dredfx_nn_i8_row_sums(). They return the same sum_j w_ij x8_j as the signed kernels. x86 computes sum_j w_ij xu_j - wsum_i with unsigned x signed byte
 * products: maddubs (int16 pair sums, saturating) is exact when every pair of adjacent weights
 * (columns 2c, 2c + 1 of a row) has its positive part and its negative part at most 129 in
 * magnitude, since then |w xu + w' xu'| <= 254 * 129 = 32766 (proof and the measured weights:
 * docs/fixed-point.md section 3.2); vpdpbusd (int32 sums) is exact for any weights. The
 * difference is computed modulo 2^32 and is exact because the true sum fits int32. */
#ifndef DREDFX_NN_KERNELS_H
#define DREDFX_NN_KERNELS_H

#include <stdint.h>

#include "common/cpu.h"

struct dredfx_nn_linear; /* nn.h */

typedef struct {
  /* acc[i] = sum_j w_ij x_j; dense 8x4 block layout; rows % 8 == 0, cols % 4 == 0, both > 0. */
  void (*dense_i8)(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols);
  /* acc[i] = sum over the blocks of row group i / 8; rows % 8 == 0. */
  void (*sparse_i8)(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x, int rows);
  /* acc[i] = sum_j w_ij (xu_j - 127): dense_i8 on offset inputs, xu_j in [0, 254]; wsum as
   * accepted by dredfx_nn_i8_row_sums() for these weights (the pair bound holds). */
  void (*dense_i8_u)(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows, int cols);
  void (*sparse_i8_u)(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx, const uint8_t *xu,
                      int rows);
  /* acc[i] = sum_j w[i * cols + j] x_j; row-major, rows, cols >= 1; w in [-32767, 32767]. */
  void (*dense_i16)(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
  /* xu_j = PSHR32(127 a15_j, 15) + 127, in [0, 254]; n >= 0. */
  void (*quantize_u8)(uint8_t *xu, const int16_t *a15, int n);
  /* p16_i = SAT32(PSHR64(acc_i * mult_i, shift_i)), then SAT32(p16_i + bias_i) when bias is not
   * NULL; n >= 0. Returns 0, or -1 when a shift_i lies outside [1, 62] (p16 is then unspecified):
   * the layer's check of its shifts rides on this pass instead of a loop of its own. */
  int (*requantize)(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                    const int32_t *bias, int n);
  /* The same p16_i as requantize (bias included), from the constants rq that
   * dredfx_nn_requant_prep() accepted for this layer, for |acc_i| <= 127 sum_j |w_ij| (what any
   * x8 in [-127, 127] gives); acc holds ROUND_UP(n, 8) values (the padded rows); n >= 0. */
  void (*requantize_rq)(int32_t *p16, const int32_t *acc, const int64_t *rq, int n);
  /* a15_i = dredfx_nn_tanh_a15(p16_i) and g15_i = dredfx_nn_sigmoid_g15(p16_i) (nn.h, whose
   * dredfx_nn_tanh and dredfx_nn_sigmoid_gate are the scalar level's); n >= 0. */
  void (*tanh)(int16_t *a15, const int32_t *p16, int n);
  void (*sigmoid_gate)(int32_t *g15, const int32_t *p16, int n);
  /* The GRU step after its two layers (nn.h dredfx_nn_gru): zrh and recur are the input and
   * recurrent layers' p16 outputs (z, r, h parts of n each); updates state_a15[n]; n >= 0. */
  void (*gru_update)(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n);
  /* The 32-bit wide product as two exact int64 halves (nn.h dredfx_nn_linear_i32): with
   * xh_j = x_j >> 16 (floor) and xl_j = x_j & 0xFFFF, hi[i] = sum_j w[i * cols + j] xh_j and
   * lo[i] = sum_j w[i * cols + j] xl_j; row-major, rows >= 1, 1 <= cols <= DREDFX_NN_MAX_INPUTS,
   * w never INT32_MIN (|hi| < 2^57, 0 <= |lo| < 2^58). */
  void (*dense_i32)(int64_t *hi, int64_t *lo, const int32_t *w, const int32_t *x, int rows, int cols);
  /* One output channel of conv2d (nn.h dredfx_nn_conv2d): for j < height, the exact int64 sum
   * acc_j = sum over m < in_channels, t < ktime, h < kheight of
   *   w[(m ktime + t) kheight + h] x[t time_stride + m in_stride + j + h]
   * (|acc_j| < 2^41), then p16[j] = SAT32(v + bias) with v = SAT32(PSHR64(acc_j, shift)) for
   * shift > 0, SAT32(acc_j 2^-shift) otherwise; shift in [-31, 62]. All sizes >= 1,
   * in_stride >= height + kheight - 1, in_channels ktime kheight <= DREDFX_NN_MAX_INPUTS, w never
   * -32768; x is read only where a tap reaches. */
  void (*conv2d)(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime, int kheight,
                 int height, int in_stride, int time_stride, int shift, int32_t bias);
  /* dense_i8_u / sparse_i8_u then requantize_rq, fused: p16[n] for the rows = ROUND_UP(n, 8)
   * (n >= 1) of a layer whose wsum and rq its loader accepted; each group's sums are requantized
   * as soon as they are complete, so the int32 sums never go through memory. */
  void (*dense_i8_u_rq)(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows, int cols,
                        const int64_t *rq, int n);
  void (*sparse_i8_u_rq)(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx, const uint8_t *xu,
                         int rows, const int64_t *rq, int n);
  /* A whole int8 layer l (nn.h) whose wsum and rq its loader set, in one call: quantize_u8 of
   * a15[nb_inputs], the padded columns fed as xu = 127 (x8 = 0), then dense_i8_u_rq (idx NULL) or
   * sparse_i8_u_rq with rows = ROUND_UP(nb_outputs, 8), cols = ROUND_UP(nb_inputs, 4), n =
   * nb_outputs: the same p16 as nn.c linear_i8's calls. Returns 0 (DREDFX_OK), so that
   * dredfx_nn_linear_a15 ends in a jump to it. NULL at levels without one (nn.c then makes the
   * calls itself). */
  int (*linear_u_rq)(int32_t *p16, const struct dredfx_nn_linear *l, const int16_t *a15);
} dredfx_nn_kernels;

/* wsum[i] = 127 sum_j w_ij for the rows (padded, % 8 == 0) of a dense (idx NULL, cols % 4 == 0) or
 * sparse (idx validated by dredfx_nn_sparse_check) int8 matrix. Returns 1 when every adjacent
 * weight pair satisfies the offset kernels' bound (positive and negative parts <= 129), so that
 * the "_u" kernels may be used with this wsum; 0 otherwise (the signed kernels then serve). */
int dredfx_nn_i8_row_sums(int32_t *wsum, const int8_t *w, const int32_t *idx, int rows, int cols);

/* Requantization without saturation. With |acc_i| <= A_i = 127 sum_j |w_ij| (padded columns
 * included), PSHR64 being monotonic, p_i lies between PSHR64(-A_i |mult_i|, s_i) and
 * PSHR64(A_i |mult_i|, s_i); when both, plus bias_i, fit int32, neither SAT32 can trigger and
 * p16_i = PSHR64(acc_i mult_i, s_i) + bias_i. The loader first divides mult_i and 2^s_i by their
 * common powers of two while s_i > 1 (the quotient is unchanged; a float32 scale leaves mult_i at
 * least 7 trailing zeros), giving m_i and t_i; with t_i <= 32,
 *     p16_i = ((acc_i m_i + K_i) mod 2^64) >> t_i   (logical shift, low 32 bits),
 *     K_i = 2^(t_i - 1) + bias_i 2^t_i:
 * the true acc_i m_i + K_i is 2^t_i p16_i plus a remainder below 2^t_i, and reducing it modulo 2^64
 * changes the shifted value by a multiple of 2^(64 - t_i), a multiple of 2^32 since t_i <= 32; the
 * low 32 bits are exact because the true result fits int32.
 * Layer-wide form: where some T <= 32 has T >= t_i and |m_i 2^(T - t_i)| < 2^31 for every row,
 * the loader stores m_i 2^(T - t_i), T and K_i for T (the same quotients, so the formula above still
 * holds), and, with j = 32 - T, also H_i = (K_i - wsum_i m_i') 2^j mod 2^64 (wsum_i = 127 sum_j w_ij):
 * for the raw sum u_i = sum_j w_ij xu_j = acc_i + wsum_i of the "_u" kernels,
 *     p16_i = ((u_i 2^j) m_i' + H_i) mod 2^64 >> 32,
 * 2^j times the numerator and the denominator above; exact in 32-bit lanes when
 * |u_i| 2^j <= 254 max(P_i, N_i) 2^j < 2^31 (P_i, N_i: the sums of the row's positive weights and
 * of the magnitudes of its negative ones), also checked. One multiply per output and no shift of the
 * products (their high halves are the result); every int8 layer of the models qualifies.
 * rq holds, per group of 8 outputs, DREDFX_NN_RQ_GROUP int64: m, K, t and H of outputs 0, 2, 4, 6,
 * then of 1, 3, 5, 7, interleaved as {m_even, m_odd, K_even, K_odd, t_even, t_odd, H_even, H_odd}
 * (4 values each; padding outputs requantize to 0; H is 0 in the per-row form). */
#define DREDFX_NN_RQ_GROUP 32
#define DREDFX_NN_RQ_LEN(n) ((((n) + 7) / 8) * DREDFX_NN_RQ_GROUP)
/* Fills rq[DREDFX_NN_RQ_LEN(n)] for the n outputs of an int8 layer (w, idx, rows = ROUND_UP(n, 8),
 * cols as for dredfx_nn_i8_row_sums; mult, shift, bias as the layer's, bias may be NULL). Returns
 * 1 when every output passes the bound above, every shift lies in [1, 62] and every reduced shift
 * t_i is at most 32, 2 when the layer-wide form holds as well; 0 otherwise (then
 * rq must not be used: requantize, with its saturation, serves). */
int dredfx_nn_requant_prep(int64_t *rq, const int8_t *w, const int32_t *idx, int rows, int cols,
                           const int32_t *mult, const int32_t *shift, const int32_t *bias, int n);

/* The byte form of a sparse index (nn.h dredfx_nn_linear.idx8): for each group of 8 rows its
 * block count, then each block's first column / 4, one byte each. Written to dst[cap], and its
 * length returned, only where the layer's groups average at least DREDFX_NN_IDX8_MIN_BLOCKS blocks,
 * none has more than 255, every column is a multiple of 4 up to 1020 and the form fits in cap; 0
 * otherwise (dst untouched). idx as validated by dredfx_nn_sparse_check() for rows. Below
 * that average the AVX-VNNI group loop is faster on the 32-bit index (bench/results.md, round 6:
 * 0.96x of it at 32 blocks, 0.98x at 40, 1.02x-1.22x at 48 to 72). */
#define DREDFX_NN_IDX8_MIN_BLOCKS 48
int dredfx_nn_sparse_idx8(uint8_t *dst, int cap, const int32_t *idx, int rows);

/* Kernels of a CPU level (common/cpu.h), NULL if this CPU or build does not have it. A model's
 * state keeps the pointer it got at init (libopus passes `arch`, dav1d keeps a DSP context), so no
 * hot call asks for the level again. */
const dredfx_nn_kernels *dredfx_nn_kernels_for_level(int level);
/* Kernels of the level in use now (dredfx_cpu_level()): what a state's init takes. */
const dredfx_nn_kernels *dredfx_nn_get_kernels(void);

extern const dredfx_nn_kernels dredfx_nn_kernels_c;
/* The scalar requantization: SIMD levels without a twin of their own share it. */
int dredfx_nn_requantize_c(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                            const int32_t *bias, int n);
void dredfx_nn_requantize_rq_c(int32_t *p16, const int32_t *acc, const int64_t *rq, int n);
void dredfx_nn_gru_update_c(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n);
/* gru_update's specification for unit i alone: SIMD tails use it. */
void dredfx_nn_gru_unit_c(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n, int i);
void dredfx_nn_dense_i32_c(int64_t *hi, int64_t *lo, const int32_t *w, const int32_t *x, int rows, int cols);
/* conv2d's requantization of one exact sum (|acc| < 2^41): the scalar spec's, for SIMD twins
 * that requantize in scalar code. */
int32_t dredfx_nn_conv2d_out(int64_t acc, int shift, int32_t bias);
void dredfx_nn_conv2d_c(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime, int kheight,
                        int height, int in_stride, int time_stride, int shift, int32_t bias);
#if defined(DREDFX_HAVE_AVX2)
extern const dredfx_nn_kernels dredfx_nn_kernels_avx2;
void dredfx_nn_dense_i16_avx2(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
void dredfx_nn_quantize_u8_avx2(uint8_t *xu, const int16_t *a15, int n);
int dredfx_nn_requantize_avx2(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                              const int32_t *bias, int n);
void dredfx_nn_requantize_rq_avx2(int32_t *p16, const int32_t *acc, const int64_t *rq, int n);
void dredfx_nn_tanh_avx2(int16_t *a15, const int32_t *p16, int n);
void dredfx_nn_sigmoid_gate_avx2(int32_t *g15, const int32_t *p16, int n);
void dredfx_nn_gru_update_avx2(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n);
void dredfx_nn_dense_i32_avx2(int64_t *hi, int64_t *lo, const int32_t *w, const int32_t *x, int rows, int cols);
void dredfx_nn_conv2d_avx2(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime, int kheight,
                           int height, int in_stride, int time_stride, int shift, int32_t bias);
#endif
#if defined(DREDFX_HAVE_AVXVNNI)
extern const dredfx_nn_kernels dredfx_nn_kernels_avxvnni;
int dredfx_nn_linear_u_rq_avxvnni(int32_t *p16, const struct dredfx_nn_linear *l, const int16_t *a15);
#endif
#if defined(DREDFX_HAVE_AVX512VNNI)
extern const dredfx_nn_kernels dredfx_nn_kernels_avx512vnni;
#endif
#if defined(DREDFX_HAVE_NEON)
extern const dredfx_nn_kernels dredfx_nn_kernels_neon;
void dredfx_nn_dense_i16_neon(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
void dredfx_nn_quantize_u8_neon(uint8_t *xu, const int16_t *a15, int n);
void dredfx_nn_requantize_rq_neon(int32_t *p16, const int32_t *acc, const int64_t *rq, int n);
void dredfx_nn_conv2d_neon(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime, int kheight,
                           int height, int in_stride, int time_stride, int shift, int32_t bias);
#endif
#if defined(DREDFX_HAVE_DOTPROD)
extern const dredfx_nn_kernels dredfx_nn_kernels_dotprod;
#endif

#endif
