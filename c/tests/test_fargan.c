/* FARGAN vocoder: argument checks, state size, and pinned CRC-32s of synthesis runs (cont on a
 * past signal, then frames of realistic and of extreme features), identical at every CPU level,
 * on the real libopus 1.6.1 weights ($DREDFX_WEIGHTS, else the default import path in the cache
 * folder; skipped with a message when absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_file.h"
#include "blob_sign.h"
#include "check.h"
#include "lcg.h"
#include "dredfx.h"

#define NF DREDFX_DRED_NUM_FEATURES
#define FRAME DREDFX_FARGAN_FRAME_SIZE
#define FRAMES 50

/* Pinned CRC-32s of the int16 output (little-endian) of run() on the real weights
 * (blob SHA-256 6237ac93...). */
#define CRC_BLOB_REAL_RANGE 0x22445759u
#define CRC_BLOB_EXTREME 0x119e82fcu

static int16_t pcm[DREDFX_FARGAN_CONT_SAMPLES];
static int32_t cont_features[DREDFX_FARGAN_CONT_FRAMES * NF];
static int32_t features[FRAMES * NF];
static int16_t out[FRAMES * FRAME];

/* Realistic: white noise within -20 dBFS as the past, features in the ranges of real speech
 * (cepstrum within +-2, f18 within +-0.8, f19 within +-0.5) drifting slowly. Extreme: a
 * full-scale past, and features at the int32 bounds, f18 at +-2^31 - 1 included. */
static void make_inputs(int extreme) {
  rng_state = extreme ? 7 : 1;
  for (int i = 0; i < DREDFX_FARGAN_CONT_SAMPLES; i++)
    pcm[i] = extreme ? (int16_t)(i & 1 ? 32767 : -32768) : (int16_t)rnd_sym(3277);
  for (int i = 0; i < DREDFX_FARGAN_CONT_FRAMES * NF; i++) cont_features[i] = rnd_sym(1 << 16);
  for (int f = 0; f < FRAMES; f++)
    for (int k = 0; k < NF; k++) {
      int32_t v;
      if (extreme)
        v = (rnd() & 1) ? INT32_MAX : -INT32_MAX;
      else if (k == 18)
        v = (int32_t)(((f * 7919) % 104858) - 52429);
      else if (k == 19)
        v = rnd_sym(1 << 15);
      else
        v = rnd_sym(2 << 16);
      features[f * NF + k] = v;
    }
}

static uint32_t out_crc(void) {
  unsigned char le[2 * FRAMES * FRAME];
  for (int i = 0; i < FRAMES * FRAME; i++) {
    le[2 * i] = (unsigned char)((uint16_t)out[i] & 0xFF);
    le[2 * i + 1] = (unsigned char)((uint16_t)out[i] >> 8);
  }
  return crc32_ref(le, sizeof(le));
}

static void run(dredfx_fargan *st, const dredfx_weight_array *a, int n, int extreme) {
  make_inputs(extreme);
  CHECK_EQ(dredfx_fargan_init(st, a, n), DREDFX_OK);
  CHECK_EQ(dredfx_fargan_cont(st, pcm, cont_features), DREDFX_OK);
  for (int f = 0; f < FRAMES; f++)
    CHECK_EQ(dredfx_fargan_synthesize_int16(st, &out[f * FRAME], &features[f * NF]), DREDFX_OK);
}

static void check_levels(const dredfx_weight_array *a, int n) {
  dredfx_fargan *st = malloc(dredfx_fargan_get_size());
  const int saved = dredfx_cpu_level();
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
    for (int extreme = 0; extreme < 2; extreme++) {
      run(st, a, n, extreme);
      const uint32_t crc = out_crc(), want = extreme ? CRC_BLOB_EXTREME : CRC_BLOB_REAL_RANGE;
      CHECKF(crc == want, "%s inputs, level %s: CRC-32 %08x, pinned %08x", extreme ? "extreme" : "real-range",
             dredfx_cpu_level_name(level), crc, want);
      if (level == 0) printf("%s inputs: output CRC-32 %08x\n", extreme ? "extreme" : "real-range", crc);
      if (!extreme) {
        /* a real-range run makes sound, not silence or a saturated square */
        int64_t energy = 0;
        int clipped = 0;
        for (int i = 0; i < FRAMES * FRAME; i++) {
          energy += (int64_t)out[i] * out[i];
          clipped += out[i] == 32767 || out[i] == -32767;
        }
        CHECK(energy > (int64_t)FRAMES * FRAME * 10);
        CHECK(clipped < FRAMES * FRAME / 100);
      }
    }
  }
  dredfx_cpu_set_level(saved);
  free(st);
}

/* Any int32 feature is valid input (stated rule, docs/fixed-point.md "FARGAN signal formats"):
 * INT32_MIN included, which dredfx.fargan never passes (it saturates to +-(2^31 - 1)), with an
 * int16 -32768 past. Every call succeeds, the output stays in [-32767, 32767], every level gives
 * the integers of the scalar level, and afterwards real-range frames make sound again. */
static void check_int32_extremes(const dredfx_weight_array *a, int n) {
  static const int32_t vals[] = {INT32_MIN, INT32_MAX, INT32_MIN + 1, -1, 0, 1 << 30, -(1 << 30)};
  static int16_t first[FRAMES * FRAME];
  dredfx_fargan *st = malloc(dredfx_fargan_get_size());
  const int saved = dredfx_cpu_level();
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
    CHECK_EQ(dredfx_fargan_init(st, a, n), DREDFX_OK);
    rng_state = 11;
    for (int i = 0; i < DREDFX_FARGAN_CONT_SAMPLES; i++) pcm[i] = i % 3 ? INT16_MIN : INT16_MAX;
    for (int i = 0; i < DREDFX_FARGAN_CONT_FRAMES * NF; i++) cont_features[i] = vals[rnd() % 7];
    for (int i = 0; i < FRAMES * NF; i++) features[i] = vals[rnd() % 7];
    CHECK_EQ(dredfx_fargan_cont(st, pcm, cont_features), DREDFX_OK);
    int bounded = 1;
    for (int f = 0; f < FRAMES / 2; f++)
      CHECK_EQ(dredfx_fargan_synthesize_int16(st, &out[f * FRAME], &features[f * NF]), DREDFX_OK);
    make_inputs(0);
    for (int f = FRAMES / 2; f < FRAMES; f++)
      CHECK_EQ(dredfx_fargan_synthesize_int16(st, &out[f * FRAME], &features[f * NF]), DREDFX_OK);
    for (int i = 0; i < FRAMES * FRAME; i++) bounded &= out[i] >= -32767;
    CHECKF(bounded, "level %s: an int16 sample below -32767", dredfx_cpu_level_name(level));
    int64_t energy = 0;
    for (int i = FRAMES * FRAME * 3 / 4; i < FRAMES * FRAME; i++) energy += (int64_t)out[i] * out[i];
    CHECKF(energy > (int64_t)FRAMES * FRAME / 4 * 10, "level %s: silence after the extreme frames",
           dredfx_cpu_level_name(level));
    if (level == 0)
      memcpy(first, out, sizeof(first));
    else
      CHECKF(!memcmp(first, out, sizeof(first)), "int32 extremes: level %s differs from scalar",
             dredfx_cpu_level_name(level));
  }
  dredfx_cpu_set_level(saved);
  free(st);
}

static void check_arguments(const dredfx_weight_array *a, int n) {
  dredfx_fargan *st = malloc(dredfx_fargan_get_size());
  int16_t o[FRAME];
  make_inputs(0);
  CHECK(dredfx_fargan_get_size() > 0);
  CHECK_EQ(dredfx_fargan_init(NULL, a, n), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_init(st, NULL, n), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_init(st, a, -1), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_init(st, a, 0), DREDFX_ERR_WEIGHTS_MISSING);
  /* a failed init leaves a state every call refuses */
  CHECK_EQ(dredfx_fargan_cont(st, pcm, cont_features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_init(st, a, n), DREDFX_OK);
  /* synthesis before cont is refused (libopus asserts cont_initialized) */
  CHECK_EQ(dredfx_fargan_synthesize_int16(st, o, features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_cont(NULL, pcm, cont_features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_cont(st, NULL, cont_features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_cont(st, pcm, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_cont(st, pcm, cont_features), DREDFX_OK);
  CHECK_EQ(dredfx_fargan_synthesize_int16(NULL, o, features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_synthesize_int16(st, NULL, features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_synthesize_int16(st, o, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_synthesize_q28(st, NULL, features), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_fargan_synthesize_int16(st, o, features), DREDFX_OK);
  free(st);
}

int main(void) {
  static dredfx_weight_array real[4096];
  unsigned char *blob;
  const int n = test_load_weights("test_fargan:", real, 4096, &blob);
  if (n > 0) {
    check_arguments(real, n);
    check_levels(real, n);
    check_int32_extremes(real, n);
  }
  free(blob);
  return check_report("test_fargan");
}
