/* DRED payload layer: locating the DRED extension, range-coded payload syntax, quantizer levels
 * and dequantization. Bit-exact with libopus 1.6.1 (dnn/dred_decoder.c dred_ec_decode,
 * dnn/dred_encoder.c dred_encode_silk_frame, dnn/dred_coding.c compute_quantizer,
 * src/opus_decoder.c dred_find_payload / opus_dred_parse, src/opus_encoder.c for the placement). */
#include <string.h>

#include "common/common.h"
#include "packet/packet.h"

/* 'D', version: the experimental prefix of the extension payload. */
#define DRED_PREFIX_BYTES 2
/* Chunks are 20 ms latents taken every other 10 ms slot; 52 slots cover 104 feature frames. */
#define DRED_NUM_REDUNDANCY_FRAMES 52
/* total_offset = 32 * high + low with high < 256 and low < 32. */
#define DRED_MAX_TOTAL_OFFSET (32 * 255 + 31)
/* Extension frame offset in 2.5 ms units: at most 120 ms of audio per packet. */
#define DRED_MAX_FRAME_OFFSET 48
/* Allowed sampling rates of dredfx_dred_parse: keeps every product inside 64 bits and the result
 * inside an int. */
#define DRED_MAX_SAMPLING_RATE 768000
/* dredfx_dred_decode_coded's re-encoding buffer: libopus' encoder writes at most
 * DRED_MAX_DATA_SIZE (1000) bytes; longer input is not tried. */
#define DRED_CODED_MAX_BYTES 2048

/* Slope of the quantizer level in 1/16 level per chunk, indexed by dQ. */
static const int dred_dq_table[8] = {0, 2, 3, 4, 6, 8, 12, 16};

/* A dimension whose statistics say it never carries information is not coded (value 0). */
static int dred_dim_skipped(uint8_t r_q8, uint8_t p0_q8) {
  return r_q8 == 0 || p0_q8 == 255;
}

/* The qmax symbol is present only when the level can actually grow. */
static int dred_qmax_coded(int q0, int dq) {
  return q0 < 14 && dq > 0;
}

static int dred_level_unchecked(int q0, int dq, int qmax, int i) {
  int q = q0 + (dred_dq_table[dq] * i + 8) / 16;
  return q > qmax ? qmax : q;
}

int dredfx_dred_level(int q0, int dq, int qmax, int i) {
  if (q0 < 0 || q0 >= DREDFX_DRED_NUM_LEVELS || dq < 0 || dq > 7 || qmax < 0 ||
      qmax >= DREDFX_DRED_NUM_LEVELS || i < 0 || i >= DREDFX_DRED_MAX_LATENTS)
    return DREDFX_ERR_BAD_ARG;
  return dred_level_unchecked(q0, dq, qmax, i);
}

/* Values are kept as libopus' int, whatever their size (a crafted payload can exceed int16). */
static void dred_decode_values(dredfx_ec *ec, int32_t *q, const uint8_t *r_q8, const uint8_t *p0_q8,
                               int dim) {
  for (int k = 0; k < dim; k++) {
    if (dred_dim_skipped(r_q8[k], p0_q8[k]))
      q[k] = 0;
    else
      q[k] = dredfx_ec_laplace_decode_p0(ec, (uint16_t)(p0_q8[k] << 7), (uint16_t)(r_q8[k] << 7));
  }
}

static int dred_stats_ok(const dredfx_dred_stats *s) {
  return s && s->latent_scale_q8 && s->latent_r_q8 && s->latent_p0_q8 && s->state_scale_q8 &&
         s->state_r_q8 && s->state_p0_q8;
}

static int dred_decode_args_ok(const unsigned char *bytes, int32_t len, int dred_frame_offset,
                               const dredfx_dred_stats *stats, const dredfx_dred_payload *out) {
  return out && dred_stats_ok(stats) && len >= 0 && (bytes || len == 0) && dred_frame_offset >= 0 &&
         dred_frame_offset <= DRED_MAX_FRAME_OFFSET;
}

/* Header fields and state into out (cleared first). */
static void dred_decode_header(dredfx_ec *ec, int dred_frame_offset, const dredfx_dred_stats *stats,
                               dredfx_dred_payload *out) {
  int extra;
  memset(out, 0, sizeof(*out));
  out->q0 = (int)dredfx_ec_dec_uint(ec, 16);
  out->dq = (int)dredfx_ec_dec_uint(ec, 8);
  extra = dredfx_ec_dec_uint(ec, 2) ? 32 * (int)dredfx_ec_dec_uint(ec, 256) : 0;
  out->dred_offset = 16 - (int)dredfx_ec_dec_uint(ec, 32) - extra + dred_frame_offset;
  out->dred_frame_offset = dred_frame_offset;
  out->qmax = 15;
  if (dred_qmax_coded(out->q0, out->dq)) {
    /* One symbol: half the range says qmax = 15, the other half holds q0 + 1 .. 14 uniformly. */
    unsigned nvals = (unsigned)(14 - out->q0);
    unsigned s = dredfx_ec_decode(ec, 2 * nvals);
    if (s >= nvals) {
      out->qmax = out->q0 + 1 + (int)(s - nvals);
      dredfx_ec_dec_update(ec, s, s + 1, 2 * nvals);
    } else {
      dredfx_ec_dec_update(ec, 0, nvals, 2 * nvals);
    }
  }
  dred_decode_values(ec, out->state, stats->state_r_q8 + out->q0 * DREDFX_DRED_STATE_DIM,
                     stats->state_p0_q8 + out->q0 * DREDFX_DRED_STATE_DIM, DREDFX_DRED_STATE_DIM);
}

static void dred_decode_chunk(dredfx_ec *ec, const dredfx_dred_stats *stats, dredfx_dred_payload *out,
                              int c) {
  int level = dred_level_unchecked(out->q0, out->dq, out->qmax, c);
  out->level[c] = (uint8_t)level;
  dred_decode_values(ec, out->latents[c], stats->latent_r_q8 + level * DREDFX_DRED_LATENT_DIM,
                     stats->latent_p0_q8 + level * DREDFX_DRED_LATENT_DIM, DREDFX_DRED_LATENT_DIM);
}

/* libopus 1.6.1's stop rule: a chunk is decoded only while a whole byte is left. */
static int dred_byte_left(const dredfx_ec *ec, int32_t len) {
  return 8 * (int64_t)len - dredfx_ec_tell(ec) > 7;
}

int dredfx_dred_decode(const unsigned char *bytes, int32_t len, int min_feature_frames,
                       int dred_frame_offset, const dredfx_dred_stats *stats,
                       dredfx_dred_payload *out) {
  dredfx_ec ec;
  int nb_chunks, i;
  if (!dred_decode_args_ok(bytes, len, dred_frame_offset, stats, out) || min_feature_frames < 0)
    return DREDFX_ERR_BAD_ARG;
  dredfx_ec_dec_init(&ec, bytes, (uint32_t)len);
  dred_decode_header(&ec, dred_frame_offset, stats, out);
  /* libopus steps i by 2 over 10 ms slots; chunk i/2 is decoded only while a whole byte is left. */
  /* In 64 bits: min_feature_frames + 1 overflows an int at INT_MAX. */
  nb_chunks = (int)DREDFX_MIN(DRED_NUM_REDUNDANCY_FRAMES, ((int64_t)min_feature_frames + 1) / 2);
  for (i = 0; i < nb_chunks && dred_byte_left(&ec, len); i += 2)
    dred_decode_chunk(&ec, stats, out, i / 2);
  out->nb_latents = i / 2;
  out->ec_bits = dredfx_ec_tell(&ec);
  return out->nb_latents;
}

int dredfx_dred_decode_coded(const unsigned char *bytes, int32_t len, int dred_frame_offset,
                             const dredfx_dred_stats *stats, dredfx_dred_payload *out) {
  unsigned char again[DRED_CODED_MAX_BYTES];
  int tell[DREDFX_DRED_MAX_LATENTS + 1];
  dredfx_ec ec;
  int c, k, stop = -1, reproduced = 0;
  if (!dred_decode_args_ok(bytes, len, dred_frame_offset, stats, out))
    return DREDFX_ERR_BAD_ARG;
  dredfx_ec_dec_init(&ec, bytes, (uint32_t)len);
  dred_decode_header(&ec, dred_frame_offset, stats, out);
  /* Past the stop rule the encoder may still have coded chunks of under 8 bits; a chunk can end
   * no later than bit 8 * len, and one that costs under a whole bit can start there. */
  tell[0] = dredfx_ec_tell(&ec);
  for (c = 0; c < DREDFX_DRED_MAX_LATENTS && dredfx_ec_tell(&ec) <= 8 * (int64_t)len; c++) {
    if (stop < 0 && !dred_byte_left(&ec, len))
      stop = c;
    dred_decode_chunk(&ec, stats, out, c);
    tell[c + 1] = dredfx_ec_tell(&ec);
  }
  if (stop < 0)
    stop = c;
  /* The encoder's bytes depend only on how many chunks it kept: the coded count is the smallest
   * one whose encoding is the input (trailing chunks that change no byte cannot be told apart);
   * a count whose encoding needs more than len bytes fails. */
  for (k = stop; len <= DRED_CODED_MAX_BYTES && k <= c && !reproduced; k++) {
    int n;
    out->nb_latents = k;
    n = dredfx_dred_encode(again, len, out, stats);
    reproduced = n == len && !memcmp(again, bytes, (size_t)len);
  }
  if (reproduced)
    k--;
  else
    k = stop;
  out->nb_latents = k;
  out->ec_bits = tell[k];
  /* Chunks past the count are left cleared, as dredfx_dred_decode leaves them. */
  memset(out->latents + k, 0, sizeof(out->latents[0]) * (size_t)(DREDFX_DRED_MAX_LATENTS - k));
  memset(out->level + k, 0, (size_t)(DREDFX_DRED_MAX_LATENTS - k));
  return reproduced;
}

static int dred_accept(const dredfx_extension *ext, void *ctx) {
  (void)ctx;
  return ext->len > DRED_PREFIX_BYTES && ext->data[0] == 'D' && ext->data[1] == DREDFX_DRED_VERSION;
}

int dredfx_dred_find(const unsigned char *packet, int32_t len, const unsigned char **payload,
                     int32_t *payload_len, int *frame_offset) {
  dredfx_packet_info info;
  dredfx_extension ext;
  int ret;
  if (!packet || len < 0 || !payload || !payload_len || !frame_offset)
    return DREDFX_ERR_BAD_ARG;
  *payload = NULL;
  *payload_len = 0;
  *frame_offset = 0;
  ret = dredfx_packet_parse(packet, len, &info);
  if (ret < 0)
    return ret;
  if (info.padding_len <= 0)
    return 0;
  ret = dredfx_ext_find(packet + info.padding_offset, info.padding_len, info.nb_frames,
                        DREDFX_DRED_EXTENSION_ID, dred_accept, NULL, &ext);
  if (ret <= 0)
    return ret;
  *payload = ext.data + DRED_PREFIX_BYTES;
  *payload_len = ext.len - DRED_PREFIX_BYTES;
  /* Position of the extension's frame in 2.5 ms units, like the coded offset. */
  *frame_offset = ext.frame * info.samples_per_frame / 120;
  return 1;
}

int dredfx_dred_parse(const unsigned char *packet, int32_t len, int32_t max_dred_samples,
                      int32_t sampling_rate, const dredfx_dred_stats *stats,
                      dredfx_dred_payload *out, int32_t *dred_end) {
  const unsigned char *payload;
  int32_t payload_len;
  int frame_offset, ret;
  int64_t mff, covered, end;
  if (!packet || len < 0 || !out || !dred_stats_ok(stats) || max_dred_samples < 0 ||
      sampling_rate <= 0 || sampling_rate > DRED_MAX_SAMPLING_RATE)
    return DREDFX_ERR_BAD_ARG;
  memset(out, 0, sizeof(*out));
  if (dred_end)
    *dred_end = 0;
  ret = dredfx_dred_find(packet, len, &payload, &payload_len, &frame_offset);
  if (ret <= 0)
    return ret;
  mff = DREDFX_MIN(2 + 100 * (int64_t)max_dred_samples / sampling_rate, 2 * DRED_NUM_REDUNDANCY_FRAMES);
  ret = dredfx_dred_decode(payload, payload_len, (int)mff, frame_offset, stats, out);
  if (ret < 0)
    return ret;
  /* C division truncates toward zero, as in libopus. */
  end = -(int64_t)out->dred_offset * sampling_rate / 400;
  covered = (int64_t)out->nb_latents * sampling_rate / 25 + end;
  if (dred_end)
    *dred_end = (int32_t)DREDFX_MAX(0, end);
  return (int)DREDFX_MAX(0, covered);
}

/* Checks that every value can be coded with the tables of its level (any int32 magnitude can). */
static int dred_values_ok(const int32_t *q, const uint8_t *r_q8, const uint8_t *p0_q8, int dim) {
  for (int k = 0; k < dim; k++) {
    if (dred_dim_skipped(r_q8[k], p0_q8[k])) {
      if (q[k] != 0)
        return 0;
    } else if (q[k] == 0 && p0_q8[k] == 0) {
      /* P(0) = 0: the zero symbol has no probability (the coder would get an empty range). */
      return 0;
    }
  }
  return 1;
}

static void dred_encode_values(dredfx_ec *ec, const int32_t *q, const uint8_t *r_q8,
                               const uint8_t *p0_q8, int dim) {
  for (int k = 0; k < dim; k++)
    if (!dred_dim_skipped(r_q8[k], p0_q8[k]))
      dredfx_ec_laplace_encode_p0(ec, q[k], (uint16_t)(p0_q8[k] << 7), (uint16_t)(r_q8[k] << 7));
}

int dredfx_dred_encode(unsigned char *out, int32_t maxlen, const dredfx_dred_payload *p,
                       const dredfx_dred_stats *stats) {
  dredfx_ec ec;
  int64_t total_offset;
  int c, fill;
  if (!out || maxlen < 0 || !p || !stats || !stats->latent_r_q8 || !stats->latent_p0_q8 ||
      !stats->state_r_q8 || !stats->state_p0_q8)
    return DREDFX_ERR_BAD_ARG;
  if (p->q0 < 0 || p->q0 >= DREDFX_DRED_NUM_LEVELS || p->dq < 0 || p->dq > 7 ||
      p->nb_latents < 0 || p->nb_latents > DREDFX_DRED_MAX_LATENTS || p->dred_frame_offset < 0 ||
      p->dred_frame_offset > DRED_MAX_FRAME_OFFSET)
    return DREDFX_ERR_BAD_ARG;
  /* qmax must be what the decoder reconstructs: coded in q0 + 1 .. 15, otherwise implied 15. */
  if (dred_qmax_coded(p->q0, p->dq) ? (p->qmax <= p->q0 || p->qmax > 15) : p->qmax != 15)
    return DREDFX_ERR_BAD_ARG;
  total_offset = 16 - ((int64_t)p->dred_offset - p->dred_frame_offset);
  if (total_offset < 0 || total_offset > DRED_MAX_TOTAL_OFFSET)
    return DREDFX_ERR_BAD_ARG;
  if (!dred_values_ok(p->state, stats->state_r_q8 + p->q0 * DREDFX_DRED_STATE_DIM,
                      stats->state_p0_q8 + p->q0 * DREDFX_DRED_STATE_DIM, DREDFX_DRED_STATE_DIM))
    return DREDFX_ERR_BAD_ARG;
  for (c = 0; c < p->nb_latents; c++) {
    int level = dred_level_unchecked(p->q0, p->dq, p->qmax, c);
    if (!dred_values_ok(p->latents[c], stats->latent_r_q8 + level * DREDFX_DRED_LATENT_DIM,
                        stats->latent_p0_q8 + level * DREDFX_DRED_LATENT_DIM, DREDFX_DRED_LATENT_DIM))
      return DREDFX_ERR_BAD_ARG;
  }

  dredfx_ec_enc_init(&ec, out, (uint32_t)maxlen);
  dredfx_ec_enc_uint(&ec, (uint32_t)p->q0, 16);
  dredfx_ec_enc_uint(&ec, (uint32_t)p->dq, 8);
  if (total_offset > 31) {
    dredfx_ec_enc_uint(&ec, 1, 2);
    dredfx_ec_enc_uint(&ec, (uint32_t)(total_offset >> 5), 256);
    dredfx_ec_enc_uint(&ec, (uint32_t)(total_offset & 31), 32);
  } else {
    dredfx_ec_enc_uint(&ec, 0, 2);
    dredfx_ec_enc_uint(&ec, (uint32_t)total_offset, 32);
  }
  if (dred_qmax_coded(p->q0, p->dq)) {
    unsigned nvals = (unsigned)(14 - p->q0);
    if (p->qmax == 15)
      dredfx_ec_encode(&ec, 0, nvals, 2 * nvals);
    else
      dredfx_ec_encode(&ec, nvals + (unsigned)(p->qmax - p->q0 - 1), nvals + (unsigned)(p->qmax - p->q0),
                       2 * nvals);
  }
  dred_encode_values(&ec, p->state, stats->state_r_q8 + p->q0 * DREDFX_DRED_STATE_DIM,
                     stats->state_p0_q8 + p->q0 * DREDFX_DRED_STATE_DIM, DREDFX_DRED_STATE_DIM);
  for (c = 0; c < p->nb_latents; c++) {
    int level = dred_level_unchecked(p->q0, p->dq, p->qmax, c);
    dred_encode_values(&ec, p->latents[c], stats->latent_r_q8 + level * DREDFX_DRED_LATENT_DIM,
                       stats->latent_p0_q8 + level * DREDFX_DRED_LATENT_DIM, DREDFX_DRED_LATENT_DIM);
  }
  /* Below 8 * maxlen bits nothing was written past the buffer (the coder lags its bit count). */
  if ((int64_t)dredfx_ec_tell(&ec) > 8 * (int64_t)maxlen)
    return DREDFX_ERR_BUFFER_TOO_SMALL;
  /* libopus' output: the coder state after the last kept chunk, cut to whole bytes, then done. */
  fill = (dredfx_ec_tell(&ec) + 7) / 8;
  dredfx_ec_enc_shrink(&ec, (uint32_t)fill);
  dredfx_ec_enc_done(&ec);
  return fill;
}

/* round(q * 256 / s) in Q16, half away from zero. Results past +-(2^31 - 1) (|q * 256 / s| near
 * 32768 and up) saturate: that is the range of the Q16 output format; the quantized value in the
 * payload is left as decoded. */
static int32_t dred_dequant_q16(int32_t q, uint8_t scale_q8) {
  int64_t s = scale_q8 ? scale_q8 : 1;
  int64_t num = (q < 0 ? -(int64_t)q : (int64_t)q) << 24;
  int64_t v = (2 * num + s) / (2 * s);
  if (v > INT32_MAX)
    v = INT32_MAX;
  return (int32_t)(q < 0 ? -v : v);
}

int dredfx_dred_dequantize(const dredfx_dred_payload *p, const dredfx_dred_stats *stats,
                           int32_t *state_q16, int32_t *latents_q16) {
  const int stride = DREDFX_DRED_LATENT_DIM + 1;
  if (!p || !stats || !stats->state_scale_q8 || !stats->latent_scale_q8 || !state_q16 ||
      !latents_q16)
    return DREDFX_ERR_BAD_ARG;
  if (p->q0 < 0 || p->q0 >= DREDFX_DRED_NUM_LEVELS || p->dq < 0 || p->dq > 7 || p->qmax < 0 ||
      p->qmax >= DREDFX_DRED_NUM_LEVELS || p->nb_latents < 0 ||
      p->nb_latents > DREDFX_DRED_MAX_LATENTS)
    return DREDFX_ERR_BAD_ARG;
  for (int k = 0; k < DREDFX_DRED_STATE_DIM; k++)
    state_q16[k] = dred_dequant_q16(p->state[k], stats->state_scale_q8[p->q0 * DREDFX_DRED_STATE_DIM + k]);
  memset(latents_q16, 0, sizeof(int32_t) * DREDFX_DRED_MAX_LATENTS * stride);
  for (int c = 0; c < p->nb_latents; c++) {
    int level = dred_level_unchecked(p->q0, p->dq, p->qmax, c);
    const uint8_t *scale = stats->latent_scale_q8 + level * DREDFX_DRED_LATENT_DIM;
    for (int k = 0; k < DREDFX_DRED_LATENT_DIM; k++)
      latents_q16[c * stride + k] = dred_dequant_q16(p->latents[c][k], scale[k]);
    /* libopus' extra decoder input q / 8 - 1, exact in Q16. */
    latents_q16[c * stride + DREDFX_DRED_LATENT_DIM] = level * 8192 - 65536;
  }
  return DREDFX_OK;
}
