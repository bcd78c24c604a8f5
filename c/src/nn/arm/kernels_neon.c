/* NEON twins of kernels_c.c (aarch64 and armv7 with -mfpu=neon), bit-exact with it.
 *
 * int8: vmull_s8 products (exact in int16, (-128)^2 included) are widened and pair-summed into
 * int32 by vpadalq_s16 at once. vmlal_s8 chains are not used: they accumulate in int16 and wrap.
 * Offset kernels (dense_i8_u, sparse_i8_u; the engine's path for every model layer): NEON has no
 * unsigned x signed byte product, so x8 = xu - 127 is restored on the broadcast inputs, and then
 * two blocks share one int16 accumulation: vmull_s8 of a block, vmlal_s8 of the next, then
 * vpadalq_s16. With x8 in [-127, 127] each int16 lane sums two products of at most 128 * 127,
 * |sum| <= 32512: exact for any int8 weights, and 12 instructions per two blocks instead of 16
 * (the same count study as x86's maddubs, docs/fixed-point.md 3.2). The row sums are not needed.
 * int16: vmull_s16 products (exact in int32) are pair-summed into int64 by vpadalq_s32.
 * Quantization: vqrdmulhq_n_s16(a, 127) = (2 * 127 a + 2^15) >> 16 = PSHR32(127 a, 15) (it
 * saturates only for -32768 * -32768). Requantization: the scalar code, and requantize_rq with
 * 64-bit lanes (vld2q_s32 splits even and odd outputs, the two halves of the rq layout; vmull_s32,
 * vshlq_u64 by -s is the logical right shift). */
#include "nn/kernels.h"
#include "nn/nn.h"

#if defined(__aarch64__) || defined(__arm__)

#if !defined(__ARM_NEON)
#error "kernels_neon.c needs NEON: build armv7 with -mfpu=neon (aarch64 always has it)"
#endif

#include <arm_neon.h>
#include <string.h>

/* The 4 inputs of a block, twice: multiplies two rows of a block at once. */
static inline int8x8_t dup_x4(const int8_t *x) {
  int32_t v;
  memcpy(&v, x, 4);
  return vreinterpret_s8_s32(vdup_n_s32(v));
}

/* a = pair sums of rows (n, n+1), b = of rows (n+2, n+3): returns rows n..n+3. */
static inline int32x4_t pair_rows(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

/* acc[0..3] += one 8x4 block times the inputs (pair sums, see pair_rows). */
static inline void block_mac(int32x4_t acc[4], const int8_t *w, int8x8_t xv) {
  const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
  acc[0] = vpadalq_s16(acc[0], vmull_s8(vget_low_s8(w0), xv));
  acc[1] = vpadalq_s16(acc[1], vmull_s8(vget_high_s8(w0), xv));
  acc[2] = vpadalq_s16(acc[2], vmull_s8(vget_low_s8(w1), xv));
  acc[3] = vpadalq_s16(acc[3], vmull_s8(vget_high_s8(w1), xv));
}

static inline void store_rows(int32_t *y, const int32x4_t acc[4]) {
  vst1q_s32(y, pair_rows(acc[0], acc[1]));
  vst1q_s32(y + 4, pair_rows(acc[2], acc[3]));
}

/* acc[0..3] += two 8x4 blocks (w, w + 32) times their inputs x0, x1: int16 sums of two products. */
static inline void block2_mac(int32x4_t acc[4], const int8_t *w, int8x8_t x0, int8x8_t x1) {
  const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), v0 = vld1q_s8(w + 32), v1 = vld1q_s8(w + 48);
  acc[0] = vpadalq_s16(acc[0], vmlal_s8(vmull_s8(vget_low_s8(w0), x0), vget_low_s8(v0), x1));
  acc[1] = vpadalq_s16(acc[1], vmlal_s8(vmull_s8(vget_high_s8(w0), x0), vget_high_s8(v0), x1));
  acc[2] = vpadalq_s16(acc[2], vmlal_s8(vmull_s8(vget_low_s8(w1), x0), vget_low_s8(v1), x1));
  acc[3] = vpadalq_s16(acc[3], vmlal_s8(vmull_s8(vget_high_s8(w1), x0), vget_high_s8(v1), x1));
}

/* x8 = xu - 127 for the 4 offset inputs at xu, twice. */
static inline int8x8_t dup_u4(const uint8_t *xu) {
  int32_t v;
  memcpy(&v, xu, 4);
  return vreinterpret_s8_u8(vsub_u8(vreinterpret_u8_s32(vdup_n_s32(v)), vdup_n_u8(127)));
}

static void dense_i8_u_neon(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                            int cols) {
  for (int i = 0; i < rows; i += 8) {
    int32x4_t a[4];
    for (int k = 0; k < 4; k++) a[k] = vdupq_n_s32(0);
    int j = 0;
    for (; j + 8 <= cols; j += 8, w += 64) block2_mac(a, w, dup_u4(xu + j), dup_u4(xu + j + 4));
    if (j < cols) {
      block_mac(a, w, dup_u4(xu + j));
      w += 32;
    }
    store_rows(acc + i, a);
  }
}

static void sparse_i8_u_neon(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                             const uint8_t *xu, int rows) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    int32x4_t a[4];
    for (int k = 0; k < 4; k++) a[k] = vdupq_n_s32(0);
    int b = 0;
    for (; b + 2 <= nblocks; b += 2, idx += 2, w += 64) block2_mac(a, w, dup_u4(xu + idx[0]), dup_u4(xu + idx[1]));
    if (b < nblocks) {
      block_mac(a, w, dup_u4(xu + *idx++));
      w += 32;
    }
    store_rows(acc + i, a);
  }
}

void dredfx_nn_quantize_u8_neon(uint8_t *xu, const int16_t *a15, int n) {
  const int16x8_t k127 = vdupq_n_s16(127);
  int j = 0;
  for (; j + 8 <= n; j += 8)
    vst1_u8(xu + j, vqmovun_s16(vaddq_s16(vqrdmulhq_n_s16(vld1q_s16(a15 + j), 127), k127)));
  for (; j < n; j++) xu[j] = (uint8_t)(((127 * a15[j] + 16384) >> 15) + 127);
}

static void dense_i8_neon(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int i = 0;
  /* Two groups of 8 rows share each input load. */
  for (; i + 16 <= rows; i += 16, w += 2 * stride) {
    int32x4_t a[4], b[4];
    for (int k = 0; k < 4; k++) a[k] = b[k] = vdupq_n_s32(0);
    for (int j = 0; j < cols; j += 4) {
      const int8x8_t xv = dup_x4(x + j);
      block_mac(a, w + (size_t)j * 8, xv);
      block_mac(b, w + stride + (size_t)j * 8, xv);
    }
    store_rows(acc + i, a);
    store_rows(acc + i + 8, b);
  }
  for (; i < rows; i += 8, w += stride) {
    int32x4_t a[4];
    for (int k = 0; k < 4; k++) a[k] = vdupq_n_s32(0);
    for (int j = 0; j < cols; j += 4) block_mac(a, w + (size_t)j * 8, dup_x4(x + j));
    store_rows(acc + i, a);
  }
}

static void sparse_i8_neon(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x, int rows) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    int32x4_t a[4];
    for (int k = 0; k < 4; k++) a[k] = vdupq_n_s32(0);
    for (int b = 0; b < nblocks; b++, w += 32) block_mac(a, w, dup_x4(x + *idx++));
    store_rows(acc + i, a);
  }
}

void dredfx_nn_dense_i16_neon(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i++, w += cols) {
    int64x2_t s0 = vdupq_n_s64(0), s1 = s0;
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      const int16x8_t wv = vld1q_s16(w + j), xv = vld1q_s16(x + j);
      s0 = vpadalq_s32(s0, vmull_s16(vget_low_s16(wv), vget_low_s16(xv)));
      s1 = vpadalq_s32(s1, vmull_s16(vget_high_s16(wv), vget_high_s16(xv)));
    }
    s0 = vaddq_s64(s0, s1);
    int64_t sum = vgetq_lane_s64(s0, 0) + vgetq_lane_s64(s0, 1);
    for (; j < cols; j++) sum += (int32_t)w[j] * x[j];
    acc[i] = sum;
  }
}

/* requantize_rq (kernels.h) of the 4 outputs of one parity: q = the group's constants + 4 parity. */
static inline int32x4_t requant_rq_half(int32x4_t a, const int64_t *q) {
  const int64x2_t zero = vdupq_n_s64(0);
  uint64x2_t lo = vreinterpretq_u64_s64(vmull_s32(vget_low_s32(a), vmovn_s64(vld1q_s64(q))));
  uint64x2_t hi = vreinterpretq_u64_s64(vmull_s32(vget_high_s32(a), vmovn_s64(vld1q_s64(q + 2))));
  lo = vshlq_u64(vaddq_u64(lo, vreinterpretq_u64_s64(vld1q_s64(q + 8))), vsubq_s64(zero, vld1q_s64(q + 16)));
  hi = vshlq_u64(vaddq_u64(hi, vreinterpretq_u64_s64(vld1q_s64(q + 10))), vsubq_s64(zero, vld1q_s64(q + 18)));
  return vreinterpretq_s32_u32(vcombine_u32(vmovn_u64(lo), vmovn_u64(hi)));
}

static inline int32x4x2_t requant_rq8(const int32_t *acc, const int64_t *rq) {
  const int32x4x2_t a = vld2q_s32(acc);
  int32x4x2_t p;
  p.val[0] = requant_rq_half(a.val[0], rq);
  p.val[1] = requant_rq_half(a.val[1], rq + 4);
  return p;
}

void dredfx_nn_requantize_rq_neon(int32_t *p16, const int32_t *acc, const int64_t *rq, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8, rq += DREDFX_NN_RQ_GROUP) vst2q_s32(p16 + i, requant_rq8(acc + i, rq));
  if (i < n) { /* the padded rows of acc are readable, p16 ends at n */
    int32_t last[8];
    vst2q_s32(last, requant_rq8(acc + i, rq));
    memcpy(p16 + i, last, sizeof(int32_t) * (size_t)(n - i));
  }
}

/* conv2d: vmull_n_s16 products (exact in int32: w is never -32768) widened into int64 lanes by
 * vaddw_s32, 4 outputs at a time; each sum is requantized by the scalar spec's
 * dredfx_nn_conv2d_out, a tail of height % 4 outputs by the scalar spec. */
void dredfx_nn_conv2d_neon(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime, int kheight,
                           int height, int in_stride, int time_stride, int shift, int32_t bias) {
  const int h4 = height & ~3;
  for (int j = 0; j < h4; j += 4) {
    int64x2_t a0 = vdupq_n_s64(0), a1 = a0;
    for (int m = 0; m < in_channels; m++)
      for (int t = 0; t < ktime; t++) {
        const int16_t *xr = &x[(size_t)t * (size_t)time_stride + (size_t)m * (size_t)in_stride + (size_t)j];
        const int16_t *wt = &w[(m * ktime + t) * kheight];
        for (int h = 0; h < kheight; h++) {
          const int32x4_t p = vmull_n_s16(vld1_s16(xr + h), wt[h]);
          a0 = vaddw_s32(a0, vget_low_s32(p));
          a1 = vaddw_s32(a1, vget_high_s32(p));
        }
      }
    int64_t acc[4];
    vst1q_s64(acc, a0);
    vst1q_s64(acc + 2, a1);
    for (int k = 0; k < 4; k++) p16[j + k] = dredfx_nn_conv2d_out(acc[k], shift, bias);
  }
  if (h4 < height)
    dredfx_nn_conv2d_c(p16 + h4, w, x + h4, in_channels, ktime, kheight, height - h4, in_stride, time_stride, shift,
                       bias);
}

/* The fused kernels as the two passes (kernels.h). */
static void dense_i8_u_rq_neon(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                             int cols, const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  dense_i8_u_neon(acc, w, wsum, xu, rows, cols);
  dredfx_nn_requantize_rq_neon(p16, acc, rq, n);
}

static void sparse_i8_u_rq_neon(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                              const uint8_t *xu, int rows, const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  sparse_i8_u_neon(acc, w, wsum, idx, xu, rows);
  dredfx_nn_requantize_rq_neon(p16, acc, rq, n);
}

const dredfx_nn_kernels dredfx_nn_kernels_neon = {dense_i8_neon,            sparse_i8_neon,
                                                  dense_i8_u_neon,          sparse_i8_u_neon,
                                                  dredfx_nn_dense_i16_neon, dredfx_nn_quantize_u8_neon,
                                                  dredfx_nn_requantize_c,   dredfx_nn_requantize_rq_neon,
                                                  dredfx_nn_tanh,           dredfx_nn_sigmoid_gate,
                                                  dredfx_nn_gru_update_c, dredfx_nn_dense_i32_c, dredfx_nn_conv2d_neon,
    dense_i8_u_rq_neon, sparse_i8_u_rq_neon, NULL};

#endif
