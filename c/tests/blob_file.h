/* The imported weights blob for the C tests that run the real models: $DREDFX_WEIGHTS, else the
 * blob `dredfx weights import` writes ($XDG_CACHE_HOME or ~/.cache, then
 * dredfx/weights/dredfx-weights-libopus-1.6.1.bin). Header-only: each test is one program. */
#ifndef DREDFX_TESTS_BLOB_FILE_H
#define DREDFX_TESTS_BLOB_FILE_H

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "dredfx.h"

/* The blob's bytes (64-byte aligned, as the loader wants them; free() them) and its path in
 * path[size], or NULL when there is no readable blob there. */
static inline unsigned char *test_read_blob(char *path, size_t size, size_t *len) {
  const char *env = getenv("DREDFX_WEIGHTS"), *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (env != NULL && *env != '\0')
    snprintf(path, size, "%s", env);
  else if (cache != NULL || home != NULL)
    snprintf(path, size, "%s%s/dredfx/weights/dredfx-weights-libopus-1.6.1.bin", cache ? cache : home,
             cache ? "" : "/.cache");
  else
    snprintf(path, size, "%s", "");
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = aligned_alloc(64, ((size_t)n + 63) / 64 * 64)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = buf ? (size_t)n : 0;
  return buf;
}

/* The blob parsed into arrays[max] (its bytes in *blob; free() them): the number of arrays, or 0
 * when there is none (it prints "<what> skipped", what the test leaves out then) or it does not
 * parse (a failed check). */
static inline int test_load_weights(const char *what, dredfx_weight_array *arrays, int max,
                                    unsigned char **blob) {
  char path[4096];
  size_t len;
  int n;
  *blob = test_read_blob(path, sizeof(path), &len);
  if (*blob == NULL) {
    printf("%s skipped: no blob at '%s' (set DREDFX_WEIGHTS or run `dredfx weights import`)\n", what, path);
    return 0;
  }
  n = dredfx_weights_parse(*blob, len, arrays, max);
  CHECKF(n > 0, "%s: parse error %d", path, n);
  return n > 0 ? n : 0;
}

#endif
