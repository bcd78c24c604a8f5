/* Range coder tests: libopus 1.6.1 known answers, round trips of random operation sequences,
 * truncated and garbage input, argument guards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dredfx.h"

#define ECT dredfx_ec
/* Deterministic operation sequences shared with libopus (known answers) and tests/test_ec.py. */
typedef struct {
  uint32_t s;
} kat_rng;

static uint32_t kat_rnd(kat_rng *g, uint32_t n) {
  g->s = g->s * 1664525u + 1013904223u;
  return (g->s >> 16) % n;
}

static uint32_t kat_rnd32(kat_rng *g) {
  uint32_t hi = kat_rnd(g, 65536);
  return hi << 16 | kat_rnd(g, 65536);
}

static const unsigned char kat_icdf8[7] = {224, 160, 96, 48, 16, 4, 0};
static const uint16_t kat_icdf16[6] = {30000, 20000, 9000, 1000, 30, 0};

typedef struct {
  int kind;
  uint32_t a, b, c;
  int v;
} kat_op;

static void kat_gen(kat_rng *g, kat_op *op) {
  uint32_t m, sh;
  op->kind = (int)kat_rnd(g, 8);
  op->a = op->b = op->c = 0;
  op->v = 0;
  switch (op->kind) {
    case 0: /* encode */
      op->c = 2 + kat_rnd(g, 1000);
      op->a = kat_rnd(g, op->c);
      op->b = op->a + 1 + kat_rnd(g, op->c - op->a);
      break;
    case 1: /* encode_bin */
      op->c = 1 + kat_rnd(g, 15);
      op->a = kat_rnd(g, 1u << op->c);
      op->b = op->a + 1 + kat_rnd(g, (1u << op->c) - op->a);
      break;
    case 2: /* bit_logp */
      op->c = 1 + kat_rnd(g, 15);
      op->a = kat_rnd(g, 2);
      break;
    case 3: /* icdf, 8-bit table */
      op->a = kat_rnd(g, 7);
      break;
    case 4: /* icdf16 */
      op->a = kat_rnd(g, 6);
      break;
    case 5: /* uint */
      m = kat_rnd(g, 65536);
      sh = kat_rnd(g, 16);
      op->c = 2 + (m << sh);
      op->a = kat_rnd32(g) % op->c;
      break;
    case 6: /* raw bits */
      op->c = 1 + kat_rnd(g, 25);
      op->a = kat_rnd32(g) & ((1u << op->c) - 1);
      break;
    default: /* Laplace p0, DRED ranges; a zero needs P(0) > 0 */
      op->a = (1 + kat_rnd(g, 254)) << 7;
      op->b = (1 + kat_rnd(g, 255)) << 7;
      op->v = (int)kat_rnd(g, 41) - 20;
      break;
  }
}

static void kat_encode(ECT *ec, const kat_op *op) {
  switch (op->kind) {
    case 0: dredfx_ec_encode(ec, op->a, op->b, op->c); break;
    case 1: dredfx_ec_encode_bin(ec, op->a, op->b, op->c); break;
    case 2: dredfx_ec_enc_bit_logp(ec, (int)op->a, op->c); break;
    case 3: dredfx_ec_enc_icdf(ec, (int)op->a, kat_icdf8, 8); break;
    case 4: dredfx_ec_enc_icdf16(ec, (int)op->a, kat_icdf16, 15); break;
    case 5: dredfx_ec_enc_uint(ec, op->a, op->c); break;
    case 6: dredfx_ec_enc_bits(ec, op->a, op->c); break;
    default: dredfx_ec_laplace_encode_p0(ec, op->v, (uint16_t)op->a, (uint16_t)op->b); break;
  }
}

/* Returns the decoded value; the update uses the op's own interval, as a real decoder would. */
static uint32_t kat_decode(ECT *ec, const kat_op *op) {
  uint32_t s;
  switch (op->kind) {
    case 0:
      s = dredfx_ec_decode(ec, op->c);
      dredfx_ec_dec_update(ec, op->a, op->b, op->c);
      return s;
    case 1:
      s = dredfx_ec_decode_bin(ec, op->c);
      dredfx_ec_dec_update(ec, op->a, op->b, 1u << op->c);
      return s;
    case 2: return (uint32_t)dredfx_ec_dec_bit_logp(ec, op->c);
    case 3: return (uint32_t)dredfx_ec_dec_icdf(ec, kat_icdf8, 8);
    case 4: return (uint32_t)dredfx_ec_dec_icdf16(ec, kat_icdf16, 15);
    case 5: return dredfx_ec_dec_uint(ec, op->c);
    case 6: return dredfx_ec_dec_bits(ec, op->c);
    default: return (uint32_t)dredfx_ec_laplace_decode_p0(ec, (uint16_t)op->a, (uint16_t)op->b);
  }
}

/* The value a decoder gives back for an encoded op (decode() gives a value in [a, b)). */
static uint32_t kat_expected(const kat_op *op) {
  return op->kind == 7 ? (uint32_t)op->v : op->a;
}

static uint32_t kat_fnv(uint32_t h, uint32_t v) {
  int i;
  for (i = 0; i < 4; i++) {
    h ^= (v >> (8 * i)) & 0xFF;
    h *= 16777619u;
  }
  return h;
}

/* Encodes nops ops of a seed into buf[size]; returns an FNV-1a hash of tell and tell_frac
 * after every op. */
static uint32_t kat_encode_seq(uint32_t seed, int nops, unsigned char *buf, uint32_t size, int *error,
                               int *tell) {
  ECT ec;
  kat_rng g = {seed};
  kat_op op;
  uint32_t h = 2166136261u;
  int i;
  dredfx_ec_enc_init(&ec, buf, size);
  for (i = 0; i < nops; i++) {
    kat_gen(&g, &op);
    kat_encode(&ec, &op);
    h = kat_fnv(h, (uint32_t)dredfx_ec_tell(&ec));
    h = kat_fnv(h, dredfx_ec_tell_frac(&ec));
  }
  *tell = dredfx_ec_tell(&ec);
  dredfx_ec_enc_done(&ec);
  *error = ec.error;
  return h;
}

/* Decodes nops ops of a seed from data; returns an FNV-1a hash of every value and tell_frac.
 * *mismatches counts values that differ from what the ops encoded. */
static uint32_t kat_decode_seq(uint32_t seed, int nops, const unsigned char *data, uint32_t len,
                               int *mismatches, int *tell) {
  ECT ec;
  kat_rng g = {seed};
  kat_op op;
  uint32_t h = 2166136261u, v;
  int i;
  dredfx_ec_dec_init(&ec, data, len);
  *mismatches = 0;
  for (i = 0; i < nops; i++) {
    kat_gen(&g, &op);
    v = kat_decode(&ec, &op);
    if (op.kind <= 1 ? !(v >= op.a && v < op.b) : v != kat_expected(&op)) (*mismatches)++;
    h = kat_fnv(h, v);
    h = kat_fnv(h, dredfx_ec_tell_frac(&ec));
  }
  *tell = dredfx_ec_tell(&ec);
  return h;
}

/* Known answers from libopus 1.6.1's own coder (ec_enc_*, ec_laplace_encode_p0), produced by a
 * throwaway program running the same kat_* sequences against libopus.a (see the report). */
static const struct {
  uint32_t seed;
  int nops;
  uint32_t size;
  int tell, error;
  uint32_t hash, dechash;
  int dectell, mismatches;
  const char *hex;
} enc_kats[] = {
    {1, 12, 24, 110, 0, 0x63d5cab2u, 0xfb33c03au, 110, 0,
         "bc315be0143ace190200000000000000000000227c831e67"},
    {2, 40, 64, 269, 0, 0xedf81c64u, 0xa082e56bu, 269, 0,
         "1c9199c81da61cb7bddd48d1ce6c768efd61e3a247b7ac0000000000000000000000000000000000"
         "000000000000000000000000003dcf11b0aa9533a2838664"},
    {3, 40, 64, 319, 0, 0xe18e7b1au, 0xb5998e6au, 319, 0,
         "eda7821d4f461b5f6e21b3c3c6f091ed26159fffeb74000000000000000000000000000000000000"
         "000000000001c3879de8f29974916f26b95a0430b53239bc"},
    {4, 120, 200, 1145, 0, 0x15b4c73bu, 0xdb102661u, 1145, 0,
         "d764da25197d5fcba205fa5ffff071d7f8351c71bb59f8335dd73af97ffff374e6a4029fe8844cbd"
         "ff5fbf1253fc73ca789a61f296f1ffffe44d885a3fffff90a4c32f8c1ddfadd9cdfffffeb0478038"
         "41b9675ffffa4d26bc606a57abfffdd4f00000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000005aa552c5c0912"
         "14173b2b3fa029553c5c744f4fe0b05d84eebe17996880d3297b67d8896fb12842e065c530fa940f"},
    {5, 200, 300, 1758, 0, 0xd7771e5cu, 0xb3169875u, 1758, 0,
         "9190b5ab97c1afb22208299acd3c2d96b9fe1368777f98092129785bd154e5ff5188aaab27dfff02"
         "e9f3fbebf5b02e17f1363b17837f703827297ffffeccea9e3b4eb154ed92472d95296ff3fffd3d0a"
         "70b674bf547aa0307cc5fffff197b3cfffbb7baf5928ac43314eb213bef587d42210000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000000000069ab2daa4cbf"
         "2da98ef33844973038826d90ce4d8aaeacb4912209b8916074a3756f68d46cfda3b669a927885a4f"
         "ca8585261afdc5a8f64455183d6788e4d1c7d1b12620e6892954f109e7b458e1ee312d34a3c4ab53"
         "acd45d274af9c61b22fd80396aad84b0816d4ed2"},
    {6, 200, 24, 1623, -1, 0xb3ce1789u, 0x9f5d0d62u, 1192, 143,
         "8b6b93e5e90e0b39e939505bf91f7a8796a67b1df8a0d641"},
    {7, 60, 9, 505, -1, 0x2dd6c452u, 0x7c95220du, 434, 45,
         "9fe91e152bd5fff9d8"},
};

static const struct {
  uint32_t seed;
  int nops;
  uint32_t len;
  int tell;
  uint32_t hash;
} dec_kats[] = {
    {11, 100, 40, 772, 0x92eefc46u},
    {12, 300, 100, 1590, 0x1d754413u},
    {13, 200, 0, 1091, 0xc7d2f0c8u},
    {14, 200, 5, 1150, 0x616a0b51u},
};

static const int lap_kat_tell = 149;
static const char lap_kat_hex[] = "bd9ccc451106dff09c1f874ecc17bafdb85d8800000000000000000000000000";  /* first 32 of 64 bytes; the rest are zero */

static const int shr_kat_tell = 56;
static const char shr_kat_hex[] = "693aeaf37bd687";  /* storage 7 after shrink */

static size_t unhex(const char *hex, unsigned char *out, size_t max) {
  size_t n = 0;
  while (hex[0] && hex[1] && n < max) {
    unsigned v;
    sscanf(hex, "%2x", &v);
    out[n++] = (unsigned char)v;
    hex += 2;
  }
  return n;
}

static void test_enc_kats(void) {
  size_t i;
  for (i = 0; i < sizeof(enc_kats) / sizeof(enc_kats[0]); i++) {
    unsigned char buf[512], want[512];
    int error, tell, mism, dtell;
    uint32_t h, hd, size = enc_kats[i].size;
    memset(buf, 0xAA, sizeof(buf));
    h = kat_encode_seq(enc_kats[i].seed, enc_kats[i].nops, buf, size, &error, &tell);
    CHECKF(unhex(enc_kats[i].hex, want, sizeof(want)) == size, "kat %zu: table size", i);
    CHECKF(memcmp(buf, want, size) == 0, "kat seed %u: bytes differ from libopus", enc_kats[i].seed);
    CHECKF(buf[size] == 0xAA, "kat seed %u: wrote past the buffer", enc_kats[i].seed);
    CHECKF(tell == enc_kats[i].tell && error == enc_kats[i].error && h == enc_kats[i].hash,
          "kat seed %u: tell %d error %d hash 0x%08x", enc_kats[i].seed, tell, error, h);
    hd = kat_decode_seq(enc_kats[i].seed, enc_kats[i].nops, want, size, &mism, &dtell);
    CHECKF(hd == enc_kats[i].dechash && dtell == enc_kats[i].dectell && mism == enc_kats[i].mismatches,
          "kat seed %u: decode hash 0x%08x tell %d mismatches %d", enc_kats[i].seed, hd, dtell, mism);
  }
}

static void test_dec_kats(void) {
  size_t i;
  for (i = 0; i < sizeof(dec_kats) / sizeof(dec_kats[0]); i++) {
    unsigned char *buf = malloc(dec_kats[i].len + 1); /* exact size: ASan catches over-reads */
    kat_rng g = {dec_kats[i].seed ^ 0xABCDEFu};
    uint32_t k, h;
    int mism, tell;
    for (k = 0; k < dec_kats[i].len; k++) buf[k] = (unsigned char)kat_rnd(&g, 256);
    h = kat_decode_seq(dec_kats[i].seed, dec_kats[i].nops, buf, dec_kats[i].len, &mism, &tell);
    CHECKF(h == dec_kats[i].hash && tell == dec_kats[i].tell,
          "garbage kat seed %u: hash 0x%08x tell %d", dec_kats[i].seed, h, tell);
    free(buf);
  }
}

static void test_laplace_kat(void) {
  unsigned char buf[64], want[64] = {0};
  dredfx_ec enc, dec;
  int v, ok = 1;
  dredfx_ec_enc_init(&enc, buf, sizeof(buf));
  for (v = 6; v <= 15; v++) dredfx_ec_laplace_encode_p0(&enc, (v & 1) ? -v : v, 16000, 16000);
  dredfx_ec_laplace_encode_p0(&enc, 0, 16000, 16000);
  dredfx_ec_laplace_encode_p0(&enc, 300, 128, 32640);
  dredfx_ec_laplace_encode_p0(&enc, -1, 32512, 128);
  CHECKF(dredfx_ec_tell(&enc) == lap_kat_tell, "laplace tell %d", dredfx_ec_tell(&enc));
  dredfx_ec_enc_done(&enc);
  unhex(lap_kat_hex, want, sizeof(want));
  CHECKF(enc.error == 0 && memcmp(buf, want, sizeof(buf)) == 0, "laplace bytes differ from libopus");
  dredfx_ec_dec_init(&dec, buf, sizeof(buf));
  for (v = 6; v <= 15; v++) ok &= dredfx_ec_laplace_decode_p0(&dec, 16000, 16000) == ((v & 1) ? -v : v);
  ok &= dredfx_ec_laplace_decode_p0(&dec, 16000, 16000) == 0;
  ok &= dredfx_ec_laplace_decode_p0(&dec, 128, 32640) == 300;
  ok &= dredfx_ec_laplace_decode_p0(&dec, 32512, 128) == -1;
  CHECKF(ok && dredfx_ec_tell(&dec) == lap_kat_tell, "laplace round trip");
}

static void test_shrink_kat(void) {
  unsigned char buf[64] = {0}, want[16];
  dredfx_ec enc, dec;
  size_t n;
  dredfx_ec_enc_init(&enc, buf, sizeof(buf));
  dredfx_ec_enc_uint(&enc, 1234567, 3000000);
  dredfx_ec_enc_bits(&enc, 0x1ABCDEF, 25);
  dredfx_ec_enc_bits(&enc, 5, 3);
  dredfx_ec_encode(&enc, 10, 20, 30);
  dredfx_ec_enc_bit_logp(&enc, 1, 3);
  CHECKF(dredfx_ec_tell(&enc) == shr_kat_tell, "shrink tell %d", dredfx_ec_tell(&enc));
  dredfx_ec_enc_shrink(&enc, (uint32_t)(dredfx_ec_tell(&enc) + 7) / 8);
  dredfx_ec_enc_done(&enc);
  n = unhex(shr_kat_hex, want, sizeof(want));
  CHECKF(enc.error == 0 && enc.storage == n && memcmp(buf, want, n) == 0, "shrink bytes differ");
  dredfx_ec_dec_init(&dec, buf, enc.storage);
  CHECKF(dredfx_ec_dec_uint(&dec, 3000000) == 1234567, "shrink: uint");
  CHECKF(dredfx_ec_dec_bits(&dec, 25) == 0x1ABCDEF && dredfx_ec_dec_bits(&dec, 3) == 5, "shrink: bits");
  CHECKF(dredfx_ec_decode(&dec, 30) - 10 < 10, "shrink: decode");
  dredfx_ec_dec_update(&dec, 10, 20, 30);
  CHECKF(dredfx_ec_dec_bit_logp(&dec, 3) == 1 && dec.error == 0, "shrink: bit_logp");
}

/* Random sequences encode and decode back, and the decoder's tell follows the encoder's. */
static void test_round_trips(void) {
  static unsigned char buf[8192];
  kat_rng pick = {99};
  int t, bad = 0;
  for (t = 0; t < 2000; t++) {
    uint32_t seed = 1000 + (uint32_t)t;
    int nops = 1 + (int)kat_rnd(&pick, 400), error, tell, mism, dtell;
    kat_encode_seq(seed, nops, buf, sizeof(buf), &error, &tell);
    kat_decode_seq(seed, nops, buf, sizeof(buf), &mism, &dtell);
    if (error || mism || dtell != tell) {
      if (bad++ < 5) printf("  round trip seed %u: error %d mismatches %d tell %d/%d\n", seed, error, mism, tell, dtell);
    }
  }
  CHECKF(bad == 0, "%d of 2000 round trips failed", bad);
}

/* Shrunk to ceil(tell / 8) bytes, a stream decodes in full; every shorter prefix decodes
 * safely (ASan checks the reads; each prefix gets an exact-size allocation). */
static void test_truncated(void) {
  unsigned char buf[2048];
  dredfx_ec ec;
  kat_rng g = {4242};
  kat_op op;
  int i, mism, dtell, tell, cut, cut_ok = 0;
  uint32_t full;
  dredfx_ec_enc_init(&ec, buf, sizeof(buf));
  for (i = 0; i < 300; i++) {
    kat_gen(&g, &op);
    kat_encode(&ec, &op);
  }
  tell = dredfx_ec_tell(&ec);
  full = (uint32_t)(tell + 7) / 8;
  dredfx_ec_enc_shrink(&ec, full);
  dredfx_ec_enc_done(&ec);
  CHECKF(ec.error == 0 && ec.storage == full, "shrink to ceil(tell / 8)");
  kat_decode_seq(4242, 300, buf, full, &mism, &dtell);
  CHECKF(mism == 0 && dtell == tell, "shrunk stream decodes: %d mismatches", mism);
  for (cut = 0; cut < (int)full; cut++) {
    unsigned char *p = malloc((size_t)cut + 1);
    memcpy(p, buf, (size_t)cut);
    kat_decode_seq(4242, 300, p, (uint32_t)cut, &mism, &dtell);
    cut_ok += mism > 0;  /* losing the end loses the raw bits: some value must differ */
    free(p);
  }
  CHECKF(cut_ok == (int)full, "every truncation changes the decoded values (%d of %u)", cut_ok, full);
}

/* Garbage: random bytes decoded with random operations, and every Laplace table, must end. */
static void test_garbage(void) {
  static unsigned char buf[256];
  kat_rng g = {7};
  int t, mism, tell, nonmono = 0;
  long total = 0;
  for (t = 0; t < 3000; t++) {
    uint32_t len = kat_rnd(&g, 257), k;
    for (k = 0; k < len; k++) buf[k] = (unsigned char)kat_rnd(&g, 256);
    kat_decode_seq(50000 + (uint32_t)t, 200, buf, len, &mism, &tell);
    total += tell;
  }
  CHECKF(total > 0, "garbage decodes ran");
  for (t = 0; t < 20000; t++) {
    dredfx_ec dec;
    uint32_t k;
    int i, last = 1;
    uint16_t p0 = (uint16_t)(kat_rnd(&g, 256) << 7), decay = (uint16_t)(kat_rnd(&g, 256) << 7);
    for (k = 0; k < 16; k++) buf[k] = (unsigned char)kat_rnd(&g, 256);
    if (t % 3 == 0) p0 = 0;  /* P(0) = 0: zero-width symbol, libopus could spin here */
    dredfx_ec_dec_init(&dec, buf, 16);
    for (i = 0; i < 64; i++) {
      dredfx_ec_laplace_decode_p0(&dec, p0, decay);
      nonmono += dredfx_ec_tell(&dec) < last;
      last = dredfx_ec_tell(&dec);
    }
  }
  CHECKF(nonmono == 0, "laplace garbage: tell went backwards %d times", nonmono);
}

static void test_guards(void) {
  unsigned char buf[16];
  static const unsigned char full8[3] = {0, 0, 0};         /* symbol 0 takes everything */
  static const unsigned char zero_first[3] = {255, 128, 0}; /* with ftb 8: symbol 0 width 1 */
  static const uint16_t bad16[3] = {40000, 100, 0};
  dredfx_ec ec, saved;
  int i;

  dredfx_ec_enc_init(&ec, buf, sizeof(buf));
  saved = ec;
  dredfx_ec_encode(&ec, 0, 1, 0);
  dredfx_ec_encode(&ec, 3, 3, 10);
  dredfx_ec_encode(&ec, 3, 11, 10);
  dredfx_ec_encode(&ec, 0, 1, 70000);
  dredfx_ec_encode_bin(&ec, 0, 1, 17);
  dredfx_ec_enc_bit_logp(&ec, 0, 0);
  dredfx_ec_enc_bit_logp(&ec, 1, 40);
  dredfx_ec_enc_icdf(&ec, 1, full8, 8);  /* zero width */
  dredfx_ec_enc_icdf16(&ec, 0, bad16, 15);
  dredfx_ec_enc_icdf(&ec, -1, zero_first, 8);
  dredfx_ec_enc_uint(&ec, 5, 5);
  dredfx_ec_enc_uint(&ec, 0, 0);
  dredfx_ec_enc_bits(&ec, 1, 26);
  dredfx_ec_enc_shrink(&ec, 17);
  dredfx_ec_laplace_encode_p0(&ec, 1, 40000, 100);
  dredfx_ec_laplace_encode_p0(&ec, 1, 100, 32768);
  CHECKF(ec.error != 0 && ec.rng == saved.rng && ec.val == saved.val && ec.offs == 0 &&
            ec.nbits_total == saved.nbits_total && ec.storage == sizeof(buf),
        "encoder guards leave the state unchanged");

  dredfx_ec_enc_init(&ec, NULL, 100);
  dredfx_ec_encode(&ec, 1, 2, 3);
  dredfx_ec_enc_bits(&ec, 3, 2);
  dredfx_ec_enc_done(&ec);
  CHECKF(ec.storage == 0 && ec.error != 0, "NULL encoder buffer");

  for (i = 0; i < 16; i++) buf[i] = (unsigned char)(i * 37 + 11);
  dredfx_ec_dec_init(&ec, buf, sizeof(buf));
  saved = ec;
  CHECKF(dredfx_ec_decode(&ec, 0) == 0 && ec.error, "decode ft 0");
  ec.error = 0;
  CHECKF(dredfx_ec_decode(&ec, 70000) == 0 && ec.error, "decode ft too large");
  ec.error = 0;
  CHECKF(dredfx_ec_decode_bin(&ec, 17) == 0 && ec.error, "decode_bin 17");
  ec.error = 0;
  dredfx_ec_dec_update(&ec, 1, 2, 3);  /* no decode before: ext = 0, empty interval */
  CHECKF(ec.error && ec.rng == saved.rng, "update without decode");
  ec.error = 0;
  CHECKF(dredfx_ec_dec_bits(&ec, 26) == 0 && ec.error, "dec_bits 26");
  ec.error = 0;
  CHECKF(dredfx_ec_dec_uint(&ec, 0) == 0 && ec.error, "dec_uint 0");
  ec.error = 0;
  CHECKF(dredfx_ec_dec_bit_logp(&ec, 0) == 0 && dredfx_ec_dec_bit_logp(&ec, 17) == 0 && ec.error, "logp");
  ec.error = 0;
  CHECKF(dredfx_ec_dec_uint(&ec, 1) == 0 && !ec.error && ec.rng == saved.rng, "dec_uint 1 reads nothing");
  CHECKF(dredfx_ec_laplace_decode_p0(&ec, 40000, 10) == 0 && ec.error, "laplace p0 out of range");

  /* A table whose first symbol spans the whole range (icdf[0] = 2^ftb): the interval left for
   * it can be empty; the decoder must not spin. */
  {
    static const uint16_t whole[3] = {32768, 16384, 0};
    unsigned char ff[8];
    memset(ff, 0, sizeof(ff));
    dredfx_ec_dec_init(&ec, ff, sizeof(ff));
    for (i = 0; i < 1000; i++) dredfx_ec_dec_icdf16(&ec, whole, 15);
    CHECKF(dredfx_ec_tell(&ec) > 0, "whole-range symbol terminates");
  }

  dredfx_ec_dec_init(&ec, NULL, 5);
  CHECKF(ec.storage == 0 && dredfx_ec_dec_uint(&ec, 1000) < 1000, "NULL decoder buffer");
}

/* Overflow: an encoder never writes past its buffer, and flags the error. */
static void test_overflow(void) {
  unsigned char buf[40];
  int size, bad = 0;
  for (size = 0; size < 24; size++) {
    dredfx_ec ec;
    int i;
    memset(buf, 0x5C, sizeof(buf));
    dredfx_ec_enc_init(&ec, buf, (uint32_t)size);
    for (i = 0; i < 40; i++) {
      dredfx_ec_enc_uint(&ec, (uint32_t)i * 7919u, 100000);
      dredfx_ec_enc_bits(&ec, (uint32_t)i & 7, 3);
    }
    dredfx_ec_enc_done(&ec);
    for (i = size; i < (int)sizeof(buf); i++) bad += buf[i] != 0x5C;
    bad += ec.error == 0;
  }
  CHECKF(bad == 0, "overflow: %d bad", bad);
}

/* tell and tell_frac agree with each other: tell = ceil(tell_frac / 8) is not exact, but
 * tell_frac / 8 never exceeds tell and is within one bit of it. */
static void test_tell(void) {
  unsigned char buf[4096];
  dredfx_ec ec;
  kat_rng g = {5};
  kat_op op;
  int i, bad = 0;
  dredfx_ec_enc_init(&ec, buf, sizeof(buf));
  CHECKF(dredfx_ec_tell(&ec) == 1 && dredfx_ec_tell_frac(&ec) == 8, "fresh coder tells 1 bit");
  for (i = 0; i < 1000; i++) {
    uint32_t f;
    int t;
    kat_gen(&g, &op);
    kat_encode(&ec, &op);
    f = dredfx_ec_tell_frac(&ec);
    t = dredfx_ec_tell(&ec);
    bad += !((int)((f + 7) / 8) <= t && (int)(f / 8) >= t - 1);
  }
  CHECKF(bad == 0, "tell_frac/tell consistency: %d bad", bad);
}

int main(void) {
  test_enc_kats();
  test_dec_kats();
  test_laplace_kat();
  test_shrink_kat();
  test_round_trips();
  test_truncated();
  test_garbage();
  test_guards();
  test_overflow();
  test_tell();
  return check_report("test_ec");
}
