/* Fixed-point formats and operators of the NN engine.
 *
 * Q formats (suffix of a variable or typedef):
 *   a15  int16  activation in [-1, 1): value = a / 32768 (1.0 saturates to 32767)
 *   x8   int8   int8-layer input: x8 = (127 * a15 + 16384) >> 15, always in [-127, 127]
 *   p16  int32  pre-activation / linear output: value = p / 65536
 *   g15  int32  gate (sigmoid output inside GRU and GLU) in [0, 32768]: value = g / 32768, so 0 and
 *               1.0 are both exact (a saturated update gate keeps a GRU state bit for bit)
 *   i16  int16  input of a wide (float-weight) layer, Q given per call (in_q)
 *   i32  int32  input of a 32-bit wide layer, Q given per call (in_q): p16 values, or exact
 *               integers (Q0)
 *
 * One rounding rule: a right shift by s > 0 rounds half up, (v + 2^(s-1)) >> s, with an
 * arithmetic shift (DFX_PSHR32, DFX_PSHR64). A store into a narrower type saturates explicitly
 * (DFX_SAT16, DFX_SAT32, DFX_ADD_SAT32). The plain operators (DFX_ADD32, DFX_MULT16_16, ...) must
 * never overflow: with -DDREDFX_FIXED_DEBUG=1 each one checks its operands and its exact result
 * against the destination type, prints file:line and the values on stderr and abort()s.
 * The same build counts, per site (op name, file:line), every saturation that changes a value:
 * the SAT and ADD_SAT macros, and the activation clamps (DFX_COUNT_CLAMP: tanh and sigmoid
 * inputs beyond the table, whose 1.0 the a15 format holds as 32767). The nonzero counts are
 * printed on stderr at exit; tests read and reset them with dredfx_fixed_debug_*() below.
 * Without DREDFX_FIXED_DEBUG all of this is plain inline arithmetic, no counters. */
#ifndef DREDFX_NN_FIXED_H
#define DREDFX_NN_FIXED_H

#include <stdint.h>

typedef int16_t dfx_a15;
typedef int8_t dfx_x8;
typedef int32_t dfx_p16;
typedef int32_t dfx_g15;

#define DFX_Q15_ONE 32767
#define DFX_G15_ONE 32768
#define DFX_Q16_ONE 65536

static inline int16_t dfx_sat16(int64_t v) {
  return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}
static inline int32_t dfx_sat32(int64_t v) {
  return (int32_t)(v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v);
}

#ifdef DREDFX_FIXED_DEBUG
#include <stdio.h>
#include <stdlib.h>

/* One saturating site: op ("SAT16", "SAT32", "ADD_SAT32", "ACT_CLAMP"), file, line, and how many
 * times it changed a value since the last reset. */
typedef struct {
  const char *op, *file;
  int line;
  unsigned long count;
} dredfx_fixed_site;

/* Counts one saturation at (op, file, line) (common/fixed_debug.c). */
void dredfx_fixed_debug_count(const char *op, const char *file, int line);
/* The sites counted since the last reset, in first-seen order: *sites points to n entries
 * (valid until the next count or reset); returns n. */
int dredfx_fixed_debug_saturations(const dredfx_fixed_site **sites);
/* Sum of the counts whose op is `op` (NULL: all ops). */
unsigned long dredfx_fixed_debug_total(const char *op);
void dredfx_fixed_debug_reset(void);

static inline void dfx_fail(const char *op, const char *file, int line, int64_t a, int64_t b) {
  fprintf(stderr, "FIXED_DEBUG: %s overflow at %s:%d (a=%lld, b=%lld)\n", op, file, line,
          (long long)a, (long long)b);
  abort();
}
#define DFX_IN16(v) ((v) >= INT16_MIN && (v) <= INT16_MAX)
#define DFX_IN32(v) ((v) >= INT32_MIN && (v) <= INT32_MAX)

static inline int32_t dfx_dbg_add32(int64_t a, int64_t b, const char *f, int l) {
  if (!DFX_IN32(a) || !DFX_IN32(b) || !DFX_IN32(a + b)) dfx_fail("ADD32", f, l, a, b);
  return (int32_t)(a + b);
}
static inline int32_t dfx_dbg_sub32(int64_t a, int64_t b, const char *f, int l) {
  if (!DFX_IN32(a) || !DFX_IN32(b) || !DFX_IN32(a - b)) dfx_fail("SUB32", f, l, a, b);
  return (int32_t)(a - b);
}
static inline int64_t dfx_dbg_add64(int64_t a, int64_t b, const char *f, int l) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) dfx_fail("ADD64", f, l, a, b);
  return r;
}
static inline int32_t dfx_dbg_mult16_16(int64_t a, int64_t b, const char *f, int l) {
  if (!DFX_IN16(a) || !DFX_IN16(b)) dfx_fail("MULT16_16", f, l, a, b);
  return (int32_t)(a * b);
}
static inline int64_t dfx_dbg_mult32_32(int64_t a, int64_t b, const char *f, int l) {
  if (!DFX_IN32(a) || !DFX_IN32(b)) dfx_fail("MULT32_32_64", f, l, a, b);
  return a * b;
}
static inline int32_t dfx_dbg_pshr32(int64_t v, int64_t s, const char *f, int l) {
  if (!DFX_IN32(v) || s < 1 || s > 31) dfx_fail("PSHR32", f, l, v, s);
  return (int32_t)((v + ((int64_t)1 << (s - 1))) >> s);
}
static inline int64_t dfx_dbg_pshr64(int64_t v, int64_t s, const char *f, int l) {
  int64_t r;
  if (s < 1 || s > 63 || __builtin_add_overflow(v, (int64_t)1 << (s - 1), &r)) dfx_fail("PSHR64", f, l, v, s);
  return r >> s;
}
static inline int32_t dfx_dbg_shl32(int64_t v, int64_t s, const char *f, int l) {
  if (!DFX_IN32(v) || s < 0 || s > 31 || !DFX_IN32(v * ((int64_t)1 << s))) dfx_fail("SHL32", f, l, v, s);
  return (int32_t)(v * ((int64_t)1 << s));
}
static inline int16_t dfx_dbg_extract16(int64_t v, const char *f, int l) {
  if (!DFX_IN16(v)) dfx_fail("EXTRACT16", f, l, v, 0);
  return (int16_t)v;
}
static inline int32_t dfx_dbg_mult16_32_q15(int64_t a, int64_t b, const char *f, int l) {
  int64_t r;
  if (!DFX_IN16(a) || !DFX_IN32(b)) dfx_fail("MULT16_32_Q15", f, l, a, b);
  r = (a * b + 16384) >> 15;
  if (!DFX_IN32(r)) dfx_fail("MULT16_32_Q15", f, l, a, b);
  return (int32_t)r;
}

static inline int16_t dfx_dbg_sat16(int64_t v, const char *f, int l) {
  if (!DFX_IN16(v)) dredfx_fixed_debug_count("SAT16", f, l);
  return dfx_sat16(v);
}
static inline int32_t dfx_dbg_sat32(int64_t v, const char *op, const char *f, int l) {
  if (!DFX_IN32(v)) dredfx_fixed_debug_count(op, f, l);
  return dfx_sat32(v);
}
static inline int32_t dfx_dbg_mult32_32_32(int64_t a, int64_t b, const char *f, int l) {
  if (!DFX_IN32(a) || !DFX_IN32(b) || !DFX_IN32(a * b)) dfx_fail("MULT32_32_32", f, l, a, b);
  return (int32_t)(a * b);
}
static inline int32_t dfx_dbg_mult32_32_q15(int64_t a, int64_t b, const char *f, int l) {
  int64_t r;
  if (!DFX_IN32(a) || !DFX_IN32(b) || a < -32768 || a > 32768) dfx_fail("MULT32_32_Q15", f, l, a, b);
  r = (a * b + 16384) >> 15;
  if (!DFX_IN32(r)) dfx_fail("MULT32_32_Q15", f, l, a, b);
  return (int32_t)r;
}

#define DFX_SAT16(v) dfx_dbg_sat16((v), __FILE__, __LINE__)
#define DFX_SAT32(v) dfx_dbg_sat32((v), "SAT32", __FILE__, __LINE__)
#define DFX_ADD_SAT32(a, b) dfx_dbg_sat32((int64_t)(a) + (int64_t)(b), "ADD_SAT32", __FILE__, __LINE__)
#define DFX_COUNT_CLAMP() dredfx_fixed_debug_count("ACT_CLAMP", __FILE__, __LINE__)
#define DFX_ADD32(a, b) dfx_dbg_add32((a), (b), __FILE__, __LINE__)
#define DFX_SUB32(a, b) dfx_dbg_sub32((a), (b), __FILE__, __LINE__)
#define DFX_ADD64(a, b) dfx_dbg_add64((a), (b), __FILE__, __LINE__)
#define DFX_MULT16_16(a, b) dfx_dbg_mult16_16((a), (b), __FILE__, __LINE__)
#define DFX_MULT32_32_64(a, b) dfx_dbg_mult32_32((a), (b), __FILE__, __LINE__)
#define DFX_MULT32_32_32(a, b) dfx_dbg_mult32_32_32((a), (b), __FILE__, __LINE__)
#define DFX_MULT32_32_Q15(a, b) dfx_dbg_mult32_32_q15((a), (b), __FILE__, __LINE__)
#define DFX_MULT16_32_Q15(a, b) dfx_dbg_mult16_32_q15((a), (b), __FILE__, __LINE__)
#define DFX_PSHR32(v, s) dfx_dbg_pshr32((v), (s), __FILE__, __LINE__)
#define DFX_PSHR64(v, s) dfx_dbg_pshr64((v), (s), __FILE__, __LINE__)
#define DFX_SHL32(v, s) dfx_dbg_shl32((v), (s), __FILE__, __LINE__)
#define DFX_EXTRACT16(v) dfx_dbg_extract16((v), __FILE__, __LINE__)

#else

#define DFX_SAT16(v) dfx_sat16(v)
#define DFX_SAT32(v) dfx_sat32(v)
/* Saturating int32 addition (bias add, GRU gate sums). */
#define DFX_ADD_SAT32(a, b) dfx_sat32((int64_t)(a) + (int64_t)(b))
#define DFX_COUNT_CLAMP() ((void)0)
#define DFX_ADD32(a, b) ((int32_t)(a) + (int32_t)(b))
#define DFX_SUB32(a, b) ((int32_t)(a) - (int32_t)(b))
#define DFX_ADD64(a, b) ((int64_t)(a) + (int64_t)(b))
#define DFX_MULT16_16(a, b) ((int32_t)(int16_t)(a) * (int32_t)(int16_t)(b))
#define DFX_MULT32_32_64(a, b) ((int64_t)(int32_t)(a) * (int64_t)(int32_t)(b))
/* int32 product that fits int32 (a g15 gate times an a15 value, ...). */
#define DFX_MULT32_32_32(a, b) ((int32_t)(a) * (int32_t)(b))
/* (a * b) / 2^15 rounded half up; a in [-32768, 32768] (a g15 gate), b int32. */
#define DFX_MULT32_32_Q15(a, b) ((int32_t)(((int64_t)(int32_t)(a) * (int32_t)(b) + 16384) >> 15))
/* (a * b) / 2^15 rounded half up; a int16, b int32. */
#define DFX_MULT16_32_Q15(a, b) ((int32_t)(((int64_t)(int16_t)(a) * (int32_t)(b) + 16384) >> 15))
/* The int64 intermediate keeps v + 2^(s-1) from overflowing near INT32_MAX. */
#define DFX_PSHR32(v, s) ((int32_t)(((int64_t)(v) + ((int64_t)1 << ((s) - 1))) >> (s)))
#define DFX_PSHR64(v, s) (((int64_t)(v) + ((int64_t)1 << ((s) - 1))) >> (s))
#define DFX_SHL32(v, s) ((int32_t)((uint32_t)(int32_t)(v) << (s)))
#define DFX_EXTRACT16(v) ((int16_t)(v))

#endif

#endif
