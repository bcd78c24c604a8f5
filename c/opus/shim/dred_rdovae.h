/* dredfx-opus shim for libopus' dnn/dred_rdovae.h. */
#ifndef DRED_RDOVAE_H
#define DRED_RDOVAE_H

#include "opus_types.h"

typedef struct RDOVAEDec RDOVAEDec;

#endif
