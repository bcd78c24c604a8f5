# dredfx._rdoenc: the fixed-point RDO-VAE encoder, the dead-zone quantizer and the DRED encoder
# (c/src/rdovae/rdovae_enc.c, c/src/dred/dred_enc.c). Values cross in Q16 int32; dredfx.dred
# converts float features.
include "common.pxi"

from libc.stdint cimport int32_t, uint8_t, INT32_MAX
from libc.stdlib cimport free, malloc

import numpy as np

from cdredfx_common cimport DREDFX_ERR_BAD_ARG
from cdredfx_dred cimport DREDFX_DRED_LATENT_DIM, DREDFX_DRED_STATE_DIM, dredfx_dred_payload
from cdredfx_rdoenc cimport *
from dredfx._weights cimport Weights

LATENT_DIM = DREDFX_DRED_LATENT_DIM
STATE_DIM = DREDFX_DRED_STATE_DIM
NUM_FEATURES = 20
MAX_BYTES = DREDFX_DRED_ENC_MAX_BYTES
RDOVAE_STATE_SIZE = dredfx_rdovae_enc_get_size()
DRED_STATE_SIZE = dredfx_dred_enc_get_size()


cdef object _i32(x, Py_ssize_t n, str name):
    a = np.ascontiguousarray(x)
    if a.dtype != np.int32:
        raise _errors.InvalidArgumentError("%s must be int32 (Q16), got %s" % (name, a.dtype),
                                           DREDFX_ERR_BAD_ARG)
    a = a.reshape(-1)
    if n >= 0 and a.size != n:
        raise _errors.InvalidArgumentError("%s: %d values, expected %d" % (name, a.size, n),
                                           DREDFX_ERR_BAD_ARG)
    return a


cdef class RdovaeEncoder:
    """The C RDO-VAE encoder over a checked blob, which it keeps alive. The CPU level is the one
    in use when it is made."""
    cdef dredfx_rdovae_enc *st
    cdef Weights weights

    def __cinit__(self, Weights weights not None):
        self.weights = weights
        self.st = <dredfx_rdovae_enc *>malloc(dredfx_rdovae_enc_get_size())
        if self.st == NULL:
            raise MemoryError()
        check(dredfx_rdovae_enc_init(self.st, weights.arrays, weights.n))

    def __dealloc__(self):
        free(self.st)

    def reset(self):
        dredfx_rdovae_enc_reset(self.st)

    def encode_dframe_q16(self, features_q16):
        """int32[40] features (two 10 ms frames, Q16) -> (latent int32[25], state int32[50])."""
        f = _i32(features_q16, 2 * NUM_FEATURES, "features_q16")
        latent = np.empty(LATENT_DIM, np.int32)
        state = np.empty(STATE_DIM, np.int32)
        cdef const int32_t[::1] fv = f
        cdef int32_t[::1] lv = latent
        cdef int32_t[::1] sv = state
        cdef int rc
        with nogil:
            rc = dredfx_rdovae_encode_dframe(self.st, &fv[0], &lv[0], &sv[0])
        check(rc)
        return latent, state


def quantize(x_q16, scale_q8, dead_zone_q8, r_q8, p0_q8):
    """The C dead-zone quantizer: int32 Q16 values and one level's uint8 tables -> int32 q."""
    x = _i32(x_q16, -1, "x_q16")
    cdef Py_ssize_t n = x.size
    tabs = [np.ascontiguousarray(t, dtype=np.uint8).reshape(-1)
            for t in (scale_q8, dead_zone_q8, r_q8, p0_q8)]
    if any(t.size != n for t in tabs) or n == 0:
        raise _errors.InvalidArgumentError("quantize: %d values, tables of %s" % (n, [t.size for t in tabs]),
                                           DREDFX_ERR_BAD_ARG)
    q = np.empty(n, np.int32)
    cdef const int32_t[::1] xv = x
    cdef int32_t[::1] qv = q
    cdef const uint8_t[::1] s = tabs[0]
    cdef const uint8_t[::1] d = tabs[1]
    cdef const uint8_t[::1] r = tabs[2]
    cdef const uint8_t[::1] p = tabs[3]
    check(dredfx_dred_quantize(&qv[0], &xv[0], <int>n, &s[0], &d[0], &r[0], &p[0]))
    return q


cdef dict _rate(dredfx_dred_rate *r):
    return dict(q0=r.q0, dq=r.dq, qmax=r.qmax, target_chunks=r.target_chunks,
                dred_bitrate=r.dred_bitrate)


def compute_bitrate(int sampling_rate, int bitrate, int loss_perc, bint inband_fec, int frame_size,
                    int duration_frames):
    """compute_dred_bitrate's decisions: dict(q0, dq, qmax, target_chunks, dred_bitrate)."""
    cdef dredfx_dred_rate r
    check(dredfx_dred_compute_bitrate(sampling_rate, bitrate, loss_perc, inband_fec, frame_size,
                                      duration_frames, &r))
    return _rate(&r)


cdef class DredEncoder:
    """The C DRED encoder (dredfx_dred_enc) over a checked blob, which it keeps alive."""
    cdef dredfx_dred_enc *st
    cdef Weights weights
    cdef readonly int frames_per_packet

    def __cinit__(self, Weights weights not None, int sampling_rate, int bitrate, int loss_perc,
                  int duration_ms, int frame_ms, bint vbr=True, bint inband_fec=False):
        cdef dredfx_dred_enc_config cfg
        cfg.sampling_rate = sampling_rate
        cfg.bitrate = bitrate
        cfg.loss_perc = loss_perc
        cfg.duration_ms = duration_ms
        cfg.frame_ms = frame_ms
        cfg.vbr = vbr
        cfg.inband_fec = inband_fec
        self.weights = weights
        self.st = <dredfx_dred_enc *>malloc(dredfx_dred_enc_get_size())
        if self.st == NULL:
            raise MemoryError()
        check(dredfx_dred_enc_init(self.st, weights.arrays, weights.n, &cfg))
        self.frames_per_packet = frame_ms // 10

    def __dealloc__(self):
        free(self.st)

    def reset(self):
        dredfx_dred_enc_reset(self.st)

    @property
    def rate(self):
        cdef dredfx_dred_rate r
        check(dredfx_dred_enc_rate(self.st, &r))
        return _rate(&r)

    def packet_q16(self, features_q16, bint active, room=None):
        """One packet: int32[frames_per_packet * 20] features (Q16) -> (payload bytes without
        'D', 12, dict of its content: q0 dq qmax dred_offset nb_latents state_q latents_q
        levels), or (None, None) when libopus attaches no DRED."""
        f = _i32(features_q16, self.frames_per_packet * NUM_FEATURES, "features_q16")
        if room is None:
            room = 1276
        if not 0 <= room <= INT32_MAX:
            raise _errors.InvalidArgumentError("room must be in [0, 2^31)", DREDFX_ERR_BAD_ARG)
        cdef int32_t c_room = room
        cdef unsigned char buf[DREDFX_DRED_ENC_MAX_BYTES]
        cdef dredfx_dred_payload p
        cdef const int32_t[::1] fv = f
        cdef int rc
        with nogil:
            rc = dredfx_dred_enc_packet(self.st, &fv[0], active, c_room, buf,
                                        DREDFX_DRED_ENC_MAX_BYTES, &p)
        check(rc)
        if rc == 0:
            return None, None
        data = bytes(buf[:rc])
        n = p.nb_latents
        payload = dict(
            q0=p.q0, dq=p.dq, qmax=p.qmax, dred_offset=p.dred_offset, nb_latents=n,
            state_q=np.array([p.state[k] for k in range(DREDFX_DRED_STATE_DIM)], np.int32),
            latents_q=np.array([[p.latents[c][k] for k in range(DREDFX_DRED_LATENT_DIM)]
                                for c in range(n)], np.int32).reshape(n, DREDFX_DRED_LATENT_DIM),
            levels=np.array([p.level[c] for c in range(n)], np.uint8))
        return data, payload
