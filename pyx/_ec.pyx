# cython: language_level=3
"""dredfx._ec: the C range coder (c/src/ec/), bit-identical to libopus 1.6.1's entropy coder
(public API: dredfx.ec). Same classes and methods as the pure-Python twin dredfx.ref.ec. Arguments are checked here and
InvalidArgumentError is raised for anything libopus would assert on. Each call codes a handful
of bits, so the GIL is kept: releasing it would cost more than the call."""
from array import array
from libc.stdint cimport uint16_t, uint32_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset
from cdredfx_ec cimport *

include "common.pxi"

DEF MAX_FT = 65536        # keeps rng / ft >= 2^7
DEF MAX_FTB = 16
DEF MAX_RAW_BITS = 25
DEF M32 = 0xFFFFFFFF
DEF LAPLACE_MAX_P0 = 32768
DEF LAPLACE_MAX_DECAY = 32767
DEF LAPLACE_MIN_VALUE = -2147483648   # int32, what a DRED payload holds (libopus keeps an int)
DEF LAPLACE_MAX_VALUE = 2147483647


cdef _bad(msg):
    raise _errors.InvalidArgumentError(msg, DREDFX_ERR_BAD_ARG)


cdef object _table(icdf, ftb, entry_max):
    """A validated icdf table: non-increasing entries, first <= 2^ftb, last 0. Returned as
    bytes (8-bit) or array('H') (16-bit)."""
    int_in(ftb, "ftb", 0, MAX_FTB)
    t = [int(x) for x in icdf]
    if not t or t[len(t) - 1] != 0 or t[0] > (1 << ftb):
        _bad("icdf must start at most at 2^ftb and end with 0")
    for i in range(len(t) - 1):
        if t[i] < t[i + 1]:
            _bad("icdf must be non-increasing")
    if t[0] > entry_max:
        _bad(f"icdf entries must be at most {entry_max}")
    return bytes(t) if entry_max == 255 else array("H", t)


cdef int _symbol(s, t, ftb) except -1:
    s = int_in(s, "s", 0, len(t) - 1)
    hi = t[s - 1] if s > 0 else 1 << ftb
    if hi <= t[s]:
        _bad(f"symbol {s} has zero probability in this table")
    return s


cdef _laplace_args(p0, decay):
    return int_in(p0, "p0", 0, LAPLACE_MAX_P0), int_in(decay, "decay", 0, LAPLACE_MAX_DECAY)


cdef const uint16_t *_u16(object t):
    cdef const uint16_t[::1] view = t
    return &view[0]


cdef tuple _interval(fl, fh, ft):
    """(fl, fh, ft) checked: 1 <= ft <= 2^16, fl < fh <= ft."""
    ft = int_in(ft, "ft", 1, MAX_FT)
    fh = int_in(fh, "fh", 1, ft)
    return int_in(fl, "fl", 0, fh - 1), fh, ft


cdef class _Coder:
    """What the encoder and the decoder share: the C state, its error flag and bit counts."""
    cdef dredfx_ec ec

    @property
    def error(self):
        return self.ec.error

    def tell(self):
        return dredfx_ec_tell(&self.ec)

    def tell_frac(self):
        return dredfx_ec_tell_frac(&self.ec)


cdef class Encoder(_Coder):
    """Range encoder over a buffer of `size` bytes: range-coded bytes from the front, raw bits
    (enc_bits) from the back, merged by done()."""
    cdef unsigned char *buf
    cdef uint32_t size

    def __cinit__(self, size):
        self.size = int_in(size, "size", 0, M32)
        self.buf = <unsigned char *>malloc(self.size if self.size else 1)
        if self.buf == NULL:
            raise MemoryError()
        memset(self.buf, 0, self.size)
        dredfx_ec_enc_init(&self.ec, self.buf, self.size)

    def __dealloc__(self):
        free(self.buf)

    def copy(self):
        """An independent encoder in the same state (for checkpoints)."""
        cdef Encoder c = Encoder(self.size)
        memcpy(c.buf, self.buf, self.size)
        c.ec = self.ec
        c.ec.buf = c.buf
        return c

    @property
    def buffer(self):
        """The whole buffer (storage bytes): valid output after done()."""
        return self.buf[:self.ec.storage]

    @property
    def storage(self):
        return self.ec.storage

    def encode(self, fl, fh, ft):
        fl, fh, ft = _interval(fl, fh, ft)
        dredfx_ec_encode(&self.ec, fl, fh, ft)

    def encode_bin(self, fl, fh, bits):
        bits = int_in(bits, "bits", 0, MAX_FTB)
        fh = int_in(fh, "fh", 1, 1 << bits)
        fl = int_in(fl, "fl", 0, fh - 1)
        dredfx_ec_encode_bin(&self.ec, fl, fh, bits)

    def enc_bit_logp(self, val, logp):
        logp = int_in(logp, "logp", 1, MAX_FTB)
        dredfx_ec_enc_bit_logp(&self.ec, 1 if val else 0, logp)

    def enc_icdf(self, s, icdf, ftb):
        t = _table(icdf, ftb, 255)
        cdef int sym = _symbol(s, t, ftb)
        cdef const unsigned char *p = t
        dredfx_ec_enc_icdf(&self.ec, sym, p, ftb)

    def enc_icdf16(self, s, icdf, ftb):
        t = _table(icdf, ftb, 65535)
        cdef int sym = _symbol(s, t, ftb)
        dredfx_ec_enc_icdf16(&self.ec, sym, _u16(t), ftb)

    def enc_uint(self, fl, ft):
        ft = int_in(ft, "ft", 1, M32)
        fl = int_in(fl, "fl", 0, ft - 1)
        dredfx_ec_enc_uint(&self.ec, fl, ft)

    def enc_bits(self, fl, bits):
        bits = int_in(bits, "bits", 0, MAX_RAW_BITS)
        fl = int_in(fl, "fl", 0, (1 << bits) - 1)
        dredfx_ec_enc_bits(&self.ec, fl, bits)

    def shrink(self, size):
        """Cuts the buffer to size bytes, moving the raw bits already written to the new end."""
        size = int_in(size, "size", self.ec.offs + self.ec.end_offs, self.ec.storage)
        dredfx_ec_enc_shrink(&self.ec, size)

    def done(self):
        """Flushes the fewest bits that pin the interval, then the raw bits; zero-fills between."""
        dredfx_ec_enc_done(&self.ec)


cdef class Decoder(_Coder):
    """Range decoder over `data`; reads past either end give zero bytes."""
    cdef bytes data

    def __cinit__(self, data):
        self.data = bytes_in(data, "data")
        dredfx_ec_dec_init(&self.ec, <const unsigned char *>self.data, len(self.data))

    def decode(self, ft):
        return dredfx_ec_decode(&self.ec, int_in(ft, "ft", 1, MAX_FT))

    def decode_bin(self, bits):
        return dredfx_ec_decode_bin(&self.ec, int_in(bits, "bits", 0, MAX_FTB))

    def update(self, fl, fh, ft):
        fl, fh, ft = _interval(fl, fh, ft)
        dredfx_ec_dec_update(&self.ec, fl, fh, ft)

    def dec_bit_logp(self, logp):
        return dredfx_ec_dec_bit_logp(&self.ec, int_in(logp, "logp", 1, MAX_FTB))

    def dec_icdf(self, icdf, ftb):
        t = _table(icdf, ftb, 255)
        cdef const unsigned char *p = t
        return dredfx_ec_dec_icdf(&self.ec, p, ftb)

    def dec_icdf16(self, icdf, ftb):
        t = _table(icdf, ftb, 65535)
        return dredfx_ec_dec_icdf16(&self.ec, _u16(t), ftb)

    def dec_uint(self, ft):
        return dredfx_ec_dec_uint(&self.ec, int_in(ft, "ft", 1, M32))

    def dec_bits(self, bits):
        return dredfx_ec_dec_bits(&self.ec, int_in(bits, "bits", 0, MAX_RAW_BITS))


def laplace_encode_p0(Encoder enc, value, p0, decay):
    """One DRED value: symbol zero/positive/negative with P(0) = p0 / 2^15, then |value| - 1 in
    base-7 escapes of a geometric table of ratio decay / 2^15."""
    p0, decay = _laplace_args(p0, decay)
    value = int_in(value, "value", LAPLACE_MIN_VALUE, LAPLACE_MAX_VALUE)
    a = 32768 - p0
    width = p0 if value == 0 else (a - a // 2 if value > 0 else a // 2)
    if width == 0:
        _bad(f"value {value} has zero probability with p0 = {p0}")
    dredfx_ec_laplace_encode_p0(&enc.ec, value, p0, decay)


def laplace_decode_p0(Decoder dec, p0, decay):
    """Inverse of laplace_encode_p0; the magnitude saturates at 2^31 - 1."""
    p0, decay = _laplace_args(p0, decay)
    return dredfx_ec_laplace_decode_p0(&dec.ec, p0, decay)
