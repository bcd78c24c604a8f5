"""dredfx-opus against libopus 1.6.1, measured with libopus' own opus_demo: the same options and
inputs through three builds (libopus' default x86 build, its generic C build -U__SSE2__, and
dredfx-opus), losses from libopus' lossgen (lossgen_demo, the model behind opus_demo -sim_loss,
written to a -lossfile so every build loses the same packets), scored with PESQ-WB (PyPI pesq) and
PLCMOS (PyPI speechmos). Cross-decoding: one build's -e bitstream through another's -d.

    python bench/opus_quality.py DREDFX_OPUS_DEMO OUT.jsonl [--clips 12] [--loss 10,20,30]
                                 [--rates 16000,48000] [--cross]
    python bench/opus_quality.py --table OUT.jsonl      # the docs/accuracy.md tables

Rows are appended to OUT.jsonl as they finish (a run can be resumed: done rows are skipped)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MODES = {  # opus_demo options of each mode (decoder complexity 5: deep PLC where nothing else helps)
    "plc": [],
    "lbrr": ["-inbandfec"],
    "dred": ["-dred", "100"],
    "dred+lbrr": ["-inbandfec", "-dred", "100"],
}
BITRATE = {16000: 24000, 48000: 32000}
PACKETS_PER_CLIP = 600


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scores(ref16, out, rate):
    from pesq import pesq
    from speechmos import plcmos
    from scipy.signal import resample_poly
    y = np.fromfile(out, dtype="<i2").astype(np.float64)
    if rate != 16000:
        y = resample_poly(y, 1, rate // 16000)
    n = min(len(ref16), len(y))
    # speechmos' PLCMOS v2 draws a random rater embedding per call (np.random.normal): one seed
    # for every call makes a score a function of the audio alone.
    np.random.seed(0)
    return (float(pesq(16000, ref16[:n], y[:n], "wb")),
            float(plcmos.run(np.clip(y[:n] / 32768, -1, 1).astype(np.float32), sr=16000)["plcmos"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("demo", nargs="?")
    ap.add_argument("out")
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--loss", default="20")
    ap.add_argument("--rates", default="16000")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--cross", action="store_true", help="cross-decoding rows instead")
    ap.add_argument("--pairs", default="x86>dredfx,dredfx>x86,x86>x86",
                    help="with --cross: encoder>decoder builds")
    ap.add_argument("--table", action="store_true")
    a = ap.parse_args()
    if a.table:
        return table(a.out)
    from tests.conftest import libopus_build, speech_corpus
    builds = {"x86": os.path.join(libopus_build("x86"), "opus_demo"),
              "generic": os.path.join(libopus_build("generic"), "opus_demo"),
              "dredfx": os.path.abspath(a.demo)}
    lossgen = os.path.join(libopus_build("x86"), "lossgen_demo")
    done = set()
    if os.path.exists(a.out):
        for line in open(a.out):
            r = json.loads(line)
            done.add((r["build"], r["rate"], r["loss"], r["mode"], r["clip"]))
    tmp = tempfile.mkdtemp(prefix="opus-quality-")
    clips16 = speech_corpus(16000)[:a.clips]
    for loss in [int(v) for v in a.loss.split(",")]:
        pattern = subprocess.run([lossgen, str(loss), str(PACKETS_PER_CLIP * 16)], check=True,
                                 capture_output=True, text=True).stdout.split()
        for k, clip16 in enumerate(clips16):
            lossfile = os.path.join(tmp, "loss-%d-%d.txt" % (loss, k))
            with open(lossfile, "w") as f:
                f.write("\n".join(pattern[k * PACKETS_PER_CLIP:(k + 1) * PACKETS_PER_CLIP]))
            ref16 = np.fromfile(clip16, dtype="<i2").astype(np.float64)
            for rate in [int(v) for v in a.rates.split(",")]:
                clip = clip16 if rate == 16000 else clip16.replace(".16k.", ".48k.")
                base = ["voip", str(rate), "1", str(BITRATE[rate]), "-complexity", "10",
                        "-loss", str(loss)]
                for mode in a.modes.split(","):
                    opts = base + MODES[mode]
                    pairs = ([tuple(p.split(">")) for p in a.pairs.split(",")] if a.cross
                             else [(b, b) for b in builds])
                    for enc, dec in pairs:
                        name = enc if enc == dec and not a.cross else "%s>%s" % (enc, dec)
                        key = (name, rate, loss, mode, os.path.basename(clip))
                        if key in done:
                            continue
                        bit, out = os.path.join(tmp, "x.bit"), os.path.join(tmp, "x.raw")
                        if enc == dec:
                            run([builds[enc]] + opts + ["-dec_complexity", "5", "-lossfile", lossfile,
                                                        clip, out])
                        else:
                            run([builds[enc], "-e"] + opts + [clip, bit])
                            # opus_demo -d uses DRED and LBRR whenever the packets carry them
                            run([builds[dec], "-d", str(rate), "1", "-dec_complexity", "5",
                                 "-lossfile", lossfile, bit, out])
                        pesq_wb, plc = scores(ref16, out, rate)
                        row = dict(build=name, rate=rate, loss=loss, mode=mode, clip=key[4],
                                   pesq=pesq_wb, plcmos=plc)
                        with open(a.out, "a") as f:
                            f.write(json.dumps(row) + "\n")
                        print(row, flush=True)


def table(path):
    rows = [json.loads(line) for line in open(path)]
    cells = {}
    for r in rows:
        cells.setdefault((r["rate"], r["loss"], r["mode"]), {}).setdefault(r["build"], {})[r["clip"]] = r
    print("| rate | loss | mode | clips | metric | libopus x86 | libopus generic | dredfx-opus | "
          "dredfx - x86 | bar | within |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (rate, loss, mode), by in sorted(cells.items()):
        if not all(b in by for b in ("x86", "generic", "dredfx")):
            continue
        clips = sorted(set(by["x86"]) & set(by["generic"]) & set(by["dredfx"]))
        for metric in ("pesq", "plcmos"):
            m = {b: float(np.mean([by[b][c][metric] for c in clips])) for b in ("x86", "generic", "dredfx")}
            bar = max(0.05, 1.5 * abs(m["generic"] - m["x86"]))
            print("| %d | %d %% | %s | %d | %s | %.3f | %.3f | %.3f | %+.3f | %.3f | %s |" % (
                rate, loss, mode, len(clips), "PESQ-WB" if metric == "pesq" else "PLCMOS", m["x86"],
                m["generic"], m["dredfx"], m["dredfx"] - m["x86"], bar,
                "yes" if m["dredfx"] >= m["x86"] - bar else "NO"))
    cross = {}
    for r in rows:
        if ">" in r["build"]:
            cross.setdefault((r["rate"], r["loss"], r["mode"]), {}).setdefault(r["build"], {})[r["clip"]] = r
    if cross:
        print()
        print("| rate | loss | mode | clips | metric | x86>x86 | x86>dredfx | dredfx>x86 | worst - x86>x86 | within 0.05 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (rate, loss, mode), by in sorted(cross.items()):
            clips = sorted(set.intersection(*[set(v) for v in by.values()]))
            for metric in ("pesq", "plcmos"):
                vals = [float(np.mean([by[b][c][metric] for c in clips])) if b in by else float("nan")
                        for b in ("x86>x86", "x86>dredfx", "dredfx>x86")]
                worst = min(vals[1], vals[2]) - vals[0]
                print("| %d | %d %% | %s | %d | %s | %.3f | %.3f | %.3f | %+.3f | %s |" % (
                    rate, loss, mode, len(clips), "PESQ-WB" if metric == "pesq" else "PLCMOS", *vals,
                    worst, "yes" if worst >= -0.05 else "NO"))


if __name__ == "__main__":
    main()
