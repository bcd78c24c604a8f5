/* Throughput of libopus 1.6.1's float NN primitives (compute_linear with int8 weights,
 * compute_generic_gru) on the DRED model sizes. Built by bench/bench_nn.py against a libopus
 * build folder (its config.h and libopus.a) and the libopus source tree (internal headers).
 *
 * usage: bench_libopus_nn SECONDS SPEC...   SPEC = dense:IN:OUT | sparse:IN:OUT | gru:IN:UNITS
 * prints one line per spec: "<kind> <in> <out> <macs per call> <seconds per call>"
 * A sparse layer keeps every other 8x4 block, the pattern of bench_nn.c. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cpu_support.h"
#include "nnet.h"

#define REPEATS 25

static unsigned rng_state = 12345;

static int rnd(int lo, int hi)
{
   rng_state = rng_state * 1664525u + 1013904223u;
   return lo + (int)((rng_state >> 8) % (unsigned)(hi - lo + 1));
}

static double now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* An int8 layer; weights in [-64, 64] so x86 maddubs pair sums never saturate. */
static LinearLayer make_layer(int in, int out, int sparse, long *macs)
{
   LinearLayer l;
   int *idx = NULL;
   int nw = in * out, i;
   opus_int8 *w;
   float *scale = malloc(sizeof(float) * out), *bias = malloc(sizeof(float) * out);
   float *subias = malloc(sizeof(float) * out);
   if (sparse) {
      int g, b, k = 0;
      nw = 0;
      idx = malloc(sizeof(int) * (size_t)(out / 8) * (size_t)(1 + in / 4));
      for (g = 0; g < out / 8; g++) {
         int at = k++, n = 0;
         for (b = 0; b < in / 4; b++)
            if ((g + b) % 2 == 0) idx[k++] = 4 * b, n++;
         idx[at] = n;
         nw += 32 * n;
      }
   }
   *macs += nw;
   w = malloc((size_t)nw);
   for (i = 0; i < nw; i++) w[i] = (opus_int8)rnd(-64, 64);
   for (i = 0; i < out; i++) {
      scale[i] = 1.f / 4096;
      bias[i] = subias[i] = rnd(-100, 100) / 100.f;
   }
   memset(&l, 0, sizeof(l));
   l.weights = w;
   l.weights_idx = idx;
   l.scale = scale;
   l.bias = bias;
   l.subias = subias;
   l.nb_inputs = in;
   l.nb_outputs = out;
   return l;
}

static void free_layer(LinearLayer *l)
{
   free((void *)l->weights);
   free((void *)l->weights_idx);
   free((void *)l->scale);
   free((void *)l->bias);
   free((void *)l->subias);
}

int main(int argc, char **argv)
{
   int arch = opus_select_arch();
   double target;
   int a;
   static float in[4096], out[4096], state[1024];
   if (argc < 2) {
      fprintf(stderr, "usage: %s SECONDS dense:IN:OUT|gru:IN:UNITS...\n", argv[0]);
      return 2;
   }
   target = atof(argv[1]);
   for (a = 0; a < 4096; a++) in[a] = rnd(-1000, 1000) / 1000.f;
   for (a = 2; a < argc; a++) {
      char kind[16];
      int nin, nout, r;
      long n, calls = 1, nmacs = 0;
      double best = 1e30, macs;
      LinearLayer l1, l2;
      int is_gru;
      if (sscanf(argv[a], "%15[a-z]:%d:%d", kind, &nin, &nout) != 3 || nin > 1024 || nout > 1024) {
         fprintf(stderr, "bad spec %s\n", argv[a]);
         return 2;
      }
      is_gru = strcmp(kind, "gru") == 0;
      l1 = make_layer(nin, is_gru ? 3 * nout : nout, strcmp(kind, "sparse") == 0, &nmacs);
      l2 = is_gru ? make_layer(nout, 3 * nout, 0, &nmacs) : l1;
      macs = (double)nmacs;
      memset(state, 0, sizeof(state));
      /* calibrate the call count to about target/REPEATS seconds, then keep the best repeat */
      for (;;) {
         double t0 = now(), dt;
         for (n = 0; n < calls; n++) {
            if (is_gru) compute_generic_gru(&l1, &l2, state, in, arch);
            else compute_linear(&l1, out, in, arch);
         }
         dt = now() - t0;
         if (dt > target / REPEATS / 4) break;
         calls *= 4;
      }
      for (r = 0; r < REPEATS; r++) {
         double t0 = now(), dt;
         for (n = 0; n < calls; n++) {
            if (is_gru) compute_generic_gru(&l1, &l2, state, in, arch);
            else compute_linear(&l1, out, in, arch);
         }
         dt = (now() - t0) / calls;
         if (dt < best) best = dt;
      }
      printf("%s %d %d %.0f %.6e %g\n", kind, nin, nout, macs, best, out[0] + state[0]);
      free_layer(&l1);
      if (is_gru) free_layer(&l2);
   }
   return 0;
}
