/* dredfx-opus shim for libopus' dnn/dred_rdovae_dec_data.h: the RDO-VAE decoder model an
 * OpusDREDDecoder holds is a reference to the process' dredfx weights (dredfx_opus.h), shared
 * read-only by every decoder that loaded them. */
#ifndef DRED_RDOVAE_DEC_DATA_H
#define DRED_RDOVAE_DEC_DATA_H

#include "dred_rdovae.h"

struct dredfx_opus_weights;
struct RDOVAEDec {
  const struct dredfx_opus_weights *weights;
};

/* libopus' parsed weight list: here a dredfx weight blob (OPUS_SET_DNN_BLOB data). */
typedef struct WeightArray {
  const unsigned char *blob;
  int len;
} WeightArray;

/* libopus' compiled-in arrays: NULL here, meaning the process' weights. */
#define rdovaedec_arrays ((const WeightArray *)0)

/* 0 when the model loaded from arrays (NULL: the process' weights), else -1. */
int init_rdovaedec(RDOVAEDec *model, const WeightArray *arrays);
/* *list = the blob (freed by the caller with opus_free); returns 0, or -1 with *list = NULL. */
int parse_weights(WeightArray **list, const void *data, int len);

#endif
