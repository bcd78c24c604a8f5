/* dredfx's RDO-VAE: one full 26-latent decode (dredfx_rdovae_decode_all) and one encoder step
 * (dredfx_rdovae_encode_dframe) at every CPU level, and the state sizes. Built by
 * bench/bench_rdovae.py against libdredfx.a.
 *
 * usage: bench_rdovae SECONDS WEIGHTS_BLOB [LEVEL]   (LEVEL: that level's decode only, for profiling)
 * prints "level <name> decode <s> encode <s>" per level, then "sizes dec <bytes> enc <bytes>". */
#include <stdio.h>
#include <stdlib.h>

#include <dredfx.h>

#include "bench_rdovae_common.h"

static int32_t state_q16[50], latents_q16[BR_LATENTS * BR_STRIDE], features_q16[40];
static int32_t out_q16[4 * BR_LATENTS * 20], lat_out[25], st_out[50];

static void run_decode(void *ctx) {
  dredfx_rdovae_decode_all(ctx, state_q16, latents_q16, BR_LATENTS, out_q16);
}

static void run_encode(void *ctx) {
  dredfx_rdovae_encode_dframe(ctx, features_q16, lat_out, st_out);
}

int main(int argc, char **argv) {
  static dredfx_weight_array arrays[4096];
  double state[50], latents[BR_LATENTS * BR_STRIDE], features[40];
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s SECONDS WEIGHTS_BLOB [LEVEL]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  long len;
  unsigned char *blob = br_read_file(argv[2], &len);
  if (!blob) return 1;
  int n = dredfx_weights_parse(blob, (size_t)len, arrays, 4096);
  if (n < 0) { fprintf(stderr, "weights: %s\n", dredfx_strerror(n)); return 1; }
  br_inputs(state, latents, features);
  for (int i = 0; i < 50; i++) state_q16[i] = (int32_t)(state[i] * 65536);
  for (int i = 0; i < BR_LATENTS * BR_STRIDE; i++) latents_q16[i] = (int32_t)(latents[i] * 65536);
  for (int i = 0; i < 40; i++) features_q16[i] = (int32_t)(features[i] * 65536);
  dredfx_rdovae_dec *dec = aligned_alloc(64, (dredfx_rdovae_dec_get_size() + 63) & ~(size_t)63);
  dredfx_rdovae_enc *enc = aligned_alloc(64, (dredfx_rdovae_enc_get_size() + 63) & ~(size_t)63);
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    if ((argc == 4 && level != atoi(argv[3])) || dredfx_cpu_set_level(level) < 0) continue;
    if (dredfx_rdovae_dec_init(dec, arrays, n) < 0 || dredfx_rdovae_enc_init(enc, arrays, n) < 0) return 1;
    double td = br_time(run_decode, dec, seconds), te = argc == 4 ? 0 : br_time(run_encode, enc, seconds);
    printf("level %s decode %.9f encode %.9f\n", dredfx_cpu_level_name(level), td, te);
  }
  printf("sizes dec %zu enc %zu\n", dredfx_rdovae_dec_get_size(), dredfx_rdovae_enc_get_size());
  return 0;
}
