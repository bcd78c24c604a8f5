/* dredfx-opus: libopus 1.6.1's internal neural interface (the functions and states of dnn/ that
 * src/, celt/ and silk/ use) implemented on dredfx's fixed-point models:
 *   deep PLC and FARGAN   lpcnet_plc_*                       -> dredfx_plc_*
 *   DRED decoder          dred_ec_decode, DRED_rdovae_decode_all -> dredfx_dred_decode,
 *                         dredfx_dred_dequantize, dredfx_rdovae_decode_all
 *   DRED encoder          dred_encoder_*, dred_compute_latents, dred_encode_silk_frame
 *                         -> dredfx_analysis, dredfx_rdovae_enc, dredfx_dred_quantize/_encode
 * and the process' weights (dredfx_opus.h). Everything after the encoder's input conversion
 * (dred_compute_latents, stated there) is integer. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dredfx.h"
#include "dredfx_opus.h"
#include "dred_coding.h"
#include "dred_decoder.h"
#include "dred_encoder.h"
#include "dred_rdovae_dec.h"
#include "arch.h"
#include "float_cast.h"
#include "lpcnet.h"

/* The imported libopus 1.6.1 blob has 673 arrays. */
#define WEIGHTS_MAX_ARRAYS 1024
#define WEIGHTS_FILE "dredfx-weights-libopus-1.6.1.bin"
/* 60 ms at 48 kHz: the longest frame opus_encode_frame_native hands to the DRED encoder. */
#define DRED_MAX_INPUT 2880
#define DRED_MAX_INPUT_FRAMES 8

struct dredfx_opus_weights {
  unsigned char *blob; /* 64-byte aligned copy; never freed (states point into it) */
  int n;
  dredfx_weight_array arrays[WEIGHTS_MAX_ARRAYS];
  dredfx_dred_stats stats;
  dredfx_rdovae_dec *rdovae_dec; /* read-only after init: shared by every DRED decoder */
};

static pthread_mutex_t weights_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct dredfx_opus_weights *weights_current;
static int weights_tried, weights_status;

static void weights_free(struct dredfx_opus_weights *w) {
  free(w->rdovae_dec);
  free(w->blob);
  free(w);
}

/* Copies and checks a blob: it must hold every model dredfx-opus uses (the PLC, FARGAN, pitch
 * DNN and RDO-VAE encoder are checked by their inits; the decoder side here). */
static int weights_load(const unsigned char *data, size_t len, struct dredfx_opus_weights **out) {
  struct dredfx_opus_weights *w;
  size_t dec_size = (dredfx_rdovae_dec_get_size() + 63) / 64 * 64;
  int rc;
  *out = NULL;
  if (data == NULL || len == 0) return DREDFX_ERR_BAD_ARG;
  w = calloc(1, sizeof(*w));
  if (w == NULL) return DREDFX_ERR_INTERNAL;
  w->blob = aligned_alloc(64, (len + 63) / 64 * 64);
  w->rdovae_dec = aligned_alloc(64, dec_size);
  if (w->blob == NULL || w->rdovae_dec == NULL) {
    weights_free(w);
    return DREDFX_ERR_INTERNAL;
  }
  memcpy(w->blob, data, len);
  if ((rc = dredfx_weights_parse(w->blob, len, w->arrays, WEIGHTS_MAX_ARRAYS)) < 0) {
    weights_free(w);
    return rc;
  }
  w->n = rc;
  if ((rc = dredfx_dred_stats_init(&w->stats, w->arrays, w->n)) < 0 ||
      (rc = dredfx_rdovae_dec_init(w->rdovae_dec, w->arrays, w->n)) < 0) {
    weights_free(w);
    return rc;
  }
  *out = w;
  return DREDFX_OK;
}

/* $DREDFX_WEIGHTS, else the blob in the cache folder (dredfx/opus_source.py's rules). */
static int weights_default_path(char *path, size_t size) {
  const char *env = getenv("DREDFX_WEIGHTS"), *dir;
  int n;
  if (env != NULL && env[0])
    n = snprintf(path, size, "%s", env);
  else if ((dir = getenv("DREDFX_CACHE")) != NULL && dir[0])
    n = snprintf(path, size, "%s/weights/" WEIGHTS_FILE, dir);
  else if ((dir = getenv("XDG_CACHE_HOME")) != NULL && dir[0])
    n = snprintf(path, size, "%s/dredfx/weights/" WEIGHTS_FILE, dir);
  else if ((dir = getenv("HOME")) != NULL && dir[0])
    n = snprintf(path, size, "%s/.cache/dredfx/weights/" WEIGHTS_FILE, dir);
  else
    return DREDFX_ERR_WEIGHTS_MISSING;
  return n > 0 && (size_t)n < size ? DREDFX_OK : DREDFX_ERR_WEIGHTS_MISSING;
}

static int weights_load_default(struct dredfx_opus_weights **out) {
  char path[4096];
  unsigned char *data = NULL;
  long len;
  int rc;
  FILE *f;
  *out = NULL;
  if ((rc = weights_default_path(path, sizeof(path))) < 0) return rc;
  if ((f = fopen(path, "rb")) == NULL) return DREDFX_ERR_WEIGHTS_MISSING;
  if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (data = malloc((size_t)len)) != NULL && fread(data, 1, (size_t)len, f) == (size_t)len)
    rc = weights_load(data, (size_t)len, out);
  else
    rc = DREDFX_ERR_WEIGHTS_TRUNCATED;
  fclose(f);
  free(data);
  return rc;
}

/* The weights new states load (the default blob on first use), or NULL. */
static const struct dredfx_opus_weights *process_weights(void) {
  const struct dredfx_opus_weights *w;
  pthread_mutex_lock(&weights_lock);
  if (!weights_tried) {
    struct dredfx_opus_weights *loaded;
    weights_status = weights_load_default(&loaded);
    weights_current = loaded;
    weights_tried = 1;
  }
  w = weights_current;
  pthread_mutex_unlock(&weights_lock);
  return w;
}

int dredfx_opus_set_weights(const unsigned char *blob, size_t len) {
  struct dredfx_opus_weights *w;
  int rc = weights_load(blob, len, &w);
  if (rc < 0) return rc;
  pthread_mutex_lock(&weights_lock);
  weights_current = w; /* the previous weights stay: states loaded from them point into them */
  weights_status = DREDFX_OK;
  weights_tried = 1;
  pthread_mutex_unlock(&weights_lock);
  return DREDFX_OK;
}

int dredfx_opus_weights_status(void) {
  int rc;
  process_weights();
  pthread_mutex_lock(&weights_lock);
  rc = weights_status;
  pthread_mutex_unlock(&weights_lock);
  return rc;
}

/* ---------------------------------------------------------------- deep PLC (lpcnet.h)
 * Without weights dredfx_plc_init leaves the state reset with loaded = 0: the codec then never
 * conceals with it (it checks loaded), and updates and the FEC queue still work. */
int lpcnet_plc_init(LPCNetPLCState *st) {
  const struct dredfx_opus_weights *w = process_weights();
  dredfx_plc_init(st, w != NULL ? w->arrays : NULL, w != NULL ? w->n : 0);
  return 0;
}

void lpcnet_plc_reset(LPCNetPLCState *st) {
  dredfx_plc_reset(st);
}

int lpcnet_plc_update(LPCNetPLCState *st, opus_int16 *pcm) {
  return dredfx_plc_update(st, pcm);
}

int lpcnet_plc_conceal(LPCNetPLCState *st, opus_int16 *pcm) {
  return dredfx_plc_conceal(st, pcm);
}

/* opus_decoder.c adds at most 2 + frame_size / 10 ms frames after a clear, below the queue's 104
 * for its 120 ms frames; a full queue (libopus asserts) drops the frame. */
void lpcnet_plc_fec_add(LPCNetPLCState *st, const opus_int32 *features_q16) {
  dredfx_plc_fec_add(st, features_q16);
}

void lpcnet_plc_fec_clear(LPCNetPLCState *st) {
  dredfx_plc_fec_clear(st);
}

/* ---------------------------------------------------------------- DRED decoder */
int compute_quantizer(int q0, int dQ, int qmax, int i) {
  return dredfx_dred_level(q0, dQ, qmax, i);
}

/* Loading a blob through libopus' OPUS_SET_DNN_BLOB path is not available: dredfx_opus_set_weights
 * is the one way to change the weights, so a list never parses. */
int parse_weights(WeightArray **list, const void *data, int len) {
  (void)data;
  (void)len;
  *list = NULL;
  return -1;
}

int init_rdovaedec(RDOVAEDec *model, const WeightArray *arrays) {
  model->weights = arrays == rdovaedec_arrays ? process_weights() : NULL;
  return model->weights != NULL ? 0 : -1;
}

int dred_ec_decode(OpusDRED *dec, const opus_uint8 *bytes, int num_bytes, int min_feature_frames,
                   int dred_frame_offset) {
  const struct dredfx_opus_weights *w = process_weights();
  dredfx_dred_payload p;
  dec->process_stage = 1;
  dec->nb_latents = 0;
  dec->dred_offset = 0;
  if (w == NULL || dredfx_dred_decode(bytes, num_bytes, min_feature_frames, dred_frame_offset,
                                      &w->stats, &p) < 0)
    return 0;
  if (dredfx_dred_dequantize(&p, &w->stats, dec->state, dec->latents) < 0) return 0;
  dec->dred_offset = p.dred_offset;
  dec->nb_latents = p.nb_latents;
  return p.nb_latents;
}

void DRED_rdovae_decode_all(const RDOVAEDec *model, opus_int32 *features_q16, const opus_int32 *state_q16,
                            const opus_int32 *latents_q16, int nb_latents, int arch) {
  (void)arch;
  dredfx_rdovae_decode_all(model->weights->rdovae_dec, state_q16, latents_q16, nb_latents, features_q16);
}

/* ---------------------------------------------------------------- DRED encoder */
void dred_encoder_init(DREDEnc *enc, opus_int32 Fs, int channels) {
  const struct dredfx_opus_weights *w = process_weights();
  enc->weights = w;
  enc->Fs = Fs;
  enc->channels = channels;
  enc->loaded = w != NULL && dredfx_analysis_init(&enc->analysis, w->arrays, w->n) == DREDFX_OK &&
                dredfx_analysis_set_rate(&enc->analysis, Fs) == DREDFX_OK &&
                dredfx_rdovae_enc_init(&enc->rdovae, w->arrays, w->n) == DREDFX_OK;
  dred_encoder_reset(enc);
}

void dred_encoder_reset(DREDEnc *enc) {
  memset(&enc->DREDENC_RESET_START, 0,
         sizeof(DREDEnc) - ((char *)&enc->DREDENC_RESET_START - (char *)enc));
  /* libopus starts its 16 kHz buffer with DRED_SILK_ENCODER_DELAY zeros. */
  enc->input_buffer_fill = DRED_SILK_ENCODER_DELAY;
  if (!enc->loaded) return;
  dredfx_analysis_set_rate(&enc->analysis, enc->Fs);
  dredfx_analysis_delay16k(&enc->analysis, DRED_SILK_ENCODER_DELAY);
  dredfx_rdovae_enc_reset(&enc->rdovae);
}

static int floor_div(int a, int b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The one float crossing of dredfx-opus: the encoder's float input (+-1.0 full scale) becomes
 * int16 as libopus' dred_convert_to_16k converts it, FLOAT2INT16 (x 32768, saturated, rounded
 * half to even), of the sample (mono) or of .5 (L + R) (stereo). libopus scales by its up-sampling
 * factor first (2 at 8 and 24 kHz, 4 at 12 kHz); dredfx multiplies the int16 by it, the same
 * integers when that product needs no rounding. Exact at 16 and 48 kHz, where the factor is 1. */
void dred_compute_latents(DREDEnc *enc, const float *pcm, int frame_size, int extra_delay, int arch) {
  opus_int16 in[DRED_MAX_INPUT];
  opus_int32 features[DRED_MAX_INPUT_FRAMES * DRED_NUM_FEATURES];
  int i, nb_frames;
  (void)arch;
  if (!enc->loaded || frame_size > DRED_MAX_INPUT) return;
  enc->dred_offset = floor_div(40 + extra_delay * 16000 / enc->Fs - enc->input_buffer_fill + 20, 40);
  enc->latent_offset = 0;
  for (i = 0; i < frame_size; i++)
    in[i] = enc->channels == 1 ? FLOAT2INT16(pcm[i]) : FLOAT2INT16(.5f * (pcm[2 * i] + pcm[2 * i + 1]));
  nb_frames = dredfx_analysis_process(&enc->analysis, in, frame_size, features, DRED_MAX_INPUT_FRAMES);
  enc->input_buffer_fill += frame_size * 16000 / enc->Fs;
  enc->history.fill = enc->latents_buffer_fill;
  for (i = 0; i < nb_frames; i++)
    if (dredfx_dred_history_feed(&enc->history, &enc->rdovae, features + i * DRED_NUM_FEATURES, &enc->dred_offset,
                                 &enc->latent_offset))
      enc->input_buffer_fill -= 2 * DRED_FRAME_SIZE;
  enc->latents_buffer_fill = enc->history.fill;
}

/* libopus' activity_mem has 4 DRED_MAX_FRAMES entries, the history's rule reads as many. */
typedef char dredfx_opus_activity_len_check[4 * DRED_MAX_FRAMES == DREDFX_DRED_ACTIVITY_LEN ? 1 : -1];

int dred_encode_silk_frame(DREDEnc *enc, unsigned char *buf, int max_chunks, int max_bytes, int q0,
                           int dQ, int qmax, unsigned char *activity_mem, int arch) {
  dredfx_dred_payload p;
  int bytes;
  (void)arch;
  memset(&p, 0, sizeof(p));
  enc->history.fill = enc->latents_buffer_fill;
  /* Not inside IMAX, which would evaluate it twice. */
  bytes = dredfx_dred_history_payload(&enc->history, activity_mem, enc->dred_offset, enc->latent_offset, max_chunks,
                                      q0, dQ, qmax, &enc->weights->stats, max_bytes, buf, &p);
  return IMAX(0, bytes);
}
