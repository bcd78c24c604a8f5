#!/usr/bin/env python3
"""FARGAN speed: time per 10 ms frame of synthesis, dredfx at every CPU level
(dredfx_fargan_cont, then dredfx_fargan_synthesize_int16 per frame) against libopus 1.6.1's x86
build (run-time CPU choice: AVX2 here) and its generic build (plain C), both through fargan_cont and
fargan_synthesize: fargan_demo -fargan-synthesis' sequence on the features of a real clip (the
first 200 frames, 2 s), computed once by libopus' own fargan_demo -features.

Builds libdredfx.a (cmake, Release, build/cmake/bench), bench/bench_fargan.c against it and
bench/bench_libopus_fargan.c against each libopus build of scripts/build-libopus.sh, all in
build/bench-fargan/. Runs them in turn, --rounds times, and keeps each one's best (the machine
is shared). Prints a Markdown table and, with --out, replaces the "FARGAN speed" section of that
file (bench/results.md).

usage: python3 bench/bench_fargan.py [--seconds S] [--rounds R] [--clip CLIP.raw] [--out bench/results.md]
"""
import argparse
import datetime
import os
import platform

from benchlib import CACHE, ROOT, best_frame_times, build, frame_time_table, publish, sh

TITLE = "## FARGAN speed (bench/bench_fargan.py)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clip", default=os.path.join(CACHE, "interop", "clips", "vm-intro.16k.raw"))
    ap.add_argument("--out")
    args = ap.parse_args()
    exes = build("fargan")
    feats = os.path.join(ROOT, "build", "bench-fargan", os.path.basename(args.clip) + ".f32")
    sh([os.path.join(CACHE, "libopus-build", "x86", "fargan_demo"), "-features", args.clip, feats])
    best, info = best_frame_times(exes, args.rounds, args.seconds, [feats])
    lines = [TITLE, "",
             "%s, %s, %s: best of %d rounds of %.1f s per measure (the machine is shared). Input: the "
             "libopus features (fargan_demo -features) of the first %d frames of %s, fargan_demo "
             "-fargan-synthesis' sequence (continuation on 320 zeros, then one synthesis per frame), "
             "state reset first." % (datetime.date.today(), platform.machine(), platform.processor() or "x86-64",
                                     args.rounds, args.seconds, info["dredfx"][0], os.path.basename(args.clip)),
             ""] + frame_time_table(best)
    lines += ["",
              "State sizes (bytes): dredfx_fargan %d (layer descriptors, the int8 layers' load-time "
              "constants, the signal and GRU states); libopus FARGANState %d (its weights are held "
              "elsewhere)." % (info["dredfx"][1], (info.get("x86") or info.get("generic") or (0, 0))[1])]
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
