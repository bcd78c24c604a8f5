/* DRED encoder: libopus 1.6.1's sender side after the features. The RDO-VAE encoder per 20 ms
 * (dnn/dred_encoder.c dred_process_frame / dred_compute_latents), the dead-zone quantizer
 * (dred_encode_latents), the bitrate split (src/opus_encoder.c compute_dred_bitrate,
 * estimate_dred_bitrate), the byte budget of opus_encode_frame_native and the activity and
 * offset rules of dred_encode_silk_frame; the payload is range-coded by dredfx_dred_encode.
 * Facts sheet sections 1.3, 2.4, 2.6, 8.1, 11. */
#include <string.h>

#include "common/common.h"
#include "dred/dred_history.h"
#include "rdovae/rdovae_enc.h"

#define DRED_ENC_MAGIC 0x434e4544u      /* "DENC" */
#define DRED_MAX_DATA_SIZE 1000
#define DRED_PREFIX_BYTES 2
#define DRED_MIN_BYTES 8
/* 16 kHz samples: the initial fill of libopus' DRED input buffer (DRED_SILK_ENCODER_DELAY),
 * the 10 ms feature frame, and the encoder's look-ahead extra_delay = Fs / 250 at 16 kHz. */
#define DRED_SILK_ENCODER_DELAY 11
#define DRED_FRAME_SIZE 160
#define DRED_EXTRA_DELAY_16K 64

/* ------------------------------------------------------------------ quantizer */

/* dred_encode_latents per value, on x in Q16 with scale s and dead zone z (both Q8 bytes):
 * y = x s / 256 (exact in Q24), u = y / (z / 256 + 1/10) = y * 10 / (10 z + 256) (Q16, rounded half
 * away from zero), d = tanh(u) (engine table, a15), y' = y - (z / 256) d (exact: z d 2 in Q24),
 * q = floor(1/2 + y') (half-integers round up, as libopus' floor(.5f + x)). libopus computes the
 * same in float with its own tanh approximation: for the same x the results differ only where y'
 * lies within about 1e-4 of a half-integer (the two tanh approximations differ by at most
 * DREDFX_NN_TANH_MAX_ERR_APPROX_E7 = 4.9e-5, times z / 256 < 1, plus float rounding). */
static int32_t dred_quantize_value(int32_t x_q16, uint8_t scale_q8, uint8_t dead_zone_q8) {
  const int64_t y_q24 = (int64_t)x_q16 * scale_q8;
  const int64_t den = 10 * (int64_t)dead_zone_q8 + 256;
  const int64_t num = y_q24 * 10;
  const int64_t u_q16 = num >= 0 ? (2 * num + den) / (2 * den) : -((-2 * num + den) / (2 * den));
  const int16_t d_a15 = dredfx_nn_tanh_a15(DFX_SAT32(u_q16));
  const int64_t yq_q24 = y_q24 - 2 * (int64_t)dead_zone_q8 * d_a15;
  /* floor((yq + 2^23) / 2^24) with a division, defined for negative values. */
  const int64_t t = yq_q24 + ((int64_t)1 << 23);
  return (int32_t)(t >= 0 ? t >> 24 : -((-t + ((int64_t)1 << 24) - 1) >> 24));
}

int dredfx_dred_quantize(int32_t *q, const int32_t *x_q16, int dim, const uint8_t *scale_q8,
                         const uint8_t *dead_zone_q8, const uint8_t *r_q8, const uint8_t *p0_q8) {
  if (q == NULL || x_q16 == NULL || dim < 0 || scale_q8 == NULL || dead_zone_q8 == NULL ||
      r_q8 == NULL || p0_q8 == NULL)
    return DREDFX_ERR_BAD_ARG;
  for (int i = 0; i < dim; i++)
    /* A dimension the statistics never code is 0 ("make the impossible actually impossible"). */
    q[i] = r_q8[i] == 0 || p0_q8[i] == 255 ? 0 : dred_quantize_value(x_q16[i], scale_q8[i], dead_zone_q8[i]);
  return DREDFX_OK;
}

/* ------------------------------------------------------------------ bitrate split */

/* compute_dred_bitrate decides in float32. Its decisions (the chunk target) are reproduced
 * exactly with a small integer model of IEEE binary32 for the positive values it meets:
 * value = m 2^e with m in [2^23, 2^24) (m = 0: zero), each operation exact then rounded to
 * nearest, ties to even, as SSE/NEON float arithmetic does (FLT_EVAL_METHOD 0). */
typedef struct {
  uint64_t m;
  int e;
} dred_f32;

static int dred_bits(uint64_t v) {
  int n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

/* m 2^e (m < 2^63) plus, if sticky, a little more: rounded to 24 bits. */
static dred_f32 dred_f32_round(uint64_t m, int e, int sticky) {
  dred_f32 r = {0, 0};
  int nb = dred_bits(m);
  if (m == 0) return r;
  if (nb <= 24) {
    r.m = m << (24 - nb);
    r.e = e - (24 - nb);
    return r;
  }
  {
    const int sh = nb - 24;
    const uint64_t lo = m & (((uint64_t)1 << sh) - 1), half = (uint64_t)1 << (sh - 1);
    r.m = m >> sh;
    r.e = e + sh;
    if (lo > half || (lo == half && (sticky || (r.m & 1)))) r.m++;
    if (r.m == (uint64_t)1 << 24) {
      r.m >>= 1;
      r.e++;
    }
  }
  return r;
}

static dred_f32 dred_f32_bits(uint32_t bits) {
  dred_f32 r = {(bits & 0x7fffff) | 0x800000, (int)((bits >> 23) & 255) - 150};
  return r;
}

static dred_f32 dred_f32_int(int64_t v) {
  return dred_f32_round((uint64_t)v, 0, 0);
}

/* a + b (sub = 0) or a - b (sub = 1, a >= b). Operands here differ by far less than 2^30 in
 * magnitude, so aligning the larger exponent down keeps everything exact in 64 bits. */
static dred_f32 dred_f32_addsub(dred_f32 a, dred_f32 b, int sub) {
  int e;
  if (b.m == 0) return a;
  if (a.m == 0) return b;
  e = DREDFX_MIN(a.e, b.e);
  {
    const uint64_t ma = a.m << (a.e - e), mb = b.m << (b.e - e);
    return dred_f32_round(sub ? ma - mb : ma + mb, e, 0);
  }
}

static dred_f32 dred_f32_mul(dred_f32 a, dred_f32 b) {
  return dred_f32_round(a.m * b.m, a.e + b.e, 0);
}

static dred_f32 dred_f32_div(dred_f32 a, dred_f32 b) {
  const uint64_t n = a.m << 39;
  if (a.m == 0) return a;
  return dred_f32_round(n / b.m, a.e - 39 - b.e, n % b.m != 0);
}

static int dred_f32_less(dred_f32 a, dred_f32 b) {
  if (a.m == 0 || b.m == 0) return a.m < b.m;
  return a.e != b.e ? a.e < b.e : a.m < b.m;
}

/* (int) of a non-negative value: truncation. */
static int64_t dred_f32_trunc(dred_f32 a) {
  if (a.e >= 0) return (int64_t)(a.m << a.e);
  return a.e <= -64 ? 0 : (int64_t)(a.m >> -a.e);
}

/* Bits per chunk at each level (opus_encoder.c dred_bits_table), as float32 bit patterns of
 * 73.2f, 68.1f, ... 6.4f. */
static const uint32_t dred_bits_table_f32[DREDFX_DRED_NUM_LEVELS] = {
  0x42926666, 0x42883333, 0x427a0000, 0x42640000, 0x424e0000, 0x4236cccd, 0x421f999a, 0x4201999a,
  0x41d33333, 0x41a33333, 0x41826666, 0x41500000, 0x4114cccd, 0x41033333, 0x40e66666, 0x40cccccd};
#define DRED_F32_0_7 0x3f333333u
#define DRED_F32_0_8 0x3f4ccccdu
#define DRED_F32_0_55 0x3f0ccccdu
#define DRED_F32_0_5 0x3f000000u
#define DRED_F32_100 0x42c80000u
#define DRED_F32_50 0x42480000u

/* The encoder rates libopus' DRED supports (dred_convert_to_16k; 96 kHz only in QEXT builds). */
static int dred_rate_ok(int32_t sampling_rate) {
  return sampling_rate == 8000 || sampling_rate == 12000 || sampling_rate == 16000 ||
         sampling_rate == 24000 || sampling_rate == 48000;
}

int dredfx_dred_compute_bitrate(int32_t sampling_rate, int32_t bitrate, int loss_perc, int inband_fec,
                                int frame_size, int duration_frames, dredfx_dred_rate *out) {
  dred_f32 frac, bits, target_bits_f;
  int32_t offset, target, target_bits, max_bits;
  int chunks, q0, dq;
  if (out == NULL || !dred_rate_ok(sampling_rate) ||
      bitrate < 0 || bitrate > 1500000 || loss_perc < 0 || loss_perc > 100 || frame_size <= 0 ||
      frame_size > 6 * (sampling_rate / 50) || duration_frames < 0 ||
      duration_frames > DREDFX_DRED_MAX_FRAMES)
    return DREDFX_ERR_BAD_ARG;
  if (inband_fec) {
    /* MIN16(.7f, 3.f * loss / 100.f) */
    frac = dred_f32_div(dred_f32_int(3 * loss_perc), dred_f32_bits(DRED_F32_100));
    if (dred_f32_less(dred_f32_bits(DRED_F32_0_7), frac)) frac = dred_f32_bits(DRED_F32_0_7);
    offset = 20000;
  } else {
    if (loss_perc > 5) {
      /* MIN16(.8f, .55f + loss / 100.f) */
      frac = dred_f32_addsub(dred_f32_bits(DRED_F32_0_55),
                             dred_f32_div(dred_f32_int(loss_perc), dred_f32_bits(DRED_F32_100)), 0);
      if (dred_f32_less(dred_f32_bits(DRED_F32_0_8), frac)) frac = dred_f32_bits(DRED_F32_0_8);
    } else {
      frac = dred_f32_div(dred_f32_int(12 * loss_perc), dred_f32_bits(DRED_F32_100));
    }
    offset = 12000;
  }
  /* frac / (frac + (1 - frac) * (frame_size * 50.f) / Fs) */
  {
    const dred_f32 one_minus = dred_f32_addsub(dred_f32_int(1), frac, 1);
    const dred_f32 dur = dred_f32_mul(dred_f32_int(frame_size), dred_f32_bits(DRED_F32_50));
    const dred_f32 t = dred_f32_div(dred_f32_mul(one_minus, dur), dred_f32_int(sampling_rate));
    frac = dred_f32_div(frac, dred_f32_addsub(frac, t, 0));
  }
  q0 = DREDFX_MIN(15, DREDFX_MAX(4, 51 - 3 * dred_bits((uint32_t)DREDFX_MAX(1, bitrate - offset))));
  dq = bitrate - offset > 36000 ? 3 : 5;
  target = bitrate - offset > 0 ? (int32_t)dred_f32_trunc(dred_f32_mul(frac, dred_f32_int(bitrate - offset))) : 0;
  out->q0 = q0;
  out->dq = dq;
  out->qmax = 15;
  out->target_chunks = 0;
  out->dred_bitrate = 0;
  if (duration_frames == 0) return DREDFX_OK;
  /* estimate_dred_bitrate: 5 signalling bytes, about 50 bits + one chunk for the state. */
  target_bits = target * 6 / (6 * sampling_rate / frame_size);
  target_bits_f = dred_f32_int(target_bits);
  bits = dred_f32_addsub(dred_f32_int(8 * (3 + DRED_PREFIX_BYTES)),
                         dred_f32_addsub(dred_f32_bits(DRED_F32_50), dred_f32_bits(dred_bits_table_f32[q0]), 0), 0);
  chunks = DREDFX_MIN((duration_frames + 5) / 4, DREDFX_DRED_MAX_LATENTS);
  for (int i = 0; i < chunks; i++) {
    bits = dred_f32_addsub(bits, dred_f32_bits(dred_bits_table_f32[dredfx_dred_level(q0, dq, 15, i)]), 0);
    if (dred_f32_less(bits, target_bits_f)) out->target_chunks = i + 1;
  }
  /* (int)floor(.5f + bits), then bits_to_bitrate */
  max_bits = (int32_t)dred_f32_trunc(dred_f32_addsub(dred_f32_bits(DRED_F32_0_5), bits, 0));
  out->dred_bitrate = DREDFX_MIN(target, max_bits * (6 * sampling_rate / frame_size) / 6);
  if (out->target_chunks < 2) out->dred_bitrate = 0;
  return DREDFX_OK;
}

/* ------------------------------------------------------------------ encoder */

struct dredfx_dred_enc {
  uint32_t magic;
  dredfx_rdovae_enc net;
  dredfx_dred_stats stats;
  dredfx_dred_rate rate;
  int frames_per_packet; /* 10 ms feature frames */
  int max_chunks;        /* chunks asked for per packet */
  dredfx_dred_history history;
  uint8_t activity[DREDFX_DRED_ACTIVITY_LEN];
};

size_t dredfx_dred_enc_get_size(void) {
  return sizeof(dredfx_dred_enc);
}

void dredfx_dred_enc_reset(dredfx_dred_enc *st) {
  if (st == NULL || st->magic != DRED_ENC_MAGIC) return;
  dredfx_rdovae_enc_reset(&st->net);
  dredfx_dred_history_reset(&st->history);
  memset(st->activity, 0, sizeof(st->activity));
}

int dredfx_dred_enc_init(dredfx_dred_enc *st, const dredfx_weight_array *arrays, int n,
                         const dredfx_dred_enc_config *cfg) {
  int rc, frame_size;
  if (st == NULL || arrays == NULL || n < 0 || cfg == NULL) return DREDFX_ERR_BAD_ARG;
  /* Single-frame packets of 10 to 60 ms (libopus encodes 80 ms and longer as several frames). */
  if (cfg->frame_ms != 10 && cfg->frame_ms != 20 && cfg->frame_ms != 40 && cfg->frame_ms != 60)
    return DREDFX_ERR_BAD_ARG;
  if (cfg->duration_ms < 10 || cfg->duration_ms > 10 * DREDFX_DRED_MAX_FRAMES || cfg->duration_ms % 10 ||
      !dred_rate_ok(cfg->sampling_rate) || cfg->bitrate < 0 || cfg->bitrate > 1500000)
    return DREDFX_ERR_BAD_ARG;
  memset(st, 0, sizeof(*st));
  frame_size = cfg->sampling_rate / 1000 * cfg->frame_ms;
  {
    int32_t bitrate = cfg->bitrate;
    if (!cfg->vbr) {
      /* CBR: the bitrate of a whole number of bytes per packet (opus_encode_frame_native). */
      const int32_t per_second = 6 * cfg->sampling_rate / frame_size;
      bitrate = (bitrate * 6 / per_second + 4) / 8 * 8 * per_second / 6;
    }
    if ((rc = dredfx_dred_compute_bitrate(cfg->sampling_rate, bitrate, cfg->loss_perc, cfg->inband_fec,
                                          frame_size, cfg->duration_ms / 10, &st->rate)) < 0)
      return rc;
  }
  if ((rc = dredfx_dred_stats_init(&st->stats, arrays, n)) < 0 ||
      (rc = dredfx_rdovae_enc_init(&st->net, arrays, n)) < 0) {
    memset(st, 0, sizeof(*st));
    return rc;
  }
  st->frames_per_packet = cfg->frame_ms / 10;
  st->max_chunks = DREDFX_MIN((cfg->duration_ms / 10 + 5) / 4, DREDFX_DRED_HISTORY_SLOTS / 2);
  if (cfg->vbr) st->max_chunks = DREDFX_MIN(st->max_chunks, st->rate.target_chunks);
  st->magic = DRED_ENC_MAGIC;
  return DREDFX_OK;
}

int dredfx_dred_enc_rate(const dredfx_dred_enc *st, dredfx_dred_rate *out) {
  if (st == NULL || st->magic != DRED_ENC_MAGIC || out == NULL) return DREDFX_ERR_BAD_ARG;
  *out = st->rate;
  return DREDFX_OK;
}

/* Floor division by a positive divisor. */
static int dred_floor_div(int a, int b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int dredfx_dred_enc_packet(dredfx_dred_enc *st, const int32_t *features_q16, int active, int32_t room,
                           unsigned char *out, int32_t maxlen, dredfx_dred_payload *payload) {
  dredfx_dred_payload local;
  dredfx_dred_payload *p = payload ? payload : &local;
  int dred_offset, latent_offset = 0, bytes_left, n400;
  if (st == NULL || st->magic != DRED_ENC_MAGIC || features_q16 == NULL || (active != 0 && active != 1) ||
      room < 0 || out == NULL || maxlen < 0)
    return DREDFX_ERR_BAD_ARG;
  memset(p, 0, sizeof(*p));
  /* dred_compute_latents: where the newest DRED frame lies (2.5 ms units): 40 + extra_delay
   * minus the input buffer's fill at the start of the packet (16 kHz samples), plus 20, / 40. */
  dred_offset = dred_floor_div(40 + DRED_EXTRA_DELAY_16K -
                               (DRED_SILK_ENCODER_DELAY + DRED_FRAME_SIZE * st->history.pending) + 20, 40);
  for (int f = 0; f < st->frames_per_packet; f++)
    dredfx_dred_history_feed(&st->history, &st->net, features_q16 + f * DREDFX_DRED_NUM_FEATURES, &dred_offset,
                             &latent_offset);
  /* The packet's voice activity, once per 2.5 ms. */
  n400 = 4 * st->frames_per_packet;
  memmove(st->activity + n400, st->activity, DREDFX_DRED_ACTIVITY_LEN - n400);
  memset(st->activity, active, (size_t)n400);
  /* opus_encode_frame_native: room after the codec frame, less the code-3 header, padding
   * length and extension bytes, and the extra padding-length bytes. */
  bytes_left = (int)DREDFX_MIN(DRED_MAX_DATA_SIZE, (int64_t)room - 3);
  bytes_left -= (bytes_left + 1 + DRED_PREFIX_BYTES) / 255;
  if (st->max_chunks < 1 || bytes_left < DRED_MIN_BYTES + DRED_PREFIX_BYTES) return 0;
  if (maxlen < bytes_left - DRED_PREFIX_BYTES) return DREDFX_ERR_BUFFER_TOO_SMALL;
  return dredfx_dred_history_payload(&st->history, st->activity, dred_offset, latent_offset, st->max_chunks,
                                     st->rate.q0, st->rate.dq, st->rate.qmax, &st->stats,
                                     bytes_left - DRED_PREFIX_BYTES, out, p);
}
