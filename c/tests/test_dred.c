/* DRED payload layer tests with synthetic statistics tables: level schedule, encode/decode round
 * trips for every q0/dQ/qmax, truncation, garbage input, packet search and opus_dred_parse's return
 * value and dred_end (libopus src/opus_decoder.c opus_dred_parse, dnn/dred_decoder.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dredfx.h"

static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}
static int rnd_range(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

static uint8_t lat_scale[16 * 25], lat_dz[16 * 25], lat_r[16 * 25], lat_p0[16 * 25];
static uint8_t st_scale[16 * 50], st_dz[16 * 50], st_r[16 * 50], st_p0[16 * 50];
static dredfx_dred_stats stats = {lat_scale, lat_dz, lat_r, lat_p0, st_scale, st_dz, st_r, st_p0};

/* Random tables in the shape of the real ones: some dims skipped (r = 0 or p0 = 255), scale 0
 * only on skipped dims, p0 >= 1 on coded dims (P(0) = 0 cannot code a zero). */
static void fill_tables(uint8_t *scale, uint8_t *dz, uint8_t *r, uint8_t *p0, int n) {
  for (int k = 0; k < n; k++) {
    int skip = rnd() % 6;
    r[k] = (uint8_t)(skip == 0 ? 0 : rnd_range(1, 255));
    p0[k] = (uint8_t)(skip == 1 ? 255 : rnd_range(1, 254));
    scale[k] = (uint8_t)(skip <= 1 && rnd() % 2 ? 0 : rnd_range(1, 255));
    dz[k] = (uint8_t)rnd();
  }
}

static void make_stats(void) {
  fill_tables(lat_scale, lat_dz, lat_r, lat_p0, 16 * 25);
  fill_tables(st_scale, st_dz, st_r, st_p0, 16 * 50);
}

static int skipped(const uint8_t *r, const uint8_t *p0, int k) { return r[k] == 0 || p0[k] == 255; }

/* A coded value: mostly small, sometimes a long escape chain beyond int16. */
static int32_t rnd_value(void) {
  int m = rnd() % 100 < 95 ? rnd_range(-4, 4) : rnd_range(-60, 60);
  if (rnd() % 2000 == 0) m = rnd_range(-40000, 40000);
  return m;
}

static void fill_values(int32_t *q, const uint8_t *r, const uint8_t *p0, int n) {
  for (int k = 0; k < n; k++) q[k] = skipped(r, p0, k) ? 0 : rnd_value();
}

static void random_payload(dredfx_dred_payload *p, int q0, int dq, int qmax, int nb) {
  memset(p, 0, sizeof(*p));
  p->q0 = q0;
  p->dq = dq;
  p->qmax = qmax;
  p->nb_latents = nb;
  p->dred_frame_offset = rnd() % 4 ? 0 : rnd_range(0, 47);
  p->dred_offset = p->dred_frame_offset + 16 - (rnd() % 3 ? rnd_range(0, 31) : rnd_range(0, 8191));
  fill_values(p->state, st_r + q0 * 50, st_p0 + q0 * 50, 50);
  for (int c = 0; c < nb; c++) {
    int lv = dredfx_dred_level(q0, dq, qmax, c);
    fill_values(p->latents[c], lat_r + lv * 25, lat_p0 + lv * 25, 25);
  }
}

static int same_header(const dredfx_dred_payload *a, const dredfx_dred_payload *b) {
  return a->q0 == b->q0 && a->dq == b->dq && a->qmax == b->qmax && a->dred_offset == b->dred_offset &&
         a->dred_frame_offset == b->dred_frame_offset &&
         !memcmp(a->state, b->state, sizeof(a->state));
}

static int same_chunks(const dredfx_dred_payload *a, const dredfx_dred_payload *b, int n) {
  return !memcmp(a->latents, b->latents, sizeof(a->latents[0]) * (size_t)n);
}

static void test_levels(void) {
  static const int ex1[7] = {6, 7, 7, 8, 8, 9, 9}, ex2[7] = {4, 4, 5, 5, 5, 5, 6};
  for (int i = 0; i < 7; i++) {
    CHECKF(dredfx_dred_level(6, 5, 15, i) == ex1[i], "q0=6 dQ=5 chunk %d", i);
    CHECKF(dredfx_dred_level(4, 3, 15, i) == ex2[i], "q0=4 dQ=3 chunk %d", i);
  }
  CHECKF(dredfx_dred_level(6, 5, 8, 25) == 8, "qmax caps");
  CHECKF(dredfx_dred_level(3, 7, 15, 25) == 15, "slope 16 saturates at qmax");
  CHECKF(dredfx_dred_level(9, 0, 15, 25) == 9, "dQ 0 is flat");
  CHECKF(dredfx_dred_level(16, 0, 15, 0) == DREDFX_ERR_BAD_ARG, "q0 16");
  CHECKF(dredfx_dred_level(0, 8, 15, 0) == DREDFX_ERR_BAD_ARG, "dQ 8");
  CHECKF(dredfx_dred_level(0, 0, 16, 0) == DREDFX_ERR_BAD_ARG, "qmax 16");
  CHECKF(dredfx_dred_level(0, 0, 15, 26) == DREDFX_ERR_BAD_ARG, "chunk 26");
  CHECKF(dredfx_dred_level(0, 0, 15, -1) == DREDFX_ERR_BAD_ARG, "chunk -1");
}

static unsigned char buf[1 << 17];

/* Every q0, dQ and valid qmax: decode(encode(p)) gives p's header and a prefix of its chunks,
 * shorter only when the decoder's "fewer than 8 bits left" rule stops it. */
static void test_round_trips(void) {
  int all = 0, full = 0;
  for (int q0 = 0; q0 < 16; q0++)
    for (int dq = 0; dq < 8; dq++) {
      int coded = q0 < 14 && dq > 0;
      for (int qmax = coded ? q0 + 1 : 15; qmax <= 15; qmax++)
        for (int rep = 0; rep < 3; rep++) {
          dredfx_dred_payload p, d;
          int nb = rep == 0 ? 26 : rnd_range(0, 26);
          int n, ret;
          random_payload(&p, q0, dq, qmax, nb);
          n = dredfx_dred_encode(buf, sizeof(buf), &p, &stats);
          CHECKF(n > 0, "encode q0=%d dq=%d qmax=%d: %d", q0, dq, qmax, n);
          if (n <= 0) continue;
          ret = dredfx_dred_decode(buf, n, 104, p.dred_frame_offset, &stats, &d);
          all++;
          CHECKF(ret == d.nb_latents && ret <= nb, "decode count %d of %d", ret, nb);
          CHECKF(same_header(&p, &d), "header q0=%d dq=%d qmax=%d", q0, dq, qmax);
          CHECKF(same_chunks(&p, &d, d.nb_latents), "chunks q0=%d dq=%d qmax=%d", q0, dq, qmax);
          CHECKF(8 * n - d.ec_bits <= 7, "decoder stops with < 8 bits left: %d bytes, %d bits", n, d.ec_bits);
          CHECKF(d.ec_bits <= 8 * n, "bits within the payload");
          for (int c = 0; c < d.nb_latents; c++)
            CHECKF(d.level[c] == dredfx_dred_level(q0, dq, qmax, c), "level of chunk %d", c);
          full += ret == nb;
          /* The encoder's output is canonical: re-encoding the decoded chunks gives the same
           * bytes when all of them came back. */
          if (ret == nb) {
            unsigned char again[sizeof(buf)];
            int m = dredfx_dred_encode(again, sizeof(again), &d, &stats);
            CHECKF(m == n && !memcmp(again, buf, (size_t)n), "re-encode identical");
          }
        }
    }
  CHECKF(full * 10 >= all * 9, "most round trips are complete (%d of %d)", full, all);
}

/* Decoding any prefix of a payload never fails and gives at most as many chunks; chunk c comes
 * back unchanged once the prefix holds the encoding of chunks 0..c plus the decoder's look-ahead
 * (len_k = bytes of the payload cut after k chunks). */
static void test_truncation(void) {
  for (int rep = 0; rep < 40; rep++) {
    dredfx_dred_payload p, full, t;
    int q0 = rnd_range(0, 15), dq = rnd_range(0, 7), n, len_k[27];
    int qmax = q0 < 14 && dq > 0 ? rnd_range(q0 + 1, 15) : 15;
    random_payload(&p, q0, dq, qmax, 26);
    for (int k = 0; k <= 26; k++) {
      p.nb_latents = k;
      len_k[k] = dredfx_dred_encode(buf, sizeof(buf), &p, &stats);
    }
    n = len_k[26];
    CHECKF(n > 0, "encode");
    dredfx_dred_decode(buf, n, 104, p.dred_frame_offset, &stats, &full);
    for (int len = 0; len <= n; len++) {
      int ret = dredfx_dred_decode(buf, len, 104, p.dred_frame_offset, &stats, &t), good = 0;
      CHECKF(ret >= 0 && ret <= 26, "prefix %d of %d: %d", len, n, ret);
      if (len >= len_k[0] + 4) CHECKF(same_header(&full, &t), "header at prefix %d", len);
      while (good < full.nb_latents && len_k[good + 1] + 4 <= len) good++;
      CHECKF(t.nb_latents >= good && same_chunks(&full, &t, good), "chunks at prefix %d: %d of %d", len,
            t.nb_latents, good);
    }
  }
}

/* Random bytes decode without error; what came out re-encodes and decodes to the same values. */
static void test_garbage(void) {
  for (int rep = 0; rep < 3000; rep++) {
    unsigned char g[300];
    dredfx_dred_payload d, e;
    int len = rnd_range(0, (int)sizeof(g)), mff = rnd_range(0, 120), fo = rnd_range(0, 48), n;
    for (int k = 0; k < len; k++) g[k] = (unsigned char)rnd();
    int ret = dredfx_dred_decode(g, len, mff, fo, &stats, &d);
    CHECKF(ret >= 0 && ret <= 26 && ret <= (mff + 3) / 4, "garbage decode %d", ret);
    CHECKF(d.q0 >= 0 && d.q0 < 16 && d.dq >= 0 && d.dq < 8 && d.qmax > (d.dq && d.q0 < 14 ? d.q0 : 14) &&
              d.qmax <= 15, "garbage header");
    n = dredfx_dred_encode(buf, sizeof(buf), &d, &stats);
    CHECKF(n >= 0, "re-encode %d", n);
    if (n < 0) continue;
    dredfx_dred_decode(buf, n, mff, fo, &stats, &e);
    CHECKF(same_header(&d, &e) && e.nb_latents <= d.nb_latents && same_chunks(&d, &e, e.nb_latents),
          "garbage re-decode");
  }
}

static void test_encode_errors(void) {
  dredfx_dred_payload p;
  int k;
  random_payload(&p, 6, 5, 15, 5);
  CHECKF(dredfx_dred_encode(NULL, 100, &p, &stats) == DREDFX_ERR_BAD_ARG, "NULL out");
  CHECKF(dredfx_dred_encode(buf, 100, NULL, &stats) == DREDFX_ERR_BAD_ARG, "NULL payload");
  CHECKF(dredfx_dred_encode(buf, 100, &p, NULL) == DREDFX_ERR_BAD_ARG, "NULL stats");
  CHECKF(dredfx_dred_encode(buf, 0, &p, &stats) == DREDFX_ERR_BUFFER_TOO_SMALL, "no room");
  CHECKF(dredfx_dred_encode(buf, 3, &p, &stats) == DREDFX_ERR_BUFFER_TOO_SMALL, "3 bytes");
  p.qmax = 6;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "qmax = q0 with dQ > 0");
  p.qmax = 15;
  p.dq = 0;
  p.qmax = 14;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "qmax < 15 not coded");
  p.dq = 5;
  p.qmax = 15;
  p.nb_latents = 27;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "27 latents");
  p.nb_latents = 5;
  p.dred_offset = 17;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "negative total offset");
  p.dred_offset = 16 - 8192;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "total offset 8192");
  p.dred_offset = 16 - 8191;
  CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) > 0, "total offset 8191");
  for (k = 0; k < 50 && !skipped(st_r + 6 * 50, st_p0 + 6 * 50, k); k++) {}
  if (k < 50) {
    p.state[k] = 1;
    CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "value in a skipped dim");
    p.state[k] = 0;
  }
  for (k = 0; k < 50 && skipped(st_r + 6 * 50, st_p0 + 6 * 50, k); k++) {}
  {
    uint8_t save = st_p0[6 * 50 + k];
    st_p0[6 * 50 + k] = 0;
    p.state[k] = 0;
    CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) == DREDFX_ERR_BAD_ARG, "zero with P(0) = 0");
    p.state[k] = -3;
    CHECKF(dredfx_dred_encode(buf, 1000, &p, &stats) > 0, "non-zero with P(0) = 0");
    st_p0[6 * 50 + k] = save;
  }
}

/* A payload crafted with the range coder (celt/laplace.c ec_laplace_encode_p0 escapes, no library
 * encoder) whose escapes go
 * past int16: the values come back unchanged, as libopus' int, and re-encode to the same bytes. */
static void test_crafted_escapes(void) {
  static const int32_t values[5] = {40000, -50000, 32767, -32768, 5};
  static uint8_t r[16 * 50], p0[16 * 50], scale[16 * 50];
  const dredfx_dred_stats s = {lat_scale, lat_dz, lat_r, lat_p0, scale, st_dz, r, p0};
  const uint16_t decay = 255 << 7, sign_icdf[3] = {32768 - 128, (32768 - 128) / 2, 0};
  uint16_t mag_icdf[8];
  unsigned char crafted[40000], again[40000];
  dredfx_dred_payload d;
  dredfx_ec ec;
  int n, m, ok = 1;
  memset(r, 255, sizeof(r));
  memset(p0, 1, sizeof(p0));
  memset(scale, 100, sizeof(scale));
  mag_icdf[0] = decay;
  for (int k = 1; k < 7; k++) {
    uint16_t next = (uint16_t)((uint32_t)mag_icdf[k - 1] * decay >> 15);
    mag_icdf[k] = next > 7 - k ? next : (uint16_t)(7 - k);
  }
  mag_icdf[7] = 0;
  dredfx_ec_enc_init(&ec, crafted, sizeof(crafted));
  dredfx_ec_enc_uint(&ec, 0, 16);  /* q0 */
  dredfx_ec_enc_uint(&ec, 0, 8);   /* dQ */
  dredfx_ec_enc_uint(&ec, 0, 2);   /* short offset */
  dredfx_ec_enc_uint(&ec, 0, 32);
  for (int k = 0; k < 50; k++) {
    int32_t v = k < 5 ? values[k] : 0;
    dredfx_ec_enc_icdf16(&ec, v == 0 ? 0 : (v > 0 ? 1 : 2), sign_icdf, 15);
    for (int64_t rest = llabs(v) - 1; v != 0 && rest >= 0; rest -= 7)
      dredfx_ec_enc_icdf16(&ec, rest < 7 ? (int)rest : 7, mag_icdf, 15);
  }
  CHECKF(ec.error == 0, "crafting");
  n = (dredfx_ec_tell(&ec) + 7) / 8;
  dredfx_ec_enc_shrink(&ec, (uint32_t)n);
  dredfx_ec_enc_done(&ec);
  CHECKF(dredfx_dred_decode(crafted, n, 104, 0, &s, &d) == 0, "crafted decode");
  for (int k = 0; k < 50; k++) ok &= d.state[k] == (k < 5 ? values[k] : 0);
  CHECKF(ok, "crafted values %d %d %d %d %d", (int)d.state[0], (int)d.state[1], (int)d.state[2],
        (int)d.state[3], (int)d.state[4]);
  m = dredfx_dred_encode(again, sizeof(again), &d, &s);
  CHECKF(m == n && !memcmp(again, crafted, (size_t)n), "crafted re-encode: %d of %d bytes", m, n);
}

/* Q16 dequantization against exact rational values, and the q-feature. */
static void test_dequantize(void) {
  dredfx_dred_payload p;
  int32_t s16[50], l16[26 * 26];
  memset(&p, 0, sizeof(p));
  p.q0 = 6;
  p.dq = 5;
  p.qmax = 15;
  p.nb_latents = 7;
  for (int k = 0; k < 50; k++) p.state[k] = rnd_range(-300, 300);
  for (int c = 0; c < 7; c++)
    for (int k = 0; k < 25; k++) p.latents[c][k] = rnd_range(-300, 300);
  p.state[0] = 32767;
  p.state[1] = -32768;
  p.state[2] = INT32_MAX;
  p.state[3] = INT32_MIN;
  CHECKF(dredfx_dred_dequantize(&p, &stats, s16, l16) == 0, "dequantize");
  for (int k = 0; k < 50; k++) {
    int64_t s = st_scale[6 * 50 + k] ? st_scale[6 * 50 + k] : 1;
    /* |value * 2^16 - q * 2^24 / s| <= 1/2, or saturated */
    int64_t err2 = 2 * (int64_t)s16[k] * s - 2 * ((int64_t)p.state[k] * 16777216);
    int sat = s16[k] == INT32_MAX || s16[k] == -INT32_MAX;
    CHECKF(sat ? llabs(p.state[k]) * 256 >= 32768 * s : (err2 <= s && err2 >= -s),
          "state %d: q %d s %d -> %d", k, (int)p.state[k], (int)s, (int)s16[k]);
  }
  /* |q| * 256 / s >= 32768 for every s <= 255: the Q16 format saturates. */
  CHECKF(s16[0] == INT32_MAX && s16[1] == -INT32_MAX && s16[2] == INT32_MAX && s16[3] == -INT32_MAX,
        "saturation %d %d %d %d", (int)s16[0], (int)s16[1], (int)s16[2], (int)s16[3]);
  for (int c = 0; c < 26; c++) {
    int lv = dredfx_dred_level(6, 5, 15, c);
    CHECKF(l16[c * 26 + 25] == (c < 7 ? lv * 8192 - 65536 : 0), "q-feature %d", c);
    for (int k = 0; k < 25 && c < 7; k++) {
      int64_t s = lat_scale[lv * 25 + k] ? lat_scale[lv * 25 + k] : 1;
      int64_t err2 = 2 * (int64_t)l16[c * 26 + k] * s - 2 * ((int64_t)p.latents[c][k] * 16777216);
      int sat = l16[c * 26 + k] == INT32_MAX || l16[c * 26 + k] == -INT32_MAX;
      CHECKF(sat ? llabs(p.latents[c][k]) * 256 >= 32768 * s : (err2 <= s && err2 >= -s),
            "latent %d %d", c, k);
    }
  }
  CHECKF(l16[0 * 26 + 25] == 6 * 8192 - 65536 && l16[1 * 26 + 25] == -8192 && l16[3 * 26 + 25] == 0,
        "q-features -0.25, -0.125, 0");
  CHECKF(dredfx_dred_dequantize(NULL, &stats, s16, l16) == DREDFX_ERR_BAD_ARG, "NULL");
  p.nb_latents = 27;
  CHECKF(dredfx_dred_dequantize(&p, &stats, s16, l16) == DREDFX_ERR_BAD_ARG, "27 latents");
}

/* A 20 ms hybrid code-3 packet (TOC config 15) with one frame of 3 bytes and the given padding. */
static int make_packet(unsigned char *out, const unsigned char *pad, int pad_len) {
  int n = 0;
  out[n++] = 0x7B;
  out[n++] = 0x41;
  /* Padding length: each 255 adds 254 bytes and continues. */
  for (int rem = pad_len;; rem -= 254) {
    if (rem < 255) {
      out[n++] = (unsigned char)rem;
      break;
    }
    out[n++] = 255;
  }
  out[n++] = 0x11;
  out[n++] = 0x22;
  out[n++] = 0x33;
  memcpy(out + n, pad, (size_t)pad_len);
  return n + pad_len;
}

/* Padding: 0xFC 'D' 12 payload (long extension to the end, like libopus). */
static int dred_padding(unsigned char *pad, const unsigned char *payload, int n) {
  pad[0] = 0xFC;
  pad[1] = 'D';
  pad[2] = 12;
  memcpy(pad + 3, payload, (size_t)n);
  return n + 3;
}

static int encode_chunks(unsigned char *out, int q0, int dq, int qmax, int offset, int frame_offset,
                         int nb) {
  dredfx_dred_payload p;
  random_payload(&p, q0, dq, qmax, nb);
  p.dred_frame_offset = frame_offset;
  p.dred_offset = offset;
  /* Non-zero values everywhere coded: every chunk costs more than a byte. */
  for (int c = 0; c < nb; c++) {
    int lv = dredfx_dred_level(q0, dq, qmax, c);
    for (int k = 0; k < 25; k++)
      if (!skipped(lat_r + lv * 25, lat_p0 + lv * 25, k)) p.latents[c][k] = k % 2 ? 9 : -9;
  }
  return dredfx_dred_encode(out, 1000, &p, &stats);
}

static void test_parse(void) {
  unsigned char payload[1000], pad[1400], pkt[1500];
  dredfx_dred_payload d;
  const unsigned char *pl;
  int32_t pl_len, end;
  int fo, n, len, ret;

  /* Measured on libopus 1.6.1's opus_dred_parse: q0 6, dQ 5, qmax 15, offset 10, 5 chunks -> 8400, 0. */
  n = encode_chunks(payload, 6, 5, 15, 10, 0, 5);
  len = make_packet(pkt, pad, dred_padding(pad, payload, n));
  ret = dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end);
  CHECKF(ret == 8400 && end == 0 && d.nb_latents == 5 && d.dred_offset == 10, "measured example: %d %d %d",
        ret, end, d.nb_latents);
  CHECKF(d.level[0] == 6 && d.level[1] == 7 && d.level[2] == 7 && d.level[3] == 8 && d.level[4] == 8,
        "levels 6 7 7 8 8");
  CHECKF(dredfx_dred_find(pkt, len, &pl, &pl_len, &fo) == 1 && pl_len == n && fo == 0 &&
            !memcmp(pl, payload, (size_t)n), "find");
  ret = dredfx_dred_parse(pkt, len, 48000, 16000, &stats, &d, &end);
  CHECKF(ret == 5 * 16000 / 25 - 10 * 16000 / 400 && end == 0, "16 kHz: %d", ret);
  /* min_feature_frames: 960 samples -> 1 chunk, 2880 -> 2, 0 -> 1. */
  CHECKF(dredfx_dred_parse(pkt, len, 960, 48000, &stats, &d, &end) >= 0 && d.nb_latents == 1, "960");
  CHECKF(dredfx_dred_parse(pkt, len, 2880, 48000, &stats, &d, &end) >= 0 && d.nb_latents == 2, "2880");
  CHECKF(dredfx_dred_parse(pkt, len, 0, 48000, &stats, &d, &end) == 1920 - 1200 && d.nb_latents == 1,
        "0: %d", d.nb_latents);
  CHECKF(dredfx_dred_parse(pkt, len, 0, 48000, &stats, &d, NULL) == 720, "dred_end may be NULL");

  /* Negative offset after skipped silence: dred_end > 0. */
  n = encode_chunks(payload, 4, 3, 12, -6, 0, 2);
  len = make_packet(pkt, pad, dred_padding(pad, payload, n));
  ret = dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end);
  CHECKF(ret == 2 * 1920 + 6 * 120 && end == 720 && d.dred_offset == -6, "offset -6: %d %d", ret, end);
  ret = dredfx_dred_parse(pkt, len, 48000, 8000, &stats, &d, &end);
  CHECKF(ret == 2 * 320 + 6 * 20 && end == 120, "offset -6 at 8 kHz: %d %d", ret, end);
  /* Large positive offset: return clamps at 0. */
  n = encode_chunks(payload, 4, 0, 15, 16, 0, 1);
  len = make_packet(pkt, pad, dred_padding(pad, payload, n));
  ret = dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end);
  CHECKF(ret == 1920 - 16 * 120 && end == 0, "offset 16: %d", ret);

  /* Other ID-126 extensions are skipped: 'D' 11, then 'D' 12 with nothing after it, then DRED. */
  n = encode_chunks(payload, 6, 5, 15, 10, 0, 3);
  {
    int p = 0;
    pad[p++] = 0xFD; pad[p++] = 3; pad[p++] = 'D'; pad[p++] = 11; pad[p++] = 0x55;
    pad[p++] = 0xFD; pad[p++] = 2; pad[p++] = 'D'; pad[p++] = 12;
    pad[p++] = 0xFD; pad[p++] = (unsigned char)(n + 2); pad[p++] = 'D'; pad[p++] = 12;
    memcpy(pad + p, payload, (size_t)n); p += n;
    /* A corrupt extension after the DRED one is never looked at. */
    pad[p++] = 0xFD; pad[p++] = 200;
    len = make_packet(pkt, pad, p);
    ret = dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end);
    CHECKF(ret == 3 * 1920 - 1200 && d.nb_latents == 3, "skips non-DRED ID 126: %d", ret);
    /* The same corruption before it is the packet's error. */
    memmove(pad + 2, pad, (size_t)p - 2);
    pad[0] = 0xFD; pad[1] = 200;
    len = make_packet(pkt, pad, p);
    ret = dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end);
    CHECKF(ret < 0 && dredfx_is_invalid_packet(ret), "error before DRED: %d", ret);
  }
  /* No padding, padding without DRED: 0 and dred_end 0. */
  len = make_packet(pkt, pad, 0);
  end = 77;
  CHECKF(dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end) == 0 && end == 0 &&
            d.nb_latents == 0, "no padding");
  pad[0] = 0xFC; pad[1] = 'X'; pad[2] = 12; pad[3] = 1;
  len = make_packet(pkt, pad, 4);
  CHECKF(dredfx_dred_parse(pkt, len, 48000, 48000, &stats, &d, &end) == 0, "ID 126 without 'D'");
  /* A two-frame packet with DRED in frame 1: frame offset 8 (20 ms). */
  n = encode_chunks(payload, 6, 5, 15, 18, 8, 2);
  {
    int p = 0;
    pkt[p++] = 0x7B; pkt[p++] = 0x42; pkt[p++] = (unsigned char)(n + 4);
    pkt[p++] = 0x11; pkt[p++] = 0x22;
    pkt[p++] = 0x02; pkt[p++] = 0xFC; pkt[p++] = 'D'; pkt[p++] = 12;
    memcpy(pkt + p, payload, (size_t)n); p += n;
    ret = dredfx_dred_parse(pkt, p, 48000, 48000, &stats, &d, &end);
    CHECKF(d.dred_frame_offset == 8 && d.dred_offset == 18 && ret == 2 * 1920 - 18 * 120,
          "frame 1: offset %d %d ret %d", d.dred_frame_offset, d.dred_offset, ret);
  }
  /* Invalid packets and arguments. */
  CHECKF(dredfx_is_invalid_packet(dredfx_dred_parse(pkt, 0, 48000, 48000, &stats, &d, &end)), "empty");
  CHECKF(dredfx_dred_parse(NULL, 5, 48000, 48000, &stats, &d, &end) == DREDFX_ERR_BAD_ARG, "NULL");
  CHECKF(dredfx_dred_parse(pkt, len, -1, 48000, &stats, &d, &end) == DREDFX_ERR_BAD_ARG, "negative");
  CHECKF(dredfx_dred_parse(pkt, len, 48000, 0, &stats, &d, &end) == DREDFX_ERR_BAD_ARG, "Fs 0");
  CHECKF(dredfx_dred_decode(payload, 10, -1, 0, &stats, &d) == DREDFX_ERR_BAD_ARG, "mff -1");
  CHECKF(dredfx_dred_decode(payload, 10, 104, 49, &stats, &d) == DREDFX_ERR_BAD_ARG, "frame offset 49");
  CHECKF(dredfx_dred_decode(NULL, 0, 104, 0, &stats, &d) == 0 && d.ec_bits > 0, "empty payload");
}

/* Tables where every coded dim has P(0) = 240/256 at every level: a chunk of zeros costs about
 * 2 bits, a chunk of +-9 far more than a byte. */
static uint8_t cheap_r[16 * 25], cheap_p0[16 * 25];
static const dredfx_dred_stats cheap_stats = {lat_scale, lat_dz, cheap_r, cheap_p0,
                                              st_scale, st_dz, st_r, st_p0};

static int same_bytes_at(const unsigned char *a, int na, const dredfx_dred_payload *p, int k,
                         const dredfx_dred_stats *s) {
  static unsigned char again[1 << 16];
  dredfx_dred_payload q = *p;
  int n;
  q.nb_latents = k;
  n = dredfx_dred_encode(again, sizeof(again), &q, s);
  return n == na && !memcmp(again, a, (size_t)na);
}

/* Payloads ending in 1-4 chunks of zeros (under 8 bits together): libopus' stop rule drops them,
 * dredfx_dred_decode_coded gets every one back and the re-encode is the input. */
static void test_decode_coded_hidden(void) {
  int cases = 0, early = 0, all_back = 0, hidden_total = 0;
  for (int k = 0; k < 16 * 25; k++) {
    cheap_r[k] = (uint8_t)rnd_range(1, 255);
    cheap_p0[k] = k % 25 % 7 == 3 ? 255 : 240;
  }
  for (int rep = 0; rep < 400; rep++) {
    dredfx_dred_payload p, d, c;
    int q0 = rnd_range(0, 15), dq = rnd_range(0, 7), qmax = q0 < 14 && dq > 0 ? rnd_range(q0 + 1, 15) : 15;
    int h = rnd_range(1, 4), m = rnd_range(1, 26 - h), n, ret, lib;
    random_payload(&p, q0, dq, qmax, m + h);
    for (int j = 0; j < 50; j++) p.state[j] = 0;
    for (int i = 0; i < m + h; i++)
      for (int j = 0; j < 25; j++)
        p.latents[i][j] = i >= m || j % 7 == 3 ? 0 : (j % 2 ? 9 : -9);
    n = dredfx_dred_encode(buf, sizeof(buf), &p, &cheap_stats);
    CHECKF(n > 0, "encode %d", n);
    if (n <= 0) continue;
    lib = dredfx_dred_decode(buf, n, 104, p.dred_frame_offset, &cheap_stats, &d);
    ret = dredfx_dred_decode_coded(buf, n, p.dred_frame_offset, &cheap_stats, &c);
    cases++;
    CHECKF(lib >= m && lib <= m + h, "stop rule count %d (%d + %d coded)", lib, m, h);
    early += lib < m + h;
    CHECKF(ret == 1, "decode_coded %d", ret);
    /* The smallest count that gives the bytes: all m + h unless trailing zeros leave them as they are. */
    CHECKF(c.nb_latents >= lib && c.nb_latents <= m + h, "coded count %d of %d", c.nb_latents, m + h);
    CHECKF(same_header(&p, &c) && same_chunks(&p, &c, c.nb_latents), "coded chunks");
    CHECKF(same_bytes_at(buf, n, &c, c.nb_latents, &cheap_stats), "coded chunks re-encode to the input");
    for (int k = lib; k < c.nb_latents; k++)
      CHECKF(!same_bytes_at(buf, n, &p, k, &cheap_stats), "count %d already gives the bytes", k);
    for (int i = 0; i < c.nb_latents; i++)
      CHECKF(c.level[i] == dredfx_dred_level(q0, dq, qmax, i), "level %d", i);
    CHECKF(c.nb_latents == 26 || (c.level[c.nb_latents] == 0 && c.latents[c.nb_latents][0] == 0),
          "chunks past the count cleared");
    /* At the stop rule's count, ec_bits is what dredfx_dred_decode says. */
    if (c.nb_latents == lib) CHECKF(c.ec_bits == d.ec_bits, "ec_bits %d vs %d", c.ec_bits, d.ec_bits);
    all_back += c.nb_latents == m + h;
    hidden_total += c.nb_latents - lib;
  }
  printf("decode_coded: %d payloads, %d stopped early by libopus' rule, %d with every coded chunk "
         "back, %d hidden chunks recovered\n", cases, early, all_back, hidden_total);
  /* Zero chunks that leave the final bytes as they are cannot be told from no chunks. */
  CHECKF(early * 5 >= cases * 3, "the stop rule drops chunks in most cases (%d of %d)", early, cases);
  CHECKF(all_back * 4 >= cases * 3, "most get every chunk back (%d of %d)", all_back, cases);
}

/* Any payload dredfx encodes: decode_coded returns 1 and a prefix of its chunks whose encoding
 * is the same bytes, the whole payload in nearly every case. */
static void test_decode_coded_round_trips(void) {
  int all = 0, full = 0;
  for (int rep = 0; rep < 1500; rep++) {
    dredfx_dred_payload p, c;
    int q0 = rnd_range(0, 15), dq = rnd_range(0, 7), qmax = q0 < 14 && dq > 0 ? rnd_range(q0 + 1, 15) : 15;
    int nb = rnd_range(0, 26), n, ret;
    random_payload(&p, q0, dq, qmax, nb);
    if (rep % 3 == 0)
      for (int i = rnd_range(0, nb); i < nb; i++) memset(p.latents[i], 0, sizeof(p.latents[i]));
    n = dredfx_dred_encode(buf, sizeof(buf), &p, &stats);
    if (n <= 0 || n > 2048) continue;
    ret = dredfx_dred_decode_coded(buf, n, p.dred_frame_offset, &stats, &c);
    all++;
    CHECKF(ret == 1 && c.nb_latents <= nb, "round trip %d, %d of %d", ret, c.nb_latents, nb);
    CHECKF(same_header(&p, &c) && same_chunks(&p, &c, c.nb_latents), "round trip chunks");
    CHECKF(same_bytes_at(buf, n, &c, c.nb_latents, &stats), "round trip bytes");
    full += c.nb_latents == nb;
  }
  CHECKF(full * 100 >= all * 95, "full round trips %d of %d", full, all);
}

/* Random bytes: never an error, 0 or 1 as a re-encode of the result says, and the stop rule's
 * chunks when 0. */
static void test_decode_coded_garbage(void) {
  int ones = 0;
  for (int rep = 0; rep < 3000; rep++) {
    unsigned char g[300];
    dredfx_dred_payload d, c;
    int len = rnd_range(0, (int)sizeof(g)), fo = rnd_range(0, 48), ret, lib;
    const dredfx_dred_stats *s = rep % 2 ? &stats : &cheap_stats;
    for (int k = 0; k < len; k++) g[k] = (unsigned char)rnd();
    lib = dredfx_dred_decode(g, len, 104, fo, s, &d);
    ret = dredfx_dred_decode_coded(g, len, fo, s, &c);
    CHECKF(ret == 0 || ret == 1, "garbage decode_coded %d", ret);
    CHECKF(same_header(&d, &c) && c.nb_latents >= lib && same_chunks(&d, &c, lib), "garbage prefix");
    CHECKF(ret == same_bytes_at(g, len, &c, c.nb_latents, s), "return value = re-encode check");
    if (ret == 0)
      CHECKF(c.nb_latents == lib && c.ec_bits == d.ec_bits && !memcmp(&c, &d, sizeof(c)),
            "0: the stop rule's payload");
    ones += ret;
  }
  printf("decode_coded on random bytes: %d of 3000 reproduced\n", ones);
  {
    dredfx_dred_payload d;
    static unsigned char big[2049];
    CHECKF(dredfx_dred_decode_coded(NULL, 0, 0, &stats, &d) == 0 && d.nb_latents == 0, "empty");
    CHECKF(dredfx_dred_decode_coded(NULL, 5, 0, &stats, &d) == DREDFX_ERR_BAD_ARG, "NULL bytes");
    CHECKF(dredfx_dred_decode_coded(buf, -1, 0, &stats, &d) == DREDFX_ERR_BAD_ARG, "negative");
    CHECKF(dredfx_dred_decode_coded(buf, 5, 49, &stats, &d) == DREDFX_ERR_BAD_ARG, "offset 49");
    CHECKF(dredfx_dred_decode_coded(buf, 5, 0, NULL, &d) == DREDFX_ERR_BAD_ARG, "NULL stats");
    CHECKF(dredfx_dred_decode_coded(buf, 5, 0, &stats, NULL) == DREDFX_ERR_BAD_ARG, "NULL out");
    CHECKF(dredfx_dred_decode_coded(big, sizeof(big), 0, &stats, &d) == 0, "over 2048 bytes: not tried");
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  make_stats();
  test_levels();
  test_round_trips();
  test_truncation();
  test_garbage();
  test_encode_errors();
  test_crafted_escapes();
  test_dequantize();
  test_parse();
  test_decode_coded_hidden();
  test_decode_coded_round_trips();
  test_decode_coded_garbage();
  return check_report("test_dred");
}
