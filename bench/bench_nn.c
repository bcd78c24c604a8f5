/* Throughput of dredfx's fixed-point NN layers (dredfx_nn_linear_a15 on an int8 layer,
 * dredfx_nn_gru) at every CPU level this machine has. Built by bench/bench_nn.py against
 * libdredfx.a (include dirs c/include and c/src).
 *
 * usage: bench_nn SECONDS SPEC...   SPEC = dense:IN:OUT | sparse:IN:OUT | gru:IN:UNITS
 * prints one line per level and spec: "<level name> <kind> <in> <out> <macs per call> <seconds per call>"
 * Layers are set up as the loader sets up the models' layers: weights whose adjacent pairs keep the
 * offset kernels' bound (as every libopus 1.6.1 layer does) and their row sums. A sparse layer
 * keeps every other 8x4 block (bench_libopus_nn.c uses the same pattern). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dredfx.h"
#include "nn/nn.h"

#define K dredfx_nn_get_kernels()

#define REPEATS 25

static unsigned rng_state = 12345;

static int rnd(int lo, int hi) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return lo + (int)((rng_state >> 8) % (unsigned)(hi - lo + 1));
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
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
  return l;
}

static void free_layer(dredfx_nn_linear *l) {
  free((void *)l->w8);
  free((void *)l->idx);
  free((void *)l->wsum);
  free((void *)l->mult);
  free((void *)l->shift);
  free((void *)l->bias);
}

static int run(const dredfx_nn_linear *l1, const dredfx_nn_linear *l2, int is_gru, const int16_t *in,
               int16_t *state, int32_t *out) {
  return is_gru ? dredfx_nn_gru(K, l1, l2, state, in) : dredfx_nn_linear_a15(K, l1, out, in);
}

int main(int argc, char **argv) {
  static int16_t in[DREDFX_NN_MAX_INPUTS], state[DREDFX_NN_MAX_OUTPUTS];
  static int32_t out[DREDFX_NN_MAX_OUTPUTS];
  if (argc < 2) {
    fprintf(stderr, "usage: %s SECONDS dense:IN:OUT|gru:IN:UNITS...\n", argv[0]);
    return 2;
  }
  const double target = atof(argv[1]);
  const int max_level = dredfx_cpu_max_level();
  for (int j = 0; j < DREDFX_NN_MAX_INPUTS; j++) in[j] = (int16_t)rnd(-32768, 32767);
  for (int a = 2; a < argc; a++) {
    char kind[16];
    int nin, nout;
    if (sscanf(argv[a], "%15[a-z]:%d:%d", kind, &nin, &nout) != 3 || nin < 4 || nout < 8 || nin % 4 ||
        nout % 8 || nin > DREDFX_NN_MAX_INPUTS || 3 * nout > DREDFX_NN_MAX_OUTPUTS) {
      fprintf(stderr, "bad spec %s\n", argv[a]);
      return 2;
    }
    const int is_gru = strcmp(kind, "gru") == 0;
    long nmacs = 0;
    dredfx_nn_linear l1 = make_layer(nin, is_gru ? 3 * nout : nout, strcmp(kind, "sparse") == 0, &nmacs);
    dredfx_nn_linear l2 = is_gru ? make_layer(nout, 3 * nout, 0, &nmacs) : l1;
    const double macs = (double)nmacs;
    for (int level = 0; level <= max_level; level++) {
      long calls = 1;
      double best = 1e30;
      if (dredfx_cpu_set_level(level) < 0) return 1;
      memset(state, 0, sizeof(state));
      for (;;) {
        const double t0 = now();
        for (long n = 0; n < calls; n++)
          if (run(&l1, &l2, is_gru, in, state, out) < 0) return 1;
        if (now() - t0 > target / REPEATS / 4) break;
        calls *= 4;
      }
      for (int r = 0; r < REPEATS; r++) {
        const double t0 = now();
        for (long n = 0; n < calls; n++) run(&l1, &l2, is_gru, in, state, out);
        const double dt = (now() - t0) / calls;
        if (dt < best) best = dt;
      }
      printf("%s %s %d %d %.0f %.6e %ld\n", dredfx_cpu_level_name(level), kind, nin, nout, macs, best,
             (long)out[0] + state[0]);
    }
    free_layer(&l1);
    if (is_gru) free_layer(&l2);
  }
  return 0;
}
