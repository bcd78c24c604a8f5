/* checkasm: every kernel of every available CPU level against the scalar specification.
 *
 *   checkasm [--cases N] [--seed S] [--bench]
 *
 * Per kernel, N random cases (fixed-seed PRNG; default 100000, 10000 in sanitizer and FIXED_DEBUG
 * builds, 20000 under qemu-user; the environment variable DREDFX_CHECKASM_CASES sets it too, and
 * --cases wins over both) plus fixed cases: every int8 and wide layer shape of the five models (RDO-VAE
 * encoder and decoder, pitch DNN, FARGAN, PLC, lossgen; taken from the imported libopus 1.6.1
 * blob), full-scale weights and inputs of both signs, alternating signs, minimal and odd sizes,
 * the offset kernels' bound (weight pairs of 129 at inputs 254) and, beyond it, the proof that
 * the loader check refuses such weights and the layer falls back to the signed kernels.
 * Results must be equal, integer for integer. Buffers are allocated at their exact size so that
 * sanitizer builds catch any read or write outside them. --bench prints MAC/s per level.
 * Levels tested: all up to the one in use (DREDFX_CPU=... caps it, as for the library).
 * Fails when this CPU has a level (its own CPUID / AT_HWCAP reading) that the build lacks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) || defined(__arm__)
#include <sys/auxv.h>
#endif

#define MAX_LEVELS 4
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

/* x8 values: the engine's activations never reach -128. */
static void fill_x8(int8_t *v, size_t n, int mode) {
  fill_i8(v, n, mode);
  for (size_t i = 0; i < n; i++)
    if (v[i] == -128) v[i] = -127;
}

/* Weights that the offset kernels accept (dredfx_nn_i8_row_sums): each adjacent pair has positive
 * and negative parts <= 129. mode 0: random, 1: pairs at the bound (129 = 127 + 2, 65 + 64,
 * -128 - 1, mixed 127 / -128), 2: small. */
static void fill_bounded(int8_t *v, size_t n, int mode) {
  static const int8_t edge[][2] = {{127, 2},   {2, 127},   {-128, -1}, {-1, -128}, {-127, -2}, {65, 64},
                                   {-64, -65}, {127, -128}, {-128, 127}, {127, 0},   {0, -128}};
  for (size_t i = 0; i < n; i += 2) {
    int a, b;
    if (mode == 1) {
      const int8_t *e = edge[rng_next() % (sizeof(edge) / sizeof(edge[0]))];
      a = e[0], b = e[1];
    } else if (mode == 2) {
      a = rng_int(-3, 3), b = rng_int(-3, 3);
    } else {
      a = rng_int(-128, 127), b = rng_int(-128, 127);
      const int pos = (a > 0 ? a : 0) + (b > 0 ? b : 0), neg = (a < 0 ? -a : 0) + (b < 0 ? -b : 0);
      if (pos > 129 || neg > 129) b = b > 0 ? 129 - a : -129 - a;
    }
    v[i] = (int8_t)a;
    if (i + 1 < n) v[i + 1] = (int8_t)b;
  }
}

enum { K_DENSE_I8, K_SPARSE_I8, K_DENSE_I8_U, K_SPARSE_I8_U, K_DENSE_I16, K_QUANTIZE, K_REQUANTIZE, K_REQUANT_RQ, K_TANH, K_SIGMOID, K_GRU_UPDATE, K_LINEAR, K_DENSE_I32, K_CONV2D, K_DENSE_I8_U_RQ, K_SPARSE_I8_U_RQ, K_NB };

typedef struct {
  const char *name;
  long cases[MAX_LEVELS], failed[MAX_LEVELS];
} stats;

static stats st_all[K_NB] = {{"dense_i8", {0}, {0}},   {"sparse_i8", {0}, {0}},   {"dense_i8_u", {0}, {0}},
                             {"sparse_i8_u", {0}, {0}}, {"dense_i16", {0}, {0}},   {"quantize_u8", {0}, {0}},
                             {"requantize", {0}, {0}},  {"requant_rq", {0}, {0}},
                             {"tanh", {0}, {0}},        {"sigmoid_gate", {0}, {0}}, {"gru_update", {0}, {0}},
                             {"linear_a15", {0}, {0}},  {"dense_i32", {0}, {0}},   {"conv2d", {0}, {0}},
                             {"dense_i8_u_rq", {0}, {0}}, {"sparse_i8_u_rq", {0}, {0}}};

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

/* ------------------------------------------------------------------ int8 kernels */
/* xu = x8 + 127, what the offset kernels read. */
static uint8_t *offset_inputs(const int8_t *x, int cols) {
  uint8_t *xu = xmalloc((size_t)cols);
  for (int j = 0; j < cols; j++) xu[j] = (uint8_t)(x[j] + 127);
  return xu;
}

/* One int8 case: the signed kernel (any weights and inputs) and, when the loader accepts the
 * weights and x8 is in [-127, 127], the offset kernel too. idx NULL: dense. */
static int32_t shift_for(int64_t bound, int32_t mult, int slack);
static int32_t rand_i32(int mode);

/* The fused kernels (dense_i8_u_rq, sparse_i8_u_rq) at every level, the scalar one included,
 * against the scalar requantize of the signed kernel's sums ref: n outputs (the last group
 * partial when n % 8 != 0), multipliers of every magnitude, shifts that the load-time proof
 * accepts at the worst-case sums, biases of both signs. */
static void check_i8_rq(const int8_t *w, const int32_t *idx, const int32_t *wsum, const uint8_t *xu, const int32_t *ref,
                        int rows, int cols) {
  const int n = rows - rng_int(0, 7);
  int32_t *mult = xmalloc(sizeof(int32_t) * (size_t)n), *shift = xmalloc(sizeof(int32_t) * (size_t)n);
  int32_t *bias = xmalloc(sizeof(int32_t) * (size_t)n), *want = xmalloc(sizeof(int32_t) * (size_t)n);
  int32_t *out = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  int64_t *rq = xmalloc(sizeof(int64_t) * DREDFX_NN_RQ_LEN(n));
  const int kr = idx ? K_SPARSE_I8_U_RQ : K_DENSE_I8_U_RQ;
  for (int i = 0; i < n; i++) {
    mult[i] = rand_i32(1 + (int)(rng_next() % 2));
    shift[i] = shift_for((int64_t)127 * 128 * cols, mult[i], 1);
    bias[i] = rng_int(-(1 << 29), 1 << 29);
  }
  if (!dredfx_nn_requant_prep(rq, w, idx, rows, cols, mult, shift, bias, n)) {
    fprintf(stderr, "MISMATCH %s rows %d cols %d: requant_prep refused a proven layer\n", st_all[kr].name, rows, cols);
    st_all[kr].cases[0]++;
    st_all[kr].failed[0]++;
  } else {
    levels[0]->requantize(want, ref, mult, shift, bias, n);
    for (int l = 0; l < nb_levels; l++) {
      out[n] = CANARY;
      if (idx)
        levels[l]->sparse_i8_u_rq(out, w, wsum, idx, xu, rows, rq, n);
      else
        levels[l]->dense_i8_u_rq(out, w, wsum, xu, rows, cols, rq, n);
      tally(&st_all[kr], st_all[kr].name, l, n, cols, want, out, 0);
    }
  }
  free(mult);
  free(shift);
  free(bias);
  free(want);
  free(out);
  free(rq);
}

static void check_i8(const int8_t *w, const int32_t *idx, const int8_t *x, int rows, int cols) {
  int32_t *ref = xmalloc(sizeof(int32_t) * (size_t)rows);
  int32_t *out = xmalloc(sizeof(int32_t) * ((size_t)rows + 1));
  int32_t *wsum = xmalloc(sizeof(int32_t) * (size_t)rows);
  const int ks = idx ? K_SPARSE_I8 : K_DENSE_I8, ku = idx ? K_SPARSE_I8_U : K_DENSE_I8_U;
  if (idx)
    levels[0]->sparse_i8(ref, w, idx, x, rows);
  else
    levels[0]->dense_i8(ref, w, x, rows, cols);
  for (int l = 1; l < nb_levels; l++) {
    out[rows] = CANARY;
    if (idx)
      levels[l]->sparse_i8(out, w, idx, x, rows);
    else
      levels[l]->dense_i8(out, w, x, rows, cols);
    tally(&st_all[ks], st_all[ks].name, l, rows, cols, ref, out, 0);
  }
  int x_ok = 1;
  for (int j = 0; j < cols; j++) x_ok &= x[j] != -128;
  if (x_ok && dredfx_nn_i8_row_sums(wsum, w, idx, rows, cols)) {
    uint8_t *xu = offset_inputs(x, cols);
    /* the scalar offset kernel is a specification too: it must equal the signed one */
    for (int l = 0; l < nb_levels; l++) {
      out[rows] = CANARY;
      if (idx)
        levels[l]->sparse_i8_u(out, w, wsum, idx, xu, rows);
      else
        levels[l]->dense_i8_u(out, w, wsum, xu, rows, cols);
      tally(&st_all[ku], st_all[ku].name, l, rows, cols, ref, out, 0);
    }
    check_i8_rq(w, idx, wsum, xu, ref, rows, cols);
    free(xu);
  }
  free(ref);
  free(out);
  free(wsum);
}

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

/* Weight fills: w_mode < FILL_NB: fill_i8 modes; FILL_NB + m: fill_bounded mode m. */
#define W_MODES (FILL_NB + 3)
static void fill_w(int8_t *w, size_t n, int w_mode) {
  if (w_mode < FILL_NB)
    fill_i8(w, n, w_mode);
  else
    fill_bounded(w, n, w_mode - FILL_NB);
}

/* One int8 case of rows x cols; sparse when density >= 0 (any_pos: unaligned positions).
 * cst: constant alternating weights and inputs instead of the fills. */
static void i8_case(int rows, int cols, int density, int any_pos, int w_mode, int x_mode, const int *cst) {
  int32_t *idx = NULL;
  size_t nw = (size_t)rows * (size_t)cols;
  if (density >= 0) {
    int32_t *tmp = xmalloc(sizeof(int32_t) * ((size_t)rows / 8 * (1 + (size_t)cols / 4)));
    const int blocks = make_pattern(tmp, rows, cols, density, any_pos);
    const size_t idx_len = (size_t)rows / 8 + (size_t)blocks;
    idx = xmalloc(sizeof(int32_t) * idx_len);
    memcpy(idx, tmp, sizeof(int32_t) * idx_len);
    free(tmp);
    if (dredfx_nn_sparse_check(idx, idx_len, (size_t)blocks * 32, rows, cols) != blocks) {
      fprintf(stderr, "checkasm: sparse pattern rejected by dredfx_nn_sparse_check\n");
      exit(2);
    }
    nw = (size_t)blocks * 32;
  }
  int8_t *w = xmalloc(nw), *x = xmalloc((size_t)cols);
  if (cst) {
    fill_const_i8(w, nw, cst[0], cst[1]);
    fill_const_i8(x, (size_t)cols, cst[2], cst[3]);
  } else {
    fill_w(w, nw, w_mode);
    if (rng_next() % 4 == 0)
      fill_i8(x, (size_t)cols, x_mode);
    else
      fill_x8(x, (size_t)cols, x_mode);
  }
  check_i8(w, idx, x, rows, cols);
  free(idx);
  free(w);
  free(x);
}

/* The int8 and wide layer shapes of the five models (outputs padded to 8 x inputs padded to 4;
 * 1 = sparse), from the libopus 1.6.1 blob: RDO-VAE encoder and decoder, pitch DNN, FARGAN, PLC,
 * lossgen. */
static const int model_i8[][3] = {
    {32, 64, 0},   {32, 160, 1},  {32, 256, 1},  {32, 352, 1},  {32, 448, 1},  {32, 544, 0},  {32, 544, 1},
    {40, 128, 0},  {48, 8, 0},    {48, 16, 0},   {56, 128, 0},  {64, 64, 0},   {64, 88, 0},   {64, 96, 1},
    {64, 128, 0},  {64, 192, 1},  {64, 288, 0},  {64, 288, 1},  {64, 384, 1},  {64, 480, 1},  {80, 576, 1},
    {96, 16, 0},   {96, 32, 0},   {96, 64, 1},   {96, 160, 1},  {96, 256, 1},  {96, 352, 1},  {96, 448, 1},
    {128, 128, 0}, {128, 192, 0}, {128, 544, 1}, {128, 688, 0}, {160, 160, 0}, {192, 64, 0},  {192, 96, 1},
    {192, 192, 0}, {192, 192, 1}, {192, 288, 1}, {192, 328, 0}, {192, 384, 1}, {192, 480, 1}, {320, 128, 0},
    {320, 128, 1}, {384, 128, 0}, {384, 208, 0}, {384, 240, 0}, {480, 160, 0}, {480, 272, 0}, {576, 128, 0},
    {576, 192, 0}};
#define NB_MODEL_I8 ((int)(sizeof(model_i8) / sizeof(model_i8[0])))
/* Wide layers (outputs x inputs, unpadded): lossgen_dense_out, conv2d_2, sig_net_cond_gain_dense,
 * conv2d_1, sig_net_gain_dense_out, lossgen_dense_in, cond_net_pembed, plc_dense_out,
 * cond_net_fdense1, enc_dense1, dec_dense1, dec_hidden_init, plc_dense_in. */
static const int model_i16[][2] = {{1, 32},   {1, 36},  {1, 80},   {4, 9},   {4, 192},  {8, 2},   {12, 224},
                                   {20, 192}, {64, 32}, {64, 40},  {96, 26}, {128, 50}, {128, 57}};
#define NB_MODEL_I16 ((int)(sizeof(model_i16) / sizeof(model_i16[0])))

static const int extremes_i8[][4] = {{-128, -128, -128, -128}, {127, 127, 127, 127}, {-128, -128, 127, 127},
                                     {127, 127, -128, -128},   {-128, 127, -128, 127}, {-128, 127, 127, -128},
                                     {127, -128, -128, 127},   {0, 0, 0, 0},         {127, 2, -127, -127},
                                     {-128, -1, -127, -127},   {65, 64, 127, 127},   {-127, -2, 127, 127}};
#define NB_EXTREMES_I8 ((int)(sizeof(extremes_i8) / sizeof(extremes_i8[0])))
static const int extreme_sizes[][2] = {{8, 4}, {8, 8}, {16, 4}, {24, 12}, {8, 1024}, {1024, 4}, {1024, 1024}, {40, 36}};
#define NB_EXTREME_SIZES ((int)(sizeof(extreme_sizes) / sizeof(extreme_sizes[0])))

/* Mostly small layers (fast), one in 128 drawn over the whole range, one in 64 a model shape. */
static void random_block_size(long c, int *rows, int *cols) {
  if (c % 64 == 0) {
    const int *s = model_i8[(c / 64) % NB_MODEL_I8];
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

static void run_i8(long ncases, int sparse) {
  long done = 0;
  for (int m = 0; m < NB_MODEL_I8; m++)
    for (int w_mode = 0; w_mode < W_MODES; w_mode++, done++)
      i8_case(model_i8[m][0], model_i8[m][1], sparse ? (model_i8[m][2] ? 3 : 8) : -1, 0, w_mode, FILL_ACTIVATION, NULL);
  for (int s = 0; s < NB_EXTREME_SIZES; s++)
    for (int e = 0; e < NB_EXTREMES_I8; e++, done++)
      i8_case(extreme_sizes[s][0], extreme_sizes[s][1], sparse ? 8 : -1, 0, 0, 0, extremes_i8[e]);
  for (long c = done; c < ncases; c++) {
    int rows, cols;
    random_block_size(c, &rows, &cols);
    i8_case(rows, cols, sparse ? rng_int(0, 8) : -1, sparse && rng_next() % 8 == 0, (int)(rng_next() % W_MODES),
            (int)(rng_next() % FILL_NB), NULL);
  }
}

/* The loader check is tight: pairs at 129 are accepted (and exact, above), pairs at 130 refused.
 * Beyond the bound the maddubs kernel (x86 AVX2) would saturate, so a refused layer must run the
 * signed kernels: dredfx_nn_linear_a15 with wsum NULL is checked at every level. Returns failures. */
static int check_pair_bound(void) {
  static const int8_t pairs[][2] = {{127, 2}, {127, 3}, {-128, -1}, {-128, -2}, {65, 64}, {65, 65}, {-65, -65}};
  static const int accepted[] = {1, 0, 1, 0, 1, 0, 0};
  int failures = 0;
  for (int p = 0; p < (int)(sizeof(pairs) / sizeof(pairs[0])); p++) {
    int8_t w[64 * 32];
    int32_t wsum[64], mult[64], shift[64];
    int16_t a15[32];
    for (int i = 0; i < 64 * 32; i += 2) w[i] = pairs[p][0], w[i + 1] = pairs[p][1];
    const int ok = dredfx_nn_i8_row_sums(wsum, w, NULL, 64, 32);
    if (ok != accepted[p]) {
      fprintf(stderr, "FAIL pair (%d, %d): loader check returned %d\n", pairs[p][0], pairs[p][1], ok);
      failures++;
    }
    for (int j = 0; j < 32; j++) a15[j] = 32767; /* x8 = 127, xu = 254: the largest pair sums */
    for (int i = 0; i < 64; i++) mult[i] = 1 << 30, shift[i] = 30;
    const dredfx_nn_linear l = {.nb_inputs = 32, .nb_outputs = 64, .w8 = w, .mult = mult, .shift = shift,
                                .wsum = ok ? wsum : NULL};
    int32_t ref[65], out[65];
    dredfx_nn_linear_a15(levels[0], &l, ref, a15);
    for (int lv = 1; lv < nb_levels; lv++) {
      out[64] = CANARY;
      dredfx_nn_linear_a15(levels[lv], &l, out, a15);
      tally(&st_all[K_LINEAR], "linear_a15", lv, 64, 32, ref, out, 0);
    }
#if defined(__x86_64__)
    /* Beyond the bound, AVX2's maddubs kernel saturates: the check is needed, not a formality. */
    if (!ok && nb_levels > 1) {
      uint8_t xu[32];
      memset(xu, 254, sizeof(xu));
      levels[0]->dense_i8_u(ref, w, wsum, xu, 64, 32);
      levels[1]->dense_i8_u(out, w, wsum, xu, 64, 32);
      if (memcmp(ref, out, sizeof(int32_t) * 64) == 0) {
        fprintf(stderr, "FAIL pair (%d, %d): avx2 maddubs exact beyond the bound?\n", pairs[p][0], pairs[p][1]);
        failures++;
      }
    }
#endif
  }
  return failures;
}
/* ------------------------------------------------------------------ dense_i16 */
static void check_dense_i16(const int16_t *w, const int16_t *x, int rows, int cols) {
  int64_t *ref = xmalloc(sizeof(int64_t) * (size_t)rows);
  int64_t *out = xmalloc(sizeof(int64_t) * ((size_t)rows + 1));
  levels[0]->dense_i16(ref, w, x, rows, cols);
  for (int l = 1; l < nb_levels; l++) {
    out[rows] = CANARY;
    levels[l]->dense_i16(out, w, x, rows, cols);
    tally(&st_all[K_DENSE_I16], "dense_i16", l, rows, cols, ref, out, 1);
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

static void dense_i16_case(int rows, int cols, const int *cst) {
  int16_t *w = xmalloc(sizeof(int16_t) * (size_t)rows * cols), *x = xmalloc(sizeof(int16_t) * (size_t)cols);
  if (cst) {
    for (size_t i = 0; i < (size_t)rows * cols; i++) w[i] = (int16_t)(i & 1 ? cst[1] : cst[0]);
    for (int j = 0; j < cols; j++) x[j] = (int16_t)(j & 1 ? cst[3] : cst[2]);
  } else {
    fill_i16(w, (size_t)rows * cols, rng_int(0, 2), 1);
    fill_i16(x, (size_t)cols, rng_int(0, 2), 0);
  }
  check_dense_i16(w, x, rows, cols);
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

static void run_dense_i16(long ncases) {
  long done = 0;
  for (int m = 0; m < NB_MODEL_I16; m++)
    for (int r = 0; r < 3; r++, done++) dense_i16_case(model_i16[m][0], model_i16[m][1], NULL);
  for (int s = 0; s < NB_EXTREME_SIZES_I16; s++)
    for (int e = 0; e < NB_EXTREMES_I16; e++, done++)
      dense_i16_case(extreme_sizes_i16[s][0], extreme_sizes_i16[s][1], extremes_i16[e]);
  for (long c = done; c < ncases; c++) {
    int rows = c % 4 == 0 ? 1 : rng_int(1, 200);
    int cols = c % 3 == 0 ? 2 * rng_int(0, 20) + 1 : rng_int(1, 200); /* odd sizes often */
    if (c % 16 == 0) cols = rng_int(1, 16);
    dense_i16_case(rows, cols, NULL);
  }
}

/* ------------------------------------------------------------------ quantize_u8, requantize */
static void check_quantize(const int16_t *a15, int n) {
  uint8_t *ref = xmalloc((size_t)n), *out = xmalloc((size_t)n + 1);
  levels[0]->quantize_u8(ref, a15, n);
  for (int l = 1; l < nb_levels; l++) {
    out[n] = 0x5a;
    levels[l]->quantize_u8(out, a15, n);
    int bad = out[n] != 0x5a || memcmp(ref, out, (size_t)n) != 0;
    if (bad && verbose_failures-- > 0)
      fprintf(stderr, "MISMATCH quantize_u8 level %s n %d\n", dredfx_cpu_level_name(l), n);
    st_all[K_QUANTIZE].cases[l]++;
    st_all[K_QUANTIZE].failed[l] += bad;
  }
  free(ref);
  free(out);
}

static void run_quantize(long ncases) {
  int16_t *all = xmalloc(sizeof(int16_t) * 65536);
  for (int v = 0; v < 65536; v++) all[v] = (int16_t)(v - 32768);
  check_quantize(all, 65536); /* every a15 value */
  /* the scalar spec against the definition x8 = round(127 a / 32768), ties up */
  uint8_t *xu = xmalloc(65536);
  levels[0]->quantize_u8(xu, all, 65536);
  for (int v = 0; v < 65536; v++) {
    const int a = v - 32768, x8 = (int)((127 * (int64_t)a + 16384 + (1 << 22)) / 32768) - 128;
    if (xu[v] != x8 + 127) {
      fprintf(stderr, "MISMATCH quantize_u8 scalar a15 %d: %d, want %d\n", a, xu[v], x8 + 127);
      st_all[K_QUANTIZE].failed[0]++;
    }
  }
  st_all[K_QUANTIZE].cases[0]++;
  free(xu);
  free(all);
  for (long c = 1; c < ncases; c++) {
    const int n = c % 8 == 0 ? rng_int(0, 2048) : rng_int(0, 70);
    int16_t *a = xmalloc(sizeof(int16_t) * ((size_t)n + 1));
    for (int j = 0; j < n; j++)
      a[j] = (int16_t)(c % 3 == 0 ? (rng_next() & 1 ? 32767 : -32768) : (int)(rng_next() & 0xffff));
    check_quantize(a, n);
    free(a);
  }
}

static int32_t rand_i32(int mode) {
  static const int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX, 1 << 30, -(1 << 30)};
  if (mode == 0) return edge[rng_next() % (sizeof(edge) / sizeof(edge[0]))];
  if (mode == 1) return (int32_t)(rng_next() & 0xffffffffu);
  return rng_int(-(1 << 20), 1 << 20);
}

static void requantize_case(int n, int mode) {
  int32_t *acc = xmalloc(sizeof(int32_t) * ((size_t)n + 1)), *mult = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  int32_t *shift = xmalloc(sizeof(int32_t) * ((size_t)n + 1)), *bias = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  int32_t *ref = xmalloc(sizeof(int32_t) * ((size_t)n + 1)), *out = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  for (int i = 0; i < n; i++) {
    acc[i] = rand_i32(mode == 0 ? (int)(rng_next() % 3) : mode);
    mult[i] = rand_i32(mode == 0 ? (int)(rng_next() % 3) : mode);
    shift[i] = rng_next() % 4 == 0 ? (rng_next() & 1 ? 1 : 62) : rng_int(1, 62);
    bias[i] = rand_i32(mode == 0 ? (int)(rng_next() % 3) : mode);
  }
  /* one in 8 cases: a shift outside [1, 62] somewhere; every level must report it */
  static const int32_t bad_shift[] = {0, 63, -1, 64, INT32_MIN, INT32_MAX};
  const int with_bad = n > 0 && rng_next() % 8 == 0;
  if (with_bad) shift[rng_int(0, n - 1)] = bad_shift[rng_next() % (sizeof(bad_shift) / sizeof(bad_shift[0]))];
  const int with_bias = rng_next() % 4 != 0;
  const int rc_ref = levels[0]->requantize(ref, acc, mult, shift, with_bias ? bias : NULL, n);
  if (rc_ref != (with_bad ? -1 : 0)) {
    fprintf(stderr, "MISMATCH requantize scalar n %d: returned %d\n", n, rc_ref);
    st_all[K_REQUANTIZE].failed[0]++;
  }
  st_all[K_REQUANTIZE].cases[0]++;
  for (int l = 1; l < nb_levels; l++) {
    out[n] = CANARY;
    const int rc = levels[l]->requantize(out, acc, mult, shift, with_bias ? bias : NULL, n);
    if (rc != rc_ref) {
      if (verbose_failures-- > 0)
        fprintf(stderr, "MISMATCH requantize level %s n %d: returned %d, scalar %d\n", dredfx_cpu_level_name(l), n,
                rc, rc_ref);
      st_all[K_REQUANTIZE].cases[l]++;
      st_all[K_REQUANTIZE].failed[l]++;
    } else if (rc == 0) {
      tally(&st_all[K_REQUANTIZE], "requantize", l, n, 1, ref, out, 0);
    } else {
      st_all[K_REQUANTIZE].cases[l]++; /* the error agrees; outputs are unspecified */
    }
  }
  free(acc);
  free(mult);
  free(shift);
  free(bias);
  free(ref);
  free(out);
}

static void run_requantize(long ncases) {
  for (long c = 0; c < ncases; c++) requantize_case(c % 16 == 0 ? rng_int(0, 2048) : rng_int(0, 40), (int)(c % 3));
}

/* 127 sum_j |w_ij| per padded row of a dense 8x4-block matrix: the largest |acc_i| an x8 in
 * [-127, 127] gives, reached by x8_j = +-127 sign(w_ij). */
static void acc_bounds(int64_t *bound, const int8_t *w, int rows, int cols) {
  for (int i = 0; i < rows; i++) {
    bound[i] = 0;
    for (int j = 0; j < cols; j++) {
      const int v = w[(i / 8) * 8 * cols + (j / 4) * 32 + (i % 8) * 4 + j % 4];
      bound[i] += 127 * (v < 0 ? -v : v);
    }
  }
}

/* Shift that puts PSHR64(bound |mult|, s) just below 2^(31 - slack): the layer's proof holds for
 * slack >= 1 and a bias under 2^30, and may fail for slack <= 0. */
static int32_t shift_for(int64_t bound, int32_t mult, int slack) {
  const int64_t a = bound * (mult < 0 ? -(int64_t)mult : mult);
  int s = 1;
  while (s < 62 && (a >> s) >= ((int64_t)1 << (31 - slack))) s++;
  return s;
}

/* requantize_rq at every level, the scalar one included, against the spec requantize, with acc
 * anywhere in the proven range and at its ends; dredfx_nn_requant_prep's verdict is checked
 * against the same bound computed here. */
static void requant_rq_case(int n, int cols, int mode) {
  const int rows = (n + 7) / 8 * 8;
  int8_t *w = xmalloc((size_t)rows * (size_t)cols);
  int64_t *bound = xmalloc(sizeof(int64_t) * (size_t)rows), *rq = xmalloc(sizeof(int64_t) * DREDFX_NN_RQ_LEN(n));
  int32_t *acc = xmalloc(sizeof(int32_t) * (size_t)rows), *mult = xmalloc(sizeof(int32_t) * (size_t)rows);
  int32_t *shift = xmalloc(sizeof(int32_t) * (size_t)rows), *bias = xmalloc(sizeof(int32_t) * (size_t)rows);
  int32_t *ref = xmalloc(sizeof(int32_t) * ((size_t)n + 1)), *out = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  fill_w(w, (size_t)rows * (size_t)cols, mode == 2 ? FILL_EXTREME : (int)(rng_next() % FILL_NB));
  acc_bounds(bound, w, rows, cols);
  const int with_bias = rng_next() % 4 != 0;
  const int edge = mode == 1 && rng_next() % 4 == 0, over = rng_next() % 2 ? rng_int(0, n - 1) : -1;
  int expect_ok = 1;
  for (int i = 0; i < n; i++) {
    mult[i] = mode == 2 ? (rng_next() & 1 ? INT32_MAX : INT32_MIN) : rand_i32(1 + (int)(rng_next() % 2));
    shift[i] = shift_for(bound[i], mult[i], mode == 0 ? rng_int(-1, 1) : 1);
    if (edge) {
      /* the reduced shift at its limit: m 2^k with m odd, shift 31 + k or 32 + k, 33 + k in row `over` */
      const int k = rng_int(0, 8);
      mult[i] = (int32_t)((rng_int(1, (1 << 22) - 1) | 1) * (rng_next() & 1 ? 1 : -1) * (1 << k));
      shift[i] = (i == over ? 33 : rng_int(31, 32)) + k;
    }
    bias[i] = mode == 0 ? rand_i32((int)(rng_next() % 3)) : rng_int(-(1 << 29), 1 << 29);
    const int64_t a = bound[i] * (mult[i] < 0 ? -(int64_t)mult[i] : mult[i]), b = with_bias ? bias[i] : 0;
    const int64_t hi = ((a + ((int64_t)1 << (shift[i] - 1))) >> shift[i]) + b;
    const int64_t lo = ((-a + ((int64_t)1 << (shift[i] - 1))) >> shift[i]) + b;
    expect_ok &= hi <= INT32_MAX && lo >= INT32_MIN;
    int t = shift[i];
    for (int64_t m = mult[i]; t > 1 && m % 2 == 0; m /= 2) t--;
    expect_ok &= t <= 32;
  }
  const int ok = dredfx_nn_requant_prep(rq, w, NULL, rows, cols, mult, shift, with_bias ? bias : NULL, n);
  if ((ok != 0) != expect_ok) {
    fprintf(stderr, "MISMATCH requant_prep n %d cols %d: returned %d, expected %d\n", n, cols, ok, expect_ok);
    st_all[K_REQUANT_RQ].failed[0]++;
    st_all[K_REQUANT_RQ].cases[0]++;
  } else if (ok) {
    for (int i = 0; i < rows; i++) {
      const int64_t b = bound[i];
      const int pick = (int)(rng_next() % 4);
      acc[i] = (int32_t)(i >= n ? rng_int(-1000, 1000) : pick == 0 ? b : pick == 1 ? -b : pick == 2 ? 0 :
                         (int64_t)rng_int(-(int)(b < INT32_MAX ? b : INT32_MAX), (int)(b < INT32_MAX ? b : INT32_MAX)));
    }
    levels[0]->requantize(ref, acc, mult, shift, with_bias ? bias : NULL, n);
    for (int l = 0; l < nb_levels; l++) {
      out[n] = CANARY;
      levels[l]->requantize_rq(out, acc, rq, n);
      tally(&st_all[K_REQUANT_RQ], "requant_rq", l, n, cols, ref, out, 0);
    }
  }
  free(w);
  free(bound);
  free(rq);
  free(acc);
  free(mult);
  free(shift);
  free(bias);
  free(ref);
  free(out);
}

static void run_requant_rq(long ncases) {
  for (long c = 0; c < ncases; c++)
    requant_rq_case(c % 16 == 0 ? rng_int(1, 1024) : rng_int(1, 40), 4 * rng_int(1, c % 16 == 0 ? 512 : 64),
                    (int)(c % 3));
}

/* ------------------------------------------------------------------ tanh, sigmoid_gate */
/* One call of each activation on p16[n] at every level against the scalar one. */
static void activation_case(const int32_t *p16, int n) {
  int16_t *a_ref = xmalloc(sizeof(int16_t) * ((size_t)n + 1)), *a_out = xmalloc(sizeof(int16_t) * ((size_t)n + 1));
  int32_t *g_ref = xmalloc(sizeof(int32_t) * ((size_t)n + 1)), *g_out = xmalloc(sizeof(int32_t) * ((size_t)n + 1));
  levels[0]->tanh(a_ref, p16, n);
  levels[0]->sigmoid_gate(g_ref, p16, n);
  for (int l = 1; l < nb_levels; l++) {
    a_out[n] = (int16_t)CANARY;
    g_out[n] = CANARY;
    levels[l]->tanh(a_out, p16, n);
    levels[l]->sigmoid_gate(g_out, p16, n);
    int bad = a_out[n] != (int16_t)CANARY;
    for (int i = 0; i < n && !bad; i++)
      if (a_out[i] != a_ref[i]) {
        report_mismatch("tanh", l, n, 1, i, a_ref[i], a_out[i]);
        bad = 1;
      }
    st_all[K_TANH].cases[l]++;
    st_all[K_TANH].failed[l] += bad;
    tally(&st_all[K_SIGMOID], "sigmoid_gate", l, n, 1, g_ref, g_out, 0);
  }
  free(a_ref);
  free(a_out);
  free(g_ref);
  free(g_out);
}

/* Every p16 input of the interpolated ranges (|x| < 2^21 covers tanh's |x| < 8 and sigmoid's
 * |x| < 682280), in calls of 1000 (a tail at every level), then random lengths of inputs from
 * the ends, the limits and the full int32 range. */
static void run_activations(long ncases) {
  static const int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -682281, -682280, -682279, -(8 << 16) - 1, -(8 << 16),
                                 -(8 << 16) + 1, -1, 0, 1, (8 << 16) - 1, 8 << 16, (8 << 16) + 1, 682279, 682280,
                                 682281, INT32_MAX - 1, INT32_MAX};
  int32_t *x = xmalloc(sizeof(int32_t) * 1000);
  for (int32_t start = -(1 << 21); start < (1 << 21); start += 1000) {
    for (int i = 0; i < 1000; i++) x[i] = start + i;
    activation_case(x, 1000);
  }
  for (long c = 0; c < ncases; c++) {
    const int n = rng_int(0, 100);
    for (int i = 0; i < n; i++) {
      const int pick = (int)(rng_next() % 3);
      x[i] = pick == 0 ? edge[rng_next() % (sizeof(edge) / sizeof(edge[0]))]
                       : pick == 1 ? (int32_t)(rng_next() & 0xffffffffu) : rng_int(-(1 << 21), 1 << 21);
    }
    activation_case(x, n);
  }
  free(x);
}

/* gru_update at every level against the scalar one: the layers' p16 outputs from the limits,
 * the full int32 range and the models' range, states anywhere in int16. */
static void run_gru_update(long ncases) {
  static const int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -682280, -682279, -(8 << 16), -1, 0, 1,
                                 (8 << 16) - 1, 682279, 682280, INT32_MAX};
  static const int model_n[] = {16, 32, 48, 64, 96, 128, 160, 192, 384};
  int32_t zrh[3 * 400], recur[3 * 400];
  int16_t s0[400], ref[401], out[401];
  for (long c = 0; c < ncases; c++) {
    const int n = c % 4 == 0 ? model_n[rng_next() % (sizeof(model_n) / sizeof(model_n[0]))] : rng_int(0, 40);
    const int mode = (int)(c % 3);
    for (int i = 0; i < 3 * n; i++) {
      zrh[i] = mode == 0 ? edge[rng_next() % (sizeof(edge) / sizeof(edge[0]))]
               : mode == 1 ? (int32_t)(rng_next() & 0xffffffffu) : rng_int(-(6 << 16), 6 << 16);
      recur[i] = mode == 0 ? edge[rng_next() % (sizeof(edge) / sizeof(edge[0]))]
                 : mode == 1 ? (int32_t)(rng_next() & 0xffffffffu) : rng_int(-(6 << 16), 6 << 16);
    }
    for (int i = 0; i < n; i++) s0[i] = (int16_t)(rng_next() & 0xffff);
    memcpy(ref, s0, sizeof(int16_t) * (size_t)n);
    levels[0]->gru_update(ref, zrh, recur, n);
    for (int l = 1; l < nb_levels; l++) {
      memcpy(out, s0, sizeof(int16_t) * (size_t)n);
      out[n] = (int16_t)CANARY;
      levels[l]->gru_update(out, zrh, recur, n);
      int bad = out[n] != (int16_t)CANARY;
      for (int i = 0; i < n && !bad; i++)
        if (out[i] != ref[i]) {
          report_mismatch("gru_update", l, n, 1, i, ref[i], out[i]);
          bad = 1;
        }
      st_all[K_GRU_UPDATE].cases[l]++;
      st_all[K_GRU_UPDATE].failed[l] += bad;
    }
  }
}

/* ------------------------------------------------------------------ dense_i32, conv2d */
static int32_t rand_w32(int mode) { /* never INT32_MIN */
  int32_t v = mode == 1 ? (rng_next() & 1 ? INT32_MAX : -INT32_MAX) : (int32_t)(rng_next() & 0xffffffffu);
  if (mode == 2) v >>= 20;
  return v == INT32_MIN ? INT32_MAX : v;
}

static void dense_i32_case(int rows, int cols, int mode) {
  int32_t *w = xmalloc(sizeof(int32_t) * (size_t)rows * cols), *x = xmalloc(sizeof(int32_t) * (size_t)cols);
  int64_t *hr = xmalloc(sizeof(int64_t) * (size_t)rows), *lr = xmalloc(sizeof(int64_t) * (size_t)rows);
  int64_t *ho = xmalloc(sizeof(int64_t) * ((size_t)rows + 1)), *lo = xmalloc(sizeof(int64_t) * ((size_t)rows + 1));
  for (size_t i = 0; i < (size_t)rows * cols; i++) w[i] = rand_w32(mode);
  for (int j = 0; j < cols; j++)
    x[j] = mode == 1 ? (rng_next() & 1 ? INT32_MAX : INT32_MIN) : mode == 2 ? rng_int(-(300 << 16), 300 << 16)
                                                                           : (int32_t)(rng_next() & 0xffffffffu);
  levels[0]->dense_i32(hr, lr, w, x, rows, cols);
  for (int l = 1; l < nb_levels; l++) {
    ho[rows] = lo[rows] = CANARY;
    levels[l]->dense_i32(ho, lo, w, x, rows, cols);
    int bad = ho[rows] != CANARY || lo[rows] != CANARY;
    for (int i = 0; i < rows && !bad; i++)
      if (ho[i] != hr[i] || lo[i] != lr[i]) {
        report_mismatch("dense_i32", l, rows, cols, i, ho[i] != hr[i] ? hr[i] : lr[i], ho[i] != hr[i] ? ho[i] : lo[i]);
        bad = 1;
      }
    st_all[K_DENSE_I32].cases[l]++;
    st_all[K_DENSE_I32].failed[l] += bad;
  }
  free(w);
  free(x);
  free(hr);
  free(lr);
  free(ho);
  free(lo);
}

/* The wide (w32) layer shapes of the models (model_i16 but the two conv2d layers), full-scale
 * weights and inputs of both signs, then random sizes, odd ones often. */
static void run_dense_i32(long ncases) {
  long done = 0;
  for (int m = 0; m < NB_MODEL_I16; m++)
    for (int mode = 0; mode < 3; mode++, done++) dense_i32_case(model_i16[m][0], model_i16[m][1], mode);
  for (long c = done; c < ncases; c++) {
    const int rows = c % 4 == 0 ? 1 : rng_int(1, 64);
    const int cols = c % 3 == 0 ? 2 * rng_int(0, 20) + 1 : c % 16 == 0 ? DREDFX_NN_MAX_INPUTS : rng_int(1, 300);
    dense_i32_case(rows, cols, (int)(c % 3));
  }
}

/* One output channel: x holds ktime frames of in_channels rows of in_stride values; shifts of the
 * models (12..16) and around the SIMD paths' range [9, 31], biases up to the int32 limits. */
static void conv2d_case(int in_channels, int ktime, int kheight, int height, int pad, int mode) {
  static const int32_t edge_bias[] = {INT32_MIN, -1, 0, 1, INT32_MAX};
  const int taps = in_channels * ktime * kheight, in_stride = height + kheight - 1 + pad;
  const size_t xn = (size_t)ktime * in_channels * in_stride;
  int16_t *w = xmalloc(sizeof(int16_t) * (size_t)taps), *x = xmalloc(sizeof(int16_t) * xn);
  int32_t *ref = xmalloc(sizeof(int32_t) * (size_t)height), *out = xmalloc(sizeof(int32_t) * ((size_t)height + 1));
  fill_i16(w, (size_t)taps, mode, 1);
  fill_i16(x, xn, mode, 0);
  const int pick = rng_int(0, 9);
  const int shift = pick < 5 ? rng_int(12, 16) : pick < 8 ? rng_int(-2, 33) : rng_int(-31, 62);
  const int32_t bias = pick == 9 ? edge_bias[rng_next() % 5] : rng_int(-(1 << 20), 1 << 20);
  levels[0]->conv2d(ref, w, x, in_channels, ktime, kheight, height, in_stride, in_channels * in_stride, shift, bias);
  for (int l = 1; l < nb_levels; l++) {
    out[height] = CANARY;
    levels[l]->conv2d(out, w, x, in_channels, ktime, kheight, height, in_stride, in_channels * in_stride, shift,
                      bias);
    tally(&st_all[K_CONV2D], "conv2d", l, height, taps, ref, out, 0);
  }
  free(w);
  free(x);
  free(ref);
  free(out);
}

/* The edge of the AVX2 kernel's direct form (sum |w| max |x| < 2^31; the pitch DNN's conv2d_1
 * takes it): weights of one magnitude wm, inputs of magnitude 16384 (Q14 xcorr features), signs
 * all equal or random, at the shifts' ends; wm = 14563 keeps 9 taps just below 2^31 (direct),
 * 14564 just above (split). */
static void conv2d_direct_edge(void) {
  const int height = 224, kheight = 3, in_stride = height + kheight - 1;
  static const int shifts[] = {9, 12, 16, 31};
  int16_t w[9], x[3 * (224 + 2)];
  int32_t ref[224], out[225];
  for (int c = 0; c < 32; c++) {
    const int wm = 14563 + (c & 1), same = c & 2, shift = shifts[(c >> 2) & 3], neg = c & 16;
    for (int i = 0; i < 9; i++) w[i] = (int16_t)(same || rng_next() & 1 ? wm : -wm);
    for (int i = 0; i < 3 * in_stride; i++) x[i] = (int16_t)((same ? !neg : rng_next() & 1) ? 16384 : -16384);
    const int32_t bias = rng_int(-(1 << 20), 1 << 20);
    levels[0]->conv2d(ref, w, x, 1, 3, kheight, height, in_stride, in_stride, shift, bias);
    for (int l = 1; l < nb_levels; l++) {
      out[height] = CANARY;
      levels[l]->conv2d(out, w, x, 1, 3, kheight, height, in_stride, in_stride, shift, bias);
      tally(&st_all[K_CONV2D], "conv2d", l, height, 9, ref, out, 0);
    }
  }
}

/* The pitch DNN's two layers (conv2d_1: 1 input channel, conv2d_2: 4; 3 x 3 taps, 224 heights) in
 * every value mode, then random shapes around them: heights with tails, even and odd kernel
 * heights, more taps than the SIMD path takes (255). */
static void run_conv2d(long ncases) {
  long done = 32;
  conv2d_direct_edge();
  for (int mode = 0; mode < 3; mode++)
    for (int r = 0; r < 4; r++, done += 2) {
      conv2d_case(1, 3, 3, 224, 0, mode);
      conv2d_case(4, 3, 3, 224, 0, mode);
    }
  for (long c = done; c < ncases; c++) {
    const int in_channels = rng_int(1, c % 50 == 0 ? 12 : 4), ktime = rng_int(1, 3), kheight = rng_int(1, c % 50 == 0 ? 9 : 5);
    conv2d_case(in_channels, ktime, kheight, c % 5 == 0 ? rng_int(1, 15) : rng_int(16, 240), rng_int(0, 2),
                rng_int(0, 2));
  }
}

/* ------------------------------------------------------------------ whole int8 layers */
/* The arrays of one dredfx_nn_linear_a15 case of run_linear and run_linear_j: rows outputs, cols
 * inputs, the weights nw bytes (a sparse layer's idx set by make_pattern at density/8), ref and
 * out one int32 longer than the outputs (out's canary). */
typedef struct {
  int32_t *idx, *wsum, *mult, *shift, *bias, *ref, *out;
  int8_t *w;
  int64_t *rq;
  int16_t *a15;
  size_t nw;
} linear_case;

static linear_case linear_case_new(int rows, int cols, int sparse, int density) {
  linear_case c = {.nw = (size_t)rows * cols};
  if (sparse) {
    c.idx = xmalloc(sizeof(int32_t) * ((size_t)rows / 8 * (1 + (size_t)cols / 4)));
    c.nw = (size_t)make_pattern(c.idx, rows, cols, density, 0) * 32;
  }
  c.w = xmalloc(c.nw);
  c.wsum = xmalloc(sizeof(int32_t) * rows);
  c.mult = xmalloc(sizeof(int32_t) * rows);
  c.shift = xmalloc(sizeof(int32_t) * rows);
  c.bias = xmalloc(sizeof(int32_t) * rows);
  c.ref = xmalloc(sizeof(int32_t) * (rows + 1));
  c.out = xmalloc(sizeof(int32_t) * (rows + 1));
  c.rq = xmalloc(sizeof(int64_t) * DREDFX_NN_RQ_LEN(rows));
  c.a15 = xmalloc(sizeof(int16_t) * cols);
  return c;
}

/* Layer l (on c's arrays) at every level against the scalar one, out's canary included. */
static void linear_case_check(linear_case *c, const dredfx_nn_linear *l, int rows, int cols) {
  dredfx_nn_linear_a15(levels[0], l, c->ref, c->a15);
  for (int lv = 1; lv < nb_levels; lv++) {
    c->out[rows] = CANARY;
    dredfx_nn_linear_a15(levels[lv], l, c->out, c->a15);
    tally(&st_all[K_LINEAR], "linear_a15", lv, rows, cols, c->ref, c->out, 0);
  }
}

static void linear_case_free(linear_case *c) {
  free(c->idx);
  free(c->w);
  free(c->wsum);
  free(c->mult);
  free(c->shift);
  free(c->bias);
  free(c->ref);
  free(c->out);
  free(c->rq);
  free(c->a15);
}

/* dredfx_nn_linear_a15 at the models' int8 shapes, then every dense width of the x86 narrow paths
 * (4 to 32 columns), every level against the scalar one: the quantization, kernel choice (wsum set
 * as a loader would), requantization and bias together. Reps 1 to 3 take 0 to 3 inputs fewer than
 * the padded columns (the padding, and odd input counts, of the one-call linear_u_rq kernels). */
static long linear_rq_layers[3]; /* layers without requantize_rq; with it and the offset kernels, per-row or layer-wide form */
static long linear_idx8_layers;  /* sparse layers with the byte-form index (nn.h idx8) */

static void run_linear(void) {
  for (int m = 0; m < NB_MODEL_I8 + 16; m++)
    for (int rep = 0; rep < 4; rep++) {
      const int narrow = m >= NB_MODEL_I8, k = m - NB_MODEL_I8;
      const int rows = narrow ? (k % 2 ? 24 : 8) : model_i8[m][0], cols = narrow ? 4 * (k / 2 + 1) : model_i8[m][1];
      const int nin = rep == 0 ? cols : cols - rng_int(0, cols > 3 ? 3 : cols - 1);
      linear_case c = linear_case_new(rows, cols, !narrow && model_i8[m][2], rep % 2 ? 3 : 7);
      /* density 7/8 on reps 0 and 2: groups long enough for the byte-form index from 224 columns */
      fill_w(c.w, c.nw, rep == 3 ? FILL_EXTREME : FILL_NB + rep % 2);
      /* reps 0 and 3: shifts where saturation can occur (the saturating requantize); 1 and 2:
       * the model's regime, p16 up to about 2^29, mult a float32 significand (24 bits) times 2^7
       * and the proof holding (requantize_rq): rep 1 in the layer-wide form with j = 32 - T = 0,
       * rep 2 with j > 0 (the models' j are 2 to 9; shifts 28 to 31) or, shifts 26 to 39, too far
       * apart for one T (the per-row form) */
      for (int i = 0; i < rows; i++) {
        c.mult[i] = (rep == 1 || rep == 2 ? rng_int(1 << 23, (1 << 24) - 1) * 128 : rng_int(1 << 30, INT32_MAX)) *
                  (rng_next() & 1 ? 1 : -1);
        c.shift[i] = rep == 1 ? rng_int(36, 39) : rep == 2 ? (m % 2 ? rng_int(26, 39) : rng_int(28, 31)) : rng_int(20, 40);
        c.bias[i] = rep == 1 || rep == 2 ? rng_int(-(1 << 28), 1 << 28) : rand_i32((int)(rng_next() % 3));
      }
      for (int j = 0; j < cols; j++)
        c.a15[j] = (int16_t)(rep == 2 ? (rng_next() & 1 ? 32767 : -32768) : (int)(rng_next() & 0xffff));
      for (int j = nin; j < cols; j++) c.a15[j] = 32767; /* past the inputs: must not be read */
      const int ok = dredfx_nn_i8_row_sums(c.wsum, c.w, c.idx, rows, cols);
      const int rq_ok = dredfx_nn_requant_prep(c.rq, c.w, c.idx, rows, cols, c.mult, c.shift, rep == 1 ? NULL : c.bias, rows);
      const int idx8_cap = c.idx ? rows / 8 + (int)(c.nw / 32) : 0;
      uint8_t *idx8 = c.idx ? xmalloc((size_t)idx8_cap) : NULL;
      const int idx8_ok = c.idx && dredfx_nn_sparse_idx8(idx8, idx8_cap, c.idx, rows) > 0;
      const dredfx_nn_linear l = {.nb_inputs = nin, .nb_outputs = rows, .w8 = c.w, .idx = c.idx, .mult = c.mult,
                                  .shift = c.shift, .bias = rep == 1 ? NULL : c.bias, .wsum = ok ? c.wsum : NULL,
                                  .rq = rq_ok ? c.rq : NULL, .rq_hi = rq_ok == 2 && ok, .idx8 = idx8_ok ? idx8 : NULL};
      linear_rq_layers[!rq_ok ? 0 : l.rq_hi ? 2 : 1] += rq_ok == 0 || ok;
      linear_idx8_layers += idx8_ok && rq_ok && ok;
      linear_case_check(&c, &l, rows, cols);
      free(idx8);
      linear_case_free(&c);
    }
}

/* dredfx_nn_linear_a15 in the layer-wide form at every shift j = 32 - T from 0 to LINEAR_J_MAX, each
 * on a narrow (16 columns), a wide (128) and a sparse layer: every level's per-j constants (AVX2's
 * factor 2^j, the other levels' shift) against the scalar level. Multipliers of 30 bits with shift
 * 32 - j make T = 32 - j; the weights are small enough for the form's bound 254 max(P, N) 2^j < 2^31
 * (one weight of +-1 a row at the largest j). */
#define LINEAR_J_MAX 23
static unsigned linear_j_seen; /* bit j: a layer took the layer-wide form with that j */

static void run_linear_j(void) {
  static const int shapes[3][3] = {{24, 16, 0}, {40, 128, 0}, {24, 64, 1}};
  for (int j = 0; j <= LINEAR_J_MAX; j++)
    for (int sh = 0; sh < 3; sh++) {
      const int rows = shapes[sh][0], cols = shapes[sh][1], sparse = shapes[sh][2];
      linear_case c = linear_case_new(rows, cols, sparse, 4);
      /* the largest weight, up to 64 (the offset kernels' pair bound), that keeps 254 cols wmax 2^j
       * below 2^31; 0: one weight of +-1 a row */
      const long wmax = (((1L << (31 - j)) - 1) / 254) / cols;
      memset(c.w, 0, c.nw);
      for (size_t i = 0; i < c.nw; i++)
        if (wmax > 0) c.w[i] = (int8_t)rng_int(-(int)(wmax < 64 ? wmax : 64), (int)(wmax < 64 ? wmax : 64));
      if (wmax == 0) /* one weight of +-1 a row, in its group's first block */
        for (int g = 0, b = 0, k = 0; g < rows / 8; g++) {
          for (int r = 0; r < 8; r++) c.w[32 * b + 4 * r + rng_int(0, 3)] = (int8_t)(rng_next() & 1 ? 1 : -1);
          const int nblocks = sparse ? c.idx[k] : cols / 4;
          k += 1 + nblocks;
          b += nblocks;
        }
      for (int i = 0; i < rows; i++) {
        c.mult[i] = (rng_int(1 << 30, INT32_MAX - 1) | 1) * (rng_next() & 1 ? 1 : -1);
        c.shift[i] = 32 - j;
        c.bias[i] = rng_int(-(1 << 20), 1 << 20);
      }
      for (int i = 0; i < cols; i++) c.a15[i] = (int16_t)(rng_next() & 0xffff);
      const int ok = dredfx_nn_i8_row_sums(c.wsum, c.w, c.idx, rows, cols);
      const int rq_ok = dredfx_nn_requant_prep(c.rq, c.w, c.idx, rows, cols, c.mult, c.shift, c.bias, rows);
      if (ok && rq_ok == 2 && 32 - c.rq[16] == j) linear_j_seen |= 1u << j;
      const dredfx_nn_linear l = {.nb_inputs = cols, .nb_outputs = rows, .w8 = c.w, .idx = c.idx, .mult = c.mult,
                                  .shift = c.shift, .bias = c.bias, .wsum = ok ? c.wsum : NULL, .rq = rq_ok ? c.rq : NULL,
                                  .rq_hi = rq_ok == 2 && ok};
      linear_case_check(&c, &l, rows, cols);
      linear_case_free(&c);
    }
}

/* ------------------------------------------------------------------ levels */
/* The highest level of this CPU by checkasm's own reading of CPUID / AT_HWCAP, independent of
 * cpu.c: a level the CPU has but the build lacks is a failure, not a silent pass. */
static int cpu_expected_level(void) {
#if defined(__x86_64__)
  unsigned int a, b, c, d;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return 0;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a & (1u << 4))) return 1;
  unsigned int lo = 0, hi = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27))) __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) == 0xe6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16)) && (b & (1u << 30)) &&
      (b & (1u << 31)) && (c & (1u << 11)))
    return 3;
  return 2;
#elif defined(__aarch64__)
  return (getauxval(AT_HWCAP) & (1UL << 20)) ? 2 : 1; /* HWCAP_ASIMDDP */
#elif defined(__arm__)
  return (getauxval(AT_HWCAP) & (1UL << 12)) ? 1 : 0; /* HWCAP_NEON */
#else
  return 0;
#endif
}

/* ------------------------------------------------------------------ bench */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(void) {
  static const int sizes[][2] = {{192, 96}, {128, 544}, {80, 576}, {480, 272}};
  static const char *const kinds[] = {"dense_i8", "sparse_i8", "dense_i8_u", "sparse_i8_u"};
  volatile int32_t sink = 0;
  printf("bench (MAC/s; the real benchmark is in bench/):\n");
  for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
    const int rows = sizes[s][0], cols = sizes[s][1];
    int8_t *w = xmalloc((size_t)rows * cols), *x = xmalloc((size_t)cols);
    int32_t *acc = xmalloc(sizeof(int32_t) * (size_t)rows), *wsum = xmalloc(sizeof(int32_t) * (size_t)rows);
    int32_t *idx = xmalloc(sizeof(int32_t) * ((size_t)rows / 8 * (1 + (size_t)cols / 4)));
    fill_bounded(w, (size_t)rows * cols, 0);
    fill_x8(x, (size_t)cols, FILL_RANDOM);
    uint8_t *xu = offset_inputs(x, cols);
    int blocks = make_pattern(idx, rows, cols, 4, 0);
    dredfx_nn_i8_row_sums(wsum, w, NULL, rows, cols);
    for (int kind = 0; kind < 4; kind++) {
      double base = 0;
      for (int l = 0; l < nb_levels; l++) {
        long iters = 0;
        double t0 = now_s(), t;
        do {
          for (int r = 0; r < 200; r++) {
            switch (kind) {
              case 0: levels[l]->dense_i8(acc, w, x, rows, cols); break;
              case 1: levels[l]->sparse_i8(acc, w, idx, x, rows); break;
              case 2: levels[l]->dense_i8_u(acc, w, wsum, xu, rows, cols); break;
              default: levels[l]->sparse_i8_u(acc, w, wsum, idx, xu, rows); break;
            }
            sink += acc[0];
          }
          iters += 200;
          t = now_s() - t0;
        } while (t < 0.3);
        double macs = (double)iters * (kind % 2 == 0 ? (double)rows * cols : (double)blocks * 32) / t;
        if (l == 0) base = macs;
        printf("  %-11s %-10s %4dx%-4d %8.2f GMAC/s  (%.1fx scalar)\n", kinds[kind], dredfx_cpu_level_name(l), rows,
               cols, macs * 1e-9, macs / base);
      }
    }
    free(w);
    free(x);
    free(xu);
    free(acc);
    free(wsum);
    free(idx);
  }
  (void)sink;
}

/* An ARM binary that reads an x86 /proc/cpuinfo ("vendor_id", an x86-only field) runs under
 * qemu-user, which passes the host's file through. */
static int running_emulated(void) {
#if defined(__aarch64__) || defined(__arm__)
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[256];
  int found = 0;
  while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) found = strncmp(line, "vendor_id", 9) == 0;
  if (f != NULL) fclose(f);
  return found;
#else
  return 0;
#endif
}

/* Random cases per kernel: --cases, else DREDFX_CHECKASM_CASES, else 100000, or 10000 in sanitizer
 * and FIXED_DEBUG builds (about 20 times slower) and 20000 under qemu (about 10 times slower), so
 * that CI time stays flat. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define CHECKASM_SLOW_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(DREDFX_FIXED_DEBUG)
#define CHECKASM_SLOW_BUILD 1
#endif
static long default_cases(void) {
  const char *env = getenv("DREDFX_CHECKASM_CASES");
  if (env != NULL && *env != '\0') return strtol(env, NULL, 0);
#if defined(CHECKASM_SLOW_BUILD)
  const int slow_build = 1;
#else
  const int slow_build = 0;
#endif
  return slow_build ? 10000 : running_emulated() ? 20000 : 100000;
}

int main(int argc, char **argv) {
  long ncases = default_cases();
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
  if (ncases < 1) {
    fprintf(stderr, "checkasm: the case count must be positive\n");
    return 2;
  }
  const int expected = cpu_expected_level(), max_level = dredfx_cpu_max_level();
  if (max_level < expected) {
    fprintf(stderr, "checkasm: FAIL: this CPU has level %d but the build stops at %s (level %d): a level is "
            "not compiled in\n", expected, dredfx_cpu_level_name(max_level), max_level);
    return 1;
  }
  /* Every level up to the one in use: the highest available unless DREDFX_CPU caps it. */
  const int max = dredfx_cpu_level();
  for (int l = 0; l <= max; l++) {
    if (l >= MAX_LEVELS || (levels[l] = dredfx_nn_kernels_for_level(l)) == NULL) {
      fprintf(stderr, "checkasm: FAIL: level %d (%s) has no kernel table\n", l, dredfx_cpu_level_name(l));
      return 1;
    }
    nb_levels = l + 1;
  }
  printf("checkasm: seed 0x%" PRIx64 ", %ld random cases per kernel; CPU levels:", seed, ncases);
  for (int l = 0; l < nb_levels; l++) printf(" %s", dredfx_cpu_level_name(l));
  if (max < max_level) printf(" (capped by DREDFX_CPU; this CPU has %s)", dredfx_cpu_level_name(max_level));
  printf("\n");

  rng_state = seed;
  run_i8(ncases, 0);
  rng_state = seed + 1;
  run_i8(ncases, 1);
  rng_state = seed + 2;
  run_dense_i16(ncases);
  rng_state = seed + 3;
  run_quantize(ncases / 10 + 1);
  rng_state = seed + 4;
  run_requantize(ncases / 10 + 1);
  rng_state = seed + 5;
  run_linear();
  run_linear_j();
  rng_state = seed + 6;
  run_requant_rq(ncases / 10 + 1);
  rng_state = seed + 7;
  run_activations(ncases / 10 + 1);
  rng_state = seed + 8;
  run_gru_update(ncases / 10 + 1);
  rng_state = seed + 9;
  run_dense_i32(ncases / 10 + 1);
  rng_state = seed + 10;
  run_conv2d(ncases / 10 + 1);
  long failed = check_pair_bound(), passed = 0;

  if (nb_levels == 1) printf("  only the scalar level is available: nothing to compare\n");
  for (int k = 0; k < K_NB; k++)
    for (int l = 0; l < nb_levels; l++) {
      if (st_all[k].cases[l] == 0) continue;
      printf("  %-11s %-10s %7ld cases: %ld passed, %ld failed\n", st_all[k].name, dredfx_cpu_level_name(l),
             st_all[k].cases[l], st_all[k].cases[l] - st_all[k].failed[l], st_all[k].failed[l]);
      passed += st_all[k].cases[l] - st_all[k].failed[l];
      failed += st_all[k].failed[l];
    }
  printf("  linear_a15 layers: %ld with the saturating requantize, %ld with requantize_rq's per-row form, %ld with "
         "its layer-wide form; %ld of them sparse with the byte-form index\n", linear_rq_layers[0],
         linear_rq_layers[1], linear_rq_layers[2], linear_idx8_layers);
  if (linear_rq_layers[0] == 0 || linear_rq_layers[1] == 0 || linear_rq_layers[2] == 0 || linear_idx8_layers == 0) {
    fprintf(stderr, "linear_a15 did not exercise the three requantization paths and the byte-form index\n");
    failed++;
  }
  if (linear_j_seen != (2u << LINEAR_J_MAX) - 1) {
    fprintf(stderr, "linear_a15 did not reach the layer-wide form at every j from 0 to %d (seen: %#x)\n", LINEAR_J_MAX,
            linear_j_seen);
    failed++;
  }
  if (do_bench) bench();
  printf("%ld passed, %ld failed\n", passed, failed);
  return failed != 0;
}
