#!/usr/bin/env python3
"""FARGAN accuracy on real speech (issue 11, item 5): per clip of the speech corpus
(scripts/speech-corpus.sh, 15 clips of 6-10 s), features from libopus 1.6.1's analysis (x86
`fargan_demo -features`), resynthesized by libopus' x86 and generic `fargan_demo
-fargan-synthesis` and by dredfx.fargan.synthesize (the same framing), then compared with libopus'
`dred_compare -audio -s16` (x86 build; the first file is the reference):

    dfx/orig, x86/orig, gen/orig   the resynthesis against the original (cut to its length)
    dfx/x86, gen/x86               dredfx and libopus generic against libopus x86

and PESQ-WB (PyPI pesq) of each resynthesis against the original. Bars: per clip, dfx/orig at
most x86/orig + 0.02 (err4), + 0.05 (err16), + 0.01 (pitch) and PESQ-WB of dredfx at least
libopus x86's - 0.05; over the clips (mean), dfx/x86 at most 1.5x gen/x86 (err4, err16, pitch).
Prints a Markdown table, then the bars with their margins (bar minus value: >= 0 passes); exit
status 1 when a bar fails. tests/test_fargan.py runs the same measure on two clips.

usage: python3 bench/fargan_accuracy.py [--clips N] [--work DIR]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PAIRS = ("dfx/orig", "x86/orig", "gen/orig", "dfx/x86", "gen/x86")
CLIP_BARS = (0.02, 0.05, 0.01)  # err4, err16, pitch: dfx/orig - x86/orig at most this
AGG_RATIO = 1.5
PESQ_BAR = 0.05


def _script(name, *args):
    """The last line a scripts/ tool prints (the folder it made or found)."""
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", name), *args], check=True, stdout=subprocess.PIPE,
                       text=True)
    return r.stdout.strip().splitlines()[-1]


def libopus_builds():
    return {v: _script("build-libopus.sh", v) for v in ("x86", "generic")}


def dred_compare(exe, ref, deg):
    """(err4, err16, pitch) of libopus' dred_compare -audio -s16 ref deg."""
    out = subprocess.run([exe, "-audio", "-s16", ref, deg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    m = re.search(r"err4 = ([0-9.]+), err16 = ([0-9.]+), pitch = ([0-9.]+)", out)
    if not m:
        raise RuntimeError("dred_compare %s %s: %s" % (ref, deg, out))
    return tuple(float(v) for v in m.groups())


def measure_clip(clip, builds, work, weights=None):
    """{pair: (err4, err16, pitch)} and {"x86"|"gen"|"dfx": PESQ-WB} for one 16 kHz s16 clip."""
    from pesq import pesq
    from dredfx import fargan
    name = os.path.basename(clip).split(".")[0]
    p = {k: os.path.join(work, "%s.%s" % (name, k)) for k in ("f32", "x86", "gen", "dfx", "orig")}
    fd = os.path.join(builds["x86"], "fargan_demo")
    subprocess.run([fd, "-features", clip, p["f32"]], check=True)
    for k, v in (("x86", "x86"), ("gen", "generic")):
        subprocess.run([os.path.join(builds[v], "fargan_demo"), "-fargan-synthesis", p["f32"], p[k]], check=True)
    feats = np.fromfile(p["f32"], "<f4").reshape(-1, 20)
    y = fargan.synthesize(feats, weights)
    y.astype("<i2").tofile(p["dfx"])
    orig = np.fromfile(clip, "<i2")[:len(y)]
    orig.tofile(p["orig"])
    for k in ("x86", "gen"):
        n = os.path.getsize(p[k]) // 2
        if n != len(y):
            raise RuntimeError("%s: libopus %s wrote %d samples, dredfx %d" % (name, k, n, len(y)))
    dc = os.path.join(builds["x86"], "dred_compare")
    errs = {pair: dred_compare(dc, p[pair.split("/")[1]], p[pair.split("/")[0]]) for pair in PAIRS}
    ref = orig.astype(np.float64) / 32768
    scores = {k: pesq(16000, ref, np.fromfile(p[k], "<i2").astype(np.float64) / 32768, "wb")
              for k in ("x86", "gen", "dfx")}
    return errs, scores


def bars(results):
    """[(what, value, bar, margin = bar - value)] of every bar over {clip: (errs, scores)}."""
    out = []
    for name, (errs, scores) in results.items():
        for i, metric in enumerate(("err4", "err16", "pitch")):
            bar = errs["x86/orig"][i] + CLIP_BARS[i]
            out.append(("%s %s dfx/orig <= x86/orig + %.2f" % (name, metric, CLIP_BARS[i]), errs["dfx/orig"][i], bar))
        bar = scores["x86"] - PESQ_BAR
        out.append(("%s PESQ-WB dfx >= x86 - %.2f" % (name, PESQ_BAR), -scores["dfx"], -bar))
    for i, metric in enumerate(("err4", "err16", "pitch")):
        d = np.mean([r[0]["dfx/x86"][i] for r in results.values()])
        g = np.mean([r[0]["gen/x86"][i] for r in results.values()])
        out.append(("mean %s dfx/x86 <= %.1f x gen/x86" % (metric, AGG_RATIO), d, AGG_RATIO * g))
    return [(w, v, b, b - v) for w, v, b in out]


def table(results):
    head = ["clip"] + ["%s %s" % (p, m) for p in PAIRS for m in ("err4", "err16", "pitch")] + \
        ["PESQ x86", "PESQ gen", "PESQ dfx"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = []
    for name, (errs, scores) in results.items():
        row = [v for p in PAIRS for v in errs[p]] + [scores[k] for k in ("x86", "gen", "dfx")]
        rows.append(row)
        lines.append("| %s | " % name + " | ".join("%.3f" % v for v in row) + " |")
    lines.append("| **mean** | " + " | ".join("**%.3f**" % v for v in np.mean(rows, axis=0)) + " |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=0, help="the first N clips of the corpus (0: all)")
    ap.add_argument("--work", help="folder for the resyntheses (default: a temporary one)")
    args = ap.parse_args()
    sys.path.insert(0, ROOT)
    import glob
    clips = sorted(glob.glob(os.path.join(_script("speech-corpus.sh"), "*.16k.raw")))
    clips = clips[:args.clips] if args.clips else clips
    builds = libopus_builds()
    work = args.work or tempfile.mkdtemp(prefix="fargan-accuracy-")
    os.makedirs(work, exist_ok=True)
    results = {}
    for c in clips:
        results[os.path.basename(c).split(".")[0]] = measure_clip(c, builds, work)
    print("\n".join(table(results)))
    print()
    failed = 0
    for what, value, bar, margin in bars(results):
        ok = margin >= 0
        failed += not ok
        print("%-44s %8.4f bar %8.4f margin %+8.4f %s" % (what, abs(value), abs(bar), margin, "ok" if ok else "FAIL"))
    print("\n%d clips, %d bars, %d failed" % (len(results), len(bars(results)), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
