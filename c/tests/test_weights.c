/* Weight blob loader: a blob built here in memory, then every kind of damage. */
#include <stdio.h>
#include <string.h>

#include "blob_sign.h"
#include "check.h"
#include "dredfx.h"

static _Alignas(64) unsigned char blob[8192];
static size_t blob_len;

static void wr32(unsigned char *p, uint32_t v) {
  p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void sign(void) { blob_sign(blob, blob_len); }

static size_t add_record(size_t pos, const char *name, int type, uint32_t count, int es, int fill) {
  memset(blob + pos, 0, 64);
  memcpy(blob + pos, name, strlen(name));
  wr32(blob + pos + 44, type);
  wr32(blob + pos + 48, count);
  wr32(blob + pos + 52, count * es);
  uint32_t padded = (count * es + 63) & ~63u;
  memset(blob + pos + 64, fill, padded);
  return pos + 64 + padded;
}

/* A blob with the eight DRED stats tables and one int16 array. */
static void build(void) {
  static const char *names[8] = {
    "dred_latent_quant_scales_q8", "dred_latent_dead_zone_q8", "dred_latent_r_q8", "dred_latent_p0_q8",
    "dred_state_quant_scales_q8", "dred_state_dead_zone_q8", "dred_state_r_q8", "dred_state_p0_q8"};
  memset(blob, 0, sizeof(blob));
  memcpy(blob, DREDFX_WEIGHTS_MAGIC, 8);
  wr32(blob + 8, DREDFX_WEIGHTS_FORMAT_VERSION);
  size_t pos = 64;
  for (int i = 0; i < 8; i++) pos = add_record(pos, names[i], DREDFX_WT_U8, i < 4 ? 400 : 800, 1, i + 1);
  pos = add_record(pos, "x.w16", DREDFX_WT_I16, 5, 2, 0);
  wr32(blob + 12, 9);
  wr32(blob + 16, (uint32_t)pos);
  blob_len = pos;
  sign();
}

int main(void) {
  dredfx_weight_array arrays[16];
  dredfx_dred_stats stats;

  build();
  CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == 9);
  CHECK(strcmp(arrays[8].name, "x.w16") == 0 && arrays[8].type == DREDFX_WT_I16 && arrays[8].count == 5);
  CHECK(dredfx_weights_find(arrays, 9, "x.w16", DREDFX_WT_I16, 5) == &arrays[8]);
  CHECK(dredfx_weights_find(arrays, 9, "x.w16", DREDFX_WT_I16, 6) == NULL);
  CHECK(dredfx_weights_find(arrays, 9, "x.w16", DREDFX_WT_I8, 5) == NULL);
  CHECK(dredfx_weights_find(arrays, 9, "nope", DREDFX_WT_I16, 5) == NULL);
  CHECK(dredfx_dred_stats_init(&stats, arrays, 9) == DREDFX_OK);
  CHECK(stats.latent_r_q8[0] == 3 && stats.state_p0_q8[799] == 8);
  CHECK(dredfx_dred_stats_init(&stats, arrays, 7) == DREDFX_ERR_WEIGHTS_MISSING);
  CHECK(dredfx_weights_parse(blob, blob_len, arrays, 8) == DREDFX_ERR_BUFFER_TOO_SMALL);
  CHECK(dredfx_weights_parse(NULL, blob_len, arrays, 16) == DREDFX_ERR_BAD_ARG);
  CHECK(dredfx_weights_parse(blob + 1, blob_len - 1, arrays, 16) == DREDFX_ERR_BAD_ARG);

  /* Every truncation is an error, never a read past the end. */
  int trunc_ok = 1;
  for (size_t n = 0; n < blob_len; n++)
    if (dredfx_weights_parse(blob, n, arrays, 16) >= 0) trunc_ok = 0;
  CHECK(trunc_ok);
  CHECK(dredfx_weights_parse(blob, 63, arrays, 16) == DREDFX_ERR_WEIGHTS_TRUNCATED);
  CHECK(dredfx_weights_parse(blob, blob_len - 1, arrays, 16) == DREDFX_ERR_WEIGHTS_TRUNCATED);

  /* A signed blob with 1-7 trailing bytes passes the CRC (its last bytes go through the loader's
   * byte-at-a-time tail, checked against the bitwise reference) and fails only the length check. */
  int tail_ok = 1;
  for (size_t extra = 1; extra < 8; extra++) {
    build();
    blob[blob_len] = (unsigned char)(0xa5 ^ extra);
    blob_len += extra;
    wr32(blob + 16, (uint32_t)blob_len);
    sign();
    if (dredfx_weights_parse(blob, blob_len, arrays, 16) != DREDFX_ERR_WEIGHTS_FORMAT) tail_ok = 0;
    blob[blob_len - 1] ^= 0x10;
    if (dredfx_weights_parse(blob, blob_len, arrays, 16) != DREDFX_ERR_WEIGHTS_CHECKSUM) tail_ok = 0;
  }
  CHECK(tail_ok);
  build();

  /* Every single-byte flip is caught (by the CRC or by a header check). */
  int flips_ok = 1;
  for (size_t i = 0; i < blob_len; i++) {
    blob[i] ^= 0x40;
    if (dredfx_weights_parse(blob, blob_len, arrays, 16) >= 0) flips_ok = 0;
    blob[i] ^= 0x40;
  }
  CHECK(flips_ok);
  blob[200] ^= 1;
  CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_CHECKSUM);
  blob[200] ^= 1;

  /* Structural faults behind a valid checksum. */
  build(); blob[0] = 'X'; CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 8, 2); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 64 + 44, 9); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 64 + 48, 401); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 64 + 48, 0x40000000u); wr32(blob + 64 + 52, 0x40000000u); sign();
  CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_TRUNCATED);
  build(); memset(blob + 64, 'a', 44); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 12, 10); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_TRUNCATED);
  build(); wr32(blob + 12, 8); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  build(); wr32(blob + 64 + 56, 1); sign(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  /* A duplicate name. */
  build(); memcpy(blob + 64 + 64 + 448, "dred_latent_quant_scales_q8", 28); sign();
  CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == DREDFX_ERR_WEIGHTS_FORMAT);
  /* Stats table with the wrong size. */
  build(); CHECK(dredfx_weights_parse(blob, blob_len, arrays, 16) == 9);
  arrays[0].count = 399;
  CHECK(dredfx_dred_stats_init(&stats, arrays, 9) == DREDFX_ERR_WEIGHTS_SHAPE);

  return check_report("test_weights");
}
