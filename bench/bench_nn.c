/* Throughput of dredfx's fixed-point NN layers (dredfx_nn_linear_a15 on an int8 layer,
 * dredfx_nn_gru) at every CPU level this machine has and, built with -DBENCH_LIBOPUS and
 * bench_libopus_nn.c, of libopus 1.6.1's float layers of the same shapes, timed interleaved: the
 * implementations take turns, window by window, so that they share the machine's conditions.
 * Built by bench/bench_nn.py against libdredfx.a (include dirs c/include and c/src).
 *
 * usage: bench_nn SECONDS [--scalar-only] SPEC...   SPEC = dense:IN:OUT | sparse:IN:OUT | gru:IN:UNITS
 * prints one line per implementation and spec:
 *   "<dredfx level name | libopus> <kind> <in> <out> <macs per call> <seconds per call>"
 * --scalar-only: dredfx's scalar level only (against libopus' generic C build).
 * Layers are set up as the loader sets up the models' layers: weights whose adjacent pairs keep the
 * offset kernels' bound (as every libopus 1.6.1 layer does), their row sums and requantization
 * constants (dredfx_nn_requant_prep accepts these layers, as every model layer). A sparse layer
 * keeps every other 8x4 block (bench_libopus_nn.c uses the same pattern). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dredfx.h"
#include "nn/nn.h"
#if defined(BENCH_LIBOPUS)
#include "bench_libopus_nn.h"
#endif

/* Windows of about WINDOW seconds, each implementation in turn for SECONDS per implementation,
 * keeping each one's fastest: short windows that no other process interrupts give the same
 * figure on a loaded machine as on an idle one. */
#define WINDOW 1e-4
#define MAX_IMPLS 8

static unsigned rng_state = 12345;

static int rnd(int lo, int hi) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return lo + (int)((rng_state >> 8) % (unsigned)(hi - lo + 1));
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Block (row group g, column block b) kept in a sparse layer. */
static int block_kept(int g, int b) {
  return (g + b) % 2 == 0;
}

/* An int8 layer (sizes multiples of 8 x 4, as every model layer); scale 2^-12 per output. */
static dredfx_nn_linear make_layer(int in, int out, int sparse, long *macs) {
  dredfx_nn_linear l;
  int32_t *idx = NULL;
  int nw = in * out;
  if (sparse) {
    int k = 0;
    nw = 0;
    idx = malloc(sizeof(int32_t) * (size_t)(out / 8) * (size_t)(1 + in / 4));
    for (int g = 0; g < out / 8; g++) {
      int at = k++, n = 0;
      for (int b = 0; b < in / 4; b++)
        if (block_kept(g, b)) idx[k++] = 4 * b, n++;
      idx[at] = n;
      nw += 32 * n;
    }
  }
  *macs += nw;
  int8_t *w = malloc((size_t)nw);
  int32_t *mult = malloc(sizeof(int32_t) * out), *shift = malloc(sizeof(int32_t) * out);
  int32_t *bias = malloc(sizeof(int32_t) * out), *wsum = malloc(sizeof(int32_t) * out);
  for (int i = 0; i < nw; i += 2) {
    w[i] = (int8_t)rnd(-127, 127);
    w[i + 1] = (int8_t)(w[i] > 2 ? rnd(-127, 129 - w[i]) : w[i] < -2 ? rnd(-129 - w[i], 127) : rnd(-127, 127));
  }
  for (int i = 0; i < out; i++) {
    mult[i] = 1 << 30;
    shift[i] = 26;
    bias[i] = rnd(-65536, 65536);
  }
  memset(&l, 0, sizeof(l));
  l.nb_inputs = in;
  l.nb_outputs = out;
  l.w8 = w;
  l.idx = idx;
  if (dredfx_nn_i8_row_sums(wsum, w, idx, out, in)) l.wsum = wsum;
  l.mult = mult;
  l.shift = shift;
  l.bias = bias;
  int64_t *rq = malloc(sizeof(int64_t) * DREDFX_NN_RQ_LEN(out));
  if (dredfx_nn_requant_prep(rq, w, idx, out, in, mult, shift, bias, out)) l.rq = rq;
  else free(rq);
  return l;
}

static void free_layer(dredfx_nn_linear *l) {
  free((void *)l->w8);
  free((void *)l->idx);
  free((void *)l->wsum);
  free((void *)l->rq);
  free((void *)l->mult);
  free((void *)l->shift);
  free((void *)l->bias);
}

typedef struct {
  const char *name;
  const dredfx_nn_kernels *k; /* NULL: libopus */
  long calls;
  double best;
} impl;

typedef struct {
  dredfx_nn_linear l1, l2;
  int is_gru;
  int16_t in[DREDFX_NN_MAX_INPUTS], state[DREDFX_NN_MAX_OUTPUTS];
  int32_t out[DREDFX_NN_MAX_OUTPUTS];
#if defined(BENCH_LIBOPUS)
  bench_libopus *opus;
#endif
} layers;

static int run(layers *t, const impl *m, long calls) {
#if defined(BENCH_LIBOPUS)
  if (m->k == NULL) {
    bench_libopus_run(t->opus, calls);
    return 0;
  }
#endif
  for (long n = 0; n < calls; n++) {
    const int rc = t->is_gru ? dredfx_nn_gru(m->k, &t->l1, &t->l2, t->state, t->in)
                             : dredfx_nn_linear_a15(m->k, &t->l1, t->out, t->in);
    if (rc < 0) return rc;
  }
  return 0;
}

int main(int argc, char **argv) {
  static layers t;
  int a = 2, scalar_only = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s SECONDS [--scalar-only] dense:IN:OUT|sparse:IN:OUT|gru:IN:UNITS...\n", argv[0]);
    return 2;
  }
  const double target = atof(argv[1]);
  if (argc > 2 && strcmp(argv[2], "--scalar-only") == 0) scalar_only = 1, a++;
  impl impls[MAX_IMPLS];
  int nimpl = 0;
  for (int level = 0; level <= (scalar_only ? 0 : dredfx_cpu_max_level()) && nimpl < MAX_IMPLS - 1; level++)
    impls[nimpl++] = (impl){dredfx_cpu_level_name(level), dredfx_nn_kernels_for_level(level), 1, 1e30};
#if defined(BENCH_LIBOPUS)
  impls[nimpl++] = (impl){"libopus", NULL, 1, 1e30};
#endif
  for (int j = 0; j < DREDFX_NN_MAX_INPUTS; j++) t.in[j] = (int16_t)rnd(-32768, 32767);
  for (; a < argc; a++) {
    char kind[16];
    int nin, nout;
    if (sscanf(argv[a], "%15[a-z]:%d:%d", kind, &nin, &nout) != 3 || nin < 4 || nout < 8 || nin % 4 ||
        nout % 8 || nin > DREDFX_NN_MAX_INPUTS || 3 * nout > DREDFX_NN_MAX_OUTPUTS) {
      fprintf(stderr, "bad spec %s\n", argv[a]);
      return 2;
    }
    t.is_gru = strcmp(kind, "gru") == 0;
    long nmacs = 0;
    t.l1 = make_layer(nin, t.is_gru ? 3 * nout : nout, strcmp(kind, "sparse") == 0, &nmacs);
    t.l2 = t.is_gru ? make_layer(nout, 3 * nout, 0, &nmacs) : t.l1;
    const double macs = (double)nmacs;
#if defined(BENCH_LIBOPUS)
    double opus_macs = 0;
    t.opus = bench_libopus_new(kind, nin, nout, &opus_macs);
    if (t.opus == NULL || opus_macs != macs) {
      fprintf(stderr, "libopus cannot run %s like dredfx\n", argv[a]);
      return 2;
    }
#endif
    memset(t.state, 0, sizeof(t.state));
    /* Calls per window. Twice: a first call slowed by cold caches or page faults can end the first
     * pass at a count so small that the clock's own cost (a system call in a VM, about 0.25 us)
     * would dominate every window; the second pass runs warm. */
    for (int m = 0; m < nimpl; m++) {
      impls[m].best = 1e30;
      for (int pass = 0; pass < 2; pass++)
        for (impls[m].calls = 1;; impls[m].calls *= 2) {
          const double t0 = now();
          if (run(&t, &impls[m], impls[m].calls) < 0) return 1;
          if (now() - t0 > WINDOW) break;
        }
    }
    for (const double end = now() + target * nimpl; now() < end;)
      for (int m = 0; m < nimpl; m++) {
        const double t0 = now();
        run(&t, &impls[m], impls[m].calls);
        const double dt = (now() - t0) / (double)impls[m].calls;
        if (dt < impls[m].best) impls[m].best = dt;
      }
    for (int m = 0; m < nimpl; m++)
      printf("%s %s %d %d %.0f %.6e\n", impls[m].name, kind, nin, nout, macs, impls[m].best);
    free_layer(&t.l1);
    if (t.is_gru) free_layer(&t.l2);
#if defined(BENCH_LIBOPUS)
    bench_libopus_free(t.opus);
#endif
  }
  return 0;
}
