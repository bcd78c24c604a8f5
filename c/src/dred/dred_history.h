/* The DRED encoder's latent history and its payload rule (libopus 1.6.1 dnn/dred_encoder.c:
 * dred_compute_latents' 20 ms steps and offsets, dred_encode_silk_frame), shared by
 * dredfx_dred_enc and dredfx-opus' DREDEnc (c/opus/shim), which differ only in who keeps the
 * voice activity and the byte budget. */
#ifndef DREDFX_DRED_HISTORY_H
#define DREDFX_DRED_HISTORY_H

#include <stdint.h>

#include "dredfx.h"
#include "rdovae/rdovae_enc.h"

#define DREDFX_DRED_HISTORY_SLOTS 52 /* 20 ms latent slots kept (DRED_NUM_REDUNDANCY_FRAMES) */
#define DREDFX_DRED_ACTIVITY_LEN (4 * DREDFX_DRED_MAX_FRAMES) /* 2.5 ms entries, newest first */

typedef struct {
  int pending; /* 10 ms feature frames waiting for their 20 ms step (0 or 1) */
  int32_t pending_q16[DREDFX_DRED_NUM_FEATURES];
  int fill;    /* latents_buffer_fill */
  int head;    /* ring slot of the newest latent */
  int last_extra_dred_offset;
  int32_t latent_q16[DREDFX_DRED_HISTORY_SLOTS][DREDFX_DRED_LATENT_DIM];
  int32_t state_q16[DREDFX_DRED_HISTORY_SLOTS][DREDFX_DRED_STATE_DIM];
} dredfx_dred_history;

void dredfx_dred_history_reset(dredfx_dred_history *h);

/* One 10 ms feature frame; every second one runs an RDO-VAE step and moves the offsets as
 * dred_compute_latents does (*dred_offset in 2.5 ms units, *latent_offset in slots). Returns 1
 * after a step, else 0. */
int dredfx_dred_history_feed(dredfx_dred_history *h, dredfx_rdovae_enc *net, const int32_t *frame_q16,
                             int *dred_offset, int *latent_offset);

/* dred_encode_silk_frame: quantizes the state and up to max_chunks chunks from latent_offset on
 * (after skipping silence; activity: DREDFX_DRED_ACTIVITY_LEN entries) and range-codes the largest
 * kept prefix that fits max_bytes into out. Returns the bytes, 0 for no DRED, or a negative
 * dredfx error of dredfx_dred_encode other than DREDFX_ERR_BUFFER_TOO_SMALL. */
int dredfx_dred_history_payload(dredfx_dred_history *h, const uint8_t *activity, int dred_offset,
                                int latent_offset, int max_chunks, int q0, int dq, int qmax,
                                const dredfx_dred_stats *stats, int max_bytes, unsigned char *out,
                                dredfx_dred_payload *p);

#endif
