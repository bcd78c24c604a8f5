# The feature analysis (c/src/analysis) from Python: a streaming analyzer over the C state, and the
# integer helpers for the tests. Formats: docs/fixed-point.md section 8.
include "common.pxi"

import numpy as np

from libc.stdint cimport int16_t, int32_t, uint64_t
from libc.stdlib cimport free, malloc
from cdredfx_analysis cimport *
from dredfx._weights cimport Weights

FRAME = DREDFX_ANALYSIS_FRAME
NB_FEATURES = DREDFX_ANALYSIS_NB_FEATURES
RATES = (8000, 12000, 16000, 24000, 48000)


cdef class Analyzer:
    """C analysis state at one input rate; feed(int16 array) -> int32 (frames, 20) features in Q16."""
    cdef dredfx_analysis *st
    cdef Weights weights

    def __cinit__(self, Weights weights, int sampling_rate):
        self.st = <dredfx_analysis *>malloc(dredfx_analysis_get_size())
        if self.st == NULL:
            raise MemoryError()
        self.weights = weights
        check(dredfx_analysis_init(self.st, weights.arrays, weights.n))
        check(dredfx_analysis_set_rate(self.st, sampling_rate))

    def __dealloc__(self):
        free(self.st)

    def reset(self):
        check(dredfx_analysis_set_rate(self.st, self.st.rate))

    def delay16k(self, int n):
        check(dredfx_analysis_delay16k(self.st, n))

    @property
    def sampling_rate(self):
        return self.st.rate

    @property
    def saturations(self):
        """Counts of saturated values: LPC coefficients, residual samples, resampler outputs."""
        return {"lpc": self.st.sat_lpc, "residual": self.st.sat_residual, "resample": self.st.sat_resample}

    def feed(self, pcm):
        cdef const int16_t[::1] x = pcm
        cdef int n = x.shape[0]
        cdef int frames = check(dredfx_analysis_frames_for(self.st, n))
        out = np.zeros((frames, NB_FEATURES), dtype=np.int32)
        cdef int32_t[:, ::1] o = out
        cdef const int16_t *px = &x[0] if n else NULL
        cdef int32_t *po = &o[0, 0] if frames else NULL
        cdef int rc
        with nogil:
            rc = dredfx_analysis_process(self.st, px, n, po, frames)
        check(rc)
        return out


def log2_q24(uint64_t v, int q):
    """libopus 1.6.1 celt_log2 of v / 2^q, Q24 (v > 0)."""
    if v == 0:
        raise _errors.InvalidArgumentError("log2_q24: v must be positive", -1)
    return dredfx_an_log2_q24(v, q)


def isqrt64(uint64_t v):
    return dredfx_an_isqrt64(v)


def fft320(re, im):
    """320-point forward FFT of int32 Q14 arrays; returns (re, im)."""
    r = np.array(re, dtype=np.int32).reshape(-1)
    i = np.array(im, dtype=np.int32).reshape(-1)
    if r.size != 320 or i.size != 320:
        raise _errors.InvalidArgumentError("fft320: 320 values each", -1)
    cdef int32_t[::1] pr = r
    cdef int32_t[::1] pi = i
    dredfx_an_fft320(&pr[0], &pi[0])
    return r, i
