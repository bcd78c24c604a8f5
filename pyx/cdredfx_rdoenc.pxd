# C declarations of the RDO-VAE encoder and the DRED encoder (c/include/dredfx.h).
from libc.stdint cimport int32_t, uint8_t

from cdredfx_dred cimport dredfx_dred_payload
from cdredfx_weights cimport dredfx_weight_array

cdef extern from "dredfx.h" nogil:
    ctypedef struct dredfx_rdovae_enc:
        pass
    size_t dredfx_rdovae_enc_get_size()
    int dredfx_rdovae_enc_init(dredfx_rdovae_enc *st, const dredfx_weight_array *arrays, int n)
    void dredfx_rdovae_enc_reset(dredfx_rdovae_enc *st)
    int dredfx_rdovae_encode_dframe(dredfx_rdovae_enc *st, const int32_t *features_q16,
                                    int32_t *latent_q16, int32_t *state_q16)
    int dredfx_dred_quantize(int32_t *q, const int32_t *x_q16, int dim, const uint8_t *scale_q8,
                             const uint8_t *dead_zone_q8, const uint8_t *r_q8, const uint8_t *p0_q8)

    ctypedef struct dredfx_dred_enc_config:
        int32_t sampling_rate
        int32_t bitrate
        int loss_perc
        int duration_ms
        int frame_ms
        int vbr
        int inband_fec
    ctypedef struct dredfx_dred_rate:
        int q0, dq, qmax
        int target_chunks
        int32_t dred_bitrate
    int dredfx_dred_compute_bitrate(int32_t sampling_rate, int32_t bitrate, int loss_perc,
                                    int inband_fec, int frame_size, int duration_frames,
                                    dredfx_dred_rate *out)
    ctypedef struct dredfx_dred_enc:
        pass
    enum:
        DREDFX_DRED_ENC_MAX_BYTES
    size_t dredfx_dred_enc_get_size()
    int dredfx_dred_enc_init(dredfx_dred_enc *st, const dredfx_weight_array *arrays, int n,
                             const dredfx_dred_enc_config *cfg)
    int dredfx_dred_enc_rate(const dredfx_dred_enc *st, dredfx_dred_rate *out)
    void dredfx_dred_enc_reset(dredfx_dred_enc *st)
    int dredfx_dred_enc_packet(dredfx_dred_enc *st, const int32_t *features_q16, int active,
                               int32_t room, unsigned char *out, int32_t maxlen,
                               dredfx_dred_payload *payload)
