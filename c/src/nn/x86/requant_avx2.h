/* The non-saturating requantization of 8 outputs on AVX2 (kernels.h dredfx_nn_requant_prep), shared
 * by the x86 levels' requantize_rq and their fused layer kernels (dense_i8_u_rq, sparse_i8_u_rq,
 * linear_u_rq), in its two forms: per row, and layer-wide (linear_u_rq only). */
#ifndef DREDFX_NN_X86_REQUANT_AVX2_H
#define DREDFX_NN_X86_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include "nn/kernels.h"

/* Constants broadcast from memory (bcast_const): GCC 12 builds a _mm256_set1 of a constant in a
 * target("avx2") function from a general register (mov, vmovd, vpbroadcast: two instructions on the
 * vector ports, one of them on the shuffle port), while vpbroadcastd of a memory word is a load
 * only. dfx_x86_k[K_127] is 127 in both 16-bit halves (quantize_u8), K_PERM + b the vpermd lane of
 * quantize_u8_reg's block b (bcast_block), K_POW2 + j 2^j in both halves (rq_hi_factor), K_IOTA + j
 * j itself (rq_hi_shift). */
enum { K_127 = 0, K_PERM = 1, K_POW2 = 9, K_IOTA = 24 };
__attribute__((unused)) static const int32_t dfx_x86_k[] = {
    0x007f007f, 0, 1, 4, 5, 2, 3, 6, 7,
    0x00010001, 0x00020002, 0x00040004, 0x00080008, 0x00100010, 0x00200020, 0x00400040, 0x00800080, 0x01000100,
    0x02000200, 0x04000400, 0x08000800, 0x10001000, 0x20002000, 0x40004000,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
    31, 32};

/* The int32 at dfx_x86_k[i] in every lane, loaded: the empty asm hides the address from the
 * compiler, which would otherwise fold the known value back into a built constant. */
__attribute__((target("avx2"), always_inline)) static inline __m256i bcast_const(int i) {
  const int32_t *p = dfx_x86_k + i;
  __asm__("" : "+r"(p));
  return _mm256_set1_epi32(*p);
}

/* 8 outputs of the non-saturating requantization (kernels.h): even outputs in the low halves of the
 * 64-bit lanes as loaded, odd ones copied down; vpmuldq reads only the low halves. 8 instructions
 * (the constants are memory operands); the two copies are shuffles, off the multiply and shift
 * ports. */
__attribute__((target("avx2"), always_inline)) static inline __m256i requant_rq8(__m256i a, const int64_t *rq) {
  const __m256i *q = (const __m256i *)(const void *)rq;
  __m256i pe = _mm256_mul_epi32(a, _mm256_loadu_si256(q));
  __m256i po = _mm256_mul_epi32(_mm256_shuffle_epi32(a, 0xf5), _mm256_loadu_si256(q + 1));
  pe = _mm256_srlv_epi64(_mm256_add_epi64(pe, _mm256_loadu_si256(q + 2)), _mm256_loadu_si256(q + 4));
  po = _mm256_srlv_epi64(_mm256_add_epi64(po, _mm256_loadu_si256(q + 3)), _mm256_loadu_si256(q + 5));
  return _mm256_blend_epi32(pe, _mm256_shuffle_epi32(po, 0xa0), 0xaa);
}

/* 8 outputs of the layer-wide form (kernels.h) from the offset sums a already shifted left by
 * j = 32 - T (the offset is in the constants): p16 = the high 32 bits of a m + H. 7 instructions
 * (2 on the multiply ports), 4 constant loads, no shift on the products (the high halves are the
 * result), against the per-row form's offset subtraction and 10 instructions, 7 loads. */
__attribute__((target("avx2"), always_inline)) static inline __m256i requant_hi8_shifted(__m256i a,
                                                                                        const int64_t *rq) {
  const __m256i *q = (const __m256i *)(const void *)rq;
  const __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(a, _mm256_loadu_si256(q)), _mm256_loadu_si256(q + 6));
  const __m256i po =
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_shuffle_epi32(a, 0xf5), _mm256_loadu_si256(q + 1)), _mm256_loadu_si256(q + 7));
  return _mm256_blend_epi32(_mm256_shuffle_epi32(pe, 0xf5), po, 0xaa);
}

/* requant_hi8_shifted of the raw offset sums s, shifted here: hj holds j in every lane. */
__attribute__((target("avx2"), always_inline)) static inline __m256i requant_hi8(__m256i s, const int64_t *rq,
                                                                                __m256i hj) {
  return requant_hi8_shifted(_mm256_sllv_epi32(s, hj), rq);
}

/* j = 32 - T of a layer in the layer-wide form (every row's shift is T), in every lane. */
__attribute__((target("avx2"), always_inline)) static inline __m256i rq_hi_shift(const int64_t *rq) {
  return bcast_const(K_IOTA + 32 - (int)rq[16]);
}

/* 1 where that j is at most 14, so that 2^j is an int16 factor (rq_hi_factor). */
static inline int rq_hi_shift_max14(const int64_t *rq) {
  return rq[16] >= 18;
}

/* 2^j in every 16-bit lane: vpmaddwd by it instead of 1 adds each block's pair sums already
 * shifted (|2 * 32767 * 2^14| < 2^31), and the int32 sums wrap exactly as vpsllvd's shift of
 * their total would, so the result is the same bits. */
__attribute__((target("avx2"), always_inline)) static inline __m256i rq_hi_factor(const int64_t *rq) {
  return bcast_const(K_POW2 + 32 - (int)rq[16]);
}

/* Stores the first n (1..8) int32 lanes of v at p. */
__attribute__((target("avx2"), always_inline)) static inline void store_first(int32_t *p, __m256i v, int n) {
  if (__builtin_expect(n == 8, 1))
    _mm256_storeu_si256((__m256i *)(void *)p, v);
  else
    _mm256_maskstore_epi32(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), v);
}

/* The 8 sums s of a group of rows of a kernel, to out: requantized with the group's constants q
 * into its first `left` outputs (the fused _rq kernels) or, q NULL, stored as they are. */
__attribute__((target("avx2"), always_inline)) static inline void finish8(int32_t *out, __m256i s, const int64_t *q,
                                                                         int left) {
  if (q == NULL)
    _mm256_storeu_si256((__m256i *)(void *)out, s);
  else
    store_first(out, requant_rq8(s, q), left < 8 ? left : 8);
}

/* The 8 raw offset sums s (sum w xu) of the rows at wsum to out, as finish8 does with s - wsum
 * (the offset removed); hj non-NULL: requantized in the layer-wide form, hj its shift, or with
 * `shifted` (AVX2, whose blocks multiply by 2^j instead of 1), s already shifted. */
__attribute__((target("avx2"), always_inline)) static inline void finish_u(int32_t *out, __m256i s, const int32_t *wsum,
                                                                          const int64_t *q, int left, const __m256i *hj,
                                                                          const int shifted) {
  if (hj != NULL)
    store_first(out, shifted ? requant_hi8_shifted(s, q) : requant_hi8(s, q, *hj), left < 8 ? left : 8);
  else
    finish8(out, _mm256_sub_epi32(s, _mm256_loadu_si256((const __m256i *)(const void *)wsum)), q, left);
}

/* xu = PSHR32(127 a15, 15) + 127 (kernels.h quantize_u8) of the nin inputs at a15 (nin even,
 * cols - 4 < nin <= cols <= 32) in the bytes of one register, in bcast_block's order, and 127 from
 * nin on (the padded columns, x8 = 0): a 16-input half that nin does not fill is read with a
 * masked load, which touches no int16 past a15[nin - 1] and gives 0 there, and 0 quantizes to 127.
 * mulhrs(a, 127) = PSHR32(127 a, 15): kernels_avx2.c dredfx_nn_quantize_u8_avx2. */
__attribute__((target("avx2"), always_inline)) static inline __m256i load_a15_half(const int16_t *a15, int left) {
  if (left >= 16) return _mm256_loadu_si256((const __m256i *)(const void *)a15);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_maskload_epi32((const int *)(const void *)a15, _mm256_cmpgt_epi32(_mm256_set1_epi32(left / 2), lane));
}

__attribute__((target("avx2"), always_inline)) static inline __m256i quantize_u8_reg(const int16_t *a15, int nin,
                                                                                  int cols) {
  const __m256i k127 = bcast_const(K_127);
  const __m256i u0 = _mm256_add_epi16(_mm256_mulhrs_epi16(load_a15_half(a15, nin), k127), k127);
  const __m256i u1 = cols > 16 ? _mm256_add_epi16(_mm256_mulhrs_epi16(load_a15_half(a15 + 16, nin - 16), k127), k127)
                               : u0;
  return _mm256_packus_epi16(u0, u1);
}

/* The 4 bytes of block b (inputs 4b..4b+3, b < 8) of quantize_u8_reg's q in every 32-bit lane.
 * packus works within 128-bit halves, so q's 32-bit lanes hold the blocks 0 1 4 5 | 2 3 6 7 (with
 * one half of inputs, u1 = u0: 0 1 0 1 | 2 3 2 3); vpermd picks the block's lane, and no vpermq
 * puts them in order first (3 cycles less before the first block). */
__attribute__((target("avx2"), always_inline)) static inline __m256i bcast_block(__m256i q, int b) {
  return _mm256_permutevar8x32_epi32(q, b == 0 ? _mm256_setzero_si256() : bcast_const(K_PERM + b));
}

/* The constants of the next group: rq NULL (the unfused kernels) stays NULL. */
#define NEXT_RQ_GROUP(q) ((q) != NULL ? (q) + DREDFX_NN_RQ_GROUP : NULL)

#endif
