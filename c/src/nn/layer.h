/* Engine layers (nn.h dredfx_nn_linear) from a parsed weights blob. */
#ifndef DREDFX_NN_LAYER_H
#define DREDFX_NN_LAYER_H

#include "dredfx.h"
#include "nn/nn.h"

/* Loads layer `name` of nb_inputs x nb_outputs from the records dredfx's importer writes
 * (dredfx/weights.py, docs/fixed-point.md):
 *   int8 layer: <name>_weights_int8 (libopus' 8x4 blocks), <name>_weights_idx if sparse,
 *               <name>.mult, <name>.shift;
 *   wide layer: <name>.w32, <name>.wexp32 (every float-weight dense layer), else <name>.w16,
 *               <name>.wexp (the pitch DNN's conv2d layers);
 *   both:       <name>.bias if the layer has one.
 * `wide` says which kind the caller expects (a model knows its layers). Every bound the engine
 * trusts is checked here, once: sizes, the sparse index, shift in [1, 62], wexp in [0, 40], wexp32 in
 * [0, 62], no w16 of -32768, no w32 of -2^31. *l is cleared first, so fields this loader does not know stay zero.
 * DREDFX_ERR_WEIGHTS_MISSING / _SHAPE on a bad blob, DREDFX_ERR_BAD_ARG on bad arguments. */
int dredfx_nn_linear_init(dredfx_nn_linear *l, const dredfx_weight_array *arrays, int n,
                          const char *name, int nb_inputs, int nb_outputs, int wide);

/* The load-time preparations of an int8 layer (kernels.h), in the caller's storage: the offset
 * kernels' row sums wsum[ROUND_UP(nb_outputs, 8)] and the requantization constants
 * rq[DREDFX_NN_RQ_LEN(nb_outputs)], each set in *l only where its proof holds (the engine then
 * takes the faster path, with the same integers). A wide or bias-only layer is left as it is. */
void dredfx_nn_linear_prepare(dredfx_nn_linear *l, int32_t *wsum, int64_t *rq);

/* A model's storage for those constants, handed out in order: wsum holds the padded rows
 * (ROUND_UP(nb_outputs, 8)) of every int8 layer, rq DREDFX_NN_RQ_LEN(nb_outputs) per layer;
 * idx8 (may be NULL, idx8_left 0) the byte-form indices of the sparse layers that
 * dredfx_nn_sparse_idx8() accepts, as long as they fit. */
typedef struct {
  int32_t *wsum;
  int64_t *rq;
  int wsum_left, rq_left;
  uint8_t *idx8;
  int idx8_left;
} dredfx_nn_prep_pool;

/* dredfx_nn_linear_prepare on storage from the pool (a wide layer takes none), and a sparse
 * layer's byte-form index where dredfx_nn_sparse_idx8() accepts it and the rest of idx8 holds it
 * (else the layer keeps the 32-bit index alone: the same integers, a little slower on AVX-VNNI).
 * DREDFX_ERR_INTERNAL when wsum or rq is too small: a model sizes them from its constant layer list. */
int dredfx_nn_linear_prepare_from(dredfx_nn_linear *l, dredfx_nn_prep_pool *pool);

#endif
