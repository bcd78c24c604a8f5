/* dredfx-opus shim for libopus' dnn/dred_rdovae_dec.h. */
#ifndef DRED_RDOVAE_DEC_H
#define DRED_RDOVAE_DEC_H

#include "dred_rdovae.h"
#include "dred_rdovae_dec_data.h"
#include "dred_decoder.h"

/* dredfx_rdovae_decode_all: Q16 state and latents (stride DRED_LATENT_DIM + 1) -> Q16 features. */
void DRED_rdovae_decode_all(const RDOVAEDec *model, opus_int32 *features_q16, const opus_int32 *state_q16,
                            const opus_int32 *latents_q16, int nb_latents, int arch);

#endif
