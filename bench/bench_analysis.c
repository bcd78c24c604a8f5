/* dredfx's feature analysis: a whole 16 kHz speech clip through dredfx_analysis_process (state
 * reset by dredfx_analysis_set_rate first) at every CPU level. Built by bench/bench_analysis.py
 * against libdredfx.a.
 *
 * usage: bench_analysis SECONDS WEIGHTS_BLOB CLIP.raw [LEVEL]   (LEVEL: that level only, for profiling)
 * prints "level <name> frame <s>" per level (time per 10 ms frame), then "frames <n> size <bytes>". */
#include <stdio.h>
#include <stdlib.h>

#include <dredfx.h>

#include "bench_rdovae_common.h"

static int16_t *pcm;
static int nb_samples, nb_frames;
static int32_t *features_q16;

static void run_clip(void *ctx) {
  dredfx_analysis_set_rate(ctx, 16000);
  dredfx_analysis_process(ctx, pcm, nb_samples, features_q16, nb_frames);
}

int main(int argc, char **argv) {
  static dredfx_weight_array arrays[4096];
  long len, clip_len;
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: %s SECONDS WEIGHTS_BLOB CLIP.raw [LEVEL]\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  unsigned char *blob = br_read_file(argv[2], &len), *clip = br_read_file(argv[3], &clip_len);
  if (!blob || !clip) return 1;
  int n = dredfx_weights_parse(blob, (size_t)len, arrays, 4096);
  if (n < 0) { fprintf(stderr, "weights: %s\n", dredfx_strerror(n)); return 1; }
  nb_samples = (int)(clip_len / 2);
  pcm = malloc((size_t)nb_samples * sizeof(int16_t));
  for (int i = 0; i < nb_samples; i++) pcm[i] = (int16_t)(clip[2 * i] | clip[2 * i + 1] << 8);
  nb_frames = nb_samples / DREDFX_ANALYSIS_FRAME;
  features_q16 = malloc((size_t)nb_frames * DREDFX_ANALYSIS_NB_FEATURES * sizeof(int32_t));
  dredfx_analysis *st = aligned_alloc(64, (dredfx_analysis_get_size() + 63) & ~(size_t)63);
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    if ((argc == 5 && level != atoi(argv[4])) || dredfx_cpu_set_level(level) < 0) continue;
    if (dredfx_analysis_init(st, arrays, n) < 0) return 1;
    double t = br_time(run_clip, st, seconds);
    printf("level %s frame %.9f\n", dredfx_cpu_level_name(level), t / nb_frames);
  }
  printf("frames %d size %zu\n", nb_frames, dredfx_analysis_get_size());
  return 0;
}
