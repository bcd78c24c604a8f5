# C declarations of dredfx-opus: libopus 1.6.1's opus.h (the calls dredfx._opus makes) and
# dredfx_opus.h (c/opus/include). Linked against libdredfx-opus.a.
from libc.stdint cimport int16_t, int32_t, uint8_t

cdef extern from "opus.h" nogil:
    ctypedef struct OpusEncoder:
        pass
    ctypedef struct OpusDecoder:
        pass
    ctypedef struct OpusDREDDecoder:
        pass
    ctypedef struct OpusDRED:
        pass
    enum:
        OPUS_OK
        OPUS_BAD_ARG
        OPUS_BUFFER_TOO_SMALL
        OPUS_INTERNAL_ERROR
        OPUS_INVALID_PACKET
        OPUS_UNIMPLEMENTED
        OPUS_INVALID_STATE
        OPUS_ALLOC_FAIL
        OPUS_APPLICATION_VOIP
        OPUS_APPLICATION_AUDIO
        OPUS_APPLICATION_RESTRICTED_LOWDELAY
        OPUS_SET_BITRATE_REQUEST
        OPUS_SET_COMPLEXITY_REQUEST
        OPUS_SET_INBAND_FEC_REQUEST
        OPUS_SET_PACKET_LOSS_PERC_REQUEST
        OPUS_RESET_STATE
        OPUS_GET_LOOKAHEAD_REQUEST
        OPUS_GET_LAST_PACKET_DURATION_REQUEST
        OPUS_SET_DRED_DURATION_REQUEST
    const char *opus_strerror(int error)
    const char *opus_get_version_string()

    OpusEncoder *opus_encoder_create(int32_t Fs, int channels, int application, int *error)
    void opus_encoder_destroy(OpusEncoder *st)
    int32_t opus_encode(OpusEncoder *st, const int16_t *pcm, int frame_size, unsigned char *data,
                        int32_t max_data_bytes)
    int32_t opus_encode_float(OpusEncoder *st, const float *pcm, int frame_size, unsigned char *data,
                              int32_t max_data_bytes)
    int opus_encoder_ctl(OpusEncoder *st, int request, ...)

    OpusDecoder *opus_decoder_create(int32_t Fs, int channels, int *error)
    void opus_decoder_destroy(OpusDecoder *st)
    int opus_decode(OpusDecoder *st, const unsigned char *data, int32_t len, int16_t *pcm,
                    int frame_size, int decode_fec)
    int opus_decoder_ctl(OpusDecoder *st, int request, ...)
    int opus_packet_has_lbrr(const unsigned char *packet, int32_t len)
    int opus_packet_get_nb_samples(const unsigned char *packet, int32_t len, int32_t Fs)

    OpusDREDDecoder *opus_dred_decoder_create(int *error)
    void opus_dred_decoder_destroy(OpusDREDDecoder *dec)
    OpusDRED *opus_dred_alloc(int *error)
    void opus_dred_free(OpusDRED *dec)
    int opus_dred_parse(OpusDREDDecoder *dred_dec, OpusDRED *dred, const unsigned char *data,
                        int32_t len, int32_t max_dred_samples, int32_t sampling_rate, int *dred_end,
                        int defer_processing)
    int opus_decoder_dred_decode(OpusDecoder *st, const OpusDRED *dred, int32_t dred_offset,
                                 int16_t *pcm, int32_t frame_size)

cdef extern from "dredfx_opus.h" nogil:
    int dredfx_opus_set_weights(const unsigned char *blob, size_t len)
    int dredfx_opus_weights_status()
