#!/usr/bin/env python3
"""How often a faithful FARGAN fails issue 11's per-clip bars (bench/fargan_accuracy.py): the
bars hold a resynthesis against the original to libopus x86's own distance plus 0.02 (err4), 0.05
(err16) and 0.01 (pitch). Here libopus x86 itself, libopus generic and dredfx resynthesize each
clip's features (x86 `fargan_demo -features`) moved by +-2^-17 per value (random signs, DRAWS
draws: the Q16 step of dredfx's feature input, half a step each way), and every resynthesis is
held to the bars of the unmoved x86 resynthesis. A build that failed no bar on moved inputs would
make a failed bar evidence of an error; a bar that libopus x86 fails on its own moved inputs is a
draw.

usage: python3 tools/fargan_bar_draws.py [--clips N] [--draws K] [--seed S] [--work DIR]
Prints one line per clip and build (failed bars of K draws, err16 range), the totals, and how many
runs (draw d of every clip) meet every per-clip error bar.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, ROOT)
from fargan_accuracy import CLIP_BARS, _script, dred_compare, libopus_builds  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=0, help="the first N clips of the corpus (0: all)")
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", help="folder for the resyntheses (default: a temporary one)")
    args = ap.parse_args()
    from dredfx import fargan
    clips = sorted(glob.glob(os.path.join(_script("speech-corpus.sh"), "*.16k.raw")))
    clips = clips[:args.clips] if args.clips else clips
    builds = libopus_builds()
    work = args.work or tempfile.mkdtemp(prefix="fargan-draws-")
    os.makedirs(work, exist_ok=True)
    dc = os.path.join(builds["x86"], "dred_compare")
    rng = np.random.default_rng(args.seed)
    names = ("x86", "gen", "dfx")
    fails = {k: 0 for k in names}
    draws_failing = {k: 0 for k in names}
    run_failed = {k: [False] * args.draws for k in names}  # draw d of every clip: one run of the corpus
    for clip in clips:
        name = os.path.basename(clip).split(".")[0]
        f32 = os.path.join(work, name + ".f32")
        subprocess.run([os.path.join(builds["x86"], "fargan_demo"), "-features", clip, f32], check=True)
        feats = np.fromfile(f32, "<f4")

        def synth(build, path_f32, out):
            if build == "dfx":
                y = fargan.synthesize(np.fromfile(path_f32, "<f4").reshape(-1, 20))
                y.astype("<i2").tofile(out)
            else:
                exe = os.path.join(builds["x86" if build == "x86" else "generic"], "fargan_demo")
                subprocess.run([exe, "-fargan-synthesis", path_f32, out], check=True)
            return out

        base = synth("x86", f32, os.path.join(work, name + ".x86"))
        n = os.path.getsize(base) // 2
        orig = os.path.join(work, name + ".orig")
        np.fromfile(clip, "<i2")[:n].tofile(orig)
        bar = [v + b for v, b in zip(dred_compare(dc, orig, base), CLIP_BARS)]
        per = {k: [] for k in names}
        for d in range(args.draws):
            moved = os.path.join(work, "%s.d%d.f32" % (name, d))
            (feats + np.where(rng.random(feats.size) < 0.5, -1, 1) * np.float32(2.0 ** -17)).astype("<f4").tofile(moved)
            for k in names:
                e = dred_compare(dc, orig, synth(k, moved, os.path.join(work, "%s.d%d.%s" % (name, d, k))))
                failed = sum(v > b for v, b in zip(e, bar))
                per[k].append((failed, e[1]))
                fails[k] += failed
                draws_failing[k] += failed > 0
                run_failed[k][d] |= failed > 0
        for k in names:
            e16 = [e for _, e in per[k]]
            print("%-5s %-3s draws failing a bar %d of %d, err16 %.3f-%.3f (bar %.3f)"
                  % (name, k, sum(f > 0 for f, _ in per[k]), args.draws, min(e16), max(e16), bar[1]), flush=True)
    total = len(clips) * args.draws
    for k in names:
        print("%s: %d of %d clip-draws fail at least one of the three bars (%d bars failed)"
              % (k, draws_failing[k], total, fails[k]))
    for k in names:
        print("%s: %d of %d runs over the %d clips meet all %d per-clip error bars"
              % (k, run_failed[k].count(False), args.draws, len(clips), 3 * len(clips)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
