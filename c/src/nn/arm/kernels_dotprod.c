/* NEON + dot product (Armv8.2-A SDOT) twins of kernels_c.c, aarch64 only, bit-exact with it.
 *
 * vdotq_s32 adds four int8 x int8 products straight into each int32 lane: exact for the full int8
 * range. The 4 weights of a block row are contiguous, so lane r of a dot with the 4 inputs
 * repeated is row r: no pair reduction is needed. The functions carry their own target
 * attribute; cpu.c selects them only when AT_HWCAP has HWCAP_ASIMDDP.
 * Offset kernels: sdot needs signed inputs, so x8 = xu - 127 is restored on each broadcast (one
 * instruction per 4 inputs, shared by the groups of rows); the row sums are not needed. */
#include "nn/kernels.h"
#include "nn/nn.h"

#if defined(__aarch64__)

#if !defined(__GNUC__)
#error "kernels_dotprod.c needs GCC or clang (target attributes)"
#endif
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 8
#error "kernels_dotprod.c needs GCC >= 8 for the dotprod target attribute"
#endif

#include <arm_neon.h>
#include <string.h>

#if defined(__clang__)
#define DFX_DOTPROD __attribute__((target("dotprod")))
#else
#define DFX_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

#if defined(__clang__) && !defined(__ARM_FEATURE_DOTPROD)
/* clang before 16 declares vdotq_s32 only when the whole file targets dotprod. */
DFX_DOTPROD static inline int32x4_t dfx_vdotq(int32x4_t acc, int8x16_t a, int8x16_t b) {
  __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b));
  return acc;
}
#else
#define dfx_vdotq vdotq_s32
#endif

DFX_DOTPROD static inline int8x16_t dup_x4q(const int8_t *x) {
  int32_t v;
  memcpy(&v, x, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* The 4 offset inputs at xu as x8 = xu - 127, in every lane. */
DFX_DOTPROD static inline int8x16_t dup_u4q(const uint8_t *xu) {
  int32_t v;
  memcpy(&v, xu, 4);
  return vreinterpretq_s8_u8(vsubq_u8(vreinterpretq_u8_s32(vdupq_n_s32(v)), vdupq_n_u8(127)));
}

DFX_DOTPROD static void dense_i8_u_dotprod(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                           int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int i = 0;
  for (; i + 16 <= rows; i += 16, w += 2 * stride) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0;
    for (int j = 0; j < cols; j += 4) {
      const int8x16_t xv = dup_u4q(xu + j);
      const int8_t *wa = w + (size_t)j * 8, *wb = wa + stride;
      a0 = dfx_vdotq(a0, vld1q_s8(wa), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(wa + 16), xv);
      b0 = dfx_vdotq(b0, vld1q_s8(wb), xv);
      b1 = dfx_vdotq(b1, vld1q_s8(wb + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
    vst1q_s32(acc + i + 8, b0);
    vst1q_s32(acc + i + 12, b1);
  }
  for (; i < rows; i += 8, w += stride) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    for (int j = 0; j < cols; j += 4) {
      const int8x16_t xv = dup_u4q(xu + j);
      a0 = dfx_vdotq(a0, vld1q_s8(w + (size_t)j * 8), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(w + (size_t)j * 8 + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
  }
}

DFX_DOTPROD static void sparse_i8_u_dotprod(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                            const uint8_t *xu, int rows) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    for (int b = 0; b < nblocks; b++, w += 32) {
      const int8x16_t xv = dup_u4q(xu + *idx++);
      a0 = dfx_vdotq(a0, vld1q_s8(w), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(w + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
  }
}

DFX_DOTPROD static void dense_i8_dotprod(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int i = 0;
  /* Two groups of 8 rows share each input load. */
  for (; i + 16 <= rows; i += 16, w += 2 * stride) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0;
    for (int j = 0; j < cols; j += 4) {
      const int8x16_t xv = dup_x4q(x + j);
      const int8_t *wa = w + (size_t)j * 8, *wb = wa + stride;
      a0 = dfx_vdotq(a0, vld1q_s8(wa), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(wa + 16), xv);
      b0 = dfx_vdotq(b0, vld1q_s8(wb), xv);
      b1 = dfx_vdotq(b1, vld1q_s8(wb + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
    vst1q_s32(acc + i + 8, b0);
    vst1q_s32(acc + i + 12, b1);
  }
  for (; i < rows; i += 8, w += stride) {
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    for (int j = 0; j < cols; j += 4) {
      const int8x16_t xv = dup_x4q(x + j);
      a0 = dfx_vdotq(a0, vld1q_s8(w + (size_t)j * 8), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(w + (size_t)j * 8 + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
  }
}

DFX_DOTPROD static void sparse_i8_dotprod(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                          int rows) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
    for (int b = 0; b < nblocks; b++, w += 32) {
      const int8x16_t xv = dup_x4q(x + *idx++);
      a0 = dfx_vdotq(a0, vld1q_s8(w), xv);
      a1 = dfx_vdotq(a1, vld1q_s8(w + 16), xv);
    }
    vst1q_s32(acc + i, a0);
    vst1q_s32(acc + i + 4, a1);
  }
}

/* Wide layers have no int8 dot product: the NEON kernel is already exact and as fast; so are
 * NEON's quantization and requantization. */
/* The fused kernels as the two passes (kernels.h). */
static void dense_i8_u_rq_dotprod(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                             int cols, const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  dense_i8_u_dotprod(acc, w, wsum, xu, rows, cols);
  dredfx_nn_requantize_rq_neon(p16, acc, rq, n);
}

static void sparse_i8_u_rq_dotprod(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                              const uint8_t *xu, int rows, const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  sparse_i8_u_dotprod(acc, w, wsum, idx, xu, rows);
  dredfx_nn_requantize_rq_neon(p16, acc, rq, n);
}

const dredfx_nn_kernels dredfx_nn_kernels_dotprod = {dense_i8_dotprod,         sparse_i8_dotprod,
                                                     dense_i8_u_dotprod,       sparse_i8_u_dotprod,
                                                     dredfx_nn_dense_i16_neon, dredfx_nn_quantize_u8_neon,
                                                     dredfx_nn_requantize_c,   dredfx_nn_requantize_rq_neon,
                                                  dredfx_nn_tanh,           dredfx_nn_sigmoid_gate,
                                                  dredfx_nn_gru_update_c, dredfx_nn_dense_i32_c, dredfx_nn_conv2d_neon,
    dense_i8_u_rq_dotprod, sparse_i8_u_rq_dotprod, NULL};

#endif
