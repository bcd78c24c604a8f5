"""PLC speed (one run): microseconds per concealed 10 ms frame, dredfx at each CPU level against
libopus 1.6.1 x86 and generic, on the same op script (interop/plc_dump.c, timed around each
lpcnet_plc_conceal / dredfx_plc_conceal call): 3 corpus clips, a burst of 10 frames (100 ms)
after every 20 good frames, PLC alone. The first frame of a burst also analyses the history
(Burg, features, up to 15 frames at the start) and restarts FARGAN, so the mean includes that.
Writes the "PLC speed" section of bench/results.md.

    python bench/bench_plc.py
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

import benchlib

sys.path.insert(0, os.path.join(benchlib.ROOT, "tests"))
from test_plc import build_plc_dump, plc_script  # noqa: E402
from conftest import speech_corpus  # noqa: E402


def main():
    lib = os.path.join(benchlib.ROOT, "build", "cmake", "bench")
    benchlib.sh(["cmake", "-S", os.path.join(benchlib.ROOT, "c"), "-B", lib, "-DCMAKE_BUILD_TYPE=Release",
                 "-DDREDFX_TESTS=OFF"])
    benchlib.sh(["cmake", "--build", lib, "-j2", "--target", "dredfx"])
    tmp = tempfile.mkdtemp()
    exes = {v: build_plc_dump(v, tmp) for v in ("x86", "generic")}
    dfx = os.path.join(tmp, "plc_dump_dredfx")
    benchlib.sh(["cc", "-std=gnu11", "-O2", "-DPLC_DUMP_DREDFX", "-I" + os.path.join(benchlib.ROOT, "c", "include"),
                 "-I" + os.path.join(benchlib.ROOT, "c", "src"), os.path.join(benchlib.ROOT, "interop", "plc_dump.c"),
                 os.path.join(lib, "libdredfx.a"), "-lm", "-o", dfx])
    script = b"".join(plc_script(np.fromfile(c, "<i2"), bursts=(10,) * 1000, good=20)[0] + b"R"
                      for c in speech_corpus()[:3])
    path = os.path.join(tmp, "script")
    with open(path, "wb") as f:
        f.write(script)
    runs = [("libopus x86", exes["x86"], {}), ("libopus generic", exes["generic"], {})]
    runs += [("dredfx " + lv, dfx, {"DREDFX_CPU": lv}) for lv in ("scalar", "avx2", "avxvnni")]
    lines = []
    for name, exe, env in runs:
        out = subprocess.run([exe, path, os.path.join(tmp, "p"), os.path.join(tmp, "f")], check=True,
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PLC_DUMP_TIME="1", **env)).stdout.split()
        n, ns = int(out[0]), int(out[1])
        lines.append("| %s | %d | %.1f |" % (name, n, ns / n / 1000))
        print(lines[-1], flush=True)
    title = "## PLC speed (bench/bench_plc.py)"
    body = (title + "\n\nOne run, %d concealed frames (bursts of 100 ms after 200 ms of good audio, 3 clips; "
            "the first frame of each burst analyses the history and restarts FARGAN):\n\n"
            "| implementation | frames | us per concealed 10 ms frame |\n|---|---|---|\n" % n) + "\n".join(lines) + "\n"
    benchlib.write_section(os.path.join(benchlib.HERE, "results.md"), title, body)


if __name__ == "__main__":
    main()
