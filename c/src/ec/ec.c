/* Bit accounting shared by encoder and decoder (libopus ec_tell, ec_tell_frac). */
#include "ec/ec.h"

int dredfx_ec_tell(const dredfx_ec *ec) {
  return ec->nbits_total - dredfx_ilog(ec->rng);
}

/* 1/8-bit precision: a linear guess of the top 3 fraction bits of log2(rng), corrected by the
 * exact transition thresholds 2^(15 + k/8) for k = 1..8. */
uint32_t dredfx_ec_tell_frac(const dredfx_ec *ec) {
  static const uint32_t correction[8] = {35733, 38967, 42495, 46340, 50535, 55109, 60097, 65535};
  uint32_t nbits = (uint32_t)ec->nbits_total << DREDFX_EC_BITRES;
  int l = dredfx_ilog(ec->rng);
  uint32_t r = ec->rng >> (l - 16);
  uint32_t b = (r >> 12) - 8;
  b += r > correction[b];
  return nbits - (((uint32_t)l << DREDFX_EC_BITRES) + b);
}
