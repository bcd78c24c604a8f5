/* AVX-VNNI twins of the int8 kernels of kernels_c.c, bit-exact with them.
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes and adds each group of 4 products to an
 * int32 lane, wrapping (no saturation: this is not vpdpbusds). One 8x4 weight block is exactly one
 * 256-bit register, lane r holding the 4 weights of row r, so a block and a broadcast of 4 inputs
 * give the 8 row sums directly. Both operands are signed, so the dense kernel feeds the weights as
 * w + 128 (w XOR 0x80, unsigned) and subtracts 128 times the sum of the inputs, the same for
 * every row:
 *     sum_j w_ij x_j = sum_j (w_ij + 128) x_j - 128 sum_j x_j;
 * the sparse kernel shifts the inputs instead (see there).
 * The accumulation wraps modulo 2^32, so the difference is exact whenever the true result fits in
 * int32, which kernels.h requires of every level (cols <= 131071). Each group of 4 products is at
 * most 4 * 255 * 128 in magnitude, far from int32's limits.
 * Offset kernels (dense_i8_u, sparse_i8_u; the engine's path for every model layer): the inputs
 * arrive unsigned, xu = x + 127, and the layer's precomputed row sums remove the offset once per
 * row, acc = sum w xu - wsum (wsum = 127 sum w): one vpdpbusd per block and nothing else (no per-block XOR, no
 * second vpdpbusd), exact for any int8 weights (vpdpbusd does not saturate).
 * The int16 kernel, quantization and requantization are AVX2's (vpdpwssd would accumulate pair
 * sums in int32 and could wrap).
 * Compiled with target attributes; cpu.c selects these only when CPUID reports AVX-VNNI and the
 * CPU (and OS) have AVX2. */
#include "nn/kernels.h"
#include "nn/nn.h"

#if defined(DREDFX_HAVE_AVXVNNI)

#include <immintrin.h>
#include <string.h>

#include "nn/x86/requant_avx2.h"

#define DFX_VNNI __attribute__((target("avx2,avxvnni")))
#define DFX_VNNI_INLINE __attribute__((target("avx2,avxvnni"), always_inline)) static inline

/* The 4 bytes at x (signed inputs or offset ones) repeated in every lane. */
DFX_VNNI_INLINE __m256i bcast_x4(const void *x) {
  int32_t v;
  memcpy(&v, x, 4);
  return _mm256_set1_epi32(v);
}

DFX_VNNI_INLINE __m256i load_block(const int8_t *w) {
  return _mm256_loadu_si256((const __m256i *)(const void *)w);
}

/* acc + the dot products of x's bytes (unsigned) with the block at w (signed): vpdpbusd with the block
 * as its memory operand. Written out because GCC 12 copies the accumulators of the intrinsic's
 * loops to other registers and back (6 vmovdqa an iteration of the 4-block sparse loop, 12 of the
 * 8-block dense one: a third of their instructions). */
DFX_VNNI_INLINE __m256i dpbusd_block(__m256i acc, __m256i x, const int8_t *w) {
  __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(x), "m"(*(const int8_t(*)[32])w));
  return acc;
}

/* An 8x4 weight block plus 128, as unsigned bytes. */
DFX_VNNI_INLINE __m256i load_block_u(const int8_t *w) {
  return _mm256_xor_si256(load_block(w), _mm256_set1_epi8((char)0x80));
}

/* nb (1..4) consecutive groups of 8 rows share each input broadcast. */
DFX_VNNI_INLINE void dense_groups(int32_t *acc, const int8_t *w, const int8_t *x, int cols, int nb,
                                  __m256i corr) {
  const size_t stride = (size_t)cols * 8;
  __m256i s[4];
  for (int k = 0; k < nb; k++) s[k] = _mm256_setzero_si256();
  for (int j = 0; j < cols; j += 4) {
    const __m256i xv = bcast_x4(x + j);
    const int8_t *wj = w + (size_t)j * 8;
    for (int k = 0; k < nb; k++) s[k] = _mm256_dpbusd_avx_epi32(s[k], load_block_u(wj + k * stride), xv);
  }
  for (int k = 0; k < nb; k++) _mm256_storeu_si256((__m256i *)(void *)(acc + 8 * k), _mm256_sub_epi32(s[k], corr));
}

DFX_VNNI static void dense_i8_avxvnni(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  const size_t stride = (size_t)cols * 8;
  int32_t sx = 0; /* |sx| <= 128 * cols: exact */
  for (int j = 0; j < cols; j++) sx += x[j];
  const __m256i corr = _mm256_set1_epi32((int32_t)((uint32_t)sx << 7));
  int i = 0;
  for (; i + 32 <= rows; i += 32, w += 4 * stride) dense_groups(acc + i, w, x, cols, 4, corr);
  for (; i < rows; i += 8, w += stride) dense_groups(acc + i, w, x, cols, 1, corr);
}

/* Sparse: the other way round, which is faster here than summing the scattered inputs. The inputs
 * enter as x + 128 (unsigned), the blocks as they are, and a second vpdpbusd of each block with
 * 0x80 bytes accumulates the correction 128 * sum_j w_ij per row:
 *     sum_j w_ij x_j = sum_j w_ij (x_j + 128) - 128 sum_j w_ij. */
DFX_VNNI static void sparse_i8_avxvnni(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                       int rows) {
  const __m256i c80 = _mm256_set1_epi8((char)0x80);
  for (int i = 0; i < rows; i += 8) {
    int nblocks = *idx++;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, c0 = s0, c1 = s0;
    int b = 0;
    for (; b + 2 <= nblocks; b += 2, idx += 2, w += 64) {
      const __m256i b0 = load_block(w), b1 = load_block(w + 32);
      s0 = _mm256_dpbusd_avx_epi32(s0, _mm256_xor_si256(bcast_x4(x + idx[0]), c80), b0);
      s1 = _mm256_dpbusd_avx_epi32(s1, _mm256_xor_si256(bcast_x4(x + idx[1]), c80), b1);
      c0 = _mm256_dpbusd_avx_epi32(c0, c80, b0);
      c1 = _mm256_dpbusd_avx_epi32(c1, c80, b1);
    }
    if (b < nblocks) {
      const __m256i b0 = load_block(w);
      s0 = _mm256_dpbusd_avx_epi32(s0, _mm256_xor_si256(bcast_x4(x + *idx++), c80), b0);
      c0 = _mm256_dpbusd_avx_epi32(c0, c80, b0);
      w += 32;
    }
    _mm256_storeu_si256((__m256i *)(void *)(acc + i),
                        _mm256_sub_epi32(_mm256_add_epi32(s0, s1), _mm256_add_epi32(c0, c1)));
  }
}

/* The 8 offset sums s of rows i..i+7 to out: requantized (the fused _rq kernels: out gets the first n
 * p16 values) or, offset removed, as they are (rq NULL); hj as finish_u's. */
DFX_VNNI_INLINE void finish_group(int32_t *out, __m256i s, const int32_t *wsum, int i, const int64_t *rq, int n,
                                  const __m256i *hj) {
  finish_u(out + i, s, wsum + i, rq, n - i, hj, 0);
}

DFX_VNNI_INLINE __m256i sum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  return _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
}

#define DFX_TWIN_INLINE DFX_VNNI_INLINE
#define DFX_TWIN_BLOCK(s, xv, w, hj) dpbusd_block((s), (xv), (w))
#define DFX_TWIN_SHIFTED 0
#define DFX_TWIN_XV_MAX 8
#define DFX_TWIN_BCAST(p) bcast_x4(p)
#include "nn/x86/linear_u_twin.h"

/* Two groups of 8 rows per pass, each input broadcast serving both (1.5 loads per vpdpbusd instead
 * of 2), four accumulators each: vpdpbusd has a latency of 5 cycles and two issue ports here, so
 * four chains alone cap it at 0.8 a cycle, eight at 1.6. A last odd group runs alone. */
DFX_VNNI_INLINE void dense_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                  int cols, const int64_t *rq, int n, const __m256i *hj) {
  switch (cols) {
    DFX_NARROW_CASES(DFX_TWIN_NARROW_XU)
    default: break;
  }
  const size_t stride = (size_t)cols * 8;
  int i = 0;
  for (; i + 16 <= rows; i += 16, w += stride) {
    const int8_t *v = w + stride;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int j = 0;
    for (; j + 16 <= cols; j += 16, w += 128, v += 128) {
      const __m256i x0 = bcast_x4(xu + j), x1 = bcast_x4(xu + j + 4);
      const __m256i x2 = bcast_x4(xu + j + 8), x3 = bcast_x4(xu + j + 12);
      a0 = dpbusd_block(a0, x0, w);
      b0 = dpbusd_block(b0, x0, v);
      a1 = dpbusd_block(a1, x1, w + 32);
      b1 = dpbusd_block(b1, x1, v + 32);
      a2 = dpbusd_block(a2, x2, w + 64);
      b2 = dpbusd_block(b2, x2, v + 64);
      a3 = dpbusd_block(a3, x3, w + 96);
      b3 = dpbusd_block(b3, x3, v + 96);
    }
    for (; j < cols; j += 4, w += 32, v += 32) {
      const __m256i x0 = bcast_x4(xu + j);
      a0 = dpbusd_block(a0, x0, w);
      b0 = dpbusd_block(b0, x0, v);
    }
    finish_group(out, sum4(a0, a1, a2, a3), wsum, i, rq, n, hj);
    rq = NEXT_RQ_GROUP(rq);
    finish_group(out, sum4(b0, b1, b2, b3), wsum, i + 8, rq, n, hj);
    rq = NEXT_RQ_GROUP(rq);
  }
  if (i < rows) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    int j = 0;
    for (; j + 16 <= cols; j += 16, w += 128) {
      s0 = dpbusd_block(s0, bcast_x4(xu + j), w);
      s1 = dpbusd_block(s1, bcast_x4(xu + j + 4), w + 32);
      s2 = dpbusd_block(s2, bcast_x4(xu + j + 8), w + 64);
      s3 = dpbusd_block(s3, bcast_x4(xu + j + 12), w + 96);
    }
    for (; j < cols; j += 4, w += 32) s0 = dpbusd_block(s0, bcast_x4(xu + j), w);
    finish_group(out, sum4(s0, s1, s2, s3), wsum, i, rq, n, hj);
  }
}

/* The 4 sparse blocks at w, their columns at idx, one into each chain. */
DFX_VNNI_INLINE void sparse_blocks4(__m256i *s0, __m256i *s1, __m256i *s2, __m256i *s3, const int8_t *w,
                                    const int32_t *idx, const uint8_t *xu) {
  uint64_t i01, i23;
  memcpy(&i01, idx, 8);
  memcpy(&i23, idx + 2, 8);
  *s0 = dpbusd_block(*s0, bcast_x4(xu + (uint32_t)i01), w);
  *s1 = dpbusd_block(*s1, bcast_x4(xu + (i01 >> 32)), w + 32);
  *s2 = dpbusd_block(*s2, bcast_x4(xu + (uint32_t)i23), w + 64);
  *s3 = dpbusd_block(*s3, bcast_x4(xu + (i23 >> 32)), w + 96);
}

/* Four accumulators, blocks in memory order (eight measured no faster: per block an index load,
 * a broadcast and a vpdpbusd either way); 8 blocks a pass, then 4, then one at a time (4 a pass
 * until round 7, bench/results.md: sparse 64->96 and 96->64, 8 blocks a group, ran at 1.14x-1.55x
 * and 1.21x-1.50x libopus x86 over three code placements, 1.30x-1.55x and 1.59x-1.63x so). */
DFX_VNNI_INLINE void sparse_u_body(int32_t *out, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                   const uint8_t *xu, int rows, const int64_t *rq, int n, const __m256i *hj) {
  for (int i = 0; i < rows; i += 8) {
    const int nblocks = *idx++;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (int k = nblocks >> 3; k > 0; k--) {
      sparse_blocks4(&s0, &s1, &s2, &s3, w, idx, xu);
      sparse_blocks4(&s0, &s1, &s2, &s3, w + 128, idx + 4, xu);
      idx += 8;
      w += 256;
      DFX_TWIN_ADVANCED(idx, w);
    }
    if (nblocks & 4) {
      sparse_blocks4(&s0, &s1, &s2, &s3, w, idx, xu);
      idx += 4;
      w += 128;
      DFX_TWIN_ADVANCED(idx, w);
    }
    for (int k = nblocks & 3; k > 0; k--) {
      s0 = dpbusd_block(s0, bcast_x4(xu + *idx), w);
      idx++;
      w += 32;
      DFX_TWIN_ADVANCED(idx, w);
    }
    finish_group(out, sum4(s0, s1, s2, s3), wsum, i, rq, n, hj);
    rq = NEXT_RQ_GROUP(rq);
  }
}

/* sparse_u_body on the byte-form index (nn.h idx8): a block's column is 4 times its byte, and one
 * 32-bit load gives 4 blocks' (2.25 loads a block instead of 2.5). Faster on long groups only
 * (kernels.h DREDFX_NN_IDX8_MIN_BLOCKS). */
DFX_VNNI_INLINE void sparse_u_body8(int32_t *out, const int8_t *w, const int32_t *wsum, const uint8_t *ix,
                                    const uint8_t *xu, int rows, const int64_t *rq, int n, const __m256i *hj) {
  for (int i = 0; i < rows; i += 8) {
    const int nblocks = *ix++;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (int k = nblocks >> 2; k > 0; k--) {
      uint32_t v;
      memcpy(&v, ix, 4);
      /* size_t before the scaling, so that it folds into the address */
      s0 = dpbusd_block(s0, bcast_x4(xu + 4 * (size_t)(uint8_t)v), w);
      s1 = dpbusd_block(s1, bcast_x4(xu + 4 * (size_t)(uint8_t)(v >> 8)), w + 32);
      s2 = dpbusd_block(s2, bcast_x4(xu + 4 * (size_t)(uint8_t)(v >> 16)), w + 64);
      s3 = dpbusd_block(s3, bcast_x4(xu + 4 * (size_t)(v >> 24)), w + 96);
      ix += 4;
      w += 128;
      DFX_TWIN_ADVANCED(ix, w);
    }
    for (int k = nblocks & 3; k > 0; k--) {
      s0 = dpbusd_block(s0, bcast_x4(xu + 4 * (size_t)*ix), w);
      ix++;
      w += 32;
      DFX_TWIN_ADVANCED(ix, w);
    }
    finish_group(out, sum4(s0, s1, s2, s3), wsum, i, rq, n, hj);
    rq = NEXT_RQ_GROUP(rq);
  }
}

/* The sparse layer of linear_u_rq (linear_u_twin.h). */
DFX_VNNI_INLINE void sparse_u_layer(int32_t *p16, const dredfx_nn_linear *l, const uint8_t *xu, int rows,
                                    const int64_t *rq, int n, const __m256i *hj) {
  if (l->idx8 != NULL)
    sparse_u_body8(p16, l->w8, l->wsum, l->idx8, xu, rows, rq, n, hj);
  else
    sparse_u_body(p16, l->w8, l->wsum, l->idx, xu, rows, rq, n, hj);
}

DFX_VNNI static void dense_i8_u_avxvnni(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                        int rows, int cols) {
  dense_u_body(acc, w, wsum, xu, rows, cols, NULL, rows, NULL);
}

DFX_VNNI static void sparse_i8_u_avxvnni(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                         const uint8_t *xu, int rows) {
  sparse_u_body(acc, w, wsum, idx, xu, rows, NULL, rows, NULL);
}

DFX_VNNI static void dense_i8_u_rq_avxvnni(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu,
                                           int rows, int cols, const int64_t *rq, int n) {
  if (rq == NULL) __builtin_unreachable(); /* kernels.h: fused kernels get the layer's rq */
  dense_u_body(p16, w, wsum, xu, rows, cols, rq, n, NULL);
}

DFX_VNNI static void sparse_i8_u_rq_avxvnni(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                            const uint8_t *xu, int rows, const int64_t *rq, int n) {
  if (rq == NULL) __builtin_unreachable();
  sparse_u_body(p16, w, wsum, idx, xu, rows, rq, n, NULL);
}

/* Also the avx512vnni level's (a CPU with that level has AVX-VNNI: common/cpu.c). */
DFX_TWIN_LINEAR_U_RQ(DFX_VNNI, dredfx_nn_linear_u_rq_avxvnni)

const dredfx_nn_kernels dredfx_nn_kernels_avxvnni = {dense_i8_avxvnni,         sparse_i8_avxvnni,
                                                     dense_i8_u_avxvnni,       sparse_i8_u_avxvnni,
                                                     dredfx_nn_dense_i16_avx2, dredfx_nn_quantize_u8_avx2,
                                                     dredfx_nn_requantize_avx2,       dredfx_nn_requantize_rq_avx2,
                                                     dredfx_nn_tanh_avx2,             dredfx_nn_sigmoid_gate_avx2,
                                                     dredfx_nn_gru_update_avx2, dredfx_nn_dense_i32_avx2, dredfx_nn_conv2d_avx2,
                                                     dense_i8_u_rq_avxvnni,    sparse_i8_u_rq_avxvnni,
                                                     dredfx_nn_linear_u_rq_avxvnni};

#endif
