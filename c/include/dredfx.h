/* dredfx: bit-exact fixed-point Opus DRED (libopus 1.6.1 model and bitstream).
 * The one public header. All functions return a negative dredfx_error on failure.
 * Layers, in data-flow order: range coder (dredfx_ec_), Opus packet and padding extensions
 * (dredfx_packet_, dredfx_ext_), DRED payload (dredfx_dred_), weights (dredfx_weights_),
 * CPU dispatch (dredfx_cpu_). Nothing here allocates memory. */
#ifndef DREDFX_H
#define DREDFX_H

#include <stddef.h>
#include <stdint.h>
#include "dredfx_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the public functions. The library is compiled with hidden visibility, so a shared
 * libdredfx exports these and nothing else (docs/abi.md). */
#if defined(__GNUC__)
#define DREDFX_EXPORT __attribute__((visibility("default")))
#else
#define DREDFX_EXPORT
#endif

/* "dredfx X.Y.Z" for the library actually linked (DREDFX_VERSION_STRING is the header's). */
DREDFX_EXPORT const char *dredfx_version_string(void);

/* ---------------------------------------------------------------- errors */
typedef enum {
  DREDFX_OK = 0,
  DREDFX_ERR_BAD_ARG = -1,          /* NULL pointer, negative length, parameter out of range */
  DREDFX_ERR_BUFFER_TOO_SMALL = -2, /* output buffer cannot hold the result */
  DREDFX_ERR_INTERNAL = -3,
  DREDFX_ERR_INVALID_PACKET = -4,   /* same value as OPUS_INVALID_PACKET; generic malformed packet */
  DREDFX_ERR_UNIMPLEMENTED = -5,
  /* Specific malformed-packet reasons (RFC 6716 section 3.4); dredfx_is_invalid_packet() is true. */
  DREDFX_ERR_PACKET_EMPTY = -40,        /* R1: zero-length packet */
  DREDFX_ERR_PACKET_CBR_SIZE = -41,     /* R3/R6: code 1 odd payload, code 3 CBR not divisible by M */
  DREDFX_ERR_PACKET_LENGTH = -42,       /* R4/R7: truncated length byte(s) or frame length past the end */
  DREDFX_ERR_PACKET_FRAME_SIZE = -43,   /* R2: a frame longer than 1275 bytes */
  DREDFX_ERR_PACKET_FRAME_COUNT = -44,  /* R5: code 3 with M = 0 or more than 120 ms of audio */
  DREDFX_ERR_PACKET_PADDING = -45,      /* R6/R7: padding length runs past the end */
  DREDFX_ERR_EXT_FRAME_INDEX = -46,     /* extension frame separator past the packet's frame count */
  DREDFX_ERR_EXT_OVERRUN = -47,         /* extension length or payload runs past the padding */
  /* Weights blob */
  DREDFX_ERR_WEIGHTS_FORMAT = -60,      /* bad magic, version or record header */
  DREDFX_ERR_WEIGHTS_TRUNCATED = -61,   /* blob shorter than its header says */
  DREDFX_ERR_WEIGHTS_CHECKSUM = -62,    /* CRC-32 mismatch: corrupt blob */
  DREDFX_ERR_WEIGHTS_MISSING = -63,     /* a required array is absent */
  DREDFX_ERR_WEIGHTS_SHAPE = -64,       /* an array has the wrong type or size, or bad contents */
  /* CPU dispatch */
  DREDFX_ERR_CPU_UNSUPPORTED = -80      /* a forced CPU level is not available on this CPU */
} dredfx_error;

/* Short English description of an error code (never NULL). */
DREDFX_EXPORT const char *dredfx_strerror(int err);
/* Non-zero for DREDFX_ERR_INVALID_PACKET and every DREDFX_ERR_PACKET_* / DREDFX_ERR_EXT_* code. */
DREDFX_EXPORT int dredfx_is_invalid_packet(int err);

/* ---------------------------------------------------------------- range coder (ec/)
 * Bit-identical to libopus' entropy coder (celt/entenc.c, entdec.c, laplace.c) for valid calls.
 * Where libopus asserts (ft 0 or > 65536, fl >= fh, raw bits > 25, logp/ftb > 16, p0 > 32768,
 * decay > 32767, shrink below the bytes written) the call sets `error` and changes nothing. */
typedef struct {
  unsigned char *buf;
  uint32_t storage;     /* buffer size in bytes */
  uint32_t end_offs;    /* raw bytes written/read from the end */
  uint32_t end_window;
  int nend_bits;
  int nbits_total;
  uint32_t offs;        /* range-coded bytes written/read from the front */
  uint32_t rng;
  uint32_t val;
  uint32_t ext;
  int rem;
  int error;            /* non-zero after a write past the buffer (encoder) */
} dredfx_ec;

DREDFX_EXPORT void dredfx_ec_enc_init(dredfx_ec *ec, unsigned char *buf, uint32_t size);
DREDFX_EXPORT void dredfx_ec_encode(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft);
DREDFX_EXPORT void dredfx_ec_encode_bin(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned bits);
DREDFX_EXPORT void dredfx_ec_enc_bit_logp(dredfx_ec *ec, int val, unsigned logp);
DREDFX_EXPORT void dredfx_ec_enc_icdf(dredfx_ec *ec, int s, const unsigned char *icdf,
                                      unsigned ftb);
DREDFX_EXPORT void dredfx_ec_enc_icdf16(dredfx_ec *ec, int s, const uint16_t *icdf, unsigned ftb);
DREDFX_EXPORT void dredfx_ec_enc_uint(dredfx_ec *ec, uint32_t fl, uint32_t ft);
DREDFX_EXPORT void dredfx_ec_enc_bits(dredfx_ec *ec, uint32_t fl, unsigned bits);
DREDFX_EXPORT void dredfx_ec_enc_shrink(dredfx_ec *ec, uint32_t size);
DREDFX_EXPORT void dredfx_ec_enc_done(dredfx_ec *ec);

DREDFX_EXPORT void dredfx_ec_dec_init(dredfx_ec *ec, const unsigned char *buf, uint32_t size);
DREDFX_EXPORT unsigned dredfx_ec_decode(dredfx_ec *ec, unsigned ft);
DREDFX_EXPORT unsigned dredfx_ec_decode_bin(dredfx_ec *ec, unsigned bits);
DREDFX_EXPORT void dredfx_ec_dec_update(dredfx_ec *ec, unsigned fl, unsigned fh, unsigned ft);
DREDFX_EXPORT int dredfx_ec_dec_bit_logp(dredfx_ec *ec, unsigned logp);
DREDFX_EXPORT int dredfx_ec_dec_icdf(dredfx_ec *ec, const unsigned char *icdf, unsigned ftb);
DREDFX_EXPORT int dredfx_ec_dec_icdf16(dredfx_ec *ec, const uint16_t *icdf, unsigned ftb);
DREDFX_EXPORT uint32_t dredfx_ec_dec_uint(dredfx_ec *ec, uint32_t ft);
DREDFX_EXPORT uint32_t dredfx_ec_dec_bits(dredfx_ec *ec, unsigned bits);

DREDFX_EXPORT int dredfx_ec_tell(const dredfx_ec *ec);            /* whole bits used, rounded up */
DREDFX_EXPORT uint32_t dredfx_ec_tell_frac(const dredfx_ec *ec);  /* in 1/8 bits */

/* Laplace "p0" coding of one DRED value: p0 = P(0) in Q15, decay = geometric ratio in Q15. */
DREDFX_EXPORT void dredfx_ec_laplace_encode_p0(dredfx_ec *ec, int value, uint16_t p0,
                                               uint16_t decay);
DREDFX_EXPORT int dredfx_ec_laplace_decode_p0(dredfx_ec *ec, uint16_t p0, uint16_t decay);

/* ---------------------------------------------------------------- Opus packet (packet/)
 * RFC 6716 section 3: TOC byte, framing codes 0..3, padding. Pointers point into the packet. */
#define DREDFX_MAX_FRAMES 48
#define DREDFX_MAX_FRAME_BYTES 1275

typedef struct {
  int toc;                /* first byte */
  int config;             /* TOC bits 3..7 (0..31) */
  int stereo;             /* TOC bit 2 */
  int code;               /* framing code 0..3 */
  int vbr;                /* code 3 only: VBR flag */
  int nb_frames;          /* frames in the packet (1..48) */
  int samples_per_frame;  /* at 48 kHz (120, 240, 480, 960, 1920, 2880) */
  int32_t frame_offset[DREDFX_MAX_FRAMES];
  int16_t frame_len[DREDFX_MAX_FRAMES];
  int32_t padding_offset; /* start of the padding content (extensions); valid if padding_len > 0 */
  int32_t padding_len;    /* padding content bytes (length bytes excluded); 0 if none */
} dredfx_packet_info;

/* Parses a whole Opus packet (self-delimiting framing is not supported). */
DREDFX_EXPORT int dredfx_packet_parse(const unsigned char *data, int32_t len,
                                      dredfx_packet_info *info);
/* Samples per frame at 48 kHz for a TOC byte. */
DREDFX_EXPORT int dredfx_packet_samples_per_frame(int toc);

/* Builds a packet from nb_frames frames with the given TOC config/stereo. The smallest code
 * (0, 1, 2) is used unless padding is given or code 3 is needed; force_code3 forces code 3.
 * padding (may be NULL when padding_len is 0) becomes the padding content. vbr selects code 3 VBR
 * when frame sizes are equal. Returns the packet length. */
DREDFX_EXPORT int dredfx_packet_build(unsigned char *out, int32_t maxlen, int config, int stereo,
                                      const unsigned char *const *frames, const int16_t *frame_len,
                                      int nb_frames, const unsigned char *padding,
                                      int32_t padding_len, int force_code3, int vbr);

/* ---------------------------------------------------------------- padding extensions (packet/)
 * libopus 1.6.1 src/extensions.c semantics: short/long forms, separators, repeat indicators. */
typedef struct {
  int id;                   /* 3..127 */
  int frame;                /* 0..nb_frames-1 */
  const unsigned char *data;
  int32_t len;
} dredfx_extension;

/* Parses all extensions of a padding area in bitstream order. Returns the count (<= max_exts)
 * or an error; DREDFX_ERR_BUFFER_TOO_SMALL if more than max_exts are present. */
DREDFX_EXPORT int dredfx_ext_parse(const unsigned char *padding, int32_t len, int nb_frames,
                                   dredfx_extension *exts, int max_exts);
/* Number of extensions in a padding area, or an error. */
DREDFX_EXPORT int dredfx_ext_count(const unsigned char *padding, int32_t len, int nb_frames);
/* Writes the extensions (any order of frames) as libopus' opus_packet_extensions_generate does.
 * With out == NULL only the length is computed. pad != 0 fills the first bytes up to len with 0x01
 * so the extensions end exactly at out + len. Returns the length written. */
DREDFX_EXPORT int dredfx_ext_generate(unsigned char *out, int32_t len, const dredfx_extension *exts,
                                      int n, int nb_frames, int pad);

/* ---------------------------------------------------------------- repacketizer (packet/)
 * libopus 1.6.1 opus_repacketizer_out_range_impl (self_delimited 0), byte for byte: frames of one
 * TOC (its config and stereo bits are kept) and extensions (frame numbers in the packet, written
 * in the order given, as opus_packet_extensions_generate does) into one packet.
 *   pad == 0: the shortest packet (code 0, 1 or 2 when no code 3 is needed), at most maxlen.
 *   pad != 0: exactly maxlen bytes (CBR): code 3 whenever there is room to pad or an extension;
 *             the padding-length bytes are those libopus writes for that total (its form
 *             [255] * k + [0] included), 0x01 bytes fill the room before the extensions, and
 *             zeros fill it when there is no extension.
 * Returns the packet length or DREDFX_ERR_BUFFER_TOO_SMALL / DREDFX_ERR_BAD_ARG. */
DREDFX_EXPORT int dredfx_packet_repacketize(unsigned char *out, int32_t maxlen, int toc,
                                            const unsigned char *const *frames,
                                            const int16_t *frame_len, int nb_frames,
                                            const dredfx_extension *exts, int nb_exts, int pad);

/* libopus 1.6.1 opus_packet_pad_impl, the encoder's way of attaching DRED (pad = CBR): the frames
 * of packet `in` with exts followed by the packet's own extensions, through
 * dredfx_packet_repacketize(out, maxlen, ..., pad). len == maxlen with no exts returns the packet
 * as it is, as libopus does (where libopus would also return it unchanged with exts, dropping
 * them, dredfx repacketizes and may answer DREDFX_ERR_BUFFER_TOO_SMALL). len > maxlen is
 * DREDFX_ERR_BAD_ARG; a malformed packet gives its parse error. out must not overlap in unless
 * out == in and nothing changes. At most DREDFX_MAX_PAD_EXTENSIONS extensions in all. */
#define DREDFX_MAX_PAD_EXTENSIONS 256
DREDFX_EXPORT int dredfx_packet_pad(unsigned char *out, int32_t maxlen, const unsigned char *in,
                                    int32_t len, const dredfx_extension *exts, int nb_exts,
                                    int pad);

/* ---------------------------------------------------------------- DRED payload (dred/) */
#define DREDFX_DRED_EXTENSION_ID 126
#define DREDFX_DRED_VERSION 12
#define DREDFX_DRED_LATENT_DIM 25
#define DREDFX_DRED_STATE_DIM 50
#define DREDFX_DRED_MAX_LATENTS 26
#define DREDFX_DRED_NUM_LEVELS 16
#define DREDFX_DRED_MAX_FRAMES 104
#define DREDFX_DRED_NUM_FEATURES 20

/* The eight quantizer statistics tables, row-major [level][dim] (from the weights blob). */
typedef struct {
  const uint8_t *latent_scale_q8, *latent_dead_zone_q8, *latent_r_q8, *latent_p0_q8;  /* 16 x 25 */
  const uint8_t *state_scale_q8, *state_dead_zone_q8, *state_r_q8, *state_p0_q8;      /* 16 x 50 */
} dredfx_dred_stats;

/* Quantized content of a DRED payload. state and latents hold libopus' int values: a crafted
 * payload's escapes can exceed int16 (the decoder caps a magnitude at 2^31 - 1). */
typedef struct {
  int q0, dq, qmax;
  int dred_offset;       /* 2.5 ms units: 16 - low - extra + dred_frame_offset (libopus meaning) */
  int dred_frame_offset; /* 2.5 ms units of the extension's frame inside the packet */
  int nb_latents;        /* chunks decoded, newest first */
  int ec_bits;           /* range-coder bits used (ec_tell) after the last decoded field */
  int32_t state[DREDFX_DRED_STATE_DIM];
  int32_t latents[DREDFX_DRED_MAX_LATENTS][DREDFX_DRED_LATENT_DIM];
  uint8_t level[DREDFX_DRED_MAX_LATENTS];  /* quantizer level of each chunk */
} dredfx_dred_payload;

/* Quantizer level of chunk i. */
DREDFX_EXPORT int dredfx_dred_level(int q0, int dq, int qmax, int i);
/* Decodes a range-coded payload (the bytes after 'D', 12). min_feature_frames bounds the chunk
 * count as in libopus (chunks < (min_feature_frames + 1) / 2, at most 26). Never fails on short
 * input: fewer latents are decoded. */
DREDFX_EXPORT int dredfx_dred_decode(const unsigned char *bytes, int32_t len,
                                     int min_feature_frames, int dred_frame_offset,
                                     const dredfx_dred_stats *stats, dredfx_dred_payload *out);
/* Finds the DRED extension of a packet as libopus' dred_find_payload does. Returns 1 and sets
   *payload, *payload_len (after the two version bytes) and *frame_offset, 0 if none, or an error. */
DREDFX_EXPORT int dredfx_dred_find(const unsigned char *packet, int32_t len,
                                   const unsigned char **payload, int32_t *payload_len,
                                   int *frame_offset);
/* opus_dred_parse equivalent: returns the samples of audio covered at sampling_rate (>= 0) and
 * sets *dred_end, or an error. No DRED: returns 0, out->nb_latents = 0. */
DREDFX_EXPORT int dredfx_dred_parse(const unsigned char *packet, int32_t len,
                                    int32_t max_dred_samples, int32_t sampling_rate,
                                    const dredfx_dred_stats *stats, dredfx_dred_payload *out,
                                    int32_t *dred_end);
/* Range-codes a payload (fields and nb_latents chunks of p) as libopus' encoder does; returns the
 * byte count (ceil(ec_tell/8)) or DREDFX_ERR_BUFFER_TOO_SMALL. The 'D', 12 prefix is not written. */
DREDFX_EXPORT int dredfx_dred_encode(unsigned char *out, int32_t maxlen,
                                     const dredfx_dred_payload *p, const dredfx_dred_stats *stats);
/* Every chunk the encoder coded, including the last ones of under 8 bits that libopus 1.6.1's
 * stop rule never reads: decodes past that rule while bits remain and keeps the smallest chunk
 * count (>= the stop rule's) whose dredfx_dred_encode is the input, byte for byte. Returns 1 with
 * those chunks in out; 0 with the stop rule's chunks (as dredfx_dred_decode with
 * min_feature_frames 104) when no count reproduces the input, e.g. bytes not written by a
 * libopus-style encoder, or input over 2048 bytes (not tried); or an error. */
DREDFX_EXPORT int dredfx_dred_decode_coded(const unsigned char *bytes, int32_t len,
                                           int dred_frame_offset, const dredfx_dred_stats *stats,
                                           dredfx_dred_payload *out);
/* Dequantizes into Q16 (value = q * 256 / scale, rounded half away from zero; scale 0 -> 1).
 * state_q16[50]; latents_q16[26 * 26] with stride 26: 25 values, then the q-feature q/8 - 1. */
DREDFX_EXPORT int dredfx_dred_dequantize(const dredfx_dred_payload *p,
                                         const dredfx_dred_stats *stats, int32_t *state_q16,
                                         int32_t *latents_q16);

/* ---------------------------------------------------------------- weights (weights/)
 * dredfx weight blob, format in docs/weights-blob.md. The loader indexes the blob in place. */
enum { DREDFX_WT_F32 = 1, DREDFX_WT_I32 = 2, DREDFX_WT_I8 = 3, DREDFX_WT_U8 = 4, DREDFX_WT_I16 = 5 };
#define DREDFX_WEIGHTS_MAGIC "DREDFXWB"
#define DREDFX_WEIGHTS_FORMAT_VERSION 1
#define DREDFX_WEIGHTS_NAME_LEN 44

typedef struct {
  const char *name;
  int type;
  uint32_t count;      /* elements */
  const void *data;    /* 64-byte aligned if the blob is */
} dredfx_weight_array;

/* Checks and indexes a blob (bounds, version, CRC-32, names). Fills up to max_arrays entries and
 * returns the number of arrays, or an error (a blob with more than max_arrays arrays:
 * DREDFX_ERR_BUFFER_TOO_SMALL). */
DREDFX_EXPORT int dredfx_weights_parse(const unsigned char *blob, size_t len,
                                       dredfx_weight_array *arrays, int max_arrays);
/* The array with that exact name, type and count, or NULL. */
DREDFX_EXPORT const dredfx_weight_array *dredfx_weights_find(const dredfx_weight_array *arrays,
                                                             int n, const char *name, int type,
                                                             uint32_t count);
/* Sets the stats tables from a parsed blob; DREDFX_ERR_WEIGHTS_MISSING/_SHAPE on failure. */
DREDFX_EXPORT int dredfx_dred_stats_init(dredfx_dred_stats *stats,
                                         const dredfx_weight_array *arrays, int n);

/* ---------------------------------------------------------------- RDO-VAE encoder (rdovae/)
 * libopus 1.6.1's dred_rdovae_encode_dframe in fixed point: every 20 ms, two 10 ms frames of
 * the 20 DRED features (features_q16[40]: the older frame, then the newer; int32 Q16, i.e. the
 * float feature times 65536) -> one latent (25 values) and one initial state (50 values), Q16.
 * The state holds the model (layers pointing into the caller's weights blob, which must outlive
 * it), the kernel table of the CPU level in use at init, and the recurrent memories. */
typedef struct dredfx_rdovae_enc dredfx_rdovae_enc;

DREDFX_EXPORT size_t dredfx_rdovae_enc_get_size(void);
/* st: dredfx_rdovae_enc_get_size() bytes, aligned for a pointer; starts with cleared memories.
 * DREDFX_ERR_WEIGHTS_MISSING / _SHAPE when the blob lacks an encoder layer or has a wrong one. */
DREDFX_EXPORT int dredfx_rdovae_enc_init(dredfx_rdovae_enc *st, const dredfx_weight_array *arrays, int n);
/* Clears the GRU states and conv memories (libopus' encoder reset). */
DREDFX_EXPORT void dredfx_rdovae_enc_reset(dredfx_rdovae_enc *st);
/* One step: features_q16[40] -> latent_q16[25], state_q16[50]. Features are used in Q16 as they
 * are (the engine's 32-bit wide path for enc_dense1). */
DREDFX_EXPORT int dredfx_rdovae_encode_dframe(dredfx_rdovae_enc *st, const int32_t *features_q16,
                                              int32_t *latent_q16, int32_t *state_q16);

/* libopus' dead-zone quantizer (dred_encode_latents) on dim values in Q16 with one level's
 * tables: q = floor(1/2 + y - d tanh(y / (d + 0.1))), y = x scale / 256, d = dead_zone / 256,
 * in integers (c/src/dred/dred_enc.c states the rounding); 0 for skipped dimensions
 * (r = 0 or p0 = 255). */
DREDFX_EXPORT int dredfx_dred_quantize(int32_t *q, const int32_t *x_q16, int dim, const uint8_t *scale_q8,
                                       const uint8_t *dead_zone_q8, const uint8_t *r_q8, const uint8_t *p0_q8);

/* ---------------------------------------------------------------- DRED encoder (dred/)
 * The DRED payload libopus 1.6.1's encoder attaches to each packet, from the features of the
 * packet's audio (as dred_compute_latents computes them: the 16 kHz signal delayed by its input
 * buffer) and the packet's voice activity. Assumes libopus' VOIP/AUDIO applications (look-ahead
 * Fs / 250) and single-frame packets of 10, 20, 40 or 60 ms. */
typedef struct {
  int32_t sampling_rate; /* encoder rate: 8000, 12000, 16000, 24000 or 48000 */
  int32_t bitrate;       /* b/s (OPUS_SET_BITRATE), 0..1500000 */
  int loss_perc;         /* OPUS_SET_PACKET_LOSS_PERC, 0..100 */
  int duration_ms;       /* OPUS_SET_DRED_DURATION x 10 ms: 10..1040, a multiple of 10 */
  int frame_ms;          /* packet duration: 10, 20, 40 or 60 */
  int vbr;               /* OPUS_SET_VBR: in VBR the chunks are capped by the bitrate split */
  int inband_fec;        /* SILK in-band FEC (LBRR) in use: the other split of compute_dred_bitrate */
} dredfx_dred_enc_config;

/* compute_dred_bitrate's decisions (its float arithmetic reproduced exactly in integers). */
typedef struct {
  int q0, dq, qmax;      /* quantizer of every payload */
  int target_chunks;     /* chunks the DRED bitrate affords (VBR cap) */
  int32_t dred_bitrate;  /* b/s taken from the codec (0 when fewer than 2 chunks are affordable) */
} dredfx_dred_rate;
/* frame_size in samples at sampling_rate; duration_frames in 10 ms units (0..104). */
DREDFX_EXPORT int dredfx_dred_compute_bitrate(int32_t sampling_rate, int32_t bitrate, int loss_perc,
                                              int inband_fec, int frame_size, int duration_frames,
                                              dredfx_dred_rate *out);

typedef struct dredfx_dred_enc dredfx_dred_enc;
DREDFX_EXPORT size_t dredfx_dred_enc_get_size(void);
/* st: dredfx_dred_enc_get_size() bytes, aligned for a pointer. CBR (vbr = 0) rounds the bitrate
 * to whole bytes per packet first, as libopus does (its cap at the caller's max_data_bytes is not
 * modelled). */
DREDFX_EXPORT int dredfx_dred_enc_init(dredfx_dred_enc *st, const dredfx_weight_array *arrays, int n,
                                       const dredfx_dred_enc_config *cfg);
/* The configuration's rate decisions. */
DREDFX_EXPORT int dredfx_dred_enc_rate(const dredfx_dred_enc *st, dredfx_dred_rate *out);
/* Back to the state after init (libopus' OPUS_RESET_STATE). */
DREDFX_EXPORT void dredfx_dred_enc_reset(dredfx_dred_enc *st);
/* One packet: features_q16[frame_ms / 10 * 20] (its 10 ms frames, oldest first, Q16), active =
 * its voice activity (0 or 1: what libopus leaves in activity_mem for it), room = bytes left in
 * the packet buffer after the codec frame (libopus' max_data_bytes - ret; pass 1276 or more in
 * VBR). The RDO-VAE runs once per two frames (a 10 ms packet runs it every other packet).
 * Writes the range-coded payload (without 'D', 12) to out (maxlen >= DREDFX_DRED_ENC_MAX_BYTES
 * always suffices; less than the packet's budget is DREDFX_ERR_BUFFER_TOO_SMALL) and, if payload
 * is not NULL, its content there (nb_latents 0 without DRED). Returns the payload bytes, 0 when
 * libopus attaches no DRED to this packet, or an error.
 * Timing: the newest chunk is the latent of the newest complete 20 ms step for 10 and 20 ms
 * packets, of the step frame_ms / 20 - 1 steps before it for 40 and 60 ms packets (libopus keeps
 * the DRED offset near 15 ms), unless leading inactive latents are skipped; chunk c is the latent
 * 2 c steps older. dred_offset (2.5 ms units, dredfx_dred_payload) is 10 for 20, 40 and 60 ms
 * packets, 2 and 6 alternately for 10 ms packets (6 when the packet completes a step), 8 less per
 * skipped latent. */
#define DREDFX_DRED_ENC_MAX_BYTES 995
DREDFX_EXPORT int dredfx_dred_enc_packet(dredfx_dred_enc *st, const int32_t *features_q16, int active,
                                         int32_t room, unsigned char *out, int32_t maxlen,
                                         dredfx_dred_payload *payload);

/* ---------------------------------------------------------------- CPU dispatch (common/cpu.c)
 * Levels: 0 scalar; x86: 1 AVX2, 2 AVX-VNNI; ARM: 1 NEON, 2 NEON+dotprod. The environment variable
 * DREDFX_CPU=scalar|avx2|avxvnni|neon|dotprod caps the level (read once, at first use). */
enum {
  DREDFX_CPU_SCALAR = 0,
  DREDFX_CPU_AVX2 = 1,    /* x86-64 */
  DREDFX_CPU_AVXVNNI = 2, /* x86-64, AVX2 + AVX-VNNI */
  DREDFX_CPU_NEON = 1,    /* aarch64, armv7 */
  DREDFX_CPU_DOTPROD = 2  /* aarch64 */
};
/* Level in use. */
DREDFX_EXPORT int dredfx_cpu_level(void);
/* Highest level this CPU supports. */
DREDFX_EXPORT int dredfx_cpu_max_level(void);
/* Forces a level <= max; error if unsupported. */
DREDFX_EXPORT int dredfx_cpu_set_level(int level);
/* "scalar", "avx2", "avxvnni", "neon", "dotprod". */
DREDFX_EXPORT const char *dredfx_cpu_level_name(int level);

/* ---------------------------------------------------------------- RDO-VAE decoder (rdovae/)
 * libopus 1.6.1's DRED_rdovae_decode_all in fixed point: dequantized initial state and latents
 * (Q16, as dredfx_dred_dequantize gives them) -> 20 features per 10 ms frame (Q16), 4 frames per
 * latent, newest first: exactly libopus' OpusDRED.fec_features order. The state holds the model
 * (layers pointing into the caller's weights blob, which must outlive it) and the kernel table of
 * the CPU level in use at init; a decode call only reads it, so threads may share one state. */
#define DREDFX_RDOVAE_LATENT_STRIDE 26 /* 25 latent values, then the q-feature q/8 - 1 */
typedef struct dredfx_rdovae_dec dredfx_rdovae_dec;

DREDFX_EXPORT size_t dredfx_rdovae_dec_get_size(void);
/* st: dredfx_rdovae_dec_get_size() bytes, aligned for a pointer. DREDFX_ERR_WEIGHTS_MISSING /
 * _SHAPE when the blob lacks a decoder layer or has a wrong one. */
DREDFX_EXPORT int dredfx_rdovae_dec_init(dredfx_rdovae_dec *st, const dredfx_weight_array *arrays, int n);
/* state_q16[50], latents_q16[nb_latents * 26], nb_latents in 0..26 (newest first);
 * features_q16[nb_latents * 4 * 20]. Returns the number of frames written (4 * nb_latents). */
DREDFX_EXPORT int dredfx_rdovae_decode_all(const dredfx_rdovae_dec *st, const int32_t *state_q16,
                                           const int32_t *latents_q16, int nb_latents, int32_t *features_q16);
/* Dequantizes a parsed payload and decodes its p->nb_latents latents (same result). */
DREDFX_EXPORT int dredfx_rdovae_decode_payload(const dredfx_rdovae_dec *st, const dredfx_dred_payload *p,
                                               const dredfx_dred_stats *stats, int32_t *features_q16);

/* ---------------------------------------------------------------- FARGAN vocoder (fargan/)
 * libopus 1.6.1's FARGAN (dnn/fargan.c) in fixed point: 20 features per 10 ms frame (Q16, as the
 * RDO-VAE decoder gives them) -> 160 samples of 16 kHz speech. The state holds the model (layers
 * pointing into the caller's weights blob, which must outlive it), the kernel table of the CPU
 * level in use at init and the signal state; it is written by every call (one thread at a time).
 * Formats and bounds: docs/fixed-point.md, "FARGAN signal formats". */
#define DREDFX_FARGAN_FRAME_SIZE 160
#define DREDFX_FARGAN_CONT_SAMPLES 320
#define DREDFX_FARGAN_CONT_FRAMES 5
typedef struct dredfx_fargan dredfx_fargan;

DREDFX_EXPORT size_t dredfx_fargan_get_size(void);
/* st: dredfx_fargan_get_size() bytes, aligned for a pointer. DREDFX_ERR_WEIGHTS_MISSING / _SHAPE
 * when the blob lacks a FARGAN layer or has a wrong one. */
DREDFX_EXPORT int dredfx_fargan_init(dredfx_fargan *st, const dredfx_weight_array *arrays, int n);
/* fargan_cont: pcm[320] (the past output, int16), features_q16[5 * 20] (5 frames, oldest first).
 * Feature 18 is clamped to [-16, 16] and the period it gives to >= 1 (libopus: undefined for a
 * period of 0); every other feature is used as given (the 32-bit input layer takes any int32). */
DREDFX_EXPORT int dredfx_fargan_cont(dredfx_fargan *st, const int16_t *pcm, const int32_t *features_q16);
/* One frame after dredfx_fargan_cont (DREDFX_ERR_BAD_ARG before it): out_q28[160], the
 * de-emphasised output in Q28 (+-1.0 is full scale). */
DREDFX_EXPORT int dredfx_fargan_synthesize_q28(dredfx_fargan *st, int32_t *out_q28, const int32_t *features_q16);
/* The same as int16, libopus' fargan_synthesize_int rounding: floor(0.5 + clamp(32768 y, +-32767)). */
DREDFX_EXPORT int dredfx_fargan_synthesize_int16(dredfx_fargan *st, int16_t *out, const int32_t *features_q16);

/* ---------------------------------------------------------------- feature analysis (analysis/)
 * libopus 1.6.1's DRED feature analysis in fixed point (lpcnet_compute_single_frame_features,
 * pitchdnn.c, dred_convert_to_16k): mono int16 speech -> 20 features per 10 ms (18 cepstral
 * coefficients, the pitch f18 with period 256 / 2^(f18 + 1.5), the voicing f19), int32 Q16, the
 * input of dredfx_dred_enc_packet. The state holds the pitch DNN (pointing into the caller's weights
 * blob, which must outlive it), the kernel table of the CPU level in use at init (every level
 * gives the same integers) and the signal memories. Formats and error bounds: docs/fixed-point.md 8. */
#define DREDFX_ANALYSIS_FRAME 160        /* 16 kHz samples per feature frame (10 ms) */
#define DREDFX_ANALYSIS_NB_FEATURES 20
#define DREDFX_ANALYSIS_DRED_DELAY16K 11 /* libopus' DRED_SILK_ENCODER_DELAY */
typedef struct dredfx_analysis dredfx_analysis;

DREDFX_EXPORT size_t dredfx_analysis_get_size(void);
/* st: dredfx_analysis_get_size() bytes, aligned for a pointer. Loads the pitch DNN from a parsed
 * weights blob (DREDFX_ERR_WEIGHTS_MISSING / _SHAPE), clears the state, 16 kHz input. */
DREDFX_EXPORT int dredfx_analysis_init(dredfx_analysis *st, const dredfx_weight_array *arrays, int n);
/* Sets the input rate (8000, 12000, 16000, 24000 or 48000; DREDFX_ERR_BAD_ARG otherwise) and
 * clears every signal memory (the model stays). */
DREDFX_EXPORT int dredfx_analysis_set_rate(dredfx_analysis *st, int sampling_rate);
/* Inserts n zero 16 kHz samples before the next input (n + the samples waiting for a frame must
 * stay below 160, else DREDFX_ERR_BAD_ARG). libopus' DRED encoder starts its 16 kHz buffer with
 * DREDFX_ANALYSIS_DRED_DELAY16K zeros: call this after set_rate to frame the features as it does
 * (no input-rate padding reproduces that delay at 8, 12 and 24 kHz). */
DREDFX_EXPORT int dredfx_analysis_delay16k(dredfx_analysis *st, int n);
/* Feeds n mono int16 samples at the input rate; writes one row of 20 features (Q16) per completed
 * 160-sample 16 kHz frame, at most max_frames rows (a call that would complete more returns
 * DREDFX_ERR_BUFFER_TOO_SMALL and consumes nothing). Returns the number of rows written. At 16 kHz
 * without delay the frames are libopus fargan_demo -features' frames; at other rates, the samples
 * libopus' DRED encoder converts to 16 kHz. */
DREDFX_EXPORT int dredfx_analysis_process(dredfx_analysis *st, const int16_t *pcm, int n,
                                          int32_t *features_q16, int max_frames);
/* The number of rows dredfx_analysis_process would write for n more samples (or an error). */
DREDFX_EXPORT int dredfx_analysis_frames_for(const dredfx_analysis *st, int n);

/* ---------------------------------------------------------------- neural PLC (plc/)
 * libopus 1.6.1's LPCNet PLC (dnn/lpcnet_plc.c: lpcnet_plc_*) in fixed point: the history of good
 * 16 kHz audio, the Burg cepstral analysis and the feature analysis of it, the PLC predictor, the
 * FEC queue that DRED features feed, and FARGAN for the concealed audio; same state machine and
 * queue limits as libopus. The state holds the models (layers pointing into the caller's weights
 * blob, which must outlive it); one thread at a time. Formats: docs/fixed-point.md, "PLC". */
#define DREDFX_PLC_FRAME_SIZE 160 /* 16 kHz samples a call */
#define DREDFX_PLC_MAX_FEC_FRAMES 104
typedef struct dredfx_plc dredfx_plc;

DREDFX_EXPORT size_t dredfx_plc_get_size(void);
/* st: dredfx_plc_get_size() bytes, aligned for a pointer. Loads the PLC predictor, FARGAN and the
 * pitch DNN of the analysis from a parsed weights blob and resets the state. A blob without them
 * (or arrays NULL) gives DREDFX_ERR_WEIGHTS_MISSING / _SHAPE (DREDFX_ERR_BAD_ARG for st NULL);
 * the state is then reset with loaded = 0 (conceal refuses, update and the queue work). */
DREDFX_EXPORT int dredfx_plc_init(dredfx_plc *st, const dredfx_weight_array *arrays, int n);
/* lpcnet_plc_reset: clears the history, the queue and the predictor's state (models stay). */
DREDFX_EXPORT void dredfx_plc_reset(dredfx_plc *st);
/* lpcnet_plc_update: one good frame, pcm[160] at 16 kHz. */
DREDFX_EXPORT int dredfx_plc_update(dredfx_plc *st, const int16_t *pcm);
/* lpcnet_plc_conceal: one concealed frame, pcm[160] out (from the FEC queue when it holds a
 * frame, else predicted). DREDFX_ERR_BAD_ARG when the models are not loaded. */
DREDFX_EXPORT int dredfx_plc_conceal(dredfx_plc *st, int16_t *pcm);
/* lpcnet_plc_fec_clear: empties the FEC queue. */
DREDFX_EXPORT void dredfx_plc_fec_clear(dredfx_plc *st);
/* lpcnet_plc_fec_add: queues one frame of 20 features (Q16, as dredfx_rdovae_decode_all gives
 * them; each clamped to +-256.0), or NULL: a "skip" entry (the next conceal predicts instead of
 * reading the queue). DREDFX_ERR_BUFFER_TOO_SMALL when the queue already holds
 * DREDFX_PLC_MAX_FEC_FRAMES frames (libopus asserts). */
DREDFX_EXPORT int dredfx_plc_fec_add(dredfx_plc *st, const int32_t *features_q16);

#ifdef __cplusplus
}
#endif
#endif
