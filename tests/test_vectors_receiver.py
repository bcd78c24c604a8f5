"""Layer 3 of the conformance vectors, the receiver (op opus-receive: Opus packets with a loss
pattern -> PCM through dredfx-opus; docs/conformance.md "Layer 3"): what the committed sets
cover, that a changed expected sample fails both checkers and names its frame, the tolerance mode
of receive_celt (Python: dred_compare -audio on the run; C: bit identity), and the expected PCM
against libopus 1.6.1's own decoder on the same packets and loss pattern."""
import hashlib
import os
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest

from dredfx import vectors

from conftest import c_program, libopus_build

pytestmark = pytest.mark.weights
pytest.importorskip("dredfx.opus", reason="dredfx.opus (dredfx-opus) is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "vectors")
SETS = ("receive_silk", "receive_celt")


@pytest.fixture(scope="module")
def checker(weights):
    """The C checker; skipped where it was built without dredfx-opus (the ctest
    dredfx_vectors_layer3_skipped of such a build checks that it says so)."""
    cmd = [c_program("dredfx-vectors-check", "DREDFX_VECTORS_CHECK"), "--weights", weights.path]
    rc, text = _run_c(cmd, COMMITTED)
    if "built without dredfx-opus" in text:
        pytest.skip("dredfx-vectors-check was built without dredfx-opus: " + text.splitlines()[-1])
    assert rc == 0, text
    return cmd


def _run_c(cmd, folder):
    r = subprocess.run(cmd + [folder], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def _set(name, folder=COMMITTED):
    """(inputs, expected pcm records, labels) of a committed layer 3 set."""
    ins = vectors.read_records(os.path.join(folder, name + ".in"))
    outs = vectors.read_records(os.path.join(folder, name + ".pcm"))
    m = vectors.read_manifest(folder)
    labels = [m.frames[name + ".in"][i][1] for i in range(len(ins))]
    return ins, outs, labels


def _rewrite(folder, fname, recs):
    """Writes a record file and puts its SHA-256, size and frame MD5s into the manifest (the
    expected output changed "officially": only the comparison with the computed output sees it)."""
    path = os.path.join(folder, fname)
    vectors.write_records(path, recs)
    with open(path, "rb") as f:
        data = f.read()
    mpath = os.path.join(folder, vectors.MANIFEST)
    with open(mpath) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        t = line.split()
        if t[:2] == ["file", fname]:
            line = "file %s %d %s" % (fname, len(data), hashlib.sha256(data).hexdigest())
        elif t[:2] == ["frame", fname]:
            line = "frame %s %s %s" % (fname, t[2], hashlib.md5(recs[int(t[2])]).hexdigest())
        out.append(line)
    with open(mpath, "w") as f:
        f.write("\n".join(out) + "\n")


def _how(label):
    """What a layer 3 label says of its slot: init, packet, lost,dred, lost,dred-beyond, lost,plc."""
    return label.split("#")[-1].split("_", 1)[-1]


def test_receive_sets_cover_the_procedure():
    """What the committed sets reach (measured on their records): SILK-only wideband packets at
    16 kHz; CELT-only and hybrid packets at 48 kHz, a stereo run of 10 ms; single losses, bursts,
    losses at the stream start concealed from DRED, a 1000 ms burst whose first 23 slots lie
    past the DRED's reach (the PLC goes on inside opus_decoder_dred_decode), trailing losses
    concealed by the PLC alone; every slot gives its duration."""
    kinds = {}
    for name in SETS:
        ins, outs, labels = _set(name)
        for body, out, label in zip(ins, outs, labels):
            kind, arg = vectors.rx_record(body)
            status = struct.unpack_from("<i", out)[0]
            how = _how(label)
            kinds.setdefault(name, {}).setdefault(how, 0)
            kinds[name][how] += 1
            if kind == vectors.RX_INIT:
                rate, channels = arg
                assert status == 0 and len(out) == 4
                continue
            n = rate * (10 if "10ms" in label else 20) // 1000
            assert status == n and len(out) == 4 + 2 * n * channels, label
            if kind == vectors.RX_PACKET:
                kinds[name].setdefault("toc", set()).add(arg[0] >> 3)
    silk, celt = kinds["receive_silk"], kinds["receive_celt"]
    assert silk.pop("toc") == {9}                      # SILK-only wideband, 20 ms
    assert silk == {"init": 3, "packet": 150, "lost,dred": 61, "lost,dred-beyond": 26, "lost,plc": 3}
    # SILK WB, hybrid SWB/FB of 20 and 10 ms, CELT-only SWB/FB
    assert celt.pop("toc") == {9, 12, 13, 14, 15, 27, 31}
    assert celt == {"init": 3, "packet": 66, "lost,dred": 23, "lost,dred-beyond": 1}
    labels = _set("receive_silk")[2]
    burst = [_how(lab) for lab in labels if re.search(r"^en-1.*#(7[89]|[89]\d|1[01]\d|12[0-7])_", lab)]
    assert burst == ["lost,dred-beyond"] * 23 + ["lost,dred"] * 27
    start = [_how(lab) for lab in labels if re.search(r"^fr-2.*#[0-3]_", lab)]
    assert start == ["lost,dred-beyond", "lost,dred", "lost,dred", "lost,dred"]
    assert [_how(lab) for lab in labels if re.search(r"^es-1.*#4[7-9]_", lab)] == ["lost,plc"] * 3


@pytest.mark.parametrize("name,how", [("receive_silk", "lost,dred"), ("receive_silk", "lost,dred-beyond"),
                                      ("receive_silk", "packet"), ("receive_celt", "lost,dred")])
def test_changed_sample_fails_both_naming_the_frame(tmp_path, checker, weights, name, how):
    """One flipped bit of one expected sample of a layer 3 slot (a DRED frame, a frame past the
    DRED's reach, a decoded packet; CELT too): both checkers fail, name the set, the frame with its
    label, the sample and both values, and (a stateful op) count the later frames of the run."""
    folder = os.path.join(str(tmp_path), "v")
    shutil.copytree(COMMITTED, folder)
    ins, outs, labels = _set(name, folder)
    frame = [i for i, lab in enumerate(labels) if _how(lab) == how][3]
    sample = 100
    recs = list(outs)
    rec = bytearray(recs[frame])
    want = struct.unpack_from("<h", rec, 4 + 2 * sample)[0]
    rec[4 + 2 * sample] ^= 0x10
    changed = struct.unpack_from("<h", rec, 4 + 2 * sample)[0]
    recs[frame] = bytes(rec)
    vectors.write_records(os.path.join(folder, name + ".pcm"), recs)
    line = "set %s frame %d (%s) stage pcm: sample %d: computed %d, expected %d (1 samples differ)" % (
        name, frame, labels[frame], sample, want, changed)
    rep = vectors.verify(folder, "c", weights.path)
    assert not rep.ok
    assert any(e.startswith(line) for e in rep.errors), rep.errors
    assert "%s.pcm: SHA-256 differs from the manifest (file changed)" % name in rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    fails = [x for x in text.splitlines() if x.startswith("FAIL: set ")]
    assert len(fails) == 1 and fails[0].startswith("FAIL: " + line), text


def test_tolerance_mode(tmp_path, checker, weights):
    """receive_celt's mode dred_compare-audio:1,3,0.25, with expected samples changed and the
    manifest updated to them: +-1 on every sample of a run's lost slots is within the tolerance
    for Python's checker (a note names the run's first differing frame and the metrics), and
    the C checker, which holds dredfx-opus to bit identity, fails naming that frame; silence in
    place of a run's last 20 slots is over the limits for both."""
    folder = os.path.join(str(tmp_path), "v")
    shutil.copytree(COMMITTED, folder)
    ins, outs, labels = _set("receive_celt", folder)
    runs = vectors.rx_runs(ins)
    first, nxt = runs[0][0], runs[1][0]
    lost = [i for i in range(first, nxt) if _how(labels[i]).startswith("lost")]
    recs = list(outs)
    for i in lost:
        x = np.frombuffer(recs[i], "<i2", offset=4).astype(np.int32)
        x = np.clip(x + np.where(np.arange(x.size) % 2, 1, -1), -32768, 32767).astype("<i2")
        recs[i] = recs[i][:4] + x.tobytes()
    _rewrite(folder, "receive_celt.pcm", recs)
    rep = vectors.verify(folder, "c", weights.path)
    assert rep.ok, rep.errors
    note = [n for n in rep.notes if n.startswith("set receive_celt frames %d..%d: %d frames differ in bits "
                                                 "from frame %d (%s) on: dred_compare -audio err4 " % (
                                                     first, nxt - 1, len(lost), lost[0], labels[lost[0]]))]
    assert len(note) == 1 and note[0].endswith("(limits 1,3,0.25): within the tolerance"), rep.notes
    err4 = float(re.search(r"err4 ([0-9.]+)", note[0]).group(1))
    assert 0 < err4 < 0.05, note
    assert "set receive_celt (dred_compare-audio:1,3,0.25): 2 runs bit-identical, 1 within the tolerance" \
        in rep.notes
    rc, text = _run_c(checker, folder)
    fails = [x for x in text.splitlines() if x.startswith("FAIL: ")]
    assert rc == 1 and len(fails) == 2, text
    assert fails[0].startswith("FAIL: set receive_celt frame %d (%s) stage pcm: sample 0: " % (
        lost[0], labels[lost[0]])) and "held to bit identity here" in fails[0], text
    assert fails[1] == ("FAIL: set receive_celt frames %d..%d: %d more frames differ after frame %d "
                        "(the state carries the difference)" % (lost[0] + 1, nxt - 1, len(lost) - 1,
                                                                lost[0])), text
    for i in range(nxt - 20, nxt):
        recs[i] = recs[i][:4] + bytes(len(recs[i]) - 4)
    _rewrite(folder, "receive_celt.pcm", recs)
    rep = vectors.verify(folder, "c", weights.path)
    assert len(rep.errors) == 1 and rep.errors[0].startswith(
        "set receive_celt frames %d..%d: " % (first, nxt - 1)) and rep.errors[0].endswith(
        ": over the limits"), rep.errors


def test_malformed_receive_record_fails_clearly(tmp_path, checker, weights):
    """A lost-slot record of the wrong size and a record of an unknown kind: both checkers name
    the frame and go on (no crash, exit status 1)."""
    folder = os.path.join(str(tmp_path), "v")
    shutil.copytree(COMMITTED, folder)
    path = os.path.join(folder, "receive_silk.in")
    recs = vectors.read_records(path)
    lost = next(i for i, r in enumerate(recs) if vectors.rx_record(r)[0] == vectors.RX_LOST)
    recs[lost] = recs[lost] + b"\0"
    recs[3] = struct.pack("<i", 9) + recs[3][4:]
    vectors.write_records(path, recs)
    rep = vectors.verify(folder, "c", weights.path)
    for i in (3, lost):
        assert any(e.startswith("set receive_silk frame %d " % i) and "opus-receive record: kind" in e
                   for e in rep.errors), rep.errors
    rc, text = _run_c(checker, folder)
    assert rc == 1, text
    for i in (3, lost):
        assert re.search(r"^FAIL: set receive_silk frame %d \(.*\): input record does not fit op" % i,
                         text, re.M), text


def test_python_checker_says_layer3_was_skipped(monkeypatch, weights):
    """Without dredfx.opus the Python checker skips layer 3 and says why; it never passes it
    silently."""
    monkeypatch.setattr(vectors.Impl, "opus_missing", lambda self: "dredfx.opus is not built")
    rep = vectors.verify(COMMITTED, "c", weights.path)
    assert rep.ok and rep.skipped == list(SETS)
    assert rep.skip_reasons == {"layer 3 (the receiver) needs dredfx.opus, which is not built: "
                                "dredfx.opus is not built": list(SETS)}
    assert 3 not in rep.layers


def _libopus_runs(variant):
    from dredfx import opus_libopus
    libopus_build(variant)
    be = opus_libopus.Backend(variant)
    out = []
    for name in SETS:
        ins, outs, labels = _set(name)
        for start, rate, channels, slots in vectors.rx_runs(ins):
            got = [np.asarray(p, np.int16).tobytes()
                   for _, p, _ in vectors.receive_slots(be, rate, channels, slots)]
            exp = [outs[start + 1 + k][4:] for k in range(len(slots))]
            first_loss = next(k for k, s in enumerate(slots) if s[0] is None)
            out.append((name, labels[start], rate, channels, first_loss, got, exp))
    return out


@pytest.mark.interop
def test_expected_pcm_against_libopus():
    """libopus 1.6.1's own decoder (its x86 build through dredfx.opus_libopus, opus_decode24
    rounded to 16 bits as opus_demo writes) on the same packets and loss pattern. Before a run's
    first loss, SILK frames are bit-exact, CELT and hybrid ones within 1 (float CELT: libopus' SSE
    build against dredfx-opus' plain C, and the 24-bit rounding). From the first loss on, libopus'
    float DRED, PLC and FARGAN take another path than dredfx's fixed point (measured: 44, 12, 11 of
    130, 60, 50 slots of the SILK runs bit-identical, the slots before the first loss and after
    the lost slots' effect fades), so each run is judged with dred_compare -audio, expected as
    the reference: measured err4 0.090-0.452, err16 0.243-0.997, pitch 0.0013-0.0149 over the six
    runs, within the limits 1.0, 3.0, 0.25 of receive_celt's tolerance."""
    figures = []
    for name, label, rate, channels, first_loss, got, exp in _libopus_runs("x86"):
        for k in range(first_loss):
            a = np.frombuffer(got[k], np.int16).astype(np.int32)
            b = np.frombuffer(exp[k], "<i2").astype(np.int32)
            assert np.max(np.abs(a - b)) <= (0 if name == "receive_silk" else 1), (label, k)
        m = vectors.audio_tolerance(got, exp, rate, channels)
        figures.append(m)
        assert vectors.passes_tolerance(m, (1.0, 3.0, 0.25)), (label, m)
    e4, e16, p = np.array(figures).T
    assert 0.05 < e4.min() and e4.max() < 0.6 and e16.max() < 1.3 and p.max() < 0.03, figures


def test_odd_receive_records_same_answer_in_both_checkers(tmp_path, checker, weights):
    """Records a vector set should not hold, made into a set whose expected outputs are the Python
    checker's: records before any init, an init the decoder refuses (7000 Hz, 3 channels, a
    negative rate), an empty packet, a lost slot past 120 ms, short and unknown records among
    lost slots (the procedure goes on without them), a 10-byte init. Both checkers name the same
    frames as not fitting the op and agree on every other record (statuses and samples)."""
    recs = vectors.read_records(os.path.join(COMMITTED, "receive_silk.in"))
    pks = [r for r in recs if vectors.rx_record(r)[0] == vectors.RX_PACKET]

    def lost(n):
        return struct.pack("<ii", vectors.RX_LOST, n)

    def init(rate, ch):
        return struct.pack("<iii", vectors.RX_INIT, rate, ch)

    bodies = [pks[40], init(7000, 1), pks[40], lost(100), init(-5, 1), pks[40], lost(320),
              init(16000, 3), pks[40], lost(320), init(16000, 1), lost(1921), lost(320),
              struct.pack("<i", vectors.RX_PACKET), pks[41], lost(320), b"\x02\x00", lost(320),
              b"\x09\0\0\0\0", lost(320), pks[60], pks[61], lost(320), struct.pack("<ii", 0, 3),
              lost(320), pks[62], lost(320), init(48000, 2), lost(960), pks[40], lost(960)]
    not_fitting = [0, 5, 6, 11, 13, 16, 18, 23]
    folder = str(tmp_path)
    run = vectors.Impl("c", weights)
    run.begin_set("opus-receive", bodies)
    outs = []
    for i, b in enumerate(bodies):
        try:
            outs.append(vectors.compute(run, "opus-receive", ["pcm"], b)[0])
        except vectors.VectorError:
            outs.append(b"")
    status = [struct.unpack_from("<i", o)[0] if o else None for o in outs]
    assert [i for i, s in enumerate(status) if s is None] == not_fitting
    assert status[1:5] == [-1] * 4 and status[7:11] == [-1, -1, -1, 0]   # OPUS_BAD_ARG: no decoder
    assert status[-4:] == [0, 960, 960, 960] and status.count(320) == 11
    s = vectors._spec("odd", 3, "opus-receive", [(b, "odd#%d" % i) for i, b in enumerate(bodies)])
    vectors.write_records(os.path.join(folder, "odd.in"), bodies)
    vectors.write_records(os.path.join(folder, "odd.pcm"), outs)
    vectors._write_manifest(folder, [s], weights.sha256)
    rep = vectors.verify(folder, "c", weights.path)
    want = ["set odd frame %d (odd#%d)" % (i, i) for i in not_fitting]
    assert [e.split(":")[0] for e in rep.errors] == want
    rc, text = _run_c(checker, folder)
    fails = [x[6:].split(":")[0] for x in text.splitlines() if x.startswith("FAIL: ")]
    assert rc == 1 and sorted(fails) == sorted(e.split(":")[0] for e in rep.errors), text
    assert all("input record does not fit op opus-receive" in x
               for x in text.splitlines() if x.startswith("FAIL"))
