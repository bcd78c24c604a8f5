/* Scalar kernels: the specification every SIMD twin must match bit for bit.
 *
 * Plain loops, one multiply-add at a time. Auto-vectorization is switched off for this file's
 * functions (GCC: optimize("no-tree-vectorize"); clang: loop pragmas) so that level 0 really is
 * scalar code on every target: it is the baseline the benchmarks compare against, and the
 * fallback that must run on a CPU without any SIMD extension. */
#include <stddef.h>

#include "nn/kernels.h"
#include "nn/nn.h"
#include "common/fixed.h"

#if defined(__clang__)
#define DFX_SCALAR
#define DFX_NOVEC _Pragma("clang loop vectorize(disable) interleave(disable)")
#elif defined(__GNUC__)
#define DFX_SCALAR __attribute__((optimize("no-tree-vectorize")))
#define DFX_NOVEC
#else
#define DFX_SCALAR
#define DFX_NOVEC
#endif

DFX_SCALAR static void dense_i8_c(int32_t *acc, const int8_t *w, const int8_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int j = 0; j < cols; j += 4) {
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], x[j + c]));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void sparse_i8_c(int32_t *acc, const int8_t *w, const int32_t *idx, const int8_t *x,
                                   int rows) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    int nblocks = *idx++;
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int b = 0; b < nblocks; b++) {
      const int8_t *xb = &x[*idx++];
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], xb[c]));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void dense_i16_c(int64_t *acc, const int16_t *w, const int16_t *x, int rows, int cols) {
  for (int i = 0; i < rows; i++) {
    int64_t sum = 0;
    DFX_NOVEC
    for (int j = 0; j < cols; j++) sum = DFX_ADD64(sum, DFX_MULT16_16(w[j], x[j]));
    acc[i] = sum;
    w += cols;
  }
}

DFX_SCALAR static void dense_i8_u_c(int32_t *acc, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows,
                                    int cols) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int j = 0; j < cols; j += 4) {
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], xu[j + c] - 127));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void sparse_i8_u_c(int32_t *acc, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                                     const uint8_t *xu, int rows) {
  for (int i = 0; i < rows; i += 8) {
    int32_t *y = &acc[i];
    int nblocks = *idx++;
    DFX_NOVEC
    for (int r = 0; r < 8; r++) y[r] = 0;
    for (int b = 0; b < nblocks; b++) {
      const uint8_t *xb = &xu[*idx++];
      DFX_NOVEC
      for (int r = 0; r < 8; r++) {
        DFX_NOVEC
        for (int c = 0; c < 4; c++) y[r] = DFX_ADD32(y[r], DFX_MULT16_16(w[r * 4 + c], xb[c] - 127));
      }
      w += 32;
    }
  }
}

DFX_SCALAR static void quantize_u8_c(uint8_t *xu, const int16_t *a15, int n) {
  DFX_NOVEC
  for (int j = 0; j < n; j++) xu[j] = (uint8_t)(DFX_PSHR32(DFX_MULT16_16(127, a15[j]), 15) + 127);
}

DFX_SCALAR int dredfx_nn_requantize_c(int32_t *p16, const int32_t *acc, const int32_t *mult, const int32_t *shift,
                                      const int32_t *bias, int n) {
  DFX_NOVEC
  for (int i = 0; i < n; i++) {
    if (shift[i] < 1 || shift[i] > 62) return -1;
    const int32_t p = DFX_SAT32(DFX_PSHR64(DFX_MULT32_32_64(acc[i], mult[i]), shift[i]));
    p16[i] = bias != NULL ? DFX_ADD_SAT32(p, bias[i]) : p;
  }
  return 0;
}

/* The constants of output r (0..7) of a group (kernels.h): parity-major, 4 lanes. */
#define RQ_AT(rq, r, field) ((rq)[(field) * 8 + ((r) & 1) * 4 + ((r) >> 1)])
enum { RQ_MULT, RQ_C, RQ_SHIFT, RQ_HI };

DFX_SCALAR void dredfx_nn_requantize_rq_c(int32_t *p16, const int32_t *acc, const int64_t *rq, int n) {
  DFX_NOVEC
  for (int i = 0; i < n; i++) {
    const int64_t *g = rq + (i / 8) * DREDFX_NN_RQ_GROUP;
    const int r = i % 8;
    const uint64_t v = ((uint64_t)(acc[i] * RQ_AT(g, r, RQ_MULT)) + (uint64_t)RQ_AT(g, r, RQ_C)) >> RQ_AT(g, r, RQ_SHIFT);
    const uint32_t u = (uint32_t)v;
    p16[i] = u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - 2147483647 - 1;
  }
}

int dredfx_nn_requant_prep(int64_t *rq, const int8_t *w, const int32_t *idx, int rows, int cols,
                           const int32_t *mult, const int32_t *shift, const int32_t *bias, int n) {
  int32_t pos[8], neg[8];
  int ok = 1, hi = 1, tmax = 1;
  int64_t rmax = 0;
  for (int i = 0; i < rows; i += 8) {
    const int nblocks = idx != NULL ? *idx++ : cols / 4;
    int64_t *g = rq + (i / 8) * DREDFX_NN_RQ_GROUP;
    for (int r = 0; r < 8; r++) pos[r] = neg[r] = 0;
    for (int b = 0; b < nblocks; b++, w += 32)
      for (int r = 0; r < 8; r++)
        for (int c = 0; c < 4; c++) {
          if (w[r * 4 + c] < 0)
            neg[r] -= w[r * 4 + c];
          else
            pos[r] += w[r * 4 + c];
        }
    if (idx != NULL) idx += nblocks;
    for (int r = 0; r < 8; r++) {
      const int o = i + r, in = o < n;
      int s = in ? shift[o] : 1;
      int64_t m = in ? mult[o] : 0;
      const int64_t b = in && bias != NULL ? bias[o] : 0;
      if (s < 1 || s > 62) return 0;
      /* |pos + neg| <= 128 cols <= 2^18, so |a| < 2^25 and |a m| < 2^56 */
      const int64_t a = 127 * (int64_t)(pos[r] + neg[r]) * (m < 0 ? -m : m);
      const int64_t hi_p = DFX_PSHR64(a, s) + b, lo_p = DFX_PSHR64(-a, s) + b;
      ok &= hi_p <= INT32_MAX && lo_p >= INT32_MIN;
      /* (acc m + 2^(s-1)) / 2^s is unchanged when m and 2^s lose a common factor 2 */
      while (s > 1 && m % 2 == 0) m /= 2, s--;
      ok &= s <= 32;
      RQ_AT(g, r, RQ_MULT) = m;
      RQ_AT(g, r, RQ_C) = (int64_t)(((uint64_t)1 << (s - 1)) + ((uint64_t)b << s));
      RQ_AT(g, r, RQ_SHIFT) = s;
      /* the layer-wide form's H, given T: sum w = pos - neg, kept here until T is known */
      RQ_AT(g, r, RQ_HI) = pos[r] - neg[r];
      if (s > tmax) tmax = s;
      const int64_t peak = 254 * (int64_t)(pos[r] > neg[r] ? pos[r] : neg[r]); /* the largest |u| of the row */
      if (peak > rmax) rmax = peak;
    }
  }
  if (!ok) return 0;
  /* the layer-wide form: the largest T <= 32 that every row's multiplier takes */
  int T = 32;
  for (int i = 0; i < rows && T >= tmax; i++) {
    const int64_t *g = rq + (i / 8) * DREDFX_NN_RQ_GROUP;
    const int64_t m = RQ_AT(g, i % 8, RQ_MULT), am = m < 0 ? -m : m;
    while (T >= tmax && am << (T - RQ_AT(g, i % 8, RQ_SHIFT)) >= ((int64_t)1 << 31)) T--;
  }
  hi = T >= tmax && (rmax << (32 - T)) < ((int64_t)1 << 31);
  for (int i = 0; i < rows; i++) {
    int64_t *g = rq + (i / 8) * DREDFX_NN_RQ_GROUP;
    const int r = i % 8;
    const int64_t wsum = 127 * RQ_AT(g, r, RQ_HI);
    RQ_AT(g, r, RQ_HI) = 0;
    if (!hi) continue;
    const int k = T - (int)RQ_AT(g, r, RQ_SHIFT);
    /* bias 2^t becomes bias 2^T: K - 2^(t-1) is bias 2^t, a multiple of 2^t */
    const uint64_t bias_t = (uint64_t)RQ_AT(g, r, RQ_C) - ((uint64_t)1 << (RQ_AT(g, r, RQ_SHIFT) - 1));
    const int64_t m = RQ_AT(g, r, RQ_MULT) * ((int64_t)1 << k);
    const uint64_t K = ((uint64_t)1 << (T - 1)) + (bias_t << k);
    RQ_AT(g, r, RQ_MULT) = m;
    RQ_AT(g, r, RQ_C) = (int64_t)K;
    RQ_AT(g, r, RQ_SHIFT) = T;
    /* |wsum| < 2^25 and |m| < 2^31 */
    RQ_AT(g, r, RQ_HI) = (int64_t)((K - (uint64_t)(wsum * m)) << (32 - T));
  }
  return hi ? 2 : 1;
}

void dredfx_nn_gru_unit_c(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n, int i) {
  const int32_t z = dredfx_nn_sigmoid_g15(DFX_ADD_SAT32(zrh[i], recur[i]));
  const int32_t r = dredfx_nn_sigmoid_g15(DFX_ADD_SAT32(zrh[n + i], recur[n + i]));
  /* The reset gate scales the recurrent part, bias included (libopus); r = 1 keeps it exactly. */
  const int32_t hh = dredfx_nn_tanh_a15(DFX_ADD_SAT32(zrh[2 * n + i], DFX_MULT32_32_Q15(r, recur[2 * n + i])));
  /* z h + (1 - z) h~ in Q30, z in [0, 2^15]: a convex combination of int16 values, so
   * -2^30 <= mix <= 2^30 - 2^15 and the result is an int16. */
  const int32_t mix = DFX_ADD32(DFX_MULT32_32_32(z, state_a15[i]), DFX_MULT32_32_32(DFX_SUB32(DFX_G15_ONE, z), hh));
  state_a15[i] = DFX_EXTRACT16(DFX_PSHR32(mix, 15));
}

DFX_SCALAR void dredfx_nn_gru_update_c(int16_t *state_a15, const int32_t *zrh, const int32_t *recur, int n) {
  DFX_NOVEC
  for (int i = 0; i < n; i++) dredfx_nn_gru_unit_c(state_a15, zrh, recur, n, i);
}

DFX_SCALAR void dredfx_nn_dense_i32_c(int64_t *hi, int64_t *lo, const int32_t *w, const int32_t *x, int rows,
                                     int cols) {
  for (int i = 0; i < rows; i++) {
    /* |w xh| <= 2^31 * 2^15 and 0 <= xl < 2^16: with cols <= 2^11 the sums stay below 2^58. */
    int64_t h = 0, l = 0;
    DFX_NOVEC
    for (int j = 0; j < cols; j++) {
      h = DFX_ADD64(h, DFX_MULT32_32_64(w[j], x[j] >> 16)); /* arithmetic shift (floor), as PSHR */
      l = DFX_ADD64(l, DFX_MULT32_32_64(w[j], (int32_t)((uint32_t)x[j] & 0xFFFFu)));
    }
    hi[i] = h;
    lo[i] = l;
    w += cols;
  }
}

DFX_SCALAR void dredfx_nn_conv2d_c(int32_t *p16, const int16_t *w, const int16_t *x, int in_channels, int ktime,
                                  int kheight, int height, int in_stride, int time_stride, int shift, int32_t bias) {
  for (int j = 0; j < height; j++) {
    /* |acc| <= 2048 * 32767 * 32768 < 2^41: exact, and the shifts below cannot overflow. */
    int64_t acc = 0;
    for (int m = 0; m < in_channels; m++)
      for (int t = 0; t < ktime; t++) {
        const int16_t *xr = &x[(size_t)t * (size_t)time_stride + (size_t)m * (size_t)in_stride + (size_t)j];
        const int16_t *wt = &w[(m * ktime + t) * kheight];
        DFX_NOVEC
        for (int h = 0; h < kheight; h++) acc = DFX_ADD64(acc, DFX_MULT16_16(wt[h], xr[h]));
      }
    p16[j] = dredfx_nn_conv2d_out(acc, shift, bias);
  }
}

int32_t dredfx_nn_conv2d_out(int64_t acc, int shift, int32_t bias) {
  const int32_t v = shift > 0 ? DFX_SAT32(DFX_PSHR64(acc, shift))
                              : acc > INT32_MAX || acc < INT32_MIN ? DFX_SAT32(acc)
                                                                   : DFX_SAT32(acc * ((int64_t)1 << -shift));
  return DFX_ADD_SAT32(v, bias);
}

/* The fused kernels' specification: the two passes, one after the other. */
static void dense_i8_u_rq_c(int32_t *p16, const int8_t *w, const int32_t *wsum, const uint8_t *xu, int rows, int cols,
                            const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  dense_i8_u_c(acc, w, wsum, xu, rows, cols);
  dredfx_nn_requantize_rq_c(p16, acc, rq, n);
}

static void sparse_i8_u_rq_c(int32_t *p16, const int8_t *w, const int32_t *wsum, const int32_t *idx,
                             const uint8_t *xu, int rows, const int64_t *rq, int n) {
  int32_t acc[DREDFX_NN_MAX_OUTPUTS];
  sparse_i8_u_c(acc, w, wsum, idx, xu, rows);
  dredfx_nn_requantize_rq_c(p16, acc, rq, n);
}

static int linear_u_rq_c(int32_t *p16, const dredfx_nn_linear *l, const int16_t *a15) {
  const int nin = l->nb_inputs, rows = (l->nb_outputs + 7) / 8 * 8, cols = (nin + 3) / 4 * 4;
  uint8_t xu[DREDFX_NN_MAX_INPUTS];
  quantize_u8_c(xu, a15, nin);
  for (int j = nin; j < cols; j++) xu[j] = 127;
  if (l->idx != NULL)
    sparse_i8_u_rq_c(p16, l->w8, l->wsum, l->idx, xu, rows, l->rq, l->nb_outputs);
  else
    dense_i8_u_rq_c(p16, l->w8, l->wsum, xu, rows, cols, l->rq, l->nb_outputs);
  return 0;
}

/* Positive and negative parts of a weight pair, each at most 129 in magnitude. */
static int pair_ok(int a, int b) {
  const int pos = (a > 0 ? a : 0) + (b > 0 ? b : 0), neg = (a < 0 ? -a : 0) + (b < 0 ? -b : 0);
  return pos <= 129 && neg <= 129;
}

int dredfx_nn_sparse_idx8(uint8_t *dst, int cap, const int32_t *idx, int rows) {
  const int groups = rows / 8;
  long len = 0;
  const int32_t *p = idx;
  for (int g = 0; g < groups; g++) {
    const int32_t n = *p++;
    if (n > 255) return 0; /* repeated columns */
    for (int32_t b = 0; b < n; b++, p++)
      if (*p % 4 != 0 || *p > 1020) return 0;
    len += 1 + n;
  }
  if (len - groups < (long)DREDFX_NN_IDX8_MIN_BLOCKS * groups || len > cap) return 0;
  for (int g = 0; g < groups; g++) {
    const int32_t n = *idx++;
    *dst++ = (uint8_t)n;
    for (int32_t b = 0; b < n; b++) *dst++ = (uint8_t)(*idx++ / 4);
  }
  return (int)len;
}

int dredfx_nn_i8_row_sums(int32_t *wsum, const int8_t *w, const int32_t *idx, int rows, int cols) {
  int ok = 1;
  for (int i = 0; i < rows; i += 8) {
    const int nblocks = idx != NULL ? *idx++ : cols / 4;
    for (int r = 0; r < 8; r++) wsum[i + r] = 0;
    for (int b = 0; b < nblocks; b++, w += 32)
      for (int r = 0; r < 8; r++) {
        const int8_t *q = &w[r * 4];
        wsum[i + r] += 127 * (q[0] + q[1] + q[2] + q[3]); /* |wsum| <= 127 * 128 * cols: exact */
        ok &= pair_ok(q[0], q[1]) & pair_ok(q[2], q[3]);
      }
    if (idx != NULL) idx += nblocks;
  }
  return ok;
}

const dredfx_nn_kernels dredfx_nn_kernels_c = {dense_i8_c,  sparse_i8_c,   dense_i8_u_c,          sparse_i8_u_c,
                                               dense_i16_c, quantize_u8_c, dredfx_nn_requantize_c,
                                               dredfx_nn_requantize_rq_c,
                                               dredfx_nn_tanh,
                                               dredfx_nn_sigmoid_gate,
                                               dredfx_nn_gru_update_c,
                                               dredfx_nn_dense_i32_c,
                                               dredfx_nn_conv2d_c,
                                               dense_i8_u_rq_c,
                                               sparse_i8_u_rq_c,
                                               linear_u_rq_c};
