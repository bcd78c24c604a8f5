/* RDO-VAE decoder: argument checks, the layer loader's checks, and pinned CRC-32s of whole
 * 26-latent decodes, identical at every CPU level: on a synthetic model built here (always), and
 * on the real libopus 1.6.1 weights when a blob is found ($DREDFX_WEIGHTS, else the default
 * import path in the cache folder; skipped with a message when absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_sign.h"
#include "blob_file.h"
#include "check.h"
#include "lcg.h"
#include "dredfx.h"
#include "nn/layer.h"

#define STATE_DIM DREDFX_DRED_STATE_DIM
#define STRIDE DREDFX_RDOVAE_LATENT_STRIDE
#define MAX_LAT DREDFX_DRED_MAX_LATENTS
#define NB_FEATURES (4 * MAX_LAT * DREDFX_DRED_NUM_FEATURES)

/* Pinned CRC-32s of the features (int32 little-endian) of decode_inputs() on the synthetic model
 * (realistic and extreme inputs) and on the real weights (blob SHA-256 be716cad...). */
#define CRC_SYNTH_REAL_RANGE 0xa56e52d6u
#define CRC_SYNTH_EXTREME 0xd0ae6787u
#define CRC_BLOB_REAL_RANGE 0xd9f61999u
#define CRC_BLOB_EXTREME 0x80afb217u

/* ------------------------------------------------------------------ a synthetic model */
#define MAX_ARRAYS 160
#define POOL_BYTES (1 << 20)
static dredfx_weight_array arrays[MAX_ARRAYS];
static char names[MAX_ARRAYS][64];
static int nb_arrays;
static _Alignas(64) unsigned char pool[POOL_BYTES];
static size_t pool_used;

static void *add_array(const char *name, const char *suffix, int type, uint32_t count, size_t es) {
  void *p = &pool[pool_used];
  pool_used += (count * es + 63) & ~(size_t)63;
  if (pool_used > POOL_BYTES || nb_arrays == MAX_ARRAYS) abort();
  snprintf(names[nb_arrays], sizeof(names[0]), "%s%s", name, suffix);
  arrays[nb_arrays] = (dredfx_weight_array){names[nb_arrays], type, count, p};
  nb_arrays++;
  return p;
}

static void add_bias(const char *name, int nout) {
  int32_t *b = add_array(name, ".bias", DREDFX_WT_I32, (uint32_t)nout, 4);
  for (int i = 0; i < nout; i++) b[i] = rnd_sym(1 << 15);
}

/* Weights in [-40, 40]; mult in [2^30, 2^31) and shift 29 keep most pre-activations within a
 * few units, as in the real model; sparse layers keep two column blocks of every three. */
static void add_int8(const char *name, int nin, int nout, int sparse) {
  const int rows = (nout + 7) / 8 * 8, cols = (nin + 3) / 4 * 4;
  uint32_t nw = (uint32_t)rows * (uint32_t)cols;
  if (sparse) {
    static int32_t idx[4096];
    int n = 0;
    uint32_t blocks = 0;
    for (int g = 0; g < rows / 8; g++) {
      int at = n++;
      idx[at] = 0;
      for (int c = 0; c < cols; c += 4)
        if ((g + c / 4) % 3 != 0) {
          idx[n++] = c;
          idx[at]++;
          blocks++;
        }
    }
    memcpy(add_array(name, "_weights_idx", DREDFX_WT_I32, (uint32_t)n, 4), idx, sizeof(int32_t) * (size_t)n);
    nw = 32 * blocks;
  }
  int8_t *w = add_array(name, "_weights_int8", DREDFX_WT_I8, nw, 1);
  for (uint32_t i = 0; i < nw; i++) w[i] = (int8_t)rnd_sym(40);
  int32_t *mult = add_array(name, ".mult", DREDFX_WT_I32, (uint32_t)nout, 4);
  int32_t *shift = add_array(name, ".shift", DREDFX_WT_I32, (uint32_t)nout, 4);
  for (int i = 0; i < nout; i++) {
    mult[i] = (int32_t)((1u << 30) + rnd() % (1u << 22) * 256u);
    shift[i] = 29;
  }
  add_bias(name, nout);
}

/* w32 of 31 bits with wexp32 39: weights up to 1/256, pre-activations of a few units (the
 * importer's 32-bit form of a float-weight layer). */
static void add_wide(const char *name, int nin, int nout) {
  int32_t *w = add_array(name, ".w32", DREDFX_WT_I32, (uint32_t)(nin * nout), 4);
  for (int i = 0; i < nin * nout; i++) w[i] = (int32_t)rnd_sym(32767) * 65536 + (int32_t)(rnd() % 65536);
  int32_t *e = add_array(name, ".wexp32", DREDFX_WT_I32, (uint32_t)nout, 4);
  for (int i = 0; i < nout; i++) e[i] = 39;
  add_bias(name, nout);
}

/* The 16-bit form (w16 with wexp 23), which the loader takes when a layer has no w32. */
static void add_wide16(const char *name, int nin, int nout) {
  int16_t *w = add_array(name, ".w16", DREDFX_WT_I16, (uint32_t)(nin * nout), 2);
  for (int i = 0; i < nin * nout; i++) w[i] = (int16_t)rnd_sym(32767);
  int32_t *e = add_array(name, ".wexp", DREDFX_WT_I32, (uint32_t)nout, 4);
  for (int i = 0; i < nout; i++) e[i] = 23;
}

static void build_model(void) {
  char name[32];
  nb_arrays = 0;
  pool_used = 0;
  rng_state = 12345;
  add_wide("dec_hidden_init", STATE_DIM, 128);
  add_int8("dec_gru_init", 128, 320, 1);
  add_wide("dec_dense1", STRIDE, 96);
  add_wide16("wide16_only", 8, 4);
  add_int8("dec_output", 576, 80, 1);
  for (int s = 1; s <= 5; s++) {
    const int gru_in = 96 * s;
    snprintf(name, sizeof(name), "dec_gru%d_input", s);
    add_int8(name, gru_in, 192, 1);
    snprintf(name, sizeof(name), "dec_gru%d_recurrent", s);
    add_int8(name, 64, 192, 0);
    snprintf(name, sizeof(name), "dec_glu%d", s);
    add_int8(name, 64, 64, 0);
    snprintf(name, sizeof(name), "dec_conv_dense%d", s);
    add_int8(name, gru_in + 64, 32, 1);
    snprintf(name, sizeof(name), "dec_conv%d", s);
    add_int8(name, 64, 32, 0);
  }
}

static dredfx_weight_array *find(dredfx_weight_array *a, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(a[i].name, name) == 0) return &a[i];
  abort();
}

/* ------------------------------------------------------------------ inputs */
static int32_t state_q16[STATE_DIM];
static int32_t latents_q16[MAX_LAT * STRIDE];
static int32_t features_q16[NB_FEATURES];

/* extreme 0: values in the ranges of real payloads (|state| <= 256, |latent| <= 80, the q-feature
 * of a level growing with the chunk); 1: every value at +-(2^31 - 1), the dequantizer's bound. */
static void decode_inputs(int extreme) {
  rng_state = 777;
  for (int k = 0; k < STATE_DIM; k++)
    state_q16[k] = extreme ? (k % 3 ? INT32_MAX : -INT32_MAX) : rnd_sym(256 << 16);
  for (int c = 0; c < MAX_LAT; c++) {
    for (int k = 0; k < STRIDE - 1; k++)
      latents_q16[c * STRIDE + k] = extreme ? ((c + k) % 2 ? INT32_MAX : -INT32_MAX) : rnd_sym(80 << 16);
    latents_q16[c * STRIDE + STRIDE - 1] = (c / 2 < 15 ? c / 2 : 15) * 8192 - 65536;
  }
}

static uint32_t features_crc(void) {
  unsigned char le[4 * NB_FEATURES];
  for (int i = 0; i < NB_FEATURES; i++)
    for (int b = 0; b < 4; b++) le[4 * i + b] = (unsigned char)((uint32_t)features_q16[i] >> (8 * b));
  return crc32_ref(le, sizeof(le));
}

/* Decodes both input sets at every CPU level; every level must give the pinned CRC-32s. */
static void check_levels(const char *what, const dredfx_weight_array *a, int n, uint32_t crc_real,
                         uint32_t crc_extreme) {
  dredfx_rdovae_dec *st = malloc(dredfx_rdovae_dec_get_size());
  const int saved = dredfx_cpu_level();
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
    CHECK_EQ(dredfx_rdovae_dec_init(st, a, n), DREDFX_OK);
    for (int extreme = 0; extreme < 2; extreme++) {
      decode_inputs(extreme);
      memset(features_q16, 0x55, sizeof(features_q16));
      CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, MAX_LAT, features_q16), 4 * MAX_LAT);
      const uint32_t crc = features_crc(), want = extreme ? crc_extreme : crc_real;
      CHECKF(crc == want, "%s, %s inputs, level %s: CRC-32 %08x, pinned %08x", what,
             extreme ? "extreme" : "real-range", dredfx_cpu_level_name(level), crc, want);
      if (level == 0)
        printf("%s, %s inputs: features CRC-32 %08x\n", what, extreme ? "extreme" : "real-range", crc);
    }
  }
  dredfx_cpu_set_level(saved);
  free(st);
}

/* ------------------------------------------------------------------ tests */
static void test_arguments(void) {
  dredfx_rdovae_dec *st = malloc(dredfx_rdovae_dec_get_size());
  CHECK(dredfx_rdovae_dec_get_size() > 0);
  build_model();
  CHECK_EQ(dredfx_rdovae_dec_init(NULL, arrays, nb_arrays), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_dec_init(st, NULL, nb_arrays), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, -1), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, 0), DREDFX_ERR_WEIGHTS_MISSING);
  /* A state whose init failed is refused, not used. */
  decode_inputs(0);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, 1, features_q16), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_OK);
  CHECK_EQ(dredfx_rdovae_decode_all(NULL, state_q16, latents_q16, 1, features_q16), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_decode_all(st, NULL, latents_q16, 1, features_q16), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, NULL, 1, features_q16), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, 1, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, -1, features_q16), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, MAX_LAT + 1, features_q16), DREDFX_ERR_BAD_ARG);
  /* No latent: nothing written, as libopus (it still runs the state layers). */
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, NULL, 0, NULL), 0);
  /* Chunks are decoded in order from one state: a shorter run is a prefix of a longer one. */
  int32_t first[4 * DREDFX_DRED_NUM_FEATURES * 3];
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, 3, first), 12);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, MAX_LAT, features_q16), 4 * MAX_LAT);
  CHECK(memcmp(first, features_q16, sizeof(first)) == 0);
  /* decode_payload = dequantize + decode_all. */
  CHECK_EQ(dredfx_rdovae_decode_payload(st, NULL, NULL, features_q16), DREDFX_ERR_BAD_ARG);
  free(st);
}

/* The layer loader refuses every blob fault the kernels would trust. */
static void test_layer_loader(void) {
  dredfx_nn_linear l;
  dredfx_rdovae_dec *st = malloc(dredfx_rdovae_dec_get_size());
  build_model();
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_glu1", 64, 64, 0), DREDFX_OK);
  CHECK(l.w8 != NULL && l.idx == NULL && l.w16 == NULL && l.bias != NULL);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_output", 576, 80, 0), DREDFX_OK);
  CHECK(l.w8 != NULL && l.idx != NULL);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_dense1", STRIDE, 96, 1), DREDFX_OK);
  CHECK(l.w32 != NULL && l.wexp32 != NULL && l.w16 == NULL && l.w8 == NULL);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "wide16_only", 8, 4, 1), DREDFX_OK);
  CHECK(l.w16 != NULL && l.wexp != NULL && l.w32 == NULL && l.bias == NULL);
  /* Wrong kind, wrong sizes, unknown layer, a name too long for the blob. */
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_dense1", STRIDE, 96, 0), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_glu1", 64, 64, 1), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_glu1", 64, 56, 0), DREDFX_ERR_WEIGHTS_SHAPE);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_dense1", 25, 96, 1), DREDFX_ERR_WEIGHTS_SHAPE);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_output", 572, 80, 0), DREDFX_ERR_WEIGHTS_SHAPE);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_nothing", 64, 64, 0), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "a_layer_name_that_is_longer_than_the_blob_allows",
                                 64, 64, 0), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_glu1", 0, 64, 0), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_linear_init(NULL, arrays, nb_arrays, "dec_glu1", 64, 64, 0), DREDFX_ERR_BAD_ARG);

  /* Damaged records, each found by the decoder's init. */
  int32_t *shift = (int32_t *)find(arrays, nb_arrays, "dec_conv3.shift")->data;
  shift[5] = 0;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  shift[5] = 63;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  int32_t *wexp = (int32_t *)find(arrays, nb_arrays, "dec_hidden_init.wexp32")->data;
  wexp[0] = 63;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  ((int32_t *)find(arrays, nb_arrays, "dec_dense1.w32")->data)[7] = INT32_MIN;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  ((int32_t *)find(arrays, nb_arrays, "wide16_only.wexp")->data)[1] = 41;
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "wide16_only", 8, 4, 1), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  ((int16_t *)find(arrays, nb_arrays, "wide16_only.w16")->data)[3] = INT16_MIN;
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "wide16_only", 8, 4, 1), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  int32_t *idx = (int32_t *)find(arrays, nb_arrays, "dec_gru2_input_weights_idx")->data;
  idx[1] = 190; /* column past the 192 inputs minus 4 */
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  find(arrays, nb_arrays, "dec_gru5_input_weights_int8")->count -= 32;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  find(arrays, nb_arrays, "dec_glu4.bias")->type = DREDFX_WT_F32;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  build_model();
  find(arrays, nb_arrays, "dec_conv_dense2_weights_idx")->type = DREDFX_WT_I8;
  CHECK_EQ(dredfx_rdovae_dec_init(st, arrays, nb_arrays), DREDFX_ERR_WEIGHTS_SHAPE);
  /* A bias is optional (libopus layers without one). */
  build_model();
  find(arrays, nb_arrays, "dec_conv5.bias")->name = "dec_conv5.unused";
  CHECK_EQ(dredfx_nn_linear_init(&l, arrays, nb_arrays, "dec_conv5", 64, 32, 0), DREDFX_OK);
  CHECK(l.bias == NULL);
  free(st);
}

static void test_synthetic_model(void) {
  build_model();
  check_levels("synthetic model", arrays, nb_arrays, CRC_SYNTH_REAL_RANGE, CRC_SYNTH_EXTREME);
}

/* decode_payload = dredfx_dred_dequantize + decode_all, on a payload with escapes. */
static void check_payload(const dredfx_weight_array *a, int n) {
  static dredfx_dred_payload p;
  static int32_t want[NB_FEATURES];
  dredfx_dred_stats stats;
  dredfx_rdovae_dec *st = malloc(dredfx_rdovae_dec_get_size());
  CHECK_EQ(dredfx_dred_stats_init(&stats, a, n), DREDFX_OK);
  CHECK_EQ(dredfx_rdovae_dec_init(st, a, n), DREDFX_OK);
  memset(&p, 0, sizeof(p));
  p.q0 = 6;
  p.dq = 5;
  p.qmax = 15;
  p.nb_latents = MAX_LAT;
  rng_state = 99;
  for (int k = 0; k < STATE_DIM; k++) p.state[k] = rnd_sym(k == 7 ? 100000 : 20);
  for (int c = 0; c < MAX_LAT; c++)
    for (int k = 0; k < DREDFX_DRED_LATENT_DIM; k++) p.latents[c][k] = rnd_sym(c == 3 ? 5000 : 10);
  CHECK_EQ(dredfx_dred_dequantize(&p, &stats, state_q16, latents_q16), DREDFX_OK);
  CHECK_EQ(dredfx_rdovae_decode_all(st, state_q16, latents_q16, MAX_LAT, want), 4 * MAX_LAT);
  CHECK_EQ(dredfx_rdovae_decode_payload(st, &p, &stats, features_q16), 4 * MAX_LAT);
  CHECK(memcmp(want, features_q16, sizeof(want)) == 0);
  p.nb_latents = MAX_LAT + 1;
  CHECK_EQ(dredfx_rdovae_decode_payload(st, &p, &stats, features_q16), DREDFX_ERR_BAD_ARG);
  free(st);
}

static void test_real_weights(void) {
  static dredfx_weight_array real[4096];
  unsigned char *blob;
  const int n = test_load_weights("test_rdovae: real weights", real, 4096, &blob);
  if (n > 0) {
    check_levels("libopus 1.6.1 weights", real, n, CRC_BLOB_REAL_RANGE, CRC_BLOB_EXTREME);
    check_payload(real, n);
  }
  free(blob);
}

int main(void) {
  test_arguments();
  test_layer_loader();
  test_synthetic_model();
  test_real_weights();
  return check_report("test_rdovae");
}
