/* The non-saturating requantization of 8 outputs on AVX2 (kernels.h dredfx_nn_requant_prep), shared
 * by the x86 levels' requantize_rq and their fused layer kernels (dense_i8_u_rq, sparse_i8_u_rq). */
#ifndef DREDFX_NN_X86_REQUANT_AVX2_H
#define DREDFX_NN_X86_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* 8 outputs of the non-saturating requantization (kernels.h): even outputs in the low halves of the
 * 64-bit lanes as loaded, odd ones moved down; vpmuldq reads only the low halves. */
__attribute__((target("avx2"), always_inline)) static inline __m256i requant_rq8(__m256i a, const int64_t *rq) {
  const __m256i *q = (const __m256i *)(const void *)rq;
  __m256i pe = _mm256_mul_epi32(a, _mm256_loadu_si256(q));
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_loadu_si256(q + 1));
  pe = _mm256_srlv_epi64(_mm256_add_epi64(pe, _mm256_loadu_si256(q + 2)), _mm256_loadu_si256(q + 4));
  po = _mm256_srlv_epi64(_mm256_add_epi64(po, _mm256_loadu_si256(q + 3)), _mm256_loadu_si256(q + 5));
  pe = _mm256_add_epi64(pe, _mm256_loadu_si256(q + 6));
  po = _mm256_add_epi64(po, _mm256_loadu_si256(q + 7));
  return _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xaa);
}

/* Stores the first n (1..8) int32 lanes of v at p. */
__attribute__((target("avx2"), always_inline)) static inline void store_first(int32_t *p, __m256i v, int n) {
  if (n == 8) {
    _mm256_storeu_si256((__m256i *)(void *)p, v);
  } else {
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)(void *)t, v);
    memcpy(p, t, sizeof(int32_t) * (size_t)n);
  }
}

#endif
