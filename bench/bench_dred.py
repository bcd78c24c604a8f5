"""Time of dredfx.dred.parse_dred from Python against libopus 1.6.1's opus_dred_parse (deferred
processing: the entropy decoding only), on the same real packets that carry 26 DRED latents.

The packets come from the interop data (scripts/interop-data.sh: libopus 1.6.1 encodes real
speech with DRED); libopus is timed by bench/bench_libopus_dred.c, built here against a libopus
build in the cache (scripts/build-libopus.sh; "default" when it exists, else "c"). Both sides
parse every packet with max_dred_samples 48000 at 48 kHz, best of 5 runs.

    python bench/bench_dred.py [--seconds 1.0] [--variant default|c]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from dredfx import dred, opus_source, packet  # noqa: E402
from dredfx.ref import dred as refdred  # noqa: E402

REPEATS = 5
MAX_DRED_SAMPLES = 48000
SAMPLING_RATE = 48000


def packets_with_26_latents():
    files = sorted(glob.glob(os.path.join(opus_source.cache_dir(), "interop", "data", "*.jsonl")))
    if not files:
        sys.exit("bench_dred: no interop data; run scripts/interop-data.sh")
    out = []
    for path in files:
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                if d.get("dred") and d["parse"][0].get("nb_latents") == 26:
                    out.append(bytes.fromhex(d["packet"]))
    return out


def time_python(fn, pkts, seconds):
    best = float("inf")
    for _ in range(REPEATS):
        calls, t0 = 0, time.perf_counter()
        while True:
            for p in pkts:
                fn(p, MAX_DRED_SAMPLES, SAMPLING_RATE)
            calls += len(pkts)
            t = time.perf_counter() - t0
            if t >= seconds:
                break
        best = min(best, t / calls)
    return best


def time_libopus(pkts, seconds, variant):
    cache = opus_source.cache_dir()
    build = os.path.join(cache, "libopus-build", variant)
    if not os.path.exists(os.path.join(build, ".libs", "libopus.a")):
        sys.exit("bench_dred: no libopus build in %s (scripts/build-libopus.sh %s)" % (build, variant))
    src = subprocess.run(["bash", os.path.join(ROOT, "scripts", "get-libopus.sh")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as work:
        exe = os.path.join(work, "bench_libopus_dred")
        subprocess.run(["gcc", "-O2", "-I" + os.path.join(src, "include"),
                        os.path.join(HERE, "bench_libopus_dred.c"),
                        os.path.join(build, ".libs", "libopus.a"), "-lm", "-o", exe], check=True)
        bit = os.path.join(work, "packets.bit")
        packet.write_opus_demo(bit, pkts)
        out = subprocess.run([exe, str(seconds), str(MAX_DRED_SAMPLES), str(SAMPLING_RATE), bit],
                             check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    assert int(out[0]) == len(pkts)
    return float(out[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="time per run (default 1.0)")
    ap.add_argument("--variant", help="libopus build variant (default: default if built, else c)")
    a = ap.parse_args()
    variant = a.variant or ("default" if os.path.exists(os.path.join(
        opus_source.cache_dir(), "libopus-build", "default", ".libs", "libopus.a")) else "c")
    pkts = packets_with_26_latents()
    assert all(dred.parse_dred(p, MAX_DRED_SAMPLES, SAMPLING_RATE).nb_latents == 26 for p in pkts)
    mean_bytes = sum(len(p) for p in pkts) / len(pkts)
    lib = time_libopus(pkts, a.seconds, variant)
    dredfx_t = time_python(dred.parse_dred, pkts, a.seconds)
    ref_t = time_python(refdred.parse_dred, pkts[:20], a.seconds)
    print("%d real packets with 26 DRED latents (%.1f bytes on average), max_dred_samples %d at "
          "%d Hz, best of %d runs:" % (len(pkts), mean_bytes, MAX_DRED_SAMPLES, SAMPLING_RATE,
                                       REPEATS))
    print()
    print("| parse of one packet | us | / libopus |")
    print("|---|---|---|")
    print("| libopus 1.6.1 `opus_dred_parse(..., defer_processing=1)`, C (%s build) | %.2f | 1.00x |"
          % (variant, lib * 1e6))
    print("| `dredfx.dred.parse_dred`, from Python | %.2f | %.2fx |" % (dredfx_t * 1e6, dredfx_t / lib))
    print("| `dredfx.ref.dred.parse_dred` (pure Python), from Python | %.0f | %.0fx |"
          % (ref_t * 1e6, ref_t / lib))


if __name__ == "__main__":
    main()
