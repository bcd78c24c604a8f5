/* libFuzzer target for the range coder. Input: byte 0 = operation count (mod 64), then 4 bytes
 * per operation, then the stream. (1) The stream is decoded with those operations and their
 * raw arguments, nonsense included: nothing may crash, hang or read out of bounds. (2) The
 * operations, with arguments folded into their valid ranges, are encoded, decoded back and
 * compared; they are also encoded into a small exact-size buffer that must not be overrun. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dredfx.h"

static const unsigned char tables8[4][6] = {
    {200, 150, 100, 50, 0, 0},  /* ends with a zero-width symbol */
    {255, 254, 1, 0, 0, 0},
    {0, 0, 0, 0, 0, 0},         /* symbol 0 takes all of 2^ftb (ftb 8: all but one unit) */
    {128, 128, 64, 64, 0, 0},   /* zero-width symbols in the middle */
};
static const uint16_t tables16[4][6] = {
    {32768, 16384, 0, 0, 0, 0},  /* symbol 0 of width 0 when ftb = 15 */
    {30000, 20000, 9000, 1000, 30, 0},
    {65535, 1, 0, 0, 0, 0},
    {7, 6, 5, 4, 3, 0},
};

typedef struct {
  int kind;
  uint32_t a, b, c;
  int v;
} fuzz_op;

static int table_len8(int t) {
  int n = 1;
  while (tables8[t][n - 1] != 0) n++;
  return n;
}

static int table_len16(int t) {
  int n = 1;
  while (tables16[t][n - 1] != 0) n++;
  return n;
}

/* The first symbol of non-zero width at or after s (wrapping); every table has one. */
static int usable8(int t, unsigned ftb, int s) {
  int n = table_len8(t), i;
  for (i = 0; i < n; i++) {
    int k = (s + i) % n;
    uint32_t hi = k > 0 ? tables8[t][k - 1] : 1u << ftb;
    if (hi > tables8[t][k] && hi <= 1u << ftb) return k;
  }
  return -1;
}

static int usable16(int t, unsigned ftb, int s) {
  int n = table_len16(t), i;
  for (i = 0; i < n; i++) {
    int k = (s + i) % n;
    uint32_t hi = k > 0 ? tables16[t][k - 1] : 1u << ftb;
    if (hi > tables16[t][k] && hi <= 1u << ftb && tables16[t][0] <= 1u << ftb) return k;
  }
  return -1;
}

/* Valid arguments for an encoder op, or kind -1 if this op cannot be made valid. */
static fuzz_op valid_op(const uint8_t *p) {
  fuzz_op op = {p[0] & 7, 0, 0, 0, 0};
  uint32_t x = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  switch (op.kind) {
    case 0:
      op.c = 1 + (x >> 8) % 65536;
      op.a = x % op.c;
      op.b = op.a + 1 + (p[3] * 7919u) % (op.c - op.a);
      break;
    case 1:
      op.c = p[1] % 17;
      op.a = ((uint32_t)p[2] << 8 | p[3]) % (1u << op.c);
      op.b = op.a + 1 + p[2] % ((1u << op.c) - op.a);
      break;
    case 2:
      op.c = 1 + p[1] % 16;
      op.a = p[2] & 1;
      break;
    case 3:
      op.b = p[1] & 3;
      op.c = 8;
      op.a = (uint32_t)usable8((int)op.b, 8, p[2]);
      break;
    case 4:
      op.b = p[1] & 3;
      op.c = 15 + (p[3] & 1);
      if (usable16((int)op.b, op.c, p[2]) < 0) op.kind = -1;
      else op.a = (uint32_t)usable16((int)op.b, op.c, p[2]);
      break;
    case 5: {
      uint64_t ft = ((uint64_t)x << (p[0] >> 3)) + 1;
      op.c = ft > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)ft;
      op.a = (x * 2654435761u) % op.c;
      break;
    }
    case 6:
      op.c = p[1] % 26;
      op.a = op.c ? (x * 2654435761u) & ((1u << op.c) - 1) : 0;
      break;
    default:
      op.a = (p[1] % 255u) << 7;
      op.b = (1 + p[2] % 255u) << 7;
      op.v = (int8_t)p[3];
      if (op.v == 0 && op.a == 0) op.v = 1;
      break;
  }
  return op;
}

static void encode_op(dredfx_ec *ec, const fuzz_op *op) {
  switch (op->kind) {
    case 0: dredfx_ec_encode(ec, op->a, op->b, op->c); break;
    case 1: dredfx_ec_encode_bin(ec, op->a, op->b, op->c); break;
    case 2: dredfx_ec_enc_bit_logp(ec, (int)op->a, op->c); break;
    case 3: dredfx_ec_enc_icdf(ec, (int)op->a, tables8[op->b], op->c); break;
    case 4: dredfx_ec_enc_icdf16(ec, (int)op->a, tables16[op->b], op->c); break;
    case 5: dredfx_ec_enc_uint(ec, op->a, op->c); break;
    case 6: dredfx_ec_enc_bits(ec, op->a, op->c); break;
    case 7: dredfx_ec_laplace_encode_p0(ec, op->v, (uint16_t)op->a, (uint16_t)op->b); break;
    default: break;
  }
}

static uint32_t decode_op(dredfx_ec *ec, const fuzz_op *op) {
  uint32_t s;
  switch (op->kind) {
    case 0:
      s = dredfx_ec_decode(ec, op->c);
      dredfx_ec_dec_update(ec, op->a, op->b, op->c);
      return s >= op->a && s < op->b ? op->a : s;
    case 1:
      s = dredfx_ec_decode_bin(ec, op->c);
      dredfx_ec_dec_update(ec, op->a, op->b, 1u << op->c);
      return s >= op->a && s < op->b ? op->a : s;
    case 2: return (uint32_t)dredfx_ec_dec_bit_logp(ec, op->c);
    case 3: return (uint32_t)dredfx_ec_dec_icdf(ec, tables8[op->b], op->c);
    case 4: return (uint32_t)dredfx_ec_dec_icdf16(ec, tables16[op->b], op->c);
    case 5: return dredfx_ec_dec_uint(ec, op->c);
    case 6: return dredfx_ec_dec_bits(ec, op->c);
    case 7: return (uint32_t)dredfx_ec_laplace_decode_p0(ec, (uint16_t)op->a, (uint16_t)op->b);
    default: return 0;
  }
}

/* Raw, possibly nonsensical arguments for the decoder (tables stay terminated). */
static void decode_raw(dredfx_ec *ec, const uint8_t *p) {
  unsigned x = (unsigned)p[2] << 8 | p[3];
  switch (p[0] & 15) {
    case 0: dredfx_ec_decode(ec, x); dredfx_ec_dec_update(ec, p[1], p[2], x); break;
    case 1: dredfx_ec_decode_bin(ec, p[1]); dredfx_ec_dec_update(ec, p[2], p[3], 1u << (p[1] & 15)); break;
    case 2: dredfx_ec_dec_update(ec, p[1], x, x + p[1]); break;  /* possibly without a decode */
    case 3: dredfx_ec_dec_bit_logp(ec, p[1]); break;
    case 4: dredfx_ec_dec_icdf(ec, tables8[p[1] & 3], p[2]); break;
    case 5: dredfx_ec_dec_icdf16(ec, tables16[p[1] & 3], p[2]); break;
    case 6: dredfx_ec_dec_uint(ec, (uint32_t)p[1] << 24 | (uint32_t)x << 4); break;
    case 7: dredfx_ec_dec_bits(ec, p[1]); break;
    case 8: dredfx_ec_laplace_decode_p0(ec, (uint16_t)(p[1] << 8 | p[2]), (uint16_t)(p[3] << 7)); break;
    default: dredfx_ec_laplace_decode_p0(ec, (uint16_t)((p[1] % 256) << 7), (uint16_t)(p[2] << 7)); break;
  }
  (void)dredfx_ec_tell(ec);
  (void)dredfx_ec_tell_frac(ec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned char big[8192];
  const uint8_t *ops, *stream;
  size_t nops, stream_len, i;
  dredfx_ec ec, dec;
  unsigned char *copy, *small;
  uint32_t small_size;
  int tell;
  if (size < 1) return 0;
  nops = data[0] % 64;
  if (size < 1 + 4 * nops) return 0;
  ops = data + 1;
  stream = ops + 4 * nops;
  stream_len = size - 1 - 4 * nops;

  /* (1) Arbitrary stream, raw arguments, exact-size copy so ASan sees any over-read. */
  copy = malloc(stream_len ? stream_len : 1);
  if (stream_len) memcpy(copy, stream, stream_len);
  dredfx_ec_dec_init(&dec, copy, (uint32_t)stream_len);
  for (i = 0; i < nops; i++) decode_raw(&dec, ops + 4 * i);
  free(copy);

  /* (2) Round trip with valid arguments. */
  dredfx_ec_enc_init(&ec, big, sizeof(big));
  for (i = 0; i < nops; i++) {
    fuzz_op op = valid_op(ops + 4 * i);
    encode_op(&ec, &op);
  }
  tell = dredfx_ec_tell(&ec);
  dredfx_ec_enc_done(&ec);
  if (ec.error) abort();
  dredfx_ec_dec_init(&dec, big, sizeof(big));
  for (i = 0; i < nops; i++) {
    fuzz_op op = valid_op(ops + 4 * i);
    uint32_t want = op.kind == 7 ? (uint32_t)op.v : op.a;
    if (op.kind >= 0 && decode_op(&dec, &op) != want) abort();
  }
  if (dredfx_ec_tell(&dec) != tell) abort();

  /* (3) Same ops into a small exact-size buffer: overflow is flagged, never written. */
  small_size = stream_len ? stream[0] % 16 : 0;
  small = malloc(small_size ? small_size : 1);
  dredfx_ec_enc_init(&ec, small, small_size);
  for (i = 0; i < nops; i++) {
    fuzz_op op = valid_op(ops + 4 * i);
    encode_op(&ec, &op);
  }
  if (small_size && stream_len > 1) dredfx_ec_enc_shrink(&ec, stream[1] % (small_size + 1));
  dredfx_ec_enc_done(&ec);
  free(small);
  return 0;
}
