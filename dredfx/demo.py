"""The main job: a real speech clip through a lossy network with DRED.

libopus 1.6.1 encodes the clip with DRED (VOIP, VBR) and drops packets (`opus_demo -enc_loss`);
dredfx parses the DRED every packet carries and plots it; the same stream with the DRED extension
removed by dredfx's packet layer is the no-DRED baseline; both are decoded (by libopus' receiver
for now: dredfx's fixed-point receiver comes with the models) and scored with PESQ-WB.
"""
import argparse
import os
import subprocess

import numpy as np

from . import errors, report
from .packet import build_packet, parse_packet, read_opus_demo, write_opus_demo

DEFAULT_CLIP = "/usr/share/asterisk/sounds/en_US_f_Allison/demo-congrats.g722"
ENCODER_DELAY = 104  # samples at 16 kHz that opus_demo -d keeps at the start (no look-ahead removal)


def _run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise errors.DredfxError("%s failed:\n%s" % (" ".join(cmd), r.stdout.decode(errors="replace")[-2000:]))


def load_clip(path, out_sw):
    """Any clip ffmpeg reads (G.722 prompts included) -> 16 kHz mono s16 raw."""
    if path.endswith(".g722"):
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "g722", "-i", path]
    else:
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", path]
    _run(cmd + ["-ar", "16000", "-ac", "1", "-f", "s16le", out_sw])
    return np.fromfile(out_sw, dtype=np.int16)


def strip_dred(packets):
    """The same packets without their padding (and so without DRED), rebuilt by dredfx."""
    out = []
    for p in packets:
        if not p:
            out.append(p)
            continue
        info = parse_packet(p)
        out.append(build_packet(info.config, info.stereo, info.frames) if info.padding else p)
    return out


def pesq_wb(ref, deg):
    try:
        from pesq import pesq
    except ImportError:
        return None
    n = min(len(ref), len(deg))
    return float(pesq(16000, ref[:n].astype(np.float64), deg[:n].astype(np.float64), "wb"))


def run(opus_build, clip=DEFAULT_CLIP, bitrate=32000, loss=20, outdir="out"):
    """Runs the job and returns the PESQ-WB scores {"with DRED": .., "without DRED": ..}."""
    if not 0 <= loss < 100:
        raise errors.InvalidArgumentError("loss must be a percentage in [0, 100), got %r" % loss)
    os.makedirs(outdir, exist_ok=True)
    opus_demo = os.path.join(opus_build, "opus_demo")
    if not os.access(opus_demo, os.X_OK):
        raise errors.DredfxError("no opus_demo in %s: run scripts/build-libopus.sh" % opus_build)
    if not os.path.exists(clip):
        raise errors.DredfxError("no clip %s (Debian package asterisk-core-sounds-en-g722)" % clip)
    sw = os.path.join(outdir, "clip.sw")
    ref = load_clip(clip, sw)
    print("clip: %s, %.1f s of 16 kHz speech" % (clip, len(ref) / 16000))
    bit = os.path.join(outdir, "dred.bit")
    _run([opus_demo, "-e", "voip", "16000", "1", str(bitrate), "-loss", str(loss), "-dred", "100",
          "-enc_loss", sw, bit])
    packets = read_opus_demo(bit)
    rows = report.inspect_packets(packets, 16000)
    s = report.summarize(rows)
    print("libopus 1.6.1 encoder: %d packets at %d b/s, %d dropped (%.1f %% loss), %d carry DRED"
          % (s["packets"], bitrate, s["lost_marked"], 100.0 * s["lost_marked"] / max(1, s["packets"]),
             s["with_dred"]))
    if s["with_dred"]:
        print("dredfx parse: DRED %.1f bytes per packet, reach %.0f ms on average (max %.0f), q0 %s"
              % (s["mean_dred_bytes"], s["mean_covered_ms"], s["max_covered_ms"], s["q0_values"]))
    nodred = os.path.join(outdir, "nodred.bit")
    write_opus_demo(nodred, strip_dred(packets))
    scores = {}
    for name, stream in (("with DRED", bit), ("without DRED", nodred)):
        out = os.path.join(outdir, name.replace(" ", "_") + ".sw")
        _run([opus_demo, "-d", "16000", "1", "-dec_complexity", "10", stream, out])
        deg = np.fromfile(out, dtype=np.int16)[ENCODER_DELAY:ENCODER_DELAY + len(ref)]
        scores[name] = pesq_wb(ref, deg)
    for name, v in scores.items():
        print("PESQ-WB %-13s %s" % (name + ":", "%.3f" % v if v is not None else "n/a (pip install pesq)"))
    png = os.path.join(outdir, "dred.png")
    title = "%s, %d b/s, %d %% loss: PESQ-WB %s with DRED, %s without" % (
        os.path.basename(clip), bitrate, loss,
        *("%.2f" % scores[k] if scores[k] is not None else "n/a" for k in ("with DRED", "without DRED")))
    try:
        report.plot(rows, png, title)
        print("plot: %s" % png)
    except ImportError:
        print("plot skipped: pip install matplotlib")
    return scores


def _loss(text):
    """argparse type of --loss: a percentage in [0, 100)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an integer: %r" % text) from None
    if not 0 <= v < 100:
        raise argparse.ArgumentTypeError("must be in [0, 100) percent, got %d" % v)
    return v


def add_arguments(p):
    """The options of `dredfx demo` (dredfx.cli)."""
    p.add_argument("--opus-build", required=True, help="libopus 1.6.1 build folder (opus_demo)")
    p.add_argument("--clip", default=DEFAULT_CLIP, help="speech clip (any format ffmpeg reads)")
    p.add_argument("--bitrate", type=int, default=32000, help="bits per second (default 32000)")
    p.add_argument("--loss", type=_loss, default=20,
                   help="packets dropped, in percent, 0 <= loss < 100 (default 20)")
    p.add_argument("--out", default="out", help="output folder (default out)")


def cmd_demo(a):
    run(a.opus_build, a.clip, a.bitrate, a.loss, a.out)
    return 0
