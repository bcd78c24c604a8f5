/* Engine layers from a parsed weights blob (layer.h). */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "nn/kernels.h"
#include "nn/layer.h"
#include "weights/weights.h"

#define ROUND_UP(n, m) (((n) + (m) - 1) / (m) * (m))

/* The array `name` + `suffix` of that type and count; a sparse index has no fixed count, so
 * count 0 takes any count and returns it in *got. */
static int get_array(const dredfx_weight_array *arrays, int n, const char *name, const char *suffix,
                     int type, uint32_t count, const void **out, uint32_t *got) {
  char full[DREDFX_WEIGHTS_NAME_LEN];
  if (snprintf(full, sizeof(full), "%s%s", name, suffix) >= (int)sizeof(full))
    return DREDFX_ERR_BAD_ARG;
  if (count > 0) return dredfx_weights_get(arrays, n, full, type, count, out);
  for (int i = 0; i < n; i++) {
    if (strcmp(arrays[i].name, full) != 0) continue;
    if (arrays[i].type != type) return DREDFX_ERR_WEIGHTS_SHAPE;
    *out = arrays[i].data;
    *got = arrays[i].count;
    return DREDFX_OK;
  }
  return DREDFX_ERR_WEIGHTS_MISSING;
}

static int values_in(const int32_t *v, int count, int lo, int hi) {
  for (int i = 0; i < count; i++)
    if (v[i] < lo || v[i] > hi) return 0;
  return 1;
}

static int load_int8(dredfx_nn_linear *l, const dredfx_weight_array *arrays, int n, const char *name) {
  const int rows = ROUND_UP(l->nb_outputs, 8), cols = ROUND_UP(l->nb_inputs, 4);
  const void *w8, *idx, *mult, *shift;
  uint32_t w8_count, idx_count;
  int rc = get_array(arrays, n, name, "_weights_int8", DREDFX_WT_I8, 0, &w8, &w8_count);
  if (rc < 0) return rc;
  rc = get_array(arrays, n, name, "_weights_idx", DREDFX_WT_I32, 0, &idx, &idx_count);
  if (rc == DREDFX_ERR_WEIGHTS_MISSING) {
    idx = NULL;
    if (w8_count != (uint32_t)rows * (uint32_t)cols) return DREDFX_ERR_WEIGHTS_SHAPE;
  } else if (rc < 0) {
    return rc;
  } else if (dredfx_nn_sparse_check(idx, idx_count, w8_count, rows, cols) < 0) {
    return DREDFX_ERR_WEIGHTS_SHAPE;
  }
  if ((rc = get_array(arrays, n, name, ".mult", DREDFX_WT_I32, (uint32_t)l->nb_outputs, &mult, NULL)) < 0 ||
      (rc = get_array(arrays, n, name, ".shift", DREDFX_WT_I32, (uint32_t)l->nb_outputs, &shift, NULL)) < 0)
    return rc;
  if (!values_in(shift, l->nb_outputs, 1, 62)) return DREDFX_ERR_WEIGHTS_SHAPE;
  l->w8 = w8;
  l->idx = idx;
  l->mult = mult;
  l->shift = shift;
  return DREDFX_OK;
}

/* The 32-bit form (w32, wexp32) where the importer wrote it (every float-weight dense layer),
 * else the 16-bit form (w16, wexp: the pitch DNN's conv2d layers). */
static int load_wide(dredfx_nn_linear *l, const dredfx_weight_array *arrays, int n, const char *name) {
  const uint32_t count = (uint32_t)l->nb_inputs * (uint32_t)l->nb_outputs;
  const void *w, *wexp;
  int rc = get_array(arrays, n, name, ".w32", DREDFX_WT_I32, count, &w, NULL);
  if (rc == DREDFX_OK) {
    if ((rc = get_array(arrays, n, name, ".wexp32", DREDFX_WT_I32, (uint32_t)l->nb_outputs, &wexp, NULL)) < 0)
      return rc;
    if (!values_in(wexp, l->nb_outputs, 0, 62)) return DREDFX_ERR_WEIGHTS_SHAPE;
    for (uint32_t i = 0; i < count; i++)
      if (((const int32_t *)w)[i] == INT32_MIN) return DREDFX_ERR_WEIGHTS_SHAPE;
    l->w32 = w;
    l->wexp32 = wexp;
    return DREDFX_OK;
  }
  if (rc != DREDFX_ERR_WEIGHTS_MISSING) return rc;
  if ((rc = get_array(arrays, n, name, ".w16", DREDFX_WT_I16, count, &w, NULL)) < 0 ||
      (rc = get_array(arrays, n, name, ".wexp", DREDFX_WT_I32, (uint32_t)l->nb_outputs, &wexp, NULL)) < 0)
    return rc;
  if (!values_in(wexp, l->nb_outputs, 0, 40)) return DREDFX_ERR_WEIGHTS_SHAPE;
  for (uint32_t i = 0; i < count; i++)
    if (((const int16_t *)w)[i] == INT16_MIN) return DREDFX_ERR_WEIGHTS_SHAPE;
  l->w16 = w;
  l->wexp = wexp;
  return DREDFX_OK;
}

int dredfx_nn_linear_init(dredfx_nn_linear *l, const dredfx_weight_array *arrays, int n,
                          const char *name, int nb_inputs, int nb_outputs, int wide) {
  const void *bias;
  if (l == NULL || arrays == NULL || n < 0 || name == NULL || nb_inputs < 1 ||
      nb_inputs > DREDFX_NN_MAX_INPUTS || nb_outputs < 1 || nb_outputs > DREDFX_NN_MAX_OUTPUTS)
    return DREDFX_ERR_BAD_ARG;
  memset(l, 0, sizeof(*l));
  l->nb_inputs = nb_inputs;
  l->nb_outputs = nb_outputs;
  int rc = wide ? load_wide(l, arrays, n, name) : load_int8(l, arrays, n, name);
  if (rc < 0) return rc;
  rc = get_array(arrays, n, name, ".bias", DREDFX_WT_I32, (uint32_t)nb_outputs, &bias, NULL);
  if (rc == DREDFX_OK)
    l->bias = bias;
  else if (rc != DREDFX_ERR_WEIGHTS_MISSING)
    return rc;
  return DREDFX_OK;
}

void dredfx_nn_linear_prepare(dredfx_nn_linear *l, int32_t *wsum, int64_t *rq) {
  if (l->w8 == NULL) return;
  const int rows = ROUND_UP(l->nb_outputs, 8), cols = ROUND_UP(l->nb_inputs, 4);
  if (dredfx_nn_i8_row_sums(wsum, l->w8, l->idx, rows, cols)) l->wsum = wsum;
  const int form = dredfx_nn_requant_prep(rq, l->w8, l->idx, rows, cols, l->mult, l->shift, l->bias, l->nb_outputs);
  if (form) l->rq = rq;
  l->rq_hi = form == 2 && l->wsum != NULL;
}

int dredfx_nn_linear_prepare_from(dredfx_nn_linear *l, dredfx_nn_prep_pool *pool) {
  if (l->w8 == NULL) return DREDFX_OK;
  const int rows = ROUND_UP(l->nb_outputs, 8), rq_len = DREDFX_NN_RQ_LEN(l->nb_outputs);
  if (rows > pool->wsum_left || rq_len > pool->rq_left) return DREDFX_ERR_INTERNAL;
  dredfx_nn_linear_prepare(l, pool->wsum, pool->rq);
  pool->wsum += rows;
  pool->wsum_left -= rows;
  pool->rq += rq_len;
  pool->rq_left -= rq_len;
  if (l->idx != NULL && pool->idx8 != NULL) {
    const int len = dredfx_nn_sparse_idx8(pool->idx8, pool->idx8_left, l->idx, rows);
    if (len > 0) {
      l->idx8 = pool->idx8;
      pool->idx8 += len;
      pool->idx8_left -= len;
    }
  }
  return DREDFX_OK;
}
