/* dredfx-opus receiver bit-exactness: a SILK-only wideband stream (2 s at 16 kHz, 20 ms,
 * 20 kb/s, DRED 1 s, encoder complexity 10) of a synthetic voiced signal, received at 16 kHz with
 * bursty losses by decoders of complexity 5 (deep PLC on; OSCE is not built) in opus_demo's loop:
 * once with DRED (the next packet's DRED covers the lost frames), once with deep PLC alone. SILK's
 * decoder is integer and its neural glue takes int16 from dredfx, so the decoded samples are the
 * same on every CPU level and architecture; the MD5s of the packets and of both outputs are pinned
 * by ctest (the packets come from libopus' float encoder built without SIMD and without FMA
 * contraction: the same on x86-64, aarch64 and armv7 as measured).
 *   test_opus_silk WEIGHTS_BLOB [MD5_PACKETS MD5_DRED MD5_PLC]   (exit 77: no blob)
 * Prints the three MD5s and the CPU level; with expected values, exits 1 on a mismatch.
 *   test_opus_silk WEIGHTS_BLOB --hybrid
 * The same at 48 kHz, 32 kb/s (hybrid SWB/FB packets, the input held 3 samples per 16 kHz sample),
 * decoded at 48 kHz: prints the MD5s only (CELT is float: docs/architecture.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"
#include "dredfx_opus.h"
#include "opus.h"

#define RATE 16000
#define MAX_RATE 48000
#define SECONDS 2
#define NB_PACKETS (SECONDS * 50)
#define MAX_PACKET 1500

/* ---------------------------------------------------------------- MD5 (RFC 1321) */
typedef struct {
  uint32_t h[4];
  uint64_t len;
  unsigned char buf[64];
} md5_ctx;

static uint32_t rol(uint32_t x, int c) {
  return (x << c) | (x >> (32 - c));
}

static void md5_block(md5_ctx *m, const unsigned char *p) {
  static const uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
      0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
      0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
      0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
      0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
      0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
      0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
  static const int r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
  uint32_t w[16], a = m->h[0], b = m->h[1], c = m->h[2], d = m->h[3];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
           (uint32_t)p[4 * i + 3] << 24;
  for (int i = 0; i < 64; i++) {
    uint32_t f, t;
    int g;
    if (i < 16) { f = (b & c) | (~b & d); g = i; }
    else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
    else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
    else { f = c ^ (b | ~d); g = (7 * i) % 16; }
    t = d;
    d = c;
    c = b;
    b = b + rol(a + f + k[i] + w[g], r[(i / 16) * 4 + i % 4]);
    a = t;
  }
  m->h[0] += a; m->h[1] += b; m->h[2] += c; m->h[3] += d;
}

static void md5_init(md5_ctx *m) {
  static const uint32_t h0[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  memcpy(m->h, h0, sizeof(h0));
  m->len = 0;
}

static void md5_update(md5_ctx *m, const void *data, size_t n) {
  const unsigned char *p = data;
  while (n--) {
    m->buf[m->len++ % 64] = *p++;
    if (m->len % 64 == 0) md5_block(m, m->buf);
  }
}

static void md5_hex(md5_ctx *m, char *out) {
  uint64_t bits = m->len * 8;
  unsigned char pad = 0x80, len[8];
  md5_update(m, &pad, 1);
  pad = 0;
  while (m->len % 64 != 56) md5_update(m, &pad, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (8 * i));
  md5_update(m, len, 8);
  for (int i = 0; i < 16; i++) sprintf(out + 2 * i, "%02x", (m->h[i / 4] >> (8 * (i % 4))) & 255);
}

/* int16 samples as little-endian bytes (the raw files opus_demo writes). */
static void md5_pcm(md5_ctx *m, const opus_int16 *pcm, int n) {
  for (int i = 0; i < n; i++) {
    unsigned char b[2] = {(unsigned char)(pcm[i] & 255), (unsigned char)((uint16_t)pcm[i] >> 8)};
    md5_update(m, b, 2);
  }
}

/* 20 ms at the stream's rate (16 or 48 kHz) */
static int rate = RATE, frame = RATE / 50;

/* ---------------------------------------------------------------- input and losses */
static uint32_t rng = 12345;
static uint32_t rnd(void) {
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

/* Voiced "syllables" (pulse train at 110..230 Hz plus noise through two resonators, 300 ms on
 * with a rising and falling level, then 100 ms of low noise), all in integers. */
static void make_input(opus_int16 *x, int n) {
  int32_t y1[2] = {0, 0}, y2[2] = {0, 0};
  int phase = 0;
  for (int i = 0; i < n; i++) {
    const int t = i % 6400, syll = i / 6400;
    const int period = RATE / (110 + (syll * 37 + t / 64) % 120);
    int32_t e = (int32_t)(rnd() % 1001) - 500, v;
    int32_t env;
    if (t < 4800) {
      if (++phase >= period) { phase = 0; e += 12000; }
      env = t < 2400 ? t * 32768 / 2400 : (4800 - t) * 32768 / 2400;
    } else {
      env = 2000;
    }
    /* resonators at about 600 Hz and 1700 Hz, pole radius 0.95 (Q14) */
    v = e + ((30078 * y1[0] - 14786 * y1[1]) >> 14);
    y1[1] = y1[0];
    y1[0] = v < -(1 << 20) ? -(1 << 20) : v > (1 << 20) ? (1 << 20) : v;
    v = y1[0] + ((20746 * y2[0] - 14786 * y2[1]) >> 14);
    y2[1] = y2[0];
    y2[0] = v < -(1 << 20) ? -(1 << 20) : v > (1 << 20) ? (1 << 20) : v;
    v = (int32_t)(((int64_t)(y2[0] >> 3) * env) >> 15);
    x[i] = (opus_int16)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
  }
}

/* Gilbert losses (20 % on average, bursts), the first and last packets kept. */
static void make_losses(unsigned char *lost) {
  int prev = 0;
  for (int i = 0; i < NB_PACKETS; i++) {
    const uint32_t r = rnd() % 100;
    lost[i] = (unsigned char)(i > 2 && i < NB_PACKETS - 1 && (prev ? r < 60 : r < 10));
    prev = lost[i];
  }
}

/* opus_demo's receiver loop; md5 of the int16 output. Returns 0, or -1 on a codec error. */
static int receive(unsigned char packets[][MAX_PACKET], const int *len, const unsigned char *lost,
                   int use_dred, char *md5) {
  OpusDecoder *dec;
  OpusDREDDecoder *dred_dec = NULL;
  OpusDRED *dred = NULL;
  opus_int16 out[MAX_RATE / 50];
  md5_ctx m;
  int err, lost_count = 0, rc = 0;
  md5_init(&m);
  dec = opus_decoder_create(rate, 1, &err);
  if (err != OPUS_OK || opus_decoder_ctl(dec, OPUS_SET_COMPLEXITY(5)) != OPUS_OK) return -1;
  if (use_dred) {
    dred_dec = opus_dred_decoder_create(&err);
    if (err != OPUS_OK) return -1;
    dred = opus_dred_alloc(&err);
    if (err != OPUS_OK) return -1;
  }
  for (int i = 0; i < NB_PACKETS && rc == 0; i++) {
    int dred_input = 0, dred_end = 0;
    if (lost[i]) {
      lost_count++;
      continue;
    }
    if (use_dred && lost_count > 0) {
      const int want = lost_count * frame < rate ? lost_count * frame : rate;
      dred_input = opus_dred_parse(dred_dec, dred, packets[i], len[i], want, rate, &dred_end, 0);
      if (dred_input < 0) rc = -1;
    }
    for (int fr = 0; fr < lost_count && rc == 0; fr++) {
      const int n = dred_input > 0 ? opus_decoder_dred_decode(dec, dred, (lost_count - fr) * frame, out, frame)
                                   : opus_decode(dec, NULL, 0, out, frame, 0);
      if (n != frame) rc = -1;
      else md5_pcm(&m, out, n);
    }
    lost_count = 0;
    if (rc == 0) {
      const int n = opus_decode(dec, packets[i], len[i], out, frame, 0);
      if (n != frame) rc = -1;
      else md5_pcm(&m, out, n);
    }
  }
  md5_hex(&m, md5);
  opus_dred_free(dred);
  opus_dred_decoder_destroy(dred_dec);
  opus_decoder_destroy(dec);
  return rc;
}

static int set_weights(const char *path) {
  FILE *f = fopen(path, "rb");
  unsigned char *blob;
  long n;
  int rc = -1;
  if (f == NULL) return -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (blob = malloc((size_t)n)) != NULL) {
    if (fread(blob, 1, (size_t)n, f) == (size_t)n) rc = dredfx_opus_set_weights(blob, (size_t)n);
    free(blob);
  }
  fclose(f);
  return rc;
}

int main(int argc, char **argv) {
  static opus_int16 x[MAX_RATE * SECONDS];
  static unsigned char packets[NB_PACKETS][MAX_PACKET];
  static int len[NB_PACKETS];
  unsigned char lost[NB_PACKETS];
  char md5_packets[33], md5_dred[33], md5_plc[33];
  OpusEncoder *enc;
  md5_ctx m;
  int err, silk_only = 1, with_dred = 0, nb_lost = 0, hybrid = argc == 3 && !strcmp(argv[2], "--hybrid");
  if (argc != 2 && argc != 5 && !hybrid) {
    fprintf(stderr, "usage: test_opus_silk WEIGHTS_BLOB [MD5_PACKETS MD5_DRED MD5_PLC]\n");
    return 2;
  }
  if (set_weights(argv[1]) != 0) {
    printf("SKIP: no usable weights blob at %s\n", argv[1]);
    return 77;
  }
  make_input(x, RATE * SECONDS);
  if (hybrid) {
    rate = MAX_RATE;
    frame = rate / 50;
    for (int i = RATE * SECONDS - 1; i >= 0; i--) x[3 * i] = x[3 * i + 1] = x[3 * i + 2] = x[i];
  }
  make_losses(lost);
  enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK || opus_encoder_ctl(enc, OPUS_SET_BITRATE(hybrid ? 32000 : 20000)) != OPUS_OK ||
      opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(10)) != OPUS_OK ||
      opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
      opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(20)) != OPUS_OK ||
      opus_encoder_ctl(enc, OPUS_SET_DRED_DURATION(100)) != OPUS_OK) {
    fprintf(stderr, "encoder set-up failed\n");
    return 1;
  }
  md5_init(&m);
  for (int i = 0; i < NB_PACKETS; i++) {
    unsigned char be[4];
    len[i] = opus_encode(enc, x + i * frame, frame, packets[i], MAX_PACKET);
    if (len[i] < 1) {
      fprintf(stderr, "opus_encode failed: %d\n", len[i]);
      return 1;
    }
    silk_only &= (packets[i][0] >> 3) < 12 && (packets[i][0] >> 5) == 2; /* SILK WB */
    with_dred += len[i] > 3 && (packets[i][0] & 3) == 3 && (packets[i][1] & 0x40);
    nb_lost += lost[i];
    for (int b = 0; b < 4; b++) be[b] = (unsigned char)(len[i] >> (24 - 8 * b));
    md5_update(&m, be, 4);
    md5_update(&m, packets[i], (size_t)len[i]);
  }
  opus_encoder_destroy(enc);
  md5_hex(&m, md5_packets);
  if ((!silk_only && !hybrid) || with_dred < NB_PACKETS / 2) {
    fprintf(stderr, "expected SILK-only wideband packets with DRED padding (%d of %d padded)\n",
            with_dred, NB_PACKETS);
    return 1;
  }
  if (receive(packets, len, lost, 1, md5_dred) != 0 || receive(packets, len, lost, 0, md5_plc) != 0) {
    fprintf(stderr, "decoding failed\n");
    return 1;
  }
  printf("%d packets (%d with padding), %d lost; cpu %s\n", NB_PACKETS, with_dred, nb_lost,
         dredfx_cpu_level_name(dredfx_cpu_level()));
  printf("packets %s\ndred %s\nplc %s\n", md5_packets, md5_dred, md5_plc);
  if (argc == 5 && (strcmp(argv[2], md5_packets) || strcmp(argv[3], md5_dred) || strcmp(argv[4], md5_plc))) {
    printf("FAIL: expected packets %s dred %s plc %s\n", argv[2], argv[3], argv[4]);
    return 1;
  }
  return 0;
}
