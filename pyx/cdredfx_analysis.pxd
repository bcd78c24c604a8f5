# C declarations of the feature analysis for dredfx._analysis: the public API (dredfx.h) and, from
# the internal header c/src/analysis/analysis.h, the state's fields the bindings read and the
# integer helpers the tests call.
from libc.stdint cimport int16_t, int32_t, uint32_t, uint64_t
from cdredfx_weights cimport dredfx_weight_array


cdef extern from "analysis/analysis.h" nogil:
    enum:
        DREDFX_ANALYSIS_FRAME
        DREDFX_ANALYSIS_NB_FEATURES
        DREDFX_ANALYSIS_DRED_DELAY16K
    ctypedef struct dredfx_analysis:
        int rate
        uint32_t sat_lpc
        uint32_t sat_residual
        uint32_t sat_resample
    size_t dredfx_analysis_get_size()
    int dredfx_analysis_init(dredfx_analysis *st, const dredfx_weight_array *arrays, int n)
    int dredfx_analysis_set_rate(dredfx_analysis *st, int sampling_rate)
    int dredfx_analysis_delay16k(dredfx_analysis *st, int n)
    int dredfx_analysis_process(dredfx_analysis *st, const int16_t *pcm, int n, int32_t *features_q16,
                                int max_frames)
    int dredfx_analysis_frames_for(const dredfx_analysis *st, int n)
    int32_t dredfx_an_log2_q24(uint64_t v, int q)
    uint32_t dredfx_an_isqrt64(uint64_t v)
    void dredfx_an_fft320(int32_t *re, int32_t *im)
