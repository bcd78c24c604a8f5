# C declarations of the DRED payload layer (c/include/dredfx.h, "DRED payload").
from libc.stdint cimport int32_t, uint8_t

from cdredfx_weights cimport dredfx_dred_stats

cdef extern from "dredfx.h" nogil:
    enum:
        DREDFX_DRED_EXTENSION_ID
        DREDFX_DRED_VERSION
        DREDFX_DRED_LATENT_DIM
        DREDFX_DRED_STATE_DIM
        DREDFX_DRED_MAX_LATENTS
        DREDFX_DRED_NUM_LEVELS

    ctypedef struct dredfx_dred_payload:
        int q0, dq, qmax
        int dred_offset
        int dred_frame_offset
        int nb_latents
        int ec_bits
        int32_t state[50]
        int32_t latents[26][25]
        uint8_t level[26]

    int dredfx_dred_level(int q0, int dq, int qmax, int i)
    int dredfx_dred_decode(const unsigned char *bytes, int32_t len, int min_feature_frames,
                           int dred_frame_offset, const dredfx_dred_stats *stats,
                           dredfx_dred_payload *out)
    int dredfx_dred_find(const unsigned char *packet, int32_t len, const unsigned char **payload,
                         int32_t *payload_len, int *frame_offset)
    int dredfx_dred_parse(const unsigned char *packet, int32_t len, int32_t max_dred_samples,
                          int32_t sampling_rate, const dredfx_dred_stats *stats,
                          dredfx_dred_payload *out, int32_t *dred_end)
    int dredfx_dred_encode(unsigned char *out, int32_t maxlen, const dredfx_dred_payload *p,
                           const dredfx_dred_stats *stats)
    int dredfx_dred_decode_coded(const unsigned char *bytes, int32_t len, int dred_frame_offset,
                                 const dredfx_dred_stats *stats, dredfx_dred_payload *out)
    int dredfx_dred_dequantize(const dredfx_dred_payload *p, const dredfx_dred_stats *stats,
                               int32_t *state_q16, int32_t *latents_q16)
