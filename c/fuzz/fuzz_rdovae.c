/* libFuzzer target for parse + decode: the input as an Opus packet (dredfx_dred_parse) and as a
 * raw DRED payload (dredfx_dred_decode), then every payload that decodes through the RDO-VAE
 * decoder (dredfx_rdovae_decode_payload), which must give the frames of dredfx_rdovae_decode_all
 * on the dequantized values. The decoder needs the libopus weights: with DREDFX_WEIGHTS naming
 * the blob, payloads decode with its tables and model; without it, parsing runs with synthetic
 * tables and the decode is skipped.
 * Built by c/CMakeLists.txt: a libFuzzer program with -DDREDFX_FUZZ=ON (clang), else a replay
 * program (c/fuzz/replay_main.c) that ctest runs on c/fuzz/seeds/fuzz_rdovae/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"

#define MAX_ARRAYS 4096

static dredfx_dred_stats stats;
static dredfx_rdovae_dec *dec; /* NULL: no weights, parse only */
static uint8_t tab[8][16 * 50];

/* Synthetic tables shaped like libopus' (some dims skipped, p0 >= 1) for runs without weights. */
static void synthetic_stats(void) {
  uint32_t seed = 9;
  for (int t = 0; t < 8; t += 4)
    for (int k = 0; k < 16 * 50; k++) {
      seed = seed * 1664525u + 1013904223u;
      tab[t + 2][k] = (uint8_t)(seed >> 29 == 0 ? 0 : 1 + (seed >> 8) % 255);
      tab[t + 3][k] = (uint8_t)(1 + (seed >> 16) % 254);
      tab[t + 0][k] = (uint8_t)(1 + (seed >> 3) % 255);
      tab[t + 1][k] = (uint8_t)seed;
    }
  stats = (dredfx_dred_stats){tab[0], tab[1], tab[2], tab[3], tab[4], tab[5], tab[6], tab[7]};
}

static void setup(void) {
  static dredfx_weight_array arrays[MAX_ARRAYS];
  const char *path = getenv("DREDFX_WEIGHTS");
  FILE *f = path ? fopen(path, "rb") : NULL;
  unsigned char *blob = NULL;
  long n = -1;
  int na;
  if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
    blob = aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63);
    if (blob && fread(blob, 1, (size_t)n, f) != (size_t)n) abort();
  }
  if (f) fclose(f);
  if (!blob) {
    synthetic_stats();
    return;
  }
  /* A blob that is named but unusable is a setup error, not a finding. */
  na = dredfx_weights_parse(blob, (size_t)n, arrays, MAX_ARRAYS);
  dec = aligned_alloc(64, (dredfx_rdovae_dec_get_size() + 63) & ~(size_t)63);
  if (na < 0 || !dec || dredfx_dred_stats_init(&stats, arrays, na) < 0 ||
      dredfx_rdovae_dec_init(dec, arrays, na) < 0) {
    fprintf(stderr, "fuzz_rdovae: unusable weights blob %s\n", path);
    abort();
  }
}

static void decode(const dredfx_dred_payload *p) {
  static int32_t feat[DREDFX_DRED_MAX_FRAMES * 20], again[DREDFX_DRED_MAX_FRAMES * 20];
  static int32_t state[DREDFX_DRED_STATE_DIM], latents[DREDFX_DRED_MAX_LATENTS * DREDFX_RDOVAE_LATENT_STRIDE];
  int n;
  if (!dec) return;
  n = dredfx_rdovae_decode_payload(dec, p, &stats, feat);
  if (n != 4 * p->nb_latents) abort();
  if (dredfx_dred_dequantize(p, &stats, state, latents) < 0) abort();
  if (dredfx_rdovae_decode_all(dec, state, latents, p->nb_latents, again) != n) abort();
  if (memcmp(feat, again, sizeof(int32_t) * 20 * (size_t)n)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  dredfx_dred_payload p;
  int32_t end;
  int ret, mff, fo;
  if (!ready) {
    setup();
    ready = 1;
  }
  if (size < 2 || size > 1 << 16) return 0;
  mff = data[0] % 110;
  fo = data[1] % 49;
  data += 2;
  size -= 2;
  ret = dredfx_dred_decode(data, (int32_t)size, mff, fo, &stats, &p);
  if (ret < 0 || ret > 26 || ret != p.nb_latents) abort();
  decode(&p);
  ret = dredfx_dred_parse(data, (int32_t)size, mff * 480, 48000, &stats, &p, &end);
  if (ret < 0 && !dredfx_is_invalid_packet(ret)) abort();
  if (ret >= 0 && p.nb_latents > 0) decode(&p);
  return 0;
}
