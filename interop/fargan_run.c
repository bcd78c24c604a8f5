/* fargan_run: libopus 1.6.1's own FARGAN (dnn/fargan.c, built-in weights) on runs of the dredfx
 * conformance vectors' fargan op (docs/conformance.md, layer 2), so that libopus' builds can be
 * measured against the vectors' expected PCM. Compiled by tests/test_vectors.py against a libopus
 * 1.6.1 build in the cache folder (never part of libdredfx).
 *
 *   fargan_run < runs.bin > pcm.s16
 *
 * Input, little-endian, one run after another: int32 n, int16 pcm[320] (the past output), float
 * features[5][20] (fargan_cont), float features[n][20]; output: n * 160 int16 samples a run
 * (fargan_synthesize_int). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>

#include "fargan.h"
#include "lpcnet.h"

int main(void) {
  static FARGANState st;
  opus_int32 n;
  while (fread(&n, sizeof(n), 1, stdin) == 1) {
    opus_int16 pcm16[FARGAN_CONT_SAMPLES], out[LPCNET_FRAME_SIZE];
    float pcm[FARGAN_CONT_SAMPLES], cont[5 * NB_FEATURES], f[NB_FEATURES];
    int i;
    if (n < 0 || fread(pcm16, sizeof(pcm16), 1, stdin) != 1 || fread(cont, sizeof(cont), 1, stdin) != 1)
      return 1;
    for (i = 0; i < FARGAN_CONT_SAMPLES; i++)
      pcm[i] = pcm16[i] * (1.f / 32768);
    fargan_init(&st);
    fargan_cont(&st, pcm, cont);
    for (i = 0; i < n; i++) {
      if (fread(f, sizeof(f), 1, stdin) != 1)
        return 1;
      fargan_synthesize_int(&st, out, f);
      fwrite(out, sizeof(out), 1, stdout);
    }
  }
  return 0;
}
