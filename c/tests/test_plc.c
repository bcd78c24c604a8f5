/* Neural PLC: argument checks, the FEC queue's limits and skip semantics (libopus
 * lpcnet_plc_fec_add / _fec_clear), and pinned CRC-32s of concealment runs (a voiced synthetic
 * signal with bursts of 20, 60, 200 and 1,000 ms, with and without FEC frames; and an extreme
 * run: full-scale square waves, FEC features at the int32 bounds), identical at every CPU level,
 * on the real libopus 1.6.1 weights ($DREDFX_WEIGHTS, else the default import path in the cache
 * folder; skipped with a message when absent). In a FIXED_DEBUG build the real-range run,
 * 1,000 ms of concealment included, must count no saturation anywhere (SAT16, SAT32, ADD_SAT32). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_file.h"
#include "blob_sign.h"
#include "check.h"
#include "lcg.h"
#include "dredfx.h"
#include "plc/plc.h"

#define FRAME DREDFX_PLC_FRAME_SIZE
#define NF 20

/* Pinned CRC-32s of the concealed int16 output (little-endian) of run() on the real weights
 * (blob SHA-256 6237ac93...). */
#define CRC_REAL_RANGE 0x58c92a68u
#define CRC_EXTREME 0x9c18e32bu

static const int bursts[4] = {2, 6, 20, 100}; /* 20, 60, 200, 1,000 ms */
#define GOOD 30                               /* good frames before each burst */
#define MAX_OUT (2 * (2 + 6 + 20 + 100) * FRAME)
static int16_t out[MAX_OUT];
static int nout;
static uint32_t ph;

/* A voiced signal: harmonics of a slowly gliding pitch near 140 Hz, -12 dBFS peak, with noise. */
static void voiced_frame(int16_t *pcm, int t, int extreme) {
  for (int i = 0; i < FRAME; i++) {
    if (extreme) {
      pcm[i] = (int16_t)(((t * FRAME + i) / (3 + t % 7)) & 1 ? 32767 : -32768);
      continue;
    }
    /* phase accumulator: a period is 2^16; pitch period 114 +- 8 samples */
    const uint32_t inc = (uint32_t)(65536 / (114 + (t % 16) - 8));
    ph += inc;
    const int32_t saw = (int32_t)(ph & 0xFFFF) - 32768; /* sawtooth: every harmonic */
    pcm[i] = (int16_t)(saw / 5 + rnd_sym(300));
  }
}

static void run(dredfx_plc *st, const dredfx_weight_array *a, int n, int extreme) {
  int16_t pcm[FRAME];
  int32_t f[NF];
  int t = 0;
  rng_state = extreme ? 11 : 3;
  ph = 0;
  nout = 0;
  CHECK_EQ(dredfx_plc_init(st, a, n), DREDFX_OK);
  for (int fec = 0; fec < 2; fec++)
    for (int b = 0; b < 4; b++) {
      for (int g = 0; g < GOOD; g++, t++) {
        voiced_frame(pcm, t, extreme);
        CHECK_EQ(dredfx_plc_update(st, pcm), DREDFX_OK);
      }
      dredfx_plc_fec_clear(st);
      for (int k = 0; fec && k < bursts[b]; k++) {
        if (k % 5 == 3) {
          CHECK_EQ(dredfx_plc_fec_add(st, NULL), DREDFX_OK);
          continue;
        }
        for (int j = 0; j < NF; j++)
          f[j] = extreme ? ((rnd() & 1) ? INT32_MAX : INT32_MIN)
                         : j == 18 ? (int32_t)(-19661 + (t + k) % 7 * 1000)
                                   : j == 0 ? (int32_t)(3 << 16) + rnd_sym(1 << 15) : rnd_sym(1 << 15);
        CHECK_EQ(dredfx_plc_fec_add(st, f), DREDFX_OK);
      }
      for (int k = 0; k < bursts[b]; k++, t++) {
        CHECK_EQ(dredfx_plc_conceal(st, &out[nout]), DREDFX_OK);
        nout += FRAME;
      }
    }
}

static uint32_t out_crc(void) {
  static unsigned char le[2 * MAX_OUT];
  for (int i = 0; i < nout; i++) {
    le[2 * i] = (unsigned char)((uint16_t)out[i] & 0xFF);
    le[2 * i + 1] = (unsigned char)((uint16_t)out[i] >> 8);
  }
  return crc32_ref(le, 2 * (size_t)nout);
}

static void check_levels(const dredfx_weight_array *a, int n) {
  dredfx_plc *st = malloc(dredfx_plc_get_size());
  const int saved = dredfx_cpu_level();
  for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
    for (int extreme = 0; extreme < 2; extreme++) {
#ifdef DREDFX_FIXED_DEBUG
      dredfx_fixed_debug_reset();
#endif
      run(st, a, n, extreme);
      const uint32_t crc = out_crc(), want = extreme ? CRC_EXTREME : CRC_REAL_RANGE;
      CHECKF(crc == want, "%s inputs, level %s: CRC-32 %08x, pinned %08x", extreme ? "extreme" : "real-range",
             dredfx_cpu_level_name(level), crc, want);
      if (level == 0) printf("%s inputs: output CRC-32 %08x\n", extreme ? "extreme" : "real-range", crc);
      if (!extreme) {
        CHECK_EQ(st->sat_burg, 0);
#ifdef DREDFX_FIXED_DEBUG
        const dredfx_fixed_site *sites;
        const int ns = dredfx_fixed_debug_saturations(&sites);
        /* ACT_CLAMP (a tanh or sigmoid input past +-8: 1.0, held as 32767 by every model) is the
         * activation's own range, not a saturation */
        for (int i = 0; i < ns; i++)
          CHECKF(sites[i].count == 0 || strcmp(sites[i].op, "ACT_CLAMP") == 0, "real-range run, level %s: %lu saturations at %s %s:%d",
                 dredfx_cpu_level_name(level), sites[i].count, sites[i].op, sites[i].file, sites[i].line);
#endif
        /* the concealment makes sound: the first burst is not silence */
        int64_t energy = 0;
        for (int i = 0; i < 2 * FRAME; i++) energy += (int64_t)out[i] * out[i];
        CHECK(energy > 2 * FRAME * 10000);
      }
    }
  }
  dredfx_cpu_set_level(saved);
  free(st);
}

static void check_queue_and_arguments(const dredfx_weight_array *a, int n) {
  dredfx_plc *st = malloc(dredfx_plc_get_size());
  int16_t pcm[FRAME] = {0};
  int32_t f[NF] = {0};
  CHECK(dredfx_plc_get_size() == sizeof(dredfx_plc));
  CHECK_EQ(dredfx_plc_init(NULL, a, n), DREDFX_ERR_BAD_ARG);
  /* no weights: an error, loaded = 0, a reset state whose queue and updates work */
  CHECK_EQ(dredfx_plc_init(st, NULL, 0), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(st->loaded, 0);
  CHECK_EQ(dredfx_plc_init(st, a, 0), DREDFX_ERR_WEIGHTS_MISSING);
  CHECK_EQ(st->loaded, 0);
  CHECK_EQ(dredfx_plc_update(st, pcm), DREDFX_OK);
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_init(st, a, n), DREDFX_OK);
  CHECK_EQ(st->loaded, 1);
  CHECK_EQ(st->blend, 0);
  CHECK_EQ(dredfx_plc_update(NULL, pcm), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_update(st, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_conceal(NULL, pcm), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_conceal(st, NULL), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_fec_add(NULL, f), DREDFX_ERR_BAD_ARG);
  dredfx_plc_reset(NULL);
  dredfx_plc_fec_clear(NULL);
  /* the queue: 104 frames, then refused (libopus asserts); NULL adds a skip, never refused */
  for (int i = 0; i < DREDFX_PLC_MAX_FEC_FRAMES; i++) CHECK_EQ(dredfx_plc_fec_add(st, f), DREDFX_OK);
  CHECK_EQ(dredfx_plc_fec_add(st, f), DREDFX_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(st->fec_fill_pos, DREDFX_PLC_MAX_FEC_FRAMES);
  CHECK_EQ(dredfx_plc_fec_add(st, NULL), DREDFX_OK);
  CHECK_EQ(st->fec_skip, 1);
  /* a skip entry makes the next conceal predict (read position unchanged) and is consumed */
  CHECK_EQ(dredfx_plc_update(st, pcm), DREDFX_OK);
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  CHECK_EQ(st->blend, 1);
  /* the first conceal runs get_fec_or_pred three times: skip, then two FEC frames */
  CHECK_EQ(st->fec_skip, 0);
  CHECK_EQ(st->fec_read_pos, 2);
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  CHECK_EQ(st->fec_read_pos, 3);
  dredfx_plc_fec_clear(st);
  CHECK(st->fec_read_pos == 0 && st->fec_fill_pos == 0 && st->fec_skip == 0);
  /* huge features are clamped at the queue's entry */
  f[0] = INT32_MIN;
  f[1] = INT32_MAX;
  CHECK_EQ(dredfx_plc_fec_add(st, f), DREDFX_OK);
  CHECK(st->fec_q16[0][0] == -DREDFX_PLC_FEATURE_MAX_Q16 && st->fec_q16[0][1] == DREDFX_PLC_FEATURE_MAX_Q16);
  /* the loss count grows without bound and feature 0 stays at -15 */
  for (int i = 0; i < 40; i++) CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  CHECK_EQ(st->features_q16[0], -15 * 65536);
  st->loss_count = INT32_MAX - 1;
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  CHECK_EQ(st->loss_count, INT32_MAX);
  CHECK_EQ(st->features_q16[0], -15 * 65536);
  /* public fields written out of range by a caller: refused, no wild access */
  st->fec_read_pos = -5;
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_ERR_BAD_ARG);
  st->fec_read_pos = st->fec_fill_pos + 1; /* past the frames queued */
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_ERR_BAD_ARG);
  st->fec_read_pos = 0;
  st->fec_fill_pos = DREDFX_PLC_MAX_FEC_FRAMES + 1;
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_plc_fec_add(st, f), DREDFX_ERR_BUFFER_TOO_SMALL);
  /* reset: back to libopus' initial state, the models stay */
  dredfx_plc_reset(st);
  CHECK(st->loaded == 1 && st->blend == 0 && st->fec_fill_pos == 0 && st->loss_count == 0);
  CHECK_EQ(dredfx_plc_conceal(st, pcm), DREDFX_OK);
  free(st);
}

int main(void) {
  static dredfx_weight_array real[4096];
  unsigned char *blob;
  const int n = test_load_weights("test_plc:", real, 4096, &blob);
  if (n > 0) {
    check_queue_and_arguments(real, n);
    check_levels(real, n);
  }
  free(blob);
  return check_report("test_plc");
}
