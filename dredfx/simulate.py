"""`dredfx simulate`: speech through a lossy network with and without DRED, scored and plotted.

For each mode (plc: neither DRED nor LBRR; lbrr: SILK's in-band FEC; dred; dred+lbrr) the clip is
encoded by the Opus encoder with dredfx inside (dredfx.opus; libopus 1.6.1 float until it is
built, and the report says so), the loss model drops packets (one pattern, the same for every mode
and codec), and the receiver rebuilds each lost packet as libopus' opus_demo does: from the LBRR
of the next packet when that packet arrived and carries LBRR, else from the DRED of the first
later packet that arrived within the look-ahead (--jitter-ms; no limit by default, as opus_demo
waits for the next packet), else by PLC (libopus' deep PLC at decoder complexity 5). A lost
packet counts as recovered by DRED when the DRED holds every feature frame of it (dred_covers);
past that reach libopus' DRED decode conceals as PLC does, and it counts as PLC.

Scores: PESQ-WB (pesq, ITU-T P.862.2), STOI (pystoi) and PLCMOS (speechmos, Microsoft's PLC
challenge model, shipped in that package and run offline through onnxruntime with fixed rater
draws), each against the clip itself; PESQ-WB and PLCMOS at 16 kHz (48 kHz runs are resampled by
soxr for them). A score that cannot be computed is null in the reports with the reason.

Many clips (a folder, a glob, several paths) run on a process pool, or on a dask cluster
(--dask ADDRESS), one job per clip; the report then gives, per codec and mode, the mean and its
95 % interval (Student t) over the clips.
"""
import argparse
import concurrent.futures
import glob
import json
import math
import os
import sys
import threading
import time

import numpy as np

from . import errors, loss as _loss
from .errors import DredfxError, InvalidArgumentError

MODES = ("plc", "lbrr", "dred", "dred+lbrr")
RATES = (16000, 48000)
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
FRAMES_MS = (10, 20, 40, 60)
MIN_BITRATE, MAX_BITRATE = 6000, 510000  # Opus' range, RFC 6716 section 2.1.1
MAX_DRED_MS = 1040
RAW_EXTS = (".raw", ".sw", ".s16", ".pcm")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
DEFAULT_CLIP = os.path.join(DATA_DIR, "allison-demo-congrats.flac")
SCORES = ("pesq_wb", "stoi", "plcmos")
CODECS = ("dredfx", "libopus-x86", "libopus-generic")
DASK_TIMEOUT_S = 10


class Settings:
    """What one simulation runs with (validated; see add_arguments for the meaning)."""

    def __init__(self, rate=16000, bitrate=24000, loss="lossgen:20", modes=MODES, frame_ms=20,
                 dred_ms=1000, jitter_ms=None, seed=None, compare_libopus=False, raw_rate=None,
                 complexity=10, dec_complexity=5):
        if rate not in RATES:
            raise InvalidArgumentError(
                "rate must be 16k or 48k, got %r%s" % (rate, "" if rate in OPUS_RATES else
                                                       " (Opus takes 8, 12, 16, 24 and 48 kHz only)"))
        self.rate = rate
        if isinstance(bitrate, bool) or not isinstance(bitrate, int) or not MIN_BITRATE <= bitrate <= MAX_BITRATE:
            raise InvalidArgumentError("bitrate must be within Opus' range, 6k to 510k b/s, got %r" % (bitrate,))
        self.bitrate = bitrate
        self.loss = loss
        self.model = _loss.from_spec(loss, seed)
        modes = tuple(modes)
        bad = [m for m in modes if m not in MODES]
        if bad or not modes or len(set(modes)) != len(modes):
            raise InvalidArgumentError("modes must be distinct names among %s, got %s"
                                       % (",".join(MODES), ",".join(modes) or "none"))
        self.modes = modes
        if frame_ms not in FRAMES_MS:
            raise InvalidArgumentError("frame must be one of %s ms, got %r" % (FRAMES_MS, frame_ms))
        self.frame_ms = frame_ms
        if not isinstance(dred_ms, int) or not 10 <= dred_ms <= MAX_DRED_MS or dred_ms % 10:
            raise InvalidArgumentError("dred-ms must be a multiple of 10 in [10, %d], got %r" % (MAX_DRED_MS, dred_ms))
        self.dred_ms = dred_ms
        if jitter_ms is not None and not (isinstance(jitter_ms, (int, float)) and jitter_ms >= 0):
            raise InvalidArgumentError("jitter-ms must be >= 0, got %r" % (jitter_ms,))
        self.jitter_ms = jitter_ms
        self.seed = seed
        self.compare_libopus = bool(compare_libopus)
        if raw_rate is not None and (not isinstance(raw_rate, int) or not 1000 <= raw_rate <= 384000):
            raise InvalidArgumentError("raw-rate must be a sampling rate in Hz (1000 to 384000), got %r" % (raw_rate,))
        self.raw_rate = raw_rate
        self.complexity, self.dec_complexity = complexity, dec_complexity

    @property
    def frame(self):
        return self.rate * self.frame_ms // 1000

    @property
    def codecs(self):
        return CODECS if self.compare_libopus else CODECS[:1]

    def as_dict(self):
        return {"rate": self.rate, "bitrate": self.bitrate, "loss": self.loss,
                "loss_model": self.model.describe(), "modes": list(self.modes), "frame_ms": self.frame_ms,
                "dred_ms": self.dred_ms, "jitter_ms": self.jitter_ms, "seed": self.seed,
                "encoder": "VOIP, VBR, complexity %d" % self.complexity,
                "decoder_complexity": self.dec_complexity}


# ---------------------------------------------------------------------------------------------
# Input


def load_audio(path, rate, raw_rate=None):
    """(int16 mono at rate, description) of an audio file: whatever soundfile (libsndfile) reads
    (wav of any rate, int16/int24/float, FLAC, Ogg...), or raw s16le with raw_rate (files ending
    .raw/.sw/.s16/.pcm need it). Stereo is mixed down to mono; any rate is resampled by soxr (VHQ)."""
    if not os.path.isfile(path):
        raise InvalidArgumentError("%s: no such file" % path)
    is_raw = raw_rate is not None or path.lower().endswith(RAW_EXTS)
    if is_raw:
        if raw_rate is None:
            raise InvalidArgumentError("%s: raw audio needs --raw-rate (its sampling rate)" % path)
        data = open(path, "rb").read()
        if len(data) % 2:
            raise InvalidArgumentError("%s: %d bytes, not whole s16le samples" % (path, len(data)))
        x = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        src_rate, channels, fmt = raw_rate, 1, "raw s16le"
    else:
        import soundfile
        try:
            info = soundfile.info(path)
            x, src_rate = soundfile.read(path, dtype="float32", always_2d=True)
        except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError) as e:
            raise InvalidArgumentError("%s: cannot read audio (%s)" % (path, str(e).splitlines()[0])) from None
        channels, fmt = x.shape[1], "%s %s" % (info.format, info.subtype)
        x = x.mean(axis=1)
    if x.size == 0:
        raise InvalidArgumentError("%s: no audio samples" % path)
    if src_rate != rate:
        import soxr
        x = soxr.resample(x, src_rate, rate, quality="VHQ")
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
    if pcm.size < rate // 10:
        raise InvalidArgumentError("%s: %.3f s of audio, under the 0.1 s a simulation needs" % (path, pcm.size / rate))
    return pcm, {"path": path, "format": fmt, "source_rate": int(src_rate), "channels": int(channels),
                 "seconds": round(pcm.size / rate, 3)}


def find_inputs(spec):
    """The files of IN: a file, a folder (its audio files), or a glob; sorted."""
    if os.path.isdir(spec):
        import soundfile
        exts = {"." + e.lower() for e in soundfile.available_formats()} | set(RAW_EXTS) | {".wav", ".flac", ".ogg"}
        files = sorted(os.path.join(spec, f) for f in os.listdir(spec)
                       if os.path.splitext(f)[1].lower() in exts and os.path.isfile(os.path.join(spec, f)))
        if not files:
            raise InvalidArgumentError("%s: a folder without audio files" % spec)
        return files
    if any(c in spec for c in "*?["):
        files = sorted(f for f in glob.glob(spec) if os.path.isfile(f))
        if not files:
            raise InvalidArgumentError("%s: no file matches" % spec)
        return files
    if not os.path.exists(spec):
        raise InvalidArgumentError("%s: no such file" % spec)
    return [spec]


# ---------------------------------------------------------------------------------------------
# Codecs and the receiver


def backend(name):
    """(codec module or object with Encoder/Decoder/DredDecoder, description dict) for a codec
    name of CODECS. "dredfx" is dredfx.opus when it is built, else libopus float (x86), marked
    fallback."""
    from . import opus_libopus
    if name == "dredfx":
        try:
            from . import opus as mod
        except ImportError as e:
            b = opus_libopus.Backend("x86")
            return b, {"codec": "dredfx", "implementation": "%s float, x86 build (fallback)" % b.version,
                       "fallback": True,
                       "reason": "dredfx.opus is not built here (%s): the dredfx rows are libopus' float "
                                 "codec, not dredfx's integer DRED, PLC and FARGAN" % e}
        return mod, {"codec": "dredfx", "implementation": "dredfx.opus: libopus 1.6.1 with dredfx's "
                     "integer DRED, PLC and FARGAN", "fallback": False, "reason": None}
    b = opus_libopus.Backend(name.split("-", 1)[1])
    return b, {"codec": name, "implementation": "%s float, %s build" % (b.version, b.variant),
               "fallback": False, "reason": None}


def has_lbrr(packet):
    """libopus' opus_packet_has_lbrr: whether the first SILK frame of a packet carries the LBRR of
    the frame before (False for CELT-only and malformed packets)."""
    from .packet import parse_packet
    try:
        info = parse_packet(packet)
    except errors.InvalidPacketError:
        return False
    if info.config >= 16 or not info.frames or not info.frames[0]:
        return False
    nb = info.samples_per_frame // 960 if info.samples_per_frame > 960 else 1
    b = info.frames[0][0]
    lbrr = (b >> (7 - nb)) & 1
    if info.stereo:
        lbrr |= (b >> (6 - 2 * nb)) & 1
    return bool(lbrr)


def receive(codec, packets, lost, rate, frame, jitter_frames=None, complexity=5):
    """Decodes packets with losses as opus_demo does (module docstring): (int16 pcm, how) where
    how[i] is "ok", "lbrr", "dred" or "plc" for packet i."""
    dec = codec.Decoder(sampling_rate=rate, channels=1, complexity=complexity)
    dred_dec = codec.DredDecoder()
    n = len(packets)
    got = [not lost[i] and bool(packets[i]) for i in range(n)]
    nxt, j = [n] * n, n
    for i in range(n - 1, -1, -1):
        nxt[i] = j
        if got[i]:
            j = i
    out, how, dred_of = [], [], {}
    for i in range(n):
        if got[i]:
            out.append(dec.decode(packets[i]))
            how.append("ok")
            continue
        j = nxt[i]
        if j >= n or (jitter_frames is not None and j - i > jitter_frames):
            out.append(dec.decode(None, frame))
            how.append("plc")
            continue
        if j == i + 1 and has_lbrr(packets[j]):
            out.append(dec.decode(packets[j], frame, fec=True))
            how.append("lbrr")
            continue
        if j not in dred_of:
            # Parsed once per arriving packet, for the gap it ends, as opus_demo parses it.
            try:
                dred_of = {j: dred_dec.parse(packets[j], min(rate, (j - i) * frame), rate)}
            except errors.InvalidPacketError:
                dred_of = {j: None}
        d = dred_of[j]
        if d is None:
            out.append(dec.decode(None, frame))
            how.append("plc")
        else:
            offset = (j - i) * frame
            out.append(dec.decode_dred(d, offset, frame))
            how.append("dred" if dred_covers(offset, d.available_samples, rate) else "plc")
    return np.concatenate(out).astype(np.int16), how


def dred_covers(offset, available, rate):
    """Whether a DRED whose parse returned `available` samples holds every 10 ms feature frame of
    the frame that starts `offset` samples before its packet. libopus' decoder reads the features
    of that frame 20 ms further back than the parse's count (src/opus_decoder.c, feature_offset:
    floor((offset + dred_offset * F10 / 4) / F10) - 2), so the frame is covered while
    offset < available + 20 ms."""
    return offset < available + rate // 50


def packet_sizes(packets, rate):
    """(bytes, DRED bytes, DRED reach in ms) per packet; DRED bytes: what the packet loses when its
    padding (which holds the DRED extension) is removed; reach: what dredfx's parser finds."""
    from .dred import parse_dred
    from .packet import build_packet, parse_packet
    total, dred_b, reach = [], [], []
    for p in packets:
        info = parse_packet(p)
        core = len(build_packet(info.config, info.stereo, info.frames)) if info.padding else len(p)
        d = parse_dred(p, max_dred_samples=rate, sampling_rate=rate) if info.padding else None
        total.append(len(p))
        dred_b.append(len(p) - core)
        reach.append(1000.0 * d.samples / rate if d is not None else 0.0)
    return np.array(total), np.array(dred_b), np.array(reach)


# ---------------------------------------------------------------------------------------------
# Scores

_PLCMOS = []
_PLCMOS_LOCK = threading.Lock()  # the global random state it seeds (dask workers may be threads)


def _to16k(x, rate):
    if rate == 16000:
        return x.astype(np.float64)
    import soxr
    return soxr.resample(x.astype(np.float64), rate, 16000, quality="VHQ")


def scores(ref, deg, rate):
    """{pesq_wb, stoi, plcmos} of deg against ref (int16, same length), None where a score cannot
    be computed, with {"score_errors": {name: reason}}."""
    out, why = {}, {}
    r16, d16 = _to16k(ref, rate), _to16k(deg, rate)
    try:
        from pesq import PesqError, pesq
        try:
            out["pesq_wb"] = float(pesq(16000, r16, d16, "wb"))
        except (PesqError, ValueError) as e:  # ValueError: pesq's own on a silent signal
            out["pesq_wb"], why["pesq_wb"] = None, "PESQ: %s" % (str(e) or type(e).__name__)
    except ImportError:
        out["pesq_wb"], why["pesq_wb"] = None, "pesq is not installed (pip install pesq)"
    try:
        from pystoi import stoi
        out["stoi"] = float(stoi(ref.astype(np.float64), deg.astype(np.float64), rate))
    except ImportError:
        out["stoi"], why["stoi"] = None, "pystoi is not installed (pip install pystoi)"
    try:
        with _PLCMOS_LOCK:
            if not _PLCMOS:
                from speechmos import plcmos
                _PLCMOS.append(plcmos.PLCMOS())
            # PLCMOS averages its model over random rater embeddings (np.random): fixed draws make
            # the score reproducible; the caller's global random state is left as it was.
            state = np.random.get_state()
            np.random.seed(0)
            try:
                out["plcmos"] = float(_PLCMOS[0](np.clip(d16 / 32768.0, -1.0, 1.0))["plcmos"])
            finally:
                np.random.set_state(state)
    except ImportError as e:
        out["plcmos"], why["plcmos"] = None, "speechmos/onnxruntime not installed (%s)" % e
    if why:
        out["score_errors"] = why
    return out


# ---------------------------------------------------------------------------------------------
# One clip


def run_clip(pcm, settings, codecs=None, progress=None, keep_audio=True):
    """Simulates one clip (int16 mono at settings.rate) for every codec and mode: a dict with
    "rows" (one per codec and mode: scores, rates, counts; "audio": the decoded int16 when
    keep_audio), "lost" (the pattern), "backends" (what each codec name ran). progress: called
    once per row done."""
    s = settings
    frame = s.frame
    codecs = codecs or s.codecs
    rows, backends, pattern = [], {}, None
    for name in codecs:
        codec, info = backend(name)
        backends[name] = info
        for mode in s.modes:
            if pattern is None:
                # Enough packets for the clip and the encoder's look-ahead (under 10 ms in Opus).
                n = -(-(pcm.size + s.rate // 100) // frame)
                pattern = s.model.pattern(n)
                loss_perc = int(round(100.0 * pattern.mean())) if n else 0
            # The encoder expects the loss the pattern has (DRED's and LBRR's budgets follow it).
            enc = codec.Encoder(sampling_rate=s.rate, channels=1, bitrate=s.bitrate, application="voip",
                                complexity=s.complexity, frame_ms=s.frame_ms,
                                dred_ms=s.dred_ms if "dred" in mode else 0, lbrr="lbrr" in mode,
                                loss_perc=loss_perc)
            la = enc.lookahead
            x = np.zeros(n * frame, np.int16)
            x[:pcm.size] = pcm
            packets = enc.encode_all(x)
            jitter = None if s.jitter_ms is None else int(s.jitter_ms // s.frame_ms)
            out, how = receive(codec, packets, pattern, s.rate, frame, jitter, s.dec_complexity)
            deg = out[la:la + pcm.size]
            total, dred_b, reach = packet_sizes(packets, s.rate)
            seconds = n * s.frame_ms / 1000.0
            row = {"codec": name, "mode": mode}
            row.update(scores(pcm, deg, s.rate))
            row.update({
                "core_kbps": round(8.0 * (total.sum() - dred_b.sum()) / seconds / 1000.0, 3),
                "dred_kbps": round(8.0 * dred_b.sum() / seconds / 1000.0, 3),
                "mean_reach_ms": round(float(reach[reach > 0].mean()), 1) if (reach > 0).any() else 0.0,
                "loss_pct": round(100.0 * float(pattern.mean()), 2),
                "packets": n, "lost": int(pattern.sum()),
                "recovered_by": {k: how.count(k) for k in ("lbrr", "dred", "plc")},
                "how": how, "reach_ms": [round(float(v), 1) for v in reach],
            })
            if keep_audio:
                row["audio"] = deg
            rows.append(row)
            if progress:
                progress()
    return {"rows": rows, "lost": [bool(v) for v in pattern], "backends": backends, "lookahead": la,
            "loss_model": s.model.describe()}


def _clip_job(args):
    """One clip of a corpus run, in a worker: (name, run_clip's result)."""
    name, pcm, settings_kw = args
    return name, run_clip(pcm, Settings(**settings_kw))


# ---------------------------------------------------------------------------------------------
# Reports


def interval95(values):
    """(mean, half width of its 95 % interval: Student t over the values), None when empty."""
    v = np.array([x for x in values if x is not None], dtype=np.float64)
    if v.size == 0:
        return None, None
    if v.size == 1:
        return float(v.mean()), None
    from scipy.stats import t
    return float(v.mean()), float(t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))


def _fmt(v, nd=3):
    return "-" if v is None else ("%.*f" % (nd, v))


def summary_table(rows):
    """The terminal/markdown table of rows (one clip)."""
    head = ["codec", "mode", "PESQ-WB", "STOI", "PLCMOS", "core kb/s", "DRED kb/s", "lost",
            "by LBRR", "by DRED", "by PLC"]
    body = [[r["codec"], r["mode"], _fmt(r["pesq_wb"]), _fmt(r["stoi"]), _fmt(r["plcmos"]),
             "%.1f" % r["core_kbps"], "%.1f" % r["dred_kbps"], str(r["lost"]),
             str(r["recovered_by"]["lbrr"]), str(r["recovered_by"]["dred"]), str(r["recovered_by"]["plc"])]
            for r in rows]
    return head, body


def text_table(head, body):
    w = [max(len(x) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(c.rjust(n) if i > 1 else c.ljust(n) for i, (c, n) in enumerate(zip(cells, w)))
    return "\n".join([line(head), line(["-" * n for n in w])] + [line(b) for b in body])


def md_table(head, body):
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(b) + " |" for b in body])


def _burst_text(pattern):
    h = _loss.burst_histogram(pattern)
    return ", ".join("%d: %d" % (k, v) for k, v in h.items()) or "none"


def write_single(result, pcm, meta, settings, outdir, quiet=False):
    """Writes the wavs, report.json, report.md and report.png of one clip; returns the report."""
    import soundfile
    os.makedirs(outdir, exist_ok=True)
    s = settings
    soundfile.write(os.path.join(outdir, "original.wav"), pcm, s.rate, subtype="PCM_16")
    files = {}
    for r in result["rows"]:
        f = "%s-%s.wav" % (r["codec"], r["mode"].replace("+", "-"))
        soundfile.write(os.path.join(outdir, f), r["audio"], s.rate, subtype="PCM_16")
        files["%s/%s" % (r["codec"], r["mode"])] = f
    pattern = np.array(result["lost"], dtype=bool)
    rows = [{k: v for k, v in r.items() if k not in ("audio", "how", "reach_ms")} for r in result["rows"]]
    fallback = result["backends"]["dredfx"]["fallback"] if "dredfx" in result["backends"] else False
    rep = {"dredfx_simulate": 1, "input": meta, "settings": s.as_dict(), "backends": result["backends"],
           "dredfx_fallback_to_libopus": fallback,
           "loss": {"packets": int(pattern.size), "lost": int(pattern.sum()),
                    "loss_pct": round(100.0 * float(pattern.mean()), 2) if pattern.size else 0.0,
                    "burst_histogram": _loss.burst_histogram(pattern),
                    "pattern": "".join("1" if v else "0" for v in pattern)},
           "rows": rows, "wav": files,
           "per_packet": {"%s/%s" % (r["codec"], r["mode"]): {"how": r["how"], "reach_ms": r["reach_ms"]}
                          for r in result["rows"]}}
    with open(os.path.join(outdir, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    head, body = summary_table(rows)
    md = ["# dredfx simulate", "",
          "Input: `%s` (%s, %d Hz, %d channel(s)), %.2f s at %d Hz." % (
              meta["path"], meta["format"], meta["source_rate"], meta["channels"], meta["seconds"], s.rate),
          "Opus %d b/s, %d ms frames, DRED %d ms, loss %s: %s." % (s.bitrate, s.frame_ms, s.dred_ms, s.loss,
                                                                  s.model.describe()),
          "Look-ahead of the receiver: %s." % ("no limit (as opus_demo)" if s.jitter_ms is None
                                              else "%g ms" % s.jitter_ms),
          "Lost: %d of %d packets (%.2f %%); bursts (length: count): %s." % (
              rep["loss"]["lost"], pattern.size, rep["loss"]["loss_pct"], _burst_text(pattern)), ""]
    for name, b in result["backends"].items():
        md.append("- `%s`: %s%s" % (name, b["implementation"], (". **%s**" % b["reason"]) if b["reason"] else ""))
    md += ["", md_table(head, body), ""]
    errs = {"%s/%s %s" % (r["codec"], r["mode"], k): v for r in rows for k, v in r.get("score_errors", {}).items()}
    if errs:
        md += ["Scores not computed:", ""] + ["- %s: %s" % kv for kv in errs.items()] + [""]
    md += ["![report](report.png)", ""]
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(md))
    try:
        from .simulate_plot import plot_single
        plot_single(result, pcm, s, os.path.join(outdir, "report.png"), meta)
    except ImportError as e:
        if not quiet:
            print("plot skipped (%s): pip install matplotlib" % e, file=sys.stderr)
    return rep, head, body


def aggregate(results, settings):
    """Per codec and mode over clips: mean and 95 % interval of each score, summed counts; and
    per mode the dredfx-vs-libopus difference beside libopus' own x86-vs-generic spread."""
    by = {}
    for _name, r in results:
        for row in r["rows"]:
            by.setdefault((row["codec"], row["mode"]), []).append(row)
    agg = []
    for (codec, mode), rs in by.items():
        a = {"codec": codec, "mode": mode, "clips": len(rs)}
        for k in SCORES:
            m, h = interval95([x[k] for x in rs])
            a[k], a[k + "_ci95"] = m, h
        for k in ("core_kbps", "dred_kbps", "loss_pct"):
            a[k] = round(float(np.mean([x[k] for x in rs])), 3)
        a["packets"] = sum(x["packets"] for x in rs)
        a["lost"] = sum(x["lost"] for x in rs)
        a["recovered_by"] = {k: sum(x["recovered_by"][k] for x in rs) for k in ("lbrr", "dred", "plc")}
        agg.append(a)
    compare = []
    get = {(a["codec"], a["mode"]): a for a in agg}
    for mode in settings.modes:
        d, x, g = (get.get((c, mode)) for c in CODECS)
        if not (d and x and g):
            continue
        for k in ("pesq_wb", "plcmos"):
            if None in (d[k], x[k], g[k]):
                continue
            diff, spread = abs(d[k] - x[k]), abs(g[k] - x[k])
            limit = max(0.05, 1.5 * spread)
            compare.append({"mode": mode, "score": k, "dredfx": d[k], "libopus_x86": x[k],
                            "libopus_generic": g[k], "dredfx_vs_libopus": diff,
                            "libopus_spread": spread, "limit": limit, "within": diff <= limit})
    return agg, compare


def write_corpus(results, metas, settings, outdir, quiet=False):
    """Per-clip wavs and report.json under outdir/clips/, and the aggregated report.*"""
    import soundfile
    os.makedirs(os.path.join(outdir, "clips"), exist_ok=True)
    per_clip = []
    for name, r in results:
        d = os.path.join(outdir, "clips", name)
        os.makedirs(d, exist_ok=True)
        for row in r["rows"]:
            soundfile.write(os.path.join(d, "%s-%s.wav" % (row["codec"], row["mode"].replace("+", "-"))),
                            row["audio"], settings.rate, subtype="PCM_16")
        rows = [{k: v for k, v in x.items() if k not in ("audio", "how", "reach_ms")} for x in r["rows"]]
        per_clip.append({"clip": name, "input": metas[name], "loss_model": r["loss_model"], "rows": rows})
    agg, compare = aggregate(results, settings)
    backends = results[0][1]["backends"] if results else {}
    fallback = backends.get("dredfx", {}).get("fallback", False)
    rep = {"dredfx_simulate": 1, "clips": len(results), "settings": settings.as_dict(), "backends": backends,
           "dredfx_fallback_to_libopus": fallback, "aggregate": agg, "compare": compare, "per_clip": per_clip}
    with open(os.path.join(outdir, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    head = ["codec", "mode", "clips", "PESQ-WB", "STOI", "PLCMOS", "core kb/s", "DRED kb/s", "loss %",
            "by LBRR", "by DRED", "by PLC"]

    def ci(a, k):
        return "-" if a[k] is None else ("%.3f" % a[k]) + ("" if a[k + "_ci95"] is None else " ± %.3f" % a[k + "_ci95"])
    body = [[a["codec"], a["mode"], str(a["clips"]), ci(a, "pesq_wb"), ci(a, "stoi"), ci(a, "plcmos"),
             "%.1f" % a["core_kbps"], "%.1f" % a["dred_kbps"], "%.1f" % a["loss_pct"],
             str(a["recovered_by"]["lbrr"]), str(a["recovered_by"]["dred"]), str(a["recovered_by"]["plc"])]
            for a in agg]
    md = ["# dredfx simulate: %d clips" % len(results), "",
          "Opus %d b/s, %d ms frames, DRED %d ms, loss %s (each clip its own seed: report.json per_clip), "
          "%d Hz. Mean over the clips ± the half width of its 95 %% interval (Student t)." % (
              settings.bitrate, settings.frame_ms, settings.dred_ms, settings.loss, settings.rate), ""]
    for name, b in backends.items():
        md.append("- `%s`: %s%s" % (name, b["implementation"], (". **%s**" % b["reason"]) if b["reason"] else ""))
    md += ["", md_table(head, body), ""]
    chead, cbody = [], []
    if compare:
        chead = ["mode", "score", "dredfx", "libopus x86", "libopus generic", "dredfx vs x86",
                 "generic vs x86", "limit", "within"]
        cbody = [[c["mode"], c["score"], "%.3f" % c["dredfx"], "%.3f" % c["libopus_x86"],
                  "%.3f" % c["libopus_generic"], "%.3f" % c["dredfx_vs_libopus"], "%.3f" % c["libopus_spread"],
                  "%.3f" % c["limit"], "yes" if c["within"] else "NO"] for c in compare]
        md += ["dredfx against libopus, beside libopus' own spread (x86 against generic), as absolute "
               "differences of the means; limit: max(0.05, 1.5 x spread):", "", md_table(chead, cbody), ""]
    md += ["Per clip: `clips/<name>/`; every figure: report.json.", ""]
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(md))
    try:
        from .simulate_plot import plot_corpus
        plot_corpus(agg, settings, os.path.join(outdir, "report.png"), len(results))
    except ImportError as e:
        if not quiet:
            print("plot skipped (%s): pip install matplotlib" % e, file=sys.stderr)
    return rep, (head, body), (chead, cbody)


# ---------------------------------------------------------------------------------------------
# Running


def _progress(total, quiet, unit):
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


class _DaskExecutor:
    """A dask cluster's concurrent.futures executor (Client.get_executor()) that closes its
    client on shutdown."""

    def __init__(self, address):
        try:
            from distributed import Client
        except ImportError:
            raise DredfxError("--dask needs dask.distributed (pip install 'dask[distributed]')") from None
        try:
            self.client = Client(address, timeout=DASK_TIMEOUT_S)
        except (OSError, TimeoutError) as e:
            raise DredfxError("cannot reach the dask scheduler at %s: %s" % (address, e)) from None
        self._ex = self.client.get_executor()

    def submit(self, fn, *args):
        return self._ex.submit(fn, *args)

    def shutdown(self):
        self._ex.shutdown()
        self.client.close()


def executor_for(jobs=None, dask=None):
    """A concurrent.futures executor: a dask cluster's when dask names a scheduler address, else
    a process pool of `jobs` workers (default: one per CPU)."""
    if dask:
        return _DaskExecutor(dask)
    if jobs is not None and jobs < 1:
        raise InvalidArgumentError("jobs must be at least 1, got %r" % jobs)
    return concurrent.futures.ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1)


def run_corpus(files, settings, executor, quiet=False):
    """Runs every clip as one job on executor (anything with concurrent.futures' submit and
    futures); [(name, result)] in file order and {name: input description}. Clips are read
    here, so workers need no access to the files. Clip k draws its losses with seed S + k, S
    being --seed or the model's default (a trace is the same for every clip)."""
    metas, jobs = {}, []
    base = settings.seed if settings.seed is not None else getattr(settings.model, "seed", None)
    names = set()
    for k, f in enumerate(files):
        kw = {a: getattr(settings, a) for a in ("rate", "bitrate", "loss", "modes", "frame_ms", "dred_ms",
                                                "jitter_ms", "seed", "compare_libopus", "raw_rate",
                                                "complexity", "dec_complexity")}
        if base is not None:
            kw["seed"] = base + k
        pcm, meta = load_audio(f, settings.rate, settings.raw_rate)
        name = os.path.splitext(os.path.basename(f))[0]
        while name in names:
            name += "_"
        names.add(name)
        metas[name] = meta
        jobs.append((name, pcm, kw))
    bar = _progress(len(jobs), quiet, "clip")
    futures = [executor.submit(_clip_job, j) for j in jobs]
    done = {}
    for fut in concurrent.futures.as_completed(futures):
        name, r = fut.result()
        done[name] = r
        if bar:
            bar.update()
    if bar:
        bar.close()
    return [(j[0], done[j[0]]) for j in jobs], metas


def add_arguments(p):
    """The options of `dredfx simulate` (dredfx.cli)."""
    p.add_argument("input", nargs="?", default=None, metavar="IN",
                   help="speech: an audio file (wav, FLAC, Ogg... anything soundfile reads; raw s16le with "
                        "--raw-rate), or a folder or glob of them for a corpus run (default: the bundled "
                        "7 s clip, Allison Smith's Asterisk prompt, CC BY-SA 3.0)")
    p.add_argument("--bitrate", type=_bitrate, default=24000, help="Opus bitrate, e.g. 24k or 24000 (default 24k)")
    p.add_argument("--loss", default="lossgen:20",
                   help="loss model: lossgen:PCT (libopus' generative model), bernoulli:PCT, ge:PCT,BURST, "
                        "ge:p=P,r=R[,good=G,bad=B], trace:FILE (0/1 per packet, repeated from its start when "
                        "shorter than the stream), none (default lossgen:20)")
    p.add_argument("--modes", type=lambda t: tuple(m.strip() for m in t.split(",") if m.strip()),
                   default=MODES, help="comma-separated among plc,lbrr,dred,dred+lbrr (default: all four)")
    p.add_argument("--rate", type=_rate, default=16000, help="codec sampling rate: 16k or 48k (default 16k)")
    p.add_argument("--frame", type=int, default=20, help="frame length in ms: 10, 20, 40 or 60 (default 20)")
    p.add_argument("--dred-ms", type=int, default=1000, help="DRED duration in ms for the dred modes (default 1000)")
    p.add_argument("--jitter-ms", type=float, default=None,
                   help="how far ahead of a lost packet the receiver may look for LBRR/DRED "
                        "(default: no limit, as opus_demo)")
    p.add_argument("--seed", type=int, default=None, help="seed of the loss model (default: the model's)")
    p.add_argument("--compare-libopus", action="store_true",
                   help="also run libopus 1.6.1 float (x86 and generic builds) on the same input and losses")
    p.add_argument("--raw-rate", type=int, default=None, help="sampling rate of raw s16le input")
    p.add_argument("--out", default=os.path.join("out", "simulate"), help="output folder (default out/simulate)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes of a corpus run (default: CPUs)")
    p.add_argument("--dask", metavar="ADDRESS", help="run a corpus on this dask scheduler instead")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _bitrate(text):
    t = text.strip().lower()
    try:
        v = float(t[:-1]) * 1000 if t.endswith("k") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError("not a bitrate: %r (e.g. 24k or 24000)" % text) from None
    if v != int(v):
        raise argparse.ArgumentTypeError("not a whole number of b/s: %r" % text)
    return int(v)


def _rate(text):
    t = text.strip().lower()
    try:
        return int(float(t[:-1]) * 1000) if t.endswith("k") else int(t)
    except ValueError:
        raise argparse.ArgumentTypeError("not a sampling rate: %r (16k or 48k)" % text) from None


def cmd_simulate(a):
    t0 = time.time()
    s = Settings(rate=a.rate, bitrate=a.bitrate, loss=a.loss, modes=a.modes, frame_ms=a.frame,
                 dred_ms=a.dred_ms, jitter_ms=a.jitter_ms, seed=a.seed, compare_libopus=a.compare_libopus,
                 raw_rate=a.raw_rate)
    say = (lambda *x: None) if a.quiet else (lambda *x: print(*x))
    files = [DEFAULT_CLIP] if a.input is None else find_inputs(a.input)
    corpus = a.input is not None and (os.path.isdir(a.input) or any(c in a.input for c in "*?["))
    if not corpus:
        pcm, meta = load_audio(files[0], s.rate, s.raw_rate)
        say("input: %s, %.2f s (%s, %d Hz, %d channel(s)) -> %d Hz mono" % (
            meta["path"], meta["seconds"], meta["format"], meta["source_rate"], meta["channels"], s.rate))
        say("loss: %s; Opus %s b/s, %d ms frames, DRED %d ms" % (s.model.describe(), a.bitrate, s.frame_ms, s.dred_ms))
        bar = _progress(len(s.codecs) * len(s.modes), a.quiet, "run")
        r = run_clip(pcm, s, progress=bar.update if bar else None)
        if bar:
            bar.close()
        rep, head, body = write_single(r, pcm, meta, s, a.out, a.quiet)
        for name, b in rep["backends"].items():
            if b["fallback"]:
                say("note: %s" % b["reason"])
        say("lost %d of %d packets (%.2f %%), bursts (length: count) %s" % (
            rep["loss"]["lost"], rep["loss"]["packets"], rep["loss"]["loss_pct"],
            _burst_text(np.array(r["lost"]))))
        say(text_table(head, body))
        say("wrote %s: report.md, report.json, report.png, %d wav files (%.0f s)" % (
            a.out, len(rep["wav"]) + 1, time.time() - t0))
        return 0
    ex = executor_for(a.jobs, a.dask)
    try:
        results, metas = run_corpus(files, s, ex, a.quiet)
    finally:
        ex.shutdown()
    rep, (head, body), (chead, cbody) = write_corpus(results, metas, s, a.out, a.quiet)
    for name, b in rep["backends"].items():
        if b["fallback"]:
            say("note: %s" % b["reason"])
    say("%d clips; mean ± 95 %% interval per codec and mode" % len(results))
    say(text_table(head, body))
    if cbody:
        say("dredfx against libopus (limit max(0.05, 1.5 x libopus' x86-vs-generic spread)):")
        say(text_table(chead, cbody))
    say("wrote %s: report.md, report.json, report.png, clips/ (%.0f s)" % (a.out, time.time() - t0))
    return 0
