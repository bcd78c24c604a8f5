"""The analysis accuracy table of docs/accuracy.md (issue 10 item 4): dredfx.analysis against
libopus 1.6.1's own analysis on the real speech corpus (scripts/speech-corpus.sh), at 16 and
48 kHz, with libopus' own x86-vs-generic spread and dredfx's float reference in the same run.

    PYTHONPATH=. python tools/analysis_accuracy.py [--clips N] [--rates 16000,48000] [--no-ref]

libopus' side is interop/analysis_dump.c (dred_convert_to_16k, then
lpcnet_compute_single_frame_features_float; at 16 kHz byte for byte `fargan_demo -features`),
built against the cache's "x86" (default) and "generic" (-U__SSE2__) libopus builds. Metrics are
dred_compare -features' (tot, max, pitch; voiced: the reference's f19 > 0.2) plus, per group,
the RMS of the cepstrum (0-17, all coefficients together) and of the voicing (19); on the voiced
frames the share whose period round(256 / 2^(f18 + 1.5)) is within one lag of the reference's,
the octave errors among the others (period ratio within 2^(+-0.2) of 2 or 1/2), and the share
whose f18 is within 1/60 of the reference's.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from conftest import interop_tool, speech_corpus   # noqa: E402

# The bars of issue 10 item 4, for dredfx against libopus x86 (aggregate over the clips).
BARS = {"tot": 0.1, "max": 0.05, "pitch": 0.005, "f18": 0.99}


def periods(f):
    return np.floor(.5 + 256 / 2 ** (f[:, 18].astype(np.float64) + 1.5))


def compare(ref, test):
    """dred_compare -features metrics and the per-group and pitch figures of test against ref."""
    ref, test = ref.astype(np.float64), test.astype(np.float64)
    mse = ((ref - test) ** 2).mean(0)
    others = np.delete(mse, 18)
    voiced = ref[:, 19] > 0.2
    tr, tt = periods(ref)[voiced], periods(test)[voiced]
    near = np.abs(tr - tt) <= 1
    octave = ~near & (np.abs(np.abs(np.log2(tt / tr)) - 1) <= 0.2)
    return {
        "frames": len(ref), "voiced": int(voiced.sum()),
        "tot": np.sqrt(others.sum()), "max": np.sqrt(others.max()),
        "pitch": np.abs(ref[voiced, 18] - test[voiced, 18]).mean() if voiced.any() else 0.0,
        "cep": np.sqrt(mse[:18].sum()), "voicing": np.sqrt(mse[19]),
        "lag1": near.mean() if voiced.any() else 1.0, "octave": int(octave.sum()),
        "f18": (np.abs(ref[voiced, 18] - test[voiced, 18]) <= 1 / 60).mean() if voiced.any() else 1.0,
    }


def libopus_features(exe, rate, clip, tmp):
    out = os.path.join(tmp, "lib.f32")
    subprocess.run([exe, str(rate), clip, out], check=True)
    return np.fromfile(out, "<f4").reshape(-1, 20)


def row(name, m):
    return ("| %s | %d | %d | %.4f | %.4f | %.5f | %.5f | %.4f | %.2f %% | %d | %.2f %% |"
            % (name, m["frames"], m["voiced"], m["tot"], m["max"], m["pitch"], m["cep"], m["voicing"],
               100 * m["lag1"], m["octave"], 100 * m["f18"]))


HEAD = ("| pair | frames | voiced | tot | max | pitch | cepstrum rms | voicing rms | period within 1 lag "
        "| octave errors | f18 within 1/60 |\n|---|---|---|---|---|---|---|---|---|---|---|")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=0, help="the first N clips of each rate (0: all)")
    ap.add_argument("--rates", default="16000,48000")
    ap.add_argument("--no-ref", action="store_true",
                    help="skip the float reference (slow: ~0.4 s per second of speech)")
    args = ap.parse_args(argv)
    from dredfx import analysis, weights as _w
    from dredfx.ref import analysis as ref_analysis
    w = _w.default()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tools = {v: interop_tool("analysis_dump", v, os.path.join(tmp, "analysis_dump_" + v))
                 for v in ("x86", "generic")}
        for rate in map(int, args.rates.split(",")):
            clips = speech_corpus(rate)
            clips = clips[:args.clips] if args.clips else clips
            pairs = {"dredfx vs libopus x86": [], "libopus generic vs x86": [], "dredfx vs libopus generic": []}
            if not args.no_ref:
                pairs["dredfx vs its float reference"] = []
            per_clip = []
            for clip in clips:
                pcm = np.fromfile(clip, "<i2")
                x86 = libopus_features(tools["x86"], rate, clip, tmp)
                gen = libopus_features(tools["generic"], rate, clip, tmp)
                fx = analysis.features(pcm, rate, w)
                assert fx.shape == x86.shape == gen.shape, (clip, fx.shape, x86.shape, gen.shape)
                pairs["dredfx vs libopus x86"].append((x86, fx))
                pairs["libopus generic vs x86"].append((x86, gen))
                pairs["dredfx vs libopus generic"].append((gen, fx))
                if not args.no_ref:
                    pairs["dredfx vs its float reference"].append((ref_analysis.features(pcm, rate, w), fx))
                per_clip.append((os.path.basename(clip), compare(x86, fx), compare(x86, gen)))
            print("\n### %d kHz, %d clips\n" % (rate // 1000, len(clips)))
            print(HEAD)
            agg = {}
            for name, p in pairs.items():
                agg[name] = compare(np.concatenate([a for a, _ in p]), np.concatenate([b for _, b in p]))
                print(row(name, agg[name]))
            print("\nPer clip, tot / max / pitch: dredfx vs libopus x86 | libopus generic vs x86\n")
            for name, m, g in per_clip:
                print("    %-14s %.4f %.4f %.5f | %.4f %.4f %.5f" % (name, m["tot"], m["max"], m["pitch"],
                                                                   g["tot"], g["max"], g["pitch"]))
            m = agg["dredfx vs libopus x86"]
            met = (m["tot"] <= BARS["tot"] and m["max"] <= BARS["max"] and m["pitch"] <= BARS["pitch"]
                   and m["f18"] >= BARS["f18"])
            print("\nbars (tot <= %.2f, max <= %.2f, pitch <= %.3f, f18 within 1/60 on >= 99 %% of voiced "
                  "frames): %s" % (BARS["tot"], BARS["max"], BARS["pitch"], "met" if met else "NOT MET"))
            ok = ok and met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
