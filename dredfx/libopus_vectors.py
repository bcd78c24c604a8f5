"""libopus 1.6.1's DRED conformance format (its tests/dred_vectors.sh, in libopus' git tag, not in
the release tarball), both ways: export a directory of that format made by dredfx from real
speech, check a directory of that format (libopus', or anyone's) with dredfx, and run the
script's steps with any fargan_demo / opus_demo / dred_compare. docs/conformance.md.

A directory holds, for i = 1 .. 8:
    vector{i}_dred.bit      records: big-endian u32 q0, nb_chunks, nb_bytes, then the range-coded
                            state and nb_chunks / 2 latents, every value at the level q0
    vector{i}_dred_dec.f32  the reference decoder's features of those records (20 float32 a
                            frame, 2 nb_chunks frames a record, oldest first)
    vector{i}_features.f32  features (20 float32 a frame) of vector{i}_orig.sw
    vector{i}_orig.sw       the original 16 kHz mono s16 speech
    vector{i}_opus.bit      an opus_demo -e bitstream of it with DRED and lost packets (length 0)
The script's three steps, each judged by dred_compare:
    fargan_demo -dred-decoding _dred.bit      vs _dred_dec.f32   -features, .5 .15 .02
    fargan_demo -fargan-synthesis _features   vs _orig.sw        -audio, .25 1.0 .15
    opus_demo -d 16000 1 _opus.bit            vs _orig.sw        -audio, 1.0 3.0 .25 (the script
                                                                 calls a failure a warning)
"""
import os
import re
import struct
import subprocess

import numpy as np

from . import dred_compare
from .errors import DredfxError

NB_VECTORS = 8
# Eight clips of scripts/speech-corpus.sh (five languages, 6.5-8.2 s): those where libopus' own
# FARGAN (fargan_demo -features, then -fargan-synthesis) passes the script's vocoder limits with
# the most margin (err4 0.150-0.194; it fails on it-2, it-3 and ru-2: 0.342, 0.260, 0.284).
CLIPS = ("en-3", "fr-3", "es-2", "fr-1", "es-1", "it-1", "en-2", "ru-1")
BITRATE, LOSS, DRED_FRAMES = 32000, 20, 100   # opus_demo -e voip 16000 1 32000 -loss 20 -dred 100
RECORD_EVERY = 10          # one _dred.bit record every 10th packet (200 ms)
MAX_RECORD_LATENTS = 25    # fargan_demo -dred-decoding's buffers hold 50 chunks
STEPS = ("dred", "vocoder", "system")
LIMITS = {"dred": dred_compare.LIMITS_FEATURES, "vocoder": dred_compare.LIMITS_VOCODER,
          "system": dred_compare.LIMITS_SYSTEM}


def names(folder, i):
    """The five paths of vector i."""
    return {k: os.path.join(folder, "vector%d_%s" % (i, k)) for k in
            ("dred.bit", "dred_dec.f32", "features.f32", "orig.sw", "opus.bit")}


# ---------------------------------------------------------------- _dred.bit records
def _tables(weights):
    from .ref.dred import stats_arrays
    return stats_arrays(weights)


def _coded(st, kind, q0, dim):
    r = st[kind + "_r"][q0 * dim:(q0 + 1) * dim]
    p0 = st[kind + "_p0"][q0 * dim:(q0 + 1) * dim]
    return [(k, int(p0[k]) << 7, int(r[k]) << 7) for k in range(dim) if r[k] != 0 and p0[k] != 255]


def dred_record(q0, state_q, latents_q, st):
    """One record: the state and latents (newest first) range-coded at the level q0, as libopus'
    encoder codes a chunk (dred_encode_latents) without the payload header."""
    from . import ec
    enc = ec.Encoder(8192)
    for values, kind, dim in [(state_q, "state", 50)] + [(lat, "latent", 25) for lat in latents_q]:
        for k, p0, decay in _coded(st, kind, q0, dim):
            ec.laplace_encode_p0(enc, int(values[k]), p0, decay)
    n = (enc.tell() + 7) // 8
    enc.shrink(n)
    enc.done()
    return struct.pack(">III", q0, 2 * len(latents_q), n) + bytes(enc.buffer[:n])


def read_dred_records(data, st):
    """[(q0, state_q int32[50], latents_q int32[n][25])] of a _dred.bit file's bytes, decoded as
    fargan_demo -dred-decoding does; a malformed record raises DredfxError."""
    from . import ec
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise DredfxError("record %d: truncated header" % len(out))
        q0, nb_chunks, nb_bytes = struct.unpack_from(">III", data, pos)
        pos += 12
        if q0 >= 16 or nb_chunks % 2 or nb_chunks > 52 or len(data) - pos < nb_bytes:
            raise DredfxError("record %d: q0 %d, nb_chunks %d, %d bytes" % (len(out), q0, nb_chunks, nb_bytes))
        dec = ec.Decoder(data[pos:pos + nb_bytes])
        pos += nb_bytes

        def values(kind, dim):
            v = np.zeros(dim, np.int32)
            for k, p0, decay in _coded(st, kind, q0, dim):
                v[k] = ec.laplace_decode_p0(dec, p0, decay)
            return v
        state = values("state", 50)
        latents = np.array([values("latent", 25) for _ in range(nb_chunks // 2)], np.int32).reshape(-1, 25)
        out.append((q0, state, latents))
    return out


def decode_dred_records(data, weights):
    """dredfx's -dred-decoding of a _dred.bit file's bytes: float32 [frames][20], oldest first
    (what dredfx-demo -dred-decoding writes)."""
    from . import _dred, _rdovae
    from ._types import DredPayload
    st = _tables(weights)
    stats = _dred.make_stats(weights)
    dec = _rdovae.Decoder(weights.core)
    rows = []
    for q0, state_q, latents_q in read_dred_records(data, st):
        p = DredPayload(q0=q0, dq=0, qmax=15, nb_latents=len(latents_q), state_q=state_q,
                        latents_q=latents_q, levels=np.full(len(latents_q), q0, np.uint8))
        s16, l16 = _dred.dequantize_q16(p, stats)
        f = dec.decode_q16(s16, l16[:len(latents_q)])
        rows.append(f[::-1])
    if not rows:
        return np.zeros((0, 20), np.float32)
    return (np.concatenate(rows).astype(np.float64) / 65536).astype(np.float32)


# ---------------------------------------------------------------- export (dredfx -> libopus' format)
def _clip(corpus_dir, name):
    path = os.path.join(corpus_dir, name + ".16k.raw")
    if not os.path.exists(path):
        raise DredfxError("no speech corpus in %s: run scripts/speech-corpus.sh" % corpus_dir)
    x = np.fromfile(path, "<i2")
    return x[:len(x) // 160 * 160]


def _dred_payloads(x, weights):
    """dredfx's DRED encoder on the clip, one call per 20 ms packet (features framed as libopus'
    DRED encoder frames them: 11 zero samples first): [(payload bytes or None, DredPayload)]."""
    from . import analysis, dred
    feats = analysis.Analyzer(16000, weights, delay16k=analysis.DRED_ENCODER_DELAY16K).feed(x)
    enc = dred.Encoder(16000, BITRATE, LOSS, 10 * DRED_FRAMES, 20, weights=weights)
    out = []
    for k in range(len(feats) // 2):
        data = enc.encode(feats[2 * k:2 * k + 2], True)
        out.append((data, enc.last_payload))
    return out


def _strip_dred(packets):
    """The same packets without their padding (and so without DRED), rebuilt by dredfx's packet
    layer; lost packets (b"") stay lost."""
    from .packet import build_packet, parse_packet
    out = []
    for p in packets:
        info = parse_packet(p) if p else None
        out.append(build_packet(info.config, info.stereo, info.frames) if info and info.padding else p)
    return out


def export(folder, weights, opus_demo=None, corpus_dir=None, clips=CLIPS):
    """Writes vectors 1 .. len(clips) into folder, made by dredfx from the speech corpus.
    _opus.bit needs libopus' opus_demo (dredfx has no SILK encoder): libopus encodes and marks
    the lost packets, dredfx replaces every packet's DRED with its own encoder's; without
    opus_demo that file is left out. Returns {i: {what: count}}."""
    from . import analysis, dred, packet
    from .opus_source import cache_dir
    corpus_dir = corpus_dir or os.environ.get("DREDFX_CORPUS_DIR") or os.path.join(cache_dir(), "corpus")
    os.makedirs(folder, exist_ok=True)
    st = _tables(weights)
    made = {}
    for i, clip in enumerate(clips, 1):
        p = names(folder, i)
        x = _clip(corpus_dir, clip)
        x.astype("<i2").tofile(p["orig.sw"])
        analysis.features(x, 16000, weights).astype("<f4").tofile(p["features.f32"])
        payloads = _dred_payloads(x, weights)
        recs = [dred_record(pl.q0, pl.state_q, pl.latents_q[:MAX_RECORD_LATENTS], st)
                for k, (data, pl) in enumerate(payloads)
                if k % RECORD_EVERY == RECORD_EVERY - 1 and data and pl.nb_latents > 0]
        with open(p["dred.bit"], "wb") as f:
            f.write(b"".join(recs))
        decode_dred_records(b"".join(recs), weights).astype("<f4").tofile(p["dred_dec.f32"])
        made[i] = {"clip": clip, "frames": len(x) // 160, "records": len(recs)}
        if opus_demo:
            tmp = p["opus.bit"] + ".libopus"
            _run([opus_demo, "-e", "voip", "16000", "1", str(BITRATE), "-loss", str(LOSS), "-dred",
                  str(DRED_FRAMES), "-enc_loss", p["orig.sw"], tmp])
            pk = packet.read_opus_demo(tmp)
            os.remove(tmp)
            out = []
            for k, bare in enumerate(_strip_dred(pk)):   # lost packets (b"") stay lost
                own = payloads[k][0] if bare and k < len(payloads) else None
                out.append(dred.attach_dred(bare, own, weights=weights) if own else bare)
            packet.write_opus_demo(p["opus.bit"], out)
            made[i].update(packets=len(pk), lost=pk.count(b""))
    return made


def _run(cmd, cwd=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    if r.returncode != 0:
        raise DredfxError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stdout[-2000:]))
    return r.stdout


def export_libopus(folder, libopus_build, weights, corpus_dir=None, clips=CLIPS):
    """The same file set made by libopus 1.6.1 (its fargan_demo and opus_demo in libopus_build):
    features by fargan_demo -features; _opus.bit by opus_demo -e with DRED and lost packets; the
    _dred.bit records from the DRED libopus' encoder put in those packets (the quantized values,
    read by dredfx's parser, which equals libopus' on every field, range-coded again at q0: the
    records hold one level), decoded by fargan_demo -dred-decoding. Returns {i: {what: count}}."""
    from . import dred, packet
    from .opus_source import cache_dir
    corpus_dir = corpus_dir or os.environ.get("DREDFX_CORPUS_DIR") or os.path.join(cache_dir(), "corpus")
    tool = {k: os.path.join(libopus_build, k) for k in ("fargan_demo", "opus_demo")}
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    st = _tables(weights)
    made = {}
    for i, clip in enumerate(clips, 1):
        p = names(folder, i)
        _clip(corpus_dir, clip).astype("<i2").tofile(p["orig.sw"])
        _run([tool["fargan_demo"], "-features", p["orig.sw"], p["features.f32"]], cwd=libopus_build)
        _run([tool["opus_demo"], "-e", "voip", "16000", "1", str(BITRATE), "-loss", str(LOSS), "-dred",
              str(DRED_FRAMES), "-enc_loss", p["orig.sw"], p["opus.bit"]], cwd=libopus_build)
        pk = packet.read_opus_demo(p["opus.bit"])
        recs = []
        for k, data in enumerate(pk):
            pl = dred.parse_dred(data, 16000, 16000, weights=weights) if data else None
            if k % RECORD_EVERY == RECORD_EVERY - 1 and pl is not None and pl.nb_latents > 0:
                recs.append(dred_record(pl.q0, pl.state_q, pl.latents_q[:MAX_RECORD_LATENTS], st))
        with open(p["dred.bit"], "wb") as f:
            f.write(b"".join(recs))
        _run([tool["fargan_demo"], "-dred-decoding", p["dred.bit"], p["dred_dec.f32"]], cwd=libopus_build)
        made[i] = {"clip": clip, "records": len(recs), "packets": len(pk), "lost": pk.count(b"")}
    return made


# ---------------------------------------------------------------- check (a directory, with dredfx)
def check(folder, weights, fargan_demo=None, opus_demo=None, workdir=None, vectors=None):
    """The script's steps on every vector present, each judged by dred_compare's metrics
    reimplemented (dredfx.dred_compare). The implementation under test: dredfx's own
    (decode_dred_records, dredfx.fargan.synthesize) unless fargan_demo (a program with libopus'
    fargan_demo command line) is given; the system step needs opus_demo and is 'pending'
    without it. vectors: the numbers to check (default 1 .. 8). Returns [(i, step, metrics or
    None, passed or None, note)]."""
    from . import fargan
    workdir = workdir or folder
    rows = []
    for i in vectors or range(1, NB_VECTORS + 1):
        p = names(folder, i)
        out = os.path.join(workdir, "vector%d_out" % i)
        if os.path.exists(p["dred.bit"]) and os.path.exists(p["dred_dec.f32"]):
            if fargan_demo:
                _run([fargan_demo, "-dred-decoding", p["dred.bit"], out + ".f32"])
                got = out + ".f32"
            else:
                with open(p["dred.bit"], "rb") as f:
                    got = decode_dred_records(f.read(), weights)
            m = dred_compare.features(p["dred_dec.f32"], got)
            rows.append((i, "dred", m, dred_compare.passes(m, LIMITS["dred"]), dred_compare.line_features(m)))
        if os.path.exists(p["features.f32"]) and os.path.exists(p["orig.sw"]):
            if fargan_demo:
                _run([fargan_demo, "-fargan-synthesis", p["features.f32"], out + ".sw"])
                got = out + ".sw"
            else:
                got = fargan.synthesize(np.fromfile(p["features.f32"], "<f4").reshape(-1, 20), weights)
            m = dred_compare.audio(p["orig.sw"], got)
            ok = dred_compare.passes(m, LIMITS["vocoder"])
            rows.append((i, "vocoder", m, ok, dred_compare.line_audio(m)))
        if os.path.exists(p["opus.bit"]) and os.path.exists(p["orig.sw"]):
            if not opus_demo:
                rows.append((i, "system", None, None, "pending: needs an opus_demo (dredfx-opus)"))
                continue
            _run([opus_demo, "-d", "16000", "1", p["opus.bit"], out + ".opus.sw"])
            m = dred_compare.audio(p["orig.sw"], out + ".opus.sw")
            rows.append((i, "system", m, dred_compare.passes(m, LIMITS["system"]), dred_compare.line_audio(m)))
    return rows


# ---------------------------------------------------------------- the script's steps, any tools
_LINE = re.compile(r"(?:err4|total) = ([-0-9.naif]+), (?:err16|max) = ([-0-9.naif]+), pitch = ([-0-9.naif]+)")


def run_procedure(folder, fargan_demo, opus_demo, dred_compare_exe, workdir):
    """tests/dred_vectors.sh's steps with the given programs (opus_demo None: that step is
    'pending'): [(i, step, passed, dred_compare's metrics line, output file)]."""
    rows = []
    folder, workdir = os.path.abspath(folder), os.path.abspath(workdir)
    fargan_demo = os.path.abspath(fargan_demo)
    opus_demo = opus_demo and os.path.abspath(opus_demo)
    for i in range(1, NB_VECTORS + 1):
        p = names(folder, i)
        out = os.path.join(workdir, "vector%d" % i)
        steps = [("dred", [fargan_demo, "-dred-decoding", p["dred.bit"], out + ".f32"],
                  ["-features", "-thresholds", ".5", ".15", ".02", p["dred_dec.f32"], out + ".f32"]),
                 ("vocoder", [fargan_demo, "-fargan-synthesis", p["features.f32"], out + ".sw"],
                  ["-audio", "-thresholds", "0.25", "1.0", "0.15", p["orig.sw"], out + ".sw"]),
                 ("system", opus_demo and [opus_demo, "-d", "16000", "1", p["opus.bit"], out + ".opus.sw"],
                  ["-audio", "-thresholds", "1.0", "3.0", "0.25", p["orig.sw"], out + ".opus.sw"])]
        for step, dec, cmp in steps:
            if not dec:
                rows.append((i, step, None, "pending: no opus_demo", None))
                continue
            _run(dec, cwd=os.path.dirname(dec[0]))
            r = subprocess.run([dred_compare_exe] + cmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
            m = _LINE.search(r.stdout)
            rows.append((i, step, r.returncode == 0, m.group(0) if m else r.stdout.strip(), cmp[-1]))
    return rows
