"""Pure-Python twin of c/src/dred/dred.c: the DRED payload of libopus 1.6.1.

Finding the DRED extension in a packet (src/opus_decoder.c dred_find_payload), the range-coded
payload (dnn/dred_decoder.c dred_ec_decode, dnn/dred_encoder.c dred_encode_silk_frame), quantizer
levels (dnn/dred_coding.c compute_quantizer) and dequantization (dnn/dred_decoder.c
dred_decode_latents). The quantizer tables come from the weights: a mapping of libopus' array
names (dnn/dred_rdovae_stats_data.c), or the imported blob read by dredfx.ref.weights.
"""
import copy

import numpy as np

from .._types import LATENT_DIM, MAX_LATENTS, STATE_DIM, DredPayload, as_bytes
from ..errors import (ERR_BAD_ARG, ERR_BUFFER_TOO_SMALL, ArgumentTypeError, BufferTooSmallError,
                      InvalidArgumentError)
from . import ec as _ec
from . import packet as _packet
from . import weights as _weights

EXTENSION_ID = 126
VERSION = 12
PREFIX = bytes((ord("D"), VERSION))
NUM_LEVELS = 16
NUM_REDUNDANCY_FRAMES = 52
MAX_TOTAL_OFFSET = 32 * 255 + 31
MAX_FRAME_OFFSET = 48
MAX_SAMPLING_RATE = 768000
# decode_coded re-encodes at most this many bytes (libopus' encoder writes at most 1000).
CODED_MAX_BYTES = 2048
DQ_TABLE = (0, 2, 3, 4, 6, 8, 12, 16)

STATS_NAMES = {
    "latent_scale": ("dred_latent_quant_scales_q8", NUM_LEVELS * LATENT_DIM),
    "latent_dead_zone": ("dred_latent_dead_zone_q8", NUM_LEVELS * LATENT_DIM),
    "latent_r": ("dred_latent_r_q8", NUM_LEVELS * LATENT_DIM),
    "latent_p0": ("dred_latent_p0_q8", NUM_LEVELS * LATENT_DIM),
    "state_scale": ("dred_state_quant_scales_q8", NUM_LEVELS * STATE_DIM),
    "state_dead_zone": ("dred_state_dead_zone_q8", NUM_LEVELS * STATE_DIM),
    "state_r": ("dred_state_r_q8", NUM_LEVELS * STATE_DIM),
    "state_p0": ("dred_state_p0_q8", NUM_LEVELS * STATE_DIM),
}


def stats_arrays(weights):
    """The eight quantizer tables as flat uint8 arrays, keyed as STATS_NAMES.

    weights: a mapping of libopus array names (e.g. dredfx.ref.weights.load()), an object with
    such a mapping as .arrays, or None for the imported blob (dredfx.ref.weights.default())."""
    if weights is None:
        weights = _weights.default()
    if isinstance(weights, dict) and "state_scale" in weights:
        return weights  # already converted
    arrays = getattr(weights, "arrays", weights)
    out = {}
    for key, (name, size) in STATS_NAMES.items():
        try:
            a = np.ascontiguousarray(arrays[name], dtype=np.uint8).reshape(-1)
        except (KeyError, TypeError, IndexError) as e:
            raise InvalidArgumentError(f"weights has no array {name}", ERR_BAD_ARG) from e
        if a.size != size:
            raise InvalidArgumentError(f"weights: {name} has {a.size} entries, expected {size}",
                                       ERR_BAD_ARG)
        out[key] = a
    return out


def _cdiv(a, b):
    """C integer division (truncation toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _skipped(r, p0):
    return r == 0 or p0 == 255


def _qmax_coded(q0, dq):
    return q0 < 14 and dq > 0


def _level(q0, dq, qmax, i):
    return min(qmax, q0 + (DQ_TABLE[dq] * i + 8) // 16)


def level(q0, dq, qmax, i):
    """Quantizer level of chunk i (0 = newest)."""
    if not (0 <= q0 < NUM_LEVELS and 0 <= dq <= 7 and 0 <= qmax < NUM_LEVELS
            and 0 <= i < MAX_LATENTS):
        raise InvalidArgumentError("level: q0, dq, qmax or i out of range (q0 %r, dq %r, qmax %r, i %r)"
                                   % (q0, dq, qmax, i), ERR_BAD_ARG)
    return _level(q0, dq, qmax, i)


def _decode_values(dec, r, p0):
    # libopus' int, kept whatever its size (the decoder caps a magnitude at 2^31 - 1).
    out = np.zeros(len(r), np.int32)
    for k in range(len(r)):
        if not _skipped(r[k], p0[k]):
            out[k] = _ec.laplace_decode_p0(dec, int(p0[k]) << 7, int(r[k]) << 7)
    return out


def _decode_header(dec, dred_frame_offset, st):
    q0 = dec.dec_uint(16)
    dq = dec.dec_uint(8)
    extra = 32 * dec.dec_uint(256) if dec.dec_uint(2) else 0
    dred_offset = 16 - dec.dec_uint(32) - extra + dred_frame_offset
    qmax = 15
    if _qmax_coded(q0, dq):
        nvals = 14 - q0
        s = dec.decode(2 * nvals)
        if s >= nvals:
            qmax = q0 + 1 + (s - nvals)
            dec.update(s, s + 1, 2 * nvals)
        else:
            dec.update(0, nvals, 2 * nvals)
    so = q0 * STATE_DIM
    state_q = _decode_values(dec, st["state_r"][so:so + STATE_DIM], st["state_p0"][so:so + STATE_DIM])
    return DredPayload(q0=q0, dq=dq, qmax=qmax, dred_offset=dred_offset,
                       dred_frame_offset=dred_frame_offset, state_q=state_q)


def _decode_chunk(dec, p, c, st):
    lo = _level(p.q0, p.dq, p.qmax, c) * LATENT_DIM
    return _decode_values(dec, st["latent_r"][lo:lo + LATENT_DIM], st["latent_p0"][lo:lo + LATENT_DIM])


def _byte_left(dec, n):
    # libopus 1.6.1's stop rule: a chunk is decoded only while a whole byte is left.
    return 8 * n - dec.tell() > 7


def _with_chunks(p, latents, ec_bits, data, st):
    n = len(latents)
    p.nb_latents = n
    p.ec_bits = ec_bits
    p.latents_q = np.array(latents, np.int32).reshape(-1, LATENT_DIM)
    p.levels = np.array([_level(p.q0, p.dq, p.qmax, c) for c in range(n)], np.uint8)
    p.payload = data
    p.state, p.latents = dequantize(p, st)
    return p


def _frame_offset_ok(dred_frame_offset):
    if not 0 <= dred_frame_offset <= MAX_FRAME_OFFSET:
        raise InvalidArgumentError("dred_frame_offset must be in 0..%d, got %r"
                                   % (MAX_FRAME_OFFSET, dred_frame_offset), ERR_BAD_ARG)


def decode_payload(data, min_feature_frames=104, dred_frame_offset=0, weights=None):
    """Decodes the range-coded bytes after 'D', 12 as dred_ec_decode does. Never fails on short
    input: fewer chunks are decoded."""
    if min_feature_frames < 0:
        raise InvalidArgumentError("min_feature_frames must be >= 0, got %r" % min_feature_frames,
                                   ERR_BAD_ARG)
    _frame_offset_ok(dred_frame_offset)
    data = as_bytes(data, "data")
    st = stats_arrays(weights)
    dec = _ec.Decoder(data)
    p = _decode_header(dec, dred_frame_offset, st)
    latents = []
    for i in range(0, min(NUM_REDUNDANCY_FRAMES, (min_feature_frames + 1) // 2), 2):
        if not _byte_left(dec, len(data)):
            break
        latents.append(_decode_chunk(dec, p, i // 2, st))
    return _with_chunks(p, latents, dec.tell(), data, st)


def decode_coded(data, dred_frame_offset=0, weights=None):
    """(reproduced, DredPayload): every chunk the encoder coded, including the last ones of under
    8 bits that libopus 1.6.1's stop rule never reads. Decodes past that rule while bits remain
    and keeps the smallest chunk count (>= the stop rule's) whose encode_payload is the input;
    when none is (bytes not from a libopus-style encoder, or over CODED_MAX_BYTES: not tried),
    reproduced is False and the chunks are the stop rule's (decode_payload with 104)."""
    _frame_offset_ok(dred_frame_offset)
    data = as_bytes(data, "data")
    st = stats_arrays(weights)
    dec = _ec.Decoder(data)
    p = _decode_header(dec, dred_frame_offset, st)
    latents, tell, stop = [], [dec.tell()], None
    # A chunk ends no later than bit 8 * len; one that costs under a whole bit can start there.
    while len(latents) < MAX_LATENTS and dec.tell() <= 8 * len(data):
        if stop is None and not _byte_left(dec, len(data)):
            stop = len(latents)
        latents.append(_decode_chunk(dec, p, len(latents), st))
        tell.append(dec.tell())
    if stop is None:
        stop = len(latents)
    found = None
    if len(data) <= CODED_MAX_BYTES:
        q = copy.copy(p)
        q.latents_q = np.array(latents, np.int32).reshape(-1, LATENT_DIM)
        for k in range(stop, len(latents) + 1):
            q.nb_latents = k
            try:
                again = encode_payload(q, st, maxlen=len(data))
            except (InvalidArgumentError, BufferTooSmallError):
                continue
            if again == data:
                found = k
                break
    k = stop if found is None else found
    p = _with_chunks(p, latents[:k], tell[k], data, st)
    p.reproduced = found is not None
    return p.reproduced, p


def _accept(ext_data):
    return len(ext_data) > 2 and ext_data[0] == PREFIX[0] and ext_data[1] == PREFIX[1]


def find_dred(packet):
    """(payload bytes after 'D', 12, dred_frame_offset) of the first DRED extension, or
    (None, 0). Raises InvalidPacketError for a packet error, or an extension error that comes
    before the DRED extension."""
    info = _packet.parse_packet(packet)
    if not info.padding:
        return None, 0
    ext = _packet.find_extension(info.padding, info.nb_frames, EXTENSION_ID,
                                 accept=lambda e: _accept(e[2]))
    if ext is None:
        return None, 0
    _, frame, data = ext
    return bytes(data[2:]), frame * info.samples_per_frame // 120


def parse_dred(packet, max_dred_samples=48000, sampling_rate=48000, weights=None):
    """opus_dred_parse: the DredPayload (samples = return value, dred_end set) or None when the
    packet carries no DRED."""
    if max_dred_samples < 0:
        raise InvalidArgumentError("max_dred_samples must be >= 0, got %r" % max_dred_samples,
                                   ERR_BAD_ARG)
    if not 0 < sampling_rate <= MAX_SAMPLING_RATE:
        raise InvalidArgumentError("sampling_rate must be in 1..%d, got %r"
                                   % (MAX_SAMPLING_RATE, sampling_rate), ERR_BAD_ARG)
    packet = as_bytes(packet, "packet")
    st = stats_arrays(weights)
    payload, frame_offset = find_dred(packet)
    if payload is None:
        return None
    mff = min(2 + 100 * max_dred_samples // sampling_rate, 2 * NUM_REDUNDANCY_FRAMES)
    p = decode_payload(payload, mff, frame_offset, st)
    end = _cdiv(-p.dred_offset * sampling_rate, 400)
    p.dred_end = max(0, end)
    p.samples = max(0, p.nb_latents * sampling_rate // 25 + end)
    return p


def _check_values(values, r, p0):
    for k in range(len(r)):
        v = int(values[k])
        if not -2**31 <= v < 2**31:
            return False
        if _skipped(r[k], p0[k]):
            if v != 0:
                return False
        elif v == 0 and p0[k] == 0:
            return False  # P(0) = 0: no range to code a zero in
    return True


def _encode_fields(enc, p, total_offset, st, latents_q):
    enc.enc_uint(p.q0, 16)
    enc.enc_uint(p.dq, 8)
    if total_offset > 31:
        enc.enc_uint(1, 2)
        enc.enc_uint(total_offset >> 5, 256)
        enc.enc_uint(total_offset & 31, 32)
    else:
        enc.enc_uint(0, 2)
        enc.enc_uint(total_offset, 32)
    if _qmax_coded(p.q0, p.dq):
        nvals = 14 - p.q0
        if p.qmax == 15:
            enc.encode(0, nvals, 2 * nvals)
        else:
            s = nvals + p.qmax - p.q0 - 1
            enc.encode(s, s + 1, 2 * nvals)
    so = p.q0 * STATE_DIM
    _encode_values(enc, p.state_q, st["state_r"][so:so + STATE_DIM], st["state_p0"][so:so + STATE_DIM])
    for c in range(p.nb_latents):
        lo = _level(p.q0, p.dq, p.qmax, c) * LATENT_DIM
        _encode_values(enc, latents_q[c], st["latent_r"][lo:lo + LATENT_DIM],
                       st["latent_p0"][lo:lo + LATENT_DIM])


def _encode_values(enc, values, r, p0):
    for k in range(len(r)):
        if not _skipped(r[k], p0[k]):
            _ec.laplace_encode_p0(enc, int(values[k]), int(p0[k]) << 7, int(r[k]) << 7)


def encode_payload(payload, weights=None, maxlen=None):
    """Range-codes the fields and the first nb_latents chunks as libopus' encoder does (bytes
    after 'D', 12; the bytes are ceil(ec_tell / 8) long). maxlen None: no limit."""
    p = check_payload(payload)
    if not (0 <= p.q0 < NUM_LEVELS and 0 <= p.dq <= 7 and 0 <= p.nb_latents <= MAX_LATENTS
            and 0 <= p.dred_frame_offset <= MAX_FRAME_OFFSET):
        raise InvalidArgumentError("payload: q0, dq, nb_latents or dred_frame_offset out of range",
                                   ERR_BAD_ARG)
    if (not p.q0 < p.qmax <= 15) if _qmax_coded(p.q0, p.dq) else p.qmax != 15:
        raise InvalidArgumentError("payload: qmax is not what a decoder reconstructs", ERR_BAD_ARG)
    total_offset = 16 - (p.dred_offset - p.dred_frame_offset)
    if not 0 <= total_offset <= MAX_TOTAL_OFFSET:
        raise InvalidArgumentError("payload: dred_offset out of range", ERR_BAD_ARG)
    st = stats_arrays(weights)
    state_q = np.asarray(p.state_q).reshape(-1)
    latents_q = np.asarray(p.latents_q).reshape(-1, LATENT_DIM)
    if state_q.size != STATE_DIM or latents_q.shape[0] < p.nb_latents:
        raise InvalidArgumentError("payload: state_q or latents_q too short", ERR_BAD_ARG)
    so = p.q0 * STATE_DIM
    ok = _check_values(state_q, st["state_r"][so:so + STATE_DIM], st["state_p0"][so:so + STATE_DIM])
    for c in range(p.nb_latents):
        lo = _level(p.q0, p.dq, p.qmax, c) * LATENT_DIM
        ok = ok and _check_values(latents_q[c], st["latent_r"][lo:lo + LATENT_DIM],
                                  st["latent_p0"][lo:lo + LATENT_DIM])
    if not ok:
        raise InvalidArgumentError("payload: a value of state_q or latents_q cannot be coded at "
                                   "its level", ERR_BAD_ARG)
    size = 4096 if maxlen is None else maxlen
    while True:
        enc = _ec.Encoder(size)
        _encode_fields(enc, p, total_offset, st, latents_q)
        if enc.tell() <= 8 * size:
            break
        if maxlen is not None:
            raise BufferTooSmallError("payload does not fit in maxlen bytes", ERR_BUFFER_TOO_SMALL)
        size = (enc.tell() + 7) // 8
    # libopus cuts the coder back to whole bytes at its last kept chunk, then flushes.
    fill = (enc.tell() + 7) // 8
    enc.shrink(fill)
    enc.done()
    return bytes(enc.buffer[:fill])


def dequantize(payload, weights=None):
    """libopus' float values: (state float32[50], latents float32[nb_latents, 26]) with
    x = (float)q * 256 / (float)s (s = 0 -> 1) and the q-feature level * 0.125 - 1 last."""
    st = stats_arrays(weights)
    p = check_payload(payload)
    f256 = np.float32(256)
    s = st["state_scale"][p.q0 * STATE_DIM:(p.q0 + 1) * STATE_DIM].astype(np.float32)
    s[s == 0] = 1
    # (float)q rounds to nearest like the C conversion, for any int.
    state = np.asarray(p.state_q, np.int64).astype(np.float32) * f256 / s
    latents = np.zeros((p.nb_latents, LATENT_DIM + 1), np.float32)
    lq = np.asarray(p.latents_q, np.int64).reshape(-1, LATENT_DIM)
    for c in range(p.nb_latents):
        lv = _level(p.q0, p.dq, p.qmax, c)
        s = st["latent_scale"][lv * LATENT_DIM:(lv + 1) * LATENT_DIM].astype(np.float32)
        s[s == 0] = 1
        latents[c, :LATENT_DIM] = lq[c].astype(np.float32) * f256 / s
        latents[c, LATENT_DIM] = np.float32(lv * 0.125 - 1)
    return state, latents


def _q16(q, s):
    # Q16 holds |q * 256 / s| < 32768 only: beyond, the output format saturates.
    s = s or 1
    v = min((2 * (abs(q) << 24) + s) // (2 * s), 2**31 - 1)
    return -v if q < 0 else v


def dequantize_q16(payload, weights=None):
    """The C library's dequantization: (state int32[50], latents int32[26, 26]) in Q16,
    q * 256 / s rounded half away from zero, saturated at +-(2^31 - 1) (the range of the Q16
    format, not a change of q); q-feature level * 8192 - 65536; rows past nb_latents are zero."""
    st = stats_arrays(weights)
    p = check_payload(payload)
    ss = st["state_scale"][p.q0 * STATE_DIM:(p.q0 + 1) * STATE_DIM]
    state = np.array([_q16(int(q), int(s)) for q, s in zip(p.state_q, ss)], np.int32)
    latents = np.zeros((MAX_LATENTS, LATENT_DIM + 1), np.int32)
    lq = np.asarray(p.latents_q).reshape(-1, LATENT_DIM)
    for c in range(p.nb_latents):
        lv = _level(p.q0, p.dq, p.qmax, c)
        ls = st["latent_scale"][lv * LATENT_DIM:(lv + 1) * LATENT_DIM]
        latents[c, :LATENT_DIM] = [_q16(int(q), int(s)) for q, s in zip(lq[c], ls)]
        latents[c, LATENT_DIM] = lv * 8192 - 65536
    return state, latents


def build_extension(data):
    """The extension payload: 'D', 12 followed by the range-coded bytes."""
    return PREFIX + as_bytes(data, "data")


def check_payload(payload):
    """payload if it is a DredPayload, else an error naming the argument."""
    if not isinstance(payload, DredPayload):
        raise ArgumentTypeError("payload must be a DredPayload, not %s" % type(payload).__name__)
    return payload
