/* The small deterministic generator of the model tests (test_rdovae, test_rdovae_enc,
 * test_fargan): their pinned CRC-32s depend on its exact sequence. Header-only: each test is one
 * program and seeds rng_state itself. */
#ifndef DREDFX_TESTS_LCG_H
#define DREDFX_TESTS_LCG_H

#include <stdint.h>

static uint32_t rng_state;

static inline uint32_t rnd(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

/* Uniform in [-m, m]. */
static inline int32_t rnd_sym(int32_t m) {
  return (int32_t)(rnd() % (uint32_t)(2 * m + 1)) - m;
}

#endif
