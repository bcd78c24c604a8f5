/* Range decoder, bit-identical to libopus celt/entdec.c. Reads past either end of the buffer
 * give zero bytes. libopus asserts on out-of-range arguments and can loop forever when a
 * zero-width symbol leaves rng = 0; here such a call sets the error flag and leaves the state
 * unchanged, so any input terminates. */
#include "ec/ec.h"

static unsigned read_byte(dredfx_ec *ec) {
  return ec->offs < ec->storage ? ec->buf[ec->offs++] : 0;
}

static unsigned read_byte_from_end(dredfx_ec *ec) {
  return ec->end_offs < ec->storage ? ec->buf[ec->storage - ++ec->end_offs] : 0;
}

/* val holds rng - 1 - (code - low): the decoder mirrors the encoder's interval from the top. */
static void normalize(dredfx_ec *ec) {
  while (ec->rng <= DREDFX_EC_CODE_BOT) {
    unsigned sym;
    ec->nbits_total += DREDFX_EC_SYM_BITS;
    ec->rng <<= DREDFX_EC_SYM_BITS;
    sym = (unsigned)ec->rem;
    ec->rem = (int)read_byte(ec);
    /* The code register is offset by one bit from the byte boundaries (CODE_EXTRA = 7). */
    sym = (sym << DREDFX_EC_SYM_BITS | (unsigned)ec->rem) >> (DREDFX_EC_SYM_BITS - DREDFX_EC_CODE_EXTRA);
    ec->val = ((ec->val << DREDFX_EC_SYM_BITS) + (DREDFX_EC_SYM_MAX & ~sym)) & (DREDFX_EC_CODE_TOP - 1);
  }
}

/* Sets the new interval unless it would be empty (only reachable with inconsistent tables or
 * arguments). Returns 0, or -1 after setting the error flag. */
static int set_interval(dredfx_ec *ec, uint32_t val, uint32_t rng) {
  if (rng == 0) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return -1;
  }
  ec->val = val;
  ec->rng = rng;
  normalize(ec);
  return 0;
}

void dredfx_ec_dec_init(dredfx_ec *ec, const unsigned char *buf, uint32_t size) {
  /* The decoder never writes: the cast only lets both directions share one struct. */
  ec->buf = (unsigned char *)buf;
  ec->storage = buf ? size : 0;
  ec->end_offs = 0;
  ec->end_window = 0;
  ec->nend_bits = 0;
  /* Ends equal to the encoder's after the normalization below. */
  ec->nbits_total = DREDFX_EC_CODE_BITS + 1 -
      ((DREDFX_EC_CODE_BITS - DREDFX_EC_CODE_EXTRA) / DREDFX_EC_SYM_BITS) * DREDFX_EC_SYM_BITS;
  ec->offs = 0;
  ec->rng = 1u << DREDFX_EC_CODE_EXTRA;
  ec->rem = (int)read_byte(ec);
  ec->val = ec->rng - 1 - ((unsigned)ec->rem >> (DREDFX_EC_SYM_BITS - DREDFX_EC_CODE_EXTRA));
  ec->ext = 0;
  ec->error = 0;
  normalize(ec);
}

/* ext keeps rng / ft for the dredfx_ec_dec_update that must follow. */
static unsigned decode_with(dredfx_ec *ec, uint32_t ext, unsigned ft) {
  uint32_t s;
  ec->ext = ext;
  s = ec->val / ext + 1;
  return ft - DREDFX_MIN(s, ft);
}

unsigned dredfx_ec_decode(dredfx_ec *ec, unsigned ft) {
  if (ft == 0 || ft > DREDFX_EC_MAX_FT) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  return decode_with(ec, ec->rng / ft, ft);
}

unsigned dredfx_ec_decode_bin(dredfx_ec *ec, unsigned bits) {
  if (bits > DREDFX_EC_MAX_FTB) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  return decode_with(ec, ec->rng >> bits, 1u << bits);
}

void dredfx_ec_dec_update(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft) {
  uint32_t s;
  if (ft == 0 || ft > DREDFX_EC_MAX_FT || fl >= fh || fh > ft) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return;
  }
  s = ec->ext * (ft - fh);
  set_interval(ec, ec->val - s, fl > 0 ? ec->ext * (fh - fl) : ec->rng - s);
}

int dredfx_ec_dec_bit_logp(dredfx_ec *ec, unsigned logp) {
  uint32_t r = ec->rng, d = ec->val, s;
  int ret;
  if (logp == 0 || logp > DREDFX_EC_MAX_FTB) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  s = r >> logp;
  ret = d < s;
  set_interval(ec, ret ? d : d - s, ret ? s : r - s);
  return ret;
}

/* The symbol is the first k with val >= r * icdf[k]; tables end with 0, so the walk stops.
 * icdf8 or icdf16 is the table (8- or 16-bit entries), the other NULL. */
static int dec_icdf(dredfx_ec *ec, const unsigned char *icdf8, const uint16_t *icdf16, unsigned ftb) {
  uint32_t r, d = ec->val, s = ec->rng, t;
  int ret = -1;
  if ((!icdf8 && !icdf16) || ftb > DREDFX_EC_MAX_FTB) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  r = s >> ftb;
  do {
    t = s;
    ++ret;
    s = r * (icdf8 ? icdf8[ret] : icdf16[ret]);
  } while (d < s);
  set_interval(ec, d - s, t - s);
  return ret;
}

int dredfx_ec_dec_icdf(dredfx_ec *ec, const unsigned char *icdf, unsigned ftb) {
  return dec_icdf(ec, icdf, NULL, ftb);
}

int dredfx_ec_dec_icdf16(dredfx_ec *ec, const uint16_t *icdf, unsigned ftb) {
  return dec_icdf(ec, NULL, icdf, ftb);
}

uint32_t dredfx_ec_dec_uint(dredfx_ec *ec, uint32_t ft) {
  unsigned s;
  int ftb;
  if (ft == 0) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  ft--;
  ftb = dredfx_ilog(ft);
  if (ftb > DREDFX_EC_UINT_BITS) {
    uint32_t t;
    unsigned top_ft;
    ftb -= DREDFX_EC_UINT_BITS;
    top_ft = (unsigned)(ft >> ftb) + 1;
    s = dredfx_ec_decode(ec, top_ft);
    dredfx_ec_dec_update(ec, s, s + 1, top_ft);
    t = (uint32_t)s << ftb | dredfx_ec_dec_bits(ec, (unsigned)ftb);
    if (t <= ft) return t;
    ec->error = DREDFX_EC_DEC_ERROR;
    return ft;
  }
  s = dredfx_ec_decode(ec, ft + 1);
  dredfx_ec_dec_update(ec, s, s + 1, ft + 1);
  return s;
}

uint32_t dredfx_ec_dec_bits(dredfx_ec *ec, unsigned bits) {
  uint32_t window = ec->end_window, ret;
  int available = ec->nend_bits;
  if (bits > DREDFX_EC_MAX_RAW_BITS) {
    ec->error = DREDFX_EC_DEC_ERROR;
    return 0;
  }
  if ((unsigned)available < bits) {
    do {
      window |= (uint32_t)read_byte_from_end(ec) << available;
      available += DREDFX_EC_SYM_BITS;
    } while (available <= DREDFX_EC_WINDOW_SIZE - DREDFX_EC_SYM_BITS);
  }
  ret = window & ((1u << bits) - 1u);
  window >>= bits;
  available -= (int)bits;
  ec->end_window = window;
  ec->nend_bits = available;
  ec->nbits_total += (int)bits;
  return ret;
}
