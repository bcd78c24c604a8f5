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
import argparse
import datetime
import os
import platform

from benchlib import CACHE, best_frame_times, build, frame_time_table, publish

TITLE = "## Analysis speed (bench/bench_analysis.py)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clip", default=os.path.join(CACHE, "interop", "clips", "vm-intro.16k.raw"))
    ap.add_argument("--out")
    args = ap.parse_args()
    best, info = best_frame_times(build("analysis"), args.rounds, args.seconds, [args.clip])
    lines = [TITLE, "",
             "%s, %s, %s: best of %d rounds of %.1f s per measure (the machine is shared). Input: %s "
             "(%d frames of 10 ms), the whole clip per pass, state reset first."
             % (datetime.date.today(), platform.machine(), platform.processor() or "x86-64", args.rounds,
                args.seconds, os.path.basename(args.clip), info["dredfx"][0]),
             ""] + frame_time_table(best)
    lines += ["",
              "State sizes (bytes): dredfx_analysis %d (the pitch DNN's layer descriptors and its int8 "
              "layers' load-time constants, the autocorrelation's folded cosine table, the window and the transposed DCT, the "
              "signal memories); libopus LPCNetEncState %d (its "
              "weights are held elsewhere)." % (info["dredfx"][1], (info.get("x86") or info.get("generic") or (0, 0))[1])]
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
