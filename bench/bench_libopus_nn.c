/* libopus 1.6.1's float NN primitives (compute_linear with int8 weights, compute_generic_gru) for
 * bench/bench_nn.c, which times them interleaved with dredfx's layers. Compiled by
 * bench/bench_nn.py against a libopus build folder (its config.h and libopus.a) and the libopus
 * source tree (internal headers); interface: bench_libopus_nn.h.
 * A sparse layer keeps every other 8x4 block, the pattern of bench_nn.c. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>
#include <string.h>
#include "cpu_support.h"
#include "nnet.h"
#include "bench_libopus_nn.h"

static unsigned rng_state = 12345;

static int rnd(int lo, int hi)
{
   rng_state = rng_state * 1664525u + 1013904223u;
   return lo + (int)((rng_state >> 8) % (unsigned)(hi - lo + 1));
}

/* 64-byte aligned arrays, as bench_nn.c's (see there). */
static void *alloc64(size_t n)
{
   void *p = aligned_alloc(64, (n + 63) / 64 * 64);
   if (p == NULL) abort();
   return p;
}

/* An int8 layer; weights in [-64, 64] so x86 maddubs pair sums never saturate. */
static LinearLayer make_layer(int in, int out, int sparse, long *macs)
{
   LinearLayer l;
   int *idx = NULL;
   int nw = in * out, i;
   opus_int8 *w;
   float *scale = alloc64(sizeof(float) * out), *bias = alloc64(sizeof(float) * out);
   float *subias = alloc64(sizeof(float) * out);
   if (sparse) {
      int g, b, k = 0;
      nw = 0;
      idx = alloc64(sizeof(int) * (size_t)(out / 8) * (size_t)(1 + in / 4));
      for (g = 0; g < out / 8; g++) {
         int at = k++, n = 0;
         for (b = 0; b < in / 4; b++)
            if ((g + b) % 2 == 0) idx[k++] = 4 * b, n++;
         idx[at] = n;
         nw += 32 * n;
      }
   }
   *macs += nw;
   w = alloc64((size_t)nw);
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

struct bench_libopus {
   LinearLayer l1, l2;
   int is_gru, arch;
   float in[1024], out[1024], state[1024];
};

bench_libopus *bench_libopus_new(const char *kind, int nin, int nout, double *macs)
{
   bench_libopus *b;
   long nmacs = 0;
   int i, is_gru = strcmp(kind, "gru") == 0;
   if (nin > 1024 || (is_gru ? 3 * nout : nout) > 1024) return NULL;
   b = memset(alloc64(sizeof(*b)), 0, sizeof(*b));
   b->arch = opus_select_arch();
   b->is_gru = is_gru;
   for (i = 0; i < 1024; i++) b->in[i] = rnd(-1000, 1000) / 1000.f;
   b->l1 = make_layer(nin, b->is_gru ? 3 * nout : nout, strcmp(kind, "sparse") == 0, &nmacs);
   if (b->is_gru) b->l2 = make_layer(nout, 3 * nout, 0, &nmacs);
   *macs = (double)nmacs;
   return b;
}

void bench_libopus_run(bench_libopus *b, long calls)
{
   long n;
   for (n = 0; n < calls; n++) {
      if (b->is_gru) compute_generic_gru(&b->l1, &b->l2, b->state, b->in, b->arch);
      else compute_linear(&b->l1, b->out, b->in, b->arch);
   }
}

void bench_libopus_free(bench_libopus *b)
{
   free_layer(&b->l1);
   if (b->is_gru) free_layer(&b->l2);
   free(b);
}
