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
import os

from benchlib import CACHE, ROOT, best_frame_times, build, frame_bench_args, frame_bench_section, publish, sh

TITLE = "## FARGAN speed (bench/bench_fargan.py)"


def main():
    args = frame_bench_args()
    exes = build("fargan")
    feats = os.path.join(ROOT, "build", "bench-fargan", os.path.basename(args.clip) + ".f32")
    sh([os.path.join(CACHE, "libopus-build", "x86", "fargan_demo"), "-features", args.clip, feats])
    best, info = best_frame_times(exes, args.rounds, args.seconds, [feats])
    lines = frame_bench_section(
        TITLE, args, best, info,
        "the libopus features (fargan_demo -features) of the first %d frames of %s, fargan_demo -fargan-synthesis' "
        "sequence (continuation on 320 zeros, then one synthesis per frame), state reset first."
        % (info["dredfx"][0], os.path.basename(args.clip)),
        "dredfx_fargan %d (layer descriptors, the int8 layers' load-time constants, the signal and GRU states)",
        "FARGANState %d (its weights are held elsewhere)")
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
