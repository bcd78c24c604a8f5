/* libopus 1.6.1's FARGAN: fargan_demo -fargan-synthesis' sequence (fargan_cont on 320 zeros with
 * the first frame replicated, then fargan_synthesize per frame) over the frames of a features
 * file, with its run-time CPU choice (fargan_init: opus_select_arch). Built by
 * bench/bench_fargan.py against a libopus build folder and the libopus source tree.
 *
 * usage: bench_libopus_fargan SECONDS FEATURES.f32
 * prints "frame <s>" (time per 10 ms frame), then "frames <n> size <bytes>" (FARGANState). */
#include <stdio.h>
#include <stdlib.h>

/* config.h first: without OPUS_HAVE_RTCD, cpu_support.h makes opus_select_arch() the constant 0. */
#include "config.h"
#include "fargan.h"

#include "bench_rdovae_common.h"

#define NF 20
#define MAX_FRAMES 200

static FARGANState st, fresh; /* fresh: the state right after fargan_init, copied in before each pass */
static float features[MAX_FRAMES * NF];
static int nb_frames;

static void run_clip(void *ctx) {
  float zeros[320] = {0}, first[5 * NF], pcm[160];
  (void)ctx;
  st = fresh;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < NF; j++) first[i * NF + j] = features[j];
  fargan_cont(&st, zeros, first);
  for (int f = 1; f < nb_frames; f++) fargan_synthesize(&st, pcm, &features[f * NF]);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SECONDS FEATURES.f32\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 1; }
  nb_frames = (int)fread(features, NF * sizeof(float), MAX_FRAMES, f);
  fclose(f);
  fargan_init(&fresh);
  double t = br_time(run_clip, NULL, seconds);
  printf("frame %.9f\n", t / nb_frames);
  printf("frames %d size %zu\n", nb_frames, sizeof(FARGANState));
  return 0;
}
