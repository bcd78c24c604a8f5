# dredfx._dred: the DRED payload layer (C twin of dredfx.ref.dred). Results are
# dredfx.ref.dred.DredPayload objects; stats come from a weights object, a mapping of libopus
# array names, or dredfx.weights.default() when None.
include "errors.pxi"

from libc.stdint cimport int32_t, uint8_t, INT32_MAX, INT32_MIN
from libc.stdlib cimport free, malloc
from libc.string cimport memset

import numpy as np

from cdredfx_common cimport DREDFX_ERR_BAD_ARG, DREDFX_ERR_BUFFER_TOO_SMALL
from cdredfx_dred cimport *
from cdredfx_weights cimport dredfx_dred_stats

from dredfx.ref.dred import DredPayload, dequantize as _dequantize_float, stats_arrays

cdef unsigned char _EMPTY[1]


cdef class _Stats:
    """The eight tables kept alive next to the C struct that points into them."""
    cdef dredfx_dred_stats c
    cdef object arrays

    def __cinit__(self, stats):
        self.arrays = stats_arrays(stats)
        cdef const uint8_t[::1] v
        v = self.arrays["latent_scale"]; self.c.latent_scale_q8 = &v[0]
        v = self.arrays["latent_dead_zone"]; self.c.latent_dead_zone_q8 = &v[0]
        v = self.arrays["latent_r"]; self.c.latent_r_q8 = &v[0]
        v = self.arrays["latent_p0"]; self.c.latent_p0_q8 = &v[0]
        v = self.arrays["state_scale"]; self.c.state_scale_q8 = &v[0]
        v = self.arrays["state_dead_zone"]; self.c.state_dead_zone_q8 = &v[0]
        v = self.arrays["state_r"]; self.c.state_r_q8 = &v[0]
        v = self.arrays["state_p0"]; self.c.state_p0_q8 = &v[0]


cdef _Stats _stats(stats):
    return stats if isinstance(stats, _Stats) else _Stats(stats)


def make_stats(stats=None):
    """Converts stats once, for repeated calls."""
    return _Stats(stats)


cdef inline const unsigned char *_ptr(const unsigned char[::1] view):
    return &view[0] if view.shape[0] > 0 else _EMPTY


cdef object _to_payload(const dredfx_dred_payload *p, _Stats st, payload_bytes):
    cdef int n = p.nb_latents
    state_q = np.array([p.state[k] for k in range(DREDFX_DRED_STATE_DIM)], np.int32)
    latents_q = np.array([[p.latents[c][k] for k in range(DREDFX_DRED_LATENT_DIM)]
                          for c in range(n)], np.int32).reshape(n, DREDFX_DRED_LATENT_DIM)
    levels = np.array([p.level[c] for c in range(n)], np.uint8)
    out = DredPayload(q0=p.q0, dq=p.dq, qmax=p.qmax, dred_offset=p.dred_offset,
                      dred_frame_offset=p.dred_frame_offset, nb_latents=n, ec_bits=p.ec_bits,
                      state_q=state_q, latents_q=latents_q, levels=levels, payload=payload_bytes)
    out.state, out.latents = _dequantize_float(out, st.arrays)
    return out


cdef int _from_payload(payload, dredfx_dred_payload *p) except -1:
    memset(p, 0, sizeof(dredfx_dred_payload))
    fields = (payload.q0, payload.dq, payload.qmax, payload.dred_offset,
              payload.dred_frame_offset, payload.nb_latents)
    if any(not -2**31 <= int(f) < 2**31 for f in fields):
        check(DREDFX_ERR_BAD_ARG)
    p.q0, p.dq, p.qmax, p.dred_offset, p.dred_frame_offset, p.nb_latents = [int(f) for f in fields]
    if not 0 <= p.nb_latents <= DREDFX_DRED_MAX_LATENTS:
        check(DREDFX_ERR_BAD_ARG)
    state = np.asarray(payload.state_q).reshape(-1)
    latents = np.asarray(payload.latents_q).reshape(-1, DREDFX_DRED_LATENT_DIM)
    if state.shape[0] != DREDFX_DRED_STATE_DIM or latents.shape[0] < p.nb_latents:
        check(DREDFX_ERR_BAD_ARG)
    # Any int32 value (libopus' int); nothing is clamped.
    if state.size and (state.min() < INT32_MIN or state.max() > INT32_MAX):
        check(DREDFX_ERR_BAD_ARG)
    latents = latents[:p.nb_latents]
    if latents.size and (latents.min() < INT32_MIN or latents.max() > INT32_MAX):
        check(DREDFX_ERR_BAD_ARG)
    for k in range(DREDFX_DRED_STATE_DIM):
        p.state[k] = <int32_t>int(state[k])
    for c in range(p.nb_latents):
        for k in range(DREDFX_DRED_LATENT_DIM):
            p.latents[c][k] = <int32_t>int(latents[c, k])
    return 0


def level(int q0, int dq, int qmax, int i):
    """Quantizer level of chunk i (0 = newest)."""
    return check(dredfx_dred_level(q0, dq, qmax, i))


def decode_payload(data, int min_feature_frames=104, int dred_frame_offset=0, stats=None):
    """Decodes the range-coded bytes after 'D', 12 (dred_ec_decode)."""
    raw = bytes(data)
    cdef const unsigned char[::1] view = raw
    cdef const unsigned char *ptr = _ptr(view)
    cdef _Stats st = _stats(stats)
    cdef dredfx_dred_payload p
    cdef int rc
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    with nogil:
        rc = dredfx_dred_decode(ptr, <int32_t>view.shape[0], min_feature_frames, dred_frame_offset,
                                &st.c, &p)
    check(rc)
    return _to_payload(&p, st, raw)


def decode_coded(data, int dred_frame_offset=0, stats=None):
    """(reproduced, DredPayload): every chunk the encoder coded, past libopus' stop rule
    (dredfx_dred_decode_coded); the stop rule's chunks when no count reproduces the bytes."""
    raw = bytes(data)
    cdef const unsigned char[::1] view = raw
    cdef const unsigned char *ptr = _ptr(view)
    cdef _Stats st = _stats(stats)
    cdef dredfx_dred_payload p
    cdef int rc
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    with nogil:
        rc = dredfx_dred_decode_coded(ptr, <int32_t>view.shape[0], dred_frame_offset, &st.c, &p)
    check(rc)
    out = _to_payload(&p, st, raw)
    out.reproduced = rc == 1
    return out.reproduced, out


def find_dred(packet):
    """(payload bytes after 'D', 12, dred_frame_offset) of the packet's DRED extension, or
    (None, 0)."""
    raw = bytes(packet)
    cdef const unsigned char[::1] view = raw
    cdef const unsigned char *ptr = _ptr(view)
    cdef const unsigned char *payload
    cdef int32_t payload_len
    cdef int frame_offset, rc
    if view.shape[0] > INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    with nogil:
        rc = dredfx_dred_find(ptr, <int32_t>view.shape[0], &payload, &payload_len, &frame_offset)
    if check(rc) == 0:
        return None, 0
    start = payload - ptr
    return raw[start:start + payload_len], frame_offset


def parse_dred(packet, max_dred_samples=48000, sampling_rate=48000, stats=None):
    """opus_dred_parse: a DredPayload (samples = the return value, dred_end set) or None when the
    packet carries no DRED."""
    raw = bytes(packet)
    cdef const unsigned char[::1] view = raw
    cdef const unsigned char *ptr = _ptr(view)
    cdef _Stats st = _stats(stats)
    cdef dredfx_dred_payload p
    cdef int32_t dred_end = 0
    cdef int rc
    if view.shape[0] > INT32_MAX or not 0 <= max_dred_samples <= INT32_MAX or \
            not 0 < sampling_rate <= INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    cdef int32_t mds = max_dred_samples, fs = sampling_rate
    with nogil:
        rc = dredfx_dred_parse(ptr, <int32_t>view.shape[0], mds, fs, &st.c, &p, &dred_end)
    check(rc)
    payload, _ = find_dred(raw)
    if payload is None:
        return None
    out = _to_payload(&p, st, payload)
    out.samples = rc
    out.dred_end = dred_end
    return out


def encode_payload(payload, stats=None, maxlen=None):
    """Range-codes a DredPayload as libopus' encoder does (bytes after 'D', 12). maxlen None:
    no limit."""
    cdef _Stats st = _stats(stats)
    cdef dredfx_dred_payload p
    cdef int32_t size
    cdef unsigned char *buf
    cdef int rc
    _from_payload(payload, &p)
    if maxlen is not None and not 0 <= maxlen <= INT32_MAX:
        check(DREDFX_ERR_BAD_ARG)
    size = 4096 if maxlen is None else maxlen
    while True:
        buf = <unsigned char *>malloc(size if size > 0 else 1)
        if buf == NULL:
            raise MemoryError()
        try:
            with nogil:
                rc = dredfx_dred_encode(buf, size, &p, &st.c)
            if rc >= 0:
                return bytes(buf[:rc])
        finally:
            free(buf)
        if rc != DREDFX_ERR_BUFFER_TOO_SMALL or maxlen is not None or size >= (1 << 30):
            check(rc)
        size *= 8


def dequantize_q16(payload, stats=None):
    """The C dequantization: (state int32[50], latents int32[26, 26]) in Q16, rounded half away
    from zero and saturated at +-(2^31 - 1) (the Q16 format's range); column 25 is the q-feature
    level / 8 - 1; rows past nb_latents are 0."""
    cdef _Stats st = _stats(stats)
    cdef dredfx_dred_payload p
    cdef int rc
    _from_payload(payload, &p)
    state = np.zeros(DREDFX_DRED_STATE_DIM, np.int32)
    latents = np.zeros((DREDFX_DRED_MAX_LATENTS, DREDFX_DRED_LATENT_DIM + 1), np.int32)
    cdef int32_t[::1] sv = state
    cdef int32_t[:, ::1] lv = latents
    with nogil:
        rc = dredfx_dred_dequantize(&p, &st.c, &sv[0], &lv[0, 0])
    check(rc)
    return state, latents


def dequantize(payload, stats=None):
    """libopus' float values (state float32[50], latents float32[nb_latents, 26])."""
    cdef _Stats st = _stats(stats)
    return _dequantize_float(payload, st.arrays)
