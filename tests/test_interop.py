"""Interop with libopus 1.6.1: packets that libopus encodes with DRED from real speech, and
libopus' own parse of them (scripts/interop-data.sh, interop/dred_dump.c), against dredfx's
packet layer, payload parser and payload builder (C through Cython, and the pure-Python twin).

Data: $DREDFX_INTEROP_DIR if set, else scripts/interop-data.sh is run (it fetches and builds
libopus 1.6.1 in the cache folder and reuses its outputs when nothing changed).
"""
import copy
import csv
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from dredfx import errors

from conftest import interop_data_dir

pytestmark = pytest.mark.interop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SAMPLES = (48000, 960, 2880)
STATE_DIM, LATENT_DIM = 50, 25
# Every packet goes through the C path; the pure-Python twin sees every REF_STRIDE-th packet
# (about 3,000 packets, 9,000 parses) to keep this file inside its time budget.
REF_STRIDE = 5


class Packet:
    """One libopus packet and libopus' own parse of it (fields: interop/dred_dump.c)."""
    __slots__ = ("file", "clip", "rate", "bitrate", "loss", "frame_ms", "cbr", "index", "data",
                 "find", "nb_frames", "dred", "parse")

    def __init__(self, meta, rec):
        self.file, self.clip = meta["file"], meta["clip"]
        self.rate, self.bitrate, self.loss = int(meta["rate"]), int(meta["bitrate"]), int(meta["loss"])
        self.frame_ms, self.cbr = meta["frame_ms"], int(meta["cbr"])
        self.index = rec["index"]
        self.data = bytes.fromhex(rec["packet"])
        self.find, self.nb_frames = rec["find"], rec["nb_frames"]
        self.dred = rec.get("dred")
        self.parse = rec["parse"]

    def where(self):
        return "%s #%d" % (self.file, self.index)


@pytest.fixture(scope="module")
def data_dir():
    return interop_data_dir()


@pytest.fixture(scope="module")
def packets(data_dir):
    d = data_dir
    out = []
    with open(os.path.join(d, "manifest.tsv")) as f:
        for meta in csv.DictReader(f, delimiter="\t"):
            with open(os.path.join(d, meta["file"])) as g:
                out.extend(Packet(meta, json.loads(line)) for line in g)
    assert out, "no interop data in %s" % d
    return out


@pytest.fixture(scope="module")
def stats():
    """dredfx's own quantizer tables (libopus array names -> arrays), read from its imported
    weights blob in Python, so that this file tests the payload layer and not the blob loader
    (imported from the libopus tree that interop-data.sh fetched when this machine has none)."""
    from dredfx import weights
    from dredfx.ref import weights as refweights
    path = weights.default_path()
    if not os.path.exists(path):
        src = subprocess.run([os.path.join(ROOT, "scripts", "get-libopus.sh")],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        path = weights.import_weights(src)
    with open(path, "rb") as f:
        return refweights.unpack(f.read())


def _f32(hexstr):
    return np.frombuffer(bytes.fromhex(hexstr), "<f4")


class Compare:
    """Collects field comparisons; remembers the first mismatches with enough context."""

    def __init__(self):
        self.fields = 0
        self.bad = []

    def eq(self, where, name, ours, theirs):
        self.fields += 1
        if ours != theirs:
            self.bad.append("%s: %s: dredfx %r, libopus %r" % (where, name, ours, theirs))

    def arr(self, where, name, ours, theirs):
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        self.fields += theirs.size
        if ours.shape != theirs.shape:
            self.bad.append("%s: %s: shape %s, libopus %s" % (where, name, ours.shape, theirs.shape))
        elif ours.dtype.kind == "f" or theirs.dtype.kind == "f":
            # bit-exact float32
            a, b = ours.astype(np.float32).view(np.uint32), theirs.astype(np.float32).view(np.uint32)
            if not np.array_equal(a, b):
                k = tuple(np.argwhere(a != b)[0])
                self.bad.append("%s: %s[%s]: dredfx %r, libopus %r (%d differ)" % (
                    where, name, ", ".join(map(str, k)), float(ours[k]), float(theirs[k]),
                    int(np.count_nonzero(a != b))))
        elif not np.array_equal(ours.astype(np.int64), theirs.astype(np.int64)):
            k = np.argwhere(ours.astype(np.int64) != theirs.astype(np.int64))[0]
            self.bad.append("%s: %s[%s]: dredfx %d, libopus %d" % (
                where, name, ", ".join(map(str, k)), ours[tuple(k)], theirs[tuple(k)]))

    def check(self, what):
        if self.bad:
            pytest.fail("%s: %d mismatches out of %d fields; first ones:\n  %s" % (
                what, len(self.bad), self.fields, "\n  ".join(self.bad[:25])))


def _offset_fields(p):
    """(flag, high, low) as the payload codes them, from dredfx's dred_offset."""
    total = 16 - (p.dred_offset - p.dred_frame_offset)
    return (1, total >> 5, total & 31) if total > 31 else (0, 0, total)


def _compare_parse(cmp, pkt, max_samples, p, lib):
    where = "%s max_dred_samples=%d" % (pkt.where(), max_samples)
    if lib["ret"] < 0:
        cmp.eq(where, "error", p, lib["ret"])
        return
    if pkt.find == 0:
        cmp.eq(where, "DRED found", p is not None, False)
        return
    if p is None:
        cmp.eq(where, "DRED found", False, True)
        return
    d = pkt.dred
    cmp.eq(where, "return value", int(p.samples), lib["ret"])
    cmp.eq(where, "dred_end", int(p.dred_end), lib["dred_end"])
    cmp.eq(where, "nb_latents", int(p.nb_latents), lib["nb_latents"])
    cmp.eq(where, "dred_offset", int(p.dred_offset), lib["dred_offset"])
    cmp.eq(where, "dred_frame_offset", int(p.dred_frame_offset), d["dred_frame_offset"])
    cmp.eq(where, "q0", int(p.q0), d["q0"])
    cmp.eq(where, "dQ", int(p.dq), d["dq"])
    cmp.eq(where, "qmax", int(p.qmax), d["qmax"])
    cmp.eq(where, "offset flag/high/low", _offset_fields(p),
           (d["extra_offset_flag"], d["offset_high"], d["offset_low"]))
    nb = lib["nb_latents"]
    cmp.arr(where, "levels", np.asarray(p.levels).reshape(-1), lib["levels"])
    cmp.arr(where, "state_q", np.asarray(p.state_q).reshape(-1), lib["state_q"])
    cmp.arr(where, "latents_q", np.asarray(p.latents_q).reshape(-1, LATENT_DIM),
            np.array(lib["latents_q"], np.int64).reshape(nb, LATENT_DIM))
    cmp.arr(where, "state", np.asarray(p.state).reshape(-1), _f32(lib["state_f32"]))
    cmp.arr(where, "latents", np.asarray(p.latents).reshape(-1, LATENT_DIM + 1),
            _f32(lib["latents_f32"]).reshape(nb, LATENT_DIM + 1))
    if max_samples == 48000:
        # every chunk present is decoded: this is the whole payload, as libopus' own ec_dec saw it
        cmp.eq(where, "ec_bits", int(p.ec_bits), d["tell_end"])
        cmp.arr(where, "state_q (ec_dec)", np.asarray(p.state_q).reshape(-1), d["state_q"])
        cmp.arr(where, "latents_q (ec_dec)", np.asarray(p.latents_q).reshape(-1),
                d["latents_q"])


def _run_parse(parse_dred, pkts, stats=None):
    cmp = Compare()
    for pkt in pkts:
        for k, m in enumerate(MAX_SAMPLES):
            lib = pkt.parse[k]
            assert lib["max_dred_samples"] == m
            try:
                p = parse_dred(pkt.data, m, pkt.rate) if stats is None else \
                    parse_dred(pkt.data, m, pkt.rate, stats)
            except Exception as e:  # noqa: BLE001 - reported as a mismatch with its context
                p = "%s: %s" % (type(e).__name__, e)
                cmp.eq("%s max_dred_samples=%d" % (pkt.where(), m), "parse", p, "libopus ret %d"
                       % lib["ret"])
                continue
            _compare_parse(cmp, pkt, m, p, lib)
    return cmp


def test_libopus_data_coverage(packets):
    """The data set meets the interop acceptance: >= 1,000 DRED packets from >= 5 real prompts at
    >= 3 bitrates and >= 2 loss settings, and libopus' floats agree with its range decoder."""
    with_dred = [p for p in packets if p.find > 0]
    clips = {p.clip for p in with_dred if p.clip != "gap"}
    bitrates = {p.bitrate for p in with_dred}
    losses = {p.loss for p in with_dred}
    assert len(with_dred) >= 1000
    assert len(clips) >= 5, clips
    assert len(bitrates) >= 3 and len(losses) >= 2, (bitrates, losses)
    assert {p.rate for p in with_dred} >= {16000, 48000}
    for p in packets:
        assert (p.find > 0) == (p.dred is not None), p.where()
        assert all(x["q_mismatch"] == 0 for x in p.parse), p.where()
        if p.dred:
            assert p.data[p.dred["payload_pos"] - 2:p.dred["payload_pos"]] == b"D\x0c"
    # Every payload is explained by values libopus' own range encoder codes, but for a rare one
    # (1 of 15,002 from the x86 build) whose last byte not even libopus' encoder rebuilds from
    # the values its decoder reads, hidden chunks included (dred_dump explain_payload: -1).
    unexplained = [p.where() for p in with_dred if p.dred["hidden_chunks"] < 0]
    print("\ninterop: %d of %d DRED payloads not rebuilt by libopus itself: %s"
          % (len(unexplained), len(with_dred), unexplained))
    assert len(unexplained) <= -(-len(with_dred) // 10000), unexplained
    # the data reach the corners of the syntax that matter
    assert any(p.dred and p.dred["extra_offset_flag"] for p in packets)
    assert any(p.dred and p.nb_frames > 1 for p in packets)
    assert max(p.dred["nb_chunks"] for p in with_dred) >= 20
    assert any(p.dred and p.dred["nb_chunks"] == 0 for p in packets)


def test_parse_matches_libopus(packets, stats):
    from dredfx import dred
    cmp = _run_parse(dred.parse_dred, packets, stats)
    n_dred = sum(p.find > 0 for p in packets)
    print("\ninterop C parse: %d packets, %d with DRED, %d parses, %d fields compared, "
          "%d mismatches" % (len(packets), n_dred, 3 * len(packets), cmp.fields, len(cmp.bad)))
    cmp.check("dredfx.dred.parse_dred vs libopus opus_dred_parse")


def test_ref_parse_matches_libopus(packets, stats):
    from dredfx.ref import dred as ref_dred
    sub = packets[::REF_STRIDE]
    cmp = _run_parse(ref_dred.parse_dred, sub, stats)
    print("\ninterop ref parse: %d packets, %d fields compared, %d mismatches"
          % (len(sub), cmp.fields, len(cmp.bad)))
    cmp.check("dredfx.ref.dred.parse_dred vs libopus opus_dred_parse")


def _with_hidden_chunks(p, pkt):
    """p plus the chunks libopus coded below the 1.6.1 decoder's stop rule (dred_dump found them
    by re-encoding): the values libopus' encoder actually range-coded."""
    from dredfx.ref import dred as ref_dred
    k = pkt.dred["hidden_chunks"]
    if k == 0:
        return p
    q = copy.copy(p)
    nb = int(p.nb_latents)
    extra = np.array(pkt.dred["hidden_latents_q"], np.int32).reshape(k, LATENT_DIM)
    q.latents_q = np.vstack([np.asarray(p.latents_q, np.int32).reshape(-1, LATENT_DIM), extra])
    q.levels = np.array(list(np.asarray(p.levels).reshape(-1)) + [
        ref_dred.level(int(p.q0), int(p.dq), int(p.qmax), c) for c in range(nb, nb + k)], np.uint8)
    q.nb_latents = nb + k
    return q


def _run_encode(parse_dred, encode, pkts):
    """Per DRED packet: the builder on the parsed values must give the bytes libopus' own range
    coder gives for them (dred_dump 'rebuilt'), and, with the chunks libopus coded below the
    decoder's stop rule added back, the very payload libopus sent."""
    bad, n, same_rebuilt, same_payload, hidden, unexplained = [], 0, 0, 0, 0, 0
    for pkt in pkts:
        if not pkt.dred:
            continue
        n += 1
        want = bytes.fromhex(pkt.dred["payload"])
        rebuilt = bytes.fromhex(pkt.dred["rebuilt"])
        explained = pkt.dred["hidden_chunks"] >= 0  # see test_libopus_data_coverage
        unexplained += not explained
        hidden += pkt.dred["hidden_chunks"] > 0
        try:
            parsed = parse_dred(pkt.data, 48000, pkt.rate)
        except Exception as e:  # noqa: BLE001
            bad.append("%s: parse: %s: %s" % (pkt.where(), type(e).__name__, e))
            continue
        checks = [("decodable values vs libopus ec_enc", rebuilt, lambda p: p)]
        if explained:
            checks.append(("coded values vs libopus payload", want, lambda p: _with_hidden_chunks(p, pkt)))
        for name, target, make in checks:
            try:
                got = bytes(encode(make(parsed)))
            except Exception as e:  # noqa: BLE001
                got = "%s: %s" % (type(e).__name__, e)
            if got == target:
                if target is want:
                    same_payload += 1
                else:
                    same_rebuilt += 1
                continue
            if len(bad) >= 20:
                continue
            if isinstance(got, bytes):
                k = next((i for i in range(min(len(got), len(target))) if got[i] != target[i]),
                         min(len(got), len(target)))
                bad.append("%s (%s, %d hidden chunks): %d bytes vs %d, first difference at byte "
                           "%d: %s vs %s" % (pkt.where(), name, pkt.dred["hidden_chunks"],
                                            len(got), len(target), k, got[k:k + 4].hex(),
                                            target[k:k + 4].hex()))
            else:
                bad.append("%s (%s): %s" % (pkt.where(), name, got))
    return n, same_rebuilt, same_payload, hidden, unexplained, bad


def _report_encode(what, pkts, parse_dred, encode):
    n, same_rebuilt, same_payload, hidden, unexplained, bad = _run_encode(parse_dred, encode, pkts)
    print("\ninterop %s build: %d DRED payloads; %d byte-identical to libopus' ec_enc on the "
          "decodable values; %d of the %d that libopus itself rebuilds byte-identical to the payload "
          "libopus sent (%d of them carry chunks below the decoder's stop rule)"
          % (what, n, same_rebuilt, same_payload, n - unexplained, hidden))
    assert same_rebuilt == n and same_payload == n - unexplained, "%d/%d/%d payloads differ:\n  %s" % (
        n - same_rebuilt, n - unexplained - same_payload, n, "\n  ".join(bad))
    return n


def test_build_reproduces_libopus_payloads(packets, stats):
    from dredfx import dred
    assert _report_encode("C", packets, lambda d, m, r: dred.parse_dred(d, m, r, stats),
                          lambda p: dred.encode_dred(p, stats)) >= 1000


def test_ref_build_reproduces_libopus_payloads(packets, stats):
    from dredfx.ref import dred as ref_dred
    _report_encode("ref", packets[::REF_STRIDE],
                   lambda d, m, r: ref_dred.parse_dred(d, m, r, stats),
                   lambda p: ref_dred.encode_payload(p, stats))


def _run_coded_chunks(decode, pkts):
    """Per DRED packet: dredfx's own parse of every coded chunk is libopus' parse followed by the
    chunks the harness found below libopus' stop rule, and it rebuilds the payload libopus sent."""
    bad, n, hidden, chunks = [], 0, 0, 0
    for pkt in pkts:
        if not pkt.dred:
            continue
        n += 1
        lib = pkt.parse[0]
        assert lib["max_dred_samples"] == 48000
        want = bytes.fromhex(pkt.dred["payload"])
        k = pkt.dred["hidden_chunks"]
        if k < 0:  # not even libopus rebuilds it (test_libopus_data_coverage)
            n -= 1
            continue
        hidden += k > 0
        chunks += k
        latents = np.array(lib["latents_q"] + pkt.dred["hidden_latents_q"] if k else lib["latents_q"],
                           np.int64).reshape(-1, LATENT_DIM)
        try:
            p, got = decode(pkt)
        except Exception as e:  # noqa: BLE001
            bad.append("%s: %s: %s" % (pkt.where(), type(e).__name__, e))
            continue
        why = []
        if p.reproduced is not True:
            why.append("reproduced %r" % p.reproduced)
        if int(p.nb_latents) != lib["nb_latents"] + k:
            why.append("%d chunks, libopus %d + %d hidden" % (p.nb_latents, lib["nb_latents"], k))
        elif not np.array_equal(np.asarray(p.latents_q, np.int64).reshape(-1, LATENT_DIM), latents):
            why.append("latents_q differ")
        if got != want:
            why.append("rebuilt %s, payload %s" % (_brief(got), _brief(want)))
        if why:
            bad.append("%s: %s" % (pkt.where(), "; ".join(why)))
    return n, hidden, chunks, bad


def test_coded_chunks_rebuild_libopus_payloads(packets, stats):
    """dredfx.dred.parse_dred(coded_chunks=True) recovers every chunk libopus' encoder coded, by
    itself: reproduced, libopus' chunks then the hidden ones, and encode_dred gives the payload
    libopus sent (C for every packet, the pure-Python twin for every REF_STRIDE-th)."""
    from dredfx import _dred, dred
    from dredfx.ref import dred as ref_dred
    cstats = _dred.make_stats(stats)

    def c_decode(pkt):
        p = dred.parse_dred(pkt.data, 48000, pkt.rate, cstats, coded_chunks=True)
        return p, dred.encode_dred(p, cstats)

    def ref_decode(pkt):
        payload = bytes.fromhex(pkt.dred["payload"])
        ok, p = ref_dred.decode_coded(payload, pkt.dred["dred_frame_offset"], stats)
        assert ok is p.reproduced
        return p, ref_dred.encode_payload(p, stats)

    n, hidden, chunks, bad = _run_coded_chunks(c_decode, packets)
    rn, rhidden, _, rbad = _run_coded_chunks(ref_decode, packets[::REF_STRIDE])
    print("\ninterop coded chunks: C: %d DRED payloads, %d needed hidden chunks (%d chunks), "
          "%d mismatches; ref: %d payloads, %d with hidden chunks, %d mismatches"
          % (n, hidden, chunks, len(bad), rn, rhidden, len(rbad)))
    assert n >= 1000 and hidden > 0
    assert not bad and not rbad, "\n  ".join((bad + rbad)[:20])


def _brief(b):
    return "none" if b is None else "%d bytes ...%s" % (len(b), b[-6:].hex())


def _check_packet_layer(parse_packet, find_dred, pkts):
    bad = []
    for pkt in pkts:
        try:
            info = parse_packet(pkt.data)
            nb_frames = info.nb_frames
            payload, frame_offset = find_dred(pkt.data)
        except Exception as e:  # noqa: BLE001
            bad.append("%s: %s: %s" % (pkt.where(), type(e).__name__, e))
            continue
        want = bytes.fromhex(pkt.dred["payload"]) if pkt.dred else None
        got = None if payload is None else bytes(payload)
        if nb_frames != pkt.nb_frames or got != want or (
                want is not None and frame_offset != pkt.dred["dred_frame_offset"]):
            bad.append("%s: dredfx/libopus: nb_frames %d/%d, DRED payload %s/%s, frame offset "
                       "%s/%s" % (pkt.where(), nb_frames, pkt.nb_frames, _brief(got),
                                  _brief(want), frame_offset,
                                  pkt.dred and pkt.dred["dred_frame_offset"]))
    return bad


def test_ref_packet_layer_finds_libopus_payloads(packets):
    """Every libopus packet parses, and dredfx finds exactly the DRED bytes libopus found."""
    from dredfx.ref import dred as ref_dred
    from dredfx.ref import packet as ref_packet
    bad = _check_packet_layer(ref_packet.parse_packet, ref_dred.find_dred, packets)
    assert not bad, "%d packet-layer mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:20]))


def test_packet_layer_finds_libopus_payloads(packets):
    from dredfx import _dred, _packet
    bad = _check_packet_layer(_packet.parse_packet, _dred.find_dred, packets)
    assert not bad, "%d packet-layer mismatches:\n  %s" % (len(bad), "\n  ".join(bad[:20]))


def _ext_tuple(e):
    if isinstance(e, tuple):
        return (int(e[0]), int(e[1]), bytes(e[2]).hex())
    return (int(e.id), int(e.frame), bytes(e.data).hex())


def _libopus_ext(data_dir, lines):
    """libopus' opus_packet_extensions_parse of each (nb_frames, padding) through dred_dump."""
    tool = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "dred_dump")
    assert os.path.exists(tool), "no dred_dump next to the interop data (%s)" % tool
    inp = "".join("%d %s\n" % (n, pad.hex()) for n, pad in lines)
    out = subprocess.run([tool, "ext"], input=inp, stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def test_extension_parser_matches_libopus(packets, data_dir):
    """The padding of real packets, and mutations of it, through libopus' extension parser and
    dredfx's (reference and C): same error or same (id, frame, bytes) list."""
    from dredfx import _packet as pyx_packet
    from dredfx.ref import packet as ref_packet
    rng = random.Random(1234)
    cases = []
    for pkt in packets[::5]:
        info = ref_packet.parse_packet(pkt.data)
        if not info.padding:
            continue
        pad = bytes(info.padding)
        cases.append((info.nb_frames, pad))
        m = bytearray(pad)
        for _ in range(rng.randint(1, 3)):
            m[rng.randrange(len(m))] = rng.choice((0x02, 0x03, 0x04, 0x05, 0xFC, 0xFD, 0x00,
                                                   0x01, rng.randrange(256)))
        cases.append((rng.choice((1, 2, 3, info.nb_frames)), bytes(m)))
    # Multi-frame sets written by dredfx's generator (repeat indicators, separators, lacing),
    # as they are and mutated.
    for _ in range(1500):
        nb = rng.randint(1, 6)
        group = [(rng.choice((rng.randint(3, 31), rng.randint(32, 127), 126)),
                  rng.randint(0, 300)) for _ in range(rng.randint(1, 3))]
        exts = []
        for f in range(nb):
            if rng.random() < 0.25:
                continue
            for ext_id, n in (group if rng.random() < 0.7 else group[:1]):
                n = min(n, 1) if ext_id < 32 else (n if rng.random() < 0.5 else rng.randint(0, 300))
                exts.append((ext_id, f, bytes(rng.randrange(256) for _ in range(n))))
        pad = ref_packet.generate_extensions(exts, nb)
        if rng.random() < 0.3:
            pad = ref_packet.generate_extensions(exts, nb, pad=True,
                                                 length=len(pad) + rng.randint(0, 3))
        cases.append((nb, pad))
        if pad:
            m = bytearray(pad)
            m[rng.randrange(len(m))] = rng.randrange(256)
            cases.append((nb, bytes(m)))
    lib = _libopus_ext(data_dir, cases)
    bad = []
    for (nb, pad), want in zip(cases, lib):
        for name, mod in (("ref", ref_packet), ("C", pyx_packet)):
            try:
                got = [_ext_tuple(e) for e in mod.parse_extensions(pad, nb)]
                err = None
            except Exception as e:  # noqa: BLE001
                got, err = None, e
            if want["ret"] < 0:
                ok = err is not None
            else:
                ok = got == [tuple(x) for x in want["exts"]]
            if not ok and len(bad) < 20:
                bad.append("%s nb_frames=%d padding=%s: dredfx %s, libopus %s" % (
                    name, nb, pad.hex(), err or got, want))
    print("\ninterop extensions: %d paddings, %d with libopus errors" % (
        len(cases), sum(w["ret"] < 0 for w in lib)))
    assert not bad, "\n  ".join(bad)


def test_repacketizer_rebuilds_every_libopus_packet(packets):
    """Every packet libopus 1.6.1 sent, rebuilt by dredfx's repacketizer from its frames and
    extensions (C for all, the Python twin for every REF_STRIDE-th): byte for byte, the CBR ones
    at their exact size (libopus pads them to it), the VBR ones in the shortest form; and every
    packet whose one extension is DRED, from the bare frames and the payload by attach_dred."""
    from dredfx import _packet as pyx_packet
    from dredfx.ref import packet as ref_packet
    import dredfx.dred
    bad = []
    forms = {}
    attached = 0
    for k, pkt in enumerate(packets):
        info = ref_packet.parse_packet(pkt.data)
        exts = ref_packet.parse_extensions(info.padding, info.nb_frames) if info.padding else []
        length = len(pkt.data) if pkt.cbr else None
        mods = (pyx_packet, ref_packet) if k % REF_STRIDE == 0 else (pyx_packet,)
        for mod in mods:
            got = mod.repacketize(info.toc, info.frames, exts, length=length)
            if got != pkt.data and len(bad) < 20:
                bad.append("%s: %s: dredfx %s, libopus %s" % (pkt.where(), mod.__name__, got.hex(), pkt.data.hex()))
        # the stripped packet plus its DRED payload, attached as libopus' encoder attaches it
        dred = [e for e in exts if e[0] == 126]
        if len(dred) == 1 and dred[0][1] == 0 and len(exts) == 1:
            bare = pyx_packet.repacketize(info.toc, info.frames)
            got = dredfx.dred.attach_dred(bare, dred[0][2][2:], length=length)
            if got != pkt.data and len(bad) < 20:
                bad.append("%s: attach_dred: dredfx %s, libopus %s" % (pkt.where(), got.hex(), pkt.data.hex()))
            attached += 1
        key = ("cbr" if pkt.cbr else "vbr", "code %d" % info.code, "ext" if exts else "no ext")
        forms[key] = forms.get(key, 0) + 1
    print("\ninterop repacketizer: %d packets rebuilt, %d by attach_dred; forms %s" % (
        len(packets), attached, sorted(forms.items())))
    assert not bad, "%d packets differ:\n  %s" % (len(bad), "\n  ".join(bad))


def _zero_ended_padding_length(data):
    """A code-3 packet whose padding-length bytes are 255s then 0 (libopus' CBR form that the
    shortest encoding never uses)."""
    if len(data) < 4 or data[0] & 3 != 3 or not data[1] & 0x40 or data[2] != 255:
        return False
    i = 2
    while i < len(data) and data[i] == 255:
        i += 1
    return i < len(data) and data[i] == 0


def _carries(ref_packet, data, exts):
    info = ref_packet.parse_packet(data)
    have = ref_packet.parse_extensions(info.padding, info.nb_frames) if info.padding else []
    have = [_ext_tuple(e) for e in have]
    return all(_ext_tuple(e) in have for e in exts)


def _libopus_pad(data_dir, cases):
    """libopus' opus_packet_pad_impl on each (pad, new_len, exts, packet) through dred_dump."""
    tool = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "dred_dump")
    lines = []
    for pad, new_len, exts, data in cases:
        items = " ".join("%d %d x%s" % (i, f, p.hex()) for i, f, p in exts)
        lines.append("%d %d %d %s %s\n" % (pad, new_len, len(exts), items, data.hex()))
    out = subprocess.run([tool, "pad"], input="".join(lines), stdout=subprocess.PIPE, text=True, check=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def test_packet_pad_matches_libopus(packets, data_dir):
    """opus_packet_pad_impl (how libopus' encoder attaches DRED, and opus_packet_pad) against
    dredfx's pad_packet (C and Python), on real packets, packets built from random frames, and
    mutated ones, with 0-3 new extensions, CBR lengths around the 255-byte padding-length steps
    and VBR bounds: same bytes, or an error of the same kind."""
    from dredfx import _packet as pyx_packet
    from dredfx.ref import packet as ref_packet
    rng = random.Random(99)

    def rand_exts(nb):
        out = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            ext_id = rng.choice((126, rng.randint(3, 31), rng.randint(32, 127)))
            n = rng.randint(0, 1) if ext_id < 32 else rng.choice((rng.randint(0, 40), rng.randint(100, 600)))
            out.append((ext_id, rng.randrange(nb), bytes(rng.randrange(256) for _ in range(n))))
        return out

    sources = [pkt.data for pkt in packets[::7]]
    for _ in range(1500):
        config = rng.choice((1, 3, 15, 19, 31))
        spf = ref_packet.samples_per_frame(config << 3)
        nb = rng.randint(1, min(6, 5760 // spf))
        if rng.random() < 0.5:
            n = rng.choice((rng.randint(0, 20), rng.randint(240, 260), rng.randint(0, 600)))
            frames = [bytes(rng.randrange(256) for _ in range(n))] * nb
        else:
            frames = [bytes(rng.randrange(256) for _ in range(rng.choice((rng.randint(0, 20), rng.randint(240, 300)))))
                      for _ in range(nb)]
        sources.append(ref_packet.build_packet(config, rng.randint(0, 1), frames))
    cases = []
    for data in sources:
        nb = ref_packet.parse_packet(data).nb_frames
        for _ in range(2):
            if rng.random() < 0.05:  # mutated: libopus and dredfx must both refuse or agree
                m = bytearray(data)
                m[rng.randrange(len(m))] = rng.randrange(256)
                data = bytes(m)
            exts = rand_exts(nb)
            need = len(data) + sum(len(p) + len(p) // 255 + 4 for _, _, p in exts) + 4
            if rng.random() < 0.6:
                new_len = rng.choice((need + rng.randint(-10, 300), len(data) + 255 * rng.randint(1, 3) + rng.randint(-3, 3),
                                      len(data) + rng.randint(-2, 2)))
                cases.append((1, max(new_len, 0), exts, data))
            else:
                cases.append((0, max(need + rng.randint(-12, 40), 0), exts, data))
    lib = _libopus_pad(data_dir, cases)
    bad = []
    kinds = {}
    for (pad, new_len, exts, data), want in zip(cases, lib):
        if want["ret"] == 0:  # libopus: len == new_len, packet returned as it is
            expect = data if not exts else None
        else:
            expect = bytes.fromhex(want["out"]) if want["ret"] > 0 else None
        kinds[want["ret"] if want["ret"] <= 0 else "ok"] = kinds.get(want["ret"] if want["ret"] <= 0 else "ok", 0) + 1
        for name, mod in (("C", pyx_packet), ("ref", ref_packet)):
            kw = {"length": new_len} if pad else {"maxlen": new_len}
            try:
                got, err = mod.pad_packet(data, exts, **kw), None
            except Exception as e:  # noqa: BLE001
                got, err = None, e
            if want["ret"] == 0 and exts:
                # libopus returns the packet unchanged without looking at it, dropping the new
                # extensions; dredfx carries them, or says the packet is too small or malformed
                # (dredfx_packet_pad in dredfx.h)
                code = getattr(err, "code", None)
                ok = ((code is not None and (code == errors.ERR_BUFFER_TOO_SMALL or
                                             isinstance(err, errors.InvalidPacketError))) or
                      (got is not None and len(got) <= new_len and _carries(ref_packet, got, exts)))
            elif want["ret"] >= 0:
                ok = got == expect
            else:
                # libopus: -1 bad argument, -2 buffer too small, -3 (bad extensions) or -4 invalid packet
                code = getattr(err, "code", None)
                ok = err is not None and (code == want["ret"] or (want["ret"] in (-3, -4) and code <= -40))
            if not ok and len(bad) < 20:
                bad.append("%s pad=%d new_len=%d exts=%s packet=%s: dredfx %s, libopus %s" % (
                    name, pad, new_len, [(i, f, p.hex()) for i, f, p in exts], data.hex(),
                    err or (got.hex() if got is not None else None), want))
    print("\ninterop opus_packet_pad: %d cases, libopus results %s; %d with a padding length written "
          "255, ..., 0" % (len(cases), sorted(kinds.items(), key=str),
                           sum(_zero_ended_padding_length(bytes.fromhex(w["out"])) for w in lib)))
    assert not bad, "\n  ".join(bad)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-s"]))
