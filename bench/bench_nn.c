/* Throughput of dredfx's fixed-point NN layers (dredfx_nn_linear_a15 on an int8 layer,
 * dredfx_nn_gru) at every CPU level this machine has and, built with -DBENCH_LIBOPUS and
 * bench_libopus_nn.c, of libopus 1.6.1's float layers of the same shapes, timed interleaved: the
 * implementations take turns, window by window, so that they share the machine's conditions.
 * Built by bench/bench_nn.py against libdredfx.a (include dirs c/include and c/src).
 *
 * usage: bench_nn SECONDS [--scalar-only] SPEC...   SPEC = dense:IN:OUT | sparse:IN:OUT | gru:IN:UNITS
 * prints one line per implementation and spec:
 *   "<dredfx level name | libopus | libopus-aa> <kind> <in> <out> <macs per call> <seconds per call>
 *    <speed ratio to libopus>"
 * seconds per call: the fastest window. Speed ratio: the median over the rounds (one window of
 * each implementation, back to back) of libopus' time in the round over this implementation's,
 * a paired measure that a slow stretch of the machine moves little, since it slows both windows of
 * a round; "-" without libopus. libopus-aa is a second libopus layer of the same shape (its own
 * weights and buffers, the same code), timed like the others: its ratio, 1 in theory, shows the
 * method's noise floor in the same run.
 * --scalar-only: dredfx's scalar level only (against libopus' generic C build).
 * Layers are set up as the loader sets up the models' layers: weights whose adjacent pairs keep the
 * offset kernels' bound (as every libopus 1.6.1 layer does), their row sums and requantization
 * constants (dredfx_nn_requant_prep accepts these layers in the layer-wide form, as every model layer), and a sparse
 * layer's byte-form index where dredfx_nn_sparse_idx8 accepts it. A sparse layer keeps every other 8x4 block
 * (bench_libopus_nn.c uses the same pattern). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dredfx.h"
#include "nn/nn.h"
#if defined(BENCH_LIBOPUS)
#include "bench_libopus_nn.h"
#endif

/* Rounds of windows of about WINDOW seconds, each implementation in turn, for SECONDS per
 * implementation: each one's fastest window (short windows that no other process interrupts give
 * the same figure on a loaded machine as on an idle one) and the paired ratios of the rounds. */
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

/* Every array of a layer and its buffers starts on a 64-byte line, in both programs (bench_libopus_nn.c
 * the same), as weights in use (libopus' blob is made of 64-byte blocks, WEIGHT_BLOCK_SIZE; dredfx's
 * records start at 64-byte offsets): with malloc's 16-byte alignment two libopus copies of one
 * layer differed by up to 20 % (the A/A control: 0.82x-0.84x at 272->480, 240->384 and 128->576,
 * 1.20x in a run with other allocations), within 3 % once aligned. */
static void *alloc64(size_t n) {
  void *p = aligned_alloc(64, (n + 63) / 64 * 64);
  if (p == NULL) abort();
  return p;
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
    idx = alloc64(sizeof(int32_t) * (size_t)(out / 8) * (size_t)(1 + in / 4));
    for (int g = 0; g < out / 8; g++) {
      int at = k++, n = 0;
      for (int b = 0; b < in / 4; b++)
        if (block_kept(g, b)) idx[k++] = 4 * b, n++;
      idx[at] = n;
      nw += 32 * n;
    }
  }
  *macs += nw;
  int8_t *w = alloc64((size_t)nw);
  int32_t *mult = alloc64(sizeof(int32_t) * out), *shift = alloc64(sizeof(int32_t) * out);
  int32_t *bias = alloc64(sizeof(int32_t) * out), *wsum = alloc64(sizeof(int32_t) * out);
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
  int64_t *rq = alloc64(sizeof(int64_t) * DREDFX_NN_RQ_LEN(out));
  const int form = dredfx_nn_requant_prep(rq, w, idx, out, in, mult, shift, bias, out);
  if (form) l.rq = rq;
  else free(rq);
  l.rq_hi = form == 2 && l.wsum != NULL; /* as dredfx_nn_linear_prepare */
  if (sparse) { /* as dredfx_nn_linear_prepare_from */
    const int cap = out / 8 + nw / 32;
    uint8_t *idx8 = alloc64((size_t)cap);
    if (dredfx_nn_sparse_idx8(idx8, cap, idx, out) > 0)
      l.idx8 = idx8;
    else
      free(idx8);
  }
  return l;
}

static void free_layer(dredfx_nn_linear *l) {
  free((void *)l->w8);
  free((void *)l->idx);
  free((void *)l->wsum);
  free((void *)l->rq);
  free((void *)l->idx8);
  free((void *)l->mult);
  free((void *)l->shift);
  free((void *)l->bias);
}

typedef struct {
  const char *name;
  const dredfx_nn_kernels *k; /* NULL: libopus */
  int opus;                   /* libopus: which of its two layers (0, or 1 for the A/A control) */
  long calls;
  double best;
  double *round; /* seconds per call in each round */
} impl;

/* Each implementation has NPLACE copies of its layer and buffers (own allocations) and uses one at
 * a time: the measuring time is cut into NPLACE spans, copy p in span p. Beyond its alignment
 * (alloc64), where a copy falls in memory (4 KiB aliasing between its loads and stores, cache sets)
 * still moves its speed: one dredfx copy of 64->64 read 1.07x libopus at AVX2 in one run and 8
 * copies 0.92x in another, so every figure averages over NPLACE placements; one copy at a time keeps
 * the working set of a one-copy run (4 copies used round by round put 4 layers per implementation
 * in the caches at once). */
#define NPLACE 8

typedef struct {
  dredfx_nn_linear l1, l2;
  int16_t *in, *state;
  int32_t *out;
} dredfx_copy;

typedef struct {
  dredfx_copy d[NPLACE];
  int is_gru, place;
#if defined(BENCH_LIBOPUS)
  bench_libopus *opus[2][NPLACE];
#endif
} layers;

static int run(layers *t, const impl *m, long calls) {
#if defined(BENCH_LIBOPUS)
  if (m->k == NULL) {
    bench_libopus_run(t->opus[m->opus][t->place], calls);
    return 0;
  }
#endif
  dredfx_copy *c = &t->d[t->place];
  for (long n = 0; n < calls; n++) {
    const int rc = t->is_gru ? dredfx_nn_gru(m->k, &c->l1, &c->l2, c->state, c->in)
                             : dredfx_nn_linear_a15(m->k, &c->l1, c->out, c->in);
    if (rc < 0) return rc;
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median over the rounds of ref's time over m's. */
static double paired_ratio(const impl *m, const impl *ref, long rounds, double *tmp) {
  for (long r = 0; r < rounds; r++) tmp[r] = ref->round[r] / m->round[r];
  qsort(tmp, (size_t)rounds, sizeof(*tmp), cmp_double);
  return rounds % 2 ? tmp[rounds / 2] : 0.5 * (tmp[rounds / 2 - 1] + tmp[rounds / 2]);
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
  for (int level = 0; level <= (scalar_only ? 0 : dredfx_cpu_max_level()) && nimpl < MAX_IMPLS - 2; level++)
    impls[nimpl++] = (impl){dredfx_cpu_level_name(level), dredfx_nn_kernels_for_level(level), 0, 1, 1e30, NULL};
  int ref = -1;
#if defined(BENCH_LIBOPUS)
  ref = nimpl;
  impls[nimpl++] = (impl){"libopus", NULL, 0, 1, 1e30, NULL};
  impls[nimpl++] = (impl){"libopus-aa", NULL, 1, 1, 1e30, NULL};
#endif
  /* about target / WINDOW rounds; room for 4 times that */
  const long max_rounds = (long)(4 * target / WINDOW) + 16;
  double *tmp = malloc(sizeof(double) * (size_t)max_rounds);
  for (int m = 0; m < nimpl; m++) impls[m].round = malloc(sizeof(double) * (size_t)max_rounds);
  if (tmp == NULL || impls[nimpl - 1].round == NULL) return 1;
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
    for (int p = 0; p < NPLACE; p++) {
      dredfx_copy *c = &t.d[p];
      nmacs = 0;
      c->l1 = make_layer(nin, t.is_gru ? 3 * nout : nout, strcmp(kind, "sparse") == 0, &nmacs);
      c->l2 = t.is_gru ? make_layer(nout, 3 * nout, 0, &nmacs) : c->l1;
      c->in = alloc64(sizeof(int16_t) * DREDFX_NN_MAX_INPUTS);
      c->state = memset(alloc64(sizeof(int16_t) * DREDFX_NN_MAX_OUTPUTS), 0, sizeof(int16_t) * DREDFX_NN_MAX_OUTPUTS);
      c->out = alloc64(sizeof(int32_t) * DREDFX_NN_MAX_OUTPUTS);
      if (c->in == NULL || c->state == NULL || c->out == NULL) return 1;
      for (int j = 0; j < DREDFX_NN_MAX_INPUTS; j++) c->in[j] = (int16_t)rnd(-32768, 32767);
    }
    const double macs = (double)nmacs;
#if defined(BENCH_LIBOPUS)
    for (int p = 0; p < NPLACE; p++)
      for (int c = 0; c < 2; c++) {
        double opus_macs = 0;
        t.opus[c][p] = bench_libopus_new(kind, nin, nout, &opus_macs);
        if (t.opus[c][p] == NULL || opus_macs != macs) {
          fprintf(stderr, "libopus cannot run %s like dredfx\n", argv[a]);
          return 2;
        }
      }
#endif
    t.place = 0;
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
    long rounds = 0;
    /* Each round runs the implementations in a new random order, so that each one follows each
     * other one about equally often: what ran before can leave the caches, predictors or clock in
     * its favour or not (with a fixed cyclic order, a second libopus layer timed right after the
     * first ran up to 20 % slower than it on the largest layers). */
    const double span = target * nimpl, start = now();
    int order[MAX_IMPLS];
    for (int m = 0; m < nimpl; m++) order[m] = m;
    for (double t1 = start; t1 < start + span && rounds < max_rounds; rounds++, t1 = now()) {
      t.place = (int)((t1 - start) / span * NPLACE);
      for (int k = nimpl - 1; k > 0; k--) {
        const int j = rnd(0, k), o = order[k];
        order[k] = order[j];
        order[j] = o;
      }
      for (int k = 0; k < nimpl; k++) {
        const int m = order[k];
        const double t0 = now();
        run(&t, &impls[m], impls[m].calls);
        const double dt = (now() - t0) / (double)impls[m].calls;
        impls[m].round[rounds] = dt;
        if (dt < impls[m].best) impls[m].best = dt;
      }
    }
    for (int m = 0; m < nimpl; m++) {
      printf("%s %s %d %d %.0f %.6e ", impls[m].name, kind, nin, nout, macs, impls[m].best);
      if (ref >= 0)
        printf("%.4f\n", paired_ratio(&impls[m], &impls[ref], rounds, tmp));
      else
        printf("-\n");
    }
    for (int p = 0; p < NPLACE; p++) {
      free_layer(&t.d[p].l1);
      if (t.is_gru) free_layer(&t.d[p].l2);
      free(t.d[p].in);
      free(t.d[p].state);
      free(t.d[p].out);
#if defined(BENCH_LIBOPUS)
      bench_libopus_free(t.opus[0][p]);
      bench_libopus_free(t.opus[1][p]);
#endif
    }
  }
  return 0;
}
