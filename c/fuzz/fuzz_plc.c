/* libFuzzer target for the neural PLC: the input is a sequence of operations on a dredfx_plc
 * state (update with pcm from the input, conceal, fec_add with features from the input at any
 * int32 value, skip entries, fec_clear, reset, and writes of libopus' public fields as its codec
 * does), run twice on two states that must give the same output bytes (no read of anything
 * uninitialised, no dependence on the state's address). Return codes must be DREDFX_OK or the
 * documented refusals. With DREDFX_WEIGHTS naming the blob the models run; without it, init
 * fails (loaded = 0) and the rest of the API must still behave.
 * Built by c/CMakeLists.txt: a libFuzzer program with -DDREDFX_FUZZ=ON (clang), else a replay
 * program (c/fuzz/replay_main.c) that ctest runs on c/fuzz/seeds/fuzz_plc/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"
#include "plc/plc.h"

#define MAX_ARRAYS 4096
#define MAX_OPS 48 /* a conceal costs up to a few ms (the first of a burst analyses the history) */

static dredfx_weight_array arrays[MAX_ARRAYS];
static int n_arrays;
static dredfx_plc *st[2];

static void setup(void) {
  const char *path = getenv("DREDFX_WEIGHTS");
  FILE *f = path ? fopen(path, "rb") : NULL;
  unsigned char *blob = NULL;
  long n = -1;
  if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
    blob = aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63);
    if (blob && fread(blob, 1, (size_t)n, f) != (size_t)n) abort();
  }
  if (f) fclose(f);
  if (blob) {
    n_arrays = dredfx_weights_parse(blob, (size_t)n, arrays, MAX_ARRAYS);
    if (n_arrays < 0) {
      fprintf(stderr, "fuzz_plc: unusable weights blob %s\n", path);
      abort();
    }
  }
  for (int i = 0; i < 2; i++)
    if (!(st[i] = aligned_alloc(64, (dredfx_plc_get_size() + 63) & ~(size_t)63))) abort();
}

/* Runs the operations on s; the concealed pcm goes to out (up to MAX_OPS frames). */
static int run(dredfx_plc *s, const uint8_t *data, size_t size, int16_t *out) {
  int nout = 0;
  const int want = n_arrays > 0 ? DREDFX_OK : DREDFX_ERR_WEIGHTS_MISSING;
  if (dredfx_plc_init(s, n_arrays > 0 ? arrays : NULL, n_arrays) != want) abort();
  for (int op = 0; op < MAX_OPS && size > 0; op++) {
    const uint8_t c = *data++;
    size--;
    switch (c % 8) {
      case 0: { /* update: 160 samples, the input's bytes repeated (or a level from c) */
        int16_t pcm[DREDFX_PLC_FRAME_SIZE];
        for (int i = 0; i < DREDFX_PLC_FRAME_SIZE; i++)
          pcm[i] = size >= 2 ? (int16_t)(data[(2 * i) % size] | data[(2 * i + 1) % size] << 8) : (int16_t)(c << 8);
        if (dredfx_plc_update(s, pcm) != DREDFX_OK) abort();
        break;
      }
      case 1:
      case 2: { /* conceal */
        const int valid = s->loaded && s->fec_read_pos >= 0 && s->fec_read_pos <= s->fec_fill_pos && s->fec_skip >= 0;
        const int rc = dredfx_plc_conceal(s, &out[nout * DREDFX_PLC_FRAME_SIZE]);
        if (rc != (valid ? DREDFX_OK : DREDFX_ERR_BAD_ARG)) abort();
        if (rc == DREDFX_OK) nout++;
        break;
      }
      case 3: { /* fec_add: 20 int32 from the input */
        int32_t f[20];
        for (int i = 0; i < 20; i++) {
          uint32_t v = 0;
          for (int b = 0; b < 4; b++) v |= (uint32_t)(size ? data[(4 * i + b) % size] : c) << (8 * b);
          f[i] = (int32_t)v;
        }
        const int full = s->fec_fill_pos >= DREDFX_PLC_MAX_FEC_FRAMES;
        if (dredfx_plc_fec_add(s, f) != (full ? DREDFX_ERR_BUFFER_TOO_SMALL : DREDFX_OK)) abort();
        break;
      }
      case 4:
        if (dredfx_plc_fec_add(s, NULL) != DREDFX_OK) abort();
        break;
      case 5:
        dredfx_plc_fec_clear(s);
        break;
      case 6:
        dredfx_plc_reset(s);
        break;
      case 7: /* the codec's writes: blend (silk/PLC.c), the queue positions (opus_decoder.c) */
        if (c & 8) s->blend = (c >> 4) & 1;
        if (c & 16) s->fec_skip = c >> 5;
        if (c & 32) s->fec_read_pos = (c >> 2) % (DREDFX_PLC_MAX_FEC_FRAMES + 2) - 1;
        break;
    }
  }
  return nout;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  static int16_t out[2][MAX_OPS * DREDFX_PLC_FRAME_SIZE];
  if (!ready) {
    setup();
    ready = 1;
  }
  if (size > 1 << 14) return 0;
  const int n0 = run(st[0], data, size, out[0]);
  const int n1 = run(st[1], data, size, out[1]);
  if (n0 != n1 || memcmp(out[0], out[1], sizeof(int16_t) * DREDFX_PLC_FRAME_SIZE * (size_t)n0)) abort();
  return 0;
}
