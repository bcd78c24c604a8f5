#!/usr/bin/env python3
"""NN throughput: dredfx's fixed-point layers at every CPU level vs libopus 1.6.1's float layers.

Builds libdredfx.a (cmake, Release, in build/cmake/bench) and, in a cache folder outside the repo
($DREDFX_CACHE/bench), bench/bench_nn.c against that library and bench/bench_libopus_nn.c against
each libopus 1.6.1 build of scripts/build-libopus.sh: "x86" (libopus' default build, run-time CPU
detection: AVX2 here) and "generic" (its plain C DNN path: intrinsics and run-time detection off,
-U__SSE2__). Each program times its implementations interleaved, window by window (bench_nn.c):
every dredfx level with libopus x86, dredfx scalar with libopus generic C.
Runs them on every int8 layer shape of the five models (RDO-VAE encoder and decoder, pitch DNN,
FARGAN, PLC, lossgen; sparse where the model's layer is sparse) and on one GRU step of each model,
prints a table of MAC/s (multiply-accumulates per second: a GRU step of N units on I inputs is
3N(I + N) MACs) with the ratios that matter (each dredfx SIMD level against libopus x86, dredfx
scalar against libopus generic C), and writes bench/results.md.

usage: python3 bench/bench_nn.py [--seconds S] [--no-libopus] [--out bench/results.md]
"""
import argparse
import io
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (label, spec): every distinct int8 layer shape of libopus 1.6.1's models (inputs, outputs; the
# models' sparse layers as sparse), named by the layers that have it, then one GRU step per model.
SIZES = [
    ("dec_glu1-5, pitch upsampler_2 64->64", "dense:64:64"),
    ("dec_output 576->80", "sparse:576:80"),
    ("dec_conv_dense1 160->32", "sparse:160:32"),
    ("dec_conv_dense2 256->32", "sparse:256:32"),
    ("dec_conv_dense3 352->32", "sparse:352:32"),
    ("dec_conv_dense4 448->32", "sparse:448:32"),
    ("dec_conv_dense5 544->32", "sparse:544:32"),
    ("dec_gru_init 128->320", "sparse:128:320"),
    ("dec_gru1_input 96->192", "sparse:96:192"),
    ("dec_gru1-5_recurrent, pitch gru_1 64->192", "dense:64:192"),
    ("dec_gru2_input 192->192", "sparse:192:192"),
    ("dec_gru3_input 288->192", "sparse:288:192"),
    ("dec_gru4_input 384->192", "sparse:384:192"),
    ("dec_gru5_input 480->192", "sparse:480:192"),
    ("dec_conv1-5 64->32", "dense:64:32"),
    ("enc_zdense 544->32", "dense:544:32"),
    ("enc gdense2 128->56", "dense:128:56"),
    ("enc gdense1 544->128", "sparse:544:128"),
    ("enc_conv_dense1 96->64", "sparse:96:64"),
    ("enc_conv_dense2 192->64", "sparse:192:64"),
    ("enc_conv_dense3 288->64", "sparse:288:64"),
    ("enc_conv_dense4 384->64", "sparse:384:64"),
    ("enc_conv_dense5 480->64", "sparse:480:64"),
    ("enc_gru1_input 64->96", "sparse:64:96"),
    ("enc_gru1-5_recurrent, lossgen_gru2_rec 32->96", "dense:32:96"),
    ("enc_gru2_input 160->96", "sparse:160:96"),
    ("enc_gru3_input 256->96", "sparse:256:96"),
    ("enc_gru4_input 352->96", "sparse:352:96"),
    ("enc_gru5_input 448->96", "sparse:448:96"),
    ("enc_conv1-5 128->64", "dense:128:64"),
    ("FARGAN cond_net_fconv1 192->128", "dense:192:128"),
    ("FARGAN cond_net_fdense2 128->320", "dense:128:320"),
    ("FARGAN fwc0_conv 328->192", "dense:328:192"),
    ("FARGAN fwc0_glu_gate 192->192", "dense:192:192"),
    ("FARGAN gru1_input 272->480", "dense:272:480"),
    ("FARGAN gru1_recurrent 160->480", "dense:160:480"),
    ("FARGAN gru2_input 240->384", "dense:240:384"),
    ("FARGAN gru2/3_recurrent 128->384", "dense:128:384"),
    ("FARGAN gru3_input 208->384", "dense:208:384"),
    ("FARGAN gru1_glu_gate 160->160", "dense:160:160"),
    ("FARGAN gru2/3, skip glu_gate 128->128", "dense:128:128"),
    ("FARGAN skip_dense 688->128", "dense:688:128"),
    ("FARGAN sig_dense_out 128->40", "dense:128:40"),
    ("lossgen_gru1_input 8->48", "dense:8:48"),
    ("lossgen_gru1_recurrent 16->48", "dense:16:48"),
    ("lossgen_gru2_input 16->96", "dense:16:96"),
    ("pitch dense_if_upsampler_1 88->64", "dense:88:64"),
    ("pitch dense_downsampler 288->64", "dense:288:64"),
    ("PLC gru1_input 128->576", "dense:128:576"),
    ("PLC gru1_rec, gru2 192->576", "dense:192:576"),
    ("GRU step: dec gru1 64u, 96 in", "gru:96:64"),
    ("GRU step: enc gru1 32u, 64 in", "gru:64:32"),
    ("GRU step: FARGAN gru1 160u, 272 in", "gru:272:160"),
    ("GRU step: PLC gru1 192u, 128 in", "gru:128:192"),
    ("GRU step: pitch gru_1 64u, 64 in", "gru:64:64"),
    ("GRU step: lossgen gru2 32u, 16 in", "gru:16:32"),
]
LIBOPUS = [("x86", "libopus x86 (AVX2)"), ("generic", "libopus generic C")]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def cache_dir():
    d = os.environ.get("DREDFX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dredfx")
    d = os.path.join(d, "bench")
    os.makedirs(d, exist_ok=True)
    return d


def build_dredfx_lib():
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
    return os.path.join(b, "libdredfx.a")


def build_bench(work, variant=None):
    """bench_nn alone, or (variant: a scripts/build-libopus.sh build) paired with that libopus."""
    lib = build_dredfx_lib()
    dredfx_inc = ["-I" + os.path.join(ROOT, "c", "include"), "-I" + os.path.join(ROOT, "c", "src")]
    if variant is None:
        exe = os.path.join(work, "bench_nn")
        sh(["cc", "-O2", "-std=gnu11"] + dredfx_inc + [os.path.join(HERE, "bench_nn.c"), lib, "-lpthread", "-lm",
                                                      "-o", exe])
        return exe
    src = sh([os.path.join(ROOT, "scripts", "get-libopus.sh")]).strip().splitlines()[-1]
    b = sh([os.path.join(ROOT, "scripts", "build-libopus.sh"), variant]).strip().splitlines()[-1]
    opus_obj = os.path.join(work, "bench_libopus_nn_%s.o" % variant)
    sh(["cc", "-O2", "-c", "-DHAVE_CONFIG_H", "-I" + b] + ["-I" + os.path.join(src, d) for d in ("include", "celt", "dnn", "silk", ".")]
       + [os.path.join(HERE, "bench_libopus_nn.c"), "-o", opus_obj], stderr=subprocess.DEVNULL)
    exe = os.path.join(work, "bench_nn_" + variant)
    sh(["cc", "-O2", "-std=gnu11", "-DBENCH_LIBOPUS", "-I" + HERE] + dredfx_inc
       + [os.path.join(HERE, "bench_nn.c"), opus_obj, lib, os.path.join(b, ".libs", "libopus.a"), "-lpthread", "-lm",
          "-o", exe])
    return exe


def run(exe, seconds, opus_name=None, scalar_only=False):
    """{(impl, spec): seconds per call (fastest window)}, {(impl, spec): speed ratio to libopus (median of
    the paired ratios of the rounds), for every implementation of a program with libopus}, and the
    MAC count per spec. The A/A control (a second libopus layer) is named opus_name + " A/A"."""
    out = sh([exe, str(seconds)] + (["--scalar-only"] if scalar_only else []) + [s for _, s in SIZES])
    times, paired, macs = {}, {}, {}
    for line in out.splitlines():
        f = line.split()
        impl = {"libopus": opus_name, "libopus-aa": "%s A/A" % opus_name}.get(f[0], "dredfx " + f[0])
        spec = "%s:%s:%s" % (f[1], f[2], f[3])
        macs[spec] = float(f[4])
        times[(impl, spec)] = float(f[5])
        if f[6] != "-":
            paired[(impl, spec)] = float(f[6])
    return times, paired, macs


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
    ap.add_argument("--seconds", type=float, default=0.5, help="measuring time per size and implementation")
    ap.add_argument("--no-libopus", action="store_true", help="dredfx only")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    work = cache_dir()
    if args.no_libopus:
        times, paired, macs = run(build_bench(work), args.seconds)
    else:
        # every dredfx level interleaved with libopus x86; dredfx scalar interleaved with generic C
        times, paired, macs = run(build_bench(work, "x86"), args.seconds, LIBOPUS[0][1])
        t, p, _ = run(build_bench(work, "generic"), args.seconds, LIBOPUS[1][1], scalar_only=True)
        times.update(t)
        paired.update(p)
    levels = sorted({i for i, _ in times if i.startswith("dredfx")}, key=lambda i: (i != "dredfx scalar", i))
    order = ["dredfx scalar", "dredfx avx2", "dredfx avxvnni", "dredfx avx512vnni"]
    levels = [i for i in order if i in levels] + [i for i in levels if i not in order]
    impls = levels + ([] if args.no_libopus else [name for _, name in LIBOPUS])
    ratios = []
    if not args.no_libopus:
        ratios = ([(i, "libopus x86 (AVX2)") for i in levels[1:]] + [("dredfx scalar", "libopus generic C")]
                  + [("%s A/A" % name, name) for _, name in LIBOPUS])
    head = (["layer", "MACs"] + ["%s GMAC/s" % i for i in impls]
            + [("%s A/A" % b.replace("libopus ", "")) if a.endswith(" A/A")
               else "%s / %s" % (a.replace("dredfx ", ""), b.replace("libopus ", "")) for a, b in ratios])
    rows = []
    worst = {r: None for r in ratios}
    allq = {r: [] for r in ratios}
    for label, spec in SIZES:
        rate = {i: macs[spec] / times[(i, spec)] for i in impls}
        rows.append([label, "%d" % macs[spec]] + ["%.2f" % (rate[i] / 1e9) for i in impls]
                    + ["%.2fx" % paired[(a, spec)] for a, b in ratios])
        if not spec.startswith("gru"):
            for r in ratios:
                q = paired[(r[0], spec)]
                allq[r].append(q)
                if worst[r] is None or q < worst[r][0]:
                    worst[r] = (q, label)
    widths = [max(len(str(r[c])) for r in [head] + rows) for c in range(len(head))]
    table = ["| " + " | ".join(str(r[c]).ljust(widths[c]) for c in range(len(head))) + " |" for r in [head] + rows]
    table.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    text = "\n".join(table)
    print(text)
    summary = ["* %s / %s over the %d linear layers: median %.2fx, smallest %.2fx (%s); >= 1.0x on %d, >= 1.3x on %d"
               % (a, b, len(allq[(a, b)]), sorted(allq[(a, b)])[len(allq[(a, b)]) // 2], q, lab,
                  sum(v >= 1.0 for v in allq[(a, b)]), sum(v >= 1.3 for v in allq[(a, b)]))
               for (a, b), (q, lab) in worst.items() if not a.endswith(" A/A")]
    summary += ["* A/A control, %s against itself (a second layer of the same shape, timed the same way) over the "
                "%d linear layers: median %.3fx, from %.3fx to %.3fx; %d of %d within 2 %%"
                % (b, len(allq[(a, b)]), sorted(allq[(a, b)])[len(allq[(a, b)]) // 2], min(allq[(a, b)]),
                   max(allq[(a, b)]), sum(abs(v - 1) <= 0.02 for v in allq[(a, b)]), len(allq[(a, b)]))
                for a, b in ratios if a.endswith(" A/A")]
    print("\n".join(summary))
    machine = "%s, %s, %d CPUs" % (cpu_model(), platform.machine(), os.cpu_count() or 0)
    f = io.StringIO()
    f.write("# NN throughput (bench/bench_nn.py)\n\n")
    f.write("Machine: %s. Date: %s. Single thread, one run; the implementations of a row take turns window by window (rounds of about 0.1 ms windows, one of each in a random order, over %.1f s of the thread's CPU time per implementation; dredfx scalar and libopus generic C in a second program), so that a loaded machine slows them alike. Each implementation runs 8 copies of its layer (every array 64-byte aligned), one per eighth of the time, so that a figure averages over 8 placements in memory. GMAC/s: each implementation's fastest window. Ratios: the median over the rounds of the paired ratio (libopus' time in a round over dredfx's in the same round), which a slow stretch of the machine moves little. \"A/A\": the same method on libopus against itself (a second libopus layer of the same shape, its own weights and buffers, timed as one more implementation): 1.00x in theory, its spread is the method's noise floor in this run.\n\n"
            % (machine, datetime.date.today().isoformat(), args.seconds))
    f.write("Whole layers: dredfx `dredfx_nn_linear_a15` on an int8 layer (input quantization, "
            "matrix kernel, requantization and bias) and `dredfx_nn_gru` (two layers and the gate "
            "activations), at each CPU level; libopus 1.6.1 `compute_linear` (int8 weights: input "
            "quantization, kernel, scale and bias, float) and `compute_generic_gru`. Every distinct "
            "int8 layer shape of the five models (sparse as in the model, every other 8x4 block "
            "kept), then one GRU step per model (dense weights). \"libopus x86 (AVX2)\" = "
            "libopus' default build with run-time CPU detection (AVX2 on this machine; libopus "
            "selects AVX-VNNI only when built with -mavxvnni); \"libopus generic C\" = "
            "`--disable-intrinsics --disable-rtcd CFLAGS=-U__SSE2__`, its NO_OPTIMIZATIONS C "
            "path. GMAC/s = 10^9 multiply-accumulates per second (sparse layers: the MACs of the "
            "kept blocks); a GRU step of N units on I inputs is 3N(I + N) MACs.\n\n")
    f.write(text + "\n\n")
    f.write("\n".join(summary) + "\n")
    f.write("\ndredfx's int8 kernels (docs/fixed-point.md 3.2) take offset inputs xu = x8 + 127 "
            "and per-row weight sums computed at load: AVX2 multiplies with libopus' own "
            "`_mm256_maddubs_epi16` + `_mm256_madd_epi16` pair (exact because every adjacent "
            "weight pair of the models has positive and negative parts <= 129, checked per layer "
            "at load), AVX-VNNI and AVX-512 VNNI with one `vpdpbusd` per 8x4 block; the offset "
            "(127 times the row sums) is folded into the requantization constants at load (removed with one subtraction a row where the "
            "layer-wide form does not apply). AVX-VNNI runs two groups of 8 rows per "
            "pass on dense layers (8 vpdpbusd chains, one input broadcast for two blocks). The "
            "requantization runs without saturation where a load-time bound proves none can "
            "occur (every int8 layer of the models, and these layers): in its layer-wide form "
            "(every int8 layer of the models) every row's shift raised to one T <= 32, rounding, "
            "bias and offset in one 64-bit constant, 8 AVX2 instructions and 4 constant loads "
            "per 8 outputs (7 at the AVX2 level, whose `vpmaddwd` multiplies by 2^j so that the "
            "sums come out shifted), no shift of the products (44 instructions with saturation), "
            "fused into the matrix kernel (each group of 8 sums is requantized while still in "
            "its register, on the x86 SIMD levels); on AVX2 and AVX-VNNI a whole layer is one "
            "kernel call (AVX-512 VNNI takes AVX-VNNI's; quantization included; dense layers of "
            "at most 32 inputs quantize in registers and keep their input broadcasts in registers, "
            "AVX2 up to 16 inputs and loads them past that; AVX2 dense layers run 16 blocks a pass, "
            "sparse groups 8 a pass on both levels). GRU steps include the activations: tanh and "
            "the sigmoid gates are table "
            "interpolations on whole vectors in dredfx (one gather per 8 values on the x86 SIMD "
            "levels, with the rest of the GRU's element-wise step, 8 units at a time; scalar code "
            "at the scalar level), vectorized rational approximations in libopus.\n")
    # Only this section of the file is replaced: the other benchmarks keep theirs.
    old = open(args.out).read() if os.path.exists(args.out) else ""
    start = old.find("# NN throughput (bench/bench_nn.py)")
    nxt = re.search(r"^#{1,2} ", old[start + 1:], re.M) if start >= 0 else None
    rest = old[start + 1 + nxt.start():] if nxt else ""
    with open(args.out, "w") as out:
        out.write((old[:start] if start >= 0 else "") + f.getvalue() + ("\n" + rest if rest else ""))
    print("wrote %s (%s)" % (args.out, machine))


if __name__ == "__main__":
    sys.exit(main())
