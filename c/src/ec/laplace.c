/* Laplace "p0" coding of DRED values, bit-identical to libopus celt/laplace.c
 * (ec_laplace_encode_p0 / ec_laplace_decode_p0): a zero/positive/negative symbol, then the
 * magnitude minus one in base-7 escapes of a geometric 8-symbol table. */
#include <limits.h>
#include "ec/ec.h"

#define LAPLACE_FTB 15
#define LAPLACE_ESCAPE 7  /* magnitude symbol meaning "7 and more follow" */
/* Beyond these, libopus' tables wrap or overflow; with them every magnitude symbol has a
 * non-zero width, so the escape loop of the decoder always advances. */
#define LAPLACE_MAX_P0 32768u
#define LAPLACE_MAX_DECAY 32767u

/* {P(not zero), half of it, 0}: symbol 0 = zero, 1 = positive, 2 = negative. */
static void sign_icdf(uint16_t icdf[3], uint16_t p0) {
  icdf[0] = (uint16_t)(32768u - p0);
  icdf[1] = icdf[0] / 2;
  icdf[2] = 0;
}

/* Geometric decay with floors 7 - i so that every symbol keeps a non-zero width. */
static void magnitude_icdf(uint16_t icdf[8], uint16_t decay) {
  int i;
  icdf[0] = DREDFX_MAX(7, decay);
  for (i = 1; i < LAPLACE_ESCAPE; i++) {
    uint32_t next = ((uint32_t)icdf[i - 1] * decay) >> LAPLACE_FTB;
    icdf[i] = (uint16_t)DREDFX_MAX((uint32_t)(LAPLACE_ESCAPE - i), next);
  }
  icdf[LAPLACE_ESCAPE] = 0;
}

void dredfx_ec_laplace_encode_p0(dredfx_ec *ec, int value, uint16_t p0, uint16_t decay) {
  uint16_t sicdf[3], icdf[8];
  uint32_t mag = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  int64_t rest;
  if (p0 > LAPLACE_MAX_P0 || decay > LAPLACE_MAX_DECAY) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  sign_icdf(sicdf, p0);
  dredfx_ec_enc_icdf16(ec, value == 0 ? 0 : (value > 0 ? 1 : 2), sicdf, LAPLACE_FTB);
  if (mag == 0) return;
  magnitude_icdf(icdf, decay);
  rest = (int64_t)mag - 1;
  do {
    dredfx_ec_enc_icdf16(ec, (int)DREDFX_MIN(rest, (int64_t)LAPLACE_ESCAPE), icdf, LAPLACE_FTB);
    rest -= LAPLACE_ESCAPE;
  } while (rest >= 0);
}

/* A stream of escapes cannot overflow: the magnitude saturates at INT_MAX (libopus would
 * overflow, which only hostile input of hundreds of kilobytes can reach). */
int dredfx_ec_laplace_decode_p0(dredfx_ec *ec, uint16_t p0, uint16_t decay) {
  uint16_t sicdf[3], icdf[8];
  uint32_t mag = 1;
  int s, k;
  if (p0 > LAPLACE_MAX_P0 || decay > LAPLACE_MAX_DECAY) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  sign_icdf(sicdf, p0);
  s = dredfx_ec_dec_icdf16(ec, sicdf, LAPLACE_FTB);
  if (s == 0) return 0;
  magnitude_icdf(icdf, decay);
  do {
    k = dredfx_ec_dec_icdf16(ec, icdf, LAPLACE_FTB);
    mag = DREDFX_MIN(mag + (uint32_t)k, (uint32_t)INT_MAX);
  } while (k == LAPLACE_ESCAPE);
  return s == 2 ? -(int)mag : (int)mag;
}
