/* dredfx-opus shim for libopus' dnn/dred_encoder.h: the DRED encoder state OpusEncoder embeds
 * runs dredfx's integer feature analysis and RDO-VAE encoder; src/opus_encoder.c reads its
 * fields loaded and latents_buffer_fill. */
#ifndef DRED_ENCODER_H
#define DRED_ENCODER_H

#include "opus_types.h"
#include "dred_config.h"
#include "dred_rdovae_constants.h"
#include "dredfx.h"
#include "analysis/analysis.h"
#include "dred/dred_history.h"
#include "rdovae/rdovae_enc.h"

struct dredfx_opus_weights;
typedef struct {
  const struct dredfx_opus_weights *weights;
  dredfx_analysis analysis;
  dredfx_rdovae_enc rdovae;
  int loaded;
  opus_int32 Fs;
  int channels;
#define DREDENC_RESET_START input_buffer_fill
  int input_buffer_fill;  /* 16 kHz samples waiting for the next 20 ms step (libopus' count) */
  int dred_offset;
  int latent_offset;
  /* src/opus_encoder.c zeroes it while DRED is off; the history's fill follows it. */
  int latents_buffer_fill;
  dredfx_dred_history history;
} DREDEnc;

void dred_encoder_init(DREDEnc *enc, opus_int32 Fs, int channels);
void dred_encoder_reset(DREDEnc *enc);
/* pcm: frame_size float samples (x channels) at Fs, +-1.0 full scale; extra_delay: the samples
 * of encoder look-ahead before them. */
void dred_compute_latents(DREDEnc *enc, const float *pcm, int frame_size, int extra_delay, int arch);
int dred_encode_silk_frame(DREDEnc *enc, unsigned char *buf, int max_chunks, int max_bytes, int q0,
                           int dQ, int qmax, unsigned char *activity_mem, int arch);

#endif
