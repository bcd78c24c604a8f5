# C declarations of the FARGAN vocoder (c/include/dredfx.h, "FARGAN vocoder").
from libc.stdint cimport int16_t, int32_t

from cdredfx_weights cimport dredfx_weight_array

cdef extern from "dredfx.h" nogil:
    enum:
        DREDFX_FARGAN_FRAME_SIZE
        DREDFX_FARGAN_CONT_SAMPLES
        DREDFX_FARGAN_CONT_FRAMES
    ctypedef struct dredfx_fargan:
        pass
    size_t dredfx_fargan_get_size()
    int dredfx_fargan_init(dredfx_fargan *st, const dredfx_weight_array *arrays, int n)
    int dredfx_fargan_cont(dredfx_fargan *st, const int16_t *pcm, const int32_t *features_q16)
    int dredfx_fargan_synthesize_q28(dredfx_fargan *st, int32_t *out_q28, const int32_t *features_q16)
    int dredfx_fargan_synthesize_int16(dredfx_fargan *st, int16_t *out, const int32_t *features_q16)
