"""DRED payload layer: the C library (dredfx._dred) against the pure-Python twin (dredfx.ref.dred),
round trips, hostile input, dequantization and what libopus 1.6.1 does (src/opus_decoder.c
opus_dred_parse, dnn/dred_decoder.c, dnn/dred_rdovae_stats_data.c)."""
import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dredfx import _dred
from dredfx import dred as api
from dredfx.errors import BufferTooSmallError, InvalidArgumentError, InvalidPacketError, WeightsError
from dredfx.ref import dred as ref
from dredfx.ref import packet as refpacket

SETTINGS = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
RATES = (8000, 12000, 16000, 24000, 48000)


def synthetic_stats(seed, p0_zero=False):
    """Random tables shaped like libopus': skipped dims (r = 0 or p0 = 255), scale 0 only on
    skipped dims, p0 >= 1 on coded dims unless p0_zero."""
    rng = np.random.default_rng(seed)
    out = {}
    for kind, dim in (("latent", ref.LATENT_DIM), ("state", ref.STATE_DIM)):
        n = ref.NUM_LEVELS * dim
        skip = rng.integers(0, 6, n)
        r = np.where(skip == 0, 0, rng.integers(1, 256, n))
        p0 = np.where(skip == 1, 255, rng.integers(0 if p0_zero else 1, 255, n))
        scale = np.where((skip <= 1) & (rng.integers(0, 2, n) == 1), 0, rng.integers(1, 256, n))
        out[f"dred_{kind}_quant_scales_q8"] = scale.astype(np.uint8)
        out[f"dred_{kind}_dead_zone_q8"] = rng.integers(0, 256, n).astype(np.uint8)
        out[f"dred_{kind}_r_q8"] = r.astype(np.uint8)
        out[f"dred_{kind}_p0_q8"] = p0.astype(np.uint8)
    return out


STATS = [synthetic_stats(s) for s in range(8)]
C_STATS = [_dred.make_stats(s) for s in STATS]


def coded(stats, kind, level):
    a = ref.stats_arrays(stats)
    dim = ref.LATENT_DIM if kind == "latent" else ref.STATE_DIM
    r = a[f"{kind}_r"][level * dim:(level + 1) * dim]
    p0 = a[f"{kind}_p0"][level * dim:(level + 1) * dim]
    return (r != 0) & (p0 != 255)


def random_values(rng, mask, big):
    v = rng.integers(-4, 5, mask.size)
    wide = rng.random(mask.size) < 0.05
    v[wide] = rng.integers(-80, 81, int(wide.sum()))
    if big:
        v[rng.integers(0, mask.size)] = rng.integers(-3000, 3001)
    return np.where(mask, v, 0).astype(np.int32)


@st.composite
def payloads(draw, stats=None, nb=st.integers(1, 26)):
    """(index into STATS, DredPayload), or (None, payload) for the given stats."""
    si = draw(st.integers(0, len(STATS) - 1)) if stats is None else None
    q0 = draw(st.integers(0, 15))
    dq = draw(st.integers(0, 7))
    qmax = draw(st.integers(q0 + 1, 15)) if q0 < 14 and dq > 0 else 15
    frame_offset = draw(st.one_of(st.just(0), st.integers(0, ref.MAX_FRAME_OFFSET)))
    total = draw(st.one_of(st.integers(0, 31), st.integers(32, ref.MAX_TOTAL_OFFSET)))
    n = draw(nb)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    big = draw(st.integers(0, 20)) == 0
    stats = STATS[si] if stats is None else stats
    p = ref.DredPayload(q0=q0, dq=dq, qmax=qmax, dred_offset=16 - total + frame_offset,
                        dred_frame_offset=frame_offset, nb_latents=n)
    p.state_q = random_values(rng, coded(stats, "state", q0), big)
    p.latents_q = np.array([random_values(rng, coded(stats, "latent", ref.level(q0, dq, qmax, c)), big)
                            for c in range(n)], np.int32).reshape(n, ref.LATENT_DIM)
    return si, p


def assert_same(a, b, arrays=True):
    for f in ("q0", "dq", "qmax", "dred_offset", "dred_frame_offset", "nb_latents", "ec_bits",
              "samples", "dred_end", "payload"):
        assert getattr(a, f) == getattr(b, f), f
    assert np.array_equal(a.state_q, b.state_q)
    assert np.array_equal(a.latents_q, b.latents_q)
    assert np.array_equal(a.levels, b.levels)
    if arrays:
        assert a.state.dtype == b.state.dtype == np.float32
        assert np.array_equal(a.state, b.state) and np.array_equal(a.latents, b.latents)


# ------------------------------------------------------------------ properties, C vs Python

@SETTINGS
@given(payloads())
def test_encode_c_equals_python_and_round_trips(case):
    si, p = case
    cb = _dred.encode_payload(p, C_STATS[si])
    pb = ref.encode_payload(p, STATS[si])
    assert cb == pb
    d = _dred.decode_payload(cb, 104, p.dred_frame_offset, C_STATS[si])
    assert_same(d, ref.decode_payload(pb, 104, p.dred_frame_offset, STATS[si]))
    assert (d.q0, d.dq, d.qmax, d.dred_offset) == (p.q0, p.dq, p.qmax, p.dred_offset)
    assert np.array_equal(d.state_q, p.state_q)
    # Fewer chunks only when libopus' "fewer than 8 bits left" rule stops the decoder.
    assert d.nb_latents <= p.nb_latents
    assert np.array_equal(d.latents_q, p.latents_q[:d.nb_latents])
    assert 0 <= 8 * len(cb) - d.ec_bits <= 7
    assert list(d.levels) == [ref.level(p.q0, p.dq, p.qmax, c) for c in range(d.nb_latents)]
    if d.nb_latents == p.nb_latents:
        assert _dred.encode_payload(d, C_STATS[si]) == cb  # the encoding is canonical


@SETTINGS
@given(st.integers(0, len(STATS) - 1), st.binary(max_size=300), st.integers(0, 120),
       st.integers(0, ref.MAX_FRAME_OFFSET))
def test_random_bytes_decode_identically(si, data, mff, fo):
    d = _dred.decode_payload(data, mff, fo, C_STATS[si])
    assert_same(d, ref.decode_payload(data, mff, fo, STATS[si]))
    assert 0 <= d.nb_latents <= min(26, (mff + 3) // 4)
    assert 0 <= d.q0 <= 15 and 0 <= d.dq <= 7 and d.qmax <= 15


@SETTINGS
@given(payloads(), st.data())
def test_truncated_and_mutated_decode_identically(case, data):
    si, p = case
    b = bytearray(_dred.encode_payload(p, C_STATS[si]))
    b = b[:data.draw(st.integers(0, len(b)))]
    for _ in range(data.draw(st.integers(0, 3))):
        if b:
            b[data.draw(st.integers(0, len(b) - 1))] ^= data.draw(st.integers(1, 255))
    d = _dred.decode_payload(bytes(b), 104, p.dred_frame_offset, C_STATS[si])
    assert_same(d, ref.decode_payload(bytes(b), 104, p.dred_frame_offset, STATS[si]))
    # Whatever decoded re-encodes, and the re-encoding decodes to the same values.
    e = _dred.decode_payload(_dred.encode_payload(d, C_STATS[si]), 104, p.dred_frame_offset, C_STATS[si])
    assert np.array_equal(e.state_q, d.state_q) and e.nb_latents <= d.nb_latents
    assert np.array_equal(e.latents_q, d.latents_q[:e.nb_latents])


def shortest_prefix(p, data, stop, stats):
    """The smallest chunk count >= stop whose encoding is data (the coded count, up to trailing
    chunks that leave the bytes as they are), or None."""
    for k in range(stop, p.nb_latents + 1):
        q = copy.copy(p)
        q.nb_latents = k
        if ref.encode_payload(q, stats) == data:
            return k
    return None


@SETTINGS
@given(payloads(nb=st.integers(0, 26)))
def test_decode_coded_round_trips(case):
    """decode_coded(encode(p)): reproduced, and p's chunks: all of them, or the shortest prefix
    that encodes to the same bytes (a trailing chunk that changes no byte cannot be seen)."""
    si, p = case
    b = ref.encode_payload(p, STATS[si])
    ok, d = _dred.decode_coded(b, p.dred_frame_offset, C_STATS[si])
    rok, r = ref.decode_coded(b, p.dred_frame_offset, STATS[si])
    assert_same(d, r)
    lib = ref.decode_payload(b, 104, p.dred_frame_offset, STATS[si])
    if len(b) > ref.CODED_MAX_BYTES:  # long escape chains: not tried, the stop rule's chunks
        assert ok is rok is d.reproduced is False
        assert_same(d, lib)
        return
    assert ok is rok is d.reproduced is r.reproduced is True
    assert d.nb_latents == shortest_prefix(p, b, lib.nb_latents, STATS[si])
    assert (d.q0, d.dq, d.qmax, d.dred_offset) == (p.q0, p.dq, p.qmax, p.dred_offset)
    assert np.array_equal(d.state_q, p.state_q)
    assert np.array_equal(d.latents_q, p.latents_q[:d.nb_latents])
    assert list(d.levels) == [ref.level(p.q0, p.dq, p.qmax, c) for c in range(d.nb_latents)]
    assert _dred.encode_payload(d, C_STATS[si]) == b
    if d.nb_latents == lib.nb_latents:
        assert d.ec_bits == lib.ec_bits


@SETTINGS
@given(payloads(nb=st.integers(0, 26)), st.data())
def test_decode_coded_c_equals_python(case, data):
    """Random bytes, and encodings cut short, mutated or extended: C and Python agree, and
    reproduced says whether the result re-encodes to the input."""
    si, p = case
    if data.draw(st.booleans()):
        b = bytearray(data.draw(st.binary(max_size=300)))
    else:
        b = bytearray(ref.encode_payload(p, STATS[si]))
        b = b[:data.draw(st.integers(0, len(b)))] + data.draw(st.binary(max_size=2))
        for _ in range(data.draw(st.integers(0, 2))):
            if b:
                b[data.draw(st.integers(0, len(b) - 1))] ^= data.draw(st.integers(1, 255))
    b = bytes(b)
    fo = data.draw(st.integers(0, ref.MAX_FRAME_OFFSET))
    ok, d = _dred.decode_coded(b, fo, C_STATS[si])
    rok, r = ref.decode_coded(b, fo, STATS[si])
    assert ok == rok == d.reproduced == r.reproduced
    assert_same(d, r)
    lib = _dred.decode_payload(b, 104, fo, C_STATS[si])
    assert d.nb_latents >= lib.nb_latents
    assert np.array_equal(d.latents_q[:lib.nb_latents], lib.latents_q)
    try:
        again = _dred.encode_payload(d, C_STATS[si])
    except InvalidArgumentError:
        again = None
    assert ok == (again == b)
    if not ok:
        assert_same(d, lib)


def check_libopus_floats(x, q, s):
    """x is float32(q) * 256 / float32(s) (s = 0 -> 1) as IEEE single: the correctly rounded
    quotient. Exact in float64: x * s has at most 32 significant bits."""
    s = np.where(s == 0, 1, s).astype(np.float64)
    err = np.abs(x.astype(np.float64) * s - q.astype(np.float64) * 256)
    assert np.all(err <= np.spacing(np.abs(x)).astype(np.float64) / 2 * s)


def check_q16(v, q, s):
    """v is q * 256 / s in Q16 to nearest (|error| <= 1/2), or saturated to +-(2^31 - 1)."""
    s = np.where(s == 0, 1, s).astype(np.int64)
    num = q.astype(np.int64) * (1 << 24)
    sat = np.abs(num) >= (2**31 - 1) * s + s // 2
    assert np.all(np.where(sat, v == np.sign(num) * (2**31 - 1),
                           np.abs(2 * (v.astype(np.int64) * s - num)) <= s))


@SETTINGS
@given(payloads(nb=st.integers(0, 26)))
def test_dequantize_matches_libopus_formula(case):
    si, p = case
    stats = ref.stats_arrays(STATS[si])
    state, latents = _dred.dequantize(p, C_STATS[si])
    rstate, rlatents = ref.dequantize(p, STATS[si])
    assert np.array_equal(state, rstate) and np.array_equal(latents, rlatents)
    assert latents.shape == (p.nb_latents, 26) and latents.dtype == np.float32
    q16s, q16l = _dred.dequantize_q16(p, C_STATS[si])
    rq16s, rq16l = ref.dequantize_q16(p, STATS[si])
    assert np.array_equal(q16s, rq16s) and np.array_equal(q16l, rq16l)
    scales = stats["state_scale"][p.q0 * 50:(p.q0 + 1) * 50]
    check_libopus_floats(state, p.state_q, scales)
    check_q16(q16s, p.state_q, scales)
    for c in range(p.nb_latents):
        lv = ref.level(p.q0, p.dq, p.qmax, c)
        assert latents[c, 25] == np.float32(lv / 8 - 1)
        assert q16l[c, 25] == lv * 8192 - 65536
        ls = stats["latent_scale"][lv * 25:(lv + 1) * 25]
        check_libopus_floats(latents[c, :25], p.latents_q[c], ls)
        check_q16(q16l[c, :25], p.latents_q[c], ls)
    assert not q16l[p.nb_latents:].any()


@SETTINGS
@given(payloads(nb=st.integers(1, 6)), st.data())
def test_parse_c_equals_python(case, data):
    si, p = case
    config = data.draw(st.sampled_from([0, 1, 3, 12, 14, 15, 16, 31]))
    spf = refpacket.samples_per_frame(config << 3)
    nb_frames = data.draw(st.integers(1, min(48, 5760 // spf)))
    frame = data.draw(st.integers(0, nb_frames - 1))
    p.dred_frame_offset = frame * spf // 120
    total = data.draw(st.integers(0, 300))
    p.dred_offset = 16 - total + p.dred_frame_offset
    payload = ref.encode_payload(p, STATS[si])
    others = data.draw(st.lists(st.tuples(st.sampled_from([5, 33, 126]), st.integers(0, nb_frames - 1),
                                          st.binary(max_size=4)), max_size=3))
    others = [(i, f, d[:1] if i < 32 else d) for i, f, d in others]  # short: at most 1 byte
    # A non-DRED ID 126 extension must not start with 'D', 12.
    others = [(i, f, d if i != 126 else b"X" + d) for i, f, d in others]
    ordered = sorted([(126, frame, ref.PREFIX + payload)] + others, key=lambda e: e[1])
    padding = refpacket.generate_extensions(ordered, nb_frames)
    pkt = refpacket.build_packet(config, 0, [b"\x11\x22\x33"] * nb_frames, padding, force_code3=True)
    mds = data.draw(st.sampled_from([0, 480, 960, 2880, 10000, 48000, 100000]))
    fs = data.draw(st.sampled_from(RATES))
    c = _dred.parse_dred(pkt, mds, fs, C_STATS[si])
    r = ref.parse_dred(pkt, mds, fs, STATS[si])
    assert_same(c, r)
    assert c.payload == payload and c.dred_frame_offset == p.dred_frame_offset
    assert c.dred_offset == p.dred_offset
    mff = min(2 + 100 * mds // fs, 104)
    assert c.nb_latents <= min(p.nb_latents, (mff + 3) // 4)
    end = ref._cdiv(-c.dred_offset * fs, 400)  # C division truncates toward zero
    assert c.samples == max(0, c.nb_latents * fs // 25 + end)
    assert c.dred_end == max(0, end)


# ------------------------------------------------------------------ examples and errors

def test_level_schedule():
    assert [ref.level(6, 5, 15, i) for i in range(7)] == [6, 7, 7, 8, 8, 9, 9]
    assert [ref.level(4, 3, 15, i) for i in range(7)] == [4, 4, 5, 5, 5, 5, 6]
    for args in [(q0, dq, qm, i) for q0 in range(16) for dq in range(8) for qm in range(16)
                 for i in (0, 7, 25)]:
        assert _dred.level(*args) == ref.level(*args) == api.level(*args)
    for bad in [(16, 0, 15, 0), (0, 8, 15, 0), (0, 0, 16, 0), (0, 0, 15, 26), (-1, 0, 15, 0)]:
        with pytest.raises(InvalidArgumentError):
            _dred.level(*bad)
        with pytest.raises(InvalidArgumentError):
            ref.level(*bad)


def measured_example_packet(stats, q0=6, dq=5, offset=10, nb=5):
    """Like packet #100 of a libopus 1.6.1 encoding: TOC 0x7B, one frame, 0xFC 'D' 12 payload."""
    p = ref.DredPayload(q0=q0, dq=dq, qmax=15, dred_offset=offset, nb_latents=nb)
    # every coded dim non-zero: each chunk costs more than a byte
    p.latents_q = np.array([np.where(coded(stats, "latent", ref.level(q0, dq, 15, c)), 7, 0)
                            for c in range(nb)], np.int32)
    payload = ref.encode_payload(p, stats)
    pkt = refpacket.build_packet(15, 0, [bytes(39)], bytes([0xFC]) + ref.PREFIX + payload)
    return p, payload, pkt


def test_measured_example_return_values():
    p, payload, pkt = measured_example_packet(STATS[0])
    assert pkt[:2] == b"\x7b\x41"
    for impl, stats in ((_dred, C_STATS[0]), (ref, STATS[0])):
        d = impl.parse_dred(pkt, 48000, 48000, stats)
        assert (d.samples, d.dred_end, d.nb_latents, d.dred_offset) == (8400, 0, 5, 10)
        assert list(d.levels) == [6, 7, 7, 8, 8]
        assert list(d.latents[:, 25]) == [-0.25, -0.125, -0.125, 0, 0]
        assert impl.parse_dred(pkt, 960, 48000, stats).nb_latents == 1
        assert impl.parse_dred(pkt, 2880, 48000, stats).nb_latents == 2
        assert impl.parse_dred(pkt, 0, 48000, stats).samples == 1920 - 1200
        assert impl.find_dred(pkt) == (payload, 0)
    _, _, pkt = measured_example_packet(STATS[0], 4, 3, -6, 2)
    for impl, stats in ((_dred, C_STATS[0]), (ref, STATS[0])):
        d = impl.parse_dred(pkt, 48000, 16000, stats)
        assert (d.samples, d.dred_end) == (2 * 640 + 6 * 40, 240)


def test_public_api():
    p, payload, pkt = measured_example_packet(STATS[1])
    assert api.encode_dred(p, STATS[1]) == payload
    assert api.build_dred_extension(p, STATS[1]) == b"D\x0c" + payload
    assert api.build_dred_extension(payload) == b"D\x0c" + payload
    assert api.parse_dred(pkt, weights=STATS[1]).samples == 8400
    no_dred = refpacket.build_packet(15, 0, [bytes(10)])
    assert api.parse_dred(no_dred, weights=STATS[1]) is None
    assert ref.parse_dred(no_dred, weights=STATS[1]) is None
    with pytest.raises(InvalidPacketError):
        api.parse_dred(b"", weights=STATS[1])


def hidden_chunk_packet():
    """A packet whose payload ends in zero chunks of about 2 bits each, at tables where every coded
    latent dim has P(0) = 240/256: libopus' stop rule leaves some of them out."""
    stats = synthetic_stats(7)
    stats["dred_latent_p0_q8"] = np.where(stats["dred_latent_p0_q8"] == 255, 255, 240).astype(np.uint8)
    for m in range(1, 20):
        p = ref.DredPayload(q0=3, dq=4, qmax=15, dred_offset=4, nb_latents=m + 3)
        p.latents_q = np.array([np.where(coded(stats, "latent", ref.level(3, 4, 15, c)) & (c < m), 9, 0)
                                for c in range(m + 3)], np.int32)
        payload = ref.encode_payload(p, stats)
        if ref.decode_payload(payload, 104, 0, stats).nb_latents == m and \
                ref.decode_coded(payload, 0, stats)[1].nb_latents == m + 3:
            pkt = refpacket.build_packet(15, 0, [bytes(20)], bytes([0xFC]) + ref.PREFIX + payload)
            return stats, p, payload, pkt
    raise AssertionError("no payload with hidden chunks")


def test_coded_chunks_api():
    stats, p, payload, pkt = hidden_chunk_packet()
    lib = api.parse_dred(pkt, weights=stats)
    assert lib.reproduced is None and lib.nb_latents == p.nb_latents - 3
    assert api.encode_dred(lib, stats) != payload
    full = api.parse_dred(pkt, weights=stats, coded_chunks=True)
    assert full.reproduced is True and full.nb_latents == p.nb_latents
    assert np.array_equal(full.latents_q, p.latents_q) and full.latents.shape == (p.nb_latents, 26)
    assert (full.samples, full.dred_end) == (lib.samples, lib.dred_end)
    assert np.array_equal(full.latents[:lib.nb_latents], lib.latents)
    assert api.encode_dred(full, stats) == payload
    # max_dred_samples bounds libopus' parse, not the coded chunks
    short = api.parse_dred(pkt, 960, weights=stats, coded_chunks=True)
    assert short.nb_latents == p.nb_latents
    assert short.samples == api.parse_dred(pkt, 960, weights=stats).samples
    d = api.decode_coded(payload, 0, stats)
    assert d.reproduced is True and np.array_equal(d.latents_q, p.latents_q)
    assert_same(d, ref.decode_coded(payload, 0, stats)[1])
    # bytes no encoder wrote: the stop rule's chunks, reproduced False
    junk = payload[:-1] + bytes([payload[-1] ^ 0x5A])
    for ok, d in (_dred.decode_coded(junk, 0, stats), ref.decode_coded(junk, 0, stats)):
        if not ok:
            assert_same(d, ref.decode_payload(junk, 104, 0, stats), arrays=False)
    assert api.parse_dred(refpacket.build_packet(15, 0, [bytes(10)]), weights=stats,
                          coded_chunks=True) is None
    big = bytes(ref.CODED_MAX_BYTES + 1)
    assert _dred.decode_coded(big, 0, stats)[0] is ref.decode_coded(big, 0, stats)[0] is False
    for impl, s in ((_dred, stats), (ref, stats)):
        with pytest.raises(InvalidArgumentError):
            impl.decode_coded(payload, 49, s)


def test_errors_before_and_after_dred():
    _, payload, _ = measured_example_packet(STATS[2])
    dred = bytes([0xFD, len(payload) + 2]) + ref.PREFIX + payload
    corrupt = bytes([0xFD, 200])  # ID 126 with a length past the padding
    other = bytes([0xFD, 3]) + b"D\x0b\x00" + bytes([0xFD, 2]) + b"D\x0c"  # skipped ID 126
    for padding, ok in ((other + dred + corrupt, True), (corrupt + dred, False)):
        pkt = refpacket.build_packet(15, 0, [bytes(5)], padding)
        for impl, stats in ((_dred, C_STATS[2]), (ref, STATS[2])):
            if ok:
                assert impl.parse_dred(pkt, 48000, 48000, stats).payload == payload
            else:
                with pytest.raises(InvalidPacketError):
                    impl.parse_dred(pkt, 48000, 48000, stats)


def test_encode_rejects_uncodable_payloads():
    stats = synthetic_stats(99, p0_zero=True)
    cstats = _dred.make_stats(stats)
    base = ref.DredPayload(q0=6, dq=5, qmax=15, dred_offset=10, nb_latents=1,
                           latents_q=np.zeros((1, 25), np.int32))
    mask = coded(stats, "state", 6)
    a = ref.stats_arrays(stats)
    p0 = a["state_p0"][300:350]
    cases = [dict(qmax=6), dict(dq=0, qmax=14), dict(nb_latents=27), dict(q0=16),
             dict(dred_offset=17), dict(dred_offset=16 - 8192)]
    bad_state = np.zeros(50, np.int32)
    bad_state[np.flatnonzero(~mask)[0]] = 1  # value in a skipped dim
    for case in cases + [dict(state_q=bad_state)]:
        p = ref.DredPayload(**{**base.__dict__, **case})
        for impl, s in ((_dred, cstats), (ref, stats)):
            with pytest.raises(InvalidArgumentError):
                impl.encode_payload(p, s)
    zero_p0 = np.flatnonzero(mask & (p0 == 0))
    ok_state = np.where(mask, 1, 0).astype(np.int32)
    p = ref.DredPayload(**{**base.__dict__, "state_q": ok_state})
    assert _dred.encode_payload(p, cstats) == ref.encode_payload(p, stats)
    if zero_p0.size:  # a zero where P(0) = 0 has no range to be coded in
        ok_state[zero_p0[0]] = 0
        p = ref.DredPayload(**{**base.__dict__, "state_q": ok_state})
        for impl, s in ((_dred, cstats), (ref, stats)):
            with pytest.raises(InvalidArgumentError):
                impl.encode_payload(p, s)
    p = ref.DredPayload(**{**base.__dict__, "state_q": np.where(mask, 1, 0).astype(np.int32)})
    for impl, s in ((_dred, cstats), (ref, stats)):
        with pytest.raises(BufferTooSmallError):
            impl.encode_payload(p, s, maxlen=3)
    p = ref.DredPayload(**{**base.__dict__, "dred_offset": 16 - 8191})
    assert _dred.encode_payload(p, cstats) == ref.encode_payload(p, stats)


def test_escapes_past_int16_are_kept():
    """A crafted payload with more escapes than an int16 holds decodes to libopus' int values in
    C and Python, and both encoders give back the same bytes (celt/laplace.c escapes)."""
    from dredfx.ref import ec
    stats = synthetic_stats(5)
    stats["dred_state_r_q8"][:] = 255
    stats["dred_state_p0_q8"][:] = 1
    values = [40000, -50000, 32767, -32768, 5] + [0] * 45
    enc = ec.Encoder(100000)
    for v, ft in ((0, 16), (0, 8), (0, 2), (0, 32)):
        enc.enc_uint(v, ft)
    p0, decay = 1 << 7, 255 << 7
    sign_icdf = [32768 - p0, (32768 - p0) // 2, 0]
    mag_icdf = [max(7, decay)]
    for k in range(1, 7):
        mag_icdf.append(max(7 - k, mag_icdf[-1] * decay >> 15))
    mag_icdf.append(0)
    for v in values:  # by hand: no library encoder involved
        enc.enc_icdf16(0 if v == 0 else 1 if v > 0 else 2, sign_icdf, 15)
        m = abs(v) - 1
        while v and m >= 0:
            enc.enc_icdf16(min(m, 7), mag_icdf, 15)
            m -= 7
    n = (enc.tell() + 7) // 8
    enc.shrink(n)
    enc.done()
    b = bytes(enc.buffer[:n])
    scale = ref.stats_arrays(stats)["state_scale"][:50].astype(np.float32)
    scale[scale == 0] = 1
    expect_float = np.array(values, np.float32) * np.float32(256) / scale  # libopus' q*256.f/s
    decoded = []
    for impl in (_dred, ref):
        d = impl.decode_payload(b, 104, 0, stats)
        assert d.state_q.dtype == np.int32 and d.nb_latents == 0
        assert d.state_q.tolist() == values
        assert np.array_equal(d.state, expect_float)
        decoded.append(d)
    for d in decoded:
        assert _dred.encode_payload(d, stats) == b
        assert ref.encode_payload(d, stats) == b
    assert_same(*decoded)
    # Q16 saturates where |q * 256 / s| >= 32768: the output format's limit, q itself is kept.
    c16, r16 = _dred.dequantize_q16(decoded[0], stats), ref.dequantize_q16(decoded[1], stats)
    assert np.array_equal(c16[0], r16[0]) and np.array_equal(c16[1], r16[1])
    assert c16[0][:2].tolist() == [2**31 - 1, -(2**31 - 1)]


# ------------------------------------------------------------------ the real libopus tables

def real_weights():
    from dredfx import weights
    try:
        return weights.default()
    except WeightsError as e:
        pytest.skip(f"libopus 1.6.1 weights not imported ({e}); run the weights importer")


def skipped_set(stats, kind, level):
    return set(np.flatnonzero(~coded(stats, kind, level)).tolist())


@pytest.mark.weights
def test_real_tables_skipped_dims():
    w = real_weights()
    assert all(skipped_set(w, "latent", lv) == set() for lv in range(4))
    assert skipped_set(w, "latent", 4) == {1}
    assert skipped_set(w, "latent", 5) == {1, 16}
    assert skipped_set(w, "latent", 6) == {1, 3, 8, 16, 22, 24}
    for lv in (12, 13, 14, 15):
        assert set(range(25)) - skipped_set(w, "latent", lv) == {7, 9, 13}
    assert skipped_set(w, "state", 0) == {1, 12, 14, 20, 21, 25, 40, 45}
    a = ref.stats_arrays(w)
    for kind, dim in (("latent", 25), ("state", 50)):
        skip = ~np.concatenate([coded(w, kind, lv) for lv in range(16)])
        assert np.all(skip[a[f"{kind}_scale"] == 0])  # every scale-0 entry is a skipped dim
        assert not np.any(a[f"{kind}_p0"][~skip] == 0)  # every value is codable


@pytest.mark.weights
@SETTINGS
@given(st.data())
def test_real_tables_round_trip(data):
    w = real_weights()
    cstats = _REAL.setdefault("c", _dred.make_stats(w))
    arrays = _REAL.setdefault("ref", ref.stats_arrays(w))
    _, p = data.draw(payloads(stats=arrays))
    b = _dred.encode_payload(p, cstats)
    assert b == ref.encode_payload(p, arrays)
    d = _dred.decode_payload(b, 104, p.dred_frame_offset, cstats)
    assert_same(d, ref.decode_payload(b, 104, p.dred_frame_offset, arrays))
    assert np.array_equal(d.latents_q, p.latents_q[:d.nb_latents])


_REAL = {}
