/* Time of libopus 1.6.1's opus_dred_parse with deferred processing (the entropy decoding of the
 * DRED payload, no RDO-VAE decoder), from its public API (include/opus.h). Built by
 * bench/bench_dred.py against a libopus build folder (libopus.a) and the libopus source tree.
 *
 * usage: bench_libopus_dred SECONDS MAX_DRED_SAMPLES SAMPLING_RATE PACKETS.bit
 *   PACKETS.bit: an opus_demo -e style file (4-byte big-endian length, 4-byte range, packet).
 * prints "<packets> <seconds per opus_dred_parse call>", best of REPEATS runs. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "opus.h"

#define REPEATS 5
#define MAX_PACKETS 100000

static double now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static unsigned be32(const unsigned char *p)
{
   return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

int main(int argc, char **argv)
{
   if (argc != 5) {
      fprintf(stderr, "usage: %s SECONDS MAX_DRED_SAMPLES SAMPLING_RATE PACKETS.bit\n", argv[0]);
      return 2;
   }
   double seconds = atof(argv[1]);
   opus_int32 max_samples = atoi(argv[2]), fs = atoi(argv[3]);
   FILE *f = fopen(argv[4], "rb");
   if (!f) { perror(argv[4]); return 1; }
   static unsigned char *pkt[MAX_PACKETS];
   static int len[MAX_PACKETS];
   int n = 0;
   unsigned char hdr[8];
   while (n < MAX_PACKETS && fread(hdr, 1, 8, f) == 8) {
      len[n] = (int)be32(hdr);
      pkt[n] = malloc(len[n] ? len[n] : 1);
      if (!pkt[n] || fread(pkt[n], 1, len[n], f) != (size_t)len[n]) { fprintf(stderr, "truncated\n"); return 1; }
      n++;
   }
   fclose(f);
   if (n == 0) { fprintf(stderr, "no packets\n"); return 1; }
   int err;
   OpusDREDDecoder *dd = opus_dred_decoder_create(&err);
   OpusDRED *dred = opus_dred_alloc(&err);
   if (!dd || !dred) { fprintf(stderr, "opus_dred_*: %s\n", opus_strerror(err)); return 1; }
   for (int i = 0; i < n; i++) {
      int dred_end, ret = opus_dred_parse(dd, dred, pkt[i], len[i], max_samples, fs, &dred_end, 1);
      if (ret <= 0) { fprintf(stderr, "packet %d: no DRED (%d)\n", i, ret); return 1; }
   }
   double best = 1e30;
   for (int r = 0; r < REPEATS; r++) {
      long calls = 0;
      double t0 = now(), t;
      do {
         for (int i = 0; i < n; i++) {
            int dred_end;
            opus_dred_parse(dd, dred, pkt[i], len[i], max_samples, fs, &dred_end, 1);
         }
         calls += n;
         t = now() - t0;
      } while (t < seconds);
      if (t / calls < best) best = t / calls;
   }
   printf("%d %.9f\n", n, best);
   opus_dred_free(dred);
   opus_dred_decoder_destroy(dd);
   return 0;
}
