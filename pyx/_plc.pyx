# dredfx._plc: the fixed-point neural PLC (c/src/plc/). Features go in as Q16 int32; dredfx.plc
# converts float features.
include "common.pxi"

from libc.stdint cimport int16_t, int32_t, uint32_t
from libc.stdlib cimport free, malloc

import numpy as np

from cdredfx_common cimport DREDFX_ERR_BAD_ARG
from cdredfx_plc cimport *
from dredfx._weights cimport Weights

FRAME_SIZE = DREDFX_PLC_FRAME_SIZE
MAX_FEC_FRAMES = DREDFX_PLC_MAX_FEC_FRAMES
FEATURE_MAX_Q16 = DREDFX_PLC_FEATURE_MAX_Q16
DEF NF = 20
NUM_FEATURES = NF
STATE_SIZE = dredfx_plc_get_size()


def burg_cepstrum(x):
    """libopus burg_cepstral_analysis of int16[160] -> (int32[36] Q16, clamped reflection coefficients)."""
    p = np.ascontiguousarray(x)
    if p.dtype != np.int16 or p.size != DREDFX_PLC_FRAME_SIZE:
        raise _errors.InvalidArgumentError("burg_cepstrum: int16[160]", DREDFX_ERR_BAD_ARG)
    out = np.zeros(36, np.int32)
    cdef const int16_t[::1] pv = p.reshape(-1)
    cdef int32_t[::1] ov = out
    cdef uint32_t sat = 0
    with nogil:
        dredfx_plc_burg_cepstrum(&pv[0], &ov[0], &sat)
    return out, sat


cdef class PLC:
    """The C PLC state over a checked blob (dredfx._weights.Weights), which it keeps alive.
    The CPU level is the one in use when it is made."""
    cdef dredfx_plc *st
    cdef Weights weights

    def __cinit__(self, Weights weights not None):
        self.weights = weights
        self.st = <dredfx_plc *>malloc(dredfx_plc_get_size())
        if self.st == NULL:
            raise MemoryError()
        check(dredfx_plc_init(self.st, weights.arrays, weights.n))

    def __dealloc__(self):
        free(self.st)

    def reset(self):
        dredfx_plc_reset(self.st)

    def fec_clear(self):
        dredfx_plc_fec_clear(self.st)

    def update(self, pcm):
        """pcm int16[160 n]: n good frames."""
        p = np.ascontiguousarray(pcm)
        if p.dtype != np.int16 or p.size % DREDFX_PLC_FRAME_SIZE:
            raise _errors.InvalidArgumentError("update: pcm int16[160 n]", DREDFX_ERR_BAD_ARG)
        if p.size == 0:
            return
        cdef const int16_t[::1] pv = p.reshape(-1)
        cdef Py_ssize_t n = p.size // DREDFX_PLC_FRAME_SIZE, i
        cdef int rc = 0
        with nogil:
            for i in range(n):
                rc = dredfx_plc_update(self.st, &pv[i * DREDFX_PLC_FRAME_SIZE])
        check(rc, "update")

    def fec_add(self, features_q16):
        """int32[20] (Q16), or None: a skip entry."""
        cdef int rc
        if features_q16 is None:
            with nogil:
                rc = dredfx_plc_fec_add(self.st, NULL)
            check(rc, "fec_add")
            return
        f = np.ascontiguousarray(features_q16)
        if f.dtype != np.int32 or f.size != NF:
            raise _errors.InvalidArgumentError("fec_add: features int32[20] (Q16)", DREDFX_ERR_BAD_ARG)
        cdef const int32_t[::1] fv = f.reshape(-1)
        with nogil:
            rc = dredfx_plc_fec_add(self.st, &fv[0])
        check(rc, "fec_add")

    def conceal(self, Py_ssize_t n_frames=1, bint with_features=False):
        """n concealed frames -> int16[160 n] (and, with_features, the int32[n][20] Q16 features
        each frame was synthesized from)."""
        if n_frames < 0:
            raise _errors.InvalidArgumentError("conceal: n_frames >= 0", DREDFX_ERR_BAD_ARG)
        out = np.zeros(max(n_frames, 1) * DREDFX_PLC_FRAME_SIZE, np.int16)
        feats = np.zeros((max(n_frames, 1), NF), np.int32)
        cdef int16_t[::1] ov = out
        cdef int32_t[:, ::1] fv = feats
        cdef Py_ssize_t i, j
        cdef int rc = 0
        with nogil:
            for i in range(n_frames):
                rc = dredfx_plc_conceal(self.st, &ov[i * DREDFX_PLC_FRAME_SIZE])
                if rc < 0:
                    break
                for j in range(NF):
                    fv[i, j] = self.st.features_q16[j]
        check(rc, "conceal")
        out = out[:n_frames * DREDFX_PLC_FRAME_SIZE]
        return (out, feats[:n_frames]) if with_features else out

    @property
    def state(self):
        """libopus' public fields and the loss count: dict."""
        return dict(loaded=self.st.loaded, blend=self.st.blend, fec_read_pos=self.st.fec_read_pos,
                    fec_fill_pos=self.st.fec_fill_pos, fec_skip=self.st.fec_skip,
                    loss_count=self.st.loss_count, sat_burg=self.st.sat_burg)
