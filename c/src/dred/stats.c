/* The DRED quantizer statistics (libopus dnn/dred_rdovae_stats_data.c) from the weights blob. */
#include "common/common.h"
#include "weights/weights.h"

int dredfx_dred_stats_init(dredfx_dred_stats *stats, const dredfx_weight_array *arrays, int n) {
  if (!stats || !arrays || n < 0) return DREDFX_ERR_BAD_ARG;
  const uint32_t nl = DREDFX_DRED_NUM_LEVELS * DREDFX_DRED_LATENT_DIM;
  const uint32_t ns = DREDFX_DRED_NUM_LEVELS * DREDFX_DRED_STATE_DIM;
  const struct { const char *name; uint32_t count; const uint8_t **dst; } t[] = {
    {"dred_latent_quant_scales_q8", nl, &stats->latent_scale_q8},
    {"dred_latent_dead_zone_q8", nl, &stats->latent_dead_zone_q8},
    {"dred_latent_r_q8", nl, &stats->latent_r_q8},
    {"dred_latent_p0_q8", nl, &stats->latent_p0_q8},
    {"dred_state_quant_scales_q8", ns, &stats->state_scale_q8},
    {"dred_state_dead_zone_q8", ns, &stats->state_dead_zone_q8},
    {"dred_state_r_q8", ns, &stats->state_r_q8},
    {"dred_state_p0_q8", ns, &stats->state_p0_q8},
  };
  for (size_t i = 0; i < DREDFX_ARRAY_LEN(t); i++) {
    const void *data;
    int rc = dredfx_weights_get(arrays, n, t[i].name, DREDFX_WT_U8, t[i].count, &data);
    if (rc < 0) return rc;
    *t[i].dst = data;
  }
  return DREDFX_OK;
}
