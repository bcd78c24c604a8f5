/* libFuzzer target for the DRED payload layer: dredfx_dred_parse on the input as an Opus packet
 * and dredfx_dred_decode on it as a raw payload, with synthetic statistics tables drawn from the
 * first input bytes; whatever decodes is re-encoded and must decode to the same values.
 * dredfx_dred_decode_coded on the raw payload: 1 exactly when its chunks re-encode to the input,
 * else the stop rule's payload; the stop rule's chunks always a prefix of its chunks.
 * Built by c/CMakeLists.txt: a libFuzzer program with -DDREDFX_FUZZ=ON (clang), else a replay
 * program (c/fuzz/replay_main.c) that ctest runs on c/fuzz/seeds/fuzz_dred/. */
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"

static uint8_t tab[8][16 * 50];

/* Tables shaped like libopus': some dims skipped, scale 0 only on skipped dims, p0 >= 1. */
static void make_stats(uint32_t seed, dredfx_dred_stats *s) {
  for (int t = 0; t < 8; t += 4)
    for (int k = 0; k < 16 * 50; k++) {
      int skip;
      seed = seed * 1664525u + 1013904223u;
      skip = (int)(seed >> 29);
      tab[t + 2][k] = (uint8_t)(skip == 0 ? 0 : 1 + (seed >> 8) % 255);  /* r */
      tab[t + 3][k] = (uint8_t)(skip == 1 ? 255 : 1 + (seed >> 16) % 254); /* p0 */
      tab[t + 0][k] = (uint8_t)(skip <= 1 && (seed & 1) ? 0 : 1 + (seed >> 3) % 255);
      tab[t + 1][k] = (uint8_t)seed;
    }
  *s = (dredfx_dred_stats){tab[0], tab[1], tab[2], tab[3], tab[4], tab[5], tab[6], tab[7]};
}

static void check_reencode(const dredfx_dred_payload *d, int mff, const dredfx_dred_stats *s) {
  static unsigned char buf[1 << 16];
  dredfx_dred_payload e;
  int32_t sq[50], lq[26 * 26];
  int n = dredfx_dred_encode(buf, sizeof(buf), d, s);
  if (n < 0) abort();
  if (dredfx_dred_decode(buf, n, mff, d->dred_frame_offset, s, &e) < 0) abort();
  if (e.q0 != d->q0 || e.dq != d->dq || e.qmax != d->qmax || e.dred_offset != d->dred_offset ||
      memcmp(e.state, d->state, sizeof(e.state)) || e.nb_latents > d->nb_latents ||
      memcmp(e.latents, d->latents, sizeof(e.latents[0]) * (size_t)e.nb_latents))
    abort();
  if (dredfx_dred_dequantize(d, s, sq, lq) < 0) abort();
}

static void check_coded(const uint8_t *data, int32_t size, int fo, const dredfx_dred_stats *s) {
  static unsigned char buf[4096];
  dredfx_dred_payload lib, c;
  int ret, n;
  if (dredfx_dred_decode(data, size, 104, fo, s, &lib) < 0) abort();
  ret = dredfx_dred_decode_coded(data, size, fo, s, &c);
  if (ret != 0 && ret != 1) abort();
  if (c.nb_latents < lib.nb_latents || c.nb_latents > 26 || c.q0 != lib.q0 || c.dq != lib.dq ||
      c.qmax != lib.qmax || c.dred_offset != lib.dred_offset ||
      memcmp(c.state, lib.state, sizeof(c.state)) ||
      memcmp(c.latents, lib.latents, sizeof(c.latents[0]) * (size_t)lib.nb_latents))
    abort();
  n = dredfx_dred_encode(buf, sizeof(buf), &c, s);
  if (ret == 1 && (n != size || memcmp(buf, data, (size_t)size))) abort();
  if (ret == 0 && size <= 2048 && n == size && !memcmp(buf, data, (size_t)size)) abort();
  if (ret == 0 && memcmp(&c, &lib, sizeof(c))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dredfx_dred_stats s;
  dredfx_dred_payload d;
  int32_t end;
  int ret, mff, fo;
  if (size < 4 || size > 1 << 16) return 0;
  make_stats((uint32_t)data[0] | (uint32_t)data[1] << 8, &s);
  mff = data[2] % 110;
  fo = data[3] % 49;
  data += 4;
  size -= 4;
  ret = dredfx_dred_decode(data, (int32_t)size, mff, fo, &s, &d);
  if (ret < 0 || ret > 26 || ret != d.nb_latents) abort();
  check_reencode(&d, mff, &s);
  check_coded(data, (int32_t)size, fo, &s);
  ret = dredfx_dred_parse(data, (int32_t)size, mff * 480, 48000, &s, &d, &end);
  if (ret < 0 && !dredfx_is_invalid_packet(ret)) abort();
  if (ret >= 0 && end < 0) abort();
  if (ret > 0 || d.nb_latents > 0) check_reencode(&d, 104, &s);
  return 0;
}
