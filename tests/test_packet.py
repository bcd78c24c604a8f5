"""Opus packet layer: C (dredfx._packet) and pure Python (dredfx.ref.packet) against each other
and against bytes produced by libopus 1.6.1 (opus_packet_extensions_generate, repacketizer)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dredfx import packet as C
from dredfx.errors import BufferTooSmallError, InvalidArgumentError, InvalidPacketError
from dredfx.ref import packet as P

EXAMPLES = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(fn, *args):
    """Result, or ('error', exception class, code): what C and Python must agree on."""
    try:
        return fn(*args)
    except (InvalidPacketError, InvalidArgumentError, BufferTooSmallError) as e:
        return ("error", type(e).__name__, e.code)


def per_frame(exts, nb_frames):
    return [[(i, p) for i, f, p in exts if f == frame] for frame in range(nb_frames)]


# ---------------------------------------------------------------- strategies

def payload(ext_id):
    return st.binary(max_size=1) if ext_id < 32 else st.binary(max_size=300)


@st.composite
def extension_sets(draw):
    """Extension lists for a packet: random ones, or a template repeated over frames (so the
    generator's repeat form is exercised), in frame order or shuffled."""
    nb_frames = draw(st.one_of(st.integers(1, 4), st.integers(1, 48)))
    ids = st.integers(3, 127)
    exts = []
    if draw(st.booleans()):
        for _ in range(draw(st.integers(0, 12))):
            ext_id = draw(ids)
            exts.append((ext_id, draw(st.integers(0, nb_frames - 1)), draw(payload(ext_id))))
    else:
        template = draw(st.lists(ids, min_size=1, max_size=4))
        lens = [draw(st.integers(0, 1)) for _ in template]
        first = draw(st.integers(0, nb_frames - 1))
        for frame in range(first, nb_frames):
            for ext_id, n in zip(template, lens):
                if draw(st.integers(0, 9)) == 0:
                    continue
                if ext_id < 32:
                    data = draw(st.binary(min_size=n, max_size=n))
                else:
                    data = draw(st.binary(max_size=20 if draw(st.integers(0, 7)) else 300))
                exts.append((ext_id, frame, data))
        if draw(st.booleans()):
            exts = draw(st.permutations(exts))
    return nb_frames, exts


@st.composite
def packets(draw):
    config = draw(st.integers(0, 31))
    spf = P.samples_per_frame(config << 3)
    n = draw(st.integers(1, min(48, 5760 // spf)))
    same = draw(st.booleans())
    size = st.one_of(st.integers(0, 300), st.integers(0, 1275))
    first = draw(size)
    frames = [draw(st.binary(min_size=first if same else 0,
                             max_size=first if same else draw(size))) for _ in range(n)]
    padding = draw(st.one_of(st.just(b""), st.binary(max_size=1100)))
    return (config, draw(st.integers(0, 1)), frames, padding, draw(st.booleans()),
            draw(st.booleans()))


# ---------------------------------------------------------------- properties

@EXAMPLES
@given(extension_sets())
def test_extensions_generate_parse_round_trip(case):
    nb_frames, exts = case
    data = C.generate_extensions(exts, nb_frames)
    assert P.generate_extensions(exts, nb_frames) == data
    parsed = C.parse_extensions(data, nb_frames)
    assert P.parse_extensions(data, nb_frames) == parsed
    assert per_frame(parsed, nb_frames) == per_frame(exts, nb_frames)
    assert C.count_extensions(data, nb_frames) == P.count_extensions(data, nb_frames) == len(exts)
    # padded to a larger size: 0x01 filler first, same extensions
    length = len(data) + 7
    padded = C.generate_extensions(exts, nb_frames, pad=True, length=length)
    assert padded == P.generate_extensions(exts, nb_frames, pad=True, length=length)
    assert padded == b"\x01" * 7 + data
    assert per_frame(C.parse_extensions(padded, nb_frames), nb_frames) == per_frame(exts, nb_frames)
    if data:
        short = len(data) - 1
        assert outcome(C.generate_extensions, exts, nb_frames, False, short) == \
            outcome(P.generate_extensions, exts, nb_frames, False, short) == \
            ("error", "BufferTooSmallError", P.ERR_BUFFER_TOO_SMALL)


@EXAMPLES
@given(packets())
def test_packet_build_parse_round_trip(case):
    config, stereo, frames, padding, force, vbr = case
    data = C.build_packet(config, stereo, frames, padding, force, vbr)
    assert P.build_packet(config, stereo, frames, padding, force, vbr) == data
    pkt = C.parse_packet(data)
    assert P.parse_packet(data) == pkt
    assert pkt.frames == frames and pkt.padding == padding
    assert (pkt.config, pkt.stereo, pkt.nb_frames) == (config, stereo, len(frames))
    n = len(frames)
    want_code = 3 if n > 2 or padding or force else 0 if n == 1 else \
        1 if len(frames[0]) == len(frames[1]) else 2
    assert pkt.code == want_code
    if want_code == 3:
        assert pkt.vbr == int(vbr or len({len(f) for f in frames}) > 1)
    assert outcome(C.build_packet, config, stereo, frames, padding, force, vbr, len(data) - 1) == \
        ("error", "BufferTooSmallError", P.ERR_BUFFER_TOO_SMALL)


def mutate(data, draw):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.integers(0, 3))
        i = draw(st.integers(0, len(data) - 1))
        if op == 0:
            data[i] = draw(st.integers(0, 255))
        elif op == 1:
            del data[i:]
        elif op == 2:
            data[i] = draw(st.integers(0, 7))
        else:
            data.insert(i, draw(st.sampled_from([0, 1, 2, 3, 4, 5, 255])))
    return bytes(data)


@st.composite
def padding_inputs(draw):
    nb_frames = draw(st.integers(0, 48))
    if draw(st.booleans()):
        data = draw(st.binary(max_size=200))
    else:
        n, exts = draw(extension_sets())
        data = mutate(P.generate_extensions(exts, n), draw)
        nb_frames = draw(st.sampled_from([n, nb_frames]))
    return data, nb_frames


@st.composite
def packet_inputs(draw):
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    config, stereo, frames, padding, force, vbr = draw(packets())
    return mutate(P.build_packet(config, stereo, frames, padding, force, vbr), draw)


@EXAMPLES
@given(padding_inputs())
def test_extensions_random_bytes_c_equals_python(case):
    data, nb_frames = case
    got = outcome(C.parse_extensions, data, nb_frames)
    assert outcome(P.parse_extensions, data, nb_frames) == got
    count = outcome(C.count_extensions, data, nb_frames)
    assert count == (len(got) if isinstance(got, list) else got)


@EXAMPLES
@given(packet_inputs())
def test_packet_random_bytes_c_equals_python(data):
    got = outcome(C.parse_packet, data)
    assert outcome(P.parse_packet, data) == got
    if isinstance(got, tuple):
        assert got[1] == "InvalidPacketError" and (got[2] == -4 or -47 <= got[2] <= -40)


# ---------------------------------------------------------------- libopus known answers

FACTS_PADDING = bytes.fromhex(
    "fd12440c12131415161718191a1b1c1d1e1f20210412440c42434445464748494a4b4c4d4e4f5051"
    "440c82838485868788898a8b8c8d8e8f90919293")


def dred_exts():
    p0 = b"D\x0c" + bytes(range(0x12, 0x22))
    p1 = b"D\x0c" + bytes(range(0x42, 0x52))
    p2 = b"D\x0c" + bytes(range(0x82, 0x94))
    return [(126, 0, p0), (126, 1, p1), (126, 2, p2)]


@pytest.mark.parametrize("mod", [C, P])
def test_libopus_repeat_form(mod):
    # FD 12 <18> 04 12 <18> <20 bytes to the end>, made by libopus 1.6.1's
    # opus_packet_extensions_generate
    exts = dred_exts()
    assert mod.generate_extensions(exts, 3) == FACTS_PADDING
    assert mod.parse_extensions(FACTS_PADDING, 3) == exts
    # frame 0 without DRED: starts with a 0x02 separator
    assert mod.generate_extensions(exts[1:], 3) == bytes.fromhex(
        "02fd12440c42434445464748494a4b4c4d4e4f505104440c82838485868788898a8b8c8d8e8f90919293")
    assert mod.generate_extensions(exts[:1], 1) == bytes.fromhex(
        "fc440c12131415161718191a1b1c1d1e1f2021")
    # read as two frames, R = 0 makes frame 1's repeated payload run to the end
    assert mod.parse_extensions(FACTS_PADDING, 2) == [exts[0], (126, 1, FACTS_PADDING[21:])]


REPEAT_EXTS = [(3, 0, b"a"), (3, 1, b"b"), (3, 2, b"c"), (4, 0, b"d"), (4, 1, b""), (4, 2, b""),
               (32, 2, b"DRED2"), (32, 1, b"DRED"), (5, 1, b""), (5, 2, b""), (6, 2, b"f"),
               (6, 1, b"e"), (32, 2, b"DREDthree")]
# libopus 1.6.1 opus_packet_extensions_generate(..., nb_ext, 3 frames, 0) for nb_ext = 0..13
REPEAT_HEX = ["", "0761", "0761020762", "0761046263", "07610562630964", "076105626309640208",
              "07610562630964020804", "07610562630964020804404452454432",
              "076105626309640208410444524544044452454432",
              "076105626309640208410444524544050544524544320a",
              "0761056263096402084104445245440a044452454432",
              "0761056263096402084104445245440a05054452454432020d66",
              "0761056263096402084104445245440a0d6504445245443266",
              "0761056263096402084104445245440a0d6505054452454432660240445245447468726565"]


@pytest.mark.parametrize("mod", [C, P])
@pytest.mark.parametrize("nb_ext", range(14))
def test_libopus_repeating(mod, nb_ext):
    exts = REPEAT_EXTS[:nb_ext]
    data = mod.generate_extensions(exts, 3)
    assert data.hex() == REPEAT_HEX[nb_ext]
    assert len(data) == [0, 2, 5, 5, 7, 9, 10, 16, 21, 23, 22, 26, 25, 37][nb_ext]
    assert per_frame(mod.parse_extensions(data, 3), 3) == per_frame(exts, 3)


@pytest.mark.parametrize("mod", [C, P])
def test_libopus_hand_modified(mod):
    want6 = per_frame(REPEAT_EXTS[:6], 3)
    data = bytes.fromhex(REPEAT_HEX[6]) + bytes([4, 6])  # repeat in last frame + ignored junk
    assert per_frame(mod.parse_extensions(data, 3), 3) == want6
    d8 = bytearray.fromhex(REPEAT_HEX[8])
    d8.insert(15, 0x01)  # padding before the repeat indicator
    assert per_frame(mod.parse_extensions(bytes(d8), 3), 3) == per_frame(REPEAT_EXTS[:8], 3)
    d8.insert(9, 0x05)
    d8.insert(5, 0x05)  # several indicators in one frame, one with nothing to repeat
    assert per_frame(mod.parse_extensions(bytes(d8), 3), 3) == per_frame(REPEAT_EXTS[:8], 3)
    d10 = bytearray.fromhex(REPEAT_HEX[10])
    d10[15:15] = b"\x03\x00"  # separator with increment 0
    assert per_frame(mod.parse_extensions(bytes(d10), 3), 3) == per_frame(REPEAT_EXTS[:10], 3)
    d13 = bytearray.fromhex(REPEAT_HEX[13])
    d13[26] = 0x04  # empty L=0 repeat acting as separator
    assert per_frame(mod.parse_extensions(bytes(d13), 3), 3) == per_frame(REPEAT_EXTS[:13], 3)


BASIC = [(3, 0, b"a"), (32, 10, b"DRED"), (33, 1, b"NOT DRED"), (4, 4, b"")]


@pytest.mark.parametrize("mod", [C, P])
def test_libopus_basic_and_errors(mod):
    want = bytes.fromhex("07610243084e4f54204452454403030803064044524544")
    assert mod.generate_extensions(BASIC, 11) == want
    assert mod.generate_extensions(BASIC, 11, pad=True, length=27) == b"\x01" * 4 + want
    for n in range(23):
        assert outcome(mod.generate_extensions, BASIC, 11, True, n)[2] == -2
    assert mod.parse_extensions(want, 11) == [BASIC[0], BASIC[2], BASIC[3], BASIC[1]]
    bad = bytearray(want)
    bad[4] = 255
    assert outcome(mod.parse_extensions, bytes(bad), 11)[2] == P.ERR_EXT_OVERRUN
    assert outcome(mod.parse_extensions, want, 5)[2] == P.ERR_EXT_FRAME_INDEX
    for ext in [(2, 0, b"a"), (128, 0, b"a"), (33, 11, b"a"), (33, -1, b"a"), (3, 0, b"ab")]:
        assert outcome(mod.generate_extensions, [ext], 11) == ("error", "InvalidArgumentError", P.ERR_BAD_ARG)


@pytest.mark.parametrize("mod", [C, P])
def test_libopus_repacketizer_packet(mod):
    # opus_repacketizer_out of three 20 ms hybrid packets with one DRED-like extension each
    want = bytes.fromhex(
        "7b433c000102030405060708091011121314151617181920212223242526272829") + FACTS_PADDING
    frames = [bytes(range(16 * k, 16 * k + 10)) for k in range(3)]
    assert mod.build_packet(15, 0, frames, FACTS_PADDING) == want
    pkt = mod.parse_packet(want)
    assert (pkt.toc, pkt.code, pkt.vbr, pkt.nb_frames, pkt.samples_per_frame) == (0x7B, 3, 0, 3, 960)
    assert pkt.frames == frames and pkt.padding == FACTS_PADDING
    # the same with CBR padding to 120 bytes: 0x01 filler before the extensions
    padding = mod.generate_extensions(dred_exts(), 3, pad=True, length=87)
    cbr = mod.build_packet(15, 0, frames, padding)
    assert len(cbr) == 120 and cbr[:3] == b"\x7b\x43\x57" and cbr[33:60] == b"\x01" * 27
    assert cbr[60:] == FACTS_PADDING


# ---------------------------------------------------------------- repacketizer / opus_packet_pad

@pytest.mark.parametrize("mod", [C, P])
def test_libopus_packet_pad_known_answers(mod):
    """Bytes that libopus 1.6.1's opus_packet_pad_impl wrote for these inputs (interop/dred_dump.c
    pad mode)."""
    small = bytes.fromhex("084142")
    dred = [(126, 0, bytes.fromhex("44430c"))]
    # the 3-frame packet above, CBR to 120 bytes: its own extensions after 0x01 filler
    three = mod.build_packet(15, 0, [bytes(range(16 * k, 16 * k + 10)) for k in range(3)], FACTS_PADDING)
    out = mod.pad_packet(three, length=120)
    assert len(out) == 120 and out[:3] == bytes.fromhex("7b4357") and out[33:60] == b"\x01" * 27
    assert out[60:] == FACTS_PADDING
    # pad amount 256: libopus writes the padding length as 255, 0 (not the shortest form)
    out = mod.pad_packet(small, length=260)
    assert out[:6] == bytes.fromhex("0b41ff004142") and out[6:] == bytes(254)
    out = mod.pad_packet(small, dred, length=260)
    assert out[:6] == bytes.fromhex("0b41ff004142") and out[6:] == b"\x01" * 250 + bytes.fromhex("fc44430c")
    out = mod.pad_packet(small, dred, length=261)
    assert out[:6] == bytes.fromhex("0b41ff014142") and out[6:] == b"\x01" * 251 + bytes.fromhex("fc44430c")
    # VBR: the shortest packet
    assert mod.pad_packet(small, dred) == bytes.fromhex("0b41044142fc44430c")
    assert mod.pad_packet(small, length=600)[:6] == bytes.fromhex("0b41ffff5541")
    # code 2 with an empty second frame, two extensions on two frames
    out = mod.pad_packet(bytes.fromhex("7a03414243"), [(5, 0, b"\x01"), (126, 1, b"D\x03")], maxlen=100)
    assert out == bytes.fromhex("7bc20603414243" "0b0102fc4403")
    # as it is when already that long and nothing is added; errors as libopus'
    assert mod.pad_packet(small, length=3) == small
    assert outcome(mod.pad_packet, small, dred, 2)[1:] == ("InvalidArgumentError", P.ERR_BAD_ARG)
    assert outcome(mod.pad_packet, small, dred, 5)[1:] == ("BufferTooSmallError", P.ERR_BUFFER_TOO_SMALL)
    assert outcome(mod.pad_packet, b"\x0b\x41\x42", (), 100)[1:] == ("InvalidPacketError", P.ERR_PACKET_PADDING)


@st.composite
def repacketize_inputs(draw):
    config = draw(st.sampled_from([0, 1, 3, 15, 16, 19, 31]))  # 10, 20, 60, 20, 2.5, 20, 20 ms
    spf = P.samples_per_frame(config << 3)
    n = draw(st.integers(1, min(6, 5760 // spf)))
    if draw(st.booleans()):
        size = draw(st.integers(0, 400))
        frames = [draw(st.binary(min_size=size, max_size=size)) for _ in range(n)]
    else:
        frames = [draw(st.binary(max_size=draw(st.sampled_from([3, 60, 300])))) for _ in range(n)]
    exts = []
    for _ in range(draw(st.integers(0, 3))):
        ext_id = draw(st.integers(3, 127))
        exts.append((ext_id, draw(st.integers(0, n - 1)), draw(payload(ext_id))))
    toc = config << 3 | draw(st.integers(0, 1)) << 2 | draw(st.integers(0, 3))
    base = sum(len(f) for f in frames) + 2 * n + 2
    length = draw(st.one_of(st.none(), st.integers(max(0, base - 20), base + 700)))
    maxlen = draw(st.one_of(st.none(), st.integers(0, base + 300)))
    return toc, frames, exts, length, maxlen


@EXAMPLES
@given(repacketize_inputs())
def test_repacketize_c_equals_python_and_parses_back(case):
    """C and Python give the same bytes or the same error; a result parses back to the same frames
    and extensions (frame by frame, in order), and is exactly `length` bytes when one is asked."""
    toc, frames, exts, length, maxlen = case
    got = outcome(C.repacketize, toc, frames, exts, length, maxlen)
    assert got == outcome(P.repacketize, toc, frames, exts, length, maxlen)
    if isinstance(got, tuple):
        return
    if length is not None:
        assert len(got) == length
    elif maxlen is not None:
        assert len(got) <= maxlen
    pkt = P.parse_packet(got)
    assert pkt.frames == frames and pkt.toc & 0xFC == toc & 0xFC
    assert per_frame(P.parse_extensions(pkt.padding, pkt.nb_frames), len(frames)) == per_frame(exts, len(frames))
    # and pad_packet of that packet with nothing new gives it back (VBR: the shortest form)
    if length is None:
        assert C.pad_packet(got) == got == P.pad_packet(got)


@EXAMPLES
@given(packet_inputs(), st.lists(st.tuples(st.integers(3, 127), st.integers(0, 2), st.binary(max_size=40)),
                                  max_size=2), st.one_of(st.none(), st.integers(0, 1500)))
def test_pad_packet_random_bytes_c_equals_python(data, exts, length):
    """Random and mutated packets into pad_packet: same bytes or same error in C and Python."""
    exts = [(i, f, p[:1] if i < 32 else p) for i, f, p in exts]
    assert outcome(C.pad_packet, data, exts, length) == outcome(P.pad_packet, data, exts, length)


@pytest.mark.parametrize("mod", [C, P])
def test_rfc6716_rules(mod):
    def err(data):
        return outcome(mod.parse_packet, data)[2]
    assert err(b"") == P.ERR_PACKET_EMPTY                                   # R1
    assert err(bytes([0x78]) + bytes(1276)) == P.ERR_PACKET_FRAME_SIZE      # R2
    assert err(bytes([0x79, 1, 2, 3])) == P.ERR_PACKET_CBR_SIZE             # R3
    assert err(bytes([0x7A, 10]) + bytes(9)) == P.ERR_PACKET_LENGTH         # R4
    assert err(bytes([0x7A, 252])) == P.ERR_PACKET_LENGTH
    assert err(bytes([0x7B, 0])) == P.ERR_PACKET_FRAME_COUNT                # R5
    assert err(bytes([0x7B, 7])) == P.ERR_PACKET_FRAME_COUNT
    assert err(bytes([0x7B, 3]) + bytes(7)) == P.ERR_PACKET_CBR_SIZE        # R6
    assert err(bytes([0x7B, 0x42, 5, 0, 0])) == P.ERR_PACKET_PADDING
    assert err(bytes([0x7B, 0x83, 1, 2, 0])) == P.ERR_PACKET_LENGTH         # R7
    assert err(bytes([0x7B, 0xC2, 2, 3, 0, 0, 0])) == P.ERR_PACKET_LENGTH
    ok = mod.parse_packet(bytes([0x7B, 0xC2, 2, 1, 0xAA, 0xBB, 0xCC]))
    assert ok.frames == [b"\xaa", b""] and ok.padding == b"\xbb\xcc" and ok.vbr == 1
    ok = mod.parse_packet(bytes([0x7B, 0x41, 255, 0]) + bytes(254))
    assert ok.padding == bytes(254) and ok.frames == [b""]


def test_find_extension_skips_non_dred():
    exts = [(126, 0, b"X\x0cab"), (126, 1, b"D\x0ccd"), (126, 2, b"D\x0cef")]
    data = P.generate_extensions(exts, 3)

    def is_dred(ext):
        return len(ext[2]) > 2 and ext[2][:2] == b"D\x0c"

    assert P.find_extension(data, 3, 126, is_dred) == exts[1]
    assert P.find_extension(data, 3, 126) == exts[0]
    assert P.find_extension(data, 3, 77) is None
    # an error after the match is not seen; one before it is raised
    bad = bytes([0xFD, 4]) + b"D\x0c\x09\x09" + b"\x02"
    assert P.find_extension(bad, 1, 126, is_dred) == (126, 0, b"D\x0c\x09\x09")
    with pytest.raises(InvalidPacketError) as e:
        P.find_extension(b"\x02" + bad, 1, 126, is_dred)
    assert e.value.code == P.ERR_EXT_FRAME_INDEX
