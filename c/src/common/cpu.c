/* Run-time CPU level (levels: cpu.h).
 * At first use the highest level the CPU supports is selected, capped by the environment
 * variable DREDFX_CPU=scalar|avx2|avxvnni|avx512vnni|neon|dotprod. A value naming a level this CPU lacks
 * (for example dotprod on a Cortex-A53) selects the highest available level below it; an unknown
 * value, or one from another architecture, leaves the level uncapped. Both print one warning on
 * stderr.
 * dredfx_cpu_set_level() overrides the choice and refuses a level the CPU lacks. All levels
 * give the same integers; the level only changes speed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/cpu.h"

#if defined(__aarch64__) || defined(__arm__)
#include <sys/auxv.h>
#endif
#if defined(DREDFX_HAVE_AVXVNNI)
#include <cpuid.h>
#endif

#if defined(DREDFX_HAVE_AVX512VNNI)
static const char *const level_names[] = {"scalar", "avx2", "avxvnni", "avx512vnni"};
#elif defined(DREDFX_HAVE_AVXVNNI)
static const char *const level_names[] = {"scalar", "avx2", "avxvnni"};
#elif defined(DREDFX_HAVE_AVX2)
static const char *const level_names[] = {"scalar", "avx2"};
#elif defined(DREDFX_HAVE_DOTPROD)
static const char *const level_names[] = {"scalar", "neon", "dotprod"};
#elif defined(DREDFX_HAVE_NEON)
static const char *const level_names[] = {"scalar", "neon"};
#else
static const char *const level_names[] = {"scalar"};
#endif

#define NB_LEVELS DREDFX_CPU_NB_LEVELS
_Static_assert(DREDFX_ARRAY_LEN(level_names) == DREDFX_CPU_NB_LEVELS, "one name per level");

static int max_level;
static int cur_level; /* atomic accesses: dredfx_cpu_set_level may race with readers */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#if defined(DREDFX_HAVE_AVX512VNNI)
/* AVX-512 F (leaf 7 EBX bit 16), BW (30), VL (31), VNNI (leaf 7 ECX bit 11), and XCR0 with the
 * SSE, AVX, opmask and both ZMM state components (bits 1, 2, 5, 6, 7) enabled by the OS. */
static int has_avx512vnni(void) {
  unsigned int a, b, c, d, lo, hi;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; /* OSXSAVE */
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned int ebx_need = (1u << 16) | (1u << 30) | (1u << 31);
  return (b & ebx_need) == ebx_need && (c & (1u << 11));
}
#endif

static int detect_max_level(void) {
#if defined(DREDFX_HAVE_AVX2)
  /* __builtin_cpu_supports("avx2") also checks that the OS saves the YMM registers. */
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return 0;
#if defined(DREDFX_HAVE_AVXVNNI)
  /* AVX-VNNI: CPUID leaf 7, sub-leaf 1, EAX bit 4 (not every compiler's __builtin_cpu_supports
   * knows the name). */
  unsigned int a, b, c, d;
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4))) {
#if defined(DREDFX_HAVE_AVX512VNNI)
    if (has_avx512vnni()) return 3;
#endif
    return 2;
  }
#endif
  return 1;
#elif defined(__aarch64__)
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) ? 2 : 1;
#elif defined(DREDFX_HAVE_NEON)
#ifndef HWCAP_NEON
#define HWCAP_NEON (1UL << 12)
#endif
  return (getauxval(AT_HWCAP) & HWCAP_NEON) ? 1 : 0;
#else
  return 0;
#endif
}

static void cpu_init(void) {
  const char *env = getenv("DREDFX_CPU");
  max_level = detect_max_level();
  int level = max_level;
  if (env != NULL && *env != '\0') {
    int want = -1;
    for (int i = 0; i < NB_LEVELS; i++)
      if (strcmp(env, level_names[i]) == 0) want = i;
    if (want < 0) {
      fprintf(stderr, "dredfx: DREDFX_CPU=%s is not a level of this build; using %s\n", env,
              level_names[max_level]);
    } else if (want > max_level) {
      fprintf(stderr, "dredfx: DREDFX_CPU=%s is not supported by this CPU; using %s\n", env,
              level_names[max_level]);
    } else {
      level = want;
    }
  }
  __atomic_store_n(&cur_level, level, __ATOMIC_RELEASE);
}

static void ensure_init(void) {
  pthread_once(&init_once, cpu_init);
}

int dredfx_cpu_level(void) {
  ensure_init();
  return __atomic_load_n(&cur_level, __ATOMIC_ACQUIRE);
}

int dredfx_cpu_max_level(void) {
  ensure_init();
  return max_level;
}

int dredfx_cpu_set_level(int level) {
  ensure_init();
  if (level < 0) return DREDFX_ERR_BAD_ARG;
  if (level > max_level) return DREDFX_ERR_CPU_UNSUPPORTED;
  __atomic_store_n(&cur_level, level, __ATOMIC_RELEASE);
  return DREDFX_OK;
}

const char *dredfx_cpu_level_name(int level) {
  if (level < 0 || level >= NB_LEVELS) return "unknown";
  return level_names[level];
}
