/* AVX2 twins of the analysis' cross-correlation, autocorrelation and mac64 sums and window
 * products (analysis.c dredfx_an_xcorr_c, dredfx_an_autocorr_c, dredfx_an_mac64_c,
 * dredfx_an_window_c), and an AVX-VNNI twin of the cross-correlation, all
 * bit-exact with them: every product is exact in an int64 lane (_mm256_mul_epi32 on the even int32
 * lanes, the odd lanes shifted down first) or in int32 lanes that cannot overflow (the split form),
 * and integer sums do not depend on their order. Compiled with target attributes; selected at init
 * by the CPU level. */
#include "analysis/analysis.h"
#include "common/cpu.h"

#if defined(__x86_64__)

#include <immintrin.h>

/* The exact int64 form: every product in an int64 lane. */
__attribute__((target("avx2"))) static void xcorr_i64(const int32_t *x, const int32_t *y, int64_t *xc) {
  for (int i = 0; i < DREDFX_ANALYSIS_NB_XCORR; i++) {
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    for (int n = 0; n < DREDFX_ANALYSIS_FRAME; n += 8) {
      __m256i a = _mm256_loadu_si256((const __m256i *)(x + n));
      __m256i b = _mm256_loadu_si256((const __m256i *)(y + i + n));
      even = _mm256_add_epi64(even, _mm256_mul_epi32(a, b));
      odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)));
    }
    __m256i s = _mm256_add_epi64(even, odd);
    __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    xc[i] = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
  }
}

#define XC_Y (DREDFX_ANALYSIS_FRAME + DREDFX_ANALYSIS_NB_XCORR - 1) /* 383 values of y */

/* Speech keeps the excitation far below 2^22 (Q4: 2^18 is full scale): then v = 2^11 vh + vl with
 * vh = v >> 11 in [-2^11, 2^11) and vl = v & 2047, and
 *   xc = 2^22 HH + 2^11 (HL + LH) + LL,  HH = sum xh yh, HL = sum xh yl, LH = sum xl yh, LL = sum xl yl,
 * each of the three sums below 160 * 2 * 2^22 = 2^30.3 in magnitude: exact in int32 lanes, so one
 * _mm256_madd_epi16 takes two products at once. HL + LH comes from one product sum (Karatsuba):
 * M = sum (xh + xl)(yh + yl) = HH + HL + LH + LL, the halves' sums in [-2^11, 2^12) (int16, each
 * pair product below 2^25: no madd overflow); M itself may pass 2^31 and wraps in its int32 lanes,
 * but M - HH - LL taken mod 2^32 is HL + LH exactly, which lies within +-2^30.3. Lanes are lags: the pair (x[n], x[n + 1]) is
 * broadcast, the 32-bit lanes of a load at y + i + n hold (y[i + n + 2k], y[i + n + 2k + 1]), the
 * even lags i + 2k, a load at y + i + n + 1 the odd ones; the three sums are combined in int64
 * once per block of 16 lags. Any value outside [-2^22, 2^22) takes the int64 form. */
/* The split form's inputs (yh, yl, ys = yh + yl; x's halves and their sum paired as int16 in
 * int32), or 0 when a value lies outside [-2^22, 2^22): the int64 form then. The sums are loaded
 * like the halves (one load per product step: the loop is bound by its loads). */
__attribute__((target("avx2"))) static int xcorr_split(const int32_t *x, const int32_t *y, int16_t *yh, int16_t *yl,
                                                       int16_t *ys, int32_t *xh2, int32_t *xl2, int32_t *xs2) {
  const __m256i lo22 = _mm256_set1_epi32(-(1 << 22)), hi22 = _mm256_set1_epi32((1 << 22) - 1);
  __m256i out = _mm256_setzero_si256();
  for (int n = 0; n < DREDFX_ANALYSIS_FRAME; n += 8) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(x + n));
    out = _mm256_or_si256(out, _mm256_or_si256(_mm256_cmpgt_epi32(lo22, v), _mm256_cmpgt_epi32(v, hi22)));
  }
  int m = 0;
  for (; m + 8 <= XC_Y; m += 8) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(y + m));
    out = _mm256_or_si256(out, _mm256_or_si256(_mm256_cmpgt_epi32(lo22, v), _mm256_cmpgt_epi32(v, hi22)));
  }
  int tail_out = 0;
  for (; m < XC_Y; m++) tail_out |= y[m] < -(1 << 22) || y[m] >= (1 << 22);
  if (tail_out || !_mm256_testz_si256(out, out)) return 0;
  for (m = 0; m < XC_Y; m++) {
    yh[m] = (int16_t)(y[m] >> 11);
    yl[m] = (int16_t)(y[m] & 2047);
    ys[m] = (int16_t)(yh[m] + yl[m]);
  }
  for (int n = 0; n < DREDFX_ANALYSIS_FRAME; n += 2) {
    xh2[n / 2] = (int32_t)((uint32_t)(uint16_t)(x[n] >> 11) | (uint32_t)(uint16_t)(x[n + 1] >> 11) << 16);
    xl2[n / 2] = (int32_t)((uint32_t)(x[n] & 2047) | (uint32_t)(x[n + 1] & 2047) << 16);
    xs2[n / 2] = (int32_t)((uint32_t)(uint16_t)((x[n] >> 11) + (x[n] & 2047)) |
                           (uint32_t)(uint16_t)((x[n + 1] >> 11) + (x[n + 1] & 2047)) << 16);
  }
  return 1;
}

/* xc of 16 lags from i: HH, HL + LH and LL of the even lags (t[0], t[2], t[4]) and the odd ones */
static void xcorr_combine(int32_t t[6][8], int64_t *xc) {
  for (int k = 0; k < 8; k++) {
    xc[2 * k] = (int64_t)t[0][k] * (1 << 22) + (int64_t)t[2][k] * (1 << 11) + t[4][k];
    xc[2 * k + 1] = (int64_t)t[1][k] * (1 << 22) + (int64_t)t[3][k] * (1 << 11) + t[5][k];
  }
}

__attribute__((target("avx2"))) static void xcorr_store(int32_t t[6][8], __m256i hhe, __m256i hho, __m256i ce,
                                                        __m256i co, __m256i lle, __m256i llo) {
  _mm256_storeu_si256((__m256i *)(void *)t[0], hhe);
  _mm256_storeu_si256((__m256i *)(void *)t[1], hho);
  _mm256_storeu_si256((__m256i *)(void *)t[2], ce);
  _mm256_storeu_si256((__m256i *)(void *)t[3], co);
  _mm256_storeu_si256((__m256i *)(void *)t[4], lle);
  _mm256_storeu_si256((__m256i *)(void *)t[5], llo);
}

/* The split form's lag loop, for each level's pair-product accumulation DOT(acc, a, b) (acc plus
 * the int32 pair sums of a * b, wrapping: the order of these additions does not change the
 * integers). */
#define XC_X2 (DREDFX_ANALYSIS_FRAME / 2)
#define XCORR_SPLIT_TWIN(name, tgt, DOT)                                                                \
  __attribute__((target(tgt))) void name(const int32_t *x, const int32_t *y, int64_t *xc) {             \
    int16_t yh[XC_Y], yl[XC_Y], ys[XC_Y]; /* the last load of the odd lags ends at y[382] */            \
    int32_t xh2[XC_X2], xl2[XC_X2], xs2[XC_X2];                                                         \
    if (!xcorr_split(x, y, yh, yl, ys, xh2, xl2, xs2)) {                                                \
      xcorr_i64(x, y, xc);                                                                              \
      return;                                                                                           \
    }                                                                                                   \
    for (int i = 0; i < DREDFX_ANALYSIS_NB_XCORR; i += 16) {                                            \
      __m256i hhe = _mm256_setzero_si256(), hho = hhe, me = hhe, mo = hhe, lle = hhe, llo = hhe;        \
      const int16_t *ph = yh + i, *pl = yl + i, *ps = ys + i;                                           \
      _Pragma("GCC unroll 4") for (int k = 0; k < XC_X2; k++, ph += 2, pl += 2, ps += 2) {              \
        const __m256i xh = _mm256_set1_epi32(xh2[k]), xl = _mm256_set1_epi32(xl2[k]);                   \
        const __m256i xs = _mm256_set1_epi32(xs2[k]);                                                   \
        const __m256i yhe = _mm256_loadu_si256((const __m256i *)(const void *)ph);                      \
        const __m256i yho = _mm256_loadu_si256((const __m256i *)(const void *)(ph + 1));                \
        const __m256i yle = _mm256_loadu_si256((const __m256i *)(const void *)pl);                      \
        const __m256i ylo = _mm256_loadu_si256((const __m256i *)(const void *)(pl + 1));                \
        hhe = DOT(hhe, yhe, xh);                                                                        \
        hho = DOT(hho, yho, xh);                                                                        \
        lle = DOT(lle, yle, xl);                                                                        \
        llo = DOT(llo, ylo, xl);                                                                        \
        me = DOT(me, _mm256_loadu_si256((const __m256i *)(const void *)ps), xs);                        \
        mo = DOT(mo, _mm256_loadu_si256((const __m256i *)(const void *)(ps + 1)), xs);                  \
      }                                                                                                 \
      int32_t t[6][8];                                                                                  \
      xcorr_store(t, hhe, hho, _mm256_sub_epi32(_mm256_sub_epi32(me, hhe), lle),                        \
                  _mm256_sub_epi32(_mm256_sub_epi32(mo, hho), llo), lle, llo);                          \
      xcorr_combine(t, xc + i);                                                                         \
    }                                                                                                   \
  }

__attribute__((target("avx2"), always_inline)) static inline __m256i dot_madd(__m256i acc, __m256i a, __m256i b) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
}

XCORR_SPLIT_TWIN(dredfx_an_xcorr_avx2, "avx2", dot_madd)

#if defined(DREDFX_HAVE_AVXVNNI)
/* The AVX-VNNI level: each madd and its add fused into one vpdpwssd (the int32 lane sums stay
 * below 2^30.3 here: the same integers). */
__attribute__((target("avx2,avxvnni"), always_inline)) static inline __m256i dot_vnni(__m256i acc, __m256i a,
                                                                                      __m256i b) {
  return _mm256_dpwssd_avx_epi32(acc, a, b);
}

XCORR_SPLIT_TWIN(dredfx_an_xcorr_avxvnni, "avx2,avxvnni", dot_vnni)
#endif

/* The folded sums (analysis.c dredfx_an_autocorr_c): the two folded inputs in int32 lanes (|f| <=
 * 2^26), then per l eight products a step, even and odd lanes in int64 as in xcorr_i64. */
__attribute__((target("avx2"))) void dredfx_an_autocorr_avx2(const int32_t *g, const int32_t *cosf_q30, int64_t *s) {
  int32_t f[2][DREDFX_AN_AC_FOLD];
  f[0][0] = f[1][0] = g[DREDFX_AN_AC_FOLD];
  for (int k = 1; k < DREDFX_AN_AC_FOLD; k++) {
    f[0][k] = g[k] + g[DREDFX_ANALYSIS_FRAME - k];
    f[1][k] = g[k] - g[DREDFX_ANALYSIS_FRAME - k];
  }
  for (int l = 0; l <= DREDFX_ANALYSIS_LPC_ORDER; l++) {
    const int32_t *c = cosf_q30 + l * DREDFX_AN_AC_FOLD, *a = f[l & 1];
    __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
    for (int k = 0; k < DREDFX_AN_AC_FOLD; k += 8) {
      const __m256i va = _mm256_loadu_si256((const __m256i *)(const void *)(a + k));
      const __m256i vb = _mm256_loadu_si256((const __m256i *)(const void *)(c + k));
      even = _mm256_add_epi64(even, _mm256_mul_epi32(va, vb));
      odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(va, 32), _mm256_srli_epi64(vb, 32)));
    }
    const __m256i t = _mm256_add_epi64(even, odd);
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    s[l] = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
  }
}

/* Four quartics at once in int64 lanes (analysis.h, dredfx_an_log2_q24): m c exact in
 * _mm256_mul_epu32 (m < 2^31, c <= 2^31), each p t in _mm256_mul_epi32 (|p| < 2^31, |t| < 2^27),
 * rounded and shifted logically: the low 32 bits are the arithmetic shift's, which is within
 * int32, and p + A_i too, so the low halves carry p (the high halves are ignored by the next
 * product). */
__attribute__((target("avx2"))) void dredfx_an_log2_q24_n_avx2(const uint64_t *v, int n, int q, int32_t *out) {
  const __m256i h30 = _mm256_set1_epi64x((int64_t)1 << 30), h29 = _mm256_set1_epi64x((int64_t)1 << 29);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    int e[4], k[4];
    uint32_t m[4];
    int64_t c[4];
    for (int j = 0; j < 4; j++) {
      m[j] = dredfx_an_log2_norm(v[i + j], &e[j], &k[j]);
      c[j] = dredfx_an_log2_c_q31[k[j]];
    }
    const __m256i mv = _mm256_setr_epi64x(m[0], m[1], m[2], m[3]);
    const __m256i cv = _mm256_loadu_si256((const __m256i *)(const void *)c);
    const __m256i t = _mm256_sub_epi64(_mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(mv, cv), h30), 31),
                                       _mm256_set1_epi64x(1140850688));
    __m256i p = _mm256_set1_epi64x(dredfx_an_log2_a_q30[4]);
    for (int a = 3; a >= 0; a--)
      p = _mm256_add_epi32(_mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(p, t), h29), 30),
                           _mm256_set1_epi64x(dredfx_an_log2_a_q30[a]));
    int32_t pl[8];
    _mm256_storeu_si256((__m256i *)(void *)pl, p);
    for (int j = 0; j < 4; j++) out[i + j] = dredfx_an_log2_finish(e[j] - q, pl[2 * j], k[j]);
  }
  if (i < n) dredfx_an_log2_q24_n_c(v + i, n - i, q, out + i);
}

/* Eight products a step: even int32 lanes as loaded, odd ones shifted down, each exact in an
 * int64 lane (_mm256_mul_epi32); rounded and shifted logically: bits sh..sh + 31 of the sum are
 * the same after a logical shift as after an arithmetic one, and they are the int32 result (the
 * contract keeps it within int32). The last n % 8 as the scalar code. */
__attribute__((target("avx2"))) void dredfx_an_window_avx2(const int32_t *x, const int32_t *w, int n, int sh,
                                                           int32_t *out) {
  const __m256i half = _mm256_set1_epi64x((int64_t)1 << (sh - 1));
  const __m128i count = _mm_cvtsi32_si128(sh);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
    const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(w + i));
    const __m256i even = _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, b), half), count);
    const __m256i odd = _mm256_srl_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), half), count);
    _mm256_storeu_si256((__m256i *)(void *)(out + i), _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA));
  }
  if (i < n) dredfx_an_window_c(x + i, w + i, n - i, sh, out + i);
}

/* Eight outputs a step in int64 lanes: c[j] broadcast, x[j * stride + i ..] loaded once, its even
 * int32 lanes (outputs i, i + 2, ...) multiplied as they are and its odd ones shifted down, each
 * product exact in _mm256_mul_epi32; the two sums are put back in output order once per step. The
 * last n % 8 outputs as the scalar code. */
/* even = (y0, y2 | y4, y6), odd = (y1, y3 | y5, y7) -> y0..y7 */
__attribute__((target("avx2"), always_inline)) static inline void mac64_store(int64_t *y, __m256i even, __m256i odd) {
  const __m256i lo = _mm256_unpacklo_epi64(even, odd), hi = _mm256_unpackhi_epi64(even, odd);
  _mm256_storeu_si256((__m256i *)(void *)y, _mm256_permute2x128_si256(lo, hi, 0x20));
  _mm256_storeu_si256((__m256i *)(void *)(y + 4), _mm256_permute2x128_si256(lo, hi, 0x31));
}

__attribute__((target("avx2"))) void dredfx_an_mac64_avx2(const int32_t *c, int m, const int32_t *x, ptrdiff_t stride,
                                                          int n, int64_t *y) {
  int i = 0;
  /* 16 outputs a step (each broadcast used four times), then 8 */
  for (; i + 16 <= n; i += 16) {
    __m256i e0 = _mm256_setzero_si256(), o0 = e0, e1 = e0, o1 = e0;
    for (int j = 0; j < m; j++) {
      const __m256i cj = _mm256_set1_epi32(c[j]); /* mul_epi32 reads the low half of each 64-bit lane */
      const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(x + j * stride + i));
      const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(x + j * stride + i + 8));
      e0 = _mm256_add_epi64(e0, _mm256_mul_epi32(v0, cj));
      o0 = _mm256_add_epi64(o0, _mm256_mul_epi32(_mm256_srli_epi64(v0, 32), cj));
      e1 = _mm256_add_epi64(e1, _mm256_mul_epi32(v1, cj));
      o1 = _mm256_add_epi64(o1, _mm256_mul_epi32(_mm256_srli_epi64(v1, 32), cj));
    }
    mac64_store(y + i, e0, o0);
    mac64_store(y + i + 8, e1, o1);
  }
  for (; i + 8 <= n; i += 8) {
    __m256i even = _mm256_setzero_si256(), odd = even;
    for (int j = 0; j < m; j++) {
      const __m256i cj = _mm256_set1_epi32(c[j]);
      const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + j * stride + i));
      even = _mm256_add_epi64(even, _mm256_mul_epi32(v, cj));
      odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_srli_epi64(v, 32), cj));
    }
    mac64_store(y + i, even, odd);
  }
  if (i < n) dredfx_an_mac64_c(c, m, x + i, stride, n - i, y + i);
}

#endif
