/* libopus 1.6.1's feature analysis: a whole 16 kHz speech clip through
 * lpcnet_compute_single_frame_features_float (the DRED encoder's per-frame analysis, state reset
 * by lpcnet_encoder_init first), with its run-time CPU choice (opus_select_arch). Built by
 * bench/bench_analysis.py against a libopus build folder and the libopus source tree.
 *
 * usage: bench_libopus_analysis SECONDS CLIP.raw
 * prints "frame <s>" (time per 10 ms frame), then "frames <n> size <bytes>" (LPCNetEncState). */
#include <stdio.h>
#include <stdlib.h>

/* config.h first: without OPUS_HAVE_RTCD, cpu_support.h makes opus_select_arch() the constant 0. */
#include "config.h"
#include "cpu_support.h"
#include "lpcnet.h"
#include "lpcnet_private.h"

#include "bench_rdovae_common.h"

static LPCNetEncState st;
static float *pcm;
static int nb_frames, arch;

static void run_clip(void *ctx) {
  float features[NB_TOTAL_FEATURES];
  (void)ctx;
  lpcnet_encoder_init(&st);
  for (int i = 0; i < nb_frames; i++)
    lpcnet_compute_single_frame_features_float(&st, pcm + i * FRAME_SIZE, features, arch);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SECONDS CLIP.raw\n", argv[0]);
    return 2;
  }
  double seconds = atof(argv[1]);
  long len;
  const short *s = (const short *)br_read_file(argv[2], &len);
  if (!s) return 1;
  nb_frames = (int)(len / 2 / FRAME_SIZE);
  pcm = malloc((size_t)nb_frames * FRAME_SIZE * sizeof(float));
  for (int i = 0; i < nb_frames * FRAME_SIZE; i++) pcm[i] = s[i];
  arch = opus_select_arch();
  double t = br_time(run_clip, NULL, seconds);
  printf("frame %.9f\n", t / nb_frames);
  printf("frames %d size %zu\n", nb_frames, sizeof(LPCNetEncState));
  return 0;
}
