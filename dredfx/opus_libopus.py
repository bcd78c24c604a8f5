"""libopus 1.6.1 (float) through ctypes, with the API of dredfx.opus: the reference beside which
`dredfx simulate --compare-libopus` puts dredfx, and the codec of its "dredfx" rows where
dredfx.opus is not built (the report says so).

The library is libopus.so of a build by scripts/build-libopus.sh (the cache folder's
libopus-build/x86 or libopus-build/generic; $DREDFX_LIBOPUS_<VARIANT>, e.g. DREDFX_LIBOPUS_X86,
names another file). ``Backend(variant)`` holds one library; its ``Encoder``, ``Decoder`` and
``DredDecoder`` classes take the arguments of dredfx.opus's. The module-level classes are the x86
build's.

Decoding mirrors opus_demo (src/opus_demo.c): 24-bit output (opus_decode24,
opus_decoder_dred_decode24) rounded to 16 bits as opus_demo writes s16 files; the encoder takes
int16 frames with an LSB depth of 16 as opus_demo does for s16 input (24 for float32 frames).
"""
import ctypes
import os

import numpy as np

from .errors import DredfxError, InvalidArgumentError, InvalidPacketError
from .opus_source import cache_dir

__all__ = ["Backend", "Encoder", "Decoder", "DredDecoder", "Dred", "library_path", "VARIANTS"]

VARIANTS = ("x86", "generic")
RATES = (8000, 12000, 16000, 24000, 48000)
FRAME_MS = (2.5, 5, 10, 20, 40, 60, 80, 100, 120)
APPLICATIONS = {"voip": 2048, "audio": 2049, "restricted_lowdelay": 2051}
MAX_PACKET = 1500
MAX_DRED_MS = 1040  # DRED_MAX_FRAMES (104) 10 ms frames

SET_BITRATE, SET_COMPLEXITY, SET_INBAND_FEC, SET_PACKET_LOSS_PERC = 4002, 4010, 4012, 4014
GET_LOOKAHEAD, RESET_STATE, SET_LSB_DEPTH, SET_DRED_DURATION = 4027, 4028, 4036, 4050


def library_path(variant="x86"):
    """The libopus.so of a variant: $DREDFX_LIBOPUS_<VARIANT>, else the cache build's."""
    if variant not in VARIANTS:
        raise InvalidArgumentError("libopus variant must be one of %s, got %r" % (VARIANTS, variant))
    return os.environ.get("DREDFX_LIBOPUS_" + variant.upper()) or os.path.join(
        cache_dir(), "libopus-build", variant, "libopus.so")


def _load(path):
    if not os.path.exists(path):
        raise DredfxError("no libopus 1.6.1 shared library at %s: run scripts/build-libopus.sh %s"
                          % (path, os.path.basename(os.path.dirname(path))))
    lib = ctypes.CDLL(path)
    vp, i, p_i = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)
    u8p, i32p = ctypes.c_char_p, ctypes.POINTER(ctypes.c_int32)
    sig = {
        "opus_get_version_string": ([], ctypes.c_char_p),
        "opus_strerror": ([i], ctypes.c_char_p),
        "opus_encoder_create": ([i, i, i, p_i], vp),
        "opus_encoder_destroy": ([vp], None),
        "opus_encode": ([vp, ctypes.POINTER(ctypes.c_int16), i, u8p, i], i),
        "opus_encode_float": ([vp, ctypes.POINTER(ctypes.c_float), i, u8p, i], i),
        "opus_decoder_create": ([i, i, p_i], vp),
        "opus_decoder_destroy": ([vp], None),
        "opus_decode24": ([vp, u8p, i, i32p, i, i], i),
        "opus_decoder_dred_decode24": ([vp, vp, i, i32p, i], i),
        "opus_dred_decoder_create": ([p_i], vp),
        "opus_dred_decoder_destroy": ([vp], None),
        "opus_dred_alloc": ([p_i], vp),
        "opus_dred_free": ([vp], None),
        "opus_dred_parse": ([vp, vp, u8p, i, i, i, p_i, i], i),
    }
    for name, (args, res) in sig.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, res
    # The *_ctl functions are variadic: argtypes stay unset, every argument is passed explicitly.
    for name in ("opus_encoder_ctl", "opus_decoder_ctl"):
        getattr(lib, name).restype = i
    if not lib.opus_get_version_string().startswith(b"libopus 1.6.1"):
        raise DredfxError("%s is %s, not libopus 1.6.1" % (path, lib.opus_get_version_string().decode()))
    return lib


def _check(lib, ret, what):
    if ret < 0:
        raise DredfxError("libopus %s failed: %s" % (what, lib.opus_strerror(ret).decode()))
    return ret


def _int(name, value, allowed=None, lo=None, hi=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError("%s must be an integer, got %r" % (name, value))
    if (allowed is not None and value not in allowed) or (lo is not None and value < lo) or (
            hi is not None and value > hi):
        want = ("one of %s" % (allowed,)) if allowed is not None else "in [%s, %s]" % (lo, hi)
        raise InvalidArgumentError("%s must be %s, got %r" % (name, want, value))
    return int(value)


def _to_int16(out24, n, channels):
    """opus_demo's 24-bit to s16 rounding, clamped as it does."""
    s = np.clip(np.ctypeslib.as_array(out24)[:n * channels].astype(np.int64), -0x7fff00, 0x7fff00)
    s = ((s + 128) >> 8).astype(np.int16)
    return s if channels == 1 else s.reshape(n, channels)


_DEFAULT = []


class _Codec:
    _backend = None  # a Backend; None: the x86 build's, loaded on first use

    @property
    def _lib(self):
        if self._backend is None:
            if not _DEFAULT:
                _DEFAULT.append(Backend("x86"))
            return _DEFAULT[0].lib
        return self._backend.lib


class Encoder(_Codec):
    """An Opus encoder with DRED (dred_ms > 0, in 10 ms steps) and LBRR (lbrr=True), VBR.
    encode(pcm): one frame (sampling_rate * frame_ms / 1000 samples; int16 or float32, shape
    (n,) or (n, channels)) -> the packet bytes. encode_all(pcm): every frame of a signal, the last
    one zero-padded."""

    def __init__(self, sampling_rate=16000, channels=1, bitrate=24000, application="voip",
                 complexity=10, frame_ms=20, dred_ms=0, lbrr=False, loss_perc=0):
        self.sampling_rate = _int("sampling_rate", sampling_rate, RATES)
        self.channels = _int("channels", channels, (1, 2))
        self.bitrate = _int("bitrate", bitrate, lo=6000, hi=510000)
        if application not in APPLICATIONS:
            raise InvalidArgumentError("application must be one of %s, got %r" % (sorted(APPLICATIONS), application))
        self.complexity = _int("complexity", complexity, lo=0, hi=10)
        if frame_ms not in FRAME_MS:
            raise InvalidArgumentError("frame_ms must be one of %s, got %r" % (FRAME_MS, frame_ms))
        self.frame_ms = frame_ms
        self.frame_size = int(self.sampling_rate * frame_ms) // 1000
        self.dred_ms = _int("dred_ms", dred_ms, lo=0, hi=MAX_DRED_MS)
        if self.dred_ms % 10:
            raise InvalidArgumentError("dred_ms must be a multiple of 10, got %r" % dred_ms)
        self.lbrr = bool(lbrr)
        self.loss_perc = _int("loss_perc", loss_perc, lo=0, hi=100)
        lib, err = self._lib, ctypes.c_int()
        self._st = lib.opus_encoder_create(self.sampling_rate, self.channels,
                                           APPLICATIONS[application], ctypes.byref(err))
        _check(lib, err.value, "opus_encoder_create")
        self._destroy = lib.opus_encoder_destroy
        for req, v in ((SET_BITRATE, self.bitrate), (SET_COMPLEXITY, self.complexity),
                       (SET_INBAND_FEC, int(self.lbrr)), (SET_PACKET_LOSS_PERC, self.loss_perc),
                       (SET_LSB_DEPTH, 16)):
            _check(lib, lib.opus_encoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(req), ctypes.c_int(v)),
                   "encoder ctl %d" % req)
        self._lsb_depth = 16
        if self.dred_ms:
            _check(lib, lib.opus_encoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(SET_DRED_DURATION),
                                             ctypes.c_int(self.dred_ms // 10)), "OPUS_SET_DRED_DURATION")
        la = ctypes.c_int()
        lib.opus_encoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(GET_LOOKAHEAD), ctypes.byref(la))
        self.lookahead = la.value
        self._buf = ctypes.create_string_buffer(MAX_PACKET)

    def __del__(self):
        if getattr(self, "_st", None):
            self._destroy(self._st)
            self._st = None

    def encode(self, pcm):
        a = np.asarray(pcm)
        if a.dtype not in (np.int16, np.float32):
            raise InvalidArgumentError("pcm must be int16 or float32, got %s" % a.dtype)
        if a.size != self.frame_size * self.channels or (a.ndim == 2 and a.shape[1] != self.channels) or a.ndim > 2:
            raise InvalidArgumentError("pcm must hold one frame of %d samples x %d channels, got shape %s"
                                       % (self.frame_size, self.channels, a.shape))
        a = np.ascontiguousarray(a.reshape(-1))
        lib, st = self._lib, ctypes.c_void_p(self._st)
        depth = 16 if a.dtype == np.int16 else 24
        if depth != self._lsb_depth:
            lib.opus_encoder_ctl(st, ctypes.c_int(SET_LSB_DEPTH), ctypes.c_int(depth))
            self._lsb_depth = depth
        if a.dtype == np.int16:
            n = lib.opus_encode(st, a.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), self.frame_size,
                                self._buf, MAX_PACKET)
        else:
            n = lib.opus_encode_float(st, a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), self.frame_size,
                                      self._buf, MAX_PACKET)
        return self._buf.raw[:_check(lib, n, "opus_encode")]

    def encode_all(self, pcm):
        a = np.asarray(pcm)
        a = a.reshape(-1, self.channels) if a.ndim == 1 or self.channels == 1 else a
        nf = -(-a.shape[0] // self.frame_size)
        padded = np.zeros((nf * self.frame_size, self.channels), dtype=a.dtype)
        padded[:a.shape[0]] = a.reshape(a.shape[0], self.channels)
        return [self.encode(padded[k * self.frame_size:(k + 1) * self.frame_size]) for k in range(nf)]


class Dred:
    """A parsed DRED (libopus' OpusDRED): available_samples is opus_dred_parse's return value
    (how far back it reaches, in samples), dred_end its dred_end."""

    def __init__(self, lib, ptr, available_samples, dred_end):
        self._free, self._ptr = lib.opus_dred_free, ptr
        self.available_samples, self.dred_end = available_samples, dred_end

    def __del__(self):
        if getattr(self, "_ptr", None):
            self._free(self._ptr)
            self._ptr = None


class DredDecoder(_Codec):
    """parse(packet, max_dred_samples, sampling_rate=None) -> Dred, or None when the packet
    carries no DRED (sampling_rate None: 48000). A malformed packet raises InvalidPacketError."""

    def __init__(self):
        lib, err = self._lib, ctypes.c_int()
        self._st = lib.opus_dred_decoder_create(ctypes.byref(err))
        _check(lib, err.value, "opus_dred_decoder_create")
        self._destroy = lib.opus_dred_decoder_destroy

    def __del__(self):
        if getattr(self, "_st", None):
            self._destroy(self._st)
            self._st = None

    def parse(self, packet, max_dred_samples, sampling_rate=None):
        lib, err = self._lib, ctypes.c_int()
        rate = 48000 if sampling_rate is None else _int("sampling_rate", sampling_rate, RATES)
        max_dred_samples = _int("max_dred_samples", max_dred_samples, lo=0, hi=rate)
        data = bytes(packet)
        ptr = lib.opus_dred_alloc(ctypes.byref(err))
        _check(lib, err.value, "opus_dred_alloc")
        dred = Dred(lib, ptr, 0, 0)
        end = ctypes.c_int()
        ret = lib.opus_dred_parse(self._st, ptr, data, len(data), max_dred_samples, rate, ctypes.byref(end), 0)
        if ret < 0:
            raise InvalidPacketError("libopus opus_dred_parse: %s" % lib.opus_strerror(ret).decode())
        if ret == 0:
            return None
        dred.available_samples, dred.dred_end = ret, end.value
        return dred


class Decoder(_Codec):
    """An Opus decoder (complexity >= 5: libopus' deep PLC). decode(packet) decodes a packet;
    decode(None, frame_size) conceals a lost one; decode(packet, frame_size, fec=True) decodes
    the LBRR of the packet before; decode_dred(dred, offset_samples, frame_size) rebuilds
    frame_size samples that start offset_samples before the packet dred came from. Every call
    returns int16 (n,) or (n, channels)."""

    def __init__(self, sampling_rate=16000, channels=1, complexity=5):
        self.sampling_rate = _int("sampling_rate", sampling_rate, RATES)
        self.channels = _int("channels", channels, (1, 2))
        self.complexity = _int("complexity", complexity, lo=0, hi=10)
        lib, err = self._lib, ctypes.c_int()
        self._st = lib.opus_decoder_create(self.sampling_rate, self.channels, ctypes.byref(err))
        _check(lib, err.value, "opus_decoder_create")
        self._destroy = lib.opus_decoder_destroy
        _check(lib, lib.opus_decoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(SET_COMPLEXITY),
                                         ctypes.c_int(self.complexity)), "decoder complexity")
        self._max = self.sampling_rate * 120 // 1000
        self._out = (ctypes.c_int32 * (self._max * self.channels))()
        self._last = self.sampling_rate // 50

    def __del__(self):
        if getattr(self, "_st", None):
            self._destroy(self._st)
            self._st = None

    def _frame(self, frame_size, default):
        if frame_size is None:
            return default
        return _int("frame_size", frame_size, lo=1, hi=self._max)

    def decode(self, packet, frame_size=None, fec=False):
        lib = self._lib
        if packet is None:
            n = lib.opus_decode24(self._st, None, 0, self._out, self._frame(frame_size, self._last), 0)
        else:
            data = bytes(packet)
            if not data:
                raise InvalidPacketError("an empty packet: pass None for a lost one")
            n = lib.opus_decode24(self._st, data, len(data), self._out,
                                  self._frame(frame_size, self._last if fec else self._max), int(bool(fec)))
        if n < 0:
            raise InvalidPacketError("libopus opus_decode: %s" % lib.opus_strerror(n).decode())
        if packet is not None and not fec:
            self._last = n
        return _to_int16(self._out, n, self.channels)

    def decode_dred(self, dred, offset_samples, frame_size):
        if not isinstance(dred, Dred):
            raise InvalidArgumentError("dred must come from this backend's DredDecoder.parse")
        lib = self._lib
        n = lib.opus_decoder_dred_decode24(self._st, dred._ptr, _int("offset_samples", offset_samples, lo=0),
                                           self._out, self._frame(frame_size, None))
        return _to_int16(self._out, _check(lib, n, "opus_decoder_dred_decode"), self.channels)

    def reset(self):
        self._lib.opus_decoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(RESET_STATE))


class Backend:
    """One libopus build: .Encoder, .Decoder, .DredDecoder bound to it; .name, .version."""

    def __init__(self, variant="x86"):
        self.variant = variant
        self.path = library_path(variant)
        self.lib = _load(self.path)
        self.version = self.lib.opus_get_version_string().decode()
        self.name = "libopus-" + variant
        for cls in (Encoder, Decoder, DredDecoder):
            setattr(self, cls.__name__, type(cls.__name__, (cls,), {"_backend": self}))
