#!/usr/bin/env python3
"""RDO-VAE speed: one full 26-latent decode and one encoder step (two 10 ms feature frames ->
latent + initial state), dredfx at every CPU level against libopus 1.6.1's x86 build (run-time
CPU choice: AVX2 here) and its generic build (plain C DNN path), and the state sizes in bytes.

Builds libdredfx.a (cmake, Release, build/cmake/bench), bench/bench_rdovae.c against it and
bench/bench_libopus_rdovae.c against each libopus build of scripts/build-libopus.sh (x86,
generic), all in build/bench-rdovae/. Runs the three programs in turn, --rounds times, and keeps
each one's best (the machine is shared: the best is the least disturbed). Prints a Markdown table
and, with --out, replaces the "RDO-VAE speed" section of that file (bench/results.md).

usage: python3 bench/bench_rdovae.py [--seconds S] [--rounds R] [--out bench/results.md]
"""
import argparse
import datetime
import platform

from benchlib import WEIGHTS, build, publish, sh

TITLE = "## RDO-VAE speed (bench/bench_rdovae.py)"


def parse(out):
    """{name: (decode s, encode s)}, {name: (dec bytes, enc bytes)} of one program's output."""
    times, sizes = {}, None
    for line in out.splitlines():
        t = line.split()
        if t[0] == "level":
            times[t[1]] = (float(t[3]), float(t[5]))
        elif t[0] == "decode":
            times[""] = (float(t[1]), float(t[3]))
        elif t[0] == "sizes":
            sizes = (int(t[2]), int(t[4]))
    return times, sizes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    weights = WEIGHTS
    exes = build("rdovae")
    best, sizes = {}, {}
    for _ in range(args.rounds):
        for name, exe in exes.items():
            cmd = [exe, str(args.seconds)] + ([weights] if name == "dredfx" else [])
            times, sz = parse(sh(cmd))
            sizes[name] = sz
            for level, (d, e) in times.items():
                key = "dredfx " + level if name == "dredfx" else "libopus " + name
                old = best.get(key, (1e9, 1e9))
                best[key] = (min(old[0], d), min(old[1], e))
    ref = best.get("libopus x86")
    lines = [TITLE, "",
             "%s, %s, %s: best of %d rounds of %.1f s per measure (the machine is shared). Inputs: a "
             "fixed pseudo-random state and 26 latents in [-1, 1) / [-2, 2) (bench/bench_rdovae_common.h)."
             % (datetime.date.today(), platform.machine(), platform.processor() or "x86-64", args.rounds, args.seconds),
             "",
             "| implementation | 26-latent decode (us) | encoder step (us) | decode vs libopus x86 | encode vs libopus x86 |",
             "|---|---|---|---|---|"]
    for key, (d, e) in best.items():
        ratio = ("%.2fx" % (ref[0] / d), "%.2fx" % (ref[1] / e)) if ref else ("", "")
        lines.append("| %s | %.1f | %.2f | %s | %s |" % ((key, 1e6 * d, 1e6 * e) + ratio))
    lines += ["", "Ratios: libopus x86 time / this time (above 1: faster than libopus' AVX2 build).", "",
              "State sizes (bytes): dredfx decoder %d, encoder %d (dredfx_rdovae_dec/enc_get_size: layer "
              "descriptors into the weights blob, the int8 layers' load-time constants (row sums and "
              "requantization constants, 28 bytes per output row; the long-group sparse layers' byte-form "
              "indices, 1,280 and 1,152 bytes), the encoder's GRU and conv memories); "
              "libopus RDOVAEDec + "
              "RDOVAEDecState %d, RDOVAEEnc + RDOVAEEncState %d (struct sizes; both point into weights "
              "held elsewhere)." % (sizes["dredfx"] + (sizes.get("x86") or sizes.get("generic") or (0, 0)))]
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
