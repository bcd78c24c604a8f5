/* main() for the fuzz targets outside libFuzzer builds: runs LLVMFuzzerTestOneInput once on each
 * file named on the command line, and on each file of a named folder (not recursing), so every
 * build compiles the targets and ctest replays their seeds. Each input lies in a buffer of exactly
 * its size, as libFuzzer gives it, so sanitizer builds catch reads past the end. Fails when an
 * argument cannot be read or no input was run. */
#define _FILE_OFFSET_BITS 64 /* 32-bit builds: readdir and stat fail on 64-bit inode numbers */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  long size;
  unsigned char *buf;
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    if (f) fclose(f);
    return -1;
  }
  buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)size);
  free(buf);
  return 0;
}

/* Runs every regular file of a folder; returns the count or -1. */
static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (d == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return -1;
  }
  while ((errno = 0, e = readdir(d)) != NULL) {
    char path[4096];
    struct stat st;
    if (e->d_name[0] == '.') continue;
    if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
        stat(path, &st) != 0) {
      fprintf(stderr, "replay: cannot read %s/%s\n", dir, e->d_name);
      closedir(d);
      return -1;
    }
    if (!S_ISREG(st.st_mode)) continue;
    if (run_file(path) < 0) {
      closedir(d);
      return -1;
    }
    n++;
  }
  if (errno != 0) {
    fprintf(stderr, "replay: cannot list %s\n", dir);
    n = -1;
  }
  closedir(d);
  return n;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    int n;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      return 1;
    }
    n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    if (n < 0) return 1;
    total += S_ISDIR(st.st_mode) ? n : 1;
  }
  printf("replay: %d inputs ran\n", total);
  if (total == 0) {
    fprintf(stderr, "replay: no input (usage: %s FILE|FOLDER...)\n", argv[0]);
    return 1;
  }
  return 0;
}
