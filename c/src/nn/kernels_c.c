/* Scalar kernels: the specification every SIMD twin must match bit for bit.
 *
 * Plain loops, one multiply-add at a time. Auto-vectorization is switched off for this file's
 * functions (GCC: optimize("no-tree-vectorize"); clang: loop pragmas) so that level 0 really is
 * scalar code on every target: it is the baseline the benchmarks compare against, and the
 * fallback that must run on a CPU without any SIMD extension. */
#include "nn/kernels.h"
#include "common/fixed.h"

#if defined(__clang__)
#define DFX_SCALAR
#define DFX_NOVEC _Pragma("clang loop vectorize(disable) interleave(disable)")
#elif defined(__GNUC__)
#define DFX_SCALAR __attribute__((optimize("no-tree-vectorize")))
#define DFX_NOVEC
#else
#define DFX_SCALAR
#define DFX_NOVEC
#endif

DFX_SCALAR static void dense_i8_c(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int j = 0; j < cols; j += 4) {
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], x[j + c]));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void sparse_i8_c(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                   int rows) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    int nblocks = *idx++;
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int b = 0; b < nblocks; b++) {
      const int8_t *xb = &x[*idx++];
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], xb[c]));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void dense_i16_c(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i++) {
    int64_t sum = 0;
    DFX_NOVEC
    for (int j = 0; j < cols; j++) sum = DFX_ADD64(sum, DFX_MULT16_16(w[j], x[j]));
    acc[i] = sum;
    w += cols;
  }
}

const dredfx_nn_kernels dredfx_nn_kernels_c = {dense_i8_c, sparse_i8_c, dense_i16_c};
