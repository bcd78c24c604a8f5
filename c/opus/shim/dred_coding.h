/* dredfx-opus shim for libopus' dnn/dred_coding.h. */
#ifndef DRED_CODING_H
#define DRED_CODING_H

#include "opus_types.h"

/* dredfx_dred_level */
int compute_quantizer(int q0, int dQ, int qmax, int i);

#endif
