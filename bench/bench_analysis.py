#!/usr/bin/env python3
"""Feature-analysis speed: time per 10 ms frame over a whole 16 kHz speech clip, dredfx at every
CPU level (dredfx_analysis_process) against libopus 1.6.1's x86 build (run-time CPU choice: AVX2
here) and its generic build (plain C), both through lpcnet_compute_single_frame_features_float,
the DRED encoder's per-frame analysis.

Builds libdredfx.a (cmake, Release, build/cmake/bench), bench/bench_analysis.c against it and
bench/bench_libopus_analysis.c against each libopus build of scripts/build-libopus.sh, all in
build/bench-analysis/. Runs them in turn, --rounds times, and keeps each one's best (the machine
is shared). Prints a Markdown table and, with --out, replaces the "Analysis speed" section of that
file (bench/results.md).

usage: python3 bench/bench_analysis.py [--seconds S] [--rounds R] [--clip CLIP.raw] [--out bench/results.md]
"""
import os

from benchlib import best_frame_times, build, frame_bench_args, frame_bench_section, publish

TITLE = "## Analysis speed (bench/bench_analysis.py)"


def main():
    args = frame_bench_args()
    best, info = best_frame_times(build("analysis"), args.rounds, args.seconds, [args.clip])
    lines = frame_bench_section(
        TITLE, args, best, info,
        "%s (%d frames of 10 ms), the whole clip per pass, state reset first." % (os.path.basename(args.clip), info["dredfx"][0]),
        "dredfx_analysis %d (the pitch DNN's layer descriptors and its int8 layers' load-time constants, the "
        "autocorrelation's folded cosine table, the window and the transposed DCT, the signal memories)",
        "LPCNetEncState %d (its weights are held elsewhere)")
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
