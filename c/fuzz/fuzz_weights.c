/* libFuzzer target: the weight blob loader on arbitrary bytes (with the CRC fixed up half of the
 * time so that the structural checks behind it are reached). */
#include <stdlib.h>
#include <string.h>

#include "../tests/blob_sign.h"
#include "dredfx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  unsigned char *blob = aligned_alloc(64, (size + 63) & ~(size_t)63);
  if (!blob) return 0;
  memcpy(blob, data + 1, size - 1);
  size_t len = size - 1;
  if ((data[0] & 1) && len >= 64) blob_sign(blob, len);
  dredfx_weight_array arrays[64];
  int n = dredfx_weights_parse(blob, len, arrays, 64);
  if (n >= 0) {
    dredfx_dred_stats stats;
    dredfx_dred_stats_init(&stats, arrays, n);
    volatile unsigned sum = 0;
    for (int i = 0; i < n; i++) {
      size_t bytes = arrays[i].count * (arrays[i].type == DREDFX_WT_I16 ? 2 : arrays[i].type <= 2 ? 4 : 1);
      for (size_t k = 0; k < bytes; k++) sum += ((const unsigned char *)arrays[i].data)[k];
    }
    (void)sum;
  }
  free(blob);
  return 0;
}
