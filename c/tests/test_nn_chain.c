/* A deterministic multi-layer run pinned by CRC-32 at every CPU level: any drift of any kernel,
 * activation, rounding or layer on any target (x86 levels, aarch64 NEON/dotprod and armv7 NEON
 * under qemu in CI) fails here. The weights are synthetic, drawn from a fixed PRNG with the
 * shapes of the RDO-VAE decoder's first block and libopus' weight statistics (int8 weights in
 * [-127, 127] whose same-sign column pairs stay within 129, as in every libopus 1.6.1 model), so
 * no blob or Python is needed. 1,000 steps of:
 *   d  = tanh(W32 latent + b)      26 -> 96, 32-bit wide layer, latents int32 Q16 in +-80
 *   h  = GRU(d, h)                 96 -> 64 units (sparse int8 input matrix, dense recurrent)
 *   g  = GLU(h)                    64
 *   c  = tanh(W [d | g] + b)       160 -> 32, sparse int8 (conv-dense)
 *   v  = conv1d(c)                 k = 2, 32 -> 32, tanh
 *   y  = W [d | g | v] + b         192 -> 80, int8, p16 output
 *   u  = W16 v + b                 32 -> 16, 16-bit wide layer (a15 input), p16 output
 * CRC-32 of the final GRU state and of every step's y and u (little-endian bytes). A FIXED_DEBUG
 * build also asserts that no SAT16 / SAT32 / ADD_SAT32 saturates on this run (the way a model
 * test asserts "no saturation on real speech") and lists the sites that clamped an activation. */
#include <stdio.h>
#include <string.h>

#include "blob_sign.h"
#include "check.h"
#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/nn.h"

#define STEPS 1000
/* The pinned values (computed by this test on x86-64 at the scalar level). */
#define CRC_STATE 0x4b1589ebu
#define CRC_OUTPUTS 0x97974593u

static uint32_t rng_state = 0x2545F491u;
static uint32_t rnd(void) { /* xorshift32 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}
static int32_t rnd_range(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

typedef struct {
  int8_t w8[192 * 192];
  int32_t idx[1024], mult[192], shift[192], bias[192];
  int32_t w32[96 * 26], wexp32[96];
  int16_t w16[16 * 32];
  int32_t wexp[16];
  dredfx_nn_linear l;
} layer;

/* int8 weights of one row group in the block layout: same-sign pairs (columns 2k, 2k+1) within 129. */
static void fill_block(int8_t *w) {
  for (int r = 0; r < 8; r++)
    for (int c = 0; c < 4; c += 2) {
      int a = rnd_range(-127, 127), b = rnd_range(-127, 127);
      if ((a > 0) == (b > 0) && (a > 0 ? a + b : -a - b) > 129) b = (b > 0 ? 1 : -1) * (129 - (a > 0 ? a : -a));
      w[r * 4 + c] = (int8_t)a;
      w[r * 4 + c + 1] = (int8_t)b;
    }
}

/* Requantization for pre-activations of a few units: mult in [2^30, 2^31), shift from the size. */
static void fill_requant(layer *t, int rows, int cols, int bias_range) {
  int lg = 0;
  while ((2 << lg) <= cols) lg++;
  for (int i = 0; i < rows; i++) {
    t->mult[i] = (int32_t)((1u << 30) + (rnd() >> 2));
    t->shift[i] = 26 + lg / 2;
    t->bias[i] = rnd_range(-bias_range, bias_range);
  }
}

static void make_dense(layer *t, int rows, int cols) {
  memset(t, 0, sizeof(*t));
  for (int b = 0; b < rows * cols / 32; b++) fill_block(&t->w8[b * 32]);
  fill_requant(t, rows, cols, 1 << 16);
  t->l.nb_inputs = cols;
  t->l.nb_outputs = rows;
  t->l.w8 = t->w8;
  t->l.mult = t->mult;
  t->l.shift = t->shift;
  t->l.bias = t->bias;
}

/* Sparse: each 8-row group keeps each 4-column block with probability ~1/2 (at least one). */
static void make_sparse(layer *t, int rows, int cols) {
  int pos = 0, nb = 0;
  memset(t, 0, sizeof(*t));
  for (int g = 0; g < rows / 8; g++) {
    const int count_at = pos++;
    int n = 0;
    for (int c = 0; c < cols; c += 4)
      if ((rnd() & 1) || (n == 0 && c == cols - 4)) {
        t->idx[pos++] = c;
        fill_block(&t->w8[nb++ * 32]);
        n++;
      }
    t->idx[count_at] = n;
  }
  CHECK_EQ(dredfx_nn_sparse_check(t->idx, (size_t)pos, (size_t)nb * 32, rows, cols), nb);
  fill_requant(t, rows, cols, 1 << 16);
  t->l.nb_inputs = cols;
  t->l.nb_outputs = rows;
  t->l.w8 = t->w8;
  t->l.idx = t->idx;
  t->l.mult = t->mult;
  t->l.shift = t->shift;
  t->l.bias = t->bias;
}

static void put32(unsigned char *p, int32_t v) {
  for (int k = 0; k < 4; k++) p[k] = (unsigned char)((uint32_t)v >> (8 * k));
}

static layer dense1, gru_in, gru_rec, glu, cdense, conv, out, head;
static unsigned char trace[STEPS * (80 + 16) * 4];

static void build(void) {
  rng_state = 0x2545F491u;
  memset(&dense1, 0, sizeof(dense1));
  for (int i = 0; i < 96 * 26; i++) dense1.w32[i] = (int32_t)(rnd() >> 1) - (1 << 30);
  for (int i = 0; i < 96; i++) {
    dense1.wexp32[i] = 37 + (int32_t)(rnd() % 3);
    dense1.bias[i] = rnd_range(-(1 << 15), 1 << 15);
  }
  dense1.l.nb_inputs = 26;
  dense1.l.nb_outputs = 96;
  dense1.l.w32 = dense1.w32;
  dense1.l.wexp32 = dense1.wexp32;
  dense1.l.bias = dense1.bias;
  make_sparse(&gru_in, 192, 96);
  make_dense(&gru_rec, 192, 64);
  make_dense(&glu, 64, 64);
  make_sparse(&cdense, 32, 160);
  make_dense(&conv, 32, 64);
  make_dense(&out, 80, 192);
  memset(&head, 0, sizeof(head));
  for (int i = 0; i < 16 * 32; i++) head.w16[i] = (int16_t)rnd_range(-32767, 32767);
  for (int i = 0; i < 16; i++) {
    head.wexp[i] = 16 + (int32_t)(rnd() % 3);
    head.bias[i] = rnd_range(-(1 << 14), 1 << 14);
  }
  head.l.nb_inputs = 32;
  head.l.nb_outputs = 16;
  head.l.w16 = head.w16;
  head.l.wexp = head.wexp;
  head.l.bias = head.bias;
}

/* Runs the chain at the current level; returns the CRCs; counts saturated tanh outputs of the
 * first layer and the GRU state values at +-1 (the run must exercise the layers, not saturate). */
static void run(uint32_t *crc_state, uint32_t *crc_out, long *sat) {
  const dredfx_nn_kernels *k = dredfx_nn_get_kernels();
  int16_t h[64] = {0}, mem[32] = {0}, buf[192], c[32];
  int32_t latent[26], y[80], u[16];
  uint32_t r = 12345;
  *sat = 0;
  for (int t = 0; t < STEPS; t++) {
    for (int j = 0; j < 26; j++) {
      r = r * 1664525u + 1013904223u;
      latent[j] = (int32_t)((int64_t)(r >> 8) * (160 << 16) / (1 << 24)) - (80 << 16); /* +-80 in Q16 */
    }
    CHECK_EQ(dredfx_nn_dense_i32(k, &dense1.l, DREDFX_NN_ACT_TANH, buf, latent, 16), DREDFX_OK);
    CHECK_EQ(dredfx_nn_gru(k, &gru_in.l, &gru_rec.l, h, buf), DREDFX_OK);
    CHECK_EQ(dredfx_nn_glu(k, &glu.l, &buf[96], h), DREDFX_OK);
    CHECK_EQ(dredfx_nn_dense(k, &cdense.l, DREDFX_NN_ACT_TANH, c, buf), DREDFX_OK);
    CHECK_EQ(dredfx_nn_conv1d(k, &conv.l, DREDFX_NN_ACT_TANH, &buf[160], mem, c, 32, 1), DREDFX_OK);
    CHECK_EQ(dredfx_nn_linear_a15(k, &out.l, y, buf), DREDFX_OK);
    CHECK_EQ(dredfx_nn_linear_i16(k, &head.l, u, &buf[160], 15), DREDFX_OK);
    for (int i = 0; i < 80; i++) put32(&trace[(t * 96 + i) * 4], y[i]);
    for (int i = 0; i < 16; i++) put32(&trace[(t * 96 + 80 + i) * 4], u[i]);
    for (int i = 0; i < 96; i++) *sat += buf[i] == 32767 || buf[i] == -32767;
    for (int i = 0; i < 64; i++) *sat += h[i] >= 32767 || h[i] <= -32767;
  }
  unsigned char sb[128];
  for (int i = 0; i < 64; i++) {
    sb[2 * i] = (unsigned char)h[i];
    sb[2 * i + 1] = (unsigned char)((uint16_t)h[i] >> 8);
  }
  *crc_state = crc32_ref(sb, sizeof(sb));
  *crc_out = crc32_ref(trace, sizeof(trace));
}

int main(void) {
  const int max = dredfx_cpu_max_level(), start = dredfx_cpu_level();
  build();
  for (int level = 0; level <= max; level++) {
    uint32_t cs, co;
    long sat;
    CHECK_EQ(dredfx_cpu_set_level(level), DREDFX_OK);
#ifdef DREDFX_FIXED_DEBUG
    dredfx_fixed_debug_reset();
#endif
    run(&cs, &co, &sat);
#ifdef DREDFX_FIXED_DEBUG
    const dredfx_fixed_site *sites;
    const int n = dredfx_fixed_debug_saturations(&sites);
    for (int i = 0; i < n; i++) printf("  %s at %s:%d: %lu\n", sites[i].op, sites[i].file, sites[i].line, sites[i].count);
    CHECK_EQ(dredfx_fixed_debug_total("SAT16") + dredfx_fixed_debug_total("SAT32") +
                 dredfx_fixed_debug_total("ADD_SAT32"),
             0);
#endif
    printf("nn chain, level %-8s: CRC-32 state %08x, outputs %08x (%ld saturated values of %d)\n",
           dredfx_cpu_level_name(level), (unsigned)cs, (unsigned)co, sat, STEPS * (96 + 64));
    CHECKF(cs == CRC_STATE, "state CRC %08x, pinned %08x", (unsigned)cs, CRC_STATE);
    CHECKF(co == CRC_OUTPUTS, "outputs CRC %08x, pinned %08x", (unsigned)co, CRC_OUTPUTS);
    CHECKF(sat < STEPS * (96 + 64) / 20, "%ld saturated values", sat);
  }
  CHECK_EQ(dredfx_cpu_set_level(start), DREDFX_OK);
  return check_report("test_nn_chain");
}
