/* The C tests' checking macros: count every check, print the first 30 failures with file:line,
 * and end with the "N passed, N failed" line (check_report). */
#ifndef DREDFX_TESTS_CHECK_H
#define DREDFX_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond) CHECKF(cond, "%s", "")

/* CHECK with a printf-style detail printed after the failed condition. */
#define CHECKF(cond, ...)                                            \
  do {                                                               \
    if (cond) {                                                      \
      passed++;                                                      \
    } else if (++failed <= 30) {                                     \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fputc('\n', stderr);                                           \
    }                                                                \
  } while (0)

/* a == b as integers; prints both values on failure. */
#define CHECK_EQ(a, b)                                                  \
  do {                                                                  \
    long long va_ = (long long)(a), vb_ = (long long)(b);               \
    CHECKF(va_ == vb_, "%s == %s (%lld != %lld)", #a, #b, va_, vb_);    \
  } while (0)

static inline int check_report(const char *name) {
  printf("%s: %d passed, %d failed\n", name, passed, failed);
  return failed != 0;
}

#endif
