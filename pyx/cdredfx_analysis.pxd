# C declarations of the feature analysis (internal header c/src/analysis/analysis.h), for dredfx._analysis.
from libc.stdint cimport int16_t, int32_t, uint32_t, uint64_t
from cdredfx_weights cimport dredfx_weight_array


cdef extern from "analysis/analysis.h" nogil:
    enum:
        DREDFX_ANALYSIS_FRAME
        DREDFX_ANALYSIS_NB_FEATURES
    ctypedef struct dredfx_analysis_state:
        int rate
        uint32_t sat_lpc
        uint32_t sat_residual
        uint32_t sat_resample
    size_t dredfx_analysis_get_size()
    int dredfx_analysis_init(dredfx_analysis_state *st, const dredfx_weight_array *arrays, int n)
    int dredfx_analysis_set_rate(dredfx_analysis_state *st, int sampling_rate)
    int dredfx_analysis_delay16k(dredfx_analysis_state *st, int n)
    int dredfx_analysis_process(dredfx_analysis_state *st, const int16_t *pcm, int n, int32_t *features_q16,
                                int max_frames)
    int dredfx_analysis_frames_for(const dredfx_analysis_state *st, int n)
    int32_t dredfx_an_log2_q24(uint64_t v, int q)
    uint32_t dredfx_an_isqrt64(uint64_t v)
    void dredfx_an_fft320(int32_t *re, int32_t *im)
