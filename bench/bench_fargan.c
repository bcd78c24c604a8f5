/* dredfx's FARGAN: fargan_demo -fargan-synthesis' sequence (dredfx_fargan_cont on 320 zeros with the
 * first frame replicated, then dredfx_fargan_synthesize_int16 per frame) over the frames of a
 * features file, at every CPU level. Built by bench/bench_fargan.py against libdredfx.a.
 *
 * usage: bench_fargan SECONDS WEIGHTS_BLOB FEATURES.f32 [LEVEL]   (LEVEL: that level only, for profiling)
 * prints "level <name> frame <s>" per level (time per 10 ms frame), then "frames <n> size <bytes>". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dredfx.h>

#include "bench_rdovae_common.h"

#define NF 20
#define MAX_FRAMES 200 /* 2 s of speech per pass */

static int32_t features_q16[MAX_FRAMES * NF];
static int nb_frames;
static dredfx_fargan *st, *fresh; /* fresh: the state right after init, copied in before each pass */

static void run_clip(void *ctx) {
  static const int16_t zeros[320];
  int32_t first[5 * NF];
  int16_t pcm[160];
  (void)ctx;
  memcpy(st, fresh, dredfx_fargan_get_size());
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < NF; j++) first[i * NF + j] = features_q16[j];
  dredfx_fargan_cont(st, zeros, first);
  for (int f = 1; f < nb_frames; f++) dredfx_fargan_synthesize_int16(st, pcm, &features_q16[f * NF]);
}

int main(int argc, char **argv) {
  static dredfx_weight_array arrays[4096];
  long len, flen;
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: %s SECONDS WEIGHTS_BLOB FEATURES.f32 [LEVEL]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  unsigned char *blob = br_read_file(argv[2], &len), *feat = br_read_file(argv[3], &flen);
  if (!blob || !feat) return 1;
  int n = dredfx_weights_parse(blob, (size_t)len, arrays, 4096);
  if (n < 0) { fprintf(stderr, "weights: %s\n", dredfx_strerror(n)); return 1; }
  nb_frames = (int)(flen / (NF * 4));
  if (nb_frames > MAX_FRAMES) nb_frames = MAX_FRAMES;
  for (int i = 0; i < nb_frames * NF; i++) features_q16[i] = (int32_t)lrint(65536.0 * ((const float *)feat)[i]);
  st = aligned_alloc(64, (dredfx_fargan_get_size() + 63) & ~(size_t)63);
  fresh = aligned_alloc(64, (dredfx_fargan_get_size() + 63) & ~(size_t)63);
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    if ((argc == 5 && level != atoi(argv[4])) || dredfx_cpu_set_level(level) < 0) continue;
    if (dredfx_fargan_init(fresh, arrays, n) < 0) return 1;
    double t = br_time(run_clip, NULL, seconds);
    printf("level %s frame %.9f\n", dredfx_cpu_level_name(level), t / nb_frames);
  }
  printf("frames %d size %zu\n", nb_frames, dredfx_fargan_get_size());
  return 0;
}
