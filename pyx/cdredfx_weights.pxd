# C declarations of the weights blob loader (c/include/dredfx.h, "weights").
from libc.stdint cimport uint8_t, uint32_t

cdef extern from "dredfx.h" nogil:
    enum:
        DREDFX_WT_F32
        DREDFX_WT_I32
        DREDFX_WT_I8
        DREDFX_WT_U8
        DREDFX_WT_I16
    ctypedef struct dredfx_weight_array:
        const char *name
        int type
        uint32_t count
        const void *data
    ctypedef struct dredfx_dred_stats:
        const uint8_t *latent_scale_q8
        const uint8_t *latent_dead_zone_q8
        const uint8_t *latent_r_q8
        const uint8_t *latent_p0_q8
        const uint8_t *state_scale_q8
        const uint8_t *state_dead_zone_q8
        const uint8_t *state_r_q8
        const uint8_t *state_p0_q8
    int dredfx_weights_parse(const unsigned char *blob, size_t len, dredfx_weight_array *arrays,
                             int max_arrays)
    const dredfx_weight_array *dredfx_weights_find(const dredfx_weight_array *arrays, int n,
                                                   const char *name, int type, uint32_t count)
    int dredfx_dred_stats_init(dredfx_dred_stats *stats, const dredfx_weight_array *arrays, int n)
