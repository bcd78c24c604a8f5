/* The DRED encoder's latent history and payload rule: see dred_history.h. */
#include "dred/dred_history.h"

#include <string.h>

#include "common/common.h"

void dredfx_dred_history_reset(dredfx_dred_history *h) {
  memset(h, 0, sizeof(*h));
}

static int history_slot(const dredfx_dred_history *h, int k) {
  return (h->head + k) % DREDFX_DRED_HISTORY_SLOTS;
}

int dredfx_dred_history_feed(dredfx_dred_history *h, dredfx_rdovae_enc *net, const int32_t *frame_q16,
                             int *dred_offset, int *latent_offset) {
  int32_t two[2 * DREDFX_DRED_NUM_FEATURES];
  if (!h->pending) {
    memcpy(h->pending_q16, frame_q16, sizeof(h->pending_q16));
    h->pending = 1;
    return 0;
  }
  memcpy(two, h->pending_q16, sizeof(h->pending_q16));
  memcpy(two + DREDFX_DRED_NUM_FEATURES, frame_q16, sizeof(h->pending_q16));
  h->pending = 0;
  /* dred_process_frame: the newest latent and state go into slot 0. */
  h->head = (h->head + DREDFX_DRED_HISTORY_SLOTS - 1) % DREDFX_DRED_HISTORY_SLOTS;
  dredfx_rdovae_encode_dframe(net, two, h->latent_q16[h->head], h->state_q16[h->head]);
  h->fill = DREDFX_MIN(h->fill + 1, DREDFX_DRED_HISTORY_SLOTS);
  /* 15 ms (6 x 2.5 ms) is the ideal offset: the vocoder's look-ahead. */
  if (*dred_offset < 6)
    *dred_offset += 8;
  else
    (*latent_offset)++;
  return 1;
}

/* dred_voice_active: any of the 16 entries 8 offset .. 8 offset + 15 is 1. libopus reads up to
 * 8 bytes past its 416-entry array for offset 51 (other encoder fields); those count as
 * inactive here. */
static int history_voice_active(const uint8_t *activity, int offset) {
  for (int i = 0; i < 16; i++)
    if (8 * offset + i < DREDFX_DRED_ACTIVITY_LEN && activity[8 * offset + i] == 1) return 1;
  return 0;
}

int dredfx_dred_history_payload(dredfx_dred_history *h, const uint8_t *activity, int dred_offset,
                                int latent_offset, int max_chunks, int q0, int dq, int qmax,
                                const dredfx_dred_stats *stats, int max_bytes, unsigned char *out,
                                dredfx_dred_payload *p) {
  uint8_t keep[DREDFX_DRED_MAX_LATENTS];
  int extra = 0, delayed = 0, nb_chunks, prev_active = 0;
  /* Just out of silence the previous packet's skipped latents are sent now (not signalled). */
  if (activity[0] && h->last_extra_dred_offset > 0) {
    latent_offset = h->last_extra_dred_offset;
    delayed = 1;
    h->last_extra_dred_offset = 0;
  }
  while (latent_offset < h->fill && !history_voice_active(activity, latent_offset)) {
    latent_offset++;
    extra++;
  }
  if (!delayed) h->last_extra_dred_offset = extra;
  /* Nothing can be coded past the filled slots (libopus: no chunk, no DRED). */
  if (latent_offset >= h->fill) return 0;
  p->q0 = q0;
  p->dq = dq;
  p->qmax = qmax;
  p->dred_offset = dred_offset - 8 * extra;
  dredfx_dred_quantize(p->state, h->state_q16[history_slot(h, latent_offset)], DREDFX_DRED_STATE_DIM,
                       stats->state_scale_q8 + q0 * DREDFX_DRED_STATE_DIM,
                       stats->state_dead_zone_q8 + q0 * DREDFX_DRED_STATE_DIM,
                       stats->state_r_q8 + q0 * DREDFX_DRED_STATE_DIM,
                       stats->state_p0_q8 + q0 * DREDFX_DRED_STATE_DIM);
  /* Chunk c is the latent 2 c slots back; libopus' loop bound on i = 2 c. */
  nb_chunks = (DREDFX_MAX(0, DREDFX_MIN(2 * max_chunks, h->fill - latent_offset - 1)) + 1) / 2;
  for (int c = 0; c < nb_chunks; c++) {
    const int level = dredfx_dred_level(q0, dq, qmax, c);
    const int active = history_voice_active(activity, 2 * c + latent_offset);
    dredfx_dred_quantize(p->latents[c], h->latent_q16[history_slot(h, 2 * c + latent_offset)],
                         DREDFX_DRED_LATENT_DIM, stats->latent_scale_q8 + level * DREDFX_DRED_LATENT_DIM,
                         stats->latent_dead_zone_q8 + level * DREDFX_DRED_LATENT_DIM,
                         stats->latent_r_q8 + level * DREDFX_DRED_LATENT_DIM,
                         stats->latent_p0_q8 + level * DREDFX_DRED_LATENT_DIM);
    p->level[c] = (uint8_t)level;
    /* libopus keeps a coder checkpoint after an active chunk and after the one that follows. */
    keep[c] = (uint8_t)(active || prev_active);
    prev_active = active;
  }
  /* libopus stops at the first chunk past the budget and keeps the last checkpoint before it;
   * the coded size only grows with the chunk count, so that is the largest checkpoint that fits.
   * One kept chunk after skipped silence is not worth sending. */
  for (int c = nb_chunks - 1; c >= 0; c--) {
    int bytes;
    if (!keep[c]) continue;
    if (c == 0 && extra > 0) break;
    p->nb_latents = c + 1;
    bytes = dredfx_dred_encode(out, max_bytes, p, stats);
    if (bytes != DREDFX_ERR_BUFFER_TOO_SMALL) return bytes;
  }
  p->nb_latents = 0;
  return 0;
}
