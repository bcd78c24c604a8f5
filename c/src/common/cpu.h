/* CPU levels of this build and target (run-time detection and the DREDFX_CPU cap: cpu.c).
 *
 * Levels: 0 scalar on every target; x86-64: 1 AVX2, 2 AVX-VNNI (AVX2 + vpdpbusd, when the compiler
 * has it), 3 AVX-512 VNNI (level 2 plus AVX-512 F/BW/VL/VNNI with the OS saving ZMM state; a CPU
 * with AVX-512 VNNI but without AVX-VNNI, such as Cascade Lake or Ice Lake, stays at level 1);
 * aarch64: 1 NEON, 2 NEON+dotprod; armv7: 1 NEON (its kernels carry their own -mfpu=neon,
 * chosen when AT_HWCAP has HWCAP_NEON). Each layer that has per-level code (the NN kernels) keeps
 * its own table indexed by these levels. */
#ifndef DREDFX_COMMON_CPU_H
#define DREDFX_COMMON_CPU_H

#if defined(__x86_64__)
#define DREDFX_HAVE_AVX2 1
/* AVX-VNNI (vpdpbusd on 256-bit registers) needs GCC >= 11 or clang >= 12. */
#if (defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#define DREDFX_HAVE_AVXVNNI 1
#define DREDFX_HAVE_AVX512VNNI 1
#endif
#endif
#if defined(__aarch64__) || defined(__arm__)
#define DREDFX_HAVE_NEON 1
#endif
#if defined(__aarch64__)
#define DREDFX_HAVE_DOTPROD 1
#endif

#if defined(DREDFX_HAVE_AVX512VNNI)
#define DREDFX_CPU_NB_LEVELS 4
#elif defined(DREDFX_HAVE_AVXVNNI) || defined(DREDFX_HAVE_DOTPROD)
#define DREDFX_CPU_NB_LEVELS 3
#elif defined(DREDFX_HAVE_AVX2) || defined(DREDFX_HAVE_NEON)
#define DREDFX_CPU_NB_LEVELS 2
#else
#define DREDFX_CPU_NB_LEVELS 1
#endif

#endif
