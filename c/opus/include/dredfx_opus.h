/* dredfx-opus: libopus 1.6.1 (opus.h, unchanged API) with DRED, deep PLC and FARGAN running on
 * dredfx's fixed-point models. This header adds the one thing libopus' API lacks here: the
 * weights. libopus compiles its model data in; dredfx-opus loads dredfx's weight blob (made by
 * `python -m dredfx weights import`) once per process, when the first encoder or decoder is
 * initialised: the file $DREDFX_WEIGHTS, else dredfx-weights-libopus-1.6.1.bin in the weights
 * folder of the dredfx cache ($DREDFX_CACHE, else $XDG_CACHE_HOME/dredfx, else
 * ~/.cache/dredfx). Without usable weights the codec works without its neural parts, as
 * libopus does without model data: deep PLC falls back to the classic PLC, the encoder sends no
 * DRED, opus_dred_decoder_create fails and opus_dred_parse returns OPUS_UNIMPLEMENTED.
 * OPUS_SET_DNN_BLOB is not available (as in libopus builds without USE_WEIGHTS_FILE). */
#ifndef DREDFX_OPUS_H
#define DREDFX_OPUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Uses the blob (copied) for every encoder and decoder initialised afterwards; thread-safe.
 * States initialised before keep the weights they loaded (those stay in memory). Returns 0, or
 * the negative dredfx_error of a blob that does not parse or lacks a model (then nothing
 * changes). */
int dredfx_opus_set_weights(const unsigned char *blob, size_t len);

/* 0 when the process has weights (loading the default ones first if nothing was loaded yet), else
 * the negative dredfx_error of the default load (DREDFX_ERR_WEIGHTS_MISSING: no such file). */
int dredfx_opus_weights_status(void);

#ifdef __cplusplus
}
#endif
#endif
