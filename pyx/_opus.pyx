# dredfx._opus: libopus 1.6.1's opus.h through dredfx-opus (c/opus/: libopus' codec with DRED,
# deep PLC and FARGAN on dredfx's fixed-point models). Thin: arguments checked here, every codec
# call made without the GIL. One object per thread (the C states are not locked); objects of one
# kind in several threads give the same results as in one. dredfx.opus is the public face.
from libc.stdint cimport int16_t, int32_t
from libc.string cimport memcpy
cimport numpy as cnp

from cdredfx_opus cimport *

import numpy as np

from dredfx import errors as _errors
from dredfx._types import as_bytes as _as_bytes

cnp.import_array()

# opus_demo's packet limit: the room the encoder's DRED budget is computed from.
DEF MAX_PACKET = 1500
DEF MAX_FRAME_MS = 120
RATES = (8000, 12000, 16000, 24000, 48000)
_APPLICATIONS = {"voip": OPUS_APPLICATION_VOIP, "audio": OPUS_APPLICATION_AUDIO,
                 "restricted_lowdelay": OPUS_APPLICATION_RESTRICTED_LOWDELAY}
_FRAME_MS = (2.5, 5, 10, 20, 40, 60, 80, 100, 120)


cdef int _check(int rc, str where) except -1:
    """rc when not negative; else the dredfx exception of that libopus error code."""
    if rc >= 0:
        return rc
    msg = "%s: %s" % (where, opus_strerror(rc).decode())
    if rc == OPUS_BAD_ARG:
        raise _errors.InvalidArgumentError(msg, rc)
    if rc == OPUS_INVALID_PACKET:
        raise _errors.InvalidPacketError(msg, rc)
    if rc == OPUS_BUFFER_TOO_SMALL:
        raise _errors.BufferTooSmallError(msg, rc)
    raise _errors.DredfxError(msg, rc)


cdef object _int(x):
    """x as a Python int (NumPy integers too), or None; bool is not an int here."""
    if isinstance(x, bool):
        return None
    try:
        return x.__index__()
    except AttributeError:
        return None


cdef _bad(str what):
    raise _errors.InvalidArgumentError(what, OPUS_BAD_ARG)


cdef int _rate(sampling_rate) except -1:
    if sampling_rate not in RATES:
        _bad("sampling_rate must be one of %s, not %r" % (RATES, sampling_rate))
    return sampling_rate


cdef int _channels(channels) except -1:
    if channels not in (1, 2):
        _bad("channels must be 1 or 2, not %r" % (channels,))
    return channels


cdef bytes _packet(packet):
    cdef bytes b = _as_bytes(packet, "packet")
    if len(b) > 0x7fffffff:
        _bad("packet is longer than 2^31 - 1 bytes")
    return b


def packet_has_lbrr(packet):
    """opus_packet_has_lbrr: packet carries SILK LBRR (in-band FEC) for the frame before it."""
    cdef bytes b = _packet(packet)
    return _check(opus_packet_has_lbrr(b, len(b)), "packet_has_lbrr") == 1


def version():
    """opus_get_version_string(): "libopus 1.6.1-dredfx-<dredfx version>"."""
    return opus_get_version_string().decode()


def weights_status():
    """0 when dredfx-opus has weights (the default blob is loaded on first use), else the negative
    dredfx error code of that load (dredfx_opus_weights_status)."""
    return dredfx_opus_weights_status()


def set_weights(blob):
    """Uses a dredfx weight blob (bytes) for every codec object made afterwards
    (dredfx_opus_set_weights); WeightsError if it does not parse or lacks a model."""
    cdef bytes b = _as_bytes(blob, "blob")
    cdef int rc = dredfx_opus_set_weights(b, len(b))
    if rc < 0:
        raise _errors.WeightsError("set_weights: dredfx error %d" % rc, rc)


cdef class Encoder:
    """opus_encoder_create + the ctls of the arguments: bitrate (b/s), complexity (0..10),
    frame_ms (2.5 .. 120), dred_ms (OPUS_SET_DRED_DURATION x 10 ms, 0 = off), lbrr
    (OPUS_SET_INBAND_FEC), loss_perc (OPUS_SET_PACKET_LOSS_PERC). Packets are limited to 1500
    bytes, as opus_demo's."""
    cdef OpusEncoder *st
    cdef readonly int sampling_rate, channels, frame_size, lookahead

    def __cinit__(self, sampling_rate=16000, channels=1, bitrate=24000, application="voip",
                  complexity=10, frame_ms=20, dred_ms=0, lbrr=False, loss_perc=0):
        cdef int err = 0
        cdef int32_t lookahead = 0
        self.sampling_rate = _rate(sampling_rate)
        self.channels = _channels(channels)
        if application not in _APPLICATIONS:
            _bad("application must be one of %s, not %r" % (sorted(_APPLICATIONS), application))
        if frame_ms not in _FRAME_MS:
            _bad("frame_ms must be one of %s, not %r" % (_FRAME_MS, frame_ms))
        dred, cplx, loss, rate = _int(dred_ms), _int(complexity), _int(loss_perc), _int(bitrate)
        if dred is None or not (0 <= dred <= 1040 and dred % 10 == 0):
            _bad("dred_ms must be a multiple of 10 in 0..1040, not %r" % (dred_ms,))
        if cplx is None or not 0 <= cplx <= 10:
            _bad("complexity must be 0..10, not %r" % (complexity,))
        if loss is None or not 0 <= loss <= 100:
            _bad("loss_perc must be 0..100, not %r" % (loss_perc,))
        if rate is None or not 500 <= rate <= 512000:
            _bad("bitrate must be 500..512000 b/s, not %r" % (bitrate,))
        self.frame_size = int(self.sampling_rate * frame_ms) // 1000
        self.st = opus_encoder_create(self.sampling_rate, self.channels, _APPLICATIONS[application], &err)
        _check(err, "Encoder")
        _check(opus_encoder_ctl(self.st, OPUS_SET_BITRATE_REQUEST, <int32_t>rate), "bitrate")
        _check(opus_encoder_ctl(self.st, OPUS_SET_COMPLEXITY_REQUEST, <int32_t>cplx), "complexity")
        _check(opus_encoder_ctl(self.st, OPUS_SET_INBAND_FEC_REQUEST, <int32_t>(1 if lbrr else 0)), "lbrr")
        _check(opus_encoder_ctl(self.st, OPUS_SET_PACKET_LOSS_PERC_REQUEST, <int32_t>loss), "loss_perc")
        _check(opus_encoder_ctl(self.st, OPUS_SET_DRED_DURATION_REQUEST, <int32_t>(dred // 10)), "dred_ms")
        _check(opus_encoder_ctl(self.st, OPUS_GET_LOOKAHEAD_REQUEST, &lookahead), "lookahead")
        self.lookahead = lookahead

    def __dealloc__(self):
        if self.st != NULL:
            opus_encoder_destroy(self.st)

    def encode(self, pcm):
        """One frame: frame_size samples (x channels, interleaved or shaped (n, channels)), int16
        or float32 (+-1.0 full scale) -> the packet."""
        a = np.ascontiguousarray(pcm).reshape(-1)
        if a.size != self.frame_size * self.channels:
            _bad("encode: pcm must hold %d samples, not %d" % (self.frame_size * self.channels, a.size))
        cdef unsigned char buf[MAX_PACKET]
        cdef int32_t n
        cdef const int16_t[::1] v16
        cdef const float[::1] vf
        if a.dtype == np.int16:
            v16 = a
            with nogil:
                n = opus_encode(self.st, &v16[0], self.frame_size, buf, MAX_PACKET)
        elif a.dtype == np.float32:
            vf = a
            with nogil:
                n = opus_encode_float(self.st, &vf[0], self.frame_size, buf, MAX_PACKET)
        else:
            _bad("encode: pcm must be int16 or float32, not %s" % a.dtype)
        _check(n, "encode")
        return buf[:n]

    def encode_all(self, pcm):
        """A whole signal -> its packets; the last frame is padded with zeros."""
        a = np.ascontiguousarray(pcm).reshape(-1)
        if a.dtype != np.int16 and a.dtype != np.float32:
            _bad("encode_all: pcm must be int16 or float32, not %s" % a.dtype)
        step = self.frame_size * self.channels
        tail = -a.size % step
        if tail:
            a = np.concatenate([a, np.zeros(tail, a.dtype)])
        return [self.encode(a[i:i + step]) for i in range(0, a.size, step)]


cdef class Dred:
    """One packet's parsed DRED (OpusDRED): available_samples (opus_dred_parse's return) and
    dred_end, at the sampling rate it was parsed for. Decoder.decode_dred uses it."""
    cdef OpusDRED *st
    cdef readonly int available_samples, dred_end, sampling_rate

    def __dealloc__(self):
        opus_dred_free(self.st)


cdef class DredDecoder:
    """opus_dred_decoder_create (needs dredfx's weights: WeightsError without them). parse() gives
    a Dred, or None when the packet carries no usable DRED."""
    cdef OpusDREDDecoder *st
    cdef readonly int sampling_rate

    def __cinit__(self, sampling_rate=16000):
        cdef int err = 0
        self.sampling_rate = _rate(sampling_rate)
        self.st = opus_dred_decoder_create(&err)
        if err == OPUS_UNIMPLEMENTED:
            raise _errors.WeightsError(
                "DredDecoder: no DRED model: dredfx-opus found no usable weights (dredfx error %d); "
                "run `python -m dredfx weights import` or set DREDFX_WEIGHTS" % dredfx_opus_weights_status(), err)
        _check(err, "DredDecoder")

    def __dealloc__(self):
        if self.st != NULL:
            opus_dred_decoder_destroy(self.st)

    def parse(self, packet, max_dred_samples, sampling_rate=None):
        """opus_dred_parse(packet, max_dred_samples, sampling_rate) with processing (the RDO-VAE
        decoder runs here)."""
        cdef bytes b = _packet(packet)
        cdef int rate = self.sampling_rate if sampling_rate is None else _rate(sampling_rate)
        cdef int err = 0, end = 0, ret
        cdef int32_t max_samples
        m = _int(max_dred_samples)
        if m is None or not 0 <= m <= 0x7fffffff // 100:
            _bad("max_dred_samples must be a non-negative int, not %r" % (max_dred_samples,))
        max_samples = m
        cdef Dred d = Dred.__new__(Dred)
        d.st = opus_dred_alloc(&err)
        _check(err, "parse")
        cdef const unsigned char *data = b
        cdef int32_t n = len(b)
        with nogil:
            ret = opus_dred_parse(self.st, d.st, data, n, max_samples, rate, &end, 0)
        _check(ret, "parse")
        if ret == 0:
            return None
        d.available_samples = ret
        d.dred_end = end
        d.sampling_rate = rate
        return d


cdef class Decoder:
    """opus_decoder_create + OPUS_SET_COMPLEXITY (5: deep PLC on, OSCE is not built). decode()
    returns int16 samples ((n,) mono, (n, 2) stereo)."""
    cdef OpusDecoder *st
    cdef readonly int sampling_rate, channels

    def __cinit__(self, sampling_rate=16000, channels=1, complexity=5):
        cdef int err = 0
        self.sampling_rate = _rate(sampling_rate)
        self.channels = _channels(channels)
        cplx = _int(complexity)
        if cplx is None or not 0 <= cplx <= 10:
            _bad("complexity must be 0..10, not %r" % (complexity,))
        self.st = opus_decoder_create(self.sampling_rate, self.channels, &err)
        _check(err, "Decoder")
        _check(opus_decoder_ctl(self.st, OPUS_SET_COMPLEXITY_REQUEST, <int32_t>cplx), "complexity")

    def __dealloc__(self):
        if self.st != NULL:
            opus_decoder_destroy(self.st)

    cdef int _frame_size(self, frame_size, int default) except -1:
        if frame_size is None:
            return default
        n = _int(frame_size)
        if n is None or not 0 < n <= self.sampling_rate * MAX_FRAME_MS // 1000:
            _bad("frame_size must be 1..%d samples, not %r" % (self.sampling_rate * MAX_FRAME_MS // 1000, frame_size))
        return n

    cdef _out(self, cnp.ndarray out, int n):
        return out[:n * self.channels].reshape(n, self.channels) if self.channels == 2 else out[:n]

    def decode(self, packet, frame_size=None, fec=False):
        """packet bytes -> its samples; None (or b"") -> a loss concealed by the PLC (frame_size
        samples, default the last packet's duration); fec=True -> the previous, lost frame from
        packet's LBRR (frame_size default: packet's duration)."""
        cdef int32_t last = 0
        cdef int n, ret
        cdef bytes b = b"" if packet is None else _packet(packet)
        cdef const unsigned char *data = NULL
        cdef int32_t length = len(b)
        if length:
            data = b
        if length == 0:
            if fec:
                _bad("decode: fec needs the packet after the loss")
            _check(opus_decoder_ctl(self.st, OPUS_GET_LAST_PACKET_DURATION_REQUEST, &last), "decode")
            n = self._frame_size(frame_size, last if last > 0 else self.sampling_rate // 50)
        elif fec:
            n = self._frame_size(frame_size, _check(opus_packet_get_nb_samples(data, length, self.sampling_rate), "decode"))
        else:
            n = self._frame_size(frame_size, self.sampling_rate * MAX_FRAME_MS // 1000)
        out = np.zeros(n * self.channels, np.int16)
        cdef int16_t[::1] v = out
        cdef int use_fec = 1 if fec else 0
        with nogil:
            ret = opus_decode(self.st, data, length, &v[0], n, use_fec)
        _check(ret, "decode")
        return self._out(out, ret)

    def decode_dred(self, Dred dred not None, offset_samples, frame_size):
        """opus_decoder_dred_decode: frame_size samples ending offset_samples before the packet
        dred came from (decoder samples; 0 < offset_samples <= dred.available_samples)."""
        cdef int n = self._frame_size(frame_size, 0)
        cdef int ret
        o = _int(offset_samples)
        if o is None or not 0 <= o <= 0x7fffffff // 100:
            _bad("offset_samples must be a non-negative int, not %r" % (offset_samples,))
        cdef int32_t off = o
        out = np.zeros(n * self.channels, np.int16)
        cdef int16_t[::1] v = out
        with nogil:
            ret = opus_decoder_dred_decode(self.st, dred.st, off, &v[0], n)
        _check(ret, "decode_dred")
        return self._out(out, ret)

    def reset(self):
        """OPUS_RESET_STATE."""
        _check(opus_decoder_ctl(self.st, OPUS_RESET_STATE), "reset")
