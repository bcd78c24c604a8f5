/* dredfx-opus shim for libopus' dnn/dred_rdovae_constants.h (the dimensions the codec uses). */
#ifndef DRED_RDOVAE_CONSTANTS_H
#define DRED_RDOVAE_CONSTANTS_H

#define DRED_NUM_FEATURES 20
#define DRED_LATENT_DIM 25
#define DRED_STATE_DIM 50
#define DRED_NUM_QUANTIZATION_LEVELS 16

#endif
