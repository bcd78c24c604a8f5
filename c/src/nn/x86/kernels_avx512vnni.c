/* AVX-512 VNNI twins of the int8 kernels of kernels_c.c (level avx512vnni), bit-exact with them.
 *
 * As kernels_avxvnni.c on 512-bit registers: vpdpbusd (unsigned x signed bytes, groups of 4
 * products added to int32 lanes, wrapping, no saturation) with offset inputs xu = x + 127 and the
 * layer's row sums, acc = sum w xu - wsum (wsum = 127 sum w) (kernels.h). One register holds two consecutive
 * 8x4 blocks: in the dense layout the blocks of columns j..j+3 and j+4..j+7 of a group of 8 rows
 * (64 contiguous bytes), in the sparse layout two consecutive blocks of the index; the matching
 * inputs go to the low and high 256 bits, and the two halves are added at the end.
 * The signed kernels (layers that fail the offset kernels' bound) shift the weights (dense) or the
 * inputs (sparse) by 128 as kernels_avxvnni.c does.
 * Requantization uses vpsravq and the saturating vpmovsqd; the int16 kernel and quantization are
 * AVX2's, and whole layers (linear_u_rq) AVX-VNNI's one-call path, faster than these two-call
 * kernels on 45 of bench/results.md's 50 layer shapes. Compiled with target attributes; cpu.c
 * selects this level only when CPUID reports AVX-512 F, BW, VL and VNNI and AVX-VNNI, and the OS
 * saves the ZMM state (XCR0). */
#include "nn/kernels.h"

#if defined(DREDFX_HAVE_AVX512VNNI)

#include <immintrin.h>
#include <string.h>

#include "nn/x86/requant_avx2.h"

#define DFX_512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))
#define DFX_512_INLINE __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"), always_inline)) static inline

DFX_512_INLINE int32_t load4(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* The 4 bytes at a in the low 8 lanes, the 4 bytes at b in the high 8 lanes. */
DFX_512_INLINE __m512i bcast_pair(const void *a, const void *b) {
  return _mm512_mask_set1_epi32(_mm512_set1_epi32(load4(a)), 0xff00, load4(b));
}

/* The 8 bytes at x as the 4 bytes at x in the low 8 lanes and the 4 next in the high 8 lanes. */
DFX_512_INLINE __m512i bcast_x8(const void *x) {
  int64_t v;
  memcpy(&v, x, 8);
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                                  _mm512_set1_epi64(v));
}

DFX_512_INLINE __m512i load2(const int8_t *w) {
  return _mm512_loadu_si512((const void *)w);
}

DFX_512_INLINE __m256i load1(const int8_t *w) {
  return _mm256_loadu_si256((const __m256i *)(const void *)w);
}

DFX_512_INLINE __m256i fold(__m512i s) {
  return _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
}

/* The offset wsum (127 times the row sums) of 8 rows. */
DFX_512_INLINE __m256i offset_sum(const int32_t *wsum) {
  return _mm256_loadu_si256((const __m256i *)(const void *)wsum);
}

/* Offset kernel: one group of 8 rows at a time, its blocks streamed in memory order, two blocks
 * per vpdpbusd and four accumulators to hide its latency. */
/* With rq (the fused _rq kernels), each group's 8 sums are requantized in the register and out
 * gets the first n p16 values; without, out gets the row sums. */
DFX_512_INLINE void dense_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                 int cols, const int64_t *rq, int n) {
  for (int i = 0; i < rows; i += 8) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    int j = 0;
    for (; j + 32 <= cols; j += 32, w += 256) {
      s0 = _mm512_dpbusd_epi32(s0, bcast_x8(xu + j), load2(w));
      s1 = _mm512_dpbusd_epi32(s1, bcast_x8(xu + j + 8), load2(w + 64));
      s2 = _mm512_dpbusd_epi32(s2, bcast_x8(xu + j + 16), load2(w + 128));
      s3 = _mm512_dpbusd_epi32(s3, bcast_x8(xu + j + 24), load2(w + 192));
    }
    for (; j + 8 <= cols; j += 8, w += 64) s0 = _mm512_dpbusd_epi32(s0, bcast_x8(xu + j), load2(w));
    __m256i t = fold(_mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3)));
    if (j < cols) { /* cols % 8 == 4: one block left */
      t = _mm256_dpbusd_epi32(t, _mm256_set1_epi32(load4(xu + j)), load1(w));
      w += 32;
    }
    t = _mm256_sub_epi32(t, offset_sum(wsum + i));
    finish8(out + i, t, rq, n - i);
    rq = NEXT_RQ_GROUP(rq);
  }
}

DFX_512 static void dense_i8_u_avx512vnni(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                          int rows, int cols) {
  dense_u_body(acc, w, wsum, xu, rows, cols, NULL, rows);
}

DFX_512 static void dense_i8_u_rq_avx512vnni(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                             int rows, int cols, const int64_t *rq, int n) {
  if (rq == NULL) __builtin_unreachable(); /* kernels.h: fused kernels get the layer's rq */
  dense_u_body(p16, w, wsum, xu, rows, cols, rq, n);
}

/* Signed kernel: sum_j w_ij x_j = sum_j (w_ij + 128) x_j - 128 sum_j x_j, as kernels_avxvnni.c;
 * NB (1..4, a constant after inlining) consecutive groups of 8 rows share each input broadcast. */
DFX_512_INLINE void dense_groups(int32_t *acc, const int8_t *w, const int8_t *x, int cols, const int NB, __m256i sx) {
  const size_t stride = (size_t)cols * 8;
  const __m512i c80 = _mm512_set1_epi8((char)0x80);
  __m512i s[4];
  __m256i t[4];
  for (int k = 0; k < NB; k++) s[k] = _mm512_setzero_si512();
  int j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m512i xv = bcast_x8(x + j);
    const int8_t *wj = w + (size_t)j * 8;
    for (int k = 0; k < NB; k++) s[k] = _mm512_dpbusd_epi32(s[k], _mm512_xor_si512(load2(wj + k * stride), c80), xv);
  }
  for (int k = 0; k < NB; k++) t[k] = fold(s[k]);
  if (j < cols) { /* cols % 8 == 4: one block left per group */
    const __m256i xv = _mm256_set1_epi32(load4(x + j));
    const int8_t *wj = w + (size_t)j * 8;
    for (int k = 0; k < NB; k++)
      t[k] = _mm256_dpbusd_epi32(t[k], _mm256_xor_si256(load1(wj + k * stride), _mm512_castsi512_si256(c80)), xv);
  }
  for (int k = 0; k < NB; k++) _mm256_storeu_si256((__m256i *)(void *)(acc + 8 * k), _mm256_sub_epi32(t[k], sx));
}

DFX_512 static void dense_i8_avx512vnni(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int32_t sx = 0; /* |sx| <= 128 * cols: exact */
  for (int j = 0; j < cols; j++) sx += x[j];
  const __m256i corr = _mm256_set1_epi32((int32_t)((uint32_t)sx << 7));
  int i = 0;
  for (; i + 32 <= rows; i += 32, w += 4 * stride) dense_groups(acc + i, w, x, cols, 4, corr);
  for (; i < rows; i += 8, w += stride) dense_groups(acc + i, w, x, cols, 1, corr);
}

DFX_512_INLINE void sparse_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                  const uint8_t *xu, int rows, const int64_t *rq, int n) {
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0;
    int b = 0;
    for (; b + 4 <= nblocks; b += 4, idx += 4, w += 128) {
      s0 = _mm512_dpbusd_epi32(s0, bcast_pair(xu + idx[0], xu + idx[1]), load2(w));
      s1 = _mm512_dpbusd_epi32(s1, bcast_pair(xu + idx[2], xu + idx[3]), load2(w + 64));
    }
    if (b + 2 <= nblocks) {
      s0 = _mm512_dpbusd_epi32(s0, bcast_pair(xu + idx[0], xu + idx[1]), load2(w));
      b += 2, idx += 2, w += 64;
    }
    __m256i t = fold(_mm512_add_epi32(s0, s1));
    if (b < nblocks) {
      t = _mm256_dpbusd_epi32(t, _mm256_set1_epi32(load4(xu + *idx++)), load1(w));
      w += 32;
    }
    t = _mm256_sub_epi32(t, offset_sum(wsum + i));
    finish8(out + i, t, rq, n - i);
    rq = NEXT_RQ_GROUP(rq);
  }
}

DFX_512 static void sparse_i8_u_avx512vnni(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                           const uint8_t *xu, int rows) {
  sparse_u_body(acc, w, wsum, idx, xu, rows, NULL, rows);
}

DFX_512 static void sparse_i8_u_rq_avx512vnni(int32_t *p16, const int8_t *w, const int32_t *wsum,
                                              const int32_t *idx, const uint8_t *xu, int rows, const int64_t *rq,
                                              int n) {
  if (rq == NULL) __builtin_unreachable();
  sparse_u_body(p16, w, wsum, idx, xu, rows, rq, n);
}

/* Signed sparse kernel: the inputs enter as x + 128 (x XOR 0x80) and a second vpdpbusd of each
 * block pair with 0x80 bytes accumulates 128 sum_j w_ij, as kernels_avxvnni.c. */
DFX_512 static void sparse_i8_avx512vnni(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                         int rows) {
  const __m512i c80 = _mm512_set1_epi8((char)0x80);
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    __m512i s = _mm512_setzero_si512(), c = s;
    int b = 0;
    for (; b + 2 <= nblocks; b += 2, idx += 2, w += 64) {
      const __m512i wv = load2(w);
      s = _mm512_dpbusd_epi32(s, _mm512_xor_si512(bcast_pair(x + idx[0], x + idx[1]), c80), wv);
      c = _mm512_dpbusd_epi32(c, c80, wv);
    }
    __m256i t = fold(_mm512_sub_epi32(s, c));
    if (b < nblocks) {
      const __m256i wv = load1(w), c80h = _mm512_castsi512_si256(c80);
      t = _mm256_dpbusd_epi32(t, _mm256_xor_si256(_mm256_set1_epi32(load4(x + *idx++)), c80h), wv);
      t = _mm256_sub_epi32(t, _mm256_dpbusd_epi32(_mm256_setzero_si256(), c80h, wv));
      w += 32;
    }
    _mm256_storeu_si256((__m256i *)(void *)(acc + i), t);
  }
}

/* SAT32(PSHR64(acc mult, shift)) then SAT32(+ bias), 8 lanes of int64 at a time; vpmovsqd saturates. */
/* Shifts outside [1, 62] give hardware-defined garbage here (no UB) and are reported at the end. */
DFX_512 static int requantize_avx512vnni(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                                         const int32_t *bias, int n) {
  const __m512i one = _mm512_set1_epi64(1);
  __m512i smin = one, smax = one;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i a = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)(acc + i)));
    const __m512i m = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)(mult + i)));
    const __m512i s = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)(shift + i)));
    smin = _mm512_min_epi64(smin, s);
    smax = _mm512_max_epi64(smax, s);
    const __m512i r = _mm512_sllv_epi64(one, _mm512_sub_epi64(s, one));
    __m256i p = _mm512_cvtsepi64_epi32(_mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, m), r), s));
    if (bias != NULL) {
      const __m512i b = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)(bias + i)));
      p = _mm512_cvtsepi64_epi32(_mm512_add_epi64(_mm512_cvtepi32_epi64(p), b));
    }
    _mm256_storeu_si256((__m256i *)(void *)(p16 + i), p);
  }
  const int bad = _mm512_reduce_min_epi64(smin) < 1 || _mm512_reduce_max_epi64(smax) > 62;
  const int tail = dredfx_nn_requantize_c(p16 + i, acc + i, mult + i, shift + i, bias != NULL ? bias + i : NULL, n - i);
  return bad ? -1 : tail;
}

const dredfx_nn_kernels dredfx_nn_kernels_avx512vnni = {
    dense_i8_avx512vnni,      sparse_i8_avx512vnni,       dense_i8_u_avx512vnni, sparse_i8_u_avx512vnni,
    dredfx_nn_dense_i16_avx2, dredfx_nn_quantize_u8_avx2, requantize_avx512vnni,
    dredfx_nn_requantize_rq_avx2, dredfx_nn_tanh_avx2,        dredfx_nn_sigmoid_gate_avx2,
    dredfx_nn_gru_update_avx2, dredfx_nn_dense_i32_avx2, dredfx_nn_conv2d_avx2,
    dense_i8_u_rq_avx512vnni, sparse_i8_u_rq_avx512vnni, dredfx_nn_linear_u_rq_avxvnni};

#endif
