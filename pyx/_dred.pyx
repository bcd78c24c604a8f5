# cython: language_level=3
"""dredfx._dred: the DRED payload layer over c/src/dred/ (the C twin of dredfx.ref.dred; public
API: dredfx.dred). Results are dredfx._types.DredPayload objects. weights: None (the imported
blob, parsed once per process by dredfx.weights.default()), a dredfx.weights.Weights, a
dredfx._weights.Weights, a mapping of libopus' stats arrays (dnn/dred_rdovae_stats_data.c names),
or make_stats() of one of these for repeated calls."""
cimport cython
from libc.stdint cimport int32_t, uint8_t, INT32_MAX
from libc.string cimport memset

from cdredfx_dred cimport *
from cdredfx_weights cimport dredfx_dred_stats
from dredfx._weights cimport Weights as _CWeights

include "common.pxi"

from dredfx._types import DredPayload

EXTENSION_ID = DREDFX_DRED_EXTENSION_ID
VERSION = DREDFX_DRED_VERSION
PREFIX = bytes((ord("D"), DREDFX_DRED_VERSION))

# libopus' stats array name and size, per table of dredfx_dred_stats (in struct order).
cdef tuple _STATS_NAMES = (
    ("dred_latent_quant_scales_q8", 16 * 25), ("dred_latent_dead_zone_q8", 16 * 25),
    ("dred_latent_r_q8", 16 * 25), ("dred_latent_p0_q8", 16 * 25),
    ("dred_state_quant_scales_q8", 16 * 50), ("dred_state_dead_zone_q8", 16 * 50),
    ("dred_state_r_q8", 16 * 50), ("dred_state_p0_q8", 16 * 50))


cdef class _Stats:
    """The C quantizer tables, and what keeps the memory they point into alive."""
    cdef dredfx_dred_stats c
    cdef object keep

    @staticmethod
    cdef _Stats of_core(_CWeights core):
        cdef _Stats st = _Stats.__new__(_Stats)
        st.c = core.stats
        st.keep = core
        return st

    @staticmethod
    cdef _Stats of_arrays(arrays):
        cdef _Stats st = _Stats.__new__(_Stats)
        cdef const uint8_t *tables[8]
        cdef const uint8_t[::1] v
        keep = []
        for i, (name, size) in enumerate(_STATS_NAMES):
            try:
                a = arrays[name]
            except (KeyError, TypeError, IndexError):
                raise _errors.InvalidArgumentError("weights has no array %s" % name,
                                                   DREDFX_ERR_BAD_ARG) from None
            a = array_in(a, np.uint8, size, "weights[%r]" % name)
            v = a
            tables[i] = &v[0]
            keep.append(a)
        st.c.latent_scale_q8, st.c.latent_dead_zone_q8, st.c.latent_r_q8, st.c.latent_p0_q8 = \
            tables[0], tables[1], tables[2], tables[3]
        st.c.state_scale_q8, st.c.state_dead_zone_q8, st.c.state_r_q8, st.c.state_p0_q8 = \
            tables[4], tables[5], tables[6], tables[7]
        st.keep = keep
        return st


cdef _Stats _default_stats = None


cdef _Stats _stats(weights):
    global _default_stats
    if isinstance(weights, _Stats):
        return weights
    if weights is None:
        if _default_stats is None:
            from dredfx import weights as _w
            _default_stats = _Stats.of_core(_w.default().core)
        return _default_stats
    core = getattr(weights, "core", weights)
    if isinstance(core, _CWeights):
        return _Stats.of_core(core)
    return _Stats.of_arrays(weights)


def make_stats(weights=None):
    """The quantizer tables of `weights` converted once, to pass as weights to repeated calls."""
    return _stats(weights)


@cython.cdivision(True)
cdef void _dequantize_f32(const dredfx_dred_payload *p, const dredfx_dred_stats *st,
                          float *state, float *latents) noexcept nogil:
    """libopus' float values (dnn/dred_decoder.c dred_decode_latents: q * 256.f / scale, scale 0
    read as 1; the q-feature q_level * .125f - 1). Float, as libopus, for comparing with it: the
    fixed-point path is dredfx_dred_dequantize."""
    cdef int c, k, lv
    cdef const uint8_t *s = st.state_scale_q8 + p.q0 * DREDFX_DRED_STATE_DIM
    for k in range(DREDFX_DRED_STATE_DIM):
        state[k] = <float>p.state[k] * <float>256 / <float>(s[k] if s[k] else 1)
    for c in range(p.nb_latents):
        lv = p.level[c]
        s = st.latent_scale_q8 + lv * DREDFX_DRED_LATENT_DIM
        for k in range(DREDFX_DRED_LATENT_DIM):
            latents[k] = <float>p.latents[c][k] * <float>256 / <float>(s[k] if s[k] else 1)
        latents[DREDFX_DRED_LATENT_DIM] = <float>lv * <float>0.125 - <float>1
        latents += DREDFX_DRED_LATENT_DIM + 1


cdef object _to_payload(const dredfx_dred_payload *p, _Stats st, bytes data):
    cdef float state[DREDFX_DRED_STATE_DIM]
    cdef float latents[DREDFX_DRED_MAX_LATENTS * (DREDFX_DRED_LATENT_DIM + 1)]
    cdef cnp.npy_intp dims[2]
    _dequantize_f32(p, &st.c, state, latents)
    dims[0] = DREDFX_DRED_STATE_DIM
    state_q = array_out(p.state, 1, dims, cnp.NPY_INT32)
    state_f = array_out(state, 1, dims, cnp.NPY_FLOAT32)
    dims[0] = p.nb_latents
    levels = array_out(p.level, 1, dims, cnp.NPY_UINT8)
    dims[1] = DREDFX_DRED_LATENT_DIM
    latents_q = array_out(p.latents, 2, dims, cnp.NPY_INT32)
    dims[1] = DREDFX_DRED_LATENT_DIM + 1
    latents_f = array_out(latents, 2, dims, cnp.NPY_FLOAT32)
    return DredPayload(p.q0, p.dq, p.qmax, p.dred_offset, p.dred_frame_offset, p.nb_latents,
                       p.ec_bits, None, None, state_q, latents_q, levels, state_f, latents_f, data)


cdef int _from_payload(payload, dredfx_dred_payload *p) except -1:
    if not isinstance(payload, DredPayload):
        raise _errors.ArgumentTypeError("payload must be a DredPayload, not %s"
                                        % type(payload).__name__)
    memset(p, 0, sizeof(dredfx_dred_payload))
    p.q0, p.dq, p.qmax, p.dred_offset, p.dred_frame_offset = [
        int_in(getattr(payload, f), "payload." + f, -2**31, INT32_MAX)
        for f in ("q0", "dq", "qmax", "dred_offset", "dred_frame_offset")]
    p.nb_latents = int_in(payload.nb_latents, "payload.nb_latents", 0, DREDFX_DRED_MAX_LATENTS)
    state = np.asarray(payload.state_q).reshape(-1)
    latents = np.asarray(payload.latents_q).reshape(-1, DREDFX_DRED_LATENT_DIM)
    if state.shape[0] != DREDFX_DRED_STATE_DIM:
        bad_arg("payload.state_q", "must hold %d values" % DREDFX_DRED_STATE_DIM)
    if latents.shape[0] < p.nb_latents:
        bad_arg("payload.latents_q", "must hold nb_latents rows")
    latents = latents[:p.nb_latents]
    # Any int32 value (libopus' int); nothing is clamped.
    for name, a in (("payload.state_q", state), ("payload.latents_q", latents)):
        if a.size and (a.min() < -2**31 or a.max() > INT32_MAX):
            bad_arg(name, "holds a value outside int32")
    cdef const int32_t[::1] sv = np.ascontiguousarray(state, np.int32)
    cdef const int32_t[:, ::1] lv = np.ascontiguousarray(latents, np.int32)
    cdef int c, k
    for k in range(DREDFX_DRED_STATE_DIM):
        p.state[k] = sv[k]
    for c in range(p.nb_latents):
        for k in range(DREDFX_DRED_LATENT_DIM):
            p.latents[c][k] = lv[c, k]
    return 0


def level(q0, dq, qmax, i):
    """Quantizer level of chunk i (0 = newest)."""
    a = [int_in(v, n, -2**31, INT32_MAX) for v, n in ((q0, "q0"), (dq, "dq"), (qmax, "qmax"), (i, "i"))]
    return check(dredfx_dred_level(a[0], a[1], a[2], a[3]), "level(q0, dq, qmax, i)")


def decode_payload(data, min_feature_frames=104, dred_frame_offset=0, weights=None):
    """Decodes the range-coded bytes after 'D', 12 (dred_ec_decode)."""
    cdef bytes raw = bytes_in(data, "data")
    cdef int mff = int_in(min_feature_frames, "min_feature_frames", 0, INT32_MAX)
    cdef int fo = int_in(dred_frame_offset, "dred_frame_offset", -2**31, INT32_MAX)
    cdef _Stats st = _stats(weights)
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef dredfx_dred_payload p
    cdef int rc
    with nogil:
        rc = dredfx_dred_decode(ptr, n, mff, fo, &st.c, &p)
    check(rc, "decode_payload(min_feature_frames, dred_frame_offset)")
    return _to_payload(&p, st, raw)


cdef int _decode_coded(bytes raw, int fo, _Stats st, dredfx_dred_payload *p) except -1:
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef int rc
    with nogil:
        rc = dredfx_dred_decode_coded(ptr, n, fo, &st.c, p)
    return check(rc, "decode_coded(dred_frame_offset)")


def decode_coded(data, dred_frame_offset=0, weights=None):
    """(reproduced, DredPayload): every chunk the encoder coded, past libopus' stop rule
    (dredfx_dred_decode_coded); the stop rule's chunks when no count reproduces the bytes."""
    cdef bytes raw = bytes_in(data, "data")
    cdef int fo = int_in(dred_frame_offset, "dred_frame_offset", -2**31, INT32_MAX)
    cdef _Stats st = _stats(weights)
    cdef dredfx_dred_payload p
    cdef int rc = _decode_coded(raw, fo, st, &p)
    out = _to_payload(&p, st, raw)
    out.reproduced = rc == 1
    return out.reproduced, out


def find_dred(packet):
    """(payload bytes after 'D', 12, dred_frame_offset) of the packet's DRED extension, or
    (None, 0)."""
    cdef bytes raw = bytes_in(packet, "packet")
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef const unsigned char *payload
    cdef int32_t payload_len
    cdef int frame_offset, rc
    with nogil:
        rc = dredfx_dred_find(ptr, n, &payload, &payload_len, &frame_offset)
    if check(rc, "packet") == 0:
        return None, 0
    return raw[payload - ptr:payload - ptr + payload_len], frame_offset


def parse_dred(packet, max_dred_samples=48000, sampling_rate=48000, weights=None,
               coded_chunks=False):
    """The packet's DredPayload as libopus 1.6.1's opus_dred_parse reads it, or None when it
    carries no DRED.

    packet: the Opus packet (bytes-like). payload.samples is opus_dred_parse's return value (audio
    covered, in samples at sampling_rate) and payload.dred_end its dred_end. Raises
    InvalidPacketError where libopus returns OPUS_INVALID_PACKET (a malformed packet, or a
    malformed extension before the DRED one). weights: see the module.

    coded_chunks: the latents are every chunk the encoder coded (see decode_coded), also those
    that libopus' stop rule or max_dred_samples leave out; nb_latents, levels, ec_bits and
    reproduced follow them, while samples and dred_end stay what opus_dred_parse returns."""
    cdef bytes raw = bytes_in(packet, "packet")
    cdef int32_t mds = int_in(max_dred_samples, "max_dred_samples", 0, INT32_MAX)
    cdef int32_t fs = int_in(sampling_rate, "sampling_rate", 1, INT32_MAX)
    cdef _Stats st = _stats(weights)
    cdef const unsigned char *ptr = raw
    cdef int32_t n = len(raw)
    cdef const unsigned char *payload
    cdef int32_t payload_len, dred_end = 0
    cdef int frame_offset, rc, found
    cdef dredfx_dred_payload p
    with nogil:
        rc = dredfx_dred_parse(ptr, n, mds, fs, &st.c, &p, &dred_end)
        found = dredfx_dred_find(ptr, n, &payload, &payload_len, &frame_offset) if rc >= 0 else 0
    check(rc, "packet")  # the arguments are checked above
    if found <= 0:
        return None
    data = raw[payload - ptr:payload - ptr + payload_len]
    reproduced = None
    if coded_chunks:
        reproduced = _decode_coded(data, frame_offset, st, &p) == 1
    out = _to_payload(&p, st, data)
    out.samples = rc
    out.dred_end = dred_end
    out.reproduced = reproduced
    return out


def encode_payload(payload, weights=None, maxlen=None):
    """Range-codes a DredPayload as libopus' encoder does (bytes after 'D', 12). maxlen None:
    no limit."""
    cdef dredfx_dred_payload p
    _from_payload(payload, &p)
    cdef _Stats st = _stats(weights)
    cdef int32_t size = 4096 if maxlen is None else int_in(maxlen, "maxlen", 0, INT32_MAX)
    cdef unsigned char *buf
    cdef int rc
    while True:
        out = bytearray(max(size, 1))
        buf = out
        with nogil:
            rc = dredfx_dred_encode(buf, size, &p, &st.c)
        if rc >= 0:
            return bytes(out[:rc])
        if rc != DREDFX_ERR_BUFFER_TOO_SMALL or maxlen is not None or size >= (1 << 30):
            check(rc, "encode_payload(payload, maxlen)")
        size *= 8


def dequantize_q16(payload, weights=None):
    """The C dequantization: (state int32[50], latents int32[26, 26]) in Q16, rounded half away
    from zero and saturated at +-(2^31 - 1) (the Q16 format's range); column 25 is the q-feature
    level / 8 - 1; rows past nb_latents are 0."""
    cdef dredfx_dred_payload p
    _from_payload(payload, &p)
    cdef _Stats st = _stats(weights)
    state = np.zeros(DREDFX_DRED_STATE_DIM, np.int32)
    latents = np.zeros((DREDFX_DRED_MAX_LATENTS, DREDFX_DRED_LATENT_DIM + 1), np.int32)
    cdef int32_t[::1] sv = state
    cdef int32_t[:, ::1] lv = latents
    cdef int rc
    with nogil:
        rc = dredfx_dred_dequantize(&p, &st.c, &sv[0], &lv[0, 0])
    check(rc, "dequantize_q16(payload)")
    return state, latents


def dequantize(payload, weights=None):
    """libopus' float values (state float32[50], latents float32[nb_latents, 26])."""
    cdef dredfx_dred_payload p
    _from_payload(payload, &p)
    cdef _Stats st = _stats(weights)
    cdef int c
    for c in range(max(p.nb_latents, 1)):  # also checks q0, which indexes the state tables
        p.level[c] = check(dredfx_dred_level(p.q0, p.dq, p.qmax, c),
                           "dequantize(payload.q0, payload.dq, payload.qmax)")
    out = _to_payload(&p, st, None)
    return out.state, out.latents
