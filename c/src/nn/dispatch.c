/* The NN kernel table of each CPU level (levels and their detection: common/cpu.c). */
#include "common/common.h"
#include "nn/kernels.h"

static const dredfx_nn_kernels *const level_kernels[DREDFX_CPU_NB_LEVELS] = {
    &dredfx_nn_kernels_c,
#if defined(DREDFX_HAVE_AVX2)
    &dredfx_nn_kernels_avx2,
#elif defined(DREDFX_HAVE_NEON)
    &dredfx_nn_kernels_neon,
#endif
#if defined(DREDFX_HAVE_AVXVNNI)
    &dredfx_nn_kernels_avxvnni,
#elif defined(DREDFX_HAVE_DOTPROD)
    &dredfx_nn_kernels_dotprod,
#endif
#if defined(DREDFX_HAVE_AVX512VNNI)
    &dredfx_nn_kernels_avx512vnni,
#endif
};

const dredfx_nn_kernels *dredfx_nn_kernels_for_level(int level) {
  if (level < 0 || level > dredfx_cpu_max_level()) return NULL;
  return level_kernels[level];
}

const dredfx_nn_kernels *dredfx_nn_get_kernels(void) {
  return level_kernels[dredfx_cpu_level()];
}
