/* dredfx-opus shim for libopus' dnn/dred_decoder.h. OpusDRED holds the dequantized state and
 * latents and the decoded features as int32 Q16 (value x 65536), the formats of dredfx's
 * decoder, where libopus holds floats: src/opus_decoder.c only moves these pointers between the
 * shim's functions, so no float crosses on the receiving side. */
#ifndef DRED_DECODER_H
#define DRED_DECODER_H

#include "opus.h"
#include "dred_config.h"
#include "dred_rdovae.h"
#include "dred_rdovae_constants.h"

struct OpusDRED {
  opus_int32 fec_features[2 * DRED_NUM_REDUNDANCY_FRAMES * DRED_NUM_FEATURES];
  opus_int32 state[DRED_STATE_DIM];
  opus_int32 latents[(DRED_NUM_REDUNDANCY_FRAMES / 2) * (DRED_LATENT_DIM + 1)];
  int nb_latents;
  int process_stage;
  int dred_offset;
};

/* dredfx_dred_decode + dredfx_dred_dequantize with the process' quantizer tables; 0 latents
 * (process_stage 1) when there are no weights (opus_dred_parse checks them first). */
int dred_ec_decode(OpusDRED *dec, const opus_uint8 *bytes, int num_bytes, int min_feature_frames,
                   int dred_frame_offset);

#endif
