"""Range coder and Laplace-p0 coding in pure Python, bit-identical to libopus 1.6.1
(celt/entenc.c, entdec.c, entcode.c, laplace.c) and to dredfx's C coder (c/src/ec/).

All state is unsigned 32-bit as in C: every sum, difference and product that can leave that
range is masked with M32. Arguments are checked as in dredfx._ec and InvalidArgumentError is
raised for what libopus would assert on, so this module and the C wrapper accept the same
calls. Decoding never fails: bytes past either end read as zero.
"""
import operator

from .._types import as_bytes
from ..errors import ERR_BAD_ARG, ArgumentTypeError, InvalidArgumentError

M32 = 0xFFFFFFFF
SYM_BITS = 8
SYM_MAX = 255
CODE_BITS = 32
CODE_SHIFT = CODE_BITS - SYM_BITS - 1     # 23
CODE_TOP = 1 << (CODE_BITS - 1)
CODE_BOT = CODE_TOP >> SYM_BITS
CODE_EXTRA = (CODE_BITS - 2) % SYM_BITS + 1  # 7
UINT_BITS = 8
WINDOW_SIZE = 32
BITRES = 3
MAX_FT = 1 << 16       # keeps rng / ft >= 2^7 (rng > 2^23)
MAX_FTB = 16
MAX_RAW_BITS = 25
ENC_ERROR = -1         # libopus' encoder error value
DEC_ERROR = 1          # libopus' decoder error value
LAPLACE_FTB = 15
LAPLACE_ESCAPE = 7
LAPLACE_MAX_P0 = 32768
LAPLACE_MAX_DECAY = 32767
LAPLACE_MIN_VALUE = -2**31  # int32, what a DRED payload holds (libopus keeps an int)
LAPLACE_MAX_VALUE = 2**31 - 1

_TELL_CORRECTION = (35733, 38967, 42495, 46340, 50535, 55109, 60097, 65535)


def _ilog(x):
    return x.bit_length()


def _bad(msg):
    raise InvalidArgumentError(msg, ERR_BAD_ARG)


def _check_int(name, v, lo, hi):
    """v as a Python int (NumPy integers accepted), or InvalidArgumentError if outside lo..hi."""
    try:
        v = operator.index(v)
    except TypeError:
        raise ArgumentTypeError(f"{name} must be an integer, not {type(v).__name__}") from None
    if not lo <= v <= hi:
        _bad(f"{name} must be in {lo}..{hi}, got {v}")
    return v


def _check_icdf(icdf, ftb, entry_max):
    """An icdf table: non-increasing entries in 0..entry_max, first <= 2^ftb, last 0."""
    ftb = _check_int("ftb", ftb, 0, MAX_FTB)
    t = [int(x) for x in icdf]
    if not t or t[-1] != 0 or t[0] > 1 << ftb:
        _bad("icdf must start at most at 2^ftb and end with 0")
    for a, b in zip(t, t[1:]):
        if a < b:
            _bad("icdf must be non-increasing")
    if t[0] > entry_max:
        _bad(f"icdf entries must be at most {entry_max}")
    return t


def _check_symbol(s, icdf, ftb):
    s = _check_int("s", s, 0, len(icdf) - 1)
    hi = icdf[s - 1] if s > 0 else 1 << ftb
    if hi <= icdf[s]:
        _bad(f"symbol {s} has zero probability in this table")
    return s


def _tell(nbits_total, rng):
    return nbits_total - _ilog(rng)


def _tell_frac(nbits_total, rng):
    # 1/8-bit precision: linear guess of the top 3 fraction bits of log2(rng), then the exact
    # thresholds 2^(15 + k/8).
    l = _ilog(rng)
    r = rng >> (l - 16)
    b = (r >> 12) - 8
    b += r > _TELL_CORRECTION[b]
    return ((nbits_total << BITRES) - ((l << BITRES) + b)) & M32


def _sign_icdf(p0):
    a = (32768 - p0) & 0xFFFF
    return [a, a // 2, 0]


def _magnitude_icdf(decay):
    icdf = [max(7, decay)]
    for i in range(1, LAPLACE_ESCAPE):
        icdf.append(max(LAPLACE_ESCAPE - i, (icdf[-1] * decay) >> LAPLACE_FTB) & 0xFFFF)
    icdf.append(0)
    return icdf


def _check_laplace(p0, decay):
    p0 = _check_int("p0", p0, 0, LAPLACE_MAX_P0)
    decay = _check_int("decay", decay, 0, LAPLACE_MAX_DECAY)
    return p0, decay


class Encoder:
    """Range encoder over a buffer of `size` bytes: range-coded bytes from the front, raw bits
    (enc_bits) from the back, merged by done()."""

    def __init__(self, size):
        size = _check_int("size", size, 0, M32)
        self._buf = bytearray(size)
        self.storage = size
        self.end_offs = 0
        self.end_window = 0
        self.nend_bits = 0
        self.nbits_total = CODE_BITS + 1
        self.offs = 0
        self.rng = CODE_TOP
        self.val = 0
        self.ext = 0
        self.rem = -1
        self.error = 0

    def copy(self):
        """An independent encoder in the same state (for checkpoints)."""
        c = Encoder.__new__(Encoder)
        c.__dict__.update(self.__dict__)
        c._buf = bytearray(self._buf)
        return c

    @property
    def buffer(self):
        """The whole buffer (storage bytes): valid output after done()."""
        return bytes(self._buf[:self.storage])

    def tell(self):
        return _tell(self.nbits_total, self.rng)

    def tell_frac(self):
        return _tell_frac(self.nbits_total, self.rng)

    def _write_byte(self, value):
        if self.offs + self.end_offs >= self.storage:
            return ENC_ERROR
        self._buf[self.offs] = value & 0xFF
        self.offs += 1
        return 0

    def _write_byte_at_end(self, value):
        if self.offs + self.end_offs >= self.storage:
            return ENC_ERROR
        self.end_offs += 1
        self._buf[self.storage - self.end_offs] = value & 0xFF
        return 0

    def _carry_out(self, c):
        # A run of 255 bytes waits in ext, the last byte in rem, until the carry is known.
        if c != SYM_MAX:
            carry = c >> SYM_BITS
            if self.rem >= 0:
                self.error |= self._write_byte(self.rem + carry)
            if self.ext > 0:
                sym = (SYM_MAX + carry) & SYM_MAX
                while self.ext > 0:
                    self.error |= self._write_byte(sym)
                    self.ext -= 1
            self.rem = c & SYM_MAX
        else:
            self.ext += 1

    def _normalize(self):
        while self.rng <= CODE_BOT:
            self._carry_out(self.val >> CODE_SHIFT)
            self.val = (self.val << SYM_BITS) & (CODE_TOP - 1)
            self.rng = (self.rng << SYM_BITS) & M32
            self.nbits_total += SYM_BITS

    def _narrow(self, r, fl, fh, ft):
        if fl > 0:
            self.val = (self.val + self.rng - r * (ft - fl)) & M32
            self.rng = (r * (fh - fl)) & M32
        else:
            self.rng = (self.rng - r * (ft - fh)) & M32
        self._normalize()

    def encode(self, fl, fh, ft):
        ft = _check_int("ft", ft, 1, MAX_FT)
        fh = _check_int("fh", fh, 1, ft)
        fl = _check_int("fl", fl, 0, fh - 1)
        self._narrow(self.rng // ft, fl, fh, ft)

    def encode_bin(self, fl, fh, bits):
        bits = _check_int("bits", bits, 0, MAX_FTB)
        fh = _check_int("fh", fh, 1, 1 << bits)
        fl = _check_int("fl", fl, 0, fh - 1)
        self._narrow(self.rng >> bits, fl, fh, 1 << bits)

    def enc_bit_logp(self, val, logp):
        logp = _check_int("logp", logp, 1, MAX_FTB)
        s = self.rng >> logp
        r = self.rng - s
        if val:
            self.val = (self.val + r) & M32
        self.rng = s if val else r
        self._normalize()

    def _enc_icdf(self, s, icdf, ftb):
        r = self.rng >> ftb
        if s > 0:
            self.val = (self.val + self.rng - r * icdf[s - 1]) & M32
            self.rng = (r * (icdf[s - 1] - icdf[s])) & M32
        else:
            self.rng = (self.rng - r * icdf[s]) & M32
        self._normalize()

    def enc_icdf(self, s, icdf, ftb):
        t = _check_icdf(icdf, ftb, 255)
        s = _check_symbol(s, t, ftb)
        self._enc_icdf(s, t, ftb)

    def enc_icdf16(self, s, icdf, ftb):
        t = _check_icdf(icdf, ftb, 65535)
        s = _check_symbol(s, t, ftb)
        self._enc_icdf(s, t, ftb)

    def enc_uint(self, fl, ft):
        ft = _check_int("ft", ft, 1, M32)
        fl = _check_int("fl", fl, 0, ft - 1)
        ft -= 1
        ftb = _ilog(ft)
        if ftb > UINT_BITS:
            # Top 8 bits range coded, the rest raw.
            ftb -= UINT_BITS
            top = fl >> ftb
            self._narrow(self.rng // ((ft >> ftb) + 1), top, top + 1, (ft >> ftb) + 1)
            self._enc_bits(fl & ((1 << ftb) - 1), ftb)
        else:
            self._narrow(self.rng // (ft + 1), fl, fl + 1, ft + 1)

    def enc_bits(self, fl, bits):
        bits = _check_int("bits", bits, 0, MAX_RAW_BITS)
        fl = _check_int("fl", fl, 0, (1 << bits) - 1)
        self._enc_bits(fl, bits)

    def _enc_bits(self, fl, bits):
        if bits == 0:
            return
        window = self.end_window
        used = self.nend_bits
        if used + bits > WINDOW_SIZE:
            while True:
                self.error |= self._write_byte_at_end(window & SYM_MAX)
                window >>= SYM_BITS
                used -= SYM_BITS
                if used < SYM_BITS:
                    break
        self.end_window = (window | (fl << used)) & M32
        self.nend_bits = used + bits
        self.nbits_total += bits

    def shrink(self, size):
        """Cuts the buffer to size bytes, moving the raw bits already written to the new end."""
        size = _check_int("size", size, self.offs + self.end_offs, self.storage)
        if self.end_offs:
            self._buf[size - self.end_offs:size] = \
                self._buf[self.storage - self.end_offs:self.storage]
        self.storage = size

    def done(self):
        """Flushes the fewest bits that pin the interval, then the raw bits; zero-fills between."""
        l = CODE_BITS - _ilog(self.rng)
        msk = (CODE_TOP - 1) >> l
        end = ((self.val + msk) & M32) & ~msk
        if (end | msk) >= self.val + self.rng:
            l += 1
            msk >>= 1
            end = ((self.val + msk) & M32) & ~msk
        while l > 0:
            self._carry_out(end >> CODE_SHIFT)
            end = (end << SYM_BITS) & (CODE_TOP - 1)
            l -= SYM_BITS
        if self.rem >= 0 or self.ext > 0:
            self._carry_out(0)
        window = self.end_window
        used = self.nend_bits
        while used >= SYM_BITS:
            self.error |= self._write_byte_at_end(window & SYM_MAX)
            window >>= SYM_BITS
            used -= SYM_BITS
        if self.error:
            return
        self._buf[self.offs:self.storage - self.end_offs] = bytes(
            self.storage - self.offs - self.end_offs)
        if used > 0:
            if self.end_offs >= self.storage:
                self.error = ENC_ERROR
                return
            l = -l
            if self.offs + self.end_offs >= self.storage and l < used:
                window &= (1 << l) - 1
                self.error = ENC_ERROR
            self._buf[self.storage - self.end_offs - 1] |= window & 0xFF


class Decoder:
    """Range decoder over `data`; reads past either end give zero bytes."""

    def __init__(self, data):
        self._buf = as_bytes(data, "data")
        if len(self._buf) > M32:
            _bad("data longer than 2^32 - 1 bytes")
        self.storage = len(self._buf)
        self.end_offs = 0
        self.end_window = 0
        self.nend_bits = 0
        self.nbits_total = CODE_BITS + 1 - ((CODE_BITS - CODE_EXTRA) // SYM_BITS) * SYM_BITS
        self.offs = 0
        self.rng = 1 << CODE_EXTRA
        self.rem = self._read_byte()
        self.val = self.rng - 1 - (self.rem >> (SYM_BITS - CODE_EXTRA))
        self.ext = 0
        self.error = 0
        self._normalize()

    def tell(self):
        return _tell(self.nbits_total, self.rng)

    def tell_frac(self):
        return _tell_frac(self.nbits_total, self.rng)

    def _read_byte(self):
        if self.offs < self.storage:
            self.offs += 1
            return self._buf[self.offs - 1]
        return 0

    def _read_byte_from_end(self):
        if self.end_offs < self.storage:
            self.end_offs += 1
            return self._buf[self.storage - self.end_offs]
        return 0

    def _normalize(self):
        # val is rng - 1 - (code - low); the code register sits one bit off the byte boundaries.
        while self.rng <= CODE_BOT:
            self.nbits_total += SYM_BITS
            self.rng = (self.rng << SYM_BITS) & M32
            sym = self.rem
            self.rem = self._read_byte()
            sym = ((sym << SYM_BITS) | self.rem) >> (SYM_BITS - CODE_EXTRA)
            self.val = ((self.val << SYM_BITS) + (SYM_MAX & ~sym)) & (CODE_TOP - 1)

    def _set_interval(self, val, rng):
        # An empty interval (a zero-width symbol: libopus loops forever) leaves the state as is.
        if rng == 0:
            self.error = DEC_ERROR
            return
        self.val = val & M32
        self.rng = rng
        self._normalize()

    def _decode_with(self, ext, ft):
        self.ext = ext
        s = (self.val // ext + 1) & M32
        return ft - min(s, ft)

    def decode(self, ft):
        ft = _check_int("ft", ft, 1, MAX_FT)
        return self._decode_with(self.rng // ft, ft)

    def decode_bin(self, bits):
        bits = _check_int("bits", bits, 0, MAX_FTB)
        return self._decode_with(self.rng >> bits, 1 << bits)

    def update(self, fl, fh, ft):
        ft = _check_int("ft", ft, 1, MAX_FT)
        fh = _check_int("fh", fh, 1, ft)
        fl = _check_int("fl", fl, 0, fh - 1)
        self._update(fl, fh, ft)

    def _update(self, fl, fh, ft):
        s = (self.ext * (ft - fh)) & M32
        rng = (self.ext * (fh - fl)) & M32 if fl > 0 else (self.rng - s) & M32
        self._set_interval(self.val - s, rng)

    def dec_bit_logp(self, logp):
        logp = _check_int("logp", logp, 1, MAX_FTB)
        r, d = self.rng, self.val
        s = r >> logp
        ret = int(d < s)
        self._set_interval(d if ret else d - s, s if ret else r - s)
        return ret

    def _dec_icdf(self, icdf, ftb):
        # The symbol is the first k with val >= r * icdf[k].
        d = self.val
        s = self.rng
        r = s >> ftb
        ret = -1
        while True:
            t = s
            ret += 1
            s = (r * icdf[ret]) & M32
            if d >= s:
                break
        self._set_interval(d - s, (t - s) & M32)
        return ret

    def dec_icdf(self, icdf, ftb):
        return self._dec_icdf(_check_icdf(icdf, ftb, 255), ftb)

    def dec_icdf16(self, icdf, ftb):
        return self._dec_icdf(_check_icdf(icdf, ftb, 65535), ftb)

    def dec_uint(self, ft):
        ft = _check_int("ft", ft, 1, M32)
        ft -= 1
        ftb = _ilog(ft)
        if ftb > UINT_BITS:
            ftb -= UINT_BITS
            top_ft = (ft >> ftb) + 1
            s = self._decode_with(self.rng // top_ft, top_ft)
            self._update(s, s + 1, top_ft)
            t = (s << ftb) | self._dec_bits(ftb)
            if t <= ft:
                return t
            self.error = DEC_ERROR
            return ft
        s = self._decode_with(self.rng // (ft + 1), ft + 1)
        self._update(s, s + 1, ft + 1)
        return s

    def dec_bits(self, bits):
        bits = _check_int("bits", bits, 0, MAX_RAW_BITS)
        return self._dec_bits(bits)

    def _dec_bits(self, bits):
        window = self.end_window
        available = self.nend_bits
        if available < bits:
            while True:
                window |= self._read_byte_from_end() << available
                available += SYM_BITS
                if available > WINDOW_SIZE - SYM_BITS:
                    break
        ret = window & ((1 << bits) - 1)
        self.end_window = (window & M32) >> bits
        self.nend_bits = available - bits
        self.nbits_total += bits
        return ret


def laplace_encode_p0(enc, value, p0, decay):
    """One DRED value: symbol zero/positive/negative with P(0) = p0 / 2^15, then |value| - 1 in
    base-7 escapes of a geometric table of ratio decay / 2^15."""
    p0, decay = _check_laplace(p0, decay)
    value = _check_int("value", value, LAPLACE_MIN_VALUE, LAPLACE_MAX_VALUE)
    sign = _sign_icdf(p0)
    s = 0 if value == 0 else (1 if value > 0 else 2)
    _check_symbol(s, sign, LAPLACE_FTB)  # P(0) = 0 or P(+) or P(-) = 0 cannot be coded
    enc._enc_icdf(s, sign, LAPLACE_FTB)
    if value == 0:
        return
    icdf = _magnitude_icdf(decay)
    rest = abs(value) - 1
    while True:
        enc._enc_icdf(min(rest, LAPLACE_ESCAPE), icdf, LAPLACE_FTB)
        rest -= LAPLACE_ESCAPE
        if rest < 0:
            break


def laplace_decode_p0(dec, p0, decay):
    """Inverse of laplace_encode_p0; the magnitude saturates at 2^31 - 1 as in the C coder."""
    p0, decay = _check_laplace(p0, decay)
    s = dec._dec_icdf(_sign_icdf(p0), LAPLACE_FTB)
    if s == 0:
        return 0
    icdf = _magnitude_icdf(decay)
    mag = 1
    while True:
        k = dec._dec_icdf(icdf, LAPLACE_FTB)
        mag = min(mag + k, 0x7FFFFFFF)
        if k != LAPLACE_ESCAPE:
            break
    return -mag if s == 2 else mag
