/* Unit tests of the NN primitives: known answers worked out by hand for tiny layers, activation
 * and exp2/log2 error bounds against double precision, CPU level switching. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dredfx.h"
#include "nn/kernels.h"
#include "nn/layer.h"
#include "nn/nn.h"

/* The kernels of the level in use: tests switch levels with dredfx_cpu_set_level. */
#define K dredfx_nn_get_kernels()

/* ------------------------------------------------------------------ layer builders */
#define MAXW 4096

/* An int8 layer with a logical out x in matrix m (row-major), stored in the 8x4 block layout.
 * mult/shift are the same for every output. */
typedef struct {
  int8_t w8[MAXW];
  int32_t mult[64], shift[64], bias[64];
  dredfx_nn_linear l;
} i8_layer;

static void make_i8(i8_layer *t, int nout, int nin, const int *m, int32_t mult, int32_t shift, const int32_t *bias) {
  const int rows = (nout + 7) / 8 * 8, cols = (nin + 3) / 4 * 4;
  memset(t, 0, sizeof(*t));
  for (int i = 0; i < nout; i++)
    for (int j = 0; j < nin; j++)
      t->w8[(i / 8) * 8 * cols + (j / 4) * 32 + (i % 8) * 4 + j % 4] = (int8_t)(m ? m[i * nin + j] : 0);
  for (int i = 0; i < nout; i++) {
    t->mult[i] = mult;
    t->shift[i] = shift;
    t->bias[i] = bias ? bias[i] : 0;
  }
  (void)rows;
  t->l.nb_inputs = nin;
  t->l.nb_outputs = nout;
  t->l.w8 = t->w8;
  t->l.mult = t->mult;
  t->l.shift = t->shift;
  t->l.bias = t->bias;
}

/* ------------------------------------------------------------------ linear */
/* dredfx_nn_linear_prepare sets the row sums and the requantization constants where their proofs
 * hold, and the prepared layer gives the integers of the plain one at every level. */
static void test_linear_prepare(void) {
  static int m[20 * 13];
  int32_t wsum[24], p_plain[20], p_prep[20];
  int64_t rq[DREDFX_NN_RQ_LEN(20)];
  int16_t x[13];
  int32_t bias[20];
  i8_layer t;
  for (int i = 0; i < 20 * 13; i++) m[i] = (i * 37) % 255 - 127; /* pairs past the offset bound too */
  for (int i = 0; i < 20; i++) bias[i] = (i - 10) * 100000;
  for (int sat = 0; sat < 2; sat++) {
    /* sat 0: |p| < 2^25, proven; sat 1: shift 1 lets p16 saturate, not proven */
    make_i8(&t, 20, 13, m, 1 << 30, sat ? 1 : 30, bias);
    dredfx_nn_linear_prepare(&t.l, wsum, rq);
    CHECK(t.l.rq == (sat ? NULL : rq));
    dredfx_nn_linear plain = t.l;
    plain.wsum = NULL;
    plain.rq = NULL;
    for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
      const dredfx_nn_kernels *k = dredfx_nn_kernels_for_level(level);
      for (int rep = 0; rep < 4; rep++) {
        for (int j = 0; j < 13; j++) x[j] = (int16_t)(rep == 0 ? 32767 : rep == 1 ? -32768 : (j * 5003 * rep) % 65536 - 32768);
        CHECK(dredfx_nn_linear_a15(k, &plain, p_plain, x) == DREDFX_OK);
        CHECK(dredfx_nn_linear_a15(k, &t.l, p_prep, x) == DREDFX_OK);
        CHECK(memcmp(p_plain, p_prep, sizeof(p_plain)) == 0);
      }
    }
  }
}

static void test_linear_i8(void) {
  i8_layer t;
  int32_t p[8];
  int16_t a;
  /* x8 quantization: mult 2^30, shift 30 gives p = acc exactly. */
  static const int one[1] = {1};
  make_i8(&t, 1, 1, one, 1 << 30, 30, NULL);
  static const int16_t a15[] = {32767, -32768, 129, 130, -129, -130, 0, 16384, -16384, 258, -258};
  static const int x8[] = {127, -127, 0, 1, 0, -1, 0, 64, -63, 1, -1};
  /* 127 * 16384 = 2080768 = 63.5 * 32768 -> 64 (half up); -63.5 -> -63 */
  for (size_t k = 0; k < sizeof(a15) / sizeof(a15[0]); k++) {
    a = a15[k];
    CHECK(dredfx_nn_linear_a15(K, &t.l, p, &a) == DREDFX_OK);
    CHECK_EQ(p[0], x8[k]);
  }
  /* Requant rounding: 127 * 2^30 >> 31 = 63.5 -> 64; -63.5 -> -63. */
  make_i8(&t, 1, 1, one, 1 << 30, 31, NULL);
  a = 32767;
  dredfx_nn_linear_a15(K, &t.l, p, &a);
  CHECK_EQ(p[0], 64);
  static const int mone[1] = {-1};
  make_i8(&t, 1, 1, mone, 1 << 30, 31, NULL);
  dredfx_nn_linear_a15(K, &t.l, p, &a);
  CHECK_EQ(p[0], -63);
  /* mult 3, shift 2: 127 * 3 / 4 = 95.25 -> 95; -95.25 -> -95; 1 * 3 / 4 = 0.75 -> 1 */
  make_i8(&t, 2, 1, (const int[]){1, -1}, 3, 2, NULL);
  dredfx_nn_linear_a15(K, &t.l, p, &a);
  CHECK_EQ(p[0], 95);
  CHECK_EQ(p[1], -95);
  a = 258;
  dredfx_nn_linear_a15(K, &t.l, p, &a);
  CHECK_EQ(p[0], 1);
  CHECK_EQ(p[1], -1); /* -0.75 -> -1 */
  /* int32 saturation of the product: 4 * 127 * 127 * (2^31 - 1) / 2 > INT32_MAX. */
  int16_t in4[4] = {32767, 32767, 32767, 32767};
  make_i8(&t, 2, 4, (const int[]){127, 127, 127, 127, -128, -128, -128, -128}, INT32_MAX, 1, NULL);
  dredfx_nn_linear_a15(K, &t.l, p, in4);
  CHECK_EQ(p[0], INT32_MAX);
  CHECK_EQ(p[1], INT32_MIN);
  /* Saturating bias. */
  make_i8(&t, 2, 4, (const int[]){127, 127, 127, 127, -128, -128, -128, -128}, 1 << 30, 30,
          (const int32_t[]){INT32_MAX - 10, INT32_MIN + 10});
  dredfx_nn_linear_a15(K, &t.l, p, in4);
  CHECK_EQ(p[0], INT32_MAX);
  CHECK_EQ(p[1], INT32_MIN);
  /* Padding: 5 inputs -> 8 columns, 9 outputs -> 16 rows; the padded inputs are zero. */
  int m[9 * 5];
  for (int i = 0; i < 45; i++) m[i] = (i % 7) - 3;
  make_i8(&t, 9, 5, m, 1 << 30, 30, NULL);
  int16_t in5[5] = {258 * 1, 258 * 2, 258 * 3, 258 * 4, 258 * 5};
  int32_t p9[9];
  dredfx_nn_linear_a15(K, &t.l, p9, in5);
  for (int i = 0; i < 9; i++) {
    int want = 0;
    for (int j = 0; j < 5; j++) want += m[i * 5 + j] * (j + 1);
    CHECK_EQ(p9[i], want);
  }
  /* Sparse storage with every block present equals the dense storage. */
  int32_t idx[2 * (1 + 2)] = {2, 0, 4, 2, 0, 4};
  t.l.idx = idx;
  int32_t p9s[9];
  dredfx_nn_linear_a15(K, &t.l, p9s, in5);
  CHECK(memcmp(p9, p9s, sizeof(p9)) == 0);
  /* Sparse with only the second column block of the first row group: columns 4..7. */
  int32_t idx2[3] = {1, 4, 0};
  int8_t wb[32] = {0};
  wb[0] = 2;  /* row 0, column 4 */
  wb[13] = 1; /* row 3, column 5 (padding, input 0) */
  dredfx_nn_linear sl = t.l;
  sl.w8 = wb;
  sl.idx = idx2;
  dredfx_nn_linear_a15(K, &sl, p9s, in5);
  CHECK_EQ(p9s[0], 10);
  CHECK_EQ(p9s[3], 0);
  CHECK_EQ(p9s[8], 0);
  /* Bad arguments. */
  dredfx_nn_linear bad = t.l;
  bad.nb_inputs = DREDFX_NN_MAX_INPUTS + 1;
  CHECK_EQ(dredfx_nn_linear_a15(K, &bad, p9, in5), DREDFX_ERR_BAD_ARG);
  bad = t.l;
  t.shift[3] = 0;
  CHECK_EQ(dredfx_nn_linear_a15(K, &bad, p9, in5), DREDFX_ERR_BAD_ARG);
  t.shift[3] = 63;
  CHECK_EQ(dredfx_nn_linear_a15(K, &bad, p9, in5), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_linear_a15(K, NULL, p9, in5), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_linear_i16(K, &t.l, p9, in5, 10), DREDFX_ERR_BAD_ARG); /* int8 layer */
  /* No weights: bias only. */
  dredfx_nn_linear nb = {0};
  nb.nb_inputs = 3;
  nb.nb_outputs = 2;
  nb.bias = (const int32_t[]){-7, 9};
  dredfx_nn_linear_a15(K, &nb, p, in5);
  CHECK_EQ(p[0], -7);
  CHECK_EQ(p[1], 9);
}

static void test_linear_i16(void) {
  int16_t w[4] = {16384, -32767, 32767, 3};
  int32_t wexp[2] = {15, 0};
  dredfx_nn_linear l = {0};
  int32_t p[2];
  l.nb_inputs = 2;
  l.nb_outputs = 2;
  l.w16 = w;
  l.wexp = wexp;
  /* Row 0: w = (0.5, -1 + 2^-15); x = (1.0, 0) in Q10: 0.5 in p16 = 32768. s = 15 + 10 - 16 = 9. */
  int16_t x[2] = {1024, 0};
  CHECK_EQ(dredfx_nn_linear_i16(K, &l, p, x, 10), DREDFX_OK);
  CHECK_EQ(p[0], 32768);
  /* Row 1 (wexp 0): acc = 32767 * 1024, s = -6: << 6. */
  CHECK_EQ(p[1], 32767 * 1024 * 64);
  /* Rounding of the right shift: acc = 3 (x = (0, 1)) ... row 0: -32767, s = 9 -> -63.998 -> -64 */
  x[0] = 0;
  x[1] = 1;
  dredfx_nn_linear_i16(K, &l, p, x, 10);
  CHECK_EQ(p[0], -64);
  CHECK_EQ(p[1], 3 * 64);
  /* Half-up: acc = 256 * 1 + ... use x = (1, 0) with row 0: acc = 16384, s = 9: 32 exactly;
   * s = 15 (in_q 16): 16384 / 32768 = 0.5 -> 1; acc = -16384 -> -0.5 -> 0. */
  x[0] = 1;
  x[1] = 0;
  dredfx_nn_linear_i16(K, &l, p, x, 16);
  CHECK_EQ(p[0], 1);
  x[0] = -1;
  dredfx_nn_linear_i16(K, &l, p, x, 16);
  CHECK_EQ(p[0], 0);
  /* Saturation of the left shift: row 1, x = (-32768, -32768): acc = 32767 * 32768 - 3 * 32768,
   * in_q 0: s = -16. */
  x[0] = -32768;
  x[1] = -32768;
  dredfx_nn_linear_i16(K, &l, p, x, 0);
  CHECK_EQ(p[1], INT32_MIN);
  x[1] = 32767;
  x[0] = 32767;
  dredfx_nn_linear_i16(K, &l, p, x, 0);
  CHECK_EQ(p[1], INT32_MAX);
  /* linear_a15 on a wide layer = in_q 15. */
  int32_t q[2];
  x[0] = 12345;
  x[1] = -321;
  dredfx_nn_linear_i16(K, &l, p, x, 15);
  dredfx_nn_linear_a15(K, &l, q, x);
  CHECK(p[0] == q[0] && p[1] == q[1]);
  /* Bad wexp / in_q. */
  wexp[1] = 41;
  CHECK_EQ(dredfx_nn_linear_i16(K, &l, p, x, 10), DREDFX_ERR_BAD_ARG);
  wexp[1] = 0;
  CHECK_EQ(dredfx_nn_linear_i16(K, &l, p, x, 32), DREDFX_ERR_BAD_ARG);
}

/* A 32-bit wide layer of rows x cols with every row's wexp32 = e. */
typedef struct {
  int32_t w[4 * 2048], wexp[4], bias[4];
  dredfx_nn_linear l;
} i32_layer;

static void make_i32(i32_layer *t, int rows, int cols, int32_t e) {
  memset(t, 0, sizeof(*t));
  for (int i = 0; i < rows; i++) t->wexp[i] = e;
  t->l.nb_inputs = cols;
  t->l.nb_outputs = rows;
  t->l.w32 = t->w;
  t->l.wexp32 = t->wexp;
}

#if defined(__SIZEOF_INT128__)
/* The definition (nn.h) on a 128-bit accumulator: round half up by 2^s, or shift left. */
static int32_t ref_i32(const int32_t *w, const int32_t *x, int cols, int s) {
  __int128 acc = 0;
  for (int j = 0; j < cols; j++) acc += (__int128)w[j] * x[j];
  if (s > 0)
    acc = (acc + ((__int128)1 << (s - 1))) >> s;
  else
    acc *= (__int128)1 << -s;
  return acc > INT32_MAX ? INT32_MAX : acc < INT32_MIN ? INT32_MIN : (int32_t)acc;
}
#endif

static void test_linear_i32(void) {
  static i32_layer t;
  int32_t p[4], x[2048];
  /* Weight 1.0 (2^30, wexp32 30), input 258.0 in p16: 258.0 out, exactly. s = 30. */
  make_i32(&t, 2, 1, 30);
  t.w[0] = 1 << 30;
  t.w[1] = -(1 << 30) + 1;
  x[0] = 258 << 16;
  CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, x, 16), DREDFX_OK);
  CHECK_EQ(p[0], 258 << 16);
  CHECK_EQ(p[1], -(258 << 16)); /* -(2^30 - 1) 258 2^16 / 2^30 = -16908287.98 -> -16908288 */
  /* An exact integer input (Q0): 80 x 0.75 = 60.0. */
  t.w[0] = 3 << 28;
  x[0] = 80;
  dredfx_nn_linear_i32(K, &t.l, p, x, 0);
  CHECK_EQ(p[0], 60 << 16);
  /* s = 16, half up: acc / 2^16 with acc = +-32768, 32767. */
  make_i32(&t, 1, 1, 16);
  t.w[0] = 1;
  x[0] = 32768;
  dredfx_nn_linear_i32(K, &t.l, p, x, 16);
  CHECK_EQ(p[0], 1);
  x[0] = -32768;
  dredfx_nn_linear_i32(K, &t.l, p, x, 16);
  CHECK_EQ(p[0], 0);
  x[0] = 32767;
  dredfx_nn_linear_i32(K, &t.l, p, x, 16);
  CHECK_EQ(p[0], 0);
  x[0] = -98305; /* -1.50002 -> -2 */
  dredfx_nn_linear_i32(K, &t.l, p, x, 16);
  CHECK_EQ(p[0], -2);
  /* s = -16 (wexp32 0, Q0): acc << 16, saturating. */
  make_i32(&t, 2, 1, 0);
  t.w[0] = 3;
  t.w[1] = INT32_MAX;
  x[0] = -5;
  dredfx_nn_linear_i32(K, &t.l, p, x, 0);
  CHECK_EQ(p[0], -15 * 65536);
  CHECK_EQ(p[1], INT32_MIN);
  x[0] = INT32_MAX;
  dredfx_nn_linear_i32(K, &t.l, p, x, 0);
  CHECK_EQ(p[1], INT32_MAX);
  /* The largest sums: 2048 products of +-(2^31 - 1) and INT32_MIN / INT32_MAX, every shift. */
  make_i32(&t, 4, 2048, 62);
  for (int j = 0; j < 2048; j++) {
    t.w[j] = INT32_MAX;
    t.w[2048 + j] = -INT32_MAX;
    t.w[4096 + j] = j % 2 ? INT32_MAX : -INT32_MAX;
    t.w[6144 + j] = (int32_t)(j * 1048573u);
    x[j] = j % 3 ? INT32_MIN : INT32_MAX;
  }
#if defined(__SIZEOF_INT128__)
  int ok = 1;
  for (int e = 0; e <= 62; e++)
    for (int q = 0; q <= 31; q++) {
      for (int i = 0; i < 4; i++) t.wexp[i] = e;
      CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, x, q), DREDFX_OK);
      for (int i = 0; i < 4; i++)
        if (p[i] != ref_i32(&t.w[i * 2048], x, 2048, e + q - 16)) ok = 0;
    }
  CHECK(ok);
  /* Random layers against the 128-bit definition. */
  uint64_t r = 99;
  ok = 1;
  for (int n = 0; n < 2000; n++) {
    r = r * 6364136223846793005u + 1442695040888963407u;
    const int cols = 1 + (int)((r >> 33) % 300), e = (int)((r >> 20) % 63), q = (int)((r >> 10) % 32);
    make_i32(&t, 4, cols, e);
    for (int j = 0; j < 4 * cols; j++) {
      r = r * 6364136223846793005u + 1442695040888963407u;
      t.w[j] = (int32_t)(r >> 32) >> (int)(r % 31);
      if (t.w[j] == INT32_MIN) t.w[j] = 0;
    }
    for (int j = 0; j < cols; j++) {
      r = r * 6364136223846793005u + 1442695040888963407u;
      x[j] = (int32_t)(r >> 32) >> (int)(r % 31);
    }
    dredfx_nn_linear_i32(K, &t.l, p, x, q);
    for (int i = 0; i < 4; i++)
      if (p[i] != ref_i32(&t.w[i * cols], x, cols, e + q - 16)) ok = 0;
  }
  CHECK(ok);
#endif
  /* Bias (saturating), a15 input through linear_a15 (Q15), dense_i32 = activation of linear_i32. */
  make_i32(&t, 2, 2, 30);
  t.w[0] = 1 << 29; /* 0.5 */
  t.w[1] = -(1 << 30);
  t.w[2] = 1 << 30;
  t.w[3] = 1 << 30;
  t.bias[0] = 100;
  t.bias[1] = INT32_MAX;
  t.l.bias = t.bias;
  int16_t a[2] = {-32768, 16384};
  int32_t q32[2] = {-32768, 16384};
  CHECK_EQ(dredfx_nn_linear_a15(K, &t.l, p, a), DREDFX_OK);
  CHECK_EQ(p[0], -32768 / 2 * 2 - 32768 + 100); /* 0.5 (-1) - 0.5 in p16, + 100 */
  CHECK_EQ(p[1], INT32_MAX - 32768); /* -0.5 + the largest bias */
  int32_t p2[2];
  dredfx_nn_linear_i32(K, &t.l, p2, q32, 15);
  CHECK(p[0] == p2[0] && p[1] == p2[1]);
  int16_t o[2];
  CHECK_EQ(dredfx_nn_dense_i32(K, &t.l, DREDFX_NN_ACT_TANH, o, q32, 15), DREDFX_OK);
  CHECK(o[0] == dredfx_nn_tanh_a15(p2[0]) && o[1] == 32767); /* tanh(32767.5) */
  /* Bad arguments. */
  t.wexp[1] = 63;
  CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, q32, 15), DREDFX_ERR_BAD_ARG);
  t.wexp[1] = -1;
  CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, q32, 15), DREDFX_ERR_BAD_ARG);
  t.wexp[1] = 30;
  CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, q32, 32), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_linear_i32(K, &t.l, p, q32, -1), DREDFX_ERR_BAD_ARG);
  dredfx_nn_linear no32 = t.l;
  no32.w32 = NULL;
  CHECK_EQ(dredfx_nn_linear_i32(K, &no32, p, q32, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_dense_i32(K, &no32, DREDFX_NN_ACT_TANH, o, q32, 15), DREDFX_ERR_BAD_ARG);
}


/* ------------------------------------------------------------------ activations */
static double f32(double v) {
  return (double)(float)v;
}

/* libopus 1.6.1 tanh_approx with its float32 coefficients, evaluated in double. */
static double tanh_approx(double x) {
  const double n0 = f32(952.52801514), n1 = f32(96.39235687), n2 = f32(0.60863042);
  const double d0 = f32(952.72399902), d1 = f32(413.36801147), d2 = f32(11.88600922);
  double x2 = x * x;
  double y = x * ((n2 * x2 + n1) * x2 + n0) / ((d2 * x2 + d1) * x2 + d0);
  return y > 1 ? 1 : y < -1 ? -1 : y;
}

static void test_activation_values(void) {
  int16_t o[8];
  const int32_t in[8] = {65536, -65536, 3, -3, 65535, -65537, INT32_MAX, INT32_MIN};
  CHECK_EQ(dredfx_nn_activation(o, in, 8, DREDFX_NN_ACT_LINEAR), DREDFX_OK);
  CHECK_EQ(o[0], 32767);
  CHECK_EQ(o[1], -32768);
  CHECK_EQ(o[2], 2);
  CHECK_EQ(o[3], -1);
  CHECK_EQ(o[4], 32767); /* 32767.5 -> 32768 -> saturated */
  CHECK_EQ(o[5], -32768);
  CHECK_EQ(o[6], 32767);
  CHECK_EQ(o[7], -32768);
  dredfx_nn_activation(o, in, 8, DREDFX_NN_ACT_SOFTMAX);
  CHECK_EQ(o[2], 2);
  dredfx_nn_activation(o, in, 8, DREDFX_NN_ACT_RELU);
  CHECK(o[0] == 32767 && o[1] == 0 && o[2] == 2 && o[3] == 0 && o[7] == 0);
  CHECK_EQ(dredfx_nn_activation(o, in, 8, 99), DREDFX_ERR_BAD_ARG);
  /* Table points are exact; the ends saturate. */
  CHECK_EQ(dredfx_nn_tanh_a15(65536), dredfx_nn_tanh_table[64]);
  CHECK_EQ(dredfx_nn_tanh_a15(-65536), -dredfx_nn_tanh_table[64]);
  CHECK_EQ(dredfx_nn_tanh_a15(0), 0);
  CHECK_EQ(dredfx_nn_tanh_a15(INT32_MAX), 32767);
  CHECK_EQ(dredfx_nn_tanh_a15(INT32_MIN), -32767);
  CHECK_EQ(dredfx_nn_tanh_a15(8 << 16), 32767);
  CHECK_EQ(dredfx_nn_sigmoid_a15(0), 16384);
  CHECK_EQ(dredfx_nn_sigmoid_a15(INT32_MAX), 32767);
  CHECK_EQ(dredfx_nn_sigmoid_a15(INT32_MIN), 0);
  /* Halfway between two table points (x = 1/128): mean of T[0] = 0 and T[1] = 512 -> 256. */
  CHECK_EQ(dredfx_nn_tanh_a15(512), (dredfx_nn_tanh_table[0] + dredfx_nn_tanh_table[1]) / 2);
}

static void test_activation_bounds(void) {
  double t_approx = 0, t_true = 0, s_approx = 0, s_true = 0;
  int mono = 1, odd = 1, sym = 1;
  int16_t prev_t = -32768, prev_s = 0;
  for (int32_t x = -(16 << 16); x <= (16 << 16); x++) {
    const double xf = x / 65536.0;
    const int16_t t = dredfx_nn_tanh_a15(x), s = dredfx_nn_sigmoid_a15(x);
    const double tf = t / 32768.0, sf = s / 32768.0;
    t_approx = fmax(t_approx, fabs(tf - tanh_approx(xf)));
    t_true = fmax(t_true, fabs(tf - tanh(xf)));
    s_approx = fmax(s_approx, fabs(sf - (0.5 + 0.5 * tanh_approx(0.5 * xf))));
    s_true = fmax(s_true, fabs(sf - 1.0 / (1.0 + exp(-xf))));
    if (t < prev_t || s < prev_s) mono = 0;
    if (dredfx_nn_tanh_a15(-x) != -t) odd = 0;
    if (s > 0 && s < 32767 && dredfx_nn_sigmoid_a15(-x) != 32768 - s) sym = 0;
    prev_t = t;
    prev_s = s;
  }
  printf("tanh    max error over all p16 in [-16, 16]: %.3e vs libopus approximation, %.3e vs tanh\n", t_approx,
         t_true);
  printf("sigmoid max error over all p16 in [-16, 16]: %.3e vs libopus approximation, %.3e vs sigmoid\n",
         s_approx, s_true);
  CHECK(t_approx <= DREDFX_NN_TANH_MAX_ERR_APPROX_E7 * 1e-7);
  CHECK(t_true <= DREDFX_NN_TANH_MAX_ERR_TRUE_E7 * 1e-7);
  CHECK(s_approx <= DREDFX_NN_SIGMOID_MAX_ERR_APPROX_E7 * 1e-7);
  CHECK(s_true <= DREDFX_NN_SIGMOID_MAX_ERR_TRUE_E7 * 1e-7);
  CHECK(mono);
  CHECK(odd);
  CHECK(sym);
  /* The arrays match the scalar functions. */
  int32_t in[5] = {-70000, -1, 0, 1, 123456};
  int16_t o[5];
  dredfx_nn_tanh(o, in, 5);
  for (int i = 0; i < 5; i++) CHECK_EQ(o[i], dredfx_nn_tanh_a15(in[i]));
  dredfx_nn_sigmoid(o, in, 5);
  for (int i = 0; i < 5; i++) CHECK_EQ(o[i], dredfx_nn_sigmoid_a15(in[i]));
}

static void test_exp_log(void) {
  double e_rel = 0, l_abs = 0;
  int ok_e = 1;
  for (int32_t x = -(20 << 16); x < (15 << 16); x++) {
    const double want = exp2(x / 65536.0) * 65536.0;
    const int32_t got = dredfx_nn_exp2_q16(x);
    const double err = fabs(got - want);
    if (want > INT32_MAX) {
      if (got != INT32_MAX) ok_e = 0;
      continue;
    }
    if (err > 0.5 + DREDFX_NN_EXP2_MAX_REL_ERR_E7 * 1e-7 * want) ok_e = 0;
    if (want >= 65536.0) e_rel = fmax(e_rel, err / want);
  }
  printf("exp2    max relative error for results >= 1: %.3e (plus at most 0.5 LSB)\n", e_rel);
  CHECK(ok_e);
  CHECK_EQ(dredfx_nn_exp2_q16(0), 65536);
  CHECK_EQ(dredfx_nn_exp2_q16(65536), 131072);
  CHECK_EQ(dredfx_nn_exp2_q16(-65536), 32768);
  CHECK_EQ(dredfx_nn_exp2_q16(14 << 16), 1 << 30);
  CHECK_EQ(dredfx_nn_exp2_q16(15 << 16), INT32_MAX);
  CHECK_EQ(dredfx_nn_exp2_q16(INT32_MAX), INT32_MAX);
  CHECK_EQ(dredfx_nn_exp2_q16(INT32_MIN), 0);
  CHECK_EQ(dredfx_nn_exp2_q16(-(17 << 16)), 1); /* 0.5 LSB rounds up */
  CHECK_EQ(dredfx_nn_exp2_q16(-(18 << 16)), 0);
  static const int qs[] = {0, 10, 16, 30, 62};
  for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
    const int q = qs[k];
    for (int32_t x = 1; x < (1 << 21); x++) {
      const double want = log2((double)x) - q;
      l_abs = fmax(l_abs, fabs(dredfx_nn_log2_q16(x, q) / 65536.0 - want));
    }
    for (int32_t x = INT32_MAX; x > (1 << 21); x -= 997) {
      const double want = log2((double)x) - q;
      l_abs = fmax(l_abs, fabs(dredfx_nn_log2_q16(x, q) / 65536.0 - want));
    }
  }
  printf("log2    max absolute error: %.3e\n", l_abs);
  CHECK(l_abs <= DREDFX_NN_LOG2_MAX_ERR_E7 * 1e-7);
  CHECK_EQ(dredfx_nn_log2_q16(1, 0), 0);
  CHECK_EQ(dredfx_nn_log2_q16(1024, 10), 0);
  CHECK_EQ(dredfx_nn_log2_q16(1 << 30, 0), 30 << 16);
  CHECK_EQ(dredfx_nn_log2_q16(1, 16), -(16 << 16));
  CHECK_EQ(dredfx_nn_log2_q16(0, 0), INT32_MIN);
  CHECK_EQ(dredfx_nn_log2_q16(-5, 0), INT32_MIN);
  CHECK_EQ(dredfx_nn_log2_q16(5, 63), INT32_MIN);
}

/* ------------------------------------------------------------------ GRU, GLU, conv1d */
/* A 1-unit GRU with zero weights: the gates come from the biases only. */
static int16_t gru1(int16_t h, int32_t bz, int32_t br, int32_t bh_in, int32_t bh_rec) {
  i8_layer in, rec;
  make_i8(&in, 3, 2, NULL, 0, 1, (const int32_t[]){bz, br, bh_in});
  make_i8(&rec, 3, 1, NULL, 0, 1, (const int32_t[]){0, 0, bh_rec});
  int16_t x[2] = {1000, -1000};
  CHECK_EQ(dredfx_nn_gru(K, &in.l, &rec.l, &h, x), DREDFX_OK);
  return h;
}

static void test_gru(void) {
  const int32_t big = 100 << 16;
  /* z = 1 (32768, exact): h stays 10000 although h~ = 32767 */
  CHECK_EQ(gru1(10000, big, 0, big, 0), 10000);
  CHECK_EQ(gru1(-32768, big, 0, big, 0), -32768);
  /* z = 0: h = h~ = tanh(big) = 32767 */
  CHECK_EQ(gru1(10000, -big, 0, big, 0), 32767);
  CHECK_EQ(gru1(-10000, -big, 0, -big, 0), -32767);
  /* z = 1/2, h~ = 0: h = (16384 * 10001 + 16384) >> 15 = 5000.5 -> 5001 */
  CHECK_EQ(gru1(10001, 0, 0, 0, 0), 5001);
  CHECK_EQ(gru1(-10001, 0, 0, 0, 0), -5000);
  /* r = 0 removes the recurrent h part, bias included: h~ = tanh(0) = 0 (z = 0) */
  CHECK_EQ(gru1(10000, -big, -big, 0, big), 0);
  /* r = 1 (32767) keeps it: h~ = tanh(big * 32767 / 32768) = 32767 */
  CHECK_EQ(gru1(10000, -big, big, 0, big), 32767);
  /* r = 1/2: h~ = tanh(0.5 * 1.0) */
  CHECK_EQ(gru1(0, -big, 0, 0, 65536), dredfx_nn_tanh_a15(32768));
  /* Extreme states stay in range. */
  CHECK_EQ(gru1(-32768, big, 0, -big, 0), -32768);
  CHECK_EQ(gru1(32767, big, 0, big, 0), 32767);
  /* Size mismatch is refused. */
  i8_layer in, rec;
  int16_t h[2] = {0, 0}, x[2] = {0, 0};
  make_i8(&in, 6, 2, NULL, 0, 1, NULL);
  make_i8(&rec, 3, 1, NULL, 0, 1, NULL);
  CHECK_EQ(dredfx_nn_gru(K, &in.l, &rec.l, h, x), DREDFX_ERR_BAD_ARG);
}

/* Gates reach 0 and 1.0 exactly where libopus' generic sigmoid does (issue: a gate stuck at
 * 32767 / 32768 leaked 2^-15 of the state a step). */
static void test_sigmoid_g15(void) {
  CHECK_EQ(dredfx_nn_sigmoid_g15(682280), 32768);
  CHECK_EQ(dredfx_nn_sigmoid_g15(INT32_MAX), 32768);
  CHECK_EQ(dredfx_nn_sigmoid_g15(682279), 32767);
  CHECK_EQ(dredfx_nn_sigmoid_g15(-682280), 0);
  CHECK_EQ(dredfx_nn_sigmoid_g15(INT32_MIN), 0);
  CHECK_EQ(dredfx_nn_sigmoid_g15(-682279), 1);
  CHECK_EQ(dredfx_nn_sigmoid_g15(0), 16384);
  CHECK_EQ(dredfx_nn_sigmoid_a15(682280), 32767);
  int mono = 1, sym = 1, a15 = 1;
  int32_t prev = 0;
  for (int32_t x = -(12 << 16); x <= (12 << 16); x++) {
    const int32_t g = dredfx_nn_sigmoid_g15(x);
    if (g < prev) mono = 0;
    if (dredfx_nn_sigmoid_g15(-x) != 32768 - g) sym = 0;
    if (dredfx_nn_sigmoid_a15(x) != (g > 32767 ? 32767 : g)) a15 = 0;
    prev = g;
  }
  CHECK(mono);
  CHECK(sym);
  CHECK(a15);
  int32_t in[3] = {-(20 << 16), 5, 20 << 16}, out[3];
  dredfx_nn_sigmoid_gate(out, in, 3);
  CHECK(out[0] == 0 && out[1] == dredfx_nn_sigmoid_g15(5) && out[2] == 32768);
}

/* 10,000 steps of a 16-unit GRU with random int8 weights and inputs whose update gates are
 * saturated (z = 1.0): the state stays bit for bit what it was. With z = 0 the state is h~. */
static void test_gru_saturated_gates(void) {
  enum { N = 16, NIN = 16, STEPS = 10000 };
  static i8_layer in, rec;
  int mi[3 * N * NIN], mr[3 * N * N];
  int32_t bi[3 * N], br[3 * N];
  uint32_t r = 777;
  for (int i = 0; i < 3 * N * NIN; i++) mi[i] = (int)((r = r * 1664525u + 1013904223u) >> 25) - 64;
  for (int i = 0; i < 3 * N * N; i++) mr[i] = (int)((r = r * 1664525u + 1013904223u) >> 25) - 64;
  /* p16 = acc / 2^10, |acc| <= 64 * 127 * 16: |W x| < 0.01, so z = sigmoid(100 +- 0.01) = 1.0. */
  for (int i = 0; i < 3 * N; i++) {
    bi[i] = i < N ? 100 << 16 : 0;
    br[i] = 0;
  }
  make_i8(&in, 3 * N, NIN, mi, 1 << 30, 40, bi);
  make_i8(&rec, 3 * N, N, mr, 1 << 30, 40, br);
  int16_t h[N], h0[N], x[NIN];
  for (int i = 0; i < N; i++) h0[i] = h[i] = (int16_t)((r = r * 1664525u + 1013904223u) >> 16);
  for (int t = 0; t < STEPS; t++) {
    for (int j = 0; j < NIN; j++) x[j] = (int16_t)((r = r * 1664525u + 1013904223u) >> 16);
    CHECK_EQ(dredfx_nn_gru(K, &in.l, &rec.l, h, x), DREDFX_OK);
  }
  CHECK(memcmp(h, h0, sizeof(h)) == 0);
  printf("GRU, 10,000 steps with saturated update gates: state %s\n",
         memcmp(h, h0, sizeof(h)) == 0 ? "bit-identical" : "CHANGED");
  /* z = 0 (bias -100): the state becomes h~ = tanh(a_h + r c_h) exactly, here tanh(0) = 0 with
   * zero h weights. */
  for (int i = 0; i < N; i++) bi[i] = -(100 << 16);
  for (int i = 2 * N * NIN; i < 3 * N * NIN; i++) mi[i] = 0;
  for (int i = 2 * N * N; i < 3 * N * N; i++) mr[i] = 0;
  make_i8(&in, 3 * N, NIN, mi, 1 << 30, 40, bi);
  make_i8(&rec, 3 * N, N, mr, 1 << 30, 40, br);
  CHECK_EQ(dredfx_nn_gru(K, &in.l, &rec.l, h, x), DREDFX_OK);
  for (int i = 0; i < N; i++) CHECK_EQ(h[i], 0);
}

static void test_glu(void) {
  i8_layer g;
  int16_t in[2] = {16384, -16384}, out[2];
  make_i8(&g, 2, 2, NULL, 0, 1, (const int32_t[]){0, 0});
  CHECK_EQ(dredfx_nn_glu(K, &g.l, out, in), DREDFX_OK);
  CHECK_EQ(out[0], 8192); /* 0.5 * sigmoid(0) */
  CHECK_EQ(out[1], -8192);
  make_i8(&g, 2, 2, NULL, 0, 1, (const int32_t[]){100 << 16, 100 << 16});
  dredfx_nn_glu(K, &g.l, out, in);
  CHECK_EQ(out[0], 16384); /* gate 1.0 exactly (32768): the input passes unchanged */
  CHECK_EQ(out[1], -16384);
  /* Gate just below its 1.0 point: 32767, (-16384 * 32767 + 16384) >> 15 = -16383. */
  make_i8(&g, 2, 2, NULL, 0, 1, (const int32_t[]){682279, 682279});
  dredfx_nn_glu(K, &g.l, out, in);
  CHECK_EQ(out[1], -16383);
  /* In place. */
  make_i8(&g, 2, 2, NULL, 0, 1, (const int32_t[]){100 << 16, -(100 << 16)});
  dredfx_nn_glu(K, &g.l, in, in);
  CHECK(in[0] == 16384 && in[1] == 0);
  make_i8(&g, 2, 3, NULL, 0, 1, NULL);
  CHECK_EQ(dredfx_nn_glu(K, &g.l, out, in), DREDFX_ERR_BAD_ARG);
}

/* Identity conv layer: out_o = x8 of tap o (p16 = 2 acc, linear activation halves it). */
static void identity_layer(i8_layer *t, int n) {
  int m[64 * 64] = {0};
  for (int i = 0; i < n; i++) m[i * n + i] = 1;
  make_i8(t, n, n, m, 1 << 30, 29, NULL);
}

static int frames_equal(const int16_t *out, const int *want, int n) {
  for (int i = 0; i < n; i++)
    if (out[i] != want[i]) return 0;
  return 1;
}

static void test_conv1d(void) {
  i8_layer t;
  int16_t out[8], mem[8], in[2];
  /* k = 3, dilation 1, 2 channels: taps [t-2 | t-1 | t]; input v * 258 quantizes to x8 = v. */
  identity_layer(&t, 6);
  memset(mem, 0, sizeof(mem));
  static const int want1[3][6] = {{0, 0, 0, 0, 1, 2}, {0, 0, 1, 2, 3, 4}, {1, 2, 3, 4, 5, 6}};
  for (int f = 0; f < 3; f++) {
    in[0] = (int16_t)(258 * (2 * f + 1));
    in[1] = (int16_t)(258 * (2 * f + 2));
    CHECK_EQ(dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, mem, in, 2, 1), DREDFX_OK);
    CHECK(frames_equal(out, want1[f], 6));
  }
  CHECK(mem[0] == 258 * 3 && mem[1] == 258 * 4 && mem[2] == 258 * 5 && mem[3] == 258 * 6);
  /* k = 2, dilation 2 (the encoder's conv2..5): memory [t-2 | t-1], taps [t-2 | t]. */
  identity_layer(&t, 4);
  memset(mem, 0, sizeof(mem));
  static const int want2[4][4] = {{0, 0, 1, 2}, {0, 0, 3, 4}, {1, 2, 5, 6}, {3, 4, 7, 8}};
  for (int f = 0; f < 4; f++) {
    in[0] = (int16_t)(258 * (2 * f + 1));
    in[1] = (int16_t)(258 * (2 * f + 2));
    dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, mem, in, 2, 2);
    CHECK(frames_equal(out, want2[f], 4));
  }
  CHECK(mem[0] == 258 * 5 && mem[1] == 258 * 6 && mem[2] == 258 * 7 && mem[3] == 258 * 8);
  /* k = 3, dilation 2: memory 8 = [t-4 | t-3 | t-2 | t-1], taps [t-4 | t-2 | t]. */
  identity_layer(&t, 6);
  memset(mem, 0, sizeof(mem));
  for (int f = 0; f < 5; f++) {
    in[0] = (int16_t)(258 * (2 * f + 1));
    in[1] = (int16_t)(258 * (2 * f + 2));
    dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, mem, in, 2, 2);
  }
  CHECK(frames_equal(out, (const int[]){1, 2, 5, 6, 9, 10}, 6));
  /* k = 1: no memory needed. */
  identity_layer(&t, 2);
  CHECK_EQ(dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, NULL, in, 2, 1), DREDFX_OK);
  CHECK(out[0] == 9 && out[1] == 10);
  /* nb_inputs not a multiple of input_size. */
  identity_layer(&t, 6);
  CHECK_EQ(dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, mem, in, 4, 1), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv1d(K, &t.l, DREDFX_NN_ACT_LINEAR, out, mem, in, 2, 0), DREDFX_ERR_BAD_ARG);
}

/* conv2d: 1 -> 2 channels, 2 (time) x 2 (lags), 3 outputs per channel, Q15 weights (wexp 15).
 * Channel 0: 0.5 x(t-1)[j] + 0.5 x(t)[j+1]; channel 1: -0.5 x(t)[j] + 0.25. */
static dredfx_nn_linear wide_layer(int nb_inputs, int nb_outputs, const int16_t *w16, const int32_t *wexp,
                                   const int32_t *bias) {
  dredfx_nn_linear l;
  memset(&l, 0, sizeof(l));
  l.nb_inputs = nb_inputs;
  l.nb_outputs = nb_outputs;
  l.w16 = w16;
  l.wexp = wexp;
  l.bias = bias;
  return l;
}

static void test_conv2d(void) {
  static const int16_t w16[8] = {16384, 0, 0, 16384, 0, 0, -16384, 0};
  static const int32_t wexp[2] = {15, 15}, bias[2] = {0, 16384};
  dredfx_nn_linear l = wide_layer(4, 2, w16, wexp, bias);
  int16_t mem[4] = {0, 0, 0, 0}, out[8];
  const int16_t x1[4] = {1000, 2000, 3000, 4000}, x2[4] = {-4000, 100, 200, 300};
  for (int i = 0; i < 8; i++) out[i] = 12345;
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x1, 3, 15), DREDFX_OK);
  CHECK(frames_equal(out, (const int[]){1000, 1500, 2000, 12345, 7692, 7192, 6692, 12345}, 8));
  CHECK(memcmp(mem, x1, sizeof(mem)) == 0);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x2, 3, 15), DREDFX_OK);
  CHECK(frames_equal(out, (const int[]){550, 1100, 1650, 12345, 10192, 8142, 8092, 12345}, 8));
  CHECK(memcmp(mem, x2, sizeof(mem)) == 0);
  /* Input in Q12 (values / 8, so 100 becomes 12): channel 0, j 0 is (125 + 12) * 8 / 2 = 548. */
  const int16_t x2q12[4] = {-500, 12, 25, 37};
  int16_t mem12[4] = {125, 250, 375, 500}, out12[8];
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out12, 4, mem12, x2q12, 3, 12), DREDFX_OK);
  CHECK(out12[0] == 548 && out12[4] == 10192);
  /* Bad arguments. */
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 2, mem, x1, 3, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 3, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x1, 3, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, NULL, x1, 3, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x1, 3, 32), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x1, 0, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, 99, out, 4, mem, x1, 3, 15), DREDFX_ERR_BAD_ARG);
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4096, mem, x1, 4096, 15),
           DREDFX_ERR_BAD_ARG); /* height above DREDFX_NN_MAX_OUTPUTS */
  {
    /* 8 channels x 2048 lags: 16,384 inputs a frame, above DREDFX_NN_MAX_CONV2D_INPUTS. */
    static const int16_t w8ch[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    static const int32_t e8[1] = {0};
    dredfx_nn_linear l8 = wide_layer(8, 1, w8ch, e8, NULL);
    CHECK_EQ(dredfx_nn_conv2d(K, &l8, 8, 1, 1, DREDFX_NN_ACT_LINEAR, out, 2048, NULL, x1, 2048, 15),
             DREDFX_ERR_BAD_ARG);
  }
  static const int32_t bad_wexp[2] = {15, 41};
  l.wexp = bad_wexp;
  CHECK_EQ(dredfx_nn_conv2d(K, &l, 1, 2, 2, DREDFX_NN_ACT_LINEAR, out, 4, mem, x1, 3, 15), DREDFX_ERR_BAD_ARG);
}

static void test_dense(void) {
  i8_layer t;
  int16_t in[2] = {0, 0}, out[2];
  make_i8(&t, 2, 2, NULL, 0, 1, (const int32_t[]){65536, -65536});
  CHECK_EQ(dredfx_nn_dense(K, &t.l, DREDFX_NN_ACT_TANH, out, in), DREDFX_OK);
  CHECK(out[0] == dredfx_nn_tanh_table[64] && out[1] == -dredfx_nn_tanh_table[64]);
  dredfx_nn_dense(K, &t.l, DREDFX_NN_ACT_SIGMOID, out, in);
  CHECK(out[0] == dredfx_nn_sigmoid_a15(65536) && out[0] + out[1] == 32768);
  CHECK_EQ(dredfx_nn_dense(K, &t.l, 7, out, in), DREDFX_ERR_BAD_ARG);
}

static void test_sparse_check(void) {
  const int32_t idx[] = {2, 0, 4, 1, 4};
  CHECK_EQ(dredfx_nn_sparse_check(idx, 5, 3 * 32, 16, 8), 3);
  CHECK_EQ(dredfx_nn_sparse_check(idx, 5, 2 * 32, 16, 8), DREDFX_ERR_WEIGHTS_SHAPE); /* weights */
  CHECK_EQ(dredfx_nn_sparse_check(idx, 5, 3 * 32, 16, 4), DREDFX_ERR_WEIGHTS_SHAPE); /* position */
  CHECK_EQ(dredfx_nn_sparse_check(idx, 4, 3 * 32, 16, 8), DREDFX_ERR_WEIGHTS_SHAPE); /* truncated */
  CHECK_EQ(dredfx_nn_sparse_check(idx, 5, 3 * 32, 8, 8), DREDFX_ERR_WEIGHTS_SHAPE);  /* trailing */
  const int32_t neg[] = {-1};
  CHECK_EQ(dredfx_nn_sparse_check(neg, 1, 0, 8, 8), DREDFX_ERR_WEIGHTS_SHAPE);
  const int32_t huge[] = {0x7fffffff, 0};
  CHECK_EQ(dredfx_nn_sparse_check(huge, 2, 32, 8, 8), DREDFX_ERR_WEIGHTS_SHAPE);
}

/* The byte form of a sparse index: its bytes, the rules that refuse it, and a layer prepared from a
 * pool reading it at every level (the AVX-VNNI one-call path) with the integers of the 32-bit index. */
static void test_sparse_idx8(void) {
  enum { ROWS = 16, COLS = 256 };
  static int32_t idx[ROWS / 8 * (1 + COLS / 4)];
  static uint8_t out[256], pool8[256];
  int k = 0;
  idx[k++] = 50; /* group 0: columns 0, 4, ..., 196 */
  for (int b = 0; b < 50; b++) idx[k++] = 4 * b;
  idx[k++] = 48; /* group 1: columns 252, 248, ..., 64 (any order) */
  for (int b = 0; b < 48; b++) idx[k++] = 252 - 4 * b;
  CHECK_EQ(dredfx_nn_sparse_check(idx, (size_t)k, 98 * 32, ROWS, COLS), 98);
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), idx, ROWS), 100);
  CHECK(out[0] == 50 && out[1] == 0 && out[2] == 1 && out[50] == 49);
  CHECK(out[51] == 48 && out[52] == 63 && out[99] == 16);
  /* refused: a cap one byte short (dst untouched), a mean below 48 blocks, an unaligned column,
   * a column past 1020, more than 255 blocks in a group */
  memset(out, 0xA5, sizeof(out));
  CHECK_EQ(dredfx_nn_sparse_idx8(out, 99, idx, ROWS), 0);
  CHECK(out[0] == 0xA5 && out[99] == 0xA5);
  idx[51] = 45; /* group 1: 45 blocks, mean 47.5 */
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), idx, ROWS), 0);
  idx[51] = 48;
  idx[5] = 18;
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), idx, ROWS), 0);
  idx[5] = 1024;
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), idx, ROWS), 0);
  idx[5] = 1020;
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), idx, ROWS), 100);
  idx[5] = 16;
  static int32_t rep[1 + 256];
  rep[0] = 256; /* one group, 256 blocks, all at column 0 */
  CHECK_EQ(dredfx_nn_sparse_check(rep, 257, 256 * 32, 8, 4), 256);
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), rep, 8), 0);
  rep[0] = 255;
  CHECK_EQ(dredfx_nn_sparse_idx8(out, (int)sizeof(out), rep, 8), 256);

  /* the layer: weights in [-64, 64] (the offset kernels' pair bound holds), requantization proven */
  static i8_layer t;
  make_i8(&t, ROWS, COLS, NULL, 1 << 30, 30, NULL);
  for (int i = 0; i < 98 * 32; i++) t.w8[i] = (int8_t)((i * 7919) % 129 - 64);
  for (int i = 0; i < ROWS; i++) t.bias[i] = (i - 8) * 1000;
  t.l.idx = idx;
  static int32_t wsum[ROWS];
  static int64_t rq[DREDFX_NN_RQ_LEN(ROWS)];
  for (int room = 0; room < 2; room++) {
    dredfx_nn_linear l = t.l;
    dredfx_nn_prep_pool pool = {wsum, rq, ROWS, DREDFX_NN_RQ_LEN(ROWS), pool8, room ? 100 : 99};
    CHECK_EQ(dredfx_nn_linear_prepare_from(&l, &pool), DREDFX_OK);
    CHECK(l.wsum == wsum && l.rq == rq);
    CHECK(l.idx8 == (room ? pool8 : NULL) && pool.idx8_left == (room ? 0 : 99));
    dredfx_nn_linear plain = l;
    plain.idx8 = NULL;
    int16_t x[COLS];
    int32_t p_plain[ROWS], p8[ROWS];
    for (int level = 0; level <= dredfx_cpu_max_level(); level++) {
      const dredfx_nn_kernels *kl = dredfx_nn_kernels_for_level(level);
      for (int rep_x = 0; rep_x < 3; rep_x++) {
        for (int j = 0; j < COLS; j++)
          x[j] = (int16_t)(rep_x == 0 ? 32767 : rep_x == 1 ? -32768 : (j * 5003) % 65536 - 32768);
        CHECK(dredfx_nn_linear_a15(kl, &plain, p_plain, x) == DREDFX_OK);
        CHECK(dredfx_nn_linear_a15(kl, &l, p8, x) == DREDFX_OK);
        CHECK(memcmp(p_plain, p8, sizeof(p8)) == 0);
      }
    }
  }
}

/* Every level gives the same layer outputs; unsupported levels are refused. */
static void test_cpu_levels(void) {
  const int max = dredfx_cpu_max_level(), start = dredfx_cpu_level();
  printf("cpu: level in use %s, max %s\n", dredfx_cpu_level_name(start), dredfx_cpu_level_name(max));
  CHECK(start >= 0 && start <= max);
  CHECK_EQ(dredfx_cpu_set_level(max + 1), DREDFX_ERR_CPU_UNSUPPORTED);
  CHECK_EQ(dredfx_cpu_set_level(-1), DREDFX_ERR_BAD_ARG);
  CHECK(dredfx_nn_kernels_for_level(max + 1) == NULL);
  CHECK(dredfx_nn_kernels_for_level(0) == &dredfx_nn_kernels_c);
  CHECK(strcmp(dredfx_cpu_level_name(0), "scalar") == 0);
  CHECK(strcmp(dredfx_cpu_level_name(99), "unknown") == 0);
  i8_layer t;
  int m[40 * 60];
  uint32_t r = 12345;
  for (int i = 0; i < 40 * 60; i++) {
    r = r * 1103515245u + 12345u;
    m[i] = (int)((r >> 16) & 0xff) - 128;
  }
  make_i8(&t, 40, 60, m, 1 << 30, 28, NULL);
  int16_t in[60], ref[40], out[40];
  for (int j = 0; j < 60; j++) in[j] = (int16_t)(j * 1111 - 32768);
  CHECK_EQ(dredfx_cpu_set_level(0), DREDFX_OK);
  CHECK_EQ(dredfx_cpu_level(), 0);
  dredfx_nn_dense(K, &t.l, DREDFX_NN_ACT_TANH, ref, in);
  for (int l = 1; l <= max; l++) {
    CHECK_EQ(dredfx_cpu_set_level(l), DREDFX_OK);
    CHECK(dredfx_nn_get_kernels() == dredfx_nn_kernels_for_level(l));
    dredfx_nn_dense(K, &t.l, DREDFX_NN_ACT_TANH, out, in);
    CHECK(memcmp(ref, out, sizeof(ref)) == 0);
  }
  CHECK_EQ(dredfx_cpu_set_level(start), DREDFX_OK);
}

#ifdef DREDFX_FIXED_DEBUG
/* FIXED_DEBUG counts each saturation at its site; tests read and reset the counts. */
static void test_fixed_debug_counts(void) {
  const dredfx_fixed_site *sites;
  int16_t o[3];
  const int32_t in[3] = {2 << 16, 0, -(3 << 16)};
  dredfx_fixed_debug_reset();
  CHECK_EQ(dredfx_fixed_debug_total(NULL), 0);
  dredfx_nn_activation(o, in, 3, DREDFX_NN_ACT_LINEAR);
  CHECK_EQ(dredfx_fixed_debug_total("SAT16"), 2);
  CHECK_EQ(dredfx_fixed_debug_saturations(&sites), 1);
  CHECK(strcmp(sites[0].op, "SAT16") == 0 && strstr(sites[0].file, "activations.c") != NULL && sites[0].count == 2);
  dredfx_nn_tanh_a15(9 << 16);
  dredfx_nn_sigmoid_a15(11 << 16);
  CHECK_EQ(dredfx_fixed_debug_total("ACT_CLAMP"), 2);
  i8_layer t;
  int16_t in4[4] = {32767, 32767, 32767, 32767};
  int32_t p[2];
  make_i8(&t, 2, 4, (const int[]){127, 127, 127, 127, -128, -128, -128, -128}, 1 << 30, 30,
          (const int32_t[]){INT32_MAX - 10, INT32_MIN + 10});
  dredfx_nn_linear_a15(K, &t.l, p, in4);
  CHECK_EQ(dredfx_fixed_debug_total("ADD_SAT32"), 2);
  CHECK_EQ(dredfx_fixed_debug_total(NULL), 6);
  CHECK_EQ(dredfx_fixed_debug_saturations(&sites), 4);
  /* A GRU step on ordinary values saturates nothing. */
  dredfx_fixed_debug_reset();
  CHECK_EQ(gru1(1000, 1 << 16, -(1 << 16), 1 << 15, 1 << 14), gru1(1000, 1 << 16, -(1 << 16), 1 << 15, 1 << 14));
  CHECK_EQ(dredfx_fixed_debug_total(NULL), 0);
  dredfx_fixed_debug_reset();
}
#endif

int main(void) {
  test_linear_prepare();
  test_linear_i8();
  test_linear_i16();
  test_linear_i32();
  test_activation_values();
  test_activation_bounds();
  test_exp_log();
  test_gru();
  test_sigmoid_g15();
  test_gru_saturated_gates();
  test_glu();
  test_conv1d();
  test_conv2d();
  test_dense();
  test_sparse_check();
  test_sparse_idx8();
  test_cpu_levels();
#ifdef DREDFX_FIXED_DEBUG
  test_fixed_debug_counts();
#endif
  return check_report("test_nn");
}
