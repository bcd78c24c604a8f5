"""Range coder: the C coder (dredfx._ec) and the pure-Python twin (dredfx.ref.ec) against libopus
1.6.1 known answers and against each other (Hypothesis)."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dredfx import ec as _ec
from dredfx.errors import InvalidArgumentError
from dredfx.ref import ec as ref

MODULES = [pytest.param(_ec, id="c"), pytest.param(ref, id="py")]
M32 = 0xFFFFFFFF
SETTINGS = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- libopus known answers
# Deterministic operation sequences (the kat_* generator of c/tests/test_ec.c), encoded and
# decoded by libopus 1.6.1's own ec_enc_* / ec_dec_* / ec_laplace_*_p0 in libopus.a.

KAT_ICDF8 = [224, 160, 96, 48, 16, 4, 0]
KAT_ICDF16 = [30000, 20000, 9000, 1000, 30, 0]


class KatRng:
    def __init__(self, seed):
        self.s = seed

    def rnd(self, n):
        self.s = (self.s * 1664525 + 1013904223) & M32
        return (self.s >> 16) % n

    def rnd32(self):
        hi = self.rnd(65536)
        return (hi << 16) | self.rnd(65536)


def kat_ops(seed, nops):
    """The ops of c/tests/test_ec.c kat_gen, as (kind, a, b, c, v)."""
    g = KatRng(seed)
    for _ in range(nops):
        kind = g.rnd(8)
        a = b = c = v = 0
        if kind == 0:
            c = 2 + g.rnd(1000)
            a = g.rnd(c)
            b = a + 1 + g.rnd(c - a)
        elif kind == 1:
            c = 1 + g.rnd(15)
            a = g.rnd(1 << c)
            b = a + 1 + g.rnd((1 << c) - a)
        elif kind == 2:
            c = 1 + g.rnd(15)
            a = g.rnd(2)
        elif kind == 3:
            a = g.rnd(7)
        elif kind == 4:
            a = g.rnd(6)
        elif kind == 5:
            m = g.rnd(65536)
            c = 2 + (m << g.rnd(16))
            a = g.rnd32() % c
        elif kind == 6:
            c = 1 + g.rnd(25)
            a = g.rnd32() & ((1 << c) - 1)
        else:
            a = (1 + g.rnd(254)) << 7
            b = (1 + g.rnd(255)) << 7
            v = g.rnd(41) - 20
        yield kind, a, b, c, v


def kat_encode(mod, enc, op):
    kind, a, b, c, v = op
    [lambda: enc.encode(a, b, c), lambda: enc.encode_bin(a, b, c),
     lambda: enc.enc_bit_logp(a, c), lambda: enc.enc_icdf(a, KAT_ICDF8, 8),
     lambda: enc.enc_icdf16(a, KAT_ICDF16, 15), lambda: enc.enc_uint(a, c),
     lambda: enc.enc_bits(a, c), lambda: mod.laplace_encode_p0(enc, v, a, b)][kind]()


def kat_decode(mod, dec, op):
    kind, a, b, c, v = op
    if kind == 0:
        s = dec.decode(c)
        dec.update(a, b, c)
        return s
    if kind == 1:
        s = dec.decode_bin(c)
        dec.update(a, b, 1 << c)
        return s
    return [None, None, lambda: dec.dec_bit_logp(c), lambda: dec.dec_icdf(KAT_ICDF8, 8),
            lambda: dec.dec_icdf16(KAT_ICDF16, 15), lambda: dec.dec_uint(c),
            lambda: dec.dec_bits(c), lambda: mod.laplace_decode_p0(dec, a, b)][kind]()


def fnv(h, v):
    for i in range(4):
        h = ((h ^ ((v >> (8 * i)) & 0xFF)) * 16777619) & M32
    return h


ENC_KATS = [  # seed, nops, size, tell, error, hash of tells, hash of decode, decoder tell, bytes
    (1, 12, 24, 110, 0, 0x63d5cab2, 0xfb33c03a, 110,
     "bc315be0143ace190200000000000000000000227c831e67"),
    (2, 40, 64, 269, 0, 0xedf81c64, 0xa082e56b, 269,
     "1c9199c81da61cb7bddd48d1ce6c768efd61e3a247b7ac000000000000000000"
     "0000000000000000000000000000000000000000003dcf11b0aa9533a2838664"),
    (3, 40, 64, 319, 0, 0xe18e7b1a, 0xb5998e6a, 319,
     "eda7821d4f461b5f6e21b3c3c6f091ed26159fffeb7400000000000000000000"
     "0000000000000000000000000001c3879de8f29974916f26b95a0430b53239bc"),
    (6, 200, 24, 1623, -1, 0xb3ce1789, 0x9f5d0d62, 1192,
     "8b6b93e5e90e0b39e939505bf91f7a8796a67b1df8a0d641"),
    (7, 60, 9, 505, -1, 0x2dd6c452, 0x7c95220d, 434,
     "9fe91e152bd5fff9d8"),
]

DEC_KATS = [  # seed, nops, length of LCG garbage, tell, hash of decoded values and tells
    (11, 100, 40, 772, 0x92eefc46),
    (12, 300, 100, 1590, 0x1d754413),
    (13, 200, 0, 1091, 0xc7d2f0c8),
    (14, 200, 5, 1150, 0x616a0b51),
]


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("kat", ENC_KATS, ids=lambda k: "seed%d" % k[0])
def test_libopus_known_answers(mod, kat):
    seed, nops, size, tell, error, h_enc, h_dec, dec_tell, hexbytes = kat
    enc = mod.Encoder(size)
    h = 2166136261
    for op in kat_ops(seed, nops):
        kat_encode(mod, enc, op)
        h = fnv(fnv(h, enc.tell()), enc.tell_frac())
    assert (enc.tell(), h) == (tell, h_enc)
    enc.done()
    assert enc.error == error
    assert enc.buffer.hex() == hexbytes
    dec = mod.Decoder(bytes.fromhex(hexbytes))
    h = 2166136261
    for op in kat_ops(seed, nops):
        h = fnv(fnv(h, kat_decode(mod, dec, op) & M32), dec.tell_frac())
    assert (dec.tell(), h) == (dec_tell, h_dec)


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("kat", DEC_KATS, ids=lambda k: "seed%d" % k[0])
def test_libopus_garbage_known_answers(mod, kat):
    seed, nops, length, tell, expected = kat
    g = KatRng(seed ^ 0xABCDEF)
    dec = mod.Decoder(bytes(g.rnd(256) for _ in range(length)))
    h = 2166136261
    for op in kat_ops(seed, nops):
        h = fnv(fnv(h, kat_decode(mod, dec, op) & M32), dec.tell_frac())
    assert (dec.tell(), h) == (tell, expected)


@pytest.mark.parametrize("mod", MODULES)
def test_libopus_laplace_known_answer(mod):
    enc = mod.Encoder(64)
    values = [(-v if v & 1 else v) for v in range(6, 16)]
    for v in values + [0]:
        mod.laplace_encode_p0(enc, v, 16000, 16000)
    mod.laplace_encode_p0(enc, 300, 128, 32640)
    mod.laplace_encode_p0(enc, -1, 32512, 128)
    assert enc.tell() == 149
    enc.done()
    assert enc.buffer == bytes.fromhex("bd9ccc451106dff09c1f874ecc17bafdb85d88") + bytes(64 - 19)


@pytest.mark.parametrize("mod", MODULES)
def test_libopus_shrink_known_answer(mod):
    enc = mod.Encoder(64)
    enc.enc_uint(1234567, 3000000)
    enc.enc_bits(0x1ABCDEF, 25)
    enc.enc_bits(5, 3)
    enc.encode(10, 20, 30)
    enc.enc_bit_logp(1, 3)
    assert enc.tell() == 56
    enc.shrink((enc.tell() + 7) // 8)
    enc.done()
    assert enc.buffer.hex() == "693aeaf37bd687"
    dec = mod.Decoder(enc.buffer)
    assert dec.dec_uint(3000000) == 1234567
    assert (dec.dec_bits(25), dec.dec_bits(3)) == (0x1ABCDEF, 5)
    assert 10 <= dec.decode(30) < 20
    dec.update(10, 20, 30)
    assert dec.dec_bit_logp(3) == 1 and dec.error == 0


def test_fresh_coders():
    for mod in (_ec, ref):
        enc, dec = mod.Encoder(0), mod.Decoder(b"")
        assert (enc.tell(), enc.tell_frac(), dec.tell(), dec.tell_frac()) == (1, 8, 1, 8)
        enc.done()
        assert enc.buffer == b"" and enc.error == 0


# ---------------------------------------------------------------- Hypothesis: C vs Python

@st.composite
def icdf_tables(draw, entry_max):
    ftb = draw(st.integers(1, 8 if entry_max == 255 else 16))
    cap = min(entry_max, 1 << ftb)
    body = sorted(draw(st.lists(st.integers(0, cap), min_size=0, max_size=7)), reverse=True)
    return body + [0], ftb


@st.composite
def ops(draw):
    """One encoder operation with valid arguments (a symbol of non-zero probability)."""
    kind = draw(st.sampled_from(["encode", "encode_bin", "bit_logp", "icdf", "icdf16", "uint",
                                 "bits", "laplace"]))
    if kind == "encode":
        ft = draw(st.integers(1, 65536))
        fl = draw(st.integers(0, ft - 1))
        return kind, fl, draw(st.integers(fl + 1, ft)), ft
    if kind == "encode_bin":
        bits = draw(st.integers(0, 16))
        fl = draw(st.integers(0, (1 << bits) - 1))
        return kind, fl, draw(st.integers(fl + 1, 1 << bits)), bits
    if kind == "bit_logp":
        return kind, draw(st.integers(0, 1)), draw(st.integers(1, 16))
    if kind in ("icdf", "icdf16"):
        table, ftb = draw(icdf_tables(255 if kind == "icdf" else 65535))
        ok = [s for s in range(len(table)) if (table[s - 1] if s else 1 << ftb) > table[s]]
        return kind, draw(st.sampled_from(ok)), table, ftb
    if kind == "uint":
        ft = draw(st.one_of(st.integers(1, 300), st.integers(1, M32)))
        return kind, draw(st.integers(0, ft - 1)), ft
    if kind == "bits":
        bits = draw(st.integers(0, 25))
        return kind, draw(st.integers(0, (1 << bits) - 1)), bits
    p0_q8 = draw(st.integers(0, 254))
    v = draw(st.integers(-300, 300).filter(lambda x: x != 0 or p0_q8 > 0))
    return kind, v, p0_q8 << 7, draw(st.integers(1, 255)) << 7


def encode_op(mod, enc, op):
    kind, *a = op
    if kind == "encode":
        enc.encode(*a)
    elif kind == "encode_bin":
        enc.encode_bin(*a)
    elif kind == "bit_logp":
        enc.enc_bit_logp(*a)
    elif kind == "icdf":
        enc.enc_icdf(*a)
    elif kind == "icdf16":
        enc.enc_icdf16(*a)
    elif kind == "uint":
        enc.enc_uint(*a)
    elif kind == "bits":
        enc.enc_bits(*a)
    else:
        mod.laplace_encode_p0(enc, *a)


def decode_op(mod, dec, op):
    """Decodes op's field; returns (decoded value, value the encoder put in)."""
    kind, *a = op
    if kind == "encode":
        fl, fh, ft = a
        s = dec.decode(ft)
        dec.update(fl, fh, ft)
        return (fl if fl <= s < fh else s), fl
    if kind == "encode_bin":
        fl, fh, bits = a
        s = dec.decode_bin(bits)
        dec.update(fl, fh, 1 << bits)
        return (fl if fl <= s < fh else s), fl
    if kind == "bit_logp":
        return dec.dec_bit_logp(a[1]), a[0]
    if kind == "icdf":
        return dec.dec_icdf(a[1], a[2]), a[0]
    if kind == "icdf16":
        return dec.dec_icdf16(a[1], a[2]), a[0]
    if kind == "uint":
        return dec.dec_uint(a[1]), a[0]
    if kind == "bits":
        return dec.dec_bits(a[1]), a[0]
    return mod.laplace_decode_p0(dec, a[1], a[2]), a[0]


@SETTINGS
@given(st.lists(ops(), max_size=40), st.integers(0, 48))
def test_c_and_python_encode_identically(seq, size):
    """Same bytes, error and tell/tell_frac after every step, also when the buffer overflows;
    a checkpoint copy continues identically."""
    c, p = _ec.Encoder(size), ref.Encoder(size)
    for i, op in enumerate(seq):
        encode_op(_ec, c, op)
        encode_op(ref, p, op)
        assert (c.tell(), c.tell_frac()) == (p.tell(), p.tell_frac())
        if i == len(seq) // 2:
            c2, p2 = c.copy(), p.copy()
    c.done()
    p.done()
    assert c.buffer == p.buffer and c.error == p.error
    if len(seq) > 1:
        for op in seq[len(seq) // 2 + 1:]:
            encode_op(_ec, c2, op)
            encode_op(ref, p2, op)
        c2.done()
        p2.done()
        assert c2.buffer == c.buffer and p2.buffer == p.buffer


@SETTINGS
@given(st.lists(ops(), max_size=40))
def test_round_trip(seq):
    """Every field decodes back, in C and in Python, and the decoder's tell is the encoder's."""
    for mod in (_ec, ref):
        enc = mod.Encoder(512)
        for op in seq:
            encode_op(mod, enc, op)
        tell = enc.tell()
        enc.done()
        assert enc.error == 0
        dec = mod.Decoder(enc.buffer)
        for op in seq:
            got, want = decode_op(mod, dec, op)
            assert got == want, op
        assert dec.tell() == tell


@SETTINGS
@given(st.binary(max_size=64), st.lists(ops(), max_size=60))
def test_random_bytes_decode_identically(data, seq):
    """Garbage in: the same decoded stream, tells and error flag from C and Python, no crash."""
    c, p = _ec.Decoder(data), ref.Decoder(data)
    for op in seq:
        assert decode_op(_ec, c, op) == decode_op(ref, p, op)
        assert (c.tell(), c.tell_frac(), c.error) == (p.tell(), p.tell_frac(), p.error)


@SETTINGS
@given(st.lists(st.tuples(st.integers(-300, 300), st.integers(0, 254), st.integers(1, 255))
                .filter(lambda t: t[0] != 0 or t[1] > 0), min_size=1, max_size=30))
def test_laplace_p0_round_trip(items):
    """DRED ranges: p0 = p0_q8 << 7 (0..254), decay = r_q8 << 7 (1..255); C == Python bytes."""
    out = []
    for mod in (_ec, ref):
        # 4096 bytes hold 30 values of 300 at the smallest decay (about 650 bits each).
        enc = mod.Encoder(4096)
        for v, p0, r in items:
            mod.laplace_encode_p0(enc, v, p0 << 7, r << 7)
        enc.done()
        assert enc.error == 0
        dec = mod.Decoder(enc.buffer)
        assert [mod.laplace_decode_p0(dec, p0 << 7, r << 7) for _, p0, r in items] == \
            [v for v, _, _ in items]
        out.append(enc.buffer)
    assert out[0] == out[1]


# ---------------------------------------------------------------- argument checks

BAD_ENC_CALLS = [
    ("encode", (0, 1, 0)), ("encode", (3, 3, 10)), ("encode", (0, 11, 10)),
    ("encode", (0, 1, 65537)), ("encode", (-1, 1, 10)), ("encode_bin", (0, 1, 17)),
    ("encode_bin", (0, 5, 2)), ("enc_bit_logp", (1, 0)), ("enc_bit_logp", (1, 17)),
    ("enc_icdf", (0, [256, 0], 8)), ("enc_icdf", (0, [10, 20, 0], 8)),
    ("enc_icdf", (0, [10, 5], 8)), ("enc_icdf", (3, [10, 5, 0], 8)),
    ("enc_icdf", (1, [10, 10, 0], 8)), ("enc_icdf", (0, [], 8)), ("enc_icdf", (0, [300, 0], 9)),
    ("enc_icdf16", (0, [32768, 0], 15)), ("enc_icdf16", (0, [1, 0], 17)),
    ("enc_uint", (5, 5)), ("enc_uint", (0, 0)), ("enc_uint", (0, 1 << 32)),
    ("enc_bits", (0, 26)), ("enc_bits", (8, 3)), ("enc_bits", (-1, 3)),
    ("shrink", (65,)), ("shrink", (-1,)), ("encode", (0.5, 1, 2)),
]


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("name,args", BAD_ENC_CALLS)
def test_encoder_rejects_bad_arguments(mod, name, args):
    enc = mod.Encoder(64)
    enc.encode(1, 2, 3)
    before = (enc.tell_frac(), enc.copy())
    with pytest.raises(InvalidArgumentError):
        getattr(enc, name)(*args)
    assert enc.tell_frac() == before[0]
    enc.done()
    before[1].done()
    assert enc.buffer == before[1].buffer and enc.error == 0


BAD_DEC_CALLS = [
    ("decode", (0,)), ("decode", (65537,)), ("decode_bin", (17,)), ("update", (2, 2, 5)),
    ("update", (0, 6, 5)), ("dec_bit_logp", (0,)), ("dec_icdf", ([5, 6, 0], 8)),
    ("dec_icdf", ([5, 1], 8)), ("dec_icdf16", ([70000, 0], 16)), ("dec_icdf16", ([3, 0], 17)),
    ("dec_uint", (0,)), ("dec_bits", (26,)),
]


@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize("name,args", BAD_DEC_CALLS)
def test_decoder_rejects_bad_arguments(mod, name, args):
    dec = mod.Decoder(b"\x12\x34\x56")
    with pytest.raises(InvalidArgumentError):
        getattr(dec, name)(*args)
    assert dec.tell_frac() == 8 + 0 and dec.error == 0


@pytest.mark.parametrize("mod", MODULES)
def test_laplace_rejects_bad_arguments(mod):
    enc, dec = mod.Encoder(16), mod.Decoder(b"\x00")
    for v, p0, decay in [(0, 0, 100), (1, 32768, 100), (-1, 32767, 100), (1, 100, 32768),
                         (1, 32769, 100), (1, -1, 100), (2**31, 100, 100)]:
        with pytest.raises(InvalidArgumentError):
            mod.laplace_encode_p0(enc, v, p0, decay)
    for p0, decay in [(32769, 100), (100, 32768)]:
        with pytest.raises(InvalidArgumentError):
            mod.laplace_decode_p0(dec, p0, decay)
    assert enc.tell() == 1
    mod.laplace_encode_p0(enc, 1, 32767, 100)  # P(+) = 1/32768: codable
    mod.laplace_encode_p0(enc, 0, 128, 0)
