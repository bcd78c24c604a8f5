/* Re-signs a weight blob after a test or fuzz target has changed it: the CRC-32 over bytes
 * 24..len-1 goes into bytes 20..23 (docs/weights-blob.md). The CRC is a plain bitwise reference,
 * independent of the loader's table-driven one, so that the two check each other. */
#ifndef DREDFX_TESTS_BLOB_SIGN_H
#define DREDFX_TESTS_BLOB_SIGN_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t crc32_ref(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}

/* blob_len >= 24. */
static inline void blob_sign(unsigned char *blob, size_t blob_len) {
  const uint32_t c = crc32_ref(blob + 24, blob_len - 24);
  blob[20] = (unsigned char)c;
  blob[21] = (unsigned char)(c >> 8);
  blob[22] = (unsigned char)(c >> 16);
  blob[23] = (unsigned char)(c >> 24);
}

#endif
