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
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("DREDFX_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dredfx")
BUILD = os.path.join(ROOT, "build", "bench-rdovae")
TITLE = "## RDO-VAE speed (bench/bench_rdovae.py)"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def build():
    lib = os.path.join(ROOT, "build", "cmake", "bench")
    sh(["cmake", "-S", os.path.join(ROOT, "c"), "-B", lib, "-DCMAKE_BUILD_TYPE=Release", "-DDREDFX_TESTS=OFF"])
    sh(["cmake", "--build", lib, "-j2", "--target", "dredfx"])
    os.makedirs(BUILD, exist_ok=True)
    exes = {"dredfx": os.path.join(BUILD, "bench_rdovae")}
    sh(["cc", "-O2", "-I" + os.path.join(ROOT, "c", "include"), "-I" + HERE, os.path.join(HERE, "bench_rdovae.c"),
        os.path.join(lib, "libdredfx.a"), "-lm", "-o", exes["dredfx"]])
    src = sh([os.path.join(ROOT, "scripts", "get-libopus.sh")]).strip().splitlines()[-1]
    for variant in ("x86", "generic"):
        b = os.path.join(CACHE, "libopus-build", variant)
        if not os.path.exists(os.path.join(b, ".libs", "libopus.a")):
            print("no libopus build %s (scripts/build-libopus.sh %s): skipped" % (b, variant), file=sys.stderr)
            continue
        exes[variant] = os.path.join(BUILD, "bench_libopus_rdovae_" + variant)
        inc = [b] + [os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")]
        sh(["cc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H"] + ["-I" + d for d in inc] +
           ["-I" + HERE, os.path.join(HERE, "bench_libopus_rdovae.c"), os.path.join(b, ".libs", "libopus.a"),
            "-lm", "-o", exes[variant]])
    return exes


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
    weights = os.environ.get("DREDFX_WEIGHTS") or os.path.join(CACHE, "weights", "dredfx-weights-libopus-1.6.1.bin")
    exes = build()
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
              "requantization constants, 36 bytes per output row), the encoder's GRU and conv memories); "
              "libopus RDOVAEDec + "
              "RDOVAEDecState %d, RDOVAEEnc + RDOVAEEncState %d (struct sizes; both point into weights "
              "held elsewhere)." % (sizes["dredfx"] + (sizes.get("x86") or sizes.get("generic") or (0, 0)))]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        old = open(args.out).read() if os.path.exists(args.out) else ""
        head, sep, tail = old.partition(TITLE)
        rest = ""
        if sep:
            nxt = tail.find("\n## ")
            rest = tail[nxt + 1:] if nxt >= 0 else ""
        with open(args.out, "w") as f:
            f.write(head.rstrip("\n") + ("\n\n" if head.strip() else "") + text + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
