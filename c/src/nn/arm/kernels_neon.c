/* NEON twins of kernels_c.c (aarch64 and armv7 with -mfpu=neon), bit-exact with it.
 *
 * int8: vmull_s8 products (exact in int16, (-128)^2 included) are widened and pair-summed into
 * int32 by vpadalq_s16 at once. vmlal_s8 chains are not used: they accumulate in int16 and wrap.
 * int16: vmull_s16 products (exact in int32) are pair-summed into int64 by vpadalq_s32. */
#include "nn/kernels.h"

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

const dredfx_nn_kernels dredfx_nn_kernels_neon = {dense_i8_neon, sparse_i8_neon, dredfx_nn_dense_i16_neon};

#endif
