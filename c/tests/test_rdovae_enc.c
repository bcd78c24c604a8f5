/* RDO-VAE encoder and DRED encoder: argument checks, state sizes, the quantizer on hand-computed
 * values, compute_dred_bitrate against libopus 1.6.1's measured decisions (libopus src/opus_encoder.c compute_dred_bitrate, dnn/dred_encoder.c), and,
 * on the real libopus 1.6.1 weights when a blob is found ($DREDFX_WEIGHTS, else the default import
 * path in the cache folder; skipped with a message when absent), a pinned CRC-32 of 200 encoder
 * steps and of the payloads of 200 packets, identical at every CPU level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_sign.h"
#include "blob_file.h"
#include "check.h"
#include "lcg.h"
#include "dredfx.h"

#define NF DREDFX_DRED_NUM_FEATURES
#define STEPS 200

/* Pinned CRC-32s on the real weights (blob SHA-256 6237ac93...): latents and states of STEPS
 * steps (int32 little-endian), and the payload bytes of STEPS 20 ms packets. */
#define CRC_BLOB_STEPS 0x58da56ebu
#define CRC_BLOB_PAYLOADS 0xf80a01d2u

/* Feature-like inputs in Q16: a slowly varying cepstrum (c0 in [-12, 4], others within +-2),
 * pitch in [-1.5, 1.5), voicing in [-0.5, 0.5]. */
static void make_features(int32_t *f, int step) {
  for (int k = 0; k < 2; k++) {
    int32_t *x = f + k * NF;
    x[0] = -12 * 65536 + (int32_t)((uint32_t)(step * 7919 + k * 104729) % (16u * 65536));
    for (int i = 1; i < 18; i++) x[i] = rnd_sym(2 * 65536);
    x[18] = rnd_sym(98304);
    x[19] = rnd_sym(32768);
  }
}

/* Running CRC-32 (crc32_ref's polynomial): crc_add(crc_add(0, a), b) = crc32_ref(a | b). */
static void crc_add(uint32_t *crc, const unsigned char *p, size_t n) {
  uint32_t c = ~*crc;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int b = 0; b < 8; b++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  *crc = ~c;
}

static void crc_add_i32(uint32_t *crc, const int32_t *v, int n) {
  for (int i = 0; i < n; i++) {
    unsigned char le[4];
    for (int b = 0; b < 4; b++) le[b] = (unsigned char)((uint32_t)v[i] >> (8 * b));
    crc_add(crc, le, 4);
  }
}

static const dredfx_dred_enc_config good_cfg = {16000, 32000, 20, 1040, 20, 1, 0};

static void test_arguments(void) {
  static dredfx_weight_array none[1];
  uint8_t t[4] = {255, 0, 1, 1};
  int32_t x[1] = {0}, q[1];
  dredfx_dred_rate rate;
  dredfx_dred_enc_config cfg;
  dredfx_rdovae_enc *st = calloc(1, dredfx_rdovae_enc_get_size());
  dredfx_dred_enc *enc = calloc(1, dredfx_dred_enc_get_size());
  int32_t f[2 * NF] = {0}, lat[DREDFX_DRED_LATENT_DIM], state[DREDFX_DRED_STATE_DIM];
  unsigned char out[DREDFX_DRED_ENC_MAX_BYTES];
  CHECK(dredfx_rdovae_enc_get_size() > 0);
  CHECK(dredfx_dred_enc_get_size() > dredfx_rdovae_enc_get_size());
  CHECK_EQ(dredfx_rdovae_enc_init(NULL, none, 0), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_enc_init(st, NULL, 0), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_enc_init(st, none, 0), DREDFX_ERR_WEIGHTS_MISSING);
  /* A state whose init failed is refused, not run. */
  CHECK_EQ(dredfx_rdovae_encode_dframe(st, f, lat, state), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_encode_dframe(NULL, f, lat, state), DREDFX_ERR_BAD_ARG);
  dredfx_rdovae_enc_reset(NULL);
  CHECK_EQ(dredfx_dred_quantize(NULL, x, 1, t, t + 1, t + 2, t + 3), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_quantize(q, x, -1, t, t + 1, t + 2, t + 3), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_quantize(q, x, 1, NULL, t + 1, t + 2, t + 3), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(44100, 32000, 20, 0, 882, 100, &rate), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(16000, 32000, 101, 0, 320, 100, &rate), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(16000, -1, 20, 0, 320, 100, &rate), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(16000, 32000, 20, 0, 0, 100, &rate), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(16000, 32000, 20, 0, 320, 105, &rate), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_compute_bitrate(16000, 32000, 20, 0, 320, 100, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, NULL), DREDFX_ERR_BAD_ARG);
  cfg = good_cfg, cfg.frame_ms = 5;
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &cfg), DREDFX_ERR_BAD_ARG);
  cfg = good_cfg, cfg.frame_ms = 80;
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &cfg), DREDFX_ERR_BAD_ARG);
  cfg = good_cfg, cfg.duration_ms = 15;
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &cfg), DREDFX_ERR_BAD_ARG);
  cfg = good_cfg, cfg.duration_ms = 1050;
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &cfg), DREDFX_ERR_BAD_ARG);
  cfg = good_cfg, cfg.sampling_rate = 44100;
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &cfg), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_enc_init(enc, none, 0, &good_cfg), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(dredfx_dred_enc_packet(enc, f, 1, 1276, out, sizeof(out), NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_dred_enc_rate(enc, &rate), DREDFX_ERR_BAD_ARG);
  free(st);
  free(enc);
}

/* Values worked out by hand from q = floor(1/2 + y - d tanh(y / (d + 0.1))), y = x s / 256,
 * d = z / 256. */
static void test_quantizer(void) {
  static const struct { int32_t x_q16; uint8_t scale, zone, r, p0; int32_t q; } c[] = {
    {65536, 128, 0, 10, 10, 1},        /* y = 0.5 exactly, no dead zone: ties round up */
    {-65536, 128, 0, 10, 10, 0},       /* y = -0.5: floor(0) */
    {-65537, 128, 0, 10, 10, -1},      /* just below -0.5 */
    {65536 * 2, 128, 128, 10, 10, 1},  /* y = 1, d = 0.5: 1 - 0.5 tanh(1 / 0.6) = 0.534 */
    {58982, 255, 128, 10, 10, 0},      /* y = 0.8973: 0.8973 - 0.5 tanh(1.4955) = 0.445 */
    {80 * 65536, 255, 64, 10, 10, 79}, /* y = 79.6875, d = 0.25: tanh = 1, 79.4375 */
    {-80 * 65536, 255, 64, 10, 10, -79},
    {80 * 65536, 255, 64, 0, 10, 0},   /* r = 0: skipped */
    {80 * 65536, 255, 64, 10, 255, 0}, /* p0 = 255: skipped */
    {INT32_MAX, 255, 0, 10, 10, 32640}, /* the largest input: y = 32640 - 255 / 2^24 */
    {INT32_MIN, 255, 255, 10, 10, -32639}, /* y = -32640, d = 255 / 256: tanh = -1 */
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    int32_t q = 12345;
    CHECK_EQ(dredfx_dred_quantize(&q, &c[i].x_q16, 1, &c[i].scale, &c[i].zone, &c[i].r, &c[i].p0), DREDFX_OK);
    CHECKF(q == c[i].q, "case %zu: q %d, expected %d", i, (int)q, (int)c[i].q);
  }
}

/* libopus 1.6.1's own decisions, measured with its encoder (libopus src/opus_encoder.c compute_dred_bitrate, dnn/dred_encoder.c, VBR, 20 % loss,
 * OPUS_SET_DRED_DURATION(100)): q0, dQ and the most chunks any packet carried. */
static void test_bitrate(void) {
  static const struct { int32_t fs, bitrate; int frame_size, q0, dq, chunks; } c[] = {
    {48000, 32000, 960, 6, 5, 5},  {48000, 64000, 960, 4, 3, 16}, {16000, 24000, 320, 9, 5, 4},
    {12000, 20000, 240, 12, 5, 2}, {8000, 32000, 160, 6, 5, 5},   {48000, 16000, 960, 15, 5, 0},
    {8000, 16000, 160, 15, 5, 0},  {48000, 32000, 480, 6, 5, 1},  {48000, 32000, 1920, 6, 5, 23},
    {48000, 32000, 2880, 6, 5, 26},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    dredfx_dred_rate r;
    CHECK_EQ(dredfx_dred_compute_bitrate(c[i].fs, c[i].bitrate, 20, 0, c[i].frame_size, 100, &r), DREDFX_OK);
    CHECKF(r.q0 == c[i].q0 && r.dq == c[i].dq && r.qmax == 15 && r.target_chunks == c[i].chunks,
           "%d Hz %d b/s %d: q0 %d dq %d chunks %d, libopus %d %d %d", (int)c[i].fs, (int)c[i].bitrate,
           c[i].frame_size, r.q0, r.dq, r.target_chunks, c[i].q0, c[i].dq, c[i].chunks);
  }
}

/* STEPS encoder steps and STEPS packets (speech-like activity runs, a few small rooms) at every
 * CPU level: the pinned CRC-32s. */
static void check_levels(const dredfx_weight_array *a, int n) {
  dredfx_rdovae_enc *st = malloc(dredfx_rdovae_enc_get_size());
  dredfx_dred_enc *enc = malloc(dredfx_dred_enc_get_size());
  const int saved = dredfx_cpu_level();
  dredfx_dred_stats stats;
  CHECK_EQ(dredfx_dred_stats_init(&stats, a, n), DREDFX_OK);
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    uint32_t crc_steps = 0, crc_payloads = 0;
    int32_t f[2 * NF], lat[DREDFX_DRED_LATENT_DIM], state[DREDFX_DRED_STATE_DIM];
    unsigned char out[DREDFX_DRED_ENC_MAX_BYTES];
    int with_dred = 0;
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
    CHECK_EQ(dredfx_rdovae_enc_init(st, a, n), DREDFX_OK);
    CHECK_EQ(dredfx_dred_enc_init(enc, a, n, &good_cfg), DREDFX_OK);
    rng_state = 1;
    for (int s = 0; s < STEPS; s++) {
      make_features(f, s);
      CHECK_EQ(dredfx_rdovae_encode_dframe(st, f, lat, state), DREDFX_OK);
      crc_add_i32(&crc_steps, lat, DREDFX_DRED_LATENT_DIM);
      crc_add_i32(&crc_steps, state, DREDFX_DRED_STATE_DIM);
    }
    rng_state = 2;
    for (int s = 0; s < STEPS; s++) {
      const int active = (s / 37) % 3 != 2, room = s % 7 == 3 ? 40 : 1276;
      dredfx_dred_payload p;
      make_features(f, s);
      const int bytes = dredfx_dred_enc_packet(enc, f, active, room, out, sizeof(out), &p);
      CHECKF(bytes >= 0, "packet %d: %d", s, bytes);
      if (bytes > 0) {
        dredfx_dred_payload back;
        with_dred++;
        crc_add(&crc_payloads, out, (size_t)bytes);
        /* libopus' budget: room - 3 header bytes - 2 version bytes. */
        CHECK(room > 40 || bytes <= 40 - 5);
        /* The bytes carry exactly what the encoder reports. */
        CHECK_EQ(dredfx_dred_decode_coded(out, bytes, 0, &stats, &back), 1);
        CHECK(back.q0 == p.q0 && back.dq == p.dq && back.qmax == p.qmax && back.dred_offset == p.dred_offset &&
              back.nb_latents == p.nb_latents && !memcmp(back.state, p.state, sizeof(p.state)) &&
              !memcmp(back.latents, p.latents, sizeof(p.latents[0]) * (size_t)p.nb_latents));
      } else {
        CHECK_EQ(p.nb_latents, 0);
      }
    }
    CHECKF(with_dred > STEPS / 2, "level %s: %d packets with DRED", dredfx_cpu_level_name(level), with_dred);
    CHECKF(crc_steps == CRC_BLOB_STEPS, "level %s: steps CRC-32 %08x, pinned %08x", dredfx_cpu_level_name(level),
           crc_steps, CRC_BLOB_STEPS);
    CHECKF(crc_payloads == CRC_BLOB_PAYLOADS, "level %s: payloads CRC-32 %08x, pinned %08x",
           dredfx_cpu_level_name(level), crc_payloads, CRC_BLOB_PAYLOADS);
    if (level == 0) printf("steps CRC-32 %08x, payloads CRC-32 %08x, %d of %d packets with DRED\n",
                           crc_steps, crc_payloads, with_dred, STEPS);
  }
  dredfx_cpu_set_level(saved);
  free(st);
  free(enc);
}

static void test_real_weights(void) {
  static dredfx_weight_array real[4096];
  unsigned char *blob;
  const int n = test_load_weights("test_rdovae_enc: real weights", real, 4096, &blob);
  if (n > 0) check_levels(real, n);
  free(blob);
}

int main(void) {
  test_arguments();
  test_quantizer();
  test_bitrate();
  test_real_weights();
  return check_report("test_rdovae_enc");
}
