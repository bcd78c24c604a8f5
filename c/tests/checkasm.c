/* checkasm: every kernel of every available CPU level against the scalar specification.
 *
 *   checkasm [--cases N] [--seed S] [--bench]
 *
 * Per kernel, N random cases (default 100000, fixed-seed PRNG) plus extreme cases: full-scale
 * weights and inputs of both signs, alternating signs, minimal sizes, the models' layer sizes.
 * Results must be equal, integer for integer. Buffers are allocated at their exact size so that
 * sanitizer builds catch any read or write outside them. --bench prints MAC/s per level.
 * Levels tested: all up to the one in use (DREDFX_CPU=... caps it, as for the library). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#define MAX_LEVELS 3
#define CANARY 0x5a5a5a5a

static uint64_t rng_state;

static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int rng_int(int lo, int hi) { /* inclusive */
  return lo + (int)(rng_next() % (uint64_t)(hi - lo + 1));
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "checkasm: out of memory\n");
    exit(2);
  }
  return p;
}

/* Value patterns for int8 data. */
enum { FILL_RANDOM, FILL_ACTIVATION, FILL_SMALL, FILL_EXTREME, FILL_NB };

static void fill_i8(int8_t *v, size_t n, int mode) {
  size_t i = 0;
  while (i < n) {
    uint64_t r = rng_next();
    for (int k = 0; k < 8 && i < n; k++, i++, r >>= 8) {
      int b = (int8_t)(r & 0xff);
      switch (mode) {
        case FILL_ACTIVATION: v[i] = (int8_t)(b == -128 ? -127 : b); break;
        case FILL_SMALL: v[i] = (int8_t)(b % 4); break;
        case FILL_EXTREME: v[i] = (int8_t)(b & 1 ? 127 : -128); break;
        default: v[i] = (int8_t)b; break;
      }
    }
  }
}

static void fill_const_i8(int8_t *v, size_t n, int a, int b) { /* a, b alternating */
  for (size_t i = 0; i < n; i++) v[i] = (int8_t)(i & 1 ? b : a);
}

typedef struct {
  const char *name;
  long cases[MAX_LEVELS], failed[MAX_LEVELS];
} stats;

static const dredfx_nn_kernels *levels[MAX_LEVELS];
static int nb_levels;
static int verbose_failures = 10;

static void report_mismatch(const char *kernel, int level, int rows, int cols, int i, int64_t want, int64_t got) {
  if (verbose_failures-- > 0)
    fprintf(stderr, "MISMATCH %s level %s rows %d cols %d: out[%d] = %" PRId64 ", scalar %" PRId64 "\n", kernel,
            dredfx_cpu_level_name(level), rows, cols, i, got, want);
}

/* Element i of an int32 (wide = 0) or int64 (wide = 1) output array. */
static int64_t elem(const void *a, int i, int wide) {
  return wide ? ((const int64_t *)a)[i] : ((const int32_t *)a)[i];
}

/* One case of one level: its rows outputs against the scalar ones (the first mismatch is
 * reported) and the canary just after them; counted in st. */
static void tally(stats *st, const char *kernel, int l, int rows, int cols, const void *ref, const void *out,
                  int wide) {
  int bad = elem(out, rows, wide) != CANARY;
  for (int i = 0; i < rows; i++)
    if (elem(out, i, wide) != elem(ref, i, wide)) {
      report_mismatch(kernel, l, rows, cols, i, elem(ref, i, wide), elem(out, i, wide));
      bad = 1;
      break;
    }
  st->cases[l]++;
  st->failed[l] += bad;
}

/* ------------------------------------------------------------------ dense_i8 */
static void check_dense_i8(stats *st, const int8_t *w, const int8_t *x, int rows, int cols) {
  int32_t *ref = xmalloc(sizeof(int32_t) * (size_t)rows);
  int32_t *out = xmalloc(sizeof(int32_t) * ((size_t)rows + 1));
  levels[0]->dense_i8(ref, w, x, rows, cols);
  for (int l = 1; l < nb_levels; l++) {
    out[rows] = CANARY;
    levels[l]->dense_i8(out, w, x, rows, cols);
    tally(st, "dense_i8", l, rows, cols, ref, out, 0);
  }
  free(ref);
  free(out);
}

static void dense_i8_case(stats *st, int rows, int cols, int wmode, int xmode) {
  int8_t *w = xmalloc((size_t)rows * cols), *x = xmalloc((size_t)cols);
  fill_i8(w, (size_t)rows * cols, wmode);
  fill_i8(x, (size_t)cols, xmode);
  check_dense_i8(st, w, x, rows, cols);
  free(w);
  free(x);
}

static void dense_i8_const_case(stats *st, int rows, int cols, int wa, int wb, int xa, int xb) {
  int8_t *w = xmalloc((size_t)rows * cols), *x = xmalloc((size_t)cols);
  fill_const_i8(w, (size_t)rows * cols, wa, wb);
  fill_const_i8(x, (size_t)cols, xa, xb);
  check_dense_i8(st, w, x, rows, cols);
  free(w);
  free(x);
}

/* Layer sizes of the models (outputs x inputs, padded), both orientations. */
static const int model_sizes[][2] = {{64, 96}, {96, 160}, {32, 544}, {320, 128}, {80, 576}, {192, 96},
                                     {128, 544}, {96, 64}, {160, 96}, {544, 32}, {128, 320}, {576, 80},
                                     {56, 128}, {96, 28}, {192, 64}, {64, 288}, {32, 64}, {8, 4}};
#define NB_MODEL_SIZES ((int)(sizeof(model_sizes) / sizeof(model_sizes[0])))

static const int extremes_i8[][4] = {{-128, -128, -128, -128}, {127, 127, 127, 127}, {-128, -128, 127, 127},
                                     {127, 127, -128, -128},   {-128, 127, -128, 127}, {-128, 127, 127, -128},
                                     {127, -128, -128, 127},   {0, 0, 0, 0}};
#define NB_EXTREMES_I8 ((int)(sizeof(extremes_i8) / sizeof(extremes_i8[0])))
static const int extreme_sizes[][2] = {{8, 4}, {8, 8}, {16, 4}, {8, 1024}, {1024, 4}, {1024, 1024}, {40, 36}};
#define NB_EXTREME_SIZES ((int)(sizeof(extreme_sizes) / sizeof(extreme_sizes[0])))

/* Mostly small layers (fast), one in 128 drawn over the whole range, one in 64 a model size. */
static void random_block_size(long c, int *rows, int *cols) {
  if (c % 64 == 0) {
    const int *s = model_sizes[(c / 64) % NB_MODEL_SIZES];
    *rows = s[0];
    *cols = s[1];
  } else if (rng_next() % 128 == 0) {
    *rows = 8 * rng_int(1, 128);
    *cols = 4 * rng_int(1, 256);
  } else {
    *rows = 8 * rng_int(1, 8);
    *cols = 4 * rng_int(1, 32);
  }
}

static void run_dense_i8(stats *st, long ncases) {
  long done = 0;
  for (int s = 0; s < NB_EXTREME_SIZES; s++)
    for (int e = 0; e < NB_EXTREMES_I8; e++, done++) {
      const int *v = extremes_i8[e];
      dense_i8_const_case(st, extreme_sizes[s][0], extreme_sizes[s][1], v[0], v[1], v[2], v[3]);
    }
  for (long c = done; c < ncases; c++) {
    int rows, cols;
    random_block_size(c, &rows, &cols);
    dense_i8_case(st, rows, cols, (int)(rng_next() % FILL_NB), (int)(rng_next() % FILL_NB));
  }
}

/* ------------------------------------------------------------------ sparse_i8 */
/* Random sparse pattern: per group of 8 rows, each 4-column block kept with probability
 * density/8; positions usually aligned and increasing, sometimes any column (the format allows
 * any position p <= cols - 4, repeated or unordered). Returns the block count; idx gets the index. */
static int make_pattern(int32_t *idx, int rows, int cols, int density, int any_pos) {
  int k = 0, blocks = 0;
  for (int i = 0; i < rows; i += 8) {
    int n_at = k++, n = 0;
    if (any_pos) {
      n = rng_int(0, cols / 4);
      for (int b = 0; b < n; b++) idx[k++] = rng_int(0, cols - 4);
    } else {
      for (int j = 0; j < cols; j += 4)
        if ((int)(rng_next() % 8) < density) {
          idx[k++] = j;
          n++;
        }
    }
    idx[n_at] = n;
    blocks += n;
  }
  return blocks;
}

static void check_sparse_i8(stats *st, const int8_t *w, const int32_t *idx, const int8_t *x, int rows, int cols) {
  int32_t *ref = xmalloc(sizeof(int32_t) * (size_t)rows);
  int32_t *out = xmalloc(sizeof(int32_t) * ((size_t)rows + 1));
  levels[0]->sparse_i8(ref, w, idx, x, rows);
  for (int l = 1; l < nb_levels; l++) {
    out[rows] = CANARY;
    levels[l]->sparse_i8(out, w, idx, x, rows);
    tally(st, "sparse_i8", l, rows, cols, ref, out, 0);
  }
  free(ref);
  free(out);
}

static void sparse_i8_case(stats *st, int rows, int cols, int density, int any_pos, const int *cst) {
  int32_t *tmp = xmalloc(sizeof(int32_t) * ((size_t)rows / 8 * (1 + (size_t)cols / 4)));
  int blocks = make_pattern(tmp, rows, cols, density, any_pos);
  size_t idx_len = (size_t)rows / 8 + (size_t)blocks;
  int32_t *idx = xmalloc(sizeof(int32_t) * idx_len);
  memcpy(idx, tmp, sizeof(int32_t) * idx_len);
  free(tmp);
  if (dredfx_nn_sparse_check(idx, idx_len, (size_t)blocks * 32, rows, cols) != blocks) {
    fprintf(stderr, "checkasm: sparse pattern rejected by dredfx_nn_sparse_check\n");
    exit(2);
  }
  int8_t *w = xmalloc((size_t)blocks * 32), *x = xmalloc((size_t)cols);
  if (cst) {
    fill_const_i8(w, (size_t)blocks * 32, cst[0], cst[1]);
    fill_const_i8(x, (size_t)cols, cst[2], cst[3]);
  } else {
    fill_i8(w, (size_t)blocks * 32, (int)(rng_next() % FILL_NB));
    fill_i8(x, (size_t)cols, (int)(rng_next() % FILL_NB));
  }
  check_sparse_i8(st, w, idx, x, rows, cols);
  free(idx);
  free(w);
  free(x);
}

static void run_sparse_i8(stats *st, long ncases) {
  long done = 0;
  for (int s = 0; s < NB_EXTREME_SIZES; s++)
    for (int e = 0; e < NB_EXTREMES_I8; e++, done++)
      sparse_i8_case(st, extreme_sizes[s][0], extreme_sizes[s][1], 8, 0, extremes_i8[e]);
  for (long c = done; c < ncases; c++) {
    int rows, cols;
    random_block_size(c, &rows, &cols);
    sparse_i8_case(st, rows, cols, rng_int(0, 8), rng_next() % 8 == 0, NULL);
  }
}

/* ------------------------------------------------------------------ dense_i16 */
static void check_dense_i16(stats *st, const int16_t *w, const int16_t *x, int rows, int cols) {
  int64_t *ref = xmalloc(sizeof(int64_t) * (size_t)rows);
  int64_t *out = xmalloc(sizeof(int64_t) * ((size_t)rows + 1));
  levels[0]->dense_i16(ref, w, x, rows, cols);
  for (int l = 1; l < nb_levels; l++) {
    out[rows] = CANARY;
    levels[l]->dense_i16(out, w, x, rows, cols);
    tally(st, "dense_i16", l, rows, cols, ref, out, 1);
  }
  free(ref);
  free(out);
}

static void fill_i16(int16_t *v, size_t n, int mode, int is_weight) {
  for (size_t i = 0; i < n; i++) {
    uint64_t r = rng_next();
    int b = (int16_t)(r & 0xffff);
    switch (mode) {
      case 1: b = r & 0x10000 ? 32767 : -32768; break;
      case 2: b = (int16_t)(r & 0xffff) >> 8; break;
      default: break;
    }
    if (is_weight && b == -32768) b = (r >> 20) & 1 ? -32767 : 32767; /* weights never -32768 */
    v[i] = (int16_t)b;
  }
}

static void dense_i16_case(stats *st, int rows, int cols, const int *cst) {
  int16_t *w = xmalloc(sizeof(int16_t) * (size_t)rows * cols), *x = xmalloc(sizeof(int16_t) * (size_t)cols);
  if (cst) {
    for (size_t i = 0; i < (size_t)rows * cols; i++) w[i] = (int16_t)(i & 1 ? cst[1] : cst[0]);
    for (int j = 0; j < cols; j++) x[j] = (int16_t)(j & 1 ? cst[3] : cst[2]);
  } else {
    fill_i16(w, (size_t)rows * cols, rng_int(0, 2), 1);
    fill_i16(x, (size_t)cols, rng_int(0, 2), 0);
  }
  check_dense_i16(st, w, x, rows, cols);
  free(w);
  free(x);
}

static const int extremes_i16[][4] = {
    {32767, 32767, 32767, 32767},   {-32767, -32767, -32768, -32768}, {32767, 32767, -32768, -32768},
    {-32767, -32767, 32767, 32767}, {32767, -32767, -32768, 32767},   {-32767, 32767, -32768, 32767},
    {32767, -32767, 32767, -32768}, {0, 0, -32768, -32768}};
#define NB_EXTREMES_I16 ((int)(sizeof(extremes_i16) / sizeof(extremes_i16[0])))
static const int extreme_sizes_i16[][2] = {{1, 1}, {1, 2}, {2, 1}, {3, 15}, {1, 16}, {1, 17}, {5, 31},
                                           {7, 33}, {2, 2048}, {50, 128}, {128, 50}, {200, 200}};
#define NB_EXTREME_SIZES_I16 ((int)(sizeof(extreme_sizes_i16) / sizeof(extreme_sizes_i16[0])))

static void run_dense_i16(stats *st, long ncases) {
  long done = 0;
  for (int s = 0; s < NB_EXTREME_SIZES_I16; s++)
    for (int e = 0; e < NB_EXTREMES_I16; e++, done++)
      dense_i16_case(st, extreme_sizes_i16[s][0], extreme_sizes_i16[s][1], extremes_i16[e]);
  for (long c = done; c < ncases; c++) {
    int rows = c % 4 == 0 ? 1 : rng_int(1, 200);
    int cols = c % 3 == 0 ? 2 * rng_int(0, 20) + 1 : rng_int(1, 200); /* odd sizes often */
    if (c % 16 == 0) cols = rng_int(1, 16);
    dense_i16_case(st, rows, cols, NULL);
  }
}

/* ------------------------------------------------------------------ bench */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(void) {
  static const int sizes[][2] = {{192, 96}, {128, 544}, {80, 576}};
  volatile int32_t sink = 0;
  printf("bench (MAC/s; the real benchmark is in bench/):\n");
  for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
    const int rows = sizes[s][0], cols = sizes[s][1];
    int8_t *w = xmalloc((size_t)rows * cols), *x = xmalloc((size_t)cols);
    int32_t *acc = xmalloc(sizeof(int32_t) * (size_t)rows);
    int32_t *idx = xmalloc(sizeof(int32_t) * ((size_t)rows / 8 * (1 + (size_t)cols / 4)));
    fill_i8(w, (size_t)rows * cols, FILL_RANDOM);
    fill_i8(x, (size_t)cols, FILL_ACTIVATION);
    int blocks = make_pattern(idx, rows, cols, 4, 0);
    double base = 0;
    for (int l = 0; l < nb_levels; l++) {
      for (int kind = 0; kind < 2; kind++) {
        long iters = 0;
        double t0 = now_s(), t;
        do {
          for (int r = 0; r < 200; r++) {
            if (kind == 0)
              levels[l]->dense_i8(acc, w, x, rows, cols);
            else
              levels[l]->sparse_i8(acc, w, idx, x, rows);
            sink += acc[0];
          }
          iters += 200;
          t = now_s() - t0;
        } while (t < 0.3);
        double macs = (double)iters * (kind == 0 ? (double)rows * cols : (double)blocks * 32) / t;
        if (l == 0 && kind == 0) base = macs;
        printf("  %-9s %-7s %4dx%-4d %8.2f GMAC/s", kind == 0 ? "dense_i8" : "sparse_i8",
               dredfx_cpu_level_name(l), rows, cols, macs * 1e-9);
        if (kind == 0) printf("  (%.1fx scalar)", macs / base);
        printf("\n");
      }
    }
    free(w);
    free(x);
    free(acc);
    free(idx);
  }
  (void)sink;
}

int main(int argc, char **argv) {
  long ncases = 100000;
  uint64_t seed = 0x64726564667821ull;
  int do_bench = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
      ncases = strtol(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "--bench") == 0) {
      do_bench = 1;
    } else {
      fprintf(stderr, "usage: %s [--cases N] [--seed S] [--bench]\n", argv[0]);
      return 2;
    }
  }
  /* Every level up to the one in use: the highest available unless DREDFX_CPU caps it. */
  const int max = dredfx_cpu_level();
  for (int l = 0; l <= max && l < MAX_LEVELS; l++) {
    levels[l] = dredfx_nn_kernels_for_level(l);
    if (levels[l] == NULL) {
      fprintf(stderr, "checkasm: level %d missing\n", l);
      return 1;
    }
    nb_levels = l + 1;
  }
  printf("checkasm: seed 0x%" PRIx64 ", %ld cases per kernel; CPU levels:", seed, ncases);
  for (int l = 0; l < nb_levels; l++) printf(" %s", dredfx_cpu_level_name(l));
  if (max < dredfx_cpu_max_level())
    printf(" (capped by DREDFX_CPU; this CPU has %s)", dredfx_cpu_level_name(dredfx_cpu_max_level()));
  printf("\n");

  stats st[3] = {{"dense_i8", {0}, {0}}, {"sparse_i8", {0}, {0}}, {"dense_i16", {0}, {0}}};
  rng_state = seed;
  run_dense_i8(&st[0], ncases);
  rng_state = seed + 1;
  run_sparse_i8(&st[1], ncases);
  rng_state = seed + 2;
  run_dense_i16(&st[2], ncases);

  long passed = 0, failed = 0;
  if (nb_levels == 1) printf("  only the scalar level is available: nothing to compare\n");
  for (int k = 0; k < 3; k++)
    for (int l = 1; l < nb_levels; l++) {
      printf("  %-9s %-7s %ld cases: %ld passed, %ld failed\n", st[k].name, dredfx_cpu_level_name(l),
             st[k].cases[l], st[k].cases[l] - st[k].failed[l], st[k].failed[l]);
      passed += st[k].cases[l] - st[k].failed[l];
      failed += st[k].failed[l];
    }
  if (do_bench) bench();
  printf("%ld passed, %ld failed\n", passed, failed);
  return failed != 0;
}
