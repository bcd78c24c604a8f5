/* Integer activations: tanh and sigmoid from one table of libopus' tanh approximation, exp2 and
 * log2 from tables with linear interpolation. Formulas and error bounds: nn.h. */
#include "common/common.h"
#include "nn/nn.h"

#define TANH_LIMIT_P16 (8 << 16) /* end of the table: x = 8 */
/* From this p16 input on, libopus 1.6.1's generic sigmoid_approx is exactly 1.0f (and exactly 0.0f
 * at its negative) for every larger |x|; its first 1.0f is at 682256, then it wiggles between 1.0f
 * and 1 - 2^-24 up to 682279 (float rounding of the rational function crossing 1). */
#define SIGMOID_ONE_P16 682280

/* |tanh(a / 2^(16 + extra))| in Q19 for a >= 0: the table step is 1/64, i.e. 2^(10 + extra). */
static int32_t tanh_mag_q19(uint32_t a, int extra) {
  const int fbits = 10 + extra;
  if (a >= ((uint32_t)TANH_LIMIT_P16 << extra)) {
    DFX_COUNT_CLAMP(); /* 1.0, held as 32767 in Q15 */
    return DFX_SHL32(DFX_Q15_ONE, 4);
  }
  const int i = (int)(a >> fbits);
  const int32_t f = (int32_t)(a & ((1u << fbits) - 1));
  const int32_t t0 = dredfx_nn_tanh_table[i];
  const int32_t d = DFX_SUB32(dredfx_nn_tanh_table[i + 1], t0);
  /* d < 2^10 and f < 2^11: the product fits easily. */
  return DFX_ADD32(DFX_SHL32(t0, 4), DFX_PSHR32(d * f, fbits - 4));
}

/* |x| without the INT32_MIN overflow. */
static uint32_t abs_u32(int32_t x) {
  return x < 0 ? 0u - (uint32_t)x : (uint32_t)x;
}

int16_t dredfx_nn_tanh_a15(int32_t x) {
  const int16_t m = DFX_EXTRACT16(DFX_PSHR32(tanh_mag_q19(abs_u32(x), 0), 4));
  return x < 0 ? (int16_t)-m : m;
}

int32_t dredfx_nn_sigmoid_g15(int32_t x) {
  if (x >= SIGMOID_ONE_P16) return DFX_G15_ONE;
  if (x <= -SIGMOID_ONE_P16) return 0;
  /* |x| < 2^20, inside the table (|x / 2| < 8): half <= 16384. */
  const int32_t half = DFX_PSHR32(tanh_mag_q19(abs_u32(x), 1), 5);
  const int32_t g = x < 0 ? DFX_SUB32(16384, half) : DFX_ADD32(16384, half);
  return g < 1 ? 1 : g > DFX_Q15_ONE ? DFX_Q15_ONE : g;
}

int16_t dredfx_nn_sigmoid_a15(int32_t x) {
  const int32_t g = dredfx_nn_sigmoid_g15(x);
  if (g == DFX_G15_ONE) {
    DFX_COUNT_CLAMP(); /* 1.0, held as 32767 in Q15 */
    return DFX_Q15_ONE;
  }
  return (int16_t)g;
}

void dredfx_nn_tanh(int16_t *a15_out, const int32_t *p16_in, int n) {
  for (int i = 0; i < n; i++) a15_out[i] = dredfx_nn_tanh_a15(p16_in[i]);
}

void dredfx_nn_sigmoid(int16_t *a15_out, const int32_t *p16_in, int n) {
  for (int i = 0; i < n; i++) a15_out[i] = dredfx_nn_sigmoid_a15(p16_in[i]);
}

void dredfx_nn_sigmoid_gate(int32_t *g15_out, const int32_t *p16_in, int n) {
  for (int i = 0; i < n; i++) g15_out[i] = dredfx_nn_sigmoid_g15(p16_in[i]);
}

int dredfx_nn_activation(int16_t *a15_out, const int32_t *p16_in, int n, int act) {
  if (n < 0 || (n > 0 && (a15_out == NULL || p16_in == NULL))) return DREDFX_ERR_BAD_ARG;
  switch (act) {
    case DREDFX_NN_ACT_TANH: dredfx_nn_tanh(a15_out, p16_in, n); break;
    case DREDFX_NN_ACT_SIGMOID: dredfx_nn_sigmoid(a15_out, p16_in, n); break;
    case DREDFX_NN_ACT_RELU:
      for (int i = 0; i < n; i++) a15_out[i] = p16_in[i] > 0 ? DFX_SAT16(DFX_PSHR32(p16_in[i], 1)) : 0;
      break;
    case DREDFX_NN_ACT_LINEAR:
    case DREDFX_NN_ACT_SOFTMAX:
      for (int i = 0; i < n; i++) a15_out[i] = DFX_SAT16(DFX_PSHR32(p16_in[i], 1));
      break;
    default: return DREDFX_ERR_BAD_ARG;
  }
  return DREDFX_OK;
}

#define EXPLOG_BITS 8 /* 256 table steps per octave */

int32_t dredfx_nn_exp2_q16(int32_t x) {
  const int32_t n = x >> 16; /* floor */
  const uint32_t f = (uint32_t)x & 0xFFFF;
  if (n >= 15) return INT32_MAX;
  if (n < -48) return 0;
  const int fbits = 16 - EXPLOG_BITS;
  const int i = (int)(f >> fbits);
  const int64_t e0 = dredfx_nn_exp2_table[i];
  const int64_t d = (int64_t)dredfx_nn_exp2_table[i + 1] - e0;
  const int64_t m30 = e0 + DFX_PSHR64(d * (int64_t)(f & ((1u << fbits) - 1)), fbits); /* 2^frac, Q30 */
  /* value in Q16 = m30 * 2^n / 2^14 */
  if (n >= 14) return DFX_SAT32(m30 << (n - 14));
  return DFX_SAT32(DFX_PSHR64(m30, 14 - n));
}

int32_t dredfx_nn_log2_q16(int32_t x, int q) {
  if (x <= 0 || q < 0 || q > 62) return INT32_MIN;
  const int n = dredfx_ilog((uint32_t)x) - 1; /* 2^n <= x < 2^(n+1) */
  const uint32_t m30 = (uint32_t)x << (30 - n); /* mantissa in [2^30, 2^31), Q30 */
  const uint32_t u = m30 - (1u << 30);
  const int fbits = 30 - EXPLOG_BITS;
  const int i = (int)(u >> fbits);
  const int64_t l0 = dredfx_nn_log2_table[i];
  const int64_t d = dredfx_nn_log2_table[i + 1] - l0;
  const int64_t l30 = l0 + DFX_PSHR64(d * (int64_t)(u & ((1u << fbits) - 1)), fbits);
  return DFX_ADD32(DFX_SHL32(n - q, 16), DFX_PSHR64(l30, 14));
}
