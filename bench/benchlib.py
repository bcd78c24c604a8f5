"""What the model benchmarks share: building a dredfx program and its libopus twin against each
libopus 1.6.1 build of the cache folder, the blob path, timing them per frame, the table of those
times, and replacing a section of results.md."""
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
WEIGHTS = os.environ.get("DREDFX_WEIGHTS") or os.path.join(CACHE, "weights", "dredfx-weights-libopus-1.6.1.bin")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def build(name):
    """{"dredfx": bench/bench_<name>.c against libdredfx.a (build/cmake/bench), "x86" / "generic":
    bench/bench_libopus_<name>.c against that libopus build (-U__SSE2__ for generic, as it was
    configured)}, built in build/bench-<name>/; a libopus build that is missing is skipped."""
    lib = os.path.join(ROOT, "build", "cmake", "bench")
    sh(["cmake", "-S", os.path.join(ROOT, "c"), "-B", lib, "-DCMAKE_BUILD_TYPE=Release", "-DDREDFX_TESTS=OFF"])
    sh(["cmake", "--build", lib, "-j2", "--target", "dredfx"])
    out = os.path.join(ROOT, "build", "bench-" + name)
    os.makedirs(out, exist_ok=True)
    exes = {"dredfx": os.path.join(out, "bench_" + name)}
    sh(["cc", "-O2", "-I" + os.path.join(ROOT, "c", "include"), "-I" + HERE,
        os.path.join(HERE, "bench_%s.c" % name), os.path.join(lib, "libdredfx.a"), "-lm", "-o", exes["dredfx"]])
    src = sh([os.path.join(ROOT, "scripts", "get-libopus.sh")]).strip().splitlines()[-1]
    for variant in ("x86", "generic"):
        b = os.path.join(CACHE, "libopus-build", variant)
        if not os.path.exists(os.path.join(b, ".libs", "libopus.a")):
            print("no libopus build %s (scripts/build-libopus.sh %s): skipped" % (b, variant), file=sys.stderr)
            continue
        exes[variant] = os.path.join(out, "bench_libopus_%s_%s" % (name, variant))
        inc = [b] + [os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")]
        extra = ["-U__SSE2__"] if variant == "generic" else []
        sh(["cc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H"] + extra + ["-I" + d for d in inc] +
           ["-I" + HERE, os.path.join(HERE, "bench_libopus_%s.c" % name), os.path.join(b, ".libs", "libopus.a"),
            "-lm", "-o", exes[variant]])
    return exes


def write_section(path, title, text):
    """Replaces the section that starts with the line `title` (up to the next "## ") of the file at
    path with text, or appends it."""
    old = open(path).read() if os.path.exists(path) else ""
    head, sep, tail = old.partition(title)
    rest = ""
    if sep:
        nxt = tail.find("\n## ")
        rest = tail[nxt + 1:] if nxt >= 0 else ""
    with open(path, "w") as f:
        f.write(head.rstrip("\n") + ("\n\n" if head.strip() else "") + text + ("\n" + rest if rest else ""))


def parse_frame_times(out):
    """{level name or "": seconds per frame}, (frames, state bytes) of a per-frame bench program's
    output (bench_analysis.c, bench_fargan.c and their libopus twins)."""
    times, info = {}, None
    for line in out.splitlines():
        t = line.split()
        if t[0] == "level":
            times[t[1]] = float(t[3])
        elif t[0] == "frame":
            times[""] = float(t[1])
        elif t[0] == "frames":
            info = (int(t[1]), int(t[3]))
    return times, info


def best_frame_times(exes, rounds, seconds, inputs):
    """Runs each program of build() `rounds` times (`seconds` a measure, the blob first for dredfx,
    then inputs) and keeps the best time of each: ({"dredfx LEVEL" / "libopus VARIANT": seconds per
    frame}, {program: (frames, state bytes)})."""
    best, info = {}, {}
    for _ in range(rounds):
        for name, exe in exes.items():
            cmd = [exe, str(seconds)] + ([WEIGHTS] if name == "dredfx" else []) + list(inputs)
            times, info[name] = parse_frame_times(sh(cmd))
            for level, t in times.items():
                key = "dredfx " + level if name == "dredfx" else "libopus " + name
                best[key] = min(best.get(key, 1e9), t)
    return best, info


def frame_time_table(best):
    """The markdown table of best_frame_times' times with the ratio to libopus x86, and its legend."""
    ref = best.get("libopus x86")
    lines = ["| implementation | per 10 ms frame (us) | vs libopus x86 |", "|---|---|---|"]
    for key, t in best.items():
        lines.append("| %s | %.2f | %s |" % (key, 1e6 * t, "%.2fx" % (ref / t) if ref else ""))
    return lines + ["", "Ratio: libopus x86 time / this time (above 1: faster than libopus' AVX2 build)."]


def frame_bench_args():
    """The options of the per-frame benchmarks (bench_analysis.py, bench_fargan.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clip", default=os.path.join(CACHE, "interop", "clips", "vm-intro.16k.raw"))
    ap.add_argument("--out")
    return ap.parse_args()


def frame_bench_section(title, args, best, info, input_text, dredfx_state, libopus_state):
    """The section of a per-frame benchmark: when, where and how it ran, what it ran on
    (input_text), the table of frame_time_table and the state sizes (dredfx_state and libopus_state
    name the structs and what they hold)."""
    libopus_info = info.get("x86") or info.get("generic") or (0, 0)
    return [title, "",
            "%s, %s, %s: best of %d rounds of %.1f s per measure (the machine is shared). Input: %s"
            % (datetime.date.today(), platform.machine(), platform.processor() or "x86-64", args.rounds,
               args.seconds, input_text),
            ""] + frame_time_table(best) + [
            "", "State sizes (bytes): %s; libopus %s." % (dredfx_state % info["dredfx"][1], libopus_state % libopus_info[1])]


def publish(lines, title, out):
    """Prints a section and, when out names a file, replaces that section there."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        write_section(out, title, text)
