"""Conformance vectors: generate a vector set, verify one (format: docs/conformance.md).

    python -m dredfx.vectors generate DIR [--inputs FROM_DIR [--add-layer2] [--add-layer3] |
                                           --interop DATA_DIR]
                                          [--corpus DIR] [--weights BLOB]
    python -m dredfx.vectors verify DIR [--impl c|ref] [--weights BLOB]
    python -m dredfx.vectors export-libopus DIR [--opus-demo PROG | --libopus BUILD]
    python -m dredfx.vectors check-libopus DIR [--fargan-demo PROG] [--opus-demo PROG] [--vector N]

export-libopus / check-libopus: libopus' own format (tests/dred_vectors.sh), dredfx.libopus_vectors.

A vector set is a folder: manifest.txt (line-based text) and record files (a 16-byte header,
then little-endian length-prefixed records). Each *set* is one input record file and an
operation (op); each *stage* of a set is one expected-output file with one record per input
record. A "frame" is one record: the manifest holds every file's SHA-256 and every record's
MD5, so a mismatch names its frame. c/tools/dredfx_vectors_check.c verifies the same files
without Python.

generate: inputs from real libopus 1.6.1 packets (the interop data of scripts/interop-data.sh)
and crafted ones, expected outputs from the C library; with --inputs, the inputs (and labels) of
an existing set are kept and only the expected outputs and the manifest are made again (the way
to add a stage when a layer lands, or to record a new weights blob).
verify: recomputes every stage with the C library (--impl c) or the pure-Python reference
(--impl ref) and compares bit for bit.

Adding a layer: an op (OPS: input layout and its stages) and its stage functions (STAGES);
Impl.run gives a stage what the op computed. Layer 2's op `fargan` is stateful (STATEFUL): its
records run in order on one vocoder state, a `cont` record starting a fresh run. The RDO-VAE
features are a further stage of the DRED ops (dredfx.dred.decode_features); PLC runs and the
receiver are further stateful ops: `plc`, and layer 3's `opus-receive` (Opus packets with a loss
pattern through dredfx-opus, receive_slots; its runs are decoded whole in Impl.begin_set because a
lost slot looks ahead to the next packet's DRED). A stage's compare mode is "exact" or layer 3's
tolerance "dred_compare-audio:E4,E16,P" (compare_limits): bits are compared first, and a run
that differs is judged whole with dred_compare -audio.
"""
import argparse
import csv
import hashlib
import json
import os
import struct
import sys
from dataclasses import dataclass, field

import numpy as np

from . import __version__, LIBOPUS_VERSION
from .errors import DredfxError

FORMAT_VERSION = 1
MANIFEST = "manifest.txt"
RECORD_MAGIC = b"DFXVREC1"
RECORD_HEADER = 16
STATE_DIM, LATENT_DIM, MAX_LATENTS = 50, 25, 26

# op -> (struct layout of the parameters before the bytes of an input record, stages).
OPS = {
    "dred-parse": ("<ii", ("quant", "dq16", "features")),   # max_dred_samples, sampling_rate; packet
    "dred-decode": ("<ii", ("quant", "dq16", "features")),  # min_feature_frames, dred_frame_offset; payload
    "dred-coded": ("<i", ("quant", "dq16", "features")),    # dred_frame_offset; payload
    "fargan": ("<i", ("pcm",)),                  # kind; cont: pcm[320], features[5][20]; synth: features[20]
    "plc": ("<i", ("pcm",)),                     # kind (PLC_*), then pcm[160] or features[20]
    "opus-receive": ("<i", ("pcm",)),            # kind (RX_*), then rate, channels / packet / frame_size
}
# Ops whose records run in order on one state; a mismatch names the first frame of its run
# that differs, the later frames of that run are counted in one line.
STATEFUL = {"fargan", "plc", "opus-receive"}
FARGAN_CONT, FARGAN_SYNTH = 0, 1     # record kinds of the fargan op
# Record kinds of the plc op (dredfx_plc_* = libopus lpcnet_plc_*): a fresh state (a new run), a
# good frame int16[160], a concealed frame, features int32[20] queued, a skip queued, the queue
# emptied.
PLC_INIT, PLC_UPDATE, PLC_CONCEAL, PLC_FEC_ADD, PLC_FEC_SKIP, PLC_FEC_CLEAR = range(6)
# Record kinds of the opus-receive op (layer 3, the receiver): a new decoder (i32 sampling_rate,
# i32 channels: a new run), a received packet (its bytes), a lost slot (i32 frame_size, samples
# per channel at the decoder's rate).
RX_INIT, RX_PACKET, RX_LOST = range(3)
FARGAN_NF, FARGAN_FRAME, FARGAN_CONT_SAMPLES, FARGAN_CONT_FRAMES = 20, 160, 320, 5
ERR_BAD_ARG = -1
# How a stage's records are compared; "exact": byte for byte (every integer layer).
COMPARE_EXACT = "exact"
QUANT_HEAD = ("status", "found", "dred_end", "q0", "dq", "qmax", "dred_offset",
              "dred_frame_offset", "nb_latents", "ec_bits")


class VectorError(Exception):
    """A vector set that cannot be read (missing file, bad format)."""


# ---------------------------------------------------------------- record files
def write_records(path, bodies):
    with open(path, "wb") as f:
        f.write(RECORD_MAGIC + struct.pack("<II", len(bodies), 0))
        for b in bodies:
            f.write(struct.pack("<I", len(b)))
            f.write(b)


def read_records(path):
    """The record bodies of a record file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise VectorError("cannot read %s: %s" % (path, e.strerror)) from None
    if len(data) < RECORD_HEADER or data[:8] != RECORD_MAGIC:
        raise VectorError("%s: not a dredfx vector record file (bad magic)" % path)
    n, zero = struct.unpack_from("<II", data, 8)
    pos, out = RECORD_HEADER, []
    for i in range(n):
        if pos + 4 > len(data):
            raise VectorError("%s: truncated at frame %d" % (path, i))
        (size,) = struct.unpack_from("<I", data, pos)
        if pos + 4 + size > len(data):
            raise VectorError("%s: frame %d runs past the end" % (path, i))
        out.append(data[pos + 4:pos + 4 + size])
        pos += 4 + size
    if zero or pos != len(data):
        raise VectorError("%s: %d bytes after the last frame" % (path, len(data) - pos))
    return out


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _md5(b):
    return hashlib.md5(b).hexdigest()


# ---------------------------------------------------------------- manifest
@dataclass
class SetSpec:
    name: str
    layer: int
    op: str
    stages: list                                 # [(stage, compare mode, file)]
    inputs: list = field(default_factory=list)   # [(body, label)]
    nframes: int = 0                             # frame count of the manifest's set line

    @property
    def input_file(self):
        return self.name + ".in"


@dataclass
class Manifest:
    fields: dict            # header key -> value (dredfx-vectors, dredfx, libopus, weights)
    sets: list              # [SetSpec] (inputs empty)
    files: dict             # name -> (bytes, sha256)
    frames: dict            # file -> {index: (md5, label)}


def read_manifest(folder):
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise VectorError("cannot read %s: %s" % (path, e.strerror)) from None
    m = Manifest({}, [], {}, {})
    for no, line in enumerate(lines, 1):
        t = line.split()
        if not t or t[0].startswith("#"):
            continue
        try:
            if t[0] in ("dredfx-vectors", "dredfx", "libopus", "weights") and len(t) == 2:
                m.fields[t[0]] = t[1]
            elif t[0] == "set" and len(t) == 6:
                s = SetSpec(t[1], int(t[2]), t[3], [], nframes=int(t[5]))
                if t[4] != s.input_file:
                    raise ValueError("input file of set %s must be %s" % (t[1], s.input_file))
                m.sets.append(s)
            elif t[0] == "stage" and len(t) == 5:
                s = next(s for s in m.sets if s.name == t[1])
                s.stages.append((t[2], t[3], t[4]))
            elif t[0] == "file" and len(t) == 4:
                m.files[t[1]] = (int(t[2]), t[3])
            elif t[0] == "frame" and len(t) in (4, 5):
                m.frames.setdefault(t[1], {})[int(t[2])] = (t[3], t[4] if len(t) == 5 else "")
            else:
                raise ValueError("unknown line")
        except (ValueError, StopIteration) as e:
            raise VectorError("%s:%d: %s: %s" % (path, no, e or "set not declared yet", line)) \
                from None
    if m.fields.get("dredfx-vectors") != str(FORMAT_VERSION):
        raise VectorError("%s: not a dredfx-vectors %d manifest" % (path, FORMAT_VERSION))
    return m


def _write_manifest(folder, sets, weights_sha):
    lines = ["# dredfx conformance vectors; format: docs/conformance.md",
             "# regenerate: python -m dredfx.vectors generate DIR --inputs DIR",
             "dredfx-vectors %d" % FORMAT_VERSION, "dredfx %s" % __version__,
             "libopus %s" % LIBOPUS_VERSION, "weights %s" % weights_sha]
    frames = []
    for s in sets:
        lines.append("set %s %d %s %s %d" % (s.name, s.layer, s.op, s.input_file, len(s.inputs)))
        for stage, mode, fname in s.stages:
            lines.append("stage %s %s %s %s" % (s.name, stage, mode, fname))
    for s in sets:
        for fname in [s.input_file] + [f for _, _, f in s.stages]:
            path = os.path.join(folder, fname)
            lines.append("file %s %d %s" % (fname, os.path.getsize(path), _sha256(path)))
            labels = [lab for _, lab in s.inputs] if fname == s.input_file else None
            for i, body in enumerate(read_records(path)):
                frames.append("frame %s %d %s%s" % (fname, i, _md5(body),
                                                    " " + labels[i] if labels else ""))
    with open(os.path.join(folder, MANIFEST), "w") as f:
        f.write("\n".join(lines + frames) + "\n")


# ---------------------------------------------------------------- running an op
class Impl:
    """The DRED functions of one implementation ("c": the C library through Cython; "ref": the
    pure-Python reference), bound to the stats tables of one weights blob."""

    def __init__(self, name, weights):
        if name == "c":
            from . import _dred as m
            self.stats = m.make_stats(weights)
        elif name == "ref":
            from .ref import dred as m
            self.stats = m.stats_arrays(weights)
        else:
            raise ValueError("implementation must be c or ref, not %r" % name)
        self.m = m
        self.name = name
        self.weights = weights
        self.vocoder = self.plc = self.rdovae = None   # made on first use (C library only)

    def supports(self, op, stage=None):
        """The float reference has no bit-exact FARGAN, PLC or RDO-VAE decoder: tests/test_vectors.py
        checks it against the fixed-point records by the accuracy contracts instead."""
        if self.name == "c":
            return op in OPS and (op != "opus-receive" or self.opus_missing() is None)
        return op in OPS and op not in STATEFUL and stage != "features"

    def skip_reason(self, op):
        if op == "opus-receive" and self.name == "c":
            return "layer 3 (the receiver) needs dredfx.opus, which is not built: %s" % self.opus_missing()
        if op == "opus-receive":
            return "the pure-Python reference has no Opus codec (layer 3 runs dredfx.opus: impl c)"
        return ("no bit-exact FARGAN, PLC or RDO-VAE decoder in impl %s; tests/test_vectors.py holds "
                "the float reference to the accuracy contracts" % self.name)

    def opus_missing(self):
        """None when dredfx.opus (dredfx-opus, layer 3's receiver) is built, else why not."""
        try:
            from . import opus   # noqa: F401
        except ImportError as e:
            return str(e)
        return None

    def begin_set(self, op, bodies=()):
        """A stateful op's state for a new set (the C checker does the same); opus-receive decodes
        each run whole here (its lost slots look ahead to the next packet) and run() hands out
        the slots' results in order."""
        if op == "opus-receive":
            from . import opus
            opus.set_weights(self.weights.blob)
            self.rx_out = []
            for _, rate, channels, slots in rx_runs(bodies):
                good = [s for s in slots if not isinstance(s, VectorError)]
                if rate is None:
                    out = []
                else:
                    try:
                        out = receive_slots(opus, rate, channels, good)
                        self.rx_out.append((0, None, "init"))
                    except DredfxError as e:   # no decoder for this run: every slot OPUS_BAD_ARG
                        out = [(ERR_BAD_ARG, None, "no-decoder")] * len(good)
                        self.rx_out.append((int(e.code), None, "init"))
                out = iter(out)
                self.rx_out += [s if isinstance(s, VectorError) else next(out) for s in slots]
            self.rx_out.reverse()
        elif op == "fargan":
            from . import _fargan
            self.vocoder = _fargan.FARGAN(self.weights.core)
        elif op == "plc":
            from . import _plc
            self.plc = _plc.PLC(self.weights.core)

    def run(self, op, body):
        """(status, found, DredPayload or None, dred_end): the return value of the C call
        (an error code when negative), whether a DRED extension was found. fargan: (status,
        int16 PCM or None)."""
        if op == "fargan":
            return self._run_fargan(body)
        if op == "plc":
            return self._run_plc(body)
        if op == "opus-receive":
            r = self.rx_out.pop()
            if isinstance(r, VectorError):
                raise r
            return r[:2]
        layout = OPS[op][0]
        args = struct.unpack_from(layout, body)
        data = body[struct.calcsize(layout):]
        try:
            if op == "dred-parse":
                p = self.m.parse_dred(data, args[0], args[1], self.stats)
                return (0, 0, None, 0) if p is None else (int(p.samples), 1, p, int(p.dred_end))
            if op == "dred-decode":
                p = self.m.decode_payload(data, args[0], args[1], self.stats)
                return int(p.nb_latents), 1, p, 0
            reproduced, p = self.m.decode_coded(data, args[0], self.stats)
            return int(reproduced), 1, p, 0
        except DredfxError as e:
            return int(e.code), 0, None, 0

    def dequantize_q16(self, p):
        return self.m.dequantize_q16(p, self.stats)

    def features_q16(self, state_q16, latents_q16):
        """dredfx_rdovae_decode_all: int32 Q16 features [4 n][20], libopus' fec_features order."""
        if self.rdovae is None:
            from . import _rdovae
            self.rdovae = _rdovae.Decoder(self.weights.core)
        return self.rdovae.decode_q16(np.asarray(state_q16, np.int32), np.asarray(latents_q16, np.int32))

    def _run_fargan(self, body):
        """cont: a fresh state (dredfx_fargan_init), then dredfx_fargan_cont; synth: one frame of
        dredfx_fargan_synthesize_int16 (an error before any cont)."""
        from . import _fargan
        kind, pcm, feats = fargan_record(body)
        try:
            if kind == FARGAN_CONT:
                self.vocoder = _fargan.FARGAN(self.weights.core)
                self.vocoder.cont(pcm, feats)
                return 0, None
            return 0, self.vocoder.synthesize_int16(feats)
        except DredfxError as e:
            return int(e.code), None


    def _run_plc(self, body):
        from . import _plc
        kind, arg = plc_record(body)
        try:
            if kind == PLC_INIT:
                self.plc = _plc.PLC(self.weights.core)
            elif kind == PLC_UPDATE:
                self.plc.update(arg)
            elif kind == PLC_CONCEAL:
                return 0, self.plc.conceal(1)
            elif kind in (PLC_FEC_ADD, PLC_FEC_SKIP):
                self.plc.fec_add(arg)
            else:
                self.plc.fec_clear()
            return 0, None
        except DredfxError as e:
            return int(e.code), None


def plc_record(body):
    """(kind, int16 pcm[160] / int32 features[20] / None) of a plc input record; a record of the
    wrong size raises VectorError."""
    kind = struct.unpack_from("<i", body)[0] if len(body) >= 4 else -1
    size = {PLC_UPDATE: 4 + 2 * 160, PLC_FEC_ADD: 4 + 4 * FARGAN_NF}.get(kind, 4)
    if not 0 <= kind <= PLC_FEC_CLEAR or len(body) != size:
        raise VectorError("plc record: kind %d, %d bytes" % (kind, len(body)))
    if kind == PLC_UPDATE:
        return kind, np.frombuffer(body, "<i2", 160, 4).astype(np.int16)
    if kind == PLC_FEC_ADD:
        return kind, np.frombuffer(body, "<i4", FARGAN_NF, 4).astype(np.int32)
    return kind, None


def rx_record(body):
    """(kind, arg) of an opus-receive input record: init (sampling_rate, channels), packet (its
    bytes), lost (frame_size); a record of the wrong size raises VectorError."""
    kind = struct.unpack_from("<i", body)[0] if len(body) >= 4 else -1
    if kind == RX_INIT and len(body) == 12:
        return kind, struct.unpack_from("<ii", body, 4)
    if kind == RX_PACKET and len(body) > 4:
        return kind, bytes(body[4:])
    if kind == RX_LOST and len(body) == 8:
        return kind, struct.unpack_from("<i", body, 4)[0]
    raise VectorError("opus-receive record: kind %d, %d bytes" % (kind, len(body)))


def rx_runs(bodies):
    """The runs of an opus-receive set: [(first record, sampling_rate, channels, slots)], slots
    [(packet or None when lost, frame_size or None)], one per record after the init record; a
    malformed record is a VectorError in its place (the procedure goes on without it)."""
    runs = []
    for i, body in enumerate(bodies):
        try:
            kind, arg = rx_record(body)
        except VectorError as e:
            kind, arg = None, e
        if kind == RX_INIT:
            runs.append((i, arg[0], arg[1], []))
        elif not runs:
            runs.append((i, None, None, [VectorError("an opus-receive record before any init record")]))
        elif kind == RX_LOST and not 0 < arg <= runs[-1][1] * 120 // 1000:
            runs[-1][3].append(VectorError("opus-receive record: kind 2, frame_size %d outside 1 .. "
                                           "120 ms" % arg))
        else:
            runs[-1][3].append(arg if kind is None else (arg, None) if kind == RX_PACKET else (None, arg))
    # a run whose rate is 0 or less has no slot that fits (the C checker's rule too)
    return [r if r[1] is None or r[1] > 0 else
            r[:3] + ([VectorError("opus-receive record after an init record with sampling_rate %d"
                                  % r[1])] * len(r[3]),) for r in runs]


def receive_slots(codec, rate, channels, slots):
    """The receiver procedure of docs/conformance.md ("Layer 3: the receiver") with a codec module
    of dredfx.opus's API (dredfx.opus, or a dredfx.opus_libopus.Backend): for each slot
    (packet, None) or (None, frame_size), [(status, int16 pcm or None, how)]: a packet is decoded
    (opus_decode, 120 ms of room); a lost slot takes DRED from the next received packet of the
    run (opus_dred_parse once per gap, max_dred_samples = min(rate, the gap's samples), then
    opus_decoder_dred_decode at the offset from the slot's start to that packet), or the PLC
    (opus_decode with no packet) when no packet follows or it has no usable DRED (opus_demo's
    rule, without LBRR)."""
    dec = codec.Decoder(sampling_rate=rate, channels=channels, complexity=5)
    dred_dec = codec.DredDecoder()
    out, parsed = [], {}
    for i, (packet, n) in enumerate(slots):
        how = "packet"
        try:
            if packet is not None:
                pcm = dec.decode(packet)
            else:
                j = next((k for k in range(i + 1, len(slots)) if slots[k][0] is not None), None)
                if j is not None and j not in parsed:
                    g = i
                    while g > 0 and slots[g - 1][0] is None:
                        g -= 1
                    try:
                        parsed = {j: dred_dec.parse(slots[j][0], min(rate, sum(s[1] for s in slots[g:j])),
                                                    rate)}
                    except DredfxError:
                        parsed = {j: None}
                d = parsed.get(j) if j is not None else None
                if d is None:
                    how, pcm = "plc", dec.decode(None, n)
                else:
                    # "dred-beyond": the slot lies past the DRED's reach (dredfx.simulate.dred_covers),
                    # and the PLC continues inside opus_decoder_dred_decode
                    off = sum(s[1] for s in slots[i:j])
                    how = "dred" if off < d.available_samples + rate // 50 else "dred-beyond"
                    pcm = dec.decode_dred(d, off, n)
            pcm = np.asarray(pcm, np.int16)
            out.append((len(pcm), pcm.reshape(-1), how))
        except DredfxError as e:
            out.append((int(e.code), None, how))
    return out


def fargan_record(body):
    """(kind, pcm int16[320] or None, features int32 Q16) of a fargan input record; a record of
    the wrong size raises VectorError."""
    if len(body) < 4:
        raise VectorError("fargan record of %d bytes" % len(body))
    kind = struct.unpack_from("<i", body)[0]
    nf = FARGAN_CONT_FRAMES * FARGAN_NF if kind == FARGAN_CONT else FARGAN_NF
    size = 4 + 4 * nf + (2 * FARGAN_CONT_SAMPLES if kind == FARGAN_CONT else 0)
    if kind not in (FARGAN_CONT, FARGAN_SYNTH) or len(body) != size:
        raise VectorError("fargan record: kind %d, %d bytes" % (kind, len(body)))
    if kind == FARGAN_CONT:
        pcm = np.frombuffer(body, "<i2", FARGAN_CONT_SAMPLES, 4).astype(np.int16)
        return kind, pcm, np.frombuffer(body, "<i4", nf, 4 + 2 * FARGAN_CONT_SAMPLES).astype(np.int32)
    return kind, None, np.frombuffer(body, "<i4", nf, 4).astype(np.int32)


def _stage_quant(impl, r):
    """status; found; dred_end, q0, dQ, qmax, dred_offset, dred_frame_offset, nb_latents,
    ec_bits, state_q[50], then per chunk its level and latents_q[25] (int32 LE). An error stops
    after status, no DRED after found."""
    status, found, p, dred_end = r
    if status < 0:
        return struct.pack("<i", status)
    if not found:
        return struct.pack("<ii", status, 0)
    n = int(p.nb_latents)
    head = struct.pack("<10i", status, 1, dred_end, p.q0, p.dq, p.qmax, p.dred_offset,
                       p.dred_frame_offset, n, p.ec_bits)
    chunks = np.zeros((n, LATENT_DIM + 1), "<i4")
    chunks[:, 0] = np.asarray(p.levels).reshape(-1)[:n]
    chunks[:, 1:] = np.asarray(p.latents_q).reshape(-1, LATENT_DIM)[:n]
    return head + np.asarray(p.state_q, "<i4").tobytes() + chunks.tobytes()


def _stage_dq16(impl, r):
    """dredfx_dred_dequantize: state_q16[50], then nb_latents rows of 26 (25 values and the
    q-feature), int32 LE, Q16. Empty on an error or without DRED."""
    status, found, p, _ = r
    if status < 0 or not found:
        return b""
    state, latents = impl.dequantize_q16(p)
    return np.asarray(state, "<i4").tobytes() + np.asarray(latents[:p.nb_latents], "<i4").tobytes()


def _stage_features(impl, r):
    """The RDO-VAE decoder on the dq16 values (dredfx_rdovae_decode_all): 4 nb_latents frames of
    20 features, int32 Q16, newest first (libopus' fec_features order). Empty on an error or
    without DRED."""
    status, found, p, _ = r
    if status < 0 or not found:
        return b""
    state, latents = impl.dequantize_q16(p)
    return np.asarray(impl.features_q16(state, latents[:p.nb_latents]), "<i4").tobytes()


def _stage_pcm(impl, r):
    """fargan, plc: the call's status (int32), then on a synthesized frame its 160 int16 samples;
    opus-receive: the status (samples per channel, or an error code), then the slot's int16
    samples (channels interleaved)."""
    status, pcm = r
    out = struct.pack("<i", status)
    return out if pcm is None else out + np.asarray(pcm, "<i2").tobytes()


STAGES = {"quant": _stage_quant, "dq16": _stage_dq16, "features": _stage_features, "pcm": _stage_pcm}


def compute(impl, op, stages, body):
    """The records of the given stages for one input record of an op, with an Impl."""
    r = impl.run(op, body)
    return [STAGES[stage](impl, r) if stage else None for stage in stages]


def field_name(stage, index):
    """Name of the index-th int32 of a stage record (for mismatch messages)."""
    if stage == "quant":
        if index < len(QUANT_HEAD):
            return QUANT_HEAD[index]
        if index < len(QUANT_HEAD) + STATE_DIM:
            return "state_q[%d]" % (index - len(QUANT_HEAD))
        c, k = divmod(index - len(QUANT_HEAD) - STATE_DIM, LATENT_DIM + 1)
        return "level[%d]" % c if k == 0 else "latents_q[%d][%d]" % (c, k - 1)
    if stage == "dq16":
        if index < STATE_DIM:
            return "state_q16[%d]" % index
        c, k = divmod(index - STATE_DIM, LATENT_DIM + 1)
        return "latents_q16[%d][%d]" % (c, k)
    if stage == "status":
        return "status"
    if stage == "features":
        return "features[%d][%d]" % divmod(index, FARGAN_NF)
    return "int32 #%d" % index


def describe_difference(stage, got, expected):
    """Where two records of a stage differ, in words."""
    if stage == "pcm":
        if got[:4] != expected[:4] or len(got) < 4 or len(expected) < 4:
            return describe_difference("status", got[:4], expected[:4])
        n = min(len(got), len(expected)) // 2 - 2
        a = np.frombuffer(got, "<i2", n, 4)
        b = np.frombuffer(expected, "<i2", n, 4)
        diff = np.flatnonzero(a != b)
        if diff.size:
            j = int(diff[0])
            return "sample %d: computed %d, expected %d (%d samples differ)" % (j, a[j], b[j], diff.size)
        return "length: computed %d bytes, expected %d" % (len(got), len(expected))
    n = min(len(got), len(expected)) // 4
    a = struct.unpack("<%di" % n, got[:4 * n])
    b = struct.unpack("<%di" % n, expected[:4 * n])
    for i in range(n):
        if a[i] != b[i]:
            return "%s: computed %d, expected %d" % (field_name(stage, i), a[i], b[i])
    return "length: computed %d bytes, expected %d" % (len(got), len(expected))


# ---------------------------------------------------------------- verify
@dataclass
class Report:
    sets: int = 0
    frames: int = 0
    records: int = 0
    layers: dict = field(default_factory=dict)   # layer -> frames checked
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)    # tolerance-checked runs: bit-identical or not
    skipped: list = field(default_factory=list)  # sets the implementation cannot check bit for bit
    skip_reasons: dict = field(default_factory=dict)   # why -> [set] for whole sets skipped

    @property
    def ok(self):
        return not self.errors


def _load_weights(path):
    from . import weights
    return weights.load(path) if path else weights.default()


def verify(folder, impl="c", weights_path=None):
    """Checks a vector set: every file against its SHA-256, every input frame against its MD5,
    every stage recomputed from its input and compared with the expected record and its MD5."""
    rep = Report()
    m = read_manifest(folder)
    for fname, (size, sha) in sorted(m.files.items()):
        path = os.path.join(folder, fname)
        if not os.path.exists(path):
            rep.errors.append("%s: missing file" % fname)
        elif _sha256(path) != sha:
            rep.errors.append("%s: SHA-256 differs from the manifest (file changed)" % fname)
    w = _load_weights(weights_path)
    if m.fields.get("weights") != w.sha256:
        rep.warnings.append("vectors made with weights blob %s, checking with %s" % (
            m.fields.get("weights"), w.sha256))
    run = Impl(impl, w)
    for s in m.sets:
        if s.op not in OPS:
            rep.errors.append("set %s: op %s is not known to dredfx %s" % (s.name, s.op, __version__))
            continue
        bad = [st for st, mode, _ in s.stages if st not in STAGES or not _mode_known(mode)]
        if bad:
            rep.errors.append("set %s: stage(s) %s not known to dredfx %s" % (
                s.name, ", ".join(bad), __version__))
            continue
        if not run.supports(s.op):
            rep.skipped.append(s.name)
            why = run.skip_reason(s.op)
            rep.skip_reasons[why] = rep.skip_reasons.get(why, []) + [s.name]
            continue
        rep.skipped += ["%s:%s" % (s.name, st) for st, _, _ in s.stages if not run.supports(s.op, st)]
        try:
            inputs = read_records(os.path.join(folder, s.input_file))
            expected = [read_records(os.path.join(folder, f)) for _, _, f in s.stages]
        except VectorError as e:
            rep.errors.append("set %s: %s" % (s.name, e))
            continue
        counts = [len(inputs)] + [len(e) for e in expected]
        if any(c != s.nframes for c in counts):
            rep.errors.append("set %s: %d frames in the manifest, the files hold %s" % (
                s.name, s.nframes, counts))
            continue
        rep.sets += 1
        _verify_set(rep, m, s, run, inputs, expected)
    return rep


def _mode_known(mode):
    try:
        compare_limits(mode)
    except ValueError:
        return False
    return True


def _verify_set(rep, m, s, run, inputs, expected):
    in_md5 = m.frames.get(s.input_file, {})
    try:
        run.begin_set(s.op, inputs)
    except VectorError as e:
        rep.errors.append("set %s: %s" % (s.name, e))
        return
    stateful = s.op in STATEFUL
    first_bad, later = None, 0   # stateful: the run's first differing frame, later ones
    limits = {st: compare_limits(mode) for st, mode, _ in s.stages}
    tol = {"start": 0, "format": (16000, 1), "got": [], "exp": [], "differ": []}  # the run so far
    tol_runs = [0, 0]            # runs of a tolerance stage: bit-identical, within the tolerance

    def end_run(i):
        if later:
            rep.errors.append("set %s frames %d..%d: %d more frames differ after frame %d (the "
                              "state carries the difference)" % (s.name, first_bad + 1, i - 1,
                                                                later, first_bad))
        if tol["got"] and not tol["differ"]:
            tol_runs[0] += 1
        elif tol["differ"]:
            lim = next(v for v in limits.values() if v)
            f = tol["differ"][0]
            try:
                metrics = audio_tolerance(tol["got"], tol["exp"], *tol["format"])
                ok = passes_tolerance(metrics, lim)
                text = "dred_compare -audio err4 %.6f, err16 %.6f, pitch %.6f (limits %s)" % (
                    metrics + (",".join("%g" % x for x in lim),))
            except ValueError as e:   # dred_compare's refusals (too short)
                ok, text = False, "dred_compare -audio: %s" % e
            msg = "set %s frames %d..%d: %d frames differ in bits from frame %d (%s) on: %s" % (
                s.name, tol["start"], i - 1, len(tol["differ"]), f, in_md5.get(f, ("", ""))[1], text)
            if ok:
                tol_runs[1] += 1
                rep.notes.append(msg + ": within the tolerance")
            else:
                rep.errors.append(msg + ": over the limits")
        tol.update(start=i, got=[], exp=[], differ=[])

    for i, body in enumerate(inputs):
        md5, label = in_md5.get(i, ("", ""))
        where = "set %s frame %d (%s)" % (s.name, i, label or "no label")
        if _md5(body) != md5:
            rep.errors.append("%s: input differs from its manifest MD5" % where)
        if stateful and is_run_start(s.op, body):
            end_run(i)
            first_bad, later = None, 0
            if s.op == "opus-receive" and len(body) == 12:
                tol["format"] = rx_record(body)[1]
        try:
            outs = compute(run, s.op, [st if run.supports(s.op, st) else None for st, _, _ in s.stages],
                           body)
        except VectorError as e:
            rep.errors.append("%s: %s" % (where, e))
            continue
        for (stage, _, fname), exp, got in zip(s.stages, expected, outs):
            if got is None:
                continue
            want_md5 = m.frames.get(fname, {}).get(i, ("",))[0]
            if limits[stage]:
                tol["got"].append(got[4:])
                tol["exp"].append(exp[i][4:])
            if (got != exp[i] and limits[stage] and got[:4] == exp[i][:4] and len(got) == len(exp[i])
                    and _md5(got) != want_md5):
                tol["differ"].append(i)      # judged on the whole run at its end
            elif got != exp[i]:
                if first_bad is not None:
                    later += 1
                else:
                    rep.errors.append("%s stage %s: %s" % (where, stage,
                                                            describe_difference(stage, got, exp[i])))
                    first_bad = i if stateful else None
            elif _md5(got) != want_md5:
                rep.errors.append("%s stage %s: output differs from its manifest MD5" % (
                    where, stage))
            rep.records += 1
        rep.frames += 1
        rep.layers[s.layer] = rep.layers.get(s.layer, 0) + 1
    end_run(len(inputs))
    if any(limits.values()):
        rep.notes.append("set %s (%s): %d runs bit-identical, %d within the tolerance" % (
            s.name, ", ".join(mode for _, mode, _ in s.stages), tol_runs[0], tol_runs[1]))


# Layer 3's tolerance mode for float codecs (CELT, hybrid): a run whose samples differ is judged
# whole with dred_compare -audio (expected as the reference, 16 kHz mono: channels averaged,
# resampled by soxr) against the limits the mode names.
COMPARE_AUDIO = "dred_compare-audio"


def compare_limits(mode):
    """None for "exact"; the (err4, err16, pitch) limits of "dred_compare-audio:E4,E16,P"; a mode
    dredfx does not know raises ValueError."""
    if mode == COMPARE_EXACT:
        return None
    name, _, args = mode.partition(":")
    lim = tuple(float(x) for x in args.split(",")) if name == COMPARE_AUDIO and args else ()
    if len(lim) != 3:
        raise ValueError("compare mode %r" % mode)
    return lim


def audio_tolerance(got, expected, rate, channels):
    """dred_compare -audio of a run's computed samples (int16 bytes per slot) against the expected
    ones: (err4, err16, pitch)."""
    from . import dred_compare

    def mono16k(chunks):
        x = np.frombuffer(b"".join(chunks), "<i2").astype(np.float64).reshape(-1, channels).mean(1)
        if rate != 16000:
            import soxr
            x = soxr.resample(x, rate, 16000, quality="VHQ")
        return np.clip(np.round(x), -32768, 32767).astype(np.int16)

    return dred_compare.audio(mono16k(expected), mono16k(got))


def passes_tolerance(metrics, limits):
    from . import dred_compare
    return dred_compare.passes(metrics, limits)


def is_run_start(op, body):
    """Whether a record of a stateful op starts a new run (fargan: a cont record; plc,
    opus-receive: init)."""
    return op in STATEFUL and len(body) >= 4 and struct.unpack_from("<i", body)[0] == 0


# ---------------------------------------------------------------- generate
def _write_set(folder, s, run):
    write_records(os.path.join(folder, s.input_file), [b for b, _ in s.inputs])
    run.begin_set(s.op, [b for b, _ in s.inputs])
    outs = [compute(run, s.op, [st for st, _, _ in s.stages], b) for b, _ in s.inputs]
    for k, (_, _, fname) in enumerate(s.stages):
        write_records(os.path.join(folder, fname), [o[k] for o in outs])


def _spec(name, layer, op, inputs):
    return SetSpec(name, layer, op, [(st, COMPARE_EXACT, "%s.%s" % (name, st)) for st in OPS[op][1]],
                   inputs)


def _sets_from(folder):
    """The sets of an existing vector set with their inputs and labels, stages as OPS lists now."""
    m = read_manifest(folder)
    out = []
    for s in m.sets:
        bodies = read_records(os.path.join(folder, s.input_file))
        labels = m.frames.get(s.input_file, {})
        spec = _spec(s.name, s.layer, s.op, [(b, labels.get(i, ("", "-"))[1]) for i, b in enumerate(bodies)])
        modes = {st: mode for st, mode, _ in s.stages}
        spec.stages = [(st, modes.get(st, mode), f) for st, mode, f in spec.stages]
        out.append(spec)
    return out


def generate(folder, inputs_from=None, interop_dir=None, weights_path=None, corpus_dir=None,
             add_layer2=False, add_layer3=False):
    """Writes a vector set into folder; returns its sets. add_layer2 / add_layer3 (with
    inputs_from): keep those sets and make layer 2's (FARGAN, PLC) or layer 3's (the receiver)
    inputs anew from the speech corpus."""
    w = _load_weights(weights_path)
    corpus = corpus_dir or _default_corpus_dir()
    if inputs_from:
        sets = _sets_from(inputs_from)
        if add_layer2:
            layer3 = [s for s in sets if s.layer == 3]
            sets = [s for s in sets if s.layer not in (2, 3)]
            sets += _fargan_sets(w, sets, corpus) + _plc_sets(w, corpus) + layer3
        if add_layer3:
            sets = [s for s in sets if s.layer != 3] + _receive_sets(w, corpus)
    else:
        sets = _build_sets(w, interop_packets(interop_dir or _default_interop_dir()))
        sets += _fargan_sets(w, sets, corpus) + _plc_sets(w, corpus) + _receive_sets(w, corpus)
    os.makedirs(folder, exist_ok=True)
    run = Impl("c", w)
    for s in sets:
        _write_set(folder, s, run)
    _write_manifest(folder, sets, w.sha256)
    return sets


def _default_corpus_dir():
    from .opus_source import cache_dir
    return os.environ.get("DREDFX_CORPUS_DIR") or os.path.join(cache_dir(), "corpus")


def _default_interop_dir():
    from .opus_source import cache_dir
    return os.environ.get("DREDFX_INTEROP_DIR") or os.path.join(cache_dir(), "interop", "data")


def interop_packets(data_dir):
    """The packets of scripts/interop-data.sh: list of (meta row, JSON record)."""
    path = os.path.join(data_dir, "manifest.tsv")
    if not os.path.exists(path):
        raise VectorError("no interop data in %s: run scripts/interop-data.sh, or give --inputs"
                          % data_dir)
    out = []
    with open(path) as f:
        for meta in csv.DictReader(f, delimiter="\t"):
            with open(os.path.join(data_dir, meta["file"])) as g:
                out.extend((meta, json.loads(line)) for line in g)
    return out


# ---------------------------------------------------------------- the sets dredfx commits
# Inputs: real libopus 1.6.1 packets chosen from the interop data (every q0, dQ and level it
# holds, the most latents, extra offsets, multi-frame and 10 ms packets, CBR, 48 kHz, stream
# starts, hidden chunks, no DRED) and crafted ones (every q level and dQ, coded qmax, escapes
# past int16 and past the Q16 range, minimal and constant payloads, extension corners, offsets,
# max_dred_samples and sampling-rate limits), then invalid and truncated packets and payloads.
SILK_WB_20MS = 9          # TOC config: SILK wideband, 20 ms
CELT_FB_2_5MS = 28        # TOC config: CELT fullband, 2.5 ms


def _det_bytes(tag, n):
    """n deterministic pseudo-random bytes (SHA-256 in counter mode: the same on every Python)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (tag, i)).encode()).digest()
        i += 1
    return out[:n]


def _label(text):
    return "".join(c if c.isalnum() or c in "._-#@=+,/" else "_" for c in text)


def _parse_in(packet, label, mds=48000, fs=48000):
    return struct.pack("<ii", mds, fs) + bytes(packet), _label("%s@%d/%d" % (label, mds, fs))


def _decode_in(payload, label, mff=104, dfo=0):
    return struct.pack("<ii", mff, dfo) + bytes(payload), _label("%s@mff=%d,off=%d" % (label, mff, dfo))


def _coded_in(payload, label, dfo=0):
    return struct.pack("<i", dfo) + bytes(payload), _label("%s@off=%d" % (label, dfo))


def _select_real(packets):
    """(meta, record, why) of the real packets the vectors keep, in data order."""
    dred = [(m, r) for m, r in packets if r["find"] > 0]
    chosen = {}

    def take(why, cands, key=None, count=1):
        cands = sorted(cands, key=key) if key else list(cands)  # stable: data order among ties
        for m, r in cands:
            k = (m["file"], r["index"])
            if count and k not in chosen:
                chosen[k] = (m, r, why)
                count -= 1

    nb = lambda x: x[1]["dred"]["nb_chunks"]  # noqa: E731
    for q0 in sorted({r["dred"]["q0"] for _, r in dred}):
        take("q0=%d,most-latents" % q0, [x for x in dred if x[1]["dred"]["q0"] == q0],
             key=lambda x: -nb(x))
    for dq in sorted({r["dred"]["dq"] for _, r in dred}):
        take("dq=%d,most-latents" % dq, [x for x in dred if x[1]["dred"]["dq"] == dq],
             key=lambda x: -nb(x))
    for lv in sorted({lv for _, r in dred for lv in r["dred"]["levels"]}):
        take("level=%d,fewest-latents" % lv, [x for x in dred if lv in x[1]["dred"]["levels"]],
             key=nb)
    take("max-latents", [x for x in dred if nb(x) == MAX_LATENTS], count=2)
    take("no-latents", [x for x in dred if nb(x) == 0], count=2)
    take("extra-offset", [x for x in dred if x[1]["dred"]["extra_offset_flag"]], count=2)
    take("multi-frame", [x for x in dred if x[1]["nb_frames"] > 1], count=2)
    for ms in sorted({m["frame_ms"] for m, _ in dred}, key=float):
        take("frame_ms=%s" % ms, [x for x in dred if x[0]["frame_ms"] == ms])
    for f in sorted({m["file"] for m, _ in dred if m["cbr"] == "1"}):
        take("cbr", [x for x in dred if x[0]["file"] == f])
    take("48k", [x for x in dred if x[0]["rate"] == "48000"], count=2)
    for f in sorted({m["file"] for m, _ in dred})[::12]:
        take("stream-start", [x for x in dred if x[0]["file"] == f])
    for h in sorted({r["dred"]["hidden_chunks"] for _, r in dred} - {0}):
        take("hidden=%d" % h, [x for x in dred if x[1]["dred"]["hidden_chunks"] == h])
    take("no-dred", [x for x in packets if x[1]["find"] == 0], count=2)
    for b in sorted({m["bitrate"] for m, _ in dred}, key=int):
        for loss in sorted({m["loss"] for m, _ in dred}, key=int):
            take("b=%s,loss=%s" % (b, loss), [x for x in dred if x[0]["bitrate"] == b and
                                             x[0]["loss"] == loss and x[1]["index"] >= 100])
    order = {(m["file"], r["index"]): i for i, (m, r) in enumerate(packets)}
    return [chosen[k] for k in sorted(chosen, key=order.get)]


def _real_label(m, r, why):
    return "%s#%d:%s" % (m["file"][:-len(".jsonl")], r["index"], why)


def _values(st, kind, level, dim, tag):
    """Small values (-3..3) a libopus-style encoder can code at a level: 0 where the dimension is
    skipped, never 0 where P(0) = 0."""
    r = st[kind + "_r"][level * dim:(level + 1) * dim]
    p0 = st[kind + "_p0"][level * dim:(level + 1) * dim]
    raw = _det_bytes(tag, dim)
    out = np.zeros(dim, np.int32)
    for k in range(dim):
        if r[k] and p0[k] != 255:
            out[k] = raw[k] % 7 - 3 or (1 if p0[k] == 0 else 0)
    return out


def _crafted_payload(st, w, q0, dq, qmax, nb, total_offset=16, frame_offset=0, big=()):
    """Encoded payload bytes (after 'D', 12); big: (chunk or -1 for the state, value) pairs put
    into the dimension whose Laplace decay is the slowest (the cheapest long escape)."""
    from .dred import encode_dred
    from .ref.dred import DredPayload, level
    tag = "q0=%d,dq=%d,qmax=%d,nb=%d" % (q0, dq, qmax, nb)
    state = _values(st, "state", q0, STATE_DIM, tag + "/state")
    lv = [level(q0, dq, qmax, c) for c in range(nb)]
    lat = np.array([_values(st, "latent", lv[c], LATENT_DIM, "%s/%d" % (tag, c)) for c in range(nb)],
                   np.int32).reshape(nb, LATENT_DIM)
    for c, v in big:
        kind, dim, lvl, arr = ("state", STATE_DIM, q0, state) if c < 0 else \
            ("latent", LATENT_DIM, lv[c], lat[c])
        r = st[kind + "_r"][lvl * dim:(lvl + 1) * dim].astype(int)
        p0 = st[kind + "_p0"][lvl * dim:(lvl + 1) * dim]
        r[p0 == 255] = 0
        arr[int(np.argmax(r))] = v
    p = DredPayload(q0=q0, dq=dq, qmax=qmax, dred_offset=16 - total_offset + frame_offset,
                    dred_frame_offset=frame_offset, nb_latents=nb, state_q=state, latents_q=lat)
    return encode_dred(p, w)


def _ext_packet(padding, nb_frames=1, config=SILK_WB_20MS):
    """A code-3 packet with nb_frames equal frames and the given padding content."""
    from . import _packet
    frames = [_det_bytes("frame/%d" % i, 24) for i in range(nb_frames)]
    return _packet.build_packet(config, 0, frames, padding, force_code3=True)


def _dred_packet(payload, frame=0, nb_frames=1, config=SILK_WB_20MS, version=12, more=()):
    """A packet whose padding holds the ID-126 extension 'D', version, payload on `frame`, then
    the (id, frame, data) extensions of more."""
    from . import _packet
    ext = [(126, frame, bytes((ord("D"), version)) + bytes(payload))] + list(more)
    return _ext_packet(_packet.generate_extensions(ext, nb_frames), nb_frames, config)


def _dred_ext(payload):
    """The ID-126 extension 'D', 12, payload, written by hand in its long form (header 253, one
    length byte) to sit among hand-written extensions."""
    return bytes((253, len(payload) + 2)) + b"D\x0c" + bytes(payload)


def _crafted_parse(st, w):
    out = []
    for q0 in range(16):  # every q level as q0, every dQ, qmax coded and implied
        dq = q0 % 8
        qmax = 15 if q0 >= 14 or dq == 0 or q0 % 3 == 0 else q0 + 1 + q0 % (14 - q0)
        pl = _crafted_payload(st, w, q0, dq, qmax, 4)
        out.append(_parse_in(_dred_packet(pl), "q0=%d,dq=%d,qmax=%d" % (q0, dq, qmax)))
    sweep = _dred_packet(_crafted_payload(st, w, 0, 7, 15, MAX_LATENTS))
    out.append(_parse_in(sweep, "26-latents,levels-0..15"))
    # Escapes: magnitudes past the 7 of one table, past int16, past the Q16 range (saturated).
    for vals in ((7, -8, 14, 15), (100, -1000, 5000), (40000, -70000), (300000,)):
        big = [(-1, vals[0])] + [(c, v) for c, v in enumerate(vals[1:])]
        pl = _crafted_payload(st, w, 6, 5, 15, max(2, len(vals) - 1), big=big)
        out.append(_parse_in(_dred_packet(pl), "escapes=%s" % ",".join(map(str, vals))))
    # Minimal and constant payloads.
    out.append(_parse_in(_dred_packet(_crafted_payload(st, w, 9, 3, 15, 0)), "header-only"))
    for name, pl in (("one-zero-byte", b"\0"), ("one-ff-byte", b"\xff"), ("zeros-4", bytes(4)),
                     ("zeros-64", bytes(64)), ("zeros-400", bytes(400)), ("ff-64", b"\xff" * 64),
                     ("random-80", _det_bytes("random-80", 80)),
                     ("random-600", _det_bytes("random-600", 600))):
        out.append(_parse_in(_dred_packet(pl), name))
    # Extension corners.
    small = _crafted_payload(st, w, 6, 5, 15, 3)
    out.append(_parse_in(_ext_packet(bytes((253, 2)) + b"D\x0c"), "prefix-only(not-dred)"))
    out.append(_parse_in(_dred_packet(small, version=11), "version-11(not-dred)"))
    out.append(_parse_in(_dred_packet(small, more=[(126, 0, b"D\x0c" + bytes(8))]), "two-dred,first-wins"))
    out.append(_parse_in(_dred_packet(bytes(8), version=10, more=[(126, 0, b"D\x0c" + small)]),
                         "version-10-then-12"))
    # ID 3 (short form, one byte), ID 33 (long form, one byte), then DRED
    out.append(_parse_in(_ext_packet(b"\x07\x55\x43\x01\xaa" + _dred_ext(small)),
                         "other-extensions-first"))
    out.append(_parse_in(_dred_packet(small, frame=1, nb_frames=3), "frame-1-of-3"))
    out.append(_parse_in(_dred_packet(small, frame=2, nb_frames=3), "frame-2-of-3"))
    out.append(_parse_in(_dred_packet(small, frame=5, nb_frames=6), "frame-5-of-6"))
    out.append(_parse_in(_dred_packet(small, frame=47, nb_frames=48, config=CELT_FB_2_5MS),
                         "frame-47-of-48x2.5ms"))
    # a frame separator past the packet's only frame, after the DRED extension
    out.append(_parse_in(_ext_packet(_dred_ext(small) + b"\x03\x09"), "bad-extension-after-dred"))
    # Offsets: total offset 0 (DRED ahead of the packet) .. 8191 (the most, into the past).
    for total in (0, 15, 16, 17, 31, 32, 255, 8191):
        pl = _crafted_payload(st, w, 6, 5, 15, 2, total_offset=total)
        out.append(_parse_in(_dred_packet(pl), "total-offset=%d" % total))
    far = _dred_packet(_crafted_payload(st, w, 6, 5, 15, 2, total_offset=8191, frame_offset=8),
                       frame=1, nb_frames=2)
    # max_dred_samples and sampling-rate limits (and the arguments opus_dred_parse refuses).
    for fs in (8000, 12000, 16000, 24000, 44100, 96000, 768000):
        out.append(_parse_in(far, "total-offset=8191,frame-1", fs=fs))
    for mds in (0, 1, 959, 960, 1440, 2880, 47999, 2**31 - 1):
        out.append(_parse_in(sweep, "26-latents", mds=mds))
    out.append(_parse_in(sweep, "26-latents", mds=44100, fs=44100))
    for mds, fs in ((-1, 48000), (48000, 0), (48000, -16000), (48000, 768001)):
        out.append(_parse_in(sweep, "bad-argument", mds=mds, fs=fs))
    return out


def _invalid_packets(real_multi, real_single):
    """Malformed packets (RFC 6716 3.4 and the extension syntax) and truncated real packets."""
    toc = SILK_WB_20MS << 3
    cases = [
        ("empty", b""),
        ("code1-odd", bytes((toc | 1, 1, 2, 3))),
        ("code2-no-length", bytes((toc | 2,))),
        ("code2-length-cut", bytes((toc | 2, 252))),
        ("code2-frame-past-end", bytes((toc | 2, 50, 1, 2, 3))),
        ("code3-no-count", bytes((toc | 3,))),
        ("code3-zero-frames", bytes((toc | 3, 0))),
        ("code3-140ms", bytes((toc | 3, 7)) + bytes(14)),
        ("code3-cbr-not-multiple", bytes((toc | 3, 2, 1, 2, 3))),
        ("code3-vbr-length-past-end", bytes((toc | 3, 0x82, 200, 1, 2))),
        ("frame-over-1275", bytes((toc,)) + bytes(1276)),
        ("padding-past-end", bytes((toc | 3, 0x41, 10, 1, 2))),
        ("padding-255-chain-cut", bytes((toc | 3, 0x41, 255, 255))),
        ("extension-overrun", _ext_packet(bytes((253, 200)) + b"D\x0c" + bytes(10))),
        ("extension-frame-past-end", _ext_packet(b"\x03\x05" + _dred_ext(bytes(4)))),
        ("extension-error-before-dred", _ext_packet(b"\x07\x55\x03\x09" + _dred_ext(bytes(4)))),
    ]
    out = [_parse_in(p, n) for n, p in cases]
    for name, p in (("real-multi-frame", real_multi), ("real-single", real_single)):
        data = p[1]
        n = len(data)
        pos = p[2]
        for cut in sorted({1, 2, n // 4, n // 2, pos - 3, pos, pos + 4, n - 1}):
            out.append(_parse_in(data[:cut], "%s,cut=%d/%d" % (name, cut, n)))
    return out


def _payload_sets(real_payload, coded):
    """dred-decode inputs (truncated, constant, random payloads; limits; refused arguments) and
    dred-coded inputs (every chunk the encoder coded)."""
    label, pl = real_payload
    n = len(pl)
    dec = [_decode_in(pl[:k], "%s,cut=%d/%d" % (label, k, n))
           for k in sorted({0, 1, 2, 3, 4, 8, 16, n // 2, n - 2, n - 1, n})]
    for mff in (0, 1, 2, 3, 4, 50, 51, 52, 103, 105, 2**31 - 1):
        dec.append(_decode_in(pl, label, mff=mff))
    dec.append(_decode_in(pl, label, dfo=48))
    for mff, dfo in ((-1, 0), (104, -1), (104, 49)):
        dec.append(_decode_in(pl, "bad-argument", mff=mff, dfo=dfo))
    for name, b in (("zeros-64", bytes(64)), ("ff-64", b"\xff" * 64),
                    ("random-200", _det_bytes("random-200", 200))):
        dec.append(_decode_in(b, name))
    cod = [_coded_in(p, lab) for lab, p in coded]
    cod.append(_coded_in(pl[:n // 2], "%s,cut=%d/%d" % (label, n // 2, n)))
    cod.append(_coded_in(_det_bytes("random-90", 90), "random-90"))
    cod.append(_coded_in(bytes(2049), "zeros-2049(over-2048,not-tried)"))
    cod.append(_coded_in(pl, "bad-argument", dfo=49))
    return dec, cod


def _build_sets(w, packets):
    from .ref.dred import stats_arrays
    st = stats_arrays(w)
    real = _select_real(packets)
    parse = []
    for m, r, why in real:
        data, rate = bytes.fromhex(r["packet"]), int(m["rate"])
        parse.append(_parse_in(data, _real_label(m, r, why), fs=rate))
    # opus_dred_parse's max_dred_samples cut and another output rate, on the longest packets.
    longest = sorted(real, key=lambda x: -(x[1].get("dred") or {}).get("nb_chunks", -1))[:3]
    for m, r, why in longest:
        data = bytes.fromhex(r["packet"])
        for mds, fs in ((960, 48000), (2880, 48000)):
            parse.append(_parse_in(data, _real_label(m, r, why), mds=mds, fs=fs))
    multi = next((m, bytes.fromhex(r["packet"]), r["dred"]["payload_pos"]) for m, r, _ in real
                 if r.get("dred") and r["nb_frames"] > 1)
    single = next((m, bytes.fromhex(r["packet"]), r["dred"]["payload_pos"]) for m, r, _ in real
                  if r.get("dred") and r["nb_frames"] == 1 and r["dred"]["nb_chunks"] == MAX_LATENTS)
    m, r, why = longest[0]
    big = (_real_label(m, r, why), bytes.fromhex(r["dred"]["payload"]))
    coded = [(_real_label(m, r, why), bytes.fromhex(r["dred"]["payload"])) for m, r, why in real
             if r.get("dred") and (r["dred"]["hidden_chunks"] or why.startswith("max-latents"))]
    dec, cod = _payload_sets(big, coded)
    return [_spec("real_parse", 1, "dred-parse", parse),
            _spec("crafted_parse", 1, "dred-parse", _crafted_parse(st, w)),
            _spec("real_coded", 1, "dred-coded", cod),
            _spec("invalid_packets", 4, "dred-parse", _invalid_packets(multi, single)),
            _spec("payloads", 4, "dred-decode", dec)]


# ---------------------------------------------------------------- layer 2: FARGAN
# Inputs: features of real speech (dredfx's analysis of two clips of the speech corpus of
# scripts/speech-corpus.sh, one from the clip's start as fargan_demo -fargan-synthesis frames it,
# one continued from the clip's own past samples as the PLC does), the RDO-VAE features of the
# 26-latent real DRED packet of real_parse, and adversarial ones: silence, a pitch sweep over the
# accepted range (clamped period 1 .. 256 and beyond), features at the int32 Q16 limits, random
# features, a full-scale continuation, and a frame before any cont (an error); then short runs
# continued from real speech every 0.8 s and 1.1 s of two clips (the first frames after a cont
# are where a float implementation must follow the fixed-point output closely).
# A few seconds of audio in all: the C checker runs every CPU level under qemu in CI.
FARGAN_CLIPS = (("en-1", 0, 30), ("fr-2", 250, 20))   # clip, first synthesized frame, frames
# Short runs continued from real speech (the PLC's use): clip, first frames, frames a run.
FARGAN_CONT_RUNS = (("en-1", range(30, 830, 80), 1), ("es-2", range(45, 700, 110), 1))


def _fargan_cont_in(pcm, feats_q16, label):
    body = struct.pack("<i", FARGAN_CONT) + np.asarray(pcm, "<i2").tobytes() + \
        np.asarray(feats_q16, "<i4").tobytes()
    return body, _label(label + "#cont")


def _fargan_run(name, pcm, cont_q16, frames_q16, first=0):
    """A cont record, then one synth record per frame: [(body, label)]."""
    out = [_fargan_cont_in(pcm, cont_q16, name)]
    for k, f in enumerate(np.asarray(frames_q16).reshape(-1, FARGAN_NF)):
        out.append((struct.pack("<i", FARGAN_SYNTH) + np.asarray(f, "<i4").tobytes(),
                    _label("%s#%d" % (name, first + k))))
    return out


def _fargan_sets(w, sets, corpus_dir):
    from .analysis import Analyzer
    speech = []
    for clip, k0, n in FARGAN_CLIPS:
        path = os.path.join(corpus_dir, clip + ".16k.raw")
        if not os.path.exists(path):
            raise VectorError("no speech corpus in %s: run scripts/speech-corpus.sh" % corpus_dir)
        x = np.fromfile(path, np.int16)
        f = Analyzer(16000, w).feed_q16(x)
        if k0 == 0:   # fargan_demo -fargan-synthesis: 320 zeros, frame 0 five times
            speech += _fargan_run("%s.16k@0" % clip, np.zeros(FARGAN_CONT_SAMPLES, np.int16),
                                  np.repeat(f[:1], FARGAN_CONT_FRAMES, 0), f[1:1 + n], 1)
        else:         # the PLC's continuation: the clip's last 320 samples, the 5 frames before
            speech += _fargan_run("%s.16k@%d" % (clip, k0), x[160 * (k0 - 2):160 * k0],
                                  f[k0 - 5:k0], f[k0:k0 + n], k0)
    # The RDO-VAE features of the first 26-latent real packet, oldest frame first.
    from . import _dred, _rdovae
    real = next(s for s in sets if s.name == "real_parse")
    dec = _rdovae.Decoder(w.core)
    stats = _dred.make_stats(w)
    for body, label in real.inputs:
        mds, fs = struct.unpack_from("<ii", body)
        p = _dred.parse_dred(body[8:], mds, fs, stats)
        if p is not None and p.nb_latents == MAX_LATENTS:
            st, lat = _dred.dequantize_q16(p, stats)
            feats = dec.decode_q16(st, lat[:p.nb_latents])[::-1][:25]
            speech += _fargan_run("rdovae:" + label, np.zeros(FARGAN_CONT_SAMPLES, np.int16),
                                  feats[:FARGAN_CONT_FRAMES], feats[FARGAN_CONT_FRAMES:])
            break
    x = np.fromfile(os.path.join(corpus_dir, FARGAN_CLIPS[0][0] + ".16k.raw"), np.int16)
    voiced = Analyzer(16000, w).feed_q16(x)
    v = voiced[int(np.argmax(voiced[:, 19]))]               # the most voiced frame of the clip
    zeros = np.zeros(FARGAN_CONT_SAMPLES, np.int16)
    silence = Analyzer(16000, w).feed_q16(np.zeros(160 * 15, np.int16))
    edge = [(struct.pack("<i", FARGAN_SYNTH) + np.asarray(v, "<i4").tobytes(), "synth-before-cont")]
    edge += _fargan_run("silence", zeros, silence[:5], silence[5:15], 5)
    sweep = np.repeat(v[None], 13, 0)
    pitches = (-16, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 16)
    sweep[:, 18] = [int(p * 65536) for p in pitches]
    edge += _fargan_run("pitch-sweep:f18=" + ",".join("%g" % p for p in pitches), zeros,
                        np.repeat(v[None], 5, 0), sweep)
    q_max = 2**31 - 1
    for name, row in (("all-max", np.full(FARGAN_NF, q_max)), ("all-min", np.full(FARGAN_NF, -q_max)),
                      ("alternating", np.where(np.arange(FARGAN_NF) % 2, q_max, -q_max)),
                      ("cepstrum+-50", np.where(np.arange(FARGAN_NF) % 3, 50, -50) * 65536)):
        rows = np.repeat(np.asarray(row, np.int64)[None], 4, 0).astype(np.int32)
        edge += _fargan_run("extreme:" + name, zeros, np.repeat(v[None], 5, 0), rows)
    rnd = np.frombuffer(_det_bytes("fargan-random", 4 * FARGAN_NF * 11), "<i4")
    rnd = (rnd.astype(np.int64) % (10 * 65536) - 5 * 65536).astype(np.int32)  # [-5, 5) in Q16
    edge += _fargan_run("random[-5,5)", zeros, rnd[:5 * FARGAN_NF], rnd[5 * FARGAN_NF:])
    square = np.where(np.arange(FARGAN_CONT_SAMPLES) // 20 % 2, 32767, -32768).astype(np.int16)
    edge += _fargan_run("full-scale-square-cont", square, np.repeat(v[None], 5, 0),
                        np.repeat(v[None], 5, 0))
    conts = []
    for clip, starts, n in FARGAN_CONT_RUNS:
        x = np.fromfile(os.path.join(corpus_dir, clip + ".16k.raw"), np.int16)
        f = Analyzer(16000, w).feed_q16(x)
        for k0 in starts:
            conts += _fargan_run("%s.16k@%d" % (clip, k0), x[160 * (k0 - 2):160 * k0], f[k0 - 5:k0],
                                 f[k0:k0 + n], k0)
    return [_spec("fargan_speech", 2, "fargan", speech), _spec("fargan_edge", 2, "fargan", edge),
            _spec("fargan_cont", 2, "fargan", conts)]


# ---------------------------------------------------------------- layer 2: PLC runs
# Real speech (fr-1 of the corpus): a history of good frames, then losses concealed by the PLC's
# own prediction (bursts of 60, 20 and 120 ms after 120 ms of history) or from
# queued features (dredfx's analysis of the lost frames, standing for DRED's, with a skip entry,
# as libopus' decoder queues fec_features), and good frames again; an edge run: concealment with
# no history, the queue past its 104 frames (an error), cleared, an extreme feature frame.
PLC_CLIP = "fr-1"


def _plc_sets(w, corpus_dir):
    from .analysis import Analyzer
    x = np.fromfile(os.path.join(corpus_dir, PLC_CLIP + ".16k.raw"), np.int16)
    f = Analyzer(16000, w).feed_q16(x)
    recs = []

    def add(kind, label, data=b""):
        recs.append((struct.pack("<i", kind) + data, _label(label)))

    def good(run, k0, n):
        for k in range(k0, k0 + n):
            add(PLC_UPDATE, "%s#%d:good" % (run, k), x[160 * k:160 * k + 160].astype("<i2").tobytes())

    def lost(run, k0, n):
        for k in range(k0, k0 + n):
            add(PLC_CONCEAL, "%s#%d:conceal" % (run, k))

    def fec(run, k, row=None):
        if row is None:
            add(PLC_FEC_SKIP, "%s#%d:fec-skip" % (run, k))
        else:
            add(PLC_FEC_ADD, "%s#%d:fec" % (run, k), np.asarray(row, "<i4").tobytes())

    run = "%s.16k:burst" % PLC_CLIP
    add(PLC_INIT, run + "#init")
    good(run, 118, 12), lost(run, 130, 6), good(run, 136, 3), lost(run, 139, 2), good(run, 141, 2)
    run = "%s.16k:dred" % PLC_CLIP
    add(PLC_INIT, run + "#init")
    good(run, 318, 12)
    for k in range(330, 336):
        fec(run, k, None if k == 334 else f[k])
    lost(run, 330, 6), good(run, 336, 2)
    run = "%s.16k:long" % PLC_CLIP
    add(PLC_INIT, run + "#init")
    good(run, 468, 12), lost(run, 480, 12), good(run, 492, 2)
    run = "edge"
    add(PLC_INIT, run + "#init")
    lost(run, 0, 2)
    for k in range(105):              # one past the queue's 104 frames
        fec(run, k, f[200 + k])
    add(PLC_FEC_CLEAR, run + "#fec-clear")
    lost(run, 2, 1)
    fec(run, 3, np.full(FARGAN_NF, 2**31 - 1))
    lost(run, 3, 1)
    return [_spec("plc_runs", 2, "plc", recs)]


# ---------------------------------------------------------------- layer 3: the receiver
# Opus streams of real speech (the corpus), encoded by dredfx-opus (libopus 1.6.1's float encoder
# with dredfx's DRED encoder; no LBRR), received with a loss pattern by the procedure of
# receive_slots. (clip, rate, channels, bitrate, application, frame_ms, dred_ms, loss_perc,
# slots, lost slots). RECEIVE_SILK: SILK-only wideband at 16 kHz, pinned exact; RECEIVE_CELT:
# CELT-only and hybrid at 48 kHz (and one stereo hybrid run of 10 ms frames), checked with a
# tolerance (COMPARE_RECEIVE_CELT, docs/conformance.md: "Layer 3").
RECEIVE_SILK = (
    # 48 kb/s, 1040 ms of DRED (q0 4, about 14 chunks: 560 ms): single losses, bursts of 60 and
    # 200 ms, then 1000 ms: past the DRED's reach, where the PLC takes over
    ("en-1", 16000, 1, 48000, "voip", 20, 1040, 30, 130,
     [25, 40] + list(range(55, 58)) + list(range(66, 76)) + list(range(78, 128))),
    # 32 kb/s, 200 ms of DRED (q0 6): the first 80 ms lost (DRED offsets before the stream), then
    # random losses
    ("fr-2", 16000, 1, 32000, "voip", 20, 200, 30, 60, list(range(4)) + ["random:15"]),
    # 24 kb/s, 10 % expected loss (q0 9, one or two chunks): random losses, a 100 ms burst, and
    # the last 40 ms lost (no packet follows: the PLC)
    ("es-1", 16000, 1, 24000, "voip", 20, 1040, 10, 50, list(range(20, 25)) + ["random:12", 48, 49]),
)
RECEIVE_CELT = (
    ("it-1", 48000, 1, 64000, "restricted_lowdelay", 20, 300, 20, 30,
     [8] + list(range(15, 18)) + list(range(20, 28))),
    ("en-2", 48000, 1, 32000, "voip", 20, 500, 20, 30, [0, 1, 12] + list(range(20, 25))),
    ("ru-1", 48000, 2, 80000, "voip", 10, 300, 20, 30, [10, 11, 12, 25]),
)
# dred_compare -audio limits of a run that differs in bits (docs/conformance.md: libopus' x86
# and generic builds on the same packets, and the receiver limits of tests/dred_vectors.sh).
COMPARE_RECEIVE_CELT = "dred_compare-audio:1,3,0.25"


def _loss_slots(spec, nslots, tag):
    lost = set()
    for x in spec:
        if isinstance(x, str):   # random:P, P % of the slots after the first 10 (the last kept)
            p = int(x.split(":")[1])
            raw = _det_bytes(tag, nslots)
            lost |= {k for k in range(10, nslots - 1) if raw[k] % 100 < p}
        else:
            lost.add(x)
    return lost


def _receive_run(w, corpus_dir, spec):
    """[(body, label)] of one run: the init record, then one record per slot."""
    from . import opus
    clip, rate, channels, bitrate, app, frame_ms, dred_ms, loss, nslots, losses = spec
    path = os.path.join(corpus_dir, "%s.%dk.raw" % (clip, rate // 1000))
    if not os.path.exists(path):
        raise VectorError("no speech corpus in %s: run scripts/speech-corpus.sh" % corpus_dir)
    x = np.fromfile(path, np.int16)
    n = rate * frame_ms // 1000
    x = x[:n * nslots]
    if channels == 2:   # a second channel: the clip 1.5 ms later at half level
        y = np.concatenate([np.zeros(rate * 3 // 2000, np.int16), x[:-(rate * 3 // 2000)] // 2])
        x = np.stack([x, y], 1).reshape(-1)
    opus.set_weights(w.blob)
    enc = opus.Encoder(rate, channels, bitrate, app, 10, frame_ms, dred_ms, False, loss)
    packets = enc.encode_all(x)
    run = "%s.%dk%s,%s,%db/s,%dms,dred=%dms,loss=%d%%" % (
        clip, rate // 1000, ",stereo" if channels == 2 else "", app, bitrate, frame_ms, dred_ms, loss)
    lost = _loss_slots(losses, nslots, run)
    slots = [(None, n) if k in lost else (bytes(p), None) for k, p in enumerate(packets)]
    how = [h for _, _, h in receive_slots(opus, rate, channels, slots)]
    out = [(struct.pack("<iii", RX_INIT, rate, channels), _label(run + "#init"))]
    for k, (p, fs) in enumerate(slots):
        body = struct.pack("<i", RX_PACKET) + p if p is not None else struct.pack("<ii", RX_LOST, fs)
        out.append((body, _label("%s#%d:%s" % (run, k, "packet" if p is not None else "lost," + how[k]))))
    return out


def _receive_sets(w, corpus_dir):
    silk = [r for spec in RECEIVE_SILK for r in _receive_run(w, corpus_dir, spec)]
    celt = [r for spec in RECEIVE_CELT for r in _receive_run(w, corpus_dir, spec)]
    s = _spec("receive_silk", 3, "opus-receive", silk)
    c = _spec("receive_celt", 3, "opus-receive", celt)
    c.stages = [(st, COMPARE_RECEIVE_CELT, f) for st, _, f in c.stages]
    return [s, c]


# ---------------------------------------------------------------- command line
def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m dredfx.vectors",
                                 description="dredfx conformance vectors (docs/conformance.md)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write a vector set")
    g.add_argument("dir")
    g.add_argument("--inputs", metavar="FROM_DIR",
                   help="keep the inputs of this vector set, make the expected outputs again")
    g.add_argument("--interop", metavar="DATA_DIR",
                   help="interop data of scripts/interop-data.sh (default: the cache folder)")
    g.add_argument("--weights", metavar="BLOB", help="weights blob (default: the imported one)")
    g.add_argument("--corpus", metavar="DIR",
                   help="speech corpus of scripts/speech-corpus.sh (default: the cache folder)")
    g.add_argument("--add-layer2", action="store_true",
                   help="with --inputs: make layer 2's (FARGAN) inputs anew from the corpus")
    g.add_argument("--add-layer3", action="store_true",
                   help="with --inputs: make layer 3's (the receiver) inputs anew from the corpus")
    v = sub.add_parser("verify", help="check a vector set")
    v.add_argument("dir")
    v.add_argument("--impl", choices=("c", "ref"), default="c",
                   help="c: the C library (default); ref: the pure-Python reference")
    v.add_argument("--weights", metavar="BLOB", help="weights blob (default: the imported one)")
    c = sub.add_parser("check-libopus", help="check a directory in libopus' tests/dred_vectors.sh format")
    c.add_argument("dir")
    c.add_argument("--fargan-demo", metavar="PROG",
                   help="the implementation under test, with fargan_demo's command line (default: dredfx)")
    c.add_argument("--opus-demo", metavar="PROG", help="opus_demo for the system step (else pending)")
    c.add_argument("--vector", type=int, action="append", help="check only vector N (repeatable)")
    c.add_argument("--workdir", help="where decoded files go (default: a temporary folder)")
    c.add_argument("--weights", metavar="BLOB", help="weights blob (default: the imported one)")
    e = sub.add_parser("export-libopus", help="write libopus' tests/dred_vectors.sh file set")
    e.add_argument("dir")
    e.add_argument("--opus-demo", metavar="PROG",
                   help="libopus' opus_demo, for _opus.bit (its SILK frames, dredfx's DRED)")
    e.add_argument("--libopus", metavar="BUILD",
                   help="make every file with libopus' own tools in BUILD instead of dredfx")
    e.add_argument("--corpus", metavar="DIR", help="speech corpus (default: the cache folder)")
    e.add_argument("--weights", metavar="BLOB", help="weights blob (default: the imported one)")
    a = ap.parse_args(argv)
    if a.cmd == "check-libopus":
        return _check_libopus(a)
    if a.cmd == "export-libopus":
        from . import libopus_vectors as lv
        w = _load_weights(a.weights)
        made = lv.export_libopus(a.dir, a.libopus, w, a.corpus) if a.libopus else \
            lv.export(a.dir, w, a.opus_demo, a.corpus)
        for i, v in sorted(made.items()):
            print("vector%d: %s" % (i, ", ".join("%s %s" % kv for kv in v.items())))
        return 0
    try:
        if a.cmd == "generate":
            sets = generate(a.dir, a.inputs, a.interop, a.weights, a.corpus, a.add_layer2,
                            a.add_layer3)
            print("generated %s: %d sets, %d frames" % (
                a.dir, len(sets), sum(len(s.inputs) for s in sets)))
            return 0
        rep = verify(a.dir, a.impl, a.weights)
    except (VectorError, DredfxError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    for w in rep.warnings:
        print("warning: %s" % w)
    for why, names in rep.skip_reasons.items():
        print("SKIPPED (not checked): %s: %s" % (", ".join(names), why))
    parts = [x for x in rep.skipped if ":" in x]
    if parts:
        print("stages not checked by impl %s (no bit-exact FARGAN, PLC or RDO-VAE decoder; "
              "tests/test_vectors.py holds the float reference to the accuracy contracts): %s" % (
                  a.impl, ", ".join(parts)))
    for n in rep.notes:
        print("note: %s" % n)
    for e in rep.errors:
        print("FAIL: %s" % e)
    layers = ", ".join("layer %d: %d" % kv for kv in sorted(rep.layers.items()))
    print("%s: %d sets, %d frames (%s), %d stage records, impl %s: %s" % (
        a.dir, rep.sets, rep.frames, layers, rep.records, a.impl,
        ("OK" + (" (%d sets, %d stages not checked)" % (sum(":" not in x for x in rep.skipped),
                                                        sum(":" in x for x in rep.skipped))
                 if rep.skipped else ""))
        if rep.ok else "%d FAILURES" % len(rep.errors)))
    return 0 if rep.ok else 1


def _check_libopus(a):
    """check-libopus: one line per step, as tests/dred_vectors.sh and dred_compare print them."""
    import tempfile
    from . import libopus_vectors as lv
    w = _load_weights(a.weights)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = lv.check(a.dir, w, a.fargan_demo, a.opus_demo, a.workdir or tmp, a.vector)
        except (DredfxError, ValueError) as e:
            print("error: %s" % e, file=sys.stderr)
            return 2
    failed = 0
    for i, step, m, ok, note in rows:
        verdict = "pending" if ok is None else "PASSED" if ok else "FAILED"
        print("vector%d %-8s %s (limits %s): %s" % (i, step, note, " ".join("%g" % x for x in lv.LIMITS[step]),
                                                     verdict))
        failed += ok is False and step != "system"
    warn = sum(ok is False for _, step, _, ok, _ in rows if step == "system")
    print("%s: %d steps, %d failed, %d system warnings, %d pending: %s" % (
        a.dir, len(rows), failed, warn, sum(ok is None for *_, ok, _ in rows), "FAILED" if failed else "OK"))
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
