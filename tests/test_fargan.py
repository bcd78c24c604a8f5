"""FARGAN vocoder (dredfx.fargan, C fixed point) against libopus 1.6.1's fargan_demo (x86 and
generic builds), the float reference dredfx.ref.fargan, and itself at every CPU level; framing,
streaming and bad input. Metrics: libopus' dred_compare -audio (err4, err16, pitch) and PESQ-WB."""
import importlib.util
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT, interop_clips_dir, libopus_build, outputs_at_every_level, speech_corpus
from dredfx import errors, fargan
from dredfx.ref import fargan as ref_fargan

CLIPS = ["demo-thanks", "vm-intro", "agent-alreadyon"]


@pytest.fixture(scope="module")
def libopus():
    return {v: libopus_build(v) for v in ("x86", "generic")}


@pytest.fixture(scope="module")
def clips(weights, libopus, tmp_path_factory):
    """Per clip: features from libopus' x86 `fargan_demo -features`, the resyntheses of both
    libopus builds and of dredfx, and the original cut to the same length (s16 files)."""
    d = tmp_path_factory.mktemp("fargan")
    res = {}
    for c in CLIPS:
        src = os.path.join(interop_clips_dir(), c + ".16k.raw")
        p = {k: str(d / ("%s.%s" % (c, k))) for k in ("f32", "x86", "generic", "dfx", "orig")}
        subprocess.run([os.path.join(libopus["x86"], "fargan_demo"), "-features", src, p["f32"]], check=True)
        for v in ("x86", "generic"):
            subprocess.run([os.path.join(libopus[v], "fargan_demo"), "-fargan-synthesis", p["f32"], p[v]], check=True)
        feats = np.fromfile(p["f32"], np.float32).reshape(-1, 20)
        y = fargan.synthesize(feats, weights)
        y.tofile(p["dfx"])
        np.fromfile(src, np.int16)[:len(y)].tofile(p["orig"])
        res[c] = dict(p, features=feats)
    return res


def test_framing_matches_fargan_demo(clips):
    for c in clips.values():
        x86 = np.fromfile(c["x86"], np.int16)
        dfx = np.fromfile(c["dfx"], np.int16)
        assert len(dfx) == len(x86) == 160 * len(c["features"])
        # the first 5 ms (the continuation's near-silence) agree within 2 with libopus x86, as
        # its generic build does (measured: 1, 1, 2 for both)
        assert np.abs(dfx[:80].astype(int) - x86[:80]).max() <= 2


def test_float_reference_is_libopus_generic(weights, clips):
    """dredfx.ref.fargan mirrors the generic C path operation by operation: bit-identical."""
    c = clips["vm-intro"]
    y = ref_fargan.synthesize(weights.arrays, c["features"])
    assert np.array_equal(y, np.fromfile(c["generic"], np.int16))


@pytest.mark.interop
def test_accuracy_bars_on_speech(weights, libopus, tmp_path):
    """Issue 11's accuracy bars (bench/fargan_accuracy.py, the same measure) on the first two
    corpus clips, features from libopus' x86 analysis: per clip, dredfx against the original at
    most libopus x86 against it + 0.02 (err4), + 0.05 (err16), + 0.01 (pitch), PESQ-WB at least
    libopus x86's - 0.05; over the clips, dredfx against x86 at most 1.5x libopus generic against
    x86. All 15 clips with margins: docs/accuracy.md (measured on these two: smallest margins
    0.019 err4, 0.039 err16, 0.0100 pitch, 0.019 PESQ)."""
    spec = importlib.util.spec_from_file_location("fargan_accuracy", os.path.join(ROOT, "bench", "fargan_accuracy.py"))
    acc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acc)
    results = {os.path.basename(c).split(".")[0]: acc.measure_clip(c, libopus, str(tmp_path), weights)
               for c in speech_corpus()[:2]}
    checked = acc.bars(results)
    assert len(checked) == 2 * 4 + 3
    failed = [b for b in checked if b[3] < 0]
    assert not failed, failed


def test_first_subframe_against_float_reference(weights, clips):
    """Continuation on real speech (every 20th frame), then one frame: on its first subframe,
    before the output feeds back, the fixed-point output follows the float reference sample by
    sample. Measured on demo-thanks: error rms 0.3 % to 8.3 % of the signal rms (median 1.6 %);
    later the autoregression drifts in phase, as libopus' own builds do (dred_compare above)."""
    c = clips["demo-thanks"]
    x = np.fromfile(c["orig"], np.int16)
    f = c["features"]
    checked = 0
    for k in range(40, 500, 20):
        pcm = x[160 * (k - 2):160 * k]
        v = fargan.FARGAN(weights)
        v.cont(pcm, f[k - 5:k])
        d = v.synthesize(f[k:k + 1])[:40].astype(np.int64)
        r = ref_fargan.FARGAN(weights.arrays)
        r.cont(pcm.astype(np.float32) / 32768, f[k - 5:k])
        y = ref_fargan.to_int16(r.synthesize(f[k]))[:40].astype(np.int64)
        rms = np.sqrt(np.mean(y.astype(float) ** 2))
        err = np.sqrt(np.mean((d - y).astype(float) ** 2))
        if rms > 100:
            checked += 1
            assert err <= 0.12 * rms, (k, err, rms)
        else:
            assert err <= 2, (k, err, rms)
    assert checked >= 15


def test_streaming_equals_synthesize(weights, clips):
    f = clips["vm-intro"]["features"][:40]
    v = fargan.FARGAN(weights)
    v.cont(np.zeros(320, np.int16), np.repeat(f[:1], 5, axis=0))
    y = np.concatenate([v.synthesize(f[1:20]), v.synthesize(f[20:]), v.synthesize(f[-1:]), v.synthesize(f[-1:])])
    assert np.array_equal(y[80:80 + 160 * len(f)], fargan.synthesize(f, weights))


def test_cpu_levels_identical(clips):
    """Each dredfx._* extension links its own copy of the C library, so _nn.set_cpu_level would
    not reach dredfx._fargan: every level runs in a fresh interpreter under DREDFX_CPU."""
    path = clips["demo-thanks"]["f32"]
    code = ("import hashlib, sys, numpy as np; from dredfx import fargan; "
            "f = np.fromfile(sys.argv[1], np.float32).reshape(-1, 20)[:150]; "
            "print(hashlib.sha256(fargan.synthesize(f).tobytes()).hexdigest())")
    digests = outputs_at_every_level(code, path)
    assert len(digests) >= 2 and len(set(digests.values())) == 1, digests


def test_bad_input(weights):
    f = np.zeros((4, 20), np.float32)
    for bad in (np.nan, np.inf, -np.inf):
        g = f.copy()
        g[2, 18] = bad
        with pytest.raises(errors.InvalidArgumentError):
            fargan.synthesize(g, weights)
    with pytest.raises(errors.InvalidArgumentError):
        fargan.synthesize(np.zeros(19, np.float32), weights)
    v = fargan.FARGAN(weights)
    with pytest.raises(errors.InvalidArgumentError):  # before cont (libopus asserts)
        v.synthesize(f)
    with pytest.raises(errors.InvalidArgumentError):
        v.cont(np.zeros(319, np.int16), np.zeros((5, 20)))
    with pytest.raises(errors.InvalidArgumentError):
        v.cont(np.zeros(320, np.int16), np.zeros((4, 20)))
    # huge finite features are saturated to Q16 and f18 clamped in C: output, no crash
    rng = np.random.default_rng(5)
    huge = rng.choice([-1e30, 1e30, -40000.0, 40000.0, 8.0, -17.0], size=(30, 20))
    y = fargan.synthesize(huge, weights)
    assert y.dtype == np.int16 and len(y) == 30 * 160 and np.abs(y.astype(int)).max() <= 32767
    assert len(fargan.synthesize(np.zeros((0, 20)), weights)) == 0


def test_state_size():
    assert fargan.STATE_SIZE > 100000  # the layers' prepared constants live in the state
