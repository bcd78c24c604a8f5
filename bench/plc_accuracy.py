"""PLC accuracy, dredfx against libopus 1.6.1 on the same cuts (docs/accuracy.md, "Neural PLC"):
bursts of 20, 60, 200 and 1,000 ms cut into real speech (the corpus of scripts/speech-corpus.sh,
a burst after every 600 ms of good audio), concealed by PLC alone and with DRED-like FEC (each lost
frame's features from dredfx's analysis of the original, fed as libopus' decoder feeds DRED, up to
400 ms into a burst, skip entries after). The good frames are the original samples, the lost ones
the concealment. Per condition, the mean over the clips of PESQ-WB (PyPI pesq, against the
original) and PLCMOS v2 (PyPI speechmos) for libopus x86, libopus generic and dredfx, and
dredfx - x86 (bar: |.| <= 0.05).

    python bench/plc_accuracy.py [N_CLIPS]      (default: all 15 clips)
"""
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from test_plc import FRAME, build_plc_dump, plc_script, run_dredfx, run_plc_dump  # noqa: E402
from conftest import speech_corpus  # noqa: E402
from dredfx import analysis  # noqa: E402

BURSTS_MS = (20, 60, 200, 1000)


def spliced(x, lost, y):
    out = x[:len(x) // FRAME * FRAME].copy()
    for i, t in enumerate(lost):
        out[t * FRAME:(t + 1) * FRAME] = y[i * FRAME:(i + 1) * FRAME]
    return out


def main():
    from pesq import pesq
    from speechmos import plcmos
    clips = speech_corpus()
    if len(sys.argv) > 1:
        clips = clips[:int(sys.argv[1])]
    tmp = tempfile.mkdtemp()
    exes = {v: build_plc_dump(v, tmp) for v in ("x86", "generic")}
    impls = ("x86", "generic", "dredfx")
    rows = []
    for fec_on in (False, True):
        for ms in BURSTS_MS:
            n = ms // 10
            scores = {k: ([], []) for k in impls}
            for c in clips:
                x = np.fromfile(c, "<i2")
                fec = analysis.features(x) if fec_on else None
                script, lost, _ = plc_script(x, bursts=(n,) * 100, fec=fec, good=60)
                ref = x[:len(x) // FRAME * FRAME]
                for k in impls:
                    y = run_dredfx(script)[0] if k == "dredfx" else run_plc_dump(exes[k], script, tmp)[0]
                    z = spliced(x, lost, y)
                    scores[k][0].append(pesq(16000, ref.astype(np.float32) / 32768, z.astype(np.float32) / 32768, "wb"))
                    scores[k][1].append(plcmos.run(z.astype(np.float32) / 32768, 16000)["plcmos"])
            m = {k: (np.mean(v[0]), np.mean(v[1])) for k, v in scores.items()}
            rows.append(("DRED FEC" if fec_on else "PLC alone", ms, m))
            print("%-9s %5d ms  PESQ-WB x86 %.3f gen %.3f dfx %.3f (dfx-x86 %+.3f, gen-x86 %+.3f)  "
                  "PLCMOS x86 %.3f gen %.3f dfx %.3f (dfx-x86 %+.3f, gen-x86 %+.3f)" %
                  (rows[-1][0], ms, m["x86"][0], m["generic"][0], m["dredfx"][0], m["dredfx"][0] - m["x86"][0],
                   m["generic"][0] - m["x86"][0], m["x86"][1], m["generic"][1], m["dredfx"][1],
                   m["dredfx"][1] - m["x86"][1], m["generic"][1] - m["x86"][1]), flush=True)
    print("\n%d clips. Means over the clips; bar |dredfx - x86| <= 0.05.\n" % len(clips))
    print("| condition | burst | PESQ-WB x86 | generic | dredfx | dredfx - x86 | generic - x86 "
          "| PLCMOS x86 | generic | dredfx | dredfx - x86 | generic - x86 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for cond, ms, m in rows:
        d = (m["dredfx"][0] - m["x86"][0], m["dredfx"][1] - m["x86"][1])
        worst = max(worst, abs(d[0]), abs(d[1]))
        print("| %s | %d ms | %.3f | %.3f | %.3f | %+.3f | %+.3f | %.3f | %.3f | %.3f | %+.3f | %+.3f |" %
              (cond, ms, m["x86"][0], m["generic"][0], m["dredfx"][0], d[0], m["generic"][0] - m["x86"][0],
               m["x86"][1], m["generic"][1], m["dredfx"][1], d[1], m["generic"][1] - m["x86"][1]))
    print("\nlargest |dredfx - x86|: %.3f (%s)" % (worst, "bar met" if worst <= 0.05 else "BAR MISSED"))


if __name__ == "__main__":
    main()
