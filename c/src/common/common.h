/* Internal helpers shared by every layer of the C library. */
#ifndef DREDFX_COMMON_H
#define DREDFX_COMMON_H

#include "dredfx.h"

#define DREDFX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DREDFX_MAX(a, b) ((a) > (b) ? (a) : (b))
#define DREDFX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Number of significant bits of an unsigned value (0 for 0). */
static inline int dredfx_ilog(uint32_t x) {
  return x ? 32 - __builtin_clz(x) : 0;
}

#endif
