/* AVX2 twins of the FFT's last three radix-4 stages (analysis.c dredfx_an_fft_mid_c,
 * dredfx_an_fft_tail_c), bit-exact with them: four butterflies (four k) a vector of interleaved
 * (re, im) int32 pairs; each twiddle product is exact in an int64 lane (_mm256_mul_epi32 on the
 * even int32 lanes, the odd ones shifted down first), rounded as DFX_PSHR64(v, 30) and truncated
 * to int32 as the scalar code: bits 30..61 of v + 2^29, the same after a logical shift as after an
 * arithmetic one. The sums are int32 lane sums, which the contract keeps from overflowing.
 * Compiled with a target attribute; used only when the CPU level is AVX2 or above. */
#include <string.h>

#include "analysis/analysis.h"

#if defined(__x86_64__)

#include <immintrin.h>

/* a exp(-i theta) for four (re, im) pairs, t = four (cos, sin) pairs in Q30 */
__attribute__((target("avx2"))) static inline __m256i twiddle4(__m256i a, __m256i t) {
  const __m256i half = _mm256_set1_epi64x((int64_t)1 << 29);
  const __m256i ai = _mm256_srli_epi64(a, 32), ts = _mm256_srli_epi64(t, 32);
  const __m256i re = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, t), _mm256_mul_epi32(ai, ts)), half);
  const __m256i im = _mm256_add_epi64(_mm256_sub_epi64(_mm256_mul_epi32(ai, t), _mm256_mul_epi32(a, ts)), half);
  return _mm256_blend_epi32(_mm256_srli_epi64(re, 30), _mm256_slli_epi64(_mm256_srli_epi64(im, 30), 32), 0xAA);
}

/* kiss FFT's radix-4 butterflies k..k + 3 of a group of quarter m at f (p = f + 2 k), tw_j: the
 * (cos, sin) of the four k for twiddle j = 1, 2, 3 */
__attribute__((target("avx2"), always_inline)) static inline void bfly4x4(int32_t *p, int m, const int32_t *tw1,
                                                                         const int32_t *tw2, const int32_t *tw3) {
  {
    __m256i a0 = _mm256_loadu_si256((const __m256i *)p);
    const __m256i a1 = _mm256_loadu_si256((const __m256i *)(p + 2 * m));
    const __m256i a2 = _mm256_loadu_si256((const __m256i *)(p + 4 * m));
    const __m256i a3 = _mm256_loadu_si256((const __m256i *)(p + 6 * m));
    const __m256i s0 = twiddle4(a1, _mm256_loadu_si256((const __m256i *)tw1));
    const __m256i s1 = twiddle4(a2, _mm256_loadu_si256((const __m256i *)tw2));
    const __m256i s2 = twiddle4(a3, _mm256_loadu_si256((const __m256i *)tw3));
    const __m256i s5 = _mm256_sub_epi32(a0, s1);
    a0 = _mm256_add_epi32(a0, s1);
    const __m256i s3 = _mm256_add_epi32(s0, s2), s4 = _mm256_sub_epi32(s0, s2);
    _mm256_storeu_si256((__m256i *)(p + 4 * m), _mm256_sub_epi32(a0, s3));
    _mm256_storeu_si256((__m256i *)p, _mm256_add_epi32(a0, s3));
    /* (s5.r + s4.i, s5.i - s4.r) and (s5.r - s4.i, s5.i + s4.r) */
    const __m256i sw = _mm256_shuffle_epi32(s4, 0xB1);
    const __m256i pl = _mm256_add_epi32(s5, sw), mi = _mm256_sub_epi32(s5, sw);
    _mm256_storeu_si256((__m256i *)(p + 2 * m), _mm256_blend_epi32(pl, mi, 0xAA));
    _mm256_storeu_si256((__m256i *)(p + 6 * m), _mm256_blend_epi32(mi, pl, 0xAA));
  }
}

/* kiss FFT's radix-4 butterflies of one group (m a multiple of 4), tw: [j - 1][k] (cos, sin) */
__attribute__((target("avx2"))) static void bfly4_avx2(int32_t *f, int m, const int32_t *tw) {
  for (int k = 0; k < m; k += 4) bfly4x4(f + 2 * k, m, tw + 2 * k, tw + 2 * m + 2 * k, tw + 4 * m + 2 * k);
}

/* (a c + b d + 2^29) >> 30 for int32 values in the low halves of int64 lanes, the result's low
 * 32 bits (the scalar code's int32 value when it fits: logical and arithmetic shifts agree there) */
__attribute__((target("avx2"), always_inline)) static inline __m256i dot2_q30(__m256i a, __m256i c, __m256i b,
                                                                             __m256i d) {
  const __m256i half = _mm256_set1_epi64x((int64_t)1 << 29);
  return _mm256_srli_epi64(_mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, c), _mm256_mul_epi32(b, d)), half),
                           30);
}

/* The real leaves four at a time (leaves c..c + 3, one an int64 lane): the radix-5 butterfly of
 * analysis.c bfly5_leaf_real with |re| < 2^30, so the sums s7..s10 fit int32 and each product
 * pair is exact in int64; the outputs (int32 in the low halves) are paired (re, im) in 64-bit
 * lanes, transposed so that each leaf's first four outputs are one store. The leaves c..c + 3 go
 * to out + 80 q + 20 ((c >> 2) & 3) + 5 (c >> 4), q = 0..3. */
__attribute__((target("avx2"))) void dredfx_an_fft_leaves_real_avx2(const int32_t *re, int32_t *f) {
  const __m256i yar = _mm256_set1_epi64x(dredfx_an_cos_q30[64]), yai = _mm256_set1_epi64x(-dredfx_an_sin_q30[64]);
  const __m256i ybr = _mm256_set1_epi64x(dredfx_an_cos_q30[128]), ybi = _mm256_set1_epi64x(-dredfx_an_sin_q30[128]);
  const __m256i zero = _mm256_setzero_si256();
  for (int c = 0; c < 64; c += 4) {
    __m256i x[5];
    for (int q4 = 0; q4 < 5; q4++)
      x[q4] = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(re + c + 64 * q4)));
    const __m256i s7 = _mm256_add_epi64(x[1], x[4]), s10 = _mm256_sub_epi64(x[1], x[4]);
    const __m256i s8 = _mm256_add_epi64(x[2], x[3]), s9 = _mm256_sub_epi64(x[2], x[3]);
    const __m256i s5r = _mm256_add_epi32(x[0], dot2_q30(s7, yar, s8, ybr));
    const __m256i s11r = _mm256_add_epi32(x[0], dot2_q30(s7, ybr, s8, yar));
    /* s6i = -PSHR(s10 yai + s9 ybi), s12i = PSHR(s10 ybi - s9 yai) = PSHR(s10 ybi + s9 (-yai)) */
    const __m256i s6i = _mm256_sub_epi32(zero, dot2_q30(s10, yai, s9, ybi));
    const __m256i s12i = dot2_q30(s10, ybi, s9, _mm256_sub_epi64(zero, yai));
    const __m256i o0 = _mm256_and_si256(_mm256_add_epi32(x[0], _mm256_add_epi32(s7, s8)), _mm256_set1_epi64x(0xFFFFFFFF));
    const __m256i o1 = _mm256_blend_epi32(s5r, _mm256_slli_epi64(_mm256_sub_epi32(zero, s6i), 32), 0xAA);
    const __m256i o4 = _mm256_blend_epi32(s5r, _mm256_slli_epi64(s6i, 32), 0xAA);
    const __m256i o2 = _mm256_blend_epi32(s11r, _mm256_slli_epi64(s12i, 32), 0xAA);
    const __m256i o3 = _mm256_blend_epi32(s11r, _mm256_slli_epi64(_mm256_sub_epi32(zero, s12i), 32), 0xAA);
    /* transpose: lane q of o0..o3 -> the four outputs of leaf c + q */
    const __m256i t0 = _mm256_unpacklo_epi64(o0, o1), t1 = _mm256_unpackhi_epi64(o0, o1);
    const __m256i t2 = _mm256_unpacklo_epi64(o2, o3), t3 = _mm256_unpackhi_epi64(o2, o3);
    const __m256i leafv[4] = {_mm256_permute2x128_si256(t0, t2, 0x20), _mm256_permute2x128_si256(t1, t3, 0x20),
                              _mm256_permute2x128_si256(t0, t2, 0x31), _mm256_permute2x128_si256(t1, t3, 0x31)};
    int64_t last[4];
    _mm256_storeu_si256((__m256i *)(void *)last, o4);
    int32_t *base = f + 2 * (20 * ((c >> 2) & 3) + 5 * (c >> 4));
    for (int q = 0; q < 4; q++) {
      _mm256_storeu_si256((__m256i *)(void *)(base + 160 * q), leafv[q]);
      memcpy(base + 160 * q + 8, &last[q], 8);
    }
  }
}

/* The m = 5 stage: butterflies 0..3 of each group in a vector (at k = 0 the twiddle exp(0) =
 * (2^30, 0) returns its input: (2^30 a + 2^29) >> 30 = a, the scalar code's integer), the fifth
 * by the scalar code. */
__attribute__((target("avx2"))) void dredfx_an_fft_mid_avx2(int32_t *f) {
  for (int g = 0; g < 16; g++) {
    int32_t *p = f + 40 * g;
    bfly4x4(p, 5, dredfx_an_fft_tw5_q30, dredfx_an_fft_tw5_q30 + 8, dredfx_an_fft_tw5_q30 + 16);
    dredfx_an_fft_mid_bfly(p, 4);
  }
}

__attribute__((target("avx2"))) void dredfx_an_fft_tail_avx2(int32_t *f) {
  for (int q = 0; q < 4; q++) bfly4_avx2(f + 160 * q, 20, dredfx_an_fft_tw_q30);
  bfly4_avx2(f, 80, dredfx_an_fft_tw_q30 + 120);
}

#endif
