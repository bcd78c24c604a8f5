/* plc_dump: runs a script of PLC operations through libopus 1.6.1's lpcnet_plc_* (compiled
 * against a libopus build in the cache folder, with its internal headers and compiled-in
 * weights) or, built with -DPLC_DUMP_DREDFX against libdredfx, through dredfx_plc_*, so the two
 * see exactly the same calls (tests/test_plc.py, bench/plc_accuracy.py). Our own tool, never part
 * of libdredfx.
 *
 *   plc_dump SCRIPT OUT_PCM OUT_FEATURES
 *     SCRIPT: bytes, one op each: 'U' then 160 int16 (lpcnet_plc_update), 'C' (lpcnet_plc_conceal),
 *     'F' then 20 float32 (lpcnet_plc_fec_add; dredfx gets them in Q16, rounded half away from 0),
 *     'S' (fec_add(NULL)), 'X' (fec_clear), 'R' (reset); all little-endian.
 *     OUT_PCM: the 160 int16 of each conceal, in order. OUT_FEATURES: after each conceal, the 20
 *     features it synthesized (float32; libopus' st->features, dredfx's Q16 / 65536).
 *     With PLC_DUMP_TIME set, prints the conceals' count and their total time in ns (bench/).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef PLC_DUMP_DREDFX
#include "dredfx.h"
#include "plc/plc.h"
#include "../c/tests/blob_file.h"
#else
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "lpcnet.h"
#include "lpcnet_private.h"
#endif

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: plc_dump SCRIPT OUT_PCM OUT_FEATURES\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb"), *op = fopen(argv[2], "wb"), *of = fopen(argv[3], "wb");
  if (!in || !op || !of) {
    fprintf(stderr, "plc_dump: cannot open files\n");
    return 1;
  }
#ifdef PLC_DUMP_DREDFX
  char path[4096];
  size_t len;
  unsigned char *blob = test_read_blob(path, sizeof(path), &len);
  static dredfx_weight_array arrays[1024];
  int n = blob ? dredfx_weights_parse(blob, len, arrays, 1024) : -1;
  dredfx_plc *st = aligned_alloc(64, (dredfx_plc_get_size() + 63) / 64 * 64);
  if (n < 0 || !st || dredfx_plc_init(st, arrays, n) != DREDFX_OK) {
    fprintf(stderr, "plc_dump: no weights (%s)\n", path);
    return 1;
  }
#else
  LPCNetPLCState *st = malloc(sizeof(*st));
  lpcnet_plc_init(st);
#endif
  int c, nconceal = 0;
  int64_t ns = 0;
  while ((c = fgetc(in)) != EOF) {
    int16_t pcm[160];
    float f[20];
    switch (c) {
      case 'U':
        if (fread(pcm, 2, 160, in) != 160) return 1;
#ifdef PLC_DUMP_DREDFX
        dredfx_plc_update(st, pcm);
#else
        lpcnet_plc_update(st, pcm);
#endif
        break;
      case 'C': {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
#ifdef PLC_DUMP_DREDFX
        if (dredfx_plc_conceal(st, pcm) != DREDFX_OK) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (int i = 0; i < 20; i++) f[i] = st->features_q16[i] / 65536.0f;
#else
        lpcnet_plc_conceal(st, pcm);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (int i = 0; i < 20; i++) f[i] = st->features[i];
#endif
        ns += (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
        nconceal++;
        fwrite(pcm, 2, 160, op);
        fwrite(f, 4, 20, of);
        break;
      }
      case 'F':
        if (fread(f, 4, 20, in) != 20) return 1;
#ifdef PLC_DUMP_DREDFX
        {
          int32_t q[20];
          for (int i = 0; i < 20; i++) {
            double v = f[i] * 65536.0;
            v = v < 0 ? -floor(0.5 - v) : floor(0.5 + v);
            q[i] = (int32_t)(v > 2147483647.0 ? 2147483647.0 : v < -2147483647.0 ? -2147483647.0 : v);
          }
          if (dredfx_plc_fec_add(st, q) != DREDFX_OK) return 1;
        }
#else
        if (st->fec_fill_pos >= PLC_MAX_FEC) return 1;
        lpcnet_plc_fec_add(st, f);
#endif
        break;
      case 'S':
#ifdef PLC_DUMP_DREDFX
        dredfx_plc_fec_add(st, NULL);
#else
        lpcnet_plc_fec_add(st, NULL);
#endif
        break;
      case 'X':
#ifdef PLC_DUMP_DREDFX
        dredfx_plc_fec_clear(st);
#else
        lpcnet_plc_fec_clear(st);
#endif
        break;
      case 'R':
#ifdef PLC_DUMP_DREDFX
        dredfx_plc_reset(st);
#else
        lpcnet_plc_reset(st);
#endif
        break;
      default:
        fprintf(stderr, "plc_dump: bad op %d\n", c);
        return 1;
    }
  }
  if (getenv("PLC_DUMP_TIME")) printf("%d %lld\n", nconceal, (long long)ns);
  fclose(in);
  fclose(op);
  fclose(of);
#ifdef PLC_DUMP_DREDFX
  free(blob);
#endif
  free(st);
  return 0;
}
