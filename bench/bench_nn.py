#!/usr/bin/env python3
"""NN throughput: dredfx's fixed-point layers at every CPU level vs libopus 1.6.1's float layers.

Builds libdredfx.a (cmake, Release, in build/cmake/bench) and, in a cache folder outside the repo
($DREDFX_CACHE/bench):
  * bench/bench_nn.c against that library;
  * bench/bench_libopus_nn.c against the libopus 1.6.1 builds of scripts/build-libopus.sh:
    "c" (intrinsics and run-time CPU detection off) and "default" (run-time detection: AVX2 here).
Runs them on the model sizes, prints a table of MAC/s (multiply-accumulates per second: a GRU step
of N units on I inputs is 3N(I + N) MACs) with the ratio to dredfx scalar, and writes
bench/results.md.

usage: python3 bench/bench_nn.py [--seconds S] [--no-libopus] [--out bench/results.md]
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (label, spec): RDO-VAE decoder GRUs 1..5 (64 units, inputs 96..480), decoder conv-dense 5 and
# output, encoder gdense1, FARGAN's first signal GRU (160 units on 272 inputs) and fwc0 conv.
SIZES = [
    ("dec GRU1 64u, 96 in", "gru:96:64"),
    ("dec GRU2 64u, 192 in", "gru:192:64"),
    ("dec GRU3 64u, 288 in", "gru:288:64"),
    ("dec GRU4 64u, 384 in", "gru:384:64"),
    ("dec GRU5 64u, 480 in", "gru:480:64"),
    ("dec conv_dense5 544->32", "dense:544:32"),
    ("dec_output 576->80", "dense:576:80"),
    ("enc gdense1 544->128", "dense:544:128"),
    ("FARGAN sig GRU1 160u, 272 in", "gru:272:160"),
    ("FARGAN fwc0_conv 328->192", "dense:328:192"),
]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def cache_dir():
    d = os.environ.get("DREDFX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dredfx")
    d = os.path.join(d, "bench")
    os.makedirs(d, exist_ok=True)
    return d


def build_dredfx(work):
    # In the repository (build/, git-ignored): a CMake build folder belongs to one source folder.
    b = os.path.join(ROOT, "build", "cmake", "bench")
    cache = os.path.join(b, "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache) as f:
            if "CMAKE_HOME_DIRECTORY:INTERNAL=%s\n" % os.path.join(ROOT, "c") not in f.read():
                shutil.rmtree(b)
    sh(["cmake", "-S", os.path.join(ROOT, "c"), "-B", b, "-DCMAKE_BUILD_TYPE=Release", "-DDREDFX_TESTS=OFF"],
       stderr=subprocess.STDOUT)
    sh(["cmake", "--build", b, "-j2"], stderr=subprocess.STDOUT)
    exe = os.path.join(work, "bench_nn")
    sh(["cc", "-O2", "-std=gnu11", "-I" + os.path.join(ROOT, "c", "include"), "-I" + os.path.join(ROOT, "c", "src"),
        os.path.join(HERE, "bench_nn.c"), os.path.join(b, "libdredfx.a"), "-lpthread", "-lm", "-o", exe])
    return exe


def build_libopus(work, variant):
    src = sh([os.path.join(ROOT, "scripts", "get-libopus.sh")]).strip().splitlines()[-1]
    b = sh([os.path.join(ROOT, "scripts", "build-libopus.sh"), variant]).strip().splitlines()[-1]
    exe = os.path.join(work, "bench_libopus_nn_" + variant)
    sh(["cc", "-O2", "-DHAVE_CONFIG_H", "-I" + b] + ["-I" + os.path.join(src, d) for d in ("include", "celt", "dnn", "silk", ".")]
       + [os.path.join(HERE, "bench_libopus_nn.c"), os.path.join(b, ".libs", "libopus.a"), "-lm", "-o", exe],
       stderr=subprocess.DEVNULL)
    return exe


def run(exe, seconds, prefix=None):
    """{(impl, spec): seconds per call}, and the MAC count per spec."""
    out = sh([exe, str(seconds)] + [s for _, s in SIZES])
    times, macs = {}, {}
    for line in out.splitlines():
        f = line.split()
        if prefix is None:
            impl, f = "dredfx " + f[0], f[1:]
        else:
            impl = prefix
        spec = "%s:%s:%s" % (f[0], f[1], f[2])
        macs[spec] = float(f[3])
        times[(impl, spec)] = float(f[4])
    return times, macs


def cpu_model():
    try:
        for line in sh(["lscpu"]).splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="measuring time per size and implementation")
    ap.add_argument("--no-libopus", action="store_true", help="dredfx only")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    work = cache_dir()
    times, macs = run(build_dredfx(work), args.seconds)
    impls = sorted({i for i, _ in times}, key=lambda i: (i != "dredfx scalar", i))
    if not args.no_libopus:
        for variant in ("c", "default"):
            t, _ = run(build_libopus(work, variant), args.seconds, "libopus " + variant)
            times.update(t)
            impls.append("libopus " + variant)
    head = ["layer", "MACs"] + ["%s GMAC/s" % i for i in impls] + ["%s / scalar" % i for i in impls[1:]]
    rows = []
    for label, spec in SIZES:
        rate = {i: macs[spec] / times[(i, spec)] for i in impls}
        base = rate["dredfx scalar"]
        rows.append([label, "%d" % macs[spec]] + ["%.2f" % (rate[i] / 1e9) for i in impls]
                    + ["%.2fx" % (rate[i] / base) for i in impls[1:]])
    widths = [max(len(str(r[c])) for r in [head] + rows) for c in range(len(head))]
    table = ["| " + " | ".join(str(r[c]).ljust(widths[c]) for c in range(len(head))) + " |" for r in [head] + rows]
    table.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(table)
    print(text)
    machine = "%s, %s, %d CPUs" % (cpu_model(), platform.machine(), os.cpu_count() or 0)
    with open(args.out, "w") as f:
        f.write("# NN throughput (bench/bench_nn.py)\n\n")
        f.write("Machine: %s. Date: %s. Single thread, best of 5 repeats, %.1f s per cell.\n\n"
                % (machine, datetime.date.today().isoformat(), args.seconds))
        f.write("dredfx: fixed-point layers (`dredfx_nn_linear_a15` on a dense int8 layer, `dredfx_nn_gru`), "
                "input quantization, requantization and activations included, at each CPU level. "
                "libopus 1.6.1: `compute_linear` (int8 weights) and `compute_generic_gru`, float; \"c\" = "
                "`--disable-intrinsics --disable-rtcd`, \"default\" = run-time CPU detection (AVX2 on this "
                "machine; libopus selects AVX-VNNI only when built with -mavxvnni). Dense int8 weights everywhere (the models' sparse layers run fewer MACs). "
                "GMAC/s = 10^9 multiply-accumulates per second; a GRU step of N units on I inputs is "
                "3N(I + N) MACs.\n\n")
        f.write(text + "\n")
        f.write("\nlibopus' x86 AVX2 path multiplies with `_mm256_maddubs_epi16` (unsigned x signed bytes, "
                "32 MACs per instruction, int16-saturating pair sums); dredfx's AVX2 kernel widens to int16 "
                "and uses `_mm256_madd_epi16` (16 MACs per instruction, exact for every input), as its "
                "bit-exactness contract requires (docs/fixed-point.md). dredfx's AVX-VNNI kernel uses "
                "`vpdpbusd` (unsigned x signed bytes, 32 MACs per instruction, int32 sums without "
                "saturation) with one operand shifted by 128 and the shift subtracted exactly: one extra "
                "`vpxor` per block in the dense kernel, one extra `vpdpbusd` in the sparse one.\n")
    print("wrote %s (%s)" % (args.out, machine))


if __name__ == "__main__":
    sys.exit(main())
