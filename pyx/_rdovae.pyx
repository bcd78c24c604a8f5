# dredfx._rdovae: the fixed-point RDO-VAE decoder (c/src/rdovae/). Features come back as Q16
# int32; dredfx.rdovae scales them to float32.
include "common.pxi"

from libc.stdint cimport int32_t, INT32_MAX
from libc.stdlib cimport free, malloc

import numpy as np

from cdredfx_common cimport DREDFX_ERR_BAD_ARG
from cdredfx_dred cimport (DREDFX_DRED_MAX_LATENTS, DREDFX_DRED_STATE_DIM, dredfx_dred_payload,
                           dredfx_dred_find, dredfx_dred_parse)
from cdredfx_rdovae cimport *
from dredfx._weights cimport Weights

STATE_DIM = DREDFX_DRED_STATE_DIM
LATENT_STRIDE = DREDFX_RDOVAE_LATENT_STRIDE
MAX_LATENTS = DREDFX_DRED_MAX_LATENTS
NUM_FEATURES = DREDFX_DRED_NUM_FEATURES
STATE_SIZE = dredfx_rdovae_dec_get_size()

cdef unsigned char _EMPTY[1]


cdef class Decoder:
    """The C decoder state over a checked blob (dredfx._weights.Weights), which it keeps alive.
    The CPU level is the one in use when it is made."""
    cdef dredfx_rdovae_dec *st
    cdef Weights weights

    def __cinit__(self, Weights weights not None):
        self.weights = weights
        self.st = <dredfx_rdovae_dec *>malloc(dredfx_rdovae_dec_get_size())
        if self.st == NULL:
            raise MemoryError()
        check(dredfx_rdovae_dec_init(self.st, weights.arrays, weights.n))

    def __dealloc__(self):
        free(self.st)

    def decode_q16(self, state_q16, latents_q16):
        """state int32[50] and latents int32[n][26] in Q16 (n <= 26, newest first) ->
        int32[4 n][20] features in Q16, libopus' fec_features order."""
        state = np.ascontiguousarray(state_q16)
        latents = np.ascontiguousarray(latents_q16)
        if state.dtype != np.int32 or latents.dtype != np.int32:
            raise _errors.InvalidArgumentError("state and latents must be int32 (Q16)", DREDFX_ERR_BAD_ARG)
        state = state.reshape(-1)
        if latents.size % DREDFX_RDOVAE_LATENT_STRIDE:
            check(DREDFX_ERR_BAD_ARG)
        latents = latents.reshape(-1)
        cdef int n = latents.size // DREDFX_RDOVAE_LATENT_STRIDE
        if state.size != DREDFX_DRED_STATE_DIM or n > DREDFX_DRED_MAX_LATENTS:
            check(DREDFX_ERR_BAD_ARG)
        out = np.zeros((4 * n, DREDFX_DRED_NUM_FEATURES), np.int32)
        cdef const int32_t[::1] sv = state
        cdef const int32_t[::1] lv = latents if n else np.zeros(1, np.int32)
        cdef int32_t[:, ::1] ov = out if n else np.zeros((1, 1), np.int32)
        cdef int rc
        with nogil:
            rc = dredfx_rdovae_decode_all(self.st, &sv[0], &lv[0], n, &ov[0, 0])
        check(rc)
        return out

    def decode_packet(self, packet, max_dred_samples=48000, sampling_rate=48000):
        """opus_dred_parse then opus_dred_process in one C call: features int32[4 n][20] in Q16
        (n = the latents opus_dred_parse decodes), or None for a packet without DRED."""
        raw = bytes(packet)
        cdef const unsigned char[::1] view = raw
        cdef const unsigned char *ptr = &view[0] if view.shape[0] > 0 else _EMPTY
        if view.shape[0] > INT32_MAX or not 0 <= max_dred_samples <= INT32_MAX or \
                not 0 < sampling_rate <= INT32_MAX:
            check(DREDFX_ERR_BAD_ARG)
        cdef int32_t mds = max_dred_samples, fs = sampling_rate, dred_end = 0
        cdef dredfx_dred_payload p
        out = np.zeros((4 * DREDFX_DRED_MAX_LATENTS, DREDFX_DRED_NUM_FEATURES), np.int32)
        cdef int32_t[:, ::1] ov = out
        cdef const unsigned char *payload
        cdef int32_t payload_len
        cdef int rc, frame_offset, frames = -1
        with nogil:
            rc = dredfx_dred_find(ptr, <int32_t>view.shape[0], &payload, &payload_len, &frame_offset)
            if rc > 0:
                rc = dredfx_dred_parse(ptr, <int32_t>view.shape[0], mds, fs, &self.weights.stats, &p,
                                       &dred_end)
                if rc >= 0:
                    rc = frames = dredfx_rdovae_decode_payload(self.st, &p, &self.weights.stats,
                                                               &ov[0, 0])
        check(rc)
        return None if frames < 0 else out[:frames]
