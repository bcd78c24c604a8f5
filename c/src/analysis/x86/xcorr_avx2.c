/* AVX2 twins of the analysis' cross-correlation and autocorrelation sums (analysis.c
 * dredfx_an_xcorr_c, dredfx_an_autocorr_c), bit-exact with them: every
 * product is exact in an int64 lane (_mm256_mul_epi32 on the even int32 lanes, the odd lanes
 * shifted down first) and int64 sums do not depend on their order. Compiled with a target
 * attribute; selected at init only when the CPU has AVX2. */
#include "analysis/analysis.h"

#if defined(__x86_64__)

#include <immintrin.h>

__attribute__((target("avx2"))) void dredfx_an_xcorr_avx2(const int32_t *x, const int32_t *y, int64_t *xc) {
  for (int i = 0; i < DREDFX_ANALYSIS_NB_XCORR; i++) {
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    for (int n = 0; n < DREDFX_ANALYSIS_FRAME; n += 8) {
      __m256i a = _mm256_loadu_si256((const __m256i *)(x + n));
      __m256i b = _mm256_loadu_si256((const __m256i *)(y + i + n));
      even = _mm256_add_epi64(even, _mm256_mul_epi32(a, b));
      odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)));
    }
    __m256i s = _mm256_add_epi64(even, odd);
    __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    xc[i] = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
  }
}

__attribute__((target("avx2"))) void dredfx_an_autocorr_avx2(const int32_t *g, const int32_t *cos_q30, int64_t *s) {
  for (int l = 0; l <= DREDFX_ANALYSIS_LPC_ORDER; l++) {
    const int32_t *c = cos_q30 + l * DREDFX_ANALYSIS_FRAME;
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    for (int k = 0; k < DREDFX_ANALYSIS_FRAME; k += 8) {
      __m256i a = _mm256_loadu_si256((const __m256i *)(g + k));
      __m256i b = _mm256_loadu_si256((const __m256i *)(c + k));
      even = _mm256_add_epi64(even, _mm256_mul_epi32(a, b));
      odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)));
    }
    __m256i t = _mm256_add_epi64(even, odd);
    __m128i h = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    s[l] = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
  }
}

#endif
