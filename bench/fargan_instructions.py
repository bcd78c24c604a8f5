#!/usr/bin/env python3
"""FARGAN instruction count per second of speech (callgrind) and state sizes, for estimating the
cost on a phone core (issue 11, item 8; times are bench/bench_fargan's job, not this script's).

Counts the instructions of `dredfx-demo -fargan-synthesis` (Release build, build/cmake/bench) at
the scalar level (DREDFX_CPU=scalar: the plain C kernels, compiled for x86-64's baseline, so gcc
may still use SSE2 where it vectorises by itself) and at AVX2, and of libopus 1.6.1's
`fargan_demo -fargan-synthesis` in its generic build (plain C, -U__SSE2__) and x86 build (AVX2
here: valgrind's CPU has no AVX-512 or AVX-VNNI), under `valgrind --tool=callgrind`, on the
features of a corpus clip (libopus x86 `fargan_demo -features`) cut to a short and a long run.
The difference of the two counts over the difference in seconds is the cost of synthesis alone
(start-up, weight loading and model preparation cancel). State sizes: dredfx_fargan_get_size()
against sizeof(FARGANState) of libopus (its fargan.h, compiled against each build's config.h).

Prints a Markdown section; with --out, replaces the "FARGAN instructions" section of that file.
usage: python3 bench/fargan_instructions.py [--short S] [--long S] [--clip N] [--out bench/results.md]
"""
import argparse
import datetime
import glob
import os
import re
import subprocess
import tempfile

from benchlib import ROOT, WEIGHTS, publish, sh

TITLE = "## FARGAN instructions and state size (bench/fargan_instructions.py)"


def script(name, *args):
    return sh(["bash", os.path.join(ROOT, "scripts", name), *args]).strip().splitlines()[-1]


def callgrind(cmd, env=None, cwd=None):
    """Instructions executed (callgrind's "Collected")."""
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(d, "cg.out")] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise RuntimeError("callgrind %s: %s" % (" ".join(cmd), r.stderr[-2000:]))
    return int(m.group(1))


def libopus_state_size(build, src, work):
    c = os.path.join(work, "fargan_size.c")
    with open(c, "w") as f:
        f.write('#include <stdio.h>\n#include "fargan.h"\n'
                'int main(void) { printf("%zu\\n", sizeof(FARGANState)); return 0; }\n')
    exe = os.path.join(work, "fargan_size_" + os.path.basename(build))
    extra = ["-U__SSE2__"] if os.path.basename(build) == "generic" else []
    sh(["cc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H"] + extra + ["-I" + build] +
       ["-I" + os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")] + [c, "-o", exe])
    return int(sh([exe]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", type=float, default=1.0, help="seconds of the short run")
    ap.add_argument("--long", type=float, default=6.0, help="seconds of the long run")
    ap.add_argument("--clip", type=int, default=0, help="index of the corpus clip")
    ap.add_argument("--out")
    args = ap.parse_args()
    lib = os.path.join(ROOT, "build", "cmake", "bench")
    sh(["cmake", "-S", os.path.join(ROOT, "c"), "-B", lib, "-DCMAKE_BUILD_TYPE=Release", "-DDREDFX_TESTS=OFF"])
    sh(["cmake", "--build", lib, "-j2", "--target", "dredfx-demo"])
    demo = os.path.join(lib, "dredfx-demo")
    src = script("get-libopus.sh")
    builds = {v: script("build-libopus.sh", v) for v in ("generic", "x86")}
    clip = sorted(glob.glob(os.path.join(script("speech-corpus.sh"), "*.16k.raw")))[args.clip]
    work = os.path.join(ROOT, "build", "bench-fargan-instructions")
    os.makedirs(work, exist_ok=True)
    feats = os.path.join(work, "clip.f32")
    sh([os.path.join(builds["x86"], "fargan_demo"), "-features", clip, feats])
    with open(feats, "rb") as f:
        rows = f.read()
    frames = {}
    for name, secs in (("short", args.short), ("long", args.long)):
        n = int(round(secs * 100))
        if len(rows) < 80 * n:
            raise SystemExit("the clip has %d frames, fewer than %d" % (len(rows) // 80, n))
        with open(os.path.join(work, name + ".f32"), "wb") as f:
            f.write(rows[:80 * n])
        frames[name] = n
    runs = [("dredfx scalar", [demo, "--weights", WEIGHTS, "-fargan-synthesis"], dict(os.environ, DREDFX_CPU="scalar")),
            ("dredfx AVX2", [demo, "--weights", WEIGHTS, "-fargan-synthesis"], dict(os.environ, DREDFX_CPU="avx2")),
            ("libopus generic", [os.path.join(builds["generic"], "fargan_demo"), "-fargan-synthesis"], None),
            ("libopus x86", [os.path.join(builds["x86"], "fargan_demo"), "-fargan-synthesis"], None)]
    per_s = {}
    for name, cmd, env in runs:
        counts = {k: callgrind(cmd + [os.path.join(work, k + ".f32"), os.path.join(work, k + ".s16")], env=env)
                  for k in ("short", "long")}
        per_s[name] = (counts["long"] - counts["short"]) / ((frames["long"] - frames["short"]) / 100)
        print("%s: %d and %d instructions for %d and %d frames" % (name, counts["short"], counts["long"],
                                                                 frames["short"], frames["long"]), flush=True)
    dfx_size = int(sh(["python3", "-c", "from dredfx import fargan; print(fargan.STATE_SIZE)"],
                      env=dict(os.environ, PYTHONPATH=ROOT)))
    sizes = {v: libopus_state_size(b, src, work) for v, b in builds.items()}
    ref = per_s["libopus generic"]
    lines = [TITLE, "",
             "%s, valgrind --tool=callgrind: instructions per second of 16 kHz speech, the difference of "
             "a %g s and a %g s run (%s, features from libopus x86 `fargan_demo -features`), so that "
             "start-up, weight loading and preparation cancel. dredfx: `dredfx-demo -fargan-synthesis` "
             "(Release, gcc, x86-64 baseline flags) at a forced level; libopus 1.6.1: `fargan_demo "
             "-fargan-synthesis` (generic: plain C, -U__SSE2__; x86: its run-time choice under valgrind, "
             "AVX2)." % (datetime.date.today(), args.short, args.long, os.path.basename(clip)), "",
             "| build | instructions per second of speech | per 10 ms frame | vs libopus generic |",
             "|---|---|---|---|"]
    for name, _, _ in runs:
        lines.append("| %s | %.3f G | %.2f M | %.2fx |" % (name, per_s[name] / 1e9, per_s[name] / 1e8,
                                                          per_s[name] / ref))
    lines += ["", "State: `dredfx_fargan_get_size()` = %d bytes (the layers' prepared constants, "
              "requantization tables and column sums, live in the state; the weights stay in the "
              "caller's blob); libopus `sizeof(FARGANState)` = %d bytes (x86 build), %d bytes (generic), "
              "weights compiled in or in its own blob." % (dfx_size, sizes["x86"], sizes["generic"])]
    publish(lines, TITLE, args.out)


if __name__ == "__main__":
    main()
