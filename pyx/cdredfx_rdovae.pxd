# C declarations of the RDO-VAE decoder (c/include/dredfx.h, "RDO-VAE decoder").
from libc.stdint cimport int32_t

from cdredfx_dred cimport dredfx_dred_payload
from cdredfx_weights cimport dredfx_weight_array, dredfx_dred_stats

cdef extern from "dredfx.h" nogil:
    enum:
        DREDFX_RDOVAE_LATENT_STRIDE
        DREDFX_DRED_NUM_FEATURES
    ctypedef struct dredfx_rdovae_dec:
        pass
    size_t dredfx_rdovae_dec_get_size()
    int dredfx_rdovae_dec_init(dredfx_rdovae_dec *st, const dredfx_weight_array *arrays, int n)
    int dredfx_rdovae_decode_all(const dredfx_rdovae_dec *st, const int32_t *state_q16,
                                 const int32_t *latents_q16, int nb_latents, int32_t *features_q16)
    int dredfx_rdovae_decode_payload(const dredfx_rdovae_dec *st, const dredfx_dred_payload *p,
                                     const dredfx_dred_stats *stats, int32_t *features_q16)
