"""What the model benchmarks share: building a dredfx program and its libopus twin against each
libopus 1.6.1 build of the cache folder, the blob path, and replacing a section of results.md."""
import os
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
