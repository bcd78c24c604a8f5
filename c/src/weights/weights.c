/* dredfx weight blob loader (format: docs/weights-blob.md). Indexes the blob in place; every
 * offset and size is checked against the blob length before use. */
#include <string.h>

#include "common/common.h"
#include "weights/weights.h"

#define HEADER_SIZE 64
#define RECORD_HEADER 64

static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32), eight bytes a step ("slicing by 8"): the
 * tables take 8 KiB of stack and 2,048 steps to build, against 2.4 MB of blob (the 16-entry,
 * 4-bits-a-step loop took about 9 ms a parse). */
static uint32_t crc32_ieee(const unsigned char *p, size_t n) {
  uint32_t tab[8][256];
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    tab[0][b] = c;
  }
  for (int t = 1; t < 8; t++)
    for (int b = 0; b < 256; b++) tab[t][b] = (tab[t - 1][b] >> 8) ^ tab[0][tab[t - 1][b] & 0xff];
  uint32_t c = 0xffffffffu;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint32_t lo = c ^ rd32(p + i), hi = rd32(p + i + 4);
    c = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
        tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^ tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
  }
  for (; i < n; i++) c = (c >> 8) ^ tab[0][(c ^ p[i]) & 0xff];
  return c ^ 0xffffffffu;
}

static int elem_size(uint32_t type) {
  switch (type) {
    case DREDFX_WT_F32: case DREDFX_WT_I32: return 4;
    case DREDFX_WT_I16: return 2;
    case DREDFX_WT_I8: case DREDFX_WT_U8: return 1;
    default: return 0;
  }
}

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

int dredfx_weights_parse(const unsigned char *blob, size_t len, dredfx_weight_array *arrays,
                         int max_arrays) {
  if (!blob || !arrays || max_arrays < 0) return DREDFX_ERR_BAD_ARG;
  /* Arrays are used in place as int16/int32: the blob must be aligned and little-endian. */
  if (((uintptr_t)blob & 7) != 0) return DREDFX_ERR_BAD_ARG;
  if (!host_is_little_endian()) return DREDFX_ERR_UNIMPLEMENTED;
  if (len < HEADER_SIZE) return DREDFX_ERR_WEIGHTS_TRUNCATED;
  if (memcmp(blob, DREDFX_WEIGHTS_MAGIC, 8) != 0) return DREDFX_ERR_WEIGHTS_FORMAT;
  if (rd32(blob + 8) != DREDFX_WEIGHTS_FORMAT_VERSION) return DREDFX_ERR_WEIGHTS_FORMAT;
  uint32_t n = rd32(blob + 12), total = rd32(blob + 16);
  if (total < HEADER_SIZE) return DREDFX_ERR_WEIGHTS_FORMAT;
  if (total > len) return DREDFX_ERR_WEIGHTS_TRUNCATED;
  if (total != len) return DREDFX_ERR_WEIGHTS_FORMAT;
  if (crc32_ieee(blob + 24, total - 24) != rd32(blob + 20))
    return DREDFX_ERR_WEIGHTS_CHECKSUM;
  if (n > (uint32_t)max_arrays) return DREDFX_ERR_BUFFER_TOO_SMALL;
  size_t pos = HEADER_SIZE;
  for (uint32_t i = 0; i < n; i++) {
    if (total - pos < RECORD_HEADER) return DREDFX_ERR_WEIGHTS_TRUNCATED;
    const unsigned char *h = blob + pos;
    const char *name = (const char *)h;
    size_t name_len = strnlen(name, DREDFX_WEIGHTS_NAME_LEN);
    if (name_len == 0 || name_len == DREDFX_WEIGHTS_NAME_LEN) return DREDFX_ERR_WEIGHTS_FORMAT;
    for (size_t k = 0; k < name_len; k++)
      if (name[k] <= ' ' || name[k] > '~') return DREDFX_ERR_WEIGHTS_FORMAT;
    uint32_t type = rd32(h + 44), count = rd32(h + 48), nbytes = rd32(h + 52);
    int es = elem_size(type);
    if (es == 0 || rd32(h + 56) != 0 || rd32(h + 60) != 0) return DREDFX_ERR_WEIGHTS_FORMAT;
    if ((uint64_t)count * (uint64_t)es != nbytes) return DREDFX_ERR_WEIGHTS_FORMAT;
    uint64_t padded = ((uint64_t)nbytes + 63) & ~(uint64_t)63;
    if ((uint64_t)(total - pos - RECORD_HEADER) < padded) return DREDFX_ERR_WEIGHTS_TRUNCATED;
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(arrays[j].name, name) == 0) return DREDFX_ERR_WEIGHTS_FORMAT;
    arrays[i].name = name;
    arrays[i].type = (int)type;
    arrays[i].count = count;
    arrays[i].data = blob + pos + RECORD_HEADER;
    pos += RECORD_HEADER + (size_t)padded;
  }
  if (pos != total) return DREDFX_ERR_WEIGHTS_FORMAT;
  return (int)n;
}

const dredfx_weight_array *dredfx_weights_find(const dredfx_weight_array *arrays, int n,
                                               const char *name, int type, uint32_t count) {
  if (!arrays || !name) return NULL;
  for (int i = 0; i < n; i++)
    if (strcmp(arrays[i].name, name) == 0)
      return arrays[i].type == type && arrays[i].count == count ? &arrays[i] : NULL;
  return NULL;
}

int dredfx_weights_get(const dredfx_weight_array *arrays, int n, const char *name, int type,
                       uint32_t count, const void **out) {
  for (int i = 0; i < n; i++) {
    if (strcmp(arrays[i].name, name) != 0) continue;
    if (arrays[i].type != type || arrays[i].count != count) return DREDFX_ERR_WEIGHTS_SHAPE;
    *out = arrays[i].data;
    return DREDFX_OK;
  }
  return DREDFX_ERR_WEIGHTS_MISSING;
}
