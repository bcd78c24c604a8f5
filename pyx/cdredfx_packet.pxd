# C declarations of the Opus packet and padding-extension layer (c/include/dredfx.h).
from libc.stdint cimport int16_t, int32_t

cdef extern from "dredfx.h" nogil:
    enum:
        DREDFX_MAX_FRAMES
        DREDFX_MAX_FRAME_BYTES
        DREDFX_MAX_PAD_EXTENSIONS

    ctypedef struct dredfx_packet_info:
        int toc
        int config
        int stereo
        int code
        int vbr
        int nb_frames
        int samples_per_frame
        int32_t frame_offset[48]
        int16_t frame_len[48]
        int32_t padding_offset
        int32_t padding_len

    int dredfx_packet_parse(const unsigned char *data, int32_t len, dredfx_packet_info *info)
    int dredfx_packet_samples_per_frame(int toc)
    int dredfx_packet_build(unsigned char *out, int32_t maxlen, int config, int stereo,
                            const unsigned char *const *frames, const int16_t *frame_len,
                            int nb_frames, const unsigned char *padding, int32_t padding_len,
                            int force_code3, int vbr)

    ctypedef struct dredfx_extension:
        int id
        int frame
        const unsigned char *data
        int32_t len

    int dredfx_ext_parse(const unsigned char *padding, int32_t len, int nb_frames,
                         dredfx_extension *exts, int max_exts)
    int dredfx_ext_count(const unsigned char *padding, int32_t len, int nb_frames)
    int dredfx_ext_generate(unsigned char *out, int32_t len, const dredfx_extension *exts, int n,
                            int nb_frames, int pad)
    int dredfx_packet_repacketize(unsigned char *out, int32_t maxlen, int toc,
                                  const unsigned char *const *frames, const int16_t *frame_len,
                                  int nb_frames, const dredfx_extension *exts, int nb_exts, int pad)
    int dredfx_packet_pad(unsigned char *out, int32_t maxlen, const unsigned char *inp, int32_t len,
                          const dredfx_extension *exts, int nb_exts, int pad)
