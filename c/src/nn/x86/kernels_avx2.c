/* AVX2 twins of kernels_c.c, bit-exact with it.
 *
 * Offset int8 kernels (dense_i8_u, sparse_i8_u; the engine's path for every model layer):
 * libopus' own instruction sequence, _mm256_maddubs_epi16(xu, w) then _mm256_madd_epi16(., 1):
 * one maddubs per 8x4 block. maddubs saturates its int16 pair sums, but with xu in [0, 254] and
 * each adjacent weight pair's positive and negative parts at most 129 (checked at load by
 * dredfx_nn_i8_row_sums) every pair sum lies in [-32766, 32766]: no saturation, exact. The offset
 * is removed at the end, acc = sum w xu - wsum (wsum = 127 sum w) (kernels.h; docs/fixed-point.md 3.2).
 * Signed int8 kernels (layers that fail the pair bound): weights and inputs are sign-extended to
 * int16 (_mm256_cvtepi8_epi16) and multiplied with _mm256_madd_epi16, exact for any int8.
 * int16: _mm256_madd_epi16 pair sums are exact because weights are never -32768; each pair sum is
 * widened to int64 before it is accumulated.
 * Compiled with a target attribute, so no per-file flags are needed and the rest of the library
 * stays baseline x86-64; cpu.c selects these only when the CPU has AVX2. */
#include "nn/kernels.h"
#include "nn/nn.h"

#if defined(__x86_64__)

#if !defined(__GNUC__)
#error "kernels_avx2.c needs GCC or clang (target attributes)"
#endif

#include <immintrin.h>
#include <string.h>

#include "nn/x86/requant_avx2.h"

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

/* ------------------------------------------------------------------ offset (maddubs) kernels */
/* The 4 offset inputs at xu repeated in every 32-bit lane. */
DFX_AVX2_INLINE __m256i bcast_u4(const uint8_t *xu) {
  int32_t v;
  memcpy(&v, xu, 4);
  return _mm256_set1_epi32(v);
}

/* The 8 row sums of one 8x4 block (lane r = row r) times the 4 broadcast offset inputs, times the
 * factor in every 16-bit lane of f (1, or the layer-wide form's 2^j: rq_hi_factor). */
DFX_AVX2_INLINE __m256i maddubs_block(const int8_t *w, __m256i xv, __m256i f) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(xv, _mm256_loadu_si256((const __m256i *)(const void *)w)), f);
}

/* The factor of maddubs_block for the layer-wide form's hj (NULL: 1). */
DFX_AVX2_INLINE __m256i block_factor(const __m256i *hj) {
  return hj != NULL ? *hj : _mm256_set1_epi16(1);
}

/* s + t in s's register: written out because GCC 12 otherwise sums a loop's 4 blocks first and
 * copies the accumulator to another register and back each iteration. */
DFX_AVX2_INLINE __m256i acc_add(__m256i s, __m256i t) {
  __asm__("vpaddd %1, %0, %0" : "+x"(s) : "x"(t));
  return s;
}

#define DFX_TWIN_INLINE DFX_AVX2_INLINE
#define DFX_TWIN_BLOCK(s, xv, w, hj) _mm256_add_epi32((s), maddubs_block((w), (xv), block_factor(hj)))
#define DFX_TWIN_SHIFTED 1
#define DFX_TWIN_XV_MAX 4
#define DFX_TWIN_BCAST(p) bcast_u4(p)
#include "nn/x86/linear_u_twin.h"

/* The groups of dense_u_body, c64 = cols rounded down to 64 and rem = cols % 64 (constants where
 * inlined). */
DFX_AVX2_INLINE void dense_u_groups(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                    int c64, const int rem, const int64_t *rq, int n, const __m256i *hj) {
  const uint8_t *const xr = xu + c64;
  const __m256i f = block_factor(hj);
  for (int i = 0; i < rows; i += 8) {
    __m256i s0 = _mm256_setzero_si256();
    for (const uint8_t *x = xu; x != xr; x += 64, w += 512) {
#pragma GCC unroll 16
      for (int k = 0; k < 16; k++) s0 = acc_add(s0, maddubs_block(w + 32 * k, bcast_u4(x + 4 * k), f));
    }
    for (int b = 0; b < rem / 4; b++) s0 = acc_add(s0, maddubs_block(w + 32 * b, bcast_u4(xr + 4 * b), f));
    w += rem * 8;
    finish_u(out + i, s0, wsum + i, rq, n - i, hj, 1);
    rq = NEXT_RQ_GROUP(rq);
  }
}

/* One group of 8 rows at a time, its blocks streamed in memory order, 16 blocks a pass: faster here
 * than sharing each input broadcast between several groups, and than libopus' cgemv8x4's 4 blocks a
 * pass, which this loop had until round 7 (bench/results.md): 8 and 16 a pass took AVX2 128->320
 * from 0.97x libopus x86 to 1.01x and 1.07x, 128->576 from 1.00x to 1.04x and 1.18x; 32 a pass
 * was no faster, and 96->64 fell to 0.70x. The last cols % 64 columns (up to 15 blocks) run
 * straight, without a loop: on the models' small layers (8 to 32 inputs) the loop control cost as
 * much as the blocks; the loop is compiled apart for each multiple of 16 of the rest (no tests of
 * it), and for 64 and 128 columns (the trip count known). With rq (the fused _rq kernels), each
 * group's 8 sums are requantized while still in a register and out gets the first n p16 values;
 * without, out gets the rows sums. */
DFX_AVX2_INLINE void dense_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                  int cols, const int64_t *rq, int n, const __m256i *hj) {
  switch (cols) {
    DFX_NARROW_CASES(DFX_TWIN_NARROW_XU)
    default: break;
  }
  if (cols == 64 || cols == 128) { /* the trip count known (the models' GRU and conv layers) */
    dense_u_groups(out, w, wsum, xu, rows, cols == 64 ? 64 : 128, 0, rq, n, hj);
    return;
  }
  switch (cols & 63) {
    case 0: dense_u_groups(out, w, wsum, xu, rows, cols, 0, rq, n, hj); return;
    case 16: dense_u_groups(out, w, wsum, xu, rows, cols & ~63, 16, rq, n, hj); return;
    case 32: dense_u_groups(out, w, wsum, xu, rows, cols & ~63, 32, rq, n, hj); return;
    case 48: dense_u_groups(out, w, wsum, xu, rows, cols & ~63, 48, rq, n, hj); return;
    default: dense_u_groups(out, w, wsum, xu, rows, cols & ~63, cols & 63, rq, n, hj); return;
  }
}

/* The 4 sparse blocks at w, their columns at idx, added to the chains s0 and s1 alternately. */
DFX_AVX2_INLINE void sparse_blocks4(__m256i *s0, __m256i *s1, const int8_t *w, const int32_t *idx, const uint8_t *xu,
                                    __m256i f) {
  uint64_t i01, i23;
  memcpy(&i01, idx, 8);
  memcpy(&i23, idx + 2, 8);
  *s0 = acc_add(*s0, maddubs_block(w, bcast_u4(xu + (uint32_t)i01), f));
  *s1 = acc_add(*s1, maddubs_block(w + 32, bcast_u4(xu + (i01 >> 32)), f));
  *s0 = acc_add(*s0, maddubs_block(w + 64, bcast_u4(xu + (uint32_t)i23), f));
  *s1 = acc_add(*s1, maddubs_block(w + 96, bcast_u4(xu + (i23 >> 32)), f));
}

/* A sparse layer's groups: 8 blocks a pass in two chains, then 4, then one at a time (4 a pass until
 * round 7: the models' GRU input groups have 9 to 19 blocks). */
DFX_AVX2_INLINE void sparse_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                   const uint8_t *xu, int rows, const int64_t *rq, int n, const __m256i *hj) {
  const __m256i f = block_factor(hj);
  for (int i = 0; i < rows; i += 8) {
    const int nblocks = *idx++;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    for (int k = nblocks >> 3; k > 0; k--) {
      sparse_blocks4(&s0, &s1, w, idx, xu, f);
      sparse_blocks4(&s0, &s1, w + 128, idx + 4, xu, f);
      idx += 8;
      w += 256;
      DFX_TWIN_ADVANCED(idx, w);
    }
    if (nblocks & 4) {
      sparse_blocks4(&s0, &s1, w, idx, xu, f);
      idx += 4;
      w += 128;
      DFX_TWIN_ADVANCED(idx, w);
    }
    for (int k = nblocks & 3; k > 0; k--) {
      s0 = acc_add(s0, maddubs_block(w, bcast_u4(xu + *idx), f));
      idx++;
      w += 32;
      DFX_TWIN_ADVANCED(idx, w);
    }
    finish_u(out + i, _mm256_add_epi32(s0, s1), wsum + i, rq, n - i, hj, 1);
    rq = NEXT_RQ_GROUP(rq);
  }
}

/* The sparse layer of linear_u_rq (linear_u_twin.h): the 32-bit index. The byte form (nn.h idx8)
 * ran the groups of 48 to 72 blocks at 0.96x-1.06x of it here, not the AVX-VNNI loop's 1.02x-1.22x
 * (bench/results.md, round 6). */
DFX_AVX2_INLINE void sparse_u_layer(int32_t *p16, const dredfx_nn_linear *l, const uint8_t *xu, int rows,
                                    const int64_t *rq, int n, const __m256i *hj) {
  sparse_u_body(p16, l->w8, l->wsum, l->idx, xu, rows, rq, n, hj);
}

DFX_AVX2 static void dense_i8_u_avx2(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                     int cols) {
  dense_u_body(acc, w, wsum, xu, rows, cols, NULL, rows, NULL);
}

DFX_AVX2 static void sparse_i8_u_avx2(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                      const uint8_t *xu, int rows) {
  sparse_u_body(acc, w, wsum, idx, xu, rows, NULL, rows, NULL);
}

DFX_AVX2 static void dense_i8_u_rq_avx2(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                        int rows, int cols, const int64_t *rq, int n) {
  if (rq == NULL) __builtin_unreachable(); /* kernels.h: fused kernels get the layer's rq */
  dense_u_body(p16, w, wsum, xu, rows, cols, rq, n, NULL);
}

DFX_AVX2 static void sparse_i8_u_rq_avx2(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                         const uint8_t *xu, int rows, const int64_t *rq, int n) {
  if (rq == NULL) __builtin_unreachable();
  sparse_u_body(p16, w, wsum, idx, xu, rows, rq, n, NULL);
}

DFX_TWIN_LINEAR_U_RQ(DFX_AVX2 static, linear_u_rq_avx2)

/* ------------------------------------------------------------------ signed kernels */
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

/* ------------------------------------------------------------------ quantization, requantization */
/* _mm256_mulhrs_epi16(a, 127) = ((127 a >> 14) + 1) >> 1 = (127 a + 2^14) >> 15 = PSHR32(127 a, 15)
 * (with 127 a = 2^15 q + r: both are q + (r >= 2^14)); +127 stays in int16, packus is exact. */
DFX_AVX2 void dredfx_nn_quantize_u8_avx2(uint8_t *xu, const int16_t *a15, int n) {
  const __m256i k127 = bcast_const(K_127);
  int j = 0;
  for (; j + 32 <= n; j += 32) {
    const __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(a15 + j));
    const __m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(a15 + j + 16));
    const __m256i u0 = _mm256_add_epi16(_mm256_mulhrs_epi16(a0, k127), k127);
    const __m256i u1 = _mm256_add_epi16(_mm256_mulhrs_epi16(a1, k127), k127);
    const __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi16(u0, u1), 0xd8);
    _mm256_storeu_si256((__m256i *)(void *)(xu + j), p);
  }
  for (; j + 8 <= n; j += 8) {
    const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(a15 + j));
    const __m128i u = _mm_add_epi16(_mm_mulhrs_epi16(a, _mm256_castsi256_si128(k127)), _mm256_castsi256_si128(k127));
    _mm_storel_epi64((__m128i *)(void *)(xu + j), _mm_packus_epi16(u, u));
  }
  for (; j < n; j++) xu[j] = (uint8_t)(((127 * a15[j] + 16384) >> 15) + 127);
}

/* PSHR64(v, s) per 64-bit lane, s in [1, 62], |v| <= 2^62 (a product of two int32). AVX2 has no
 * variable arithmetic 64-bit shift: v + 2^(s-1) + 2^62 lies in [0, 2^64), so its logical shift is
 * floor((v + 2^(s-1)) / 2^s) + 2^(62-s) exactly, and the offset is subtracted. */
DFX_AVX2_INLINE __m256i pshr64(__m256i v, __m256i s) {
  const __m256i one = _mm256_set1_epi64x(1), big = _mm256_set1_epi64x((int64_t)1 << 62);
  const __m256i r = _mm256_add_epi64(_mm256_sllv_epi64(one, _mm256_sub_epi64(s, one)), big);
  return _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(v, r), s), _mm256_srlv_epi64(big, s));
}

/* SAT32 of the int64 lanes of we (outputs 0, 2, 4, 6) and wo (outputs 1, 3, 5, 7), in output
 * order: a value fits int32 when its high half is the sign extension of its low half. */
DFX_AVX2_INLINE __m256i sat32_pairs(__m256i we, __m256i wo) {
  const __m256i lo = _mm256_blend_epi32(we, _mm256_slli_epi64(wo, 32), 0xaa);
  const __m256i hi = _mm256_blend_epi32(_mm256_srli_epi64(we, 32), wo, 0xaa);
  const __m256i fits = _mm256_cmpeq_epi32(hi, _mm256_srai_epi32(lo, 31));
  const __m256i lim = _mm256_xor_si256(_mm256_srai_epi32(hi, 31), _mm256_set1_epi32(INT32_MAX));
  return _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(lim), _mm256_castsi256_ps(lo), _mm256_castsi256_ps(fits)));
}

/* SAT32(a + b) per lane: on overflow (operands of one sign, sum of the other) the limit of a's sign. */
DFX_AVX2_INLINE __m256i add_sat32(__m256i a, __m256i b) {
  const __m256i sum = _mm256_add_epi32(a, b);
  const __m256i ov = _mm256_andnot_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(a, sum));
  const __m256i lim = _mm256_xor_si256(_mm256_srai_epi32(a, 31), _mm256_set1_epi32(INT32_MAX));
  return _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(sum), _mm256_castsi256_ps(lim), _mm256_castsi256_ps(ov)));
}

/* Shifts outside [1, 62] give hardware-defined garbage here (no UB) and are reported at the end. */
DFX_AVX2 int dredfx_nn_requantize_avx2(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                                       const int32_t *bias, int n) {
  const __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
  __m256i smin = _mm256_set1_epi32(1), smax = smin;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(acc + i));
    const __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(mult + i));
    const __m256i s = _mm256_loadu_si256((const __m256i *)(const void *)(shift + i));
    smin = _mm256_min_epi32(smin, s);
    smax = _mm256_max_epi32(smax, s);
    /* even lanes in place, odd lanes moved down; _mm256_mul_epi32 is the exact signed product */
    const __m256i pe = pshr64(_mm256_mul_epi32(a, m), _mm256_and_si256(s, lo32));
    const __m256i po = pshr64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(m, 32)),
                              _mm256_srli_epi64(s, 32));
    __m256i p = sat32_pairs(pe, po);
    if (bias != NULL) p = add_sat32(p, _mm256_loadu_si256((const __m256i *)(const void *)(bias + i)));
    _mm256_storeu_si256((__m256i *)(void *)(p16 + i), p);
  }
  const int bad = !_mm256_testz_si256(_mm256_or_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(1), smin),
                                                      _mm256_cmpgt_epi32(smax, _mm256_set1_epi32(62))),
                                      _mm256_set1_epi32(-1));
  const int tail = dredfx_nn_requantize_c(p16 + i, acc + i, mult + i, shift + i, bias != NULL ? bias + i : NULL, n - i);
  return bad ? -1 : tail;
}

DFX_AVX2 void dredfx_nn_requantize_rq_avx2(int32_t *p16, const int32_t *acc, const int64_t *rq, int n) {
  /* the padded rows of acc are readable, p16 ends at n */
  for (int i = 0; i < n; i += 8, rq += DREDFX_NN_RQ_GROUP)
    store_first(p16 + i, requant_rq8(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i)), rq),
                n - i < 8 ? n - i : 8);
}

/* ------------------------------------------------------------------ tanh, sigmoid (activations.c) */
/* The table interpolation of activations.c tanh_mag_q19 for lanes a < 512 << (10 + extra): one
 * 32-bit gather at byte 2 i reads T[i] (low half) and T[i + 1] (high half), i <= 511 stays inside
 * the 513 entries; 0 <= T[i + 1] - T[i] < 2^10 and f < 2^11, so vpmaddwd forms d f exactly. */
DFX_AVX2_INLINE __m256i tanh_mag_q19(__m256i a, int extra) {
  const int fbits = 10 + extra;
  const __m256i i = _mm256_srli_epi32(a, fbits), f = _mm256_and_si256(a, _mm256_set1_epi32((1 << fbits) - 1));
  const __m256i g = _mm256_i32gather_epi32((const int *)(const void *)dredfx_nn_tanh_table, i, 2);
  const __m256i t0 = _mm256_srai_epi32(_mm256_slli_epi32(g, 16), 16);
  const __m256i df = _mm256_madd_epi16(_mm256_sub_epi32(_mm256_srai_epi32(g, 16), t0), f);
  return _mm256_add_epi32(_mm256_slli_epi32(t0, 4),
                          _mm256_srai_epi32(_mm256_add_epi32(df, _mm256_set1_epi32(1 << (fbits - 5))), fbits - 4));
}

/* tanh_a15 of 8 lanes, as int32. |x| >= 8 (|x| as unsigned: INT32_MIN included) gives sign(x)
 * 32767, as activations.c. */
DFX_AVX2_INLINE __m256i tanh8(__m256i x) {
  const __m256i last = _mm256_set1_epi32((8 << 16) - 1);
  const __m256i a = _mm256_abs_epi32(x), in = _mm256_min_epu32(a, last);
  const __m256i big = _mm256_cmpeq_epi32(_mm256_cmpeq_epi32(in, a), _mm256_setzero_si256());
  const __m256i y = _mm256_blendv_epi8(tanh_mag_q19(in, 0), _mm256_set1_epi32(32767 << 4), big);
  return _mm256_sign_epi32(_mm256_srai_epi32(_mm256_add_epi32(y, _mm256_set1_epi32(8)), 4), x);
}

/* sigmoid_g15 of 8 lanes. |x| >= 682280: 32768 or 0 (activations.c SIGMOID_ONE_P16); below, the
 * table at x / 2, clamped to [1, 32767]. */
DFX_AVX2_INLINE __m256i sigmoid8(__m256i x) {
  const __m256i last = _mm256_set1_epi32(682279);
  const __m256i in = _mm256_min_epu32(_mm256_abs_epi32(x), last);
  const __m256i half = _mm256_srai_epi32(_mm256_add_epi32(tanh_mag_q19(in, 1), _mm256_set1_epi32(16)), 5);
  __m256i g = _mm256_add_epi32(_mm256_set1_epi32(16384), _mm256_sign_epi32(half, x));
  g = _mm256_min_epi32(_mm256_max_epi32(g, _mm256_set1_epi32(1)), _mm256_set1_epi32(32767));
  g = _mm256_blendv_epi8(g, _mm256_set1_epi32(32768), _mm256_cmpgt_epi32(x, last));
  return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), last), x), g);
}

/* 8 int32 lanes (int16 values) to int16, in order. */
DFX_AVX2_INLINE void store_i16x8(int16_t *out, __m256i v) {
  const __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(v, v), 0x08);
  _mm_storeu_si128((__m128i *)(void *)out, _mm256_castsi256_si128(p));
}

DFX_AVX2 void dredfx_nn_tanh_avx2(int16_t *a15, const int32_t *p16, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) store_i16x8(a15 + i, tanh8(_mm256_loadu_si256((const __m256i *)(const void *)(p16 + i))));
  dredfx_nn_tanh(a15 + i, p16 + i, n - i);
}

DFX_AVX2 void dredfx_nn_sigmoid_gate_avx2(int32_t *g15, const int32_t *p16, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_si256((__m256i *)(void *)(g15 + i),
                        sigmoid8(_mm256_loadu_si256((const __m256i *)(const void *)(p16 + i))));
  dredfx_nn_sigmoid_gate(g15 + i, p16 + i, n - i);
}

/* MULT32_32_Q15(r, v) = (r v + 2^14) >> 15 for r in [0, 32768]: the result fits int32, so the low
 * 32 bits of a logical 64-bit shift are the arithmetic result (odd lanes: shifted left 17 instead,
 * which leaves the same bits in the high half). */
DFX_AVX2_INLINE __m256i mult_q15(__m256i r, __m256i v) {
  const __m256i round = _mm256_set1_epi64x(16384);
  const __m256i e = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(r, v), round), 15);
  const __m256i o = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(r, 32), _mm256_srli_epi64(v, 32)), round);
  return _mm256_blend_epi32(e, _mm256_slli_epi64(o, 17), 0xaa);
}

/* The GRU step of kernels_c.c dredfx_nn_gru_unit_c, 8 units at a time. */
DFX_AVX2 void dredfx_nn_gru_update_avx2(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
#define LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
    const __m256i z = sigmoid8(add_sat32(LD(zrh + i), LD(recur + i)));
    const __m256i r = sigmoid8(add_sat32(LD(zrh + n + i), LD(recur + n + i)));
    const __m256i hh = tanh8(add_sat32(LD(zrh + 2 * n + i), mult_q15(r, LD(recur + 2 * n + i))));
#undef LD
    const __m256i s = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(state_a15 + i)));
    const __m256i mix = _mm256_add_epi32(_mm256_mullo_epi32(z, s),
                                         _mm256_mullo_epi32(_mm256_sub_epi32(_mm256_set1_epi32(32768), z), hh));
    store_i16x8(state_a15 + i, _mm256_srai_epi32(_mm256_add_epi32(mix, _mm256_set1_epi32(16384)), 15));
  }
  for (; i < n; i++) dredfx_nn_gru_unit_c(state_a15, zrh, recur, n, i);
}

/* ------------------------------------------------------------------ 32-bit wide product, conv2d */
/* Sum of the 4 int64 lanes. */
DFX_AVX2_INLINE int64_t hsum64(__m256i v) {
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
}

/* _mm256_mul_epi32 is the exact signed 32 x 32 -> 64 product of the low halves of the 64-bit lanes:
 * even columns as loaded, odd columns moved down. The sums are exact int64 (kernels.h bounds), so
 * their order does not matter. */
DFX_AVX2 void dredfx_nn_dense_i32_avx2(int64_t *hi, int64_t *lo, const int32_t *w, const int32_t *x, int rows,
                                       int cols) {
  int32_t xh[DREDFX_NN_MAX_INPUTS], xl[DREDFX_NN_MAX_INPUTS];
  const int c8 = cols & ~7;
  for (int j = 0; j < cols; j++) {
    xh[j] = x[j] >> 16;
    xl[j] = (int32_t)((uint32_t)x[j] & 0xFFFFu);
  }
  for (int i = 0; i < rows; i++, w += cols) {
    __m256i h0 = _mm256_setzero_si256(), h1 = h0, l0 = h0, l1 = h0;
    for (int j = 0; j < c8; j += 8) {
      const __m256i we = _mm256_loadu_si256((const __m256i *)(const void *)(w + j)), wo = _mm256_srli_epi64(we, 32);
      const __m256i vh = _mm256_loadu_si256((const __m256i *)(const void *)(xh + j));
      const __m256i vl = _mm256_loadu_si256((const __m256i *)(const void *)(xl + j));
      h0 = _mm256_add_epi64(h0, _mm256_mul_epi32(we, vh));
      h1 = _mm256_add_epi64(h1, _mm256_mul_epi32(wo, _mm256_srli_epi64(vh, 32)));
      l0 = _mm256_add_epi64(l0, _mm256_mul_epi32(we, vl));
      l1 = _mm256_add_epi64(l1, _mm256_mul_epi32(wo, _mm256_srli_epi64(vl, 32)));
    }
    int64_t h = hsum64(_mm256_add_epi64(h0, h1)), l = hsum64(_mm256_add_epi64(l0, l1));
    for (int j = c8; j < cols; j++) {
      h += (int64_t)w[j] * xh[j];
      l += (int64_t)w[j] * xl[j];
    }
    hi[i] = h;
    lo[i] = l;
  }
}

/* conv2d. Two rows at once (kernel rows r, r + 1: input channel m, time t in order; an odd last
 * row is paired with a zero row): the rows are interleaved as int16 pairs (x_r[c], x_r+1[c]) in
 * int32, so one _mm256_madd_epi16 with the weight pair (w_r[h], w_r+1[h]) adds tap h of both rows
 * for eight consecutive outputs, whose lanes are in output order.
 * Direct form, when sum |w| max |x| < 2^31: every partial sum fits int32, acc is exact in int32
 * lanes; requantization floor((acc + 2^(s-1)) / 2^s) = ((acc >> 1) + 2^(s-2)) >> (s - 1) (the
 * dropped bit cannot carry past a multiple of 2^(s-1)), |(acc >> 1) + 2^(s-2)| < 2^30 + 2^29.
 * Split form otherwise: x = 256 xh + xl with xh = x >> 8 in [-128, 127] and xl = x & 255, so each
 * half's sum fits int32 when taps <= 255 (|H| = |sum w xh| <= 255 * 32767 * 128 < 2^30, 0 <= xl <=
 * 255: |L| = |sum w xl| <= 255 * 32767 * 255 < 2^31), and acc = 256 H + L; requantization for
 * shift s in [9, 31] without 64-bit lanes: 2^(s-1) is a multiple of 256, so floor((256 H + L +
 * 2^(s-1)) / 2^s) = (H + (L >> 8) + 2^(s-9)) >> (s - 8) exactly, and |H + (L >> 8) + 2^(s-9)| <
 * 2^30 + 2^23 + 2^22: no overflow, no saturation before the bias.
 * Other shapes and shifts: the scalar specification. */
#define CONV2D_PAIRS_MAX 2048 /* interleaved row pairs (int32) of the copies */

/* The interleaved pairs of rows a and b (b NULL: zeros), n values, whole (xl NULL) or split. */
DFX_AVX2_INLINE void conv2d_pair_rows(int32_t *xh, int32_t *xl, const int16_t *a, const int16_t *b, int n) {
  const __m256i k255 = _mm256_set1_epi16(255);
  int c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m256i va = _mm256_loadu_si256((const __m256i *)(const void *)(a + c));
    const __m256i vb = b ? _mm256_loadu_si256((const __m256i *)(const void *)(b + c)) : _mm256_setzero_si256();
    const __m256i ha = xl ? _mm256_srai_epi16(va, 8) : va, hb = xl ? _mm256_srai_epi16(vb, 8) : vb;
    /* unpack interleaves within the 128-bit halves: the permutes put the pairs back in order */
    const __m256i hlo = _mm256_unpacklo_epi16(ha, hb), hhi = _mm256_unpackhi_epi16(ha, hb);
    _mm256_storeu_si256((__m256i *)(void *)(xh + c), _mm256_permute2x128_si256(hlo, hhi, 0x20));
    _mm256_storeu_si256((__m256i *)(void *)(xh + c + 8), _mm256_permute2x128_si256(hlo, hhi, 0x31));
    if (xl) {
      const __m256i la = _mm256_and_si256(va, k255), lb = _mm256_and_si256(vb, k255);
      const __m256i llo = _mm256_unpacklo_epi16(la, lb), lhi = _mm256_unpackhi_epi16(la, lb);
      _mm256_storeu_si256((__m256i *)(void *)(xl + c), _mm256_permute2x128_si256(llo, lhi, 0x20));
      _mm256_storeu_si256((__m256i *)(void *)(xl + c + 8), _mm256_permute2x128_si256(llo, lhi, 0x31));
    }
  }
  for (; c < n; c++) {
    const int16_t va = a[c], vb = b ? b[c] : 0;
    if (xl) {
      xh[c] = (int32_t)((uint32_t)(uint16_t)(va >> 8) | (uint32_t)(uint16_t)(vb >> 8) << 16);
      xl[c] = (int32_t)((uint32_t)(va & 255) | (uint32_t)(vb & 255) << 16);
    } else {
      xh[c] = (int32_t)((uint32_t)(uint16_t)va | (uint32_t)(uint16_t)vb << 16);
    }
  }
}

/* The outputs 16 at a time (returns how many): the pairs' sums, direct (xl NULL) or split, then
 * requantized (round, sh: the form's) and the bias added. */
DFX_AVX2_INLINE int conv2d_blocks(int32_t *p16, const int32_t *xh, const int32_t *xl, const int32_t *wp, int npairs,
                                  int kheight, int rs, int height, __m256i round, __m128i sh, __m256i bv) {
  int j = 0;
  for (; j + 16 <= height; j += 16) {
    __m256i h0 = _mm256_setzero_si256(), h1 = h0, l0 = h0, l1 = h0;
    for (int p = 0; p < npairs; p++)
      for (int h = 0; h < kheight; h++) {
        const __m256i wv = _mm256_set1_epi32(wp[p * kheight + h]);
        const int32_t *ph = &xh[p * rs + j + h];
        h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)ph), wv));
        h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(ph + 8)), wv));
        if (xl) {
          const int32_t *pl = &xl[p * rs + j + h];
          l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)pl), wv));
          l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(pl + 8)), wv));
        }
      }
    /* direct: (acc >> 1) + 2^(s-2); split: H + (L >> 8) + 2^(s-9) */
    const __m256i s0 = xl ? _mm256_add_epi32(h0, _mm256_srai_epi32(l0, 8)) : _mm256_srai_epi32(h0, 1);
    const __m256i s1 = xl ? _mm256_add_epi32(h1, _mm256_srai_epi32(l1, 8)) : _mm256_srai_epi32(h1, 1);
    _mm256_storeu_si256((__m256i *)(void *)(p16 + j), add_sat32(_mm256_sra_epi32(_mm256_add_epi32(s0, round), sh), bv));
    _mm256_storeu_si256((__m256i *)(void *)(p16 + j + 8),
                        add_sat32(_mm256_sra_epi32(_mm256_add_epi32(s1, round), sh), bv));
  }
  return j;
}

DFX_AVX2 void dredfx_nn_conv2d_avx2(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime,
                                    int kheight, int height, int in_stride, int time_stride, int shift, int32_t bias) {
  const int nrows = in_channels * ktime, npairs = (nrows + 1) / 2, rs = height + kheight - 1;
  if (nrows * kheight > 255 || height < 16 || (size_t)npairs * (size_t)rs > CONV2D_PAIRS_MAX || shift < 9 ||
      shift > 31) {
    dredfx_nn_conv2d_c(p16, w, x, in_channels, ktime, kheight, height, in_stride, time_stride, shift, bias);
    return;
  }
  int32_t xh[CONV2D_PAIRS_MAX], xl[CONV2D_PAIRS_MAX], wp[255];
  int64_t wabs = 0;
  for (int i = 0; i < nrows * kheight; i++) wabs += w[i] < 0 ? -w[i] : w[i];
  for (int p = 0; p < npairs; p++)
    for (int h = 0; h < kheight; h++) {
      const int r = 2 * p;
      const uint16_t a = (uint16_t)w[r * kheight + h], b = r + 1 < nrows ? (uint16_t)w[(r + 1) * kheight + h] : 0;
      wp[p * kheight + h] = (int32_t)((uint32_t)a | (uint32_t)b << 16);
    }
  /* The direct form when sum |w| max |x| < 2^31: max |x| <= 32768, or the scanned one when sum |w|
   * would allow inputs of half scale (the pitch DNN's conv2d_1 on its Q14 features). */
  int direct = wabs * 32768 < ((int64_t)1 << 31);
  if (!direct && wabs * 16384 < ((int64_t)1 << 31)) {
    __m256i vmax = _mm256_setzero_si256(), vmin = vmax;
    int32_t xmax = 0;
    for (int r = 0; r < nrows; r++) {
      const int16_t *xr = &x[(size_t)(r % ktime) * (size_t)time_stride + (size_t)(r / ktime) * (size_t)in_stride];
      int c = 0;
      for (; c + 16 <= rs; c += 16) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(xr + c));
        vmax = _mm256_max_epi16(vmax, v);
        vmin = _mm256_min_epi16(vmin, v);
      }
      for (; c < rs; c++) {
        const int32_t a = xr[c] < 0 ? -xr[c] : xr[c];
        xmax = a > xmax ? a : xmax;
      }
    }
    int16_t lanes[32];
    _mm256_storeu_si256((__m256i *)(void *)lanes, vmax);
    _mm256_storeu_si256((__m256i *)(void *)(lanes + 16), vmin);
    for (int i = 0; i < 32; i++) {
      const int32_t a = lanes[i] < 0 ? -lanes[i] : lanes[i];
      xmax = a > xmax ? a : xmax;
    }
    direct = wabs * xmax < ((int64_t)1 << 31);
  }
  for (int p = 0; p < npairs; p++) {
    const int r = 2 * p;
    const int16_t *a = &x[(size_t)(r % ktime) * (size_t)time_stride + (size_t)(r / ktime) * (size_t)in_stride];
    const int16_t *b = r + 1 < nrows ? &x[(size_t)((r + 1) % ktime) * (size_t)time_stride +
                                           (size_t)((r + 1) / ktime) * (size_t)in_stride]
                                     : NULL;
    conv2d_pair_rows(&xh[p * rs], direct ? NULL : &xl[p * rs], a, b, rs);
  }
  const __m256i bv = _mm256_set1_epi32(bias);
  const __m256i round = _mm256_set1_epi32(direct ? 1 << (shift - 2) : 1 << (shift - 9));
  const __m128i sh = _mm_cvtsi32_si128(direct ? shift - 1 : shift - 8);
  /* the pitch DNN's kernel height 3 as a constant (its tap loop unrolled) */
  const int j = kheight == 3 ? conv2d_blocks(p16, xh, direct ? NULL : xl, wp, npairs, 3, rs, height, round, sh, bv)
                             : conv2d_blocks(p16, xh, direct ? NULL : xl, wp, npairs, kheight, rs, height, round, sh, bv);
  if (j < height)
    dredfx_nn_conv2d_c(p16 + j, w, x + j, in_channels, ktime, kheight, height - j, in_stride, time_stride, shift, bias);
}

const dredfx_nn_kernels dredfx_nn_kernels_avx2 = {dense_i8_avx2,            sparse_i8_avx2,
                                                  dense_i8_u_avx2,          sparse_i8_u_avx2,
                                                  dredfx_nn_dense_i16_avx2, dredfx_nn_quantize_u8_avx2,
                                                  dredfx_nn_requantize_avx2,        dredfx_nn_requantize_rq_avx2,
                                                  dredfx_nn_tanh_avx2,              dredfx_nn_sigmoid_gate_avx2,
                                                  dredfx_nn_gru_update_avx2,              dredfx_nn_dense_i32_avx2,
                                                  dredfx_nn_conv2d_avx2,
                                                  dense_i8_u_rq_avx2,               sparse_i8_u_rq_avx2,
                                                  linear_u_rq_avx2};

#endif
