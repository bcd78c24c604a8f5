# dredfx._fargan: the fixed-point FARGAN vocoder (c/src/fargan/). Features go in as Q16 int32;
# dredfx.fargan converts float features.
include "common.pxi"

from libc.stdint cimport int16_t, int32_t
from libc.stdlib cimport free, malloc

import numpy as np

from cdredfx_common cimport DREDFX_ERR_BAD_ARG
from cdredfx_fargan cimport *
from dredfx._weights cimport Weights

FRAME_SIZE = DREDFX_FARGAN_FRAME_SIZE
CONT_SAMPLES = DREDFX_FARGAN_CONT_SAMPLES
CONT_FRAMES = DREDFX_FARGAN_CONT_FRAMES
DEF NF = 20
NUM_FEATURES = NF
STATE_SIZE = dredfx_fargan_get_size()


cdef class FARGAN:
    """The C vocoder state over a checked blob (dredfx._weights.Weights), which it keeps alive.
    The CPU level is the one in use when it is made."""
    cdef dredfx_fargan *st
    cdef Weights weights

    def __cinit__(self, Weights weights not None):
        self.weights = weights
        self.st = <dredfx_fargan *>malloc(dredfx_fargan_get_size())
        if self.st == NULL:
            raise MemoryError()
        check(dredfx_fargan_init(self.st, weights.arrays, weights.n))

    def __dealloc__(self):
        free(self.st)

    def cont(self, pcm, features_q16):
        """pcm int16[320] (past output), features int32[5][20] Q16 (oldest first)."""
        p = np.ascontiguousarray(pcm)
        f = np.ascontiguousarray(features_q16)
        if p.dtype != np.int16 or f.dtype != np.int32 or p.size != DREDFX_FARGAN_CONT_SAMPLES or \
                f.size != DREDFX_FARGAN_CONT_FRAMES * NUM_FEATURES:
            raise _errors.InvalidArgumentError("cont: pcm int16[320] and features int32[5][20] (Q16)",
                                               DREDFX_ERR_BAD_ARG)
        cdef const int16_t[::1] pv = p.reshape(-1)
        cdef const int32_t[::1] fv = f.reshape(-1)
        cdef int rc
        with nogil:
            rc = dredfx_fargan_cont(self.st, &pv[0], &fv[0])
        check(rc, "cont")

    def synthesize_int16(self, features_q16):
        """features int32[n][20] Q16 -> int16[n * 160] (after cont)."""
        f = np.ascontiguousarray(features_q16)
        if f.dtype != np.int32 or f.size % NUM_FEATURES:
            raise _errors.InvalidArgumentError("synthesize: features int32[n][20] (Q16)", DREDFX_ERR_BAD_ARG)
        f = f.reshape(-1)
        cdef Py_ssize_t n = f.size // NUM_FEATURES, i
        out = np.zeros(max(n, 1) * DREDFX_FARGAN_FRAME_SIZE, np.int16)
        if n == 0:
            return out[:0]
        cdef const int32_t[::1] fv = f
        cdef int16_t[::1] ov = out
        cdef int rc = 0
        with nogil:
            for i in range(n):
                rc = dredfx_fargan_synthesize_int16(self.st, &ov[i * DREDFX_FARGAN_FRAME_SIZE],
                                                    &fv[i * NF])
                if rc < 0:
                    break
        check(rc, "synthesize")
        return out
