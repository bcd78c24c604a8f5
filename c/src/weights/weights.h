/* Internal weights helpers shared by the models' init functions. */
#ifndef DREDFX_WEIGHTS_WEIGHTS_H
#define DREDFX_WEIGHTS_WEIGHTS_H

#include "dredfx.h"

/* Sets *out to the data of the array with that name: DREDFX_ERR_WEIGHTS_MISSING when there is
 * none, DREDFX_ERR_WEIGHTS_SHAPE when its type or element count differ. */
int dredfx_weights_get(const dredfx_weight_array *arrays, int n, const char *name, int type,
                       uint32_t count, const void **out);

#endif
