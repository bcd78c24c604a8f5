"""FARGAN vocoder (dredfx.fargan, C fixed point) against libopus 1.6.1's fargan_demo (x86 and
generic builds), the float reference dredfx.ref.fargan, and itself at every CPU level; framing,
streaming and bad input. Metrics: libopus' dred_compare -audio (err4, err16, pitch) and PESQ-WB."""
import importlib.util
import os
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, interop_clips_dir, libopus_build, outputs_at_every_level, speech_corpus
from dredfx import analysis, errors, fargan
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


def _speech_at(weights, clip, db):
    """3 s of a corpus clip at db (int16, rounded, saturated) and dredfx's features of it."""
    x = np.fromfile(speech_corpus()[clip], np.int16)[:3 * 16000].astype(np.float64)
    x = np.clip(np.round(x * 10 ** (db / 20)), -32768, 32767).astype(np.int16)
    return x, analysis.features(x, weights=weights)


HYP = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYP
@given(clip=st.integers(0, 14), db=st.floats(-40, 0), at=st.floats(0, 1))
def test_hyp_first_subframe_follows_float_reference(weights, clip, db, at):
    """Any clip, any level from -40 to 0 dB (features analysed at that level, as a quiet talker
    gives them), any frame: after cont on the past 320 samples, the first 40 samples, before the
    output feeds back, follow the float reference sample by sample. Measured on 84 such cases:
    median error 2 % of the signal rms at every level, worst 16 % at 0 dB, 19 % at -20 dB, 35 %
    at -40 dB (where an int16 LSB is a few % of the signal); a wrong period or gain is >= 100 %."""
    x, f = _speech_at(weights, clip, db)
    k = 5 + int(at * (len(f) - 7))
    pcm = x[160 * (k - 2):160 * k]
    v = fargan.FARGAN(weights)
    v.cont(pcm, f[k - 5:k])
    d = v.synthesize(f[k:k + 1])[:40].astype(np.float64)
    r = ref_fargan.FARGAN(weights.arrays)
    r.cont(pcm.astype(np.float32) / 32768, f[k - 5:k])
    y = r.synthesize(f[k])[:40].astype(np.float64) * 32768
    rms, err = np.sqrt(np.mean(y ** 2)), np.sqrt(np.mean((d - y) ** 2))
    assert err <= 0.4 * rms + 1.0, (k, db, err, rms)


@HYP
@given(clip=st.integers(0, 14), db=st.floats(-40, 0), at=st.floats(0, 1))
def test_hyp_frame_energy_follows_float_reference(weights, clip, db, at):
    """The same cases over 6 frames (60 ms, past the point where the phase drifts): the rms of
    every frame (int16 on both sides, 2 LSB + 30 LSB at 0 dB scaled with the level added) within a
    factor 2 of the float reference's (= libopus generic), |log2 ratio| <= 1: a gain (exp2,
    reciprocal, exponent) off by one binary step fails it. Not tighter: the drift moves single
    frames, in libopus too. Measured on 180 cases at 0, -30 and -40 dB: dredfx at most 0.072,
    0.176, 0.094, libopus x86 0.273, 0.131, 0.098; one onset at -29 dB (es-1, frame 230) 0.65 for
    dredfx, 0.14 for x86 (docs/accuracy.md)."""
    x, f = _speech_at(weights, clip, db)
    k = 5 + int(at * (len(f) - 12))
    pcm = x[160 * (k - 2):160 * k]
    v = fargan.FARGAN(weights)
    v.cont(pcm, f[k - 5:k])
    d = v.synthesize(f[k:k + 6]).astype(np.float64).reshape(6, 160)
    r = ref_fargan.FARGAN(weights.arrays)
    r.cont(pcm.astype(np.float32) / 32768, f[k - 5:k])
    y = np.array([ref_fargan.to_int16(r.synthesize(f[j])) for j in range(k, k + 6)], np.float64)
    floor = 2 + 30 * 10 ** (db / 20)
    ratio = np.log2((np.sqrt(np.mean(d ** 2, axis=1)) + floor) / (np.sqrt(np.mean(y ** 2, axis=1)) + floor))
    assert np.abs(ratio).max() <= 1.0, (k, db, ratio)


@HYP
@given(cuts=st.lists(st.integers(0, 30), max_size=4))
def test_hyp_streaming_any_split(weights, clips, cuts):
    """synthesize() over any split of the frames gives the samples of one call."""
    f = clips["vm-intro"]["features"][100:130]
    pcm = np.fromfile(clips["vm-intro"]["orig"], np.int16)[160 * 98:160 * 100]
    whole = fargan.FARGAN(weights)
    whole.cont(pcm, clips["vm-intro"]["features"][95:100])
    want = whole.synthesize(f)
    v = fargan.FARGAN(weights)
    v.cont(pcm, clips["vm-intro"]["features"][95:100])
    edges = [0] + sorted(cuts) + [len(f)]
    got = np.concatenate([v.synthesize(f[a:b]) for a, b in zip(edges, edges[1:])])
    assert np.array_equal(got, want)


@settings(max_examples=200, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_hyp_feature_rule(x):
    """Finite features: Q16 rounded half away from zero (within 2^-17), saturated to
    +-(2^31 - 1) (|x| >= 32768); the rule dredfx-demo applies too."""
    q = int(fargan.features_to_q16(np.full(20, x, np.float32))[0, 0])
    if abs(x) < 32768:
        assert abs(q / 65536 - x) <= 2.0 ** -17
        assert (q >= 0) == (x >= 0) or q == 0
    else:
        assert q == (2 ** 31 - 1 if x > 0 else -(2 ** 31 - 1))
