/* Matrix-vector kernels: the only SIMD-specialised code of the NN engine.
 *
 * kernels_c.c is the specification; every other level (x86/kernels_avx2.c,
 * x86/kernels_avxvnni.c, arm/kernels_neon.c, arm/kernels_dotprod.c) returns exactly the same
 * integers for every input, the full int8 / int16 ranges included (c/tests/checkasm.c checks this).
 *
 * int8 block layout (libopus dense 8x4): the matrix is cut into blocks of 8 rows x 4 columns; the
 * blocks of rows 8b..8b+7 come one after the other (columns 0..3, then 4..7, ...), the blocks of
 * the next 8 rows follow. Inside a block, the 4 weights of row 0 come first, then row 1, ... so
 * w_ij of a dense matrix is at w[(i / 8) * 8 * cols + (j / 4) * 32 + (i % 8) * 4 + j % 4].
 * Sparse format (libopus sparse 8x4): for each group of 8 rows, idx holds the number of blocks n,
 * then n column positions p (the block covers columns p..p+3); w holds the n blocks in that order.
 * The kernels trust the index: dredfx_nn_sparse_check() validates it once, at load time.
 *
 * Accumulators: the int8 sums are int32 (exact while cols * 2^14 < 2^31, i.e. cols <= 131071);
 * the int16 sums are int64 (exact for any realistic size). */
#ifndef DREDFX_NN_KERNELS_H
#define DREDFX_NN_KERNELS_H

#include <stdint.h>

#include "common/cpu.h"

typedef struct {
  /* acc[i] = sum_j w_ij x_j; dense 8x4 block layout; rows % 8 == 0, cols % 4 == 0, both > 0. */
  void (*dense_i8)(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols);
  /* acc[i] = sum over the blocks of row group i / 8; rows % 8 == 0. */
  void (*sparse_i8)(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x, int rows);
  /* acc[i] = sum_j w[i * cols + j] x_j; row-major, rows, cols >= 1; w in [-32767, 32767]. */
  void (*dense_i16)(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
} dredfx_nn_kernels;

/* Kernels of a CPU level (common/cpu.h), NULL if this CPU or build does not have it. A model's
 * state keeps the pointer it got at init (libopus passes `arch`, dav1d keeps a DSP context), so no
 * hot call asks for the level again. */
const dredfx_nn_kernels *dredfx_nn_kernels_for_level(int level);
/* Kernels of the level in use now (dredfx_cpu_level()): what a state's init takes. */
const dredfx_nn_kernels *dredfx_nn_get_kernels(void);

extern const dredfx_nn_kernels dredfx_nn_kernels_c;
#if defined(DREDFX_HAVE_AVX2)
extern const dredfx_nn_kernels dredfx_nn_kernels_avx2;
void dredfx_nn_dense_i16_avx2(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
#endif
#if defined(DREDFX_HAVE_AVXVNNI)
extern const dredfx_nn_kernels dredfx_nn_kernels_avxvnni;
#endif
#if defined(DREDFX_HAVE_NEON)
extern const dredfx_nn_kernels dredfx_nn_kernels_neon;
void dredfx_nn_dense_i16_neon(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols);
#endif
#if defined(DREDFX_HAVE_DOTPROD)
extern const dredfx_nn_kernels dredfx_nn_kernels_dotprod;
#endif

#endif
