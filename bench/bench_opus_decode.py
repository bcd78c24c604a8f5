"""dredfx-opus decode time against libopus 1.6.1 (one run): the same packets and losses through
libopus' opus_demo -d (x86 and generic builds of the cache folder) and dredfx-opus-demo at each CPU
level. Packets: libopus x86's `opus_demo -e voip 16000 1 24000 -complexity 10 -loss 20 -dred 100`
of the first 8 corpus clips joined (16 kHz mono); losses: `lossgen_demo 20 4000` as a -lossfile;
decode: `-d 16000 1 -dec_complexity 5` (DRED and the deep PLC at work). Time: the child's CPU time
(user + system, getrusage; the programs run one thread, so a busy machine does not inflate it).
The decoders take turns, --rounds times (default 3), and each keeps its best (the machine is shared).
Each dredfx level must decode to the same bytes (printed). --base DEMO adds another dredfx-opus-demo
(e.g. a build of an earlier commit) for a before/after in the same run.

    python bench/bench_opus_decode.py build/rel/dredfx-opus-demo [--base OLD_DEMO] [--rounds R] [--out bench/results.md]
"""
import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile

import benchlib

sys.path.insert(0, os.path.join(benchlib.ROOT, "tests"))
from conftest import speech_corpus  # noqa: E402

TITLE = "## dredfx-opus decode time, same packets (bench/bench_opus_decode.py)"
LEVELS = ("avx2", "avxvnni", "avx512vnni")


def cpu_run(cmd, env=None):
    """Runs cmd (stdout, stderr discarded); its CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, **(env or {})))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()[:12]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("demo", help="dredfx-opus-demo (cmake -DDREDFX_OPUS=ON)")
    ap.add_argument("--base", help="another dredfx-opus-demo, reported as 'dredfx-opus (base)'")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    pcm = os.path.join(tmp, "in.raw")
    with open(pcm, "wb") as f:
        for clip in speech_corpus()[:8]:
            f.write(open(clip, "rb").read())
    seconds = os.path.getsize(pcm) / 32000
    x86 = os.path.join(benchlib.CACHE, "libopus-build", "x86")
    bits, loss = os.path.join(tmp, "x86.bit"), os.path.join(tmp, "loss.txt")
    subprocess.run([os.path.join(x86, "opus_demo"), "-e", "voip", "16000", "1", "24000", "-complexity", "10",
                    "-loss", "20", "-dred", "100", pcm, bits], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(loss, "w") as f:
        f.write(benchlib.sh([os.path.join(x86, "lossgen_demo"), "20", "4000"]))
    dec = ["-d", "16000", "1", "-dec_complexity", "5", "-lossfile", loss, bits]
    runs = [("libopus x86", os.path.join(x86, "opus_demo"), {})]
    generic = os.path.join(benchlib.CACHE, "libopus-build", "generic", "opus_demo")
    if os.path.exists(generic):
        runs.append(("libopus generic", generic, {}))
    demos = [("dredfx-opus", args.demo)] + ([("dredfx-opus (base)", args.base)] if args.base else [])
    runs += [("%s %s" % (name, lv), exe, {"DREDFX_CPU": lv}) for name, exe in demos for lv in LEVELS]
    times, sums = {}, {}
    for _ in range(args.rounds):
        for name, exe, env in runs:
            out = os.path.join(tmp, "out.raw")
            t = cpu_run([exe] + dec + [out], env)
            times[name] = min(times.get(name, t), t)
            sums[name] = md5(out)
            print("%-32s %.3f s  md5 %s" % (name, t, sums[name]), flush=True)
    ref = times["libopus x86"]
    lines = [TITLE, "",
             "%.1f s of speech (8 corpus clips, 16 kHz), libopus x86's packets (24 kb/s, "
             "-loss 20 -dred 100), lossgen_demo 20 %% losses, `-d 16000 1 -dec_complexity 5`; CPU "
             "seconds of each decode (getrusage of the child), the best of %d rounds taken in turns."
             % (seconds, args.rounds), "",
             "| decoder | CPU s | vs libopus x86 | output md5 |", "|---|---|---|---|"]
    lines += ["| %s | %.3f | %.2fx | %s |" % (n, t, t / ref, sums[n]) for n, t in times.items()]
    lines += ["", "Ratio: this time / libopus x86 time (above 1: slower)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        benchlib.write_section(args.out, TITLE, text)


if __name__ == "__main__":
    main()
