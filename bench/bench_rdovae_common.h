/* Shared by the model benchmarks (bench/bench_*.c for dredfx, bench/bench_libopus_*.c for libopus
 * 1.6.1): a whole file read into memory, the RDO-VAE inputs (a fixed pseudo-random payload-like
 * state and latents, features) and the timer: best
 * per-call time over windows of about 1/20 of the requested seconds, in the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID): on the shared machine, time spent descheduled does not count. */
#ifndef BENCH_RDOVAE_COMMON_H
#define BENCH_RDOVAE_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BR_LATENTS 26
#define BR_STRIDE 26 /* 25 latent values, then the q-feature */

/* The bytes of the file at path (64-byte aligned, as dredfx's weight loader wants them) and their
 * number in *len, or NULL with a message. */
static unsigned char *br_read_file(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return NULL; }
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = aligned_alloc(64, ((size_t)*len + 63) & ~(size_t)63);
  if (!b || fread(b, 1, (size_t)*len, f) != (size_t)*len) { fclose(f); return NULL; }
  fclose(f);
  return b;
}

static double br_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Uniform in [-1, 1), the scale of dequantized DRED values and of most features. */
static double br_rand(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return (double)(*s >> 8) / 8388608.0 - 1.0;
}

static void br_inputs(double *state, double *latents, double *features) {
  uint32_t s = 9;
  for (int i = 0; i < 50; i++) state[i] = br_rand(&s);
  for (int c = 0; c < BR_LATENTS; c++) {
    for (int k = 0; k < 25; k++) latents[c * BR_STRIDE + k] = 2 * br_rand(&s);
    latents[c * BR_STRIDE + 25] = (4 + c / 4) / 8.0 - 1; /* q-feature of levels 4.. */
  }
  for (int i = 0; i < 40; i++) features[i] = br_rand(&s);
}

/* Seconds per call of fn(ctx): the best window, each window at least 1/20 of total. */
static double br_time(void (*fn)(void *), void *ctx, double total) {
  double best = 1e30, t_end = br_now() + total;
  long n = 1;
  fn(ctx);
  do {
    double t0 = br_now(), dt;
    for (long i = 0; i < n; i++) fn(ctx);
    dt = br_now() - t0;
    if (dt < total / 20) { n *= 2; continue; }
    if (dt / n < best) best = dt / n;
  } while (br_now() < t_end);
  return best;
}
#endif
