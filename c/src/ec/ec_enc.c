/* Range encoder, bit-identical to libopus celt/entenc.c. Range-coded bytes grow from the front
 * of the buffer, raw bits (enc_bits) from the back; enc_done merges them. A write that does not
 * fit sets the error flag and is dropped: the buffer is never overrun. */
#include <string.h>
#include "ec/ec.h"

static int write_byte(dredfx_ec *ec, unsigned value) {
  if (ec->offs + ec->end_offs >= ec->storage) return DREDFX_EC_ENC_ERROR;
  ec->buf[ec->offs++] = (unsigned char)value;
  return 0;
}

static int write_byte_at_end(dredfx_ec *ec, unsigned value) {
  if (ec->offs + ec->end_offs >= ec->storage) return DREDFX_EC_ENC_ERROR;
  ec->buf[ec->storage - ++ec->end_offs] = (unsigned char)value;
  return 0;
}

/* Emits the top byte c (9 bits: a carry and 8 bits). A run of 255 bytes is held back in ext, and
 * the last byte in rem, until it is known whether a carry propagates through them. */
static void carry_out(dredfx_ec *ec, unsigned c) {
  if (c != DREDFX_EC_SYM_MAX) {
    unsigned carry = c >> DREDFX_EC_SYM_BITS;
    if (ec->rem >= 0) ec->error |= write_byte(ec, (unsigned)ec->rem + carry);
    if (ec->ext > 0) {
      unsigned sym = (DREDFX_EC_SYM_MAX + carry) & DREDFX_EC_SYM_MAX;
      do ec->error |= write_byte(ec, sym);
      while (--ec->ext > 0);
    }
    ec->rem = (int)(c & DREDFX_EC_SYM_MAX);
  } else {
    ec->ext++;
  }
}

static void normalize(dredfx_ec *ec) {
  while (ec->rng <= DREDFX_EC_CODE_BOT) {
    carry_out(ec, ec->val >> DREDFX_EC_CODE_SHIFT);
    ec->val = (ec->val << DREDFX_EC_SYM_BITS) & (DREDFX_EC_CODE_TOP - 1);
    ec->rng <<= DREDFX_EC_SYM_BITS;
    ec->nbits_total += DREDFX_EC_SYM_BITS;
  }
}

void dredfx_ec_enc_init(dredfx_ec *ec, unsigned char *buf, uint32_t size) {
  ec->buf = buf;
  ec->storage = buf ? size : 0;
  ec->end_offs = 0;
  ec->end_window = 0;
  ec->nend_bits = 0;
  ec->nbits_total = DREDFX_EC_CODE_BITS + 1;
  ec->offs = 0;
  ec->rng = DREDFX_EC_CODE_TOP;
  ec->val = 0;
  ec->ext = 0;
  ec->rem = -1;
  ec->error = 0;
}

/* Narrows the interval to the symbol [fl, fh) of a total ft; r is one unit of frequency. */
static void narrow(dredfx_ec *ec, uint32_t r, uint32_t fl, uint32_t fh, uint32_t ft) {
  if (fl > 0) {
    ec->val += ec->rng - r * (ft - fl);
    ec->rng = r * (fh - fl);
  } else {
    ec->rng -= r * (ft - fh);
  }
  normalize(ec);
}

void dredfx_ec_encode(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft) {
  if (ft == 0 || ft > DREDFX_EC_MAX_FT || fl >= fh || fh > ft) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  narrow(ec, ec->rng / ft, fl, fh, ft);
}

void dredfx_ec_encode_bin(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned bits) {
  if (bits > DREDFX_EC_MAX_FTB || fl >= fh || fh > (1u << bits)) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  narrow(ec, ec->rng >> bits, fl, fh, 1u << bits);
}

void dredfx_ec_enc_bit_logp(dredfx_ec *ec, int val, unsigned logp) {
  uint32_t s, r;
  if (logp == 0 || logp > DREDFX_EC_MAX_FTB) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  s = ec->rng >> logp;
  r = ec->rng - s;
  if (val) ec->val += r;
  ec->rng = val ? s : r;
  normalize(ec);
}

/* Symbol s of an inverse CDF table has the interval [2^ftb - icdf[s-1], 2^ftb - icdf[s]). */
static void enc_icdf_bounds(dredfx_ec *ec, int s, uint32_t hi, uint32_t lo, unsigned ftb) {
  uint32_t r;
  if (ftb > DREDFX_EC_MAX_FTB || lo >= hi || hi > (1u << ftb)) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  r = ec->rng >> ftb;
  if (s > 0) {
    ec->val += ec->rng - r * hi;
    ec->rng = r * (hi - lo);
  } else {
    ec->rng -= r * lo;
  }
  normalize(ec);
}

void dredfx_ec_enc_icdf(dredfx_ec *ec, int s, const unsigned char *icdf, unsigned ftb) {
  if (s < 0 || !icdf) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  enc_icdf_bounds(ec, s, s > 0 ? icdf[s - 1] : 1u << DREDFX_MIN(ftb, 31u), icdf[s], ftb);
}

void dredfx_ec_enc_icdf16(dredfx_ec *ec, int s, const uint16_t *icdf, unsigned ftb) {
  if (s < 0 || !icdf) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  enc_icdf_bounds(ec, s, s > 0 ? icdf[s - 1] : 1u << DREDFX_MIN(ftb, 31u), icdf[s], ftb);
}

void dredfx_ec_enc_uint(dredfx_ec *ec, uint32_t fl, uint32_t ft) {
  int ftb;
  if (ft == 0 || fl >= ft) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  ft--;
  ftb = dredfx_ilog(ft);
  if (ftb > DREDFX_EC_UINT_BITS) {
    unsigned top;
    ftb -= DREDFX_EC_UINT_BITS;
    top = (unsigned)(fl >> ftb);
    dredfx_ec_encode(ec, top, top + 1, (unsigned)(ft >> ftb) + 1);
    dredfx_ec_enc_bits(ec, fl & ((1u << ftb) - 1u), (unsigned)ftb);
  } else {
    dredfx_ec_encode(ec, fl, fl + 1, ft + 1);
  }
}

/* Raw bits are not masked to 'bits', as in libopus: callers pass fl < 2^bits. */
void dredfx_ec_enc_bits(dredfx_ec *ec, uint32_t fl, unsigned bits) {
  uint32_t window = ec->end_window;
  int used = ec->nend_bits;
  if (bits > DREDFX_EC_MAX_RAW_BITS) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  if (bits == 0) return;  /* libopus requires bits >= 1; a full window would shift by 32 */
  if (used + (int)bits > DREDFX_EC_WINDOW_SIZE) {
    do {
      ec->error |= write_byte_at_end(ec, window & DREDFX_EC_SYM_MAX);
      window >>= DREDFX_EC_SYM_BITS;
      used -= DREDFX_EC_SYM_BITS;
    } while (used >= DREDFX_EC_SYM_BITS);
  }
  window |= fl << used;
  used += (int)bits;
  ec->end_window = window;
  ec->nend_bits = used;
  ec->nbits_total += (int)bits;
}

void dredfx_ec_enc_shrink(dredfx_ec *ec, uint32_t size) {
  if (size < ec->offs + ec->end_offs || size > ec->storage) {
    ec->error = DREDFX_EC_ENC_ERROR;
    return;
  }
  if (ec->end_offs > 0)
    memmove(ec->buf + size - ec->end_offs, ec->buf + ec->storage - ec->end_offs, ec->end_offs);
  ec->storage = size;
}

/* Writes the fewest bits that identify a value inside [val, val + rng) whatever follows, then
 * flushes the raw bits and zero-fills the gap between the two ends. */
void dredfx_ec_enc_done(dredfx_ec *ec) {
  uint32_t window, msk, end;
  int used, l;
  l = DREDFX_EC_CODE_BITS - dredfx_ilog(ec->rng);
  msk = (DREDFX_EC_CODE_TOP - 1) >> l;
  end = (ec->val + msk) & ~msk;
  if ((end | msk) >= ec->val + ec->rng) {
    l++;
    msk >>= 1;
    end = (ec->val + msk) & ~msk;
  }
  while (l > 0) {
    carry_out(ec, end >> DREDFX_EC_CODE_SHIFT);
    end = (end << DREDFX_EC_SYM_BITS) & (DREDFX_EC_CODE_TOP - 1);
    l -= DREDFX_EC_SYM_BITS;
  }
  if (ec->rem >= 0 || ec->ext > 0) carry_out(ec, 0);
  window = ec->end_window;
  used = ec->nend_bits;
  while (used >= DREDFX_EC_SYM_BITS) {
    ec->error |= write_byte_at_end(ec, window & DREDFX_EC_SYM_MAX);
    window >>= DREDFX_EC_SYM_BITS;
    used -= DREDFX_EC_SYM_BITS;
  }
  if (ec->error) return;
  if (ec->buf) memset(ec->buf + ec->offs, 0, ec->storage - ec->offs - ec->end_offs);
  if (used > 0) {
    if (ec->end_offs >= ec->storage) {
      ec->error = DREDFX_EC_ENC_ERROR;  /* no room at all for the last raw bits */
      return;
    }
    l = -l;  /* spare low bits of the last range-coded byte */
    if (ec->offs + ec->end_offs >= ec->storage && l < used) {
      window &= (1u << l) - 1;
      ec->error = DREDFX_EC_ENC_ERROR;
    }
    ec->buf[ec->storage - ec->end_offs - 1] |= (unsigned char)window;
  }
}
