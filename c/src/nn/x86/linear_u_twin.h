/* The x86 levels' one-call layer path (kernels.h linear_u_rq) and its form for dense layers of at
 * most 32 columns, written once for kernels_avx2.c and kernels_avxvnni.c, which differ only in the
 * product of a block. The including file defines, before including this:
 *   DFX_TWIN_INLINE            its target attributes with always_inline static inline;
 *   DFX_TWIN_BLOCK(s, xv, w, hj)  s plus the 8 row sums of the 8x4 offset block at w times the 4
 *                              broadcast inputs xv (the level's block product), times 2^j in the
 *                              layer-wide form where DFX_TWIN_SHIFTED (hj non-NULL: its factor);
 *   DFX_TWIN_SHIFTED           1 where the blocks apply the layer-wide form's shift j (AVX2: hj
 *                              holds 2^j in every 16-bit lane, and layers with j > 14 take the
 *                              per-row form), 0 where finish_u shifts (hj: j in every lane);
 *   DFX_TWIN_BCAST(p)          the 4 offset inputs at p in every 32-bit lane;
 *   DFX_TWIN_XV_MAX            the most input broadcasts of a narrow layer kept in registers;
 * and, after it, its general kernels dense_u_body and sparse_u_layer (a whole sparse layer, from
 * nn.h's dredfx_nn_linear), then DFX_TWIN_LINEAR_U_RQ. Used inside one translation unit only: every
 * function is inlined into the level's own. */
#ifndef DREDFX_NN_X86_LINEAR_U_TWIN_H
#define DREDFX_NN_X86_LINEAR_U_TWIN_H

#include "nn/x86/requant_avx2.h"

/* Marks a sparse group loop's index and weight pointers as changed where they advance, so that the
 * compiler keeps them as the sums of their steps. Otherwise GCC 12 rebuilds them at the loop's exit
 * from the group's loaded block count (idx + nblocks, w + 32 * nblocks: up to 8 dependent
 * instructions after the load), and every group's loads wait for the previous group's count, a
 * chain of about 15 cycles a group, as long as the blocks of a 16-block group. The loops count
 * their trips for the same reason: compared with an end pointer, the pointer at the exit is known
 * to equal it. */
#define DFX_TWIN_ADVANCED(idx, w) __asm__("" : "+r"(idx), "+r"(w))

/* The input broadcast of block b of a narrow layer: xv[b] (from = NARROW_REGS), else loaded from the
 * bytes at xq, in order (NARROW_MEM) or in bcast_block's (NARROW_MEM_PERMUTED). */
enum { NARROW_REGS, NARROW_MEM, NARROW_MEM_PERMUTED };
DFX_TWIN_INLINE __m256i narrow_x(const __m256i *xv, const uint8_t *xq, const int from, const int b) {
  if (from == NARROW_REGS) return xv[b];
  return DFX_TWIN_BCAST(xq + 4 * (from == NARROW_MEM_PERMUTED ? ((b & 2) << 1) | (b & 1) | ((b & 4) >> 1) : b));
}

/* Layers of at most 32 columns (nb = cols / 4 blocks a group, a constant where inlined): the nb
 * input broadcasts are made once, and the groups run with no loop inside, so a group is its nb
 * blocks in two chains, the requantization and one store (on the models' 8 to 32 input layers the
 * per-group loop control and the reloaded broadcasts cost as much as the blocks). Up to
 * DFX_TWIN_XV_MAX broadcasts stay in registers (xv) for every group; past it, each block loads its
 * broadcast from the quantized bytes (a load, no shuffle): AVX2, whose blocks also hold the factor
 * and a product, spilled some of 8 registers to the stack and ran 32->96 at 1.18x libopus x86
 * against 1.25x so; AVX-VNNI keeps its 8 (1.90x against 1.73x with the loads). */
DFX_TWIN_INLINE __m256i narrow_sums(const int8_t *w, const __m256i *xv, const uint8_t *xq, const int from,
                                    const int nb, const __m256i *hj) {
  __m256i s0 = DFX_TWIN_BLOCK(_mm256_setzero_si256(), narrow_x(xv, xq, from, 0), w, hj),
          s1 = _mm256_setzero_si256();
  for (int b = 1; b < nb; b++) {
    if (b & 1)
      s1 = DFX_TWIN_BLOCK(s1, narrow_x(xv, xq, from, b), w + 32 * b, hj);
    else
      s0 = DFX_TWIN_BLOCK(s0, narrow_x(xv, xq, from, b), w + 32 * b, hj);
  }
  return _mm256_add_epi32(s0, s1);
}

/* Two full groups a pass (half the loop control a group), then the rest (a last partial group);
 * hj as finish_u's. */
DFX_TWIN_INLINE void dense_u_narrow(int32_t *out, const int8_t *w, const int32_t *wsum, const __m256i *xv,
                                    const uint8_t *xq, const int from, int rows, const int64_t *rq, int n,
                                    const int nb, const __m256i *hj) {
  int i = 0;
  for (; i + 16 <= n; i += 16, w += 64 * nb) {
    finish_u(out + i, narrow_sums(w, xv, xq, from, nb, hj), wsum + i, rq, 8, hj, DFX_TWIN_SHIFTED);
    rq = NEXT_RQ_GROUP(rq);
    finish_u(out + i + 8, narrow_sums(w + 32 * nb, xv, xq, from, nb, hj), wsum + i + 8, rq, 8, hj, DFX_TWIN_SHIFTED);
    rq = NEXT_RQ_GROUP(rq);
  }
  for (; i < rows; i += 8, w += 32 * nb) {
    finish_u(out + i, narrow_sums(w, xv, xq, from, nb, hj), wsum + i, rq, n - i, hj, DFX_TWIN_SHIFTED);
    rq = NEXT_RQ_GROUP(rq);
  }
}

/* dense_u_narrow with the broadcasts loaded from xu. */
DFX_TWIN_INLINE void dense_u_narrow_xu(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                       int rows, const int64_t *rq, int n, const int nb, const __m256i *hj) {
  static const __m256i no_xv[8]; /* unread in NARROW_MEM */
  __m256i xv[8];
  if (nb > DFX_TWIN_XV_MAX) {
    dense_u_narrow(out, w, wsum, no_xv, xu, NARROW_MEM, rows, rq, n, nb, hj);
    return;
  }
  for (int b = 0; b < nb; b++) xv[b] = DFX_TWIN_BCAST(xu + 4 * b);
  dense_u_narrow(out, w, wsum, xv, xu, NARROW_REGS, rows, rq, n, nb, hj);
}

/* dense_u_narrow with the broadcasts made from the quantized a15 (quantize_u8_reg). */
DFX_TWIN_INLINE void dense_u_narrow_a15(int32_t *out, const int8_t *w, const int32_t *wsum, const int16_t *a15,
                                        int nin, int rows, const int64_t *rq, int n, const int nb, const __m256i *hj) {
  const __m256i q = quantize_u8_reg(a15, nin, 4 * nb);
  static const __m256i no_xv[8]; /* unread in NARROW_MEM_PERMUTED */
  __m256i xv[8];
  if (nb > DFX_TWIN_XV_MAX) {
    uint8_t xq[32] __attribute__((aligned(32)));
    _mm256_store_si256((__m256i *)(void *)xq, q);
    dense_u_narrow(out, w, wsum, no_xv, xq, NARROW_MEM_PERMUTED, rows, rq, n, nb, hj);
    return;
  }
  for (int b = 0; b < nb; b++) xv[b] = bcast_block(q, b);
  dense_u_narrow(out, w, wsum, xv, NULL, NARROW_REGS, rows, rq, n, nb, hj);
}

#define DFX_NARROW_CASES(CASE) CASE(4) CASE(8) CASE(12) CASE(16) CASE(20) CASE(24) CASE(28) CASE(32)
/* The cases of dense_u_body's switch on cols: the narrow layers. */
#define DFX_TWIN_NARROW_XU(c) \
  case c: dense_u_narrow_xu(out, w, wsum, xu, rows, rq, n, c / 4, hj); return;

/* The level's linear_u_rq, named NAME with the attributes and storage class ATTR, expanded after
 * its dense_u_body and sparse_u_layer (defined there, so the compiler inlines them as it did before
 * this header): quantize_u8, the padding and dense_i8_u_rq / sparse_i8_u_rq in one call (kernels.h
 * linear_u_rq). Dense layers of at most 32 columns quantize into a register (no store, no reload);
 * the others into a buffer. Two copies of the layer code, one per requantization form: hj NULL,
 * the per-row requantization; else the layer-wide form's shift (DFX_TWIN_SHIFTED: its factor). */
#define DFX_TWIN_LINEAR_U_RQ(ATTR, NAME)                                                                           \
  DFX_TWIN_INLINE void linear_u_body(int32_t *p16, const dredfx_nn_linear *l, const int16_t *a15,                 \
                                     const __m256i *hj) {                                                         \
    const int nin = l->nb_inputs, n = l->nb_outputs, rows = (n + 7) / 8 * 8, cols = (nin + 3) / 4 * 4;            \
    const int64_t *rq = l->rq;                                                                                    \
    if (rq == NULL) __builtin_unreachable(); /* kernels.h: the layer's rq is set */                               \
    if (l->idx == NULL && nin % 2 == 0) switch (cols) {                                                           \
        DFX_NARROW_CASES(DFX_TWIN_NARROW_A15)                                                                     \
        default: break;                                                                                           \
      }                                                                                                           \
    uint8_t xu[DREDFX_NN_MAX_INPUTS];                                                                             \
    dredfx_nn_quantize_u8_avx2(xu, a15, nin);                                                                     \
    for (int j = nin; j < cols; j++) xu[j] = 127;                                                                 \
    if (l->idx != NULL)                                                                                           \
      sparse_u_layer(p16, l, xu, rows, rq, n, hj);                                                                \
    else                                                                                                          \
      dense_u_body(p16, l->w8, l->wsum, xu, rows, cols, rq, n, hj);                                               \
  }                                                                                                               \
  ATTR int NAME(int32_t *p16, const dredfx_nn_linear *l, const int16_t *a15) {                                    \
    if (l->rq_hi && (!DFX_TWIN_SHIFTED || rq_hi_shift_max14(l->rq))) {                                            \
      const __m256i hj = DFX_TWIN_SHIFTED ? rq_hi_factor(l->rq) : rq_hi_shift(l->rq);                             \
      linear_u_body(p16, l, a15, &hj);                                                                            \
    } else {                                                                                                      \
      linear_u_body(p16, l, a15, NULL);                                                                           \
    }                                                                                                             \
    return 0;                                                                                                     \
  }
#define DFX_TWIN_NARROW_A15(c) \
  case c: dense_u_narrow_a15(p16, l->w8, l->wsum, a15, nin, rows, rq, n, c / 4, hj); return;

#endif
