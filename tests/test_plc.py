"""Neural PLC (dredfx.plc, C fixed point) against libopus 1.6.1's lpcnet_plc_* (x86 and generic
builds, interop/plc_dump.c) on real speech with bursts of 20, 60, 200 and 1,000 ms, PLC alone and
with DRED-like features in the FEC queue; the Burg cepstrum and a short run against the float
reference dredfx.ref.plc; identical at every CPU level (pinned CRC); the queue's rules and bad
input."""
import os
import subprocess
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT, libopus_build, outputs_at_every_level, run_script, speech_corpus
from dredfx import _plc, analysis, errors, plc
from dredfx.ref import plc as ref_plc

FRAME = 160
BURSTS = (2, 6, 20, 100)  # frames: 20, 60, 200, 1,000 ms
CLIPS = ("en-1", "fr-1")


def plc_script(pcm, bursts=BURSTS, fec=None, good=25, fec_depth=40):
    """A plc_dump op script over a clip: `good` frames of real audio before each burst (updates),
    then the burst concealed. With fec (features [n][20] of the clip), each lost frame is fed as
    libopus' decoder feeds DRED (src/opus_decoder.c): fec_clear, then, when the previous call was
    an update (blend 0), the features of the two frames before the loss, then the lost frame's;
    past `fec_depth` frames of a burst a skip entry instead (fec_add(NULL), beyond the DRED data).
    Returns (script bytes, the concealed frame indices, the concealed frames that had FEC)."""
    ops, lost, covered = bytearray(), [], []
    t, b = 0, 0
    nfr = len(pcm) // FRAME
    while t < nfr:
        if t >= good and (t - good) % (good + max(bursts)) == 0 and b < len(bursts):
            n = min(bursts[b], nfr - t)
            b += 1
            for k in range(n):
                if fec is not None:
                    ops += b"X"
                    for j in ((t - 2, t - 1, t) if k == 0 else (t,)):
                        ops += b"F" + np.asarray(fec[j], "<f4").tobytes() if k < fec_depth else b"S"
                    if k < fec_depth:
                        covered.append(t)
                ops += b"C"
                lost.append(t)
                t += 1
        else:
            ops += b"U" + pcm[t * FRAME:(t + 1) * FRAME].astype("<i2").tobytes()
            t += 1
    return bytes(ops), lost, covered


def run_dredfx(script, weights=None):
    """The op script through dredfx.plc: (concealed int16, features float32 [n][20])."""
    p = plc.PLC(weights)
    out, feats = [], []
    i = 0
    while i < len(script):
        op = script[i:i + 1]
        i += 1
        if op == b"U":
            p.update(np.frombuffer(script[i:i + 2 * FRAME], "<i2"))
            i += 2 * FRAME
        elif op == b"C":
            y, f = p.conceal(1, with_features=True)
            out.append(y)
            feats.append(f[0])
        elif op == b"F":
            p.add_fec(np.frombuffer(script[i:i + 80], "<f4"))
            i += 80
        elif op == b"S":
            p.add_fec(None)
        elif op == b"X":
            p.fec_clear()
        elif op == b"R":
            p.reset()
    return np.concatenate(out), np.array(feats, np.float32)


def build_plc_dump(variant, folder):
    """interop/plc_dump.c compiled against libopus' "x86" or "generic" build: the program's path."""
    src = run_script("get-libopus.sh")
    b = libopus_build(variant)
    exe = os.path.join(str(folder), "plc_dump_" + variant)
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H"]
                   + (["-U__SSE2__"] if variant == "generic" else []) + ["-I" + b]
                   + ["-I" + os.path.join(src, s) for s in ("include", "src", "celt", "silk", "dnn", "")]
                   + [os.path.join(ROOT, "interop", "plc_dump.c"), os.path.join(b, ".libs", "libopus.a"),
                      "-lm", "-o", exe], check=True)
    return exe


def run_plc_dump(exe, script, folder):
    """An op script through a plc_dump program: (concealed int16, features float32 [n][20])."""
    s, o, f = (os.path.join(str(folder), n) for n in ("script", "pcm", "feat"))
    with open(s, "wb") as fh:
        fh.write(script)
    subprocess.run([exe, s, o, f], check=True)
    return np.fromfile(o, "<i2"), np.fromfile(f, "<f4").reshape(-1, 20)


@pytest.fixture(scope="module")
def plc_dump(tmp_path_factory):
    """libopus' lpcnet_plc_* through interop/plc_dump.c: run(variant, script)."""
    d = tmp_path_factory.mktemp("plc")
    exes = {v: build_plc_dump(v, d) for v in ("x86", "generic")}
    return lambda variant, script: run_plc_dump(exes[variant], script, d)


def _clip(name):
    path = [p for p in speech_corpus() if os.path.basename(p).startswith(name + ".")][0]
    return np.fromfile(path, "<i2")


def _snr(ref, x):
    ref, x = ref.astype(np.float64), x.astype(np.float64)
    return 10 * np.log10(np.sum(ref ** 2) / max(np.sum((ref - x) ** 2), 1e-9))


@pytest.mark.parametrize("with_fec", [False, True])
def test_against_libopus(weights, plc_dump, with_fec):
    """dredfx against libopus x86, next to libopus generic against x86, on two clips with 8
    bursts each (2, 6, 20, 100, 2, 6, 2, 6 frames). The concealment is autoregressive and chaotic
    (libopus' own builds part after a few frames), so the bars are relative and aggregated:
    - the first concealed frame of each burst (predicted from the analysis of real audio): mean
      over the bursts of the largest feature difference at most 2x generic's + 0.005 (measured on
      6 clips: dredfx 0.017-0.035, generic 0.013-0.023);
    - every concealed frame: feature RMS difference at most 2.5x generic's + 0.005 (measured
      dredfx 0.008-0.010, generic 0.005-0.006) and the audio SNR above 5 dB and at most 8 dB below
      generic's (measured dredfx 12-19 dB, generic 17-24 dB; a broken PLC gives about 0 dB);
    - with FEC: every frame that had DRED features is synthesized from exactly their Q16 values."""
    eg, ed, XS, GS, DS, FXS, FGS, FDS = [], [], [], [], [], [], [], []
    for name in CLIPS:
        x = _clip(name)
        fec = analysis.features(x, 16000, weights) if with_fec else None
        script, lost, covered = plc_script(x, bursts=(2, 6, 20, 100, 2, 6, 2, 6), fec=fec)
        X, FX = plc_dump("x86", script)
        G, FG = plc_dump("generic", script)
        D, FD = run_dredfx(script, weights)
        assert len(D) == len(X) == len(lost) * FRAME
        starts = [i for i, t in enumerate(lost) if i == 0 or lost[i - 1] != t - 1]
        eg += list(np.abs(FG[starts] - FX[starts]).max(1))
        ed += list(np.abs(FD[starts] - FX[starts]).max(1))
        XS.append(X), GS.append(G), DS.append(D), FXS.append(FX), FGS.append(FG), FDS.append(FD)
        if with_fec:
            assert len(covered) > 50
            idx = [lost.index(t) for t in covered]
            q = plc.features_to_q16(fec[covered]) / 65536.0
            assert np.array_equal(FD[idx], q.astype(np.float32)), name
            assert np.abs(FX[idx] - FD[idx]).max() < 1e-4
    X, G, D, FX, FG, FD = map(np.concatenate, (XS, GS, DS, FXS, FGS, FDS))
    assert np.mean(ed) <= 2 * np.mean(eg) + 0.005, (np.mean(ed), np.mean(eg))
    rms_g, rms_d = np.sqrt(np.mean((FG - FX) ** 2)), np.sqrt(np.mean((FD - FX) ** 2))
    assert rms_d <= 2.5 * rms_g + 0.005, (rms_d, rms_g)
    snr_g, snr_d = _snr(X, G), _snr(X, D)
    assert snr_d > 5 and snr_d >= snr_g - 8, (snr_d, snr_g)


def test_float_reference_short_run(weights):
    """12 good frames, a 3-frame burst: the first concealed frame against dredfx.ref.plc (features
    within 0.05, audio SNR above 10 dB; the reference is libopus' float code)."""
    x = _clip("en-1")[20 * FRAME:32 * FRAME]
    r = ref_plc.PLC(weights)
    p = plc.PLC(weights)
    for t in range(12):
        r.update(x[t * FRAME:(t + 1) * FRAME])
    p.update(x)
    yr = r.conceal()
    fr = r.features.copy()
    yd, fd = p.conceal(1, with_features=True)
    assert np.abs(fd[0] - fr).max() < 0.05, np.abs(fd[0] - fr).max()
    assert _snr(yr, yd) > 10, _snr(yr, yd)


def test_burg_cepstrum_on_speech():
    """Every 7th frame of two clips: C Burg cepstrum within 0.005 of libopus' float (double) code."""
    for name in CLIPS:
        x = _clip(name)
        for t in range(0, len(x) // FRAME, 7):
            fr = x[t * FRAME:(t + 1) * FRAME]
            q, sat = _plc.burg_cepstrum(fr)
            assert sat == 0
            r = ref_plc.burg_cepstral_analysis(fr.astype(np.float32))
            assert np.abs(q / 65536.0 - r).max() < 0.005, (name, t)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([1, 4, 50, 1000, 32767]), st.integers(0, 3), st.integers(0, 2 ** 31))
def test_burg_cepstrum_property(amp, kind, seed):
    """Noise, sinusoids, random walks and square waves at any level: within 0.005 of the float code."""
    rng = np.random.default_rng(seed)
    n = np.arange(FRAME)
    if kind == 0:
        x = rng.integers(-amp, amp + 1, FRAME)
    elif kind == 1:
        x = np.round(amp * np.sin(n * rng.uniform(0.01, 3) + rng.uniform(0, 6)))
    elif kind == 2:
        x = np.cumsum(rng.integers(-amp, amp + 1, FRAME))
    else:
        x = np.round(amp * np.sign(np.sin(n * rng.uniform(0.05, 1) + 0.1)))
    x = np.clip(x, -32768, 32767).astype(np.int16)
    q, _ = _plc.burg_cepstrum(x)
    r = ref_plc.burg_cepstral_analysis(x.astype(np.float32))
    assert np.abs(q / 65536.0 - r).max() < 0.005


def test_cpu_levels_identical():
    """A concealment run (bursts of 20 to 1,000 ms, PLC alone) gives the same bytes at every CPU
    level, each in a fresh interpreter; pinned CRC-32."""
    code = ("import sys, zlib, numpy as np; sys.path.insert(0, sys.argv[2]); import test_plc as t; "
            "x = np.fromfile(sys.argv[1], '<i2')[:400 * 160]; s = t.plc_script(x)[0]; "
            "y, f = t.run_dredfx(s); print('%08x' % zlib.crc32(y.tobytes() + f.tobytes()))")
    path = [p for p in speech_corpus() if os.path.basename(p).startswith("en-1.")][0]
    crcs = outputs_at_every_level(code, path, os.path.dirname(__file__))
    assert len(crcs) >= 2 and len(set(crcs.values())) == 1, crcs
    assert list(crcs.values())[0].strip() == PINNED_CRC, crcs


PINNED_CRC = "7e0d31c5"


def test_queue_and_fields(weights):
    p = plc.PLC(weights)
    s = p.state
    assert s["loaded"] == 1 and s["blend"] == 0 and s["fec_fill_pos"] == 0
    p.update(np.zeros(3 * FRAME, np.int16))
    for _ in range(plc.MAX_FEC_FRAMES):
        p.add_fec(np.zeros(20, np.float32))
    with pytest.raises(errors.BufferTooSmallError):
        p.add_fec(np.zeros(20, np.float32))
    p.add_fec(None)
    assert p.state["fec_skip"] == 1
    y = p.conceal(2)
    assert y.dtype == np.int16 and len(y) == 2 * FRAME
    s = p.state
    assert s["blend"] == 1 and s["fec_skip"] == 0 and s["fec_read_pos"] == 3
    p.fec_clear()
    assert p.state["fec_fill_pos"] == 0
    p.update(np.zeros(FRAME, np.int16))
    assert p.state["blend"] == 0
    p.reset()
    assert p.state["loss_count"] == 0 and len(p.conceal(0)) == 0


def test_bad_input(weights):
    p = plc.PLC(weights)
    with pytest.raises(errors.InvalidArgumentError):
        p.update(np.zeros(100, np.int16))
    with pytest.raises(errors.InvalidArgumentError):
        p.update(np.array([np.nan] * FRAME))
    for bad in (np.nan, np.inf):
        f = np.zeros(20, np.float32)
        f[3] = bad
        with pytest.raises(errors.InvalidArgumentError):
            p.add_fec(f)
    with pytest.raises(errors.InvalidArgumentError):
        p.add_fec(np.zeros(19, np.float32))
    with pytest.raises(errors.InvalidArgumentError):
        p.conceal(-1)
    # huge finite features are clamped to +-256 at the queue: sound out, no crash
    p.update(np.zeros(FRAME, np.int16))
    p.add_fec(np.full(20, 1e30))
    p.add_fec(np.full(20, -1e30))
    y, f = p.conceal(3, with_features=True)
    assert np.abs(f[:2]).max() <= 256 and len(y) == 3 * FRAME


def test_state_size():
    assert plc.STATE_SIZE > 100000  # FARGAN, the analysis and the predictor's prepared constants
