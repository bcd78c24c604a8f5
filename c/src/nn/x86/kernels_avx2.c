/* AVX2 twins of kernels_c.c, bit-exact with it.
 *
 * int8: weights and inputs are sign-extended to int16 (_mm256_cvtepi8_epi16) and multiplied with
 * _mm256_madd_epi16, whose pair sums are exact for any int8 (and any int16 pair but
 * (-32768)^2 * 2). _mm256_maddubs_epi16 is not used: its int16 pair sums saturate.
 * int16: _mm256_madd_epi16 pair sums are exact because weights are never -32768; each pair sum is
 * widened to int64 before it is accumulated.
 * Compiled with a target attribute, so no per-file flags are needed and the rest of the library
 * stays baseline x86-64; cpu.c selects these only when the CPU has AVX2. */
#include "nn/kernels.h"

#if defined(__x86_64__)

#if !defined(__GNUC__)
#error "kernels_avx2.c needs GCC or clang (target attributes)"
#endif

#include <immintrin.h>
#include <string.h>

#define DFX_AVX2 __attribute__((target("avx2")))
#define DFX_AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/* The 4 inputs of a block as int16, repeated for the 4 rows of each 128-bit half. */
DFX_AVX2_INLINE __m256i bcast_x4(const int8_t *x) {
  int32_t v;
  memcpy(&v, x, 4);
  return _mm256_cvtepi8_epi16(_mm_set1_epi32(v));
}

/* 4 rows x 4 columns of a block, times the 4 inputs: one int32 pair sum per (row, column pair). */
DFX_AVX2_INLINE __m256i madd_half(const int8_t *w, __m256i xv) {
  return _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w)), xv);
}

/* lo holds the pair sums of rows 0..3, hi those of rows 4..7: returns rows 0..7 in order. */
DFX_AVX2_INLINE __m256i reduce_rows(__m256i lo, __m256i hi) {
  __m256i s = _mm256_hadd_epi32(lo, hi); /* r0 r1 r4 r5 | r2 r3 r6 r7 */
  return _mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
}

/* nb (1..4) consecutive groups of 8 rows share each input broadcast. */
DFX_AVX2_INLINE void dense_groups(int32_t *acc, const int8_t *w, const int8_t *x, int cols, int nb) {
  const size_t stride = (size_t)cols * 8;
  __m256i lo[4], hi[4];
  for (int k = 0; k < nb; k++) lo[k] = hi[k] = _mm256_setzero_si256();
  for (int j = 0; j < cols; j += 4) {
    const __m256i xv = bcast_x4(x + j);
    const int8_t *wj = w + (size_t)j * 8;
    for (int k = 0; k < nb; k++) {
      lo[k] = _mm256_add_epi32(lo[k], madd_half(wj + k * stride, xv));
      hi[k] = _mm256_add_epi32(hi[k], madd_half(wj + k * stride + 16, xv));
    }
  }
  for (int k = 0; k < nb; k++)
    _mm256_storeu_si256((__m256i *)(void *)(acc + 8 * k), reduce_rows(lo[k], hi[k]));
}

DFX_AVX2 static void dense_i8_avx2(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int i = 0;
  for (; i + 32 <= rows; i += 32, w += 4 * stride) dense_groups(acc + i, w, x, cols, 4);
  for (; i < rows; i += 8, w += stride) dense_groups(acc + i, w, x, cols, 1);
}

DFX_AVX2 static void sparse_i8_avx2(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                    int rows) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    __m256i lo0 = _mm256_setzero_si256(), hi0 = lo0, lo1 = lo0, hi1 = lo0;
    int b = 0;
    for (; b + 2 <= nblocks; b += 2, w += 64) {
      const __m256i x0 = bcast_x4(x + idx[0]);
      const __m256i x1 = bcast_x4(x + idx[1]);
      idx += 2;
      lo0 = _mm256_add_epi32(lo0, madd_half(w, x0));
      hi0 = _mm256_add_epi32(hi0, madd_half(w + 16, x0));
      lo1 = _mm256_add_epi32(lo1, madd_half(w + 32, x1));
      hi1 = _mm256_add_epi32(hi1, madd_half(w + 48, x1));
    }
    if (b < nblocks) {
      const __m256i x0 = bcast_x4(x + *idx++);
      lo0 = _mm256_add_epi32(lo0, madd_half(w, x0));
      hi0 = _mm256_add_epi32(hi0, madd_half(w + 16, x0));
      w += 32;
    }
    _mm256_storeu_si256((__m256i *)(void *)(acc + i),
                        reduce_rows(_mm256_add_epi32(lo0, lo1), _mm256_add_epi32(hi0, hi1)));
  }
}

/* Adds the 8 int32 pair sums of p to the 4 int64 lanes of *s (two lanes each). */
DFX_AVX2_INLINE void add_widened(__m256i *s0, __m256i *s1, __m256i p) {
  *s0 = _mm256_add_epi64(*s0, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(p)));
  *s1 = _mm256_add_epi64(*s1, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(p, 1)));
}

DFX_AVX2 void dredfx_nn_dense_i16_avx2(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i++, w += cols) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    int j = 0;
    for (; j + 32 <= cols; j += 32) {
      add_widened(&s0, &s1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(w + j)),
                                              _mm256_loadu_si256((const __m256i *)(const void *)(x + j))));
      add_widened(&s2, &s3,
                  _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(w + j + 16)),
                                    _mm256_loadu_si256((const __m256i *)(const void *)(x + j + 16))));
    }
    for (; j + 16 <= cols; j += 16)
      add_widened(&s0, &s1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(w + j)),
                                              _mm256_loadu_si256((const __m256i *)(const void *)(x + j))));
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
    __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    int64_t sum = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
    for (; j < cols; j++) sum += (int32_t)w[j] * x[j];
    acc[i] = sum;
  }
}

const dredfx_nn_kernels dredfx_nn_kernels_avx2 = {dense_i8_avx2, sparse_i8_avx2, dredfx_nn_dense_i16_avx2};

#endif
