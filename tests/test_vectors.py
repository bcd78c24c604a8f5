"""Conformance vectors (dredfx.vectors, c/tools/dredfx_vectors_check.c, vectors/): the committed
set is what the generator makes from its inputs, both verifiers (Python, C-only) pass it, and any
changed bit in an expected output or an input fails both and names its frame; the pure-Python
reference reproduces the C library's expected records.

The C checker: $DREDFX_VECTORS_CHECK if set, else built here with CMake (target
dredfx-vectors-check) in build/cmake/native when that folder belongs to this checkout, else in
build/cmake/vectors-check.
"""
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dredfx import vectors

from conftest import c_program, interop_data_dir

pytestmark = pytest.mark.weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "vectors")


@pytest.fixture(scope="module")
def checker(weights):
    """Command list that runs the C checker with the weights blob of this test run."""
    return [c_program("dredfx-vectors-check", "DREDFX_VECTORS_CHECK"), "--weights", weights.path]


def _run_c(checker, folder):
    r = subprocess.run(checker + [folder], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def _copy(tmp_path):
    dst = os.path.join(str(tmp_path), "v")
    shutil.copytree(COMMITTED, dst)
    return dst


def _stage_files():
    m = vectors.read_manifest(COMMITTED)
    return [(s.name, stage, f) for s in m.sets for stage, _, f in s.stages]


def _summary_counts(text):
    got = re.search(r": (\d+) sets, (\d+) frames \((.*?)\), (\d+) stage records", text)
    assert got, text
    return int(got.group(1)), int(got.group(2)), got.group(3), int(got.group(4))


def test_generate_from_committed_inputs_reproduces_vectors(tmp_path, weights):
    """generate --inputs makes the committed set again, byte for byte (manifest included), and
    both verifiers pass what it wrote."""
    out = os.path.join(str(tmp_path), "gen")
    vectors.generate(out, inputs_from=COMMITTED, weights_path=weights.path)
    names = sorted(os.listdir(out))
    assert names == sorted(n for n in os.listdir(COMMITTED) if n != "README.md")
    for n in names:
        with open(os.path.join(out, n), "rb") as a, open(os.path.join(COMMITTED, n), "rb") as b:
            assert a.read() == b.read(), "%s differs from the committed vectors/%s" % (n, n)
    for impl in ("c", "ref"):
        rep = vectors.verify(out, impl, weights.path)
        assert rep.ok, rep.errors[:5]
        assert not rep.warnings
        # the float reference has no bit-exact FARGAN and no Opus codec: it skips layers 2 and 3
        # and says so
        layer2 = ["fargan_speech", "fargan_edge", "fargan_cont", "plc_runs"]
        layer3 = ["receive_silk", "receive_celt"]
        features = [s.name + ":features" for s in vectors.read_manifest(out).sets if s.layer not in (2, 3)]
        assert rep.skipped == ([] if impl == "c" else features + layer2 + layer3)


def test_committed_vectors_pass_both_checkers(checker, weights):
    m = vectors.read_manifest(COMMITTED)
    frames = sum(s.nframes for s in m.sets)
    records = sum(s.nframes * len(s.stages) for s in m.sets)
    rep = vectors.verify(COMMITTED, "c", weights.path)
    assert rep.ok, rep.errors[:5]
    assert (rep.sets, rep.frames, rep.records) == (len(m.sets), frames, records)
    assert set(rep.layers) == {1, 2, 3, 4}
    rc, text = _run_c(checker, COMMITTED)
    assert rc == 0, text
    assert "FAIL" not in text
    sets, c_frames, layers, c_records = _summary_counts(text)
    assert (sets, c_frames, c_records) == (len(m.sets), frames, records)
    assert layers == "layer 1: %d, layer 2: %d, layer 3: %d, layer 4: %d" % (
        rep.layers[1], rep.layers[2], rep.layers[3], rep.layers[4])


def test_cli_verify(weights):
    r = subprocess.run([sys.executable, "-m", "dredfx.vectors", "verify", COMMITTED, "--weights",
                        weights.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stdout
    assert r.stdout.strip().endswith("impl c: OK")
    r = subprocess.run([sys.executable, "-m", "dredfx.vectors", "verify", COMMITTED, "--impl", "ref",
                        "--weights", weights.path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.returncode == 0, r.stdout
    assert "not checked by impl ref" in r.stdout
    assert "fargan_speech, fargan_edge, fargan_cont, plc_runs" in r.stdout
    assert "receive_silk, receive_celt: the pure-Python reference has no Opus codec" in r.stdout
    assert r.stdout.strip().endswith("impl ref: OK (6 sets, 5 stages not checked)")


def _flip(path, frame, pick_offset):
    """Flips one bit of a record's body; returns the byte offset in the file."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    pos = vectors.RECORD_HEADER
    for _ in range(frame):
        pos += 4 + struct.unpack_from("<I", data, pos)[0]
    size = struct.unpack_from("<I", data, pos)[0]
    assert size > 0
    at = pos + 4 + pick_offset(size)
    data[at] ^= 0x10
    with open(path, "wb") as f:
        f.write(data)
    return at


def _longest_frame(path):
    recs = vectors.read_records(path)
    return max(range(len(recs)), key=lambda i: (len(recs[i]), -i))


@pytest.mark.parametrize("set_name,stage,fname", _stage_files())
def test_changed_expected_bit_fails_both_naming_the_frame(tmp_path, checker, weights, set_name,
                                                          stage, fname):
    folder = _copy(tmp_path)
    frame = _longest_frame(os.path.join(folder, fname))
    _flip(os.path.join(folder, fname), frame, lambda n: n - 2)
    where = "set %s frame %d " % (set_name, frame)
    rep = vectors.verify(folder, "c", weights.path)
    assert not rep.ok
    assert any(e.startswith(where) and "stage %s:" % stage in e for e in rep.errors), rep.errors
    assert any(e.startswith(fname + ": SHA-256 differs") for e in rep.errors), rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    assert re.search(r"^FAIL: %s\(.*\) stage %s: " % (re.escape(where), stage), text, re.M), text
    assert "FAIL: %s: SHA-256 differs" % fname in text


@pytest.mark.parametrize("set_name", [s.name for s in vectors.read_manifest(COMMITTED).sets])
def test_changed_input_fails_both_naming_the_frame(tmp_path, checker, weights, set_name):
    folder = _copy(tmp_path)
    fname = set_name + ".in"
    frame = _longest_frame(os.path.join(folder, fname))
    # a bit of the packet or payload (after the 4 or 8 bytes of op parameters)
    _flip(os.path.join(folder, fname), frame, lambda n: n - 1)
    where = "set %s frame %d " % (set_name, frame)
    rep = vectors.verify(folder, "c", weights.path)
    assert any(e.startswith(where) and "input differs from its manifest MD5" in e
               for e in rep.errors), rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    assert re.search(r"^FAIL: %s\(.*\): input differs from its manifest MD5" % re.escape(where),
                     text, re.M), text


def _fargan_frame(folder, set_name, k):
    """Index of the k-th synthesized frame of a fargan set (record kind 1 with PCM)."""
    outs = vectors.read_records(os.path.join(folder, set_name + ".pcm"))
    return [i for i, o in enumerate(outs) if len(o) > 4][k]


def test_changed_pcm_sample_names_frame_and_sample(tmp_path, checker, weights):
    """Layer 2: one flipped bit of one expected sample: both checkers name the set, the frame
    (with its label), the sample and both values; the other frames still pass."""
    folder = _copy(tmp_path)
    path = os.path.join(folder, "fargan_speech.pcm")
    frame = _fargan_frame(folder, "fargan_speech", 30)
    recs = vectors.read_records(path)
    sample = 77
    want = int(np.frombuffer(recs[frame], "<i2", 160, 4)[sample])
    _flip(path, frame, lambda n: 4 + 2 * sample)   # the low byte of sample 77
    changed = int(np.frombuffer(vectors.read_records(path)[frame], "<i2", 160, 4)[sample])
    label = vectors.read_manifest(folder).frames["fargan_speech.in"][frame][1]
    line = ("set fargan_speech frame %d (%s) stage pcm: sample %d: computed %d, expected %d "
            "(1 samples differ)" % (frame, label, sample, want, changed))
    rep = vectors.verify(folder, "c", weights.path)
    assert [e for e in rep.errors if e.startswith("set ")] == [line], rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    assert [x for x in text.splitlines() if x.startswith("FAIL: set ")] == ["FAIL: " + line], text


def test_changed_fargan_input_names_first_frame_then_counts(tmp_path, checker, weights):
    """A changed input feature of one synthesized frame changes that frame and, through the
    vocoder's state, the rest of its run: the first differing frame is named, the later ones of
    the run are counted in one line, the next run passes again."""
    folder = _copy(tmp_path)
    frame = _fargan_frame(folder, "fargan_speech", 10)
    _flip(os.path.join(folder, "fargan_speech.in"), frame, lambda n: 4 + 4 * 0 + 2)  # c0 by 1/4
    ins = vectors.read_records(os.path.join(folder, "fargan_speech.in"))
    end = next(i for i in range(frame + 1, len(ins)) if vectors.is_run_start("fargan", ins[i]))
    rep = vectors.verify(folder, "c", weights.path)
    sets = [e for e in rep.errors if e.startswith("set ")]
    assert sets[0].startswith("set fargan_speech frame %d (" % frame) and "input differs" in sets[0]
    assert sets[1].startswith("set fargan_speech frame %d (" % frame) and "stage pcm: sample " in sets[1]
    later = re.match(r"set fargan_speech frames %d\.\.%d: (\d+) more frames differ after frame %d " % (
        frame + 1, end - 1, frame), sets[2])
    assert later and 0 < int(later.group(1)) <= end - frame - 1, sets
    assert len(sets) == 3, sets
    rc, text = _run_c(checker, folder)
    fails = [x[6:] for x in text.splitlines() if x.startswith("FAIL: set ")]
    assert rc == 1 and fails == sets, (fails, sets)


def test_plc_runs_cover_the_queue_and_concealment():
    """What plc_runs reaches (measured on its expected records): concealment after real speech,
    with and without queued features, a skip entry, the queue full (the 105th frame is refused
    with DREDFX_ERR_BUFFER_TOO_SMALL), concealment with no history; concealed frames after speech
    carry sound, and a good frame after a loss is accepted."""
    ins = vectors.read_records(os.path.join(COMMITTED, "plc_runs.in"))
    outs = vectors.read_records(os.path.join(COMMITTED, "plc_runs.pcm"))
    labels = [v[1] for _, v in sorted(vectors.read_manifest(COMMITTED).frames["plc_runs.in"].items())]
    kinds = [vectors.plc_record(b)[0] for b in ins]
    status = [struct.unpack_from("<i", o)[0] for o in outs]
    assert set(kinds) == set(range(6))
    assert [lab for lab, st_ in zip(labels, status) if st_] == ["edge#104_fec"]
    assert status[labels.index("edge#104_fec")] == -2   # DREDFX_ERR_BUFFER_TOO_SMALL
    concealed = {lab: np.frombuffer(o, "<i2", 160, 4) for lab, o, k in zip(labels, outs, kinds)
                 if k == vectors.PLC_CONCEAL}
    assert len(concealed) == 30
    loud = [lab for lab, y in concealed.items() if np.sqrt(np.mean(y.astype(float) ** 2)) > 100]
    assert all(lab.startswith("fr-1") for lab in loud) and len(loud) == 26, loud   # every speech one


@pytest.mark.parametrize("set_name", ["fargan_cont", "plc_runs"])
def test_malformed_stateful_record_fails_clearly(tmp_path, checker, weights, set_name):
    """A record of the wrong size or an unknown kind for a stateful op: both checkers name the
    frame and go on (no crash, exit status 1)."""
    folder = _copy(tmp_path)
    path = os.path.join(folder, set_name + ".in")
    recs = vectors.read_records(path)
    recs[1] = recs[1][:10]
    recs[2] = struct.pack("<i", 9) + recs[2][4:]
    vectors.write_records(path, recs)
    rep = vectors.verify(folder, "c", weights.path)
    for i in (1, 2):
        assert any(e.startswith("set %s frame %d " % (set_name, i)) and "record: kind" in e
                   for e in rep.errors), rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    for i in (1, 2):
        assert re.search(r"^FAIL: set %s frame %d \(.*\): input record does not fit op" % (set_name, i),
                         text, re.M), text


def test_missing_file_fails_clearly(tmp_path, checker, weights):
    folder = _copy(tmp_path)
    os.remove(os.path.join(folder, "payloads.dq16"))
    rep = vectors.verify(folder, "c", weights.path)
    assert "payloads.dq16: missing file" in rep.errors
    assert any(e.startswith("set payloads: cannot read") for e in rep.errors), rep.errors
    assert rep.frames == sum(s.nframes for s in vectors.read_manifest(folder).sets if s.name != "payloads")
    rc, text = _run_c(checker, folder)
    assert rc == 1
    assert "FAIL: payloads.dq16: missing file" in text
    assert "FAIL: set payloads: cannot read payloads.dq16 as a record file" in text
    os.remove(os.path.join(folder, vectors.MANIFEST))
    with pytest.raises(vectors.VectorError, match="manifest.txt"):
        vectors.verify(folder, "c", weights.path)
    rc, text = _run_c(checker, folder)
    assert rc == 2 and "cannot read" in text and "manifest.txt" in text


def test_unknown_stage_is_a_failure_not_a_skip(tmp_path, checker, weights):
    """A checker that does not know a stage (a layer newer than itself) fails the set."""
    folder = _copy(tmp_path)
    path = os.path.join(folder, vectors.MANIFEST)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("stage payloads dq16 exact", "stage payloads pcm48k exact"))
    rep = vectors.verify(folder, "c", weights.path)
    assert any("set payloads: stage(s) pcm48k not known" in e for e in rep.errors), rep.errors
    rc, out = _run_c(checker, folder)
    assert rc == 1 and "FAIL: set payloads: stage pcm48k (exact) not known" in out, out


def test_checker_without_weights(tmp_path, checker):
    exe = checker[0]
    r = subprocess.run([exe, COMMITTED], stdout=subprocess.PIPE, text=True,
                       env={k: v for k, v in os.environ.items() if k != "DREDFX_WEIGHTS"})
    assert r.returncode == 2 and "need the weights blob" in r.stdout
    r = subprocess.run([exe, "--skip-without-weights", "--weights", str(tmp_path / "none"), COMMITTED],
                       stdout=subprocess.PIPE, text=True)
    assert r.returncode == 77 and "skipped: no weights blob" in r.stdout


def test_committed_vectors_cover_the_syntax():
    """What the committed inputs reach (measured on their expected records)."""
    m = vectors.read_manifest(COMMITTED)
    q0, levels, nb, offsets, statuses, big = set(), set(), set(), set(), set(), 0
    for s in (s for s in m.sets if s.layer in (1, 4)):
        for rec in vectors.read_records(os.path.join(COMMITTED, s.name + ".quant")):
            v = struct.unpack("<%di" % (len(rec) // 4), rec)
            statuses.add(v[0] if v[0] < 0 else "ok")
            if len(v) < 10:
                continue
            q0.add(v[3])
            nb.add(v[8])
            offsets.add(v[6])
            chunks = np.array(v[60:], np.int64).reshape(-1, 26)
            levels.update(chunks[:, 0].tolist())
            big = max(big, int(np.abs(np.array(v[10:60] + tuple(chunks[:, 1:].reshape(-1)))).max()))
    assert q0 == set(range(16)) and levels == set(range(16))
    assert {0, 26} <= nb
    assert min(offsets) == -8175 and max(offsets) >= 48  # extra offset at its most; frame 47
    assert big > 2**16  # escapes past int16 and past the Q16 range
    assert {-1, -40, -41, -42, -43, -44, -45, -46, -47} <= statuses


_REF = {}


def _ref_impl(weights):
    if "impl" not in _REF:
        _REF["impl"] = vectors.Impl("ref", weights)
        m = vectors.read_manifest(COMMITTED)
        _REF["sets"] = [(s, vectors.read_records(os.path.join(COMMITTED, s.input_file)),
                         [vectors.read_records(os.path.join(COMMITTED, f)) for _, _, f in s.stages])
                        for s in m.sets if s.op not in vectors.STATEFUL]
    return _REF["impl"], _REF["sets"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_ref_reproduces_the_c_expected_records(data, weights):
    """Hypothesis picks a set and a frame: the pure-Python reference gives the C library's
    expected records bit for bit (the contract of these integer layers), and libopus' float
    dequantization (dredfx.ref.dred.dequantize) is the Q16 record to within rounding."""
    from dredfx.ref import dred as ref
    impl, sets = _ref_impl(weights)
    s, inputs, expected = sets[data.draw(st.integers(0, len(sets) - 1), label="set")]
    i = data.draw(st.integers(0, len(inputs) - 1), label="frame")
    got = vectors.compute(impl, s.op, [st_ if impl.supports(s.op, st_) else None for st_, _, _ in s.stages],
                          inputs[i])
    for (stage, _, _), g, e in zip(s.stages, got, expected):
        if g is None:   # the RDO-VAE features: test_float_reference_follows_the_features
            continue
        assert g == e[i], "set %s frame %d stage %s: %s" % (
            s.name, i, stage, vectors.describe_difference(stage, g, e[i]))
    status, found, p, _ = impl.run(s.op, inputs[i])
    if status < 0 or not found:
        return
    q16 = np.frombuffer(expected[[st_ for st_, _, _ in s.stages].index("dq16")][i], "<i4")
    state_f, latents_f = ref.dequantize(p, impl.stats)
    f = np.concatenate([state_f, latents_f.reshape(-1)]).astype(np.float64)
    assert q16.size == f.size
    # Q16 holds |x| < 32768; beyond, the C output saturates at 2^31 - 1.
    inside, beyond = np.abs(f) < 32767.99, np.abs(f) >= 32768
    assert np.all(np.abs(q16[inside] - f[inside] * 65536) <= 0.5 + np.abs(f[inside]) * 65536 * 2**-23)
    assert np.all(np.abs(q16[beyond]) == 2**31 - 1)


@pytest.mark.interop
def test_generate_from_libopus_data(tmp_path, weights):
    """A full generate from the interop data (real libopus 1.6.1 packets) passes both verifiers
    and keeps the coverage: every q0, dQ and level libopus used, 26 latents, extra offsets."""
    data_dir = interop_data_dir()
    out = os.path.join(str(tmp_path), "full")
    sets = vectors.generate(out, interop_dir=data_dir, weights_path=weights.path)
    assert [s.name for s in sets] == [s.name for s in vectors.read_manifest(COMMITTED).sets]
    # layer 2's inputs from the speech corpus (dredfx's integer analysis) are the committed bytes;
    # the RDO-VAE run follows real_parse's packet choice, which depends on the interop data
    committed = vectors.read_manifest(COMMITTED)
    for s in (s for s in sets if s.layer == 2):
        mine = [b for b, lab in s.inputs if not lab.startswith("rdovae")]
        theirs = [b for i, b in enumerate(vectors.read_records(os.path.join(COMMITTED, s.input_file)))
                  if not committed.frames[s.input_file][i][1].startswith("rdovae")]
        assert mine == theirs, s.name
    # layer 3's streams (dredfx-opus' encoder: libopus' float code without SIMD or FMA contraction)
    # and loss patterns are the committed bytes
    for s in (s for s in sets if s.layer == 3):
        assert [b for b, _ in s.inputs] == vectors.read_records(os.path.join(COMMITTED, s.input_file))
    for impl in ("c", "ref"):
        rep = vectors.verify(out, impl, weights.path)
        assert rep.ok, rep.errors[:5]
    real = vectors.interop_packets(data_dir)
    chosen = vectors._select_real(real)
    with_dred = [r for _, r, _ in chosen if r.get("dred")]
    all_dred = [r for _, r in real if r.get("dred")]
    assert {r["dred"]["q0"] for r in with_dred} == {r["dred"]["q0"] for r in all_dred}
    assert {r["dred"]["dq"] for r in with_dred} == {r["dred"]["dq"] for r in all_dred}
    assert {lv for r in with_dred for lv in r["dred"]["levels"]} == \
        {lv for r in all_dred for lv in r["dred"]["levels"]}
    assert max(r["dred"]["nb_chunks"] for r in with_dred) == 26
    assert any(r["dred"]["extra_offset_flag"] for r in with_dred)


_RUNS = {}


def _cont_runs(weights):
    """(label, cont record, first synth record, its expected PCM) of every run of the sets that
    continue real speech (fargan_cont, and fargan_speech's run from a clip's own past)."""
    if "runs" not in _RUNS:
        m = vectors.read_manifest(COMMITTED)
        runs = []
        for name in ("fargan_cont", "fargan_speech"):
            ins = vectors.read_records(os.path.join(COMMITTED, name + ".in"))
            outs = vectors.read_records(os.path.join(COMMITTED, name + ".pcm"))
            for i, body in enumerate(ins[:-1]):
                pcm = vectors.fargan_record(body)[1] if vectors.is_run_start("fargan", body) else None
                if pcm is not None and pcm.any():   # a real past (not fargan_demo's zeros)
                    runs.append((m.frames[name + ".in"][i][1], body, ins[i + 1],
                                 np.frombuffer(outs[i + 1], "<i2", 160, 4).astype(np.int64)))
        _RUNS["runs"] = runs
    return _RUNS["runs"]


def _float_first_frame(weights, cont, synth):
    from dredfx.ref import fargan as ref_fargan
    _, pcm, f0 = vectors.fargan_record(cont)
    _, _, f1 = vectors.fargan_record(synth)
    r = ref_fargan.FARGAN(weights.arrays)
    r.cont(pcm.astype(np.float32) / 32768, (f0 / 65536.0).astype(np.float32).reshape(5, 20))
    return ref_fargan.to_int16(r.synthesize((f1 / 65536.0).astype(np.float32))).astype(np.int64)


def _subframe_err(expected, got):
    """(error RMS, signal RMS) of the first subframe (40 samples) after a cont."""
    return (np.sqrt(np.mean((expected[:40] - got[:40]).astype(float) ** 2)),
            np.sqrt(np.mean(got[:40].astype(float) ** 2)))


def _subframe_ok(expected, got):
    """docs/conformance.md's rule for a float FARGAN on the first subframe after a cont: error RMS
    at most 20 % of the signal RMS, or at most 2 where the signal RMS is 100 or less (libopus'
    own x86 build is up to 14.8 % from its generic C build on these runs: test below)."""
    err, rms = _subframe_err(expected, got)
    return (err <= 0.2 * rms) if rms > 100 else (err <= 2), err, rms


@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_float_reference_follows_the_fargan_vectors(data, weights):
    """Item 4, layer 2: Hypothesis picks a run that continues real speech; the float reference
    (dredfx.ref.fargan, libopus' generic C path bit for bit) continued from the same 320 samples
    and 5 feature frames follows the vectors' fixed-point first subframe within the rule.
    (Later frames drift in phase, as libopus' own builds do: no sample bound there.)"""
    runs = _cont_runs(weights)
    label, cont, synth, expected = runs[data.draw(st.integers(0, len(runs) - 1), label="run")]
    ok, err, rms = _subframe_ok(expected, _float_first_frame(weights, cont, synth))
    assert ok, (label, err, rms)


def test_fargan_cont_runs_are_meaningful(weights):
    """Every such run meets the rule, most of them on speech, not near-silence (measured: 17
    runs, 16 of fargan_cont and fargan_speech's fr-2 one; 14 louder than RMS 100, error 0.2 %
    to 14.7 % of the signal RMS; the other three within 0.5 of the float output)."""
    runs = _cont_runs(weights)
    results = [_subframe_ok(e, _float_first_frame(weights, c, s)) for _, c, s, e in runs]
    assert len(runs) == 17 and all(ok for ok, _, _ in results), results
    assert sum(rms > 100 for _, _, rms in results) == 14


@pytest.mark.interop
def test_fargan_runs_against_libopus_spread(weights, tmp_path):
    """libopus' own FARGAN (interop/fargan_run.c against its x86 and generic builds) on the same
    runs: its generic build is the float reference bit for bit, and on each loud run dredfx's
    first-subframe error against it is at most 12 % of the signal or 1.5 times libopus x86's own
    (measured: x86 0.4 % to 14.8 %, dredfx 0.2 % to 14.7 %; the two above 12 % are unvoiced
    frames of es-2, where x86 is at 14.8 % and 10.1 %)."""
    from conftest import libopus_build, run_script
    runs = _cont_runs(weights)
    blob = b""
    for _, c, s, _ in runs:
        _, pcm, f0 = vectors.fargan_record(c)
        f1 = vectors.fargan_record(s)[2]
        blob += struct.pack("<i", 1) + pcm.astype("<i2").tobytes() + (f0 / 65536.0).astype("<f4").tobytes() \
            + (f1 / 65536.0).astype("<f4").tobytes()
    src = run_script("get-libopus.sh")
    out = {}
    for v in ("x86", "generic"):
        b, exe = libopus_build(v), str(tmp_path / ("fargan_run_" + v))
        subprocess.run(["gcc", "-std=gnu11", "-O2", "-Wno-cpp", "-DHAVE_CONFIG_H"]
                       + (["-U__SSE2__"] if v == "generic" else []) + ["-I" + b]
                       + ["-I" + os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")]
                       + [os.path.join(ROOT, "interop", "fargan_run.c"), os.path.join(b, ".libs", "libopus.a"),
                          "-lm", "-o", exe], check=True)
        r = subprocess.run([exe], input=blob, stdout=subprocess.PIPE, check=True)
        out[v] = np.frombuffer(r.stdout, "<i2").reshape(-1, 160).astype(np.int64)
    assert len(out["x86"]) == len(runs)
    worst = 0.0
    for k, (label, c, s, expected) in enumerate(runs):
        ref = _float_first_frame(weights, c, s)
        assert np.array_equal(ref, out["generic"][k]), label
        err, rms = _subframe_err(expected, ref)
        err_x86, _ = _subframe_err(out["x86"][k], ref)
        if rms > 100:
            assert err <= max(0.12 * rms, 1.5 * err_x86), (label, err, err_x86, rms)
            worst = max(worst, err_x86 / rms)
    assert worst > 0.12   # libopus x86 itself is past a plain 12 % bound on some run (14.8 %)


def _plc_speech_runs():
    """[(run records, expected pcm records)] of plc_runs' runs on real speech."""
    ins = vectors.read_records(os.path.join(COMMITTED, "plc_runs.in"))
    outs = vectors.read_records(os.path.join(COMMITTED, "plc_runs.pcm"))
    labels = [v[1] for _, v in sorted(vectors.read_manifest(COMMITTED).frames["plc_runs.in"].items())]
    starts = [i for i, b in enumerate(ins) if vectors.is_run_start("plc", b)] + [len(ins)]
    return [(ins[a:b], outs[a:b]) for a, b in zip(starts, starts[1:]) if labels[a].startswith(vectors.PLC_CLIP)]


@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_float_reference_follows_the_plc_vectors(data, weights):
    """Item 4, PLC runs: Hypothesis picks a run on real speech and one of its concealed frames;
    dredfx.ref.plc (libopus' float lpcnet_plc_*) replays the run's records up to that frame, which
    is within the PLC contract of tests/test_plc.py of the vectors' expected frame: SNR above
    10 dB (measured on all 26 such frames: 14.2 to 34.7 dB; the PLC re-anchors on every good
    frame, so the float and fixed outputs stay close through a run)."""
    from dredfx.ref import plc as ref_plc
    runs = _plc_speech_runs()
    assert len(runs) == 3
    ins, outs = runs[data.draw(st.integers(0, len(runs) - 1), label="run")]
    conceals = [i for i, b in enumerate(ins) if vectors.plc_record(b)[0] == vectors.PLC_CONCEAL]
    stop = conceals[data.draw(st.integers(0, len(conceals) - 1), label="concealed frame")]
    r = ref_plc.PLC(weights)
    for i in range(1, stop + 1):
        kind, arg = vectors.plc_record(ins[i])
        if kind == vectors.PLC_UPDATE:
            r.update(arg)
        elif kind in (vectors.PLC_FEC_ADD, vectors.PLC_FEC_SKIP):
            r.fec_add(None if arg is None else (arg / 65536.0).astype(np.float32))
        elif kind == vectors.PLC_CONCEAL:
            y = r.conceal().astype(np.float64)
    d = np.frombuffer(outs[stop], "<i2", 160, 4).astype(np.float64)
    snr = 10 * np.log10(np.sum(y ** 2) / max(np.sum((y - d) ** 2), 1e-9))
    assert snr > 10, (stop, snr)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_float_reference_follows_the_features(data, weights):
    """Item 4, layer 1 features: Hypothesis picks a real_parse frame with latents; libopus' float
    RDO-VAE decoder (dredfx.ref.rdovae, libopus' generic build bit for bit) on libopus' float
    dequantized values is within dred_compare -features' official limits of the vectors' features
    (tot 0.5, max 0.15, pitch 0.02 where a frame is voiced), and at most 0.5 from them anywhere
    (docs/accuracy.md: dredfx against the float reference, largest error 0.334 over 69,060 frames)."""
    from dredfx import dred_compare
    from dredfx.ref import dred as ref_dred, rdovae as ref_rdovae
    m = vectors.read_manifest(COMMITTED)
    ins = vectors.read_records(os.path.join(COMMITTED, "real_parse.in"))
    feats = vectors.read_records(os.path.join(COMMITTED, "real_parse.features"))
    idx = [i for i, f in enumerate(feats) if f]
    i = idx[data.draw(st.integers(0, len(idx) - 1), label="frame")]
    impl = vectors.Impl("ref", weights)
    _, _, p, _ = impl.run("dred-parse", ins[i])
    state, latents = ref_dred.dequantize(p, impl.stats)
    if "dec" not in _REF:
        _REF["dec"] = ref_rdovae.Decoder(weights.arrays)
    got = _REF["dec"].decode_all(state, latents[:p.nb_latents])
    want = (np.frombuffer(feats[i], "<i4").reshape(-1, 20) / 65536.0).astype(np.float32)
    tot, mx, pitch = dred_compare.features(want, got)
    label = m.frames["real_parse.in"][i][1]
    assert tot <= 0.5 and mx <= 0.15 and (np.isnan(pitch) or pitch <= 0.02), (label, tot, mx, pitch)
    assert np.abs(got - want).max() <= 0.5, (label, np.abs(got - want).max())
