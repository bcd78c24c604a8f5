"""`dredfx simulate`: the receiver against libopus' opus_demo (sample for sample), the reports, the
inputs users have, corpus runs on a process pool and on a dask cluster, and every row of the
bad-input table (README). Short clips (2.5 s cut from the bundled one) keep it to seconds."""
import json
import os
import subprocess

import numpy as np
import pytest

from dredfx import cli, loss, simulate

from conftest import libopus_build

pytestmark = pytest.mark.interop
soundfile = pytest.importorskip("soundfile")
pytest.importorskip("soxr")


@pytest.fixture(scope="module")
def builds(weights):
    """Both libopus builds (libopus.so for the libopus rows and the fallback codec)."""
    return {v: libopus_build(v) for v in ("x86", "generic")}


@pytest.fixture(scope="module")
def pcm():
    x, _ = soundfile.read(simulate.DEFAULT_CLIP, dtype="int16")
    return x


@pytest.fixture(scope="module")
def clip(tmp_path_factory, pcm):
    """2.5 s of the bundled clip as a wav."""
    path = str(tmp_path_factory.mktemp("clip") / "clip.wav")
    soundfile.write(path, pcm[:40000], 16000, subtype="PCM_16")
    return path


def opus_built():
    try:
        import dredfx.opus  # noqa: F401
    except ImportError:
        return False
    return True


def sim(*args):
    return cli.main(["simulate", *map(str, args), "--quiet"])


def report(out):
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def test_the_bundled_clip_is_real_speech_under_10_s_with_its_licence(pcm):
    assert 5.0 < pcm.size / 16000 < 10.0
    assert np.abs(pcm).max() > 8000
    text = open(os.path.join(simulate.DATA_DIR, "allison-demo-congrats.LICENSE.txt")).read()
    assert "Allison Smith" in text and "Attribution-ShareAlike 3.0" in text


def test_run_with_libopus_beside(builds, clip, tmp_path):
    pytest.importorskip("pesq")
    out = tmp_path / "o"
    assert sim(clip, "--modes", "plc,dred", "--compare-libopus", "--out", out) == 0
    r = report(out)
    assert r["dredfx_fallback_to_libopus"] == (not opus_built())
    assert r["settings"]["bitrate"] == 24000 and r["settings"]["loss"] == "lossgen:20"
    lost = np.array([c == "1" for c in r["loss"]["pattern"]])
    assert r["loss"]["packets"] == lost.size == 126  # 2.5 s and 10 ms of room for the look-ahead, 20 ms packets
    assert r["loss"]["lost"] == lost.sum() > 10
    rows = {(x["codec"], x["mode"]): x for x in r["rows"]}
    assert set(rows) == {(c, m) for c in simulate.CODECS for m in ("plc", "dred")}
    for x in rows.values():
        assert sum(x["recovered_by"].values()) == x["lost"] == lost.sum()
        assert 1.0 < x["pesq_wb"] < 4.7 and 0.3 < x["stoi"] <= 1.0 and 1.0 < x["plcmos"] < 5.0
        assert (out / r["wav"]["%s/%s" % (x["codec"], x["mode"])]).exists()
    for c in simulate.CODECS:
        plc, dred = rows[(c, "plc")], rows[(c, "dred")]
        assert plc["recovered_by"]["plc"] == plc["lost"] and plc["dred_kbps"] == 0
        assert dred["recovered_by"]["dred"] > 0 and 5 < dred["dred_kbps"] < 15
        assert 20 < plc["core_kbps"] + plc["dred_kbps"] < 28 and 20 < dred["core_kbps"] + dred["dred_kbps"] < 28
        assert dred["pesq_wb"] > plc["pesq_wb"] + 0.2
    if r["dredfx_fallback_to_libopus"]:
        for m in ("plc", "dred"):
            a, b = dict(rows[("dredfx", m)]), dict(rows[("libopus-x86", m)])
            assert {k: v for k, v in a.items() if k != "codec"} == {k: v for k, v in b.items() if k != "codec"}
    md = (out / "report.md").read_text()
    assert "| libopus-generic | dred |" in md and "PLCMOS" in md
    pytest.importorskip("matplotlib")
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("spec,modes", [("lossgen:25", ("plc", "lbrr", "dred")), ("ge:30,4", ("dred+lbrr",))])
def test_receiver_is_opus_demo_sample_for_sample(builds, pcm, tmp_path, spec, modes):
    """libopus' own opus_demo, given the same pattern (-lossfile), encoder settings and decoder
    complexity, writes the same samples as simulate's libopus rows: the LBRR/DRED/PLC choice and
    the DRED offsets are opus_demo's. Up to the last packet that arrived: opus_demo does not
    conceal a loss at the very end."""
    x = pcm[:32000]
    s = simulate.Settings(loss=spec, modes=modes, bitrate=32000)
    r = simulate.run_clip(x, s, codecs=("libopus-x86",))
    lost = np.array(r["lost"])
    trace, raw, dec = tmp_path / "trace.txt", tmp_path / "in.sw", tmp_path / "out.sw"
    trace.write_text("\n".join(str(int(v)) for v in lost))
    x.tofile(raw)
    end = (np.flatnonzero(~lost)[-1] + 1) * s.frame - r["lookahead"]
    seen = set()
    for row in r["rows"]:
        cmd = [os.path.join(builds["x86"], "opus_demo"), "voip", "16000", "1", "32000",
               "-loss", str(int(round(100 * lost.mean()))), "-lossfile", str(trace), "-dec_complexity", "5"]
        cmd += ["-dred", "100"] if "dred" in row["mode"] else []
        cmd += ["-inbandfec"] if "lbrr" in row["mode"] else []
        subprocess.run(cmd + [str(raw), str(dec)], check=True, capture_output=True)
        ref = np.fromfile(dec, np.int16)
        assert ref.size == x.size
        np.testing.assert_array_equal(row["audio"][:end], ref[:end])
        seen |= {k for k, v in row["recovered_by"].items() if v}
    assert seen == {"plc", "lbrr", "dred"}


def test_jitter_limits_what_a_later_packet_can_rebuild(builds, pcm):
    x = pcm[:24000]
    free = simulate.run_clip(x, simulate.Settings(loss="ge:30,4", modes=("dred",)), keep_audio=False)
    one = simulate.run_clip(x, simulate.Settings(loss="ge:30,4", modes=("dred",), jitter_ms=20), keep_audio=False)
    none = simulate.run_clip(x, simulate.Settings(loss="ge:30,4", modes=("dred",), jitter_ms=0), keep_audio=False)
    lost = np.array(free["lost"])
    # With 20 ms of look-ahead only the last packet of a burst can be rebuilt from the next one.
    last_of_burst = int(np.sum(lost[:-1] & ~lost[1:]))
    assert none["rows"][0]["recovered_by"]["dred"] == 0
    assert 0 < one["rows"][0]["recovered_by"]["dred"] <= last_of_burst < free["rows"][0]["recovered_by"]["dred"]


def test_inputs_users_have(tmp_path, pcm):
    """Stereo 44.1 kHz int24, float wav, FLAC, raw s16: mono at the codec rate through soxr."""
    t = np.arange(44100) / 44100.0
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    st = tmp_path / "st.wav"
    soundfile.write(str(st), np.stack([tone, tone], 1), 44100, subtype="PCM_24")
    y, meta = simulate.load_audio(str(st), 16000)
    assert y.dtype == np.int16 and y.size == 16000 and meta["channels"] == 2 and meta["source_rate"] == 44100
    assert abs(np.abs(y[1000:-1000]).max() / 32768.0 - 0.5) < 0.01
    fl = tmp_path / "f.wav"
    soundfile.write(str(fl), tone.astype(np.float32), 44100, subtype="FLOAT")
    y48, _ = simulate.load_audio(str(fl), 48000)
    assert y48.size == 48000
    raw = tmp_path / "x.raw"
    pcm[:16000].tofile(raw)
    y, meta = simulate.load_audio(str(raw), 16000, raw_rate=16000)
    np.testing.assert_array_equal(y, pcm[:16000])
    y8, _ = simulate.load_audio(str(raw), 16000, raw_rate=8000)
    assert y8.size == 32000
    y, meta = simulate.load_audio(simulate.DEFAULT_CLIP, 16000)
    np.testing.assert_array_equal(y, pcm)


def test_48k_run(builds, pcm, tmp_path):
    pytest.importorskip("pesq")
    wav = tmp_path / "c48.wav"
    soundfile.write(str(wav), pcm[:32000], 16000)  # resampled up to 48 kHz by simulate
    assert sim(wav, "--rate", "48k", "--modes", "dred", "--out", tmp_path / "o") == 0
    r = report(tmp_path / "o")
    assert r["settings"]["rate"] == 48000 and r["rows"][0]["recovered_by"]["dred"] > 0
    assert 1.0 < r["rows"][0]["pesq_wb"] < 4.7


def test_scores_are_reproducible_and_leave_numpy_random_alone(pcm):
    pytest.importorskip("speechmos")
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    deg = pcm[:32000].copy()
    deg[8000:9600] = 0
    a = simulate.scores(pcm[:32000], deg, 16000)
    assert np.random.random() == before
    b = simulate.scores(pcm[:32000], deg, 16000)
    assert a == b and a["pesq_wb"] < simulate.scores(pcm[:32000], pcm[:32000], 16000)["pesq_wb"]


def test_interval95():
    m, h = simulate.interval95([1.0, 2.0, 3.0, None])
    assert m == 2.0 and h == pytest.approx(4.302653 / np.sqrt(3), rel=1e-6)  # t(0.975, 2) * s / sqrt(n)
    assert simulate.interval95([None]) == (None, None) and simulate.interval95([2.0]) == (2.0, None)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, pcm):
    d = tmp_path_factory.mktemp("corpus")
    for k, start in enumerate((0, 48000)):
        soundfile.write(str(d / ("c%d.wav" % k)), pcm[start:start + 32000], 16000)
    return d


def test_corpus_on_a_process_pool_and_on_a_dask_cluster(builds, corpus, tmp_path):
    """The same jobs give the same aggregated report on a process pool and on a dask cluster
    (distributed.LocalCluster, in-process workers); each clip gets its own loss seed."""
    pytest.importorskip("pesq")
    distributed = pytest.importorskip("distributed")
    assert sim(corpus / "*.wav", "--modes", "dred", "--jobs", "2", "--out", tmp_path / "pool") == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        assert sim(corpus, "--modes", "dred", "--dask", cluster.scheduler_address,
                   "--out", tmp_path / "dask") == 0
    a, b = report(tmp_path / "pool"), report(tmp_path / "dask")
    assert a["clips"] == 2 and a["aggregate"] == b["aggregate"]
    assert [c["loss_model"] for c in a["per_clip"]] == [loss.LossGen(20, seed=s).describe() for s in (1, 2)]
    for g in a["aggregate"]:
        rows = [next(x for x in c["rows"] if (x["codec"], x["mode"]) == (g["codec"], g["mode"])) for c in a["per_clip"]]
        assert g["pesq_wb"] == pytest.approx(np.mean([x["pesq_wb"] for x in rows]))
        assert g["pesq_wb_ci95"] == pytest.approx(12.7062047 * np.std([x["pesq_wb"] for x in rows], ddof=1) / np.sqrt(2))
    assert (tmp_path / "pool" / "clips" / "c1" / "dredfx-dred.wav").exists()
    assert "Mean over the clips" in (tmp_path / "pool" / "report.md").read_text()


# The bad-input table of the README, one test per row.


def err(capsys):
    e = capsys.readouterr().err
    assert e.count("\n") == 1 and e.startswith("dredfx: error: "), e
    return e


def test_bad_missing_file(tmp_path, capsys):
    assert sim(tmp_path / "none.wav") == 1
    assert "no such file" in err(capsys)


def test_bad_unreadable_audio(tmp_path, capsys):
    p = tmp_path / "text.wav"
    p.write_text("not audio")
    assert sim(p) == 1
    assert "cannot read audio" in err(capsys)


def test_bad_empty_audio(tmp_path, capsys):
    p = tmp_path / "empty.wav"
    soundfile.write(str(p), np.zeros(0, np.int16), 16000)
    assert sim(p) == 1
    assert "no audio samples" in err(capsys)
    soundfile.write(str(p), np.zeros(1500, np.int16), 16000)
    assert sim(p) == 1
    assert "0.094 s of audio, under the 0.1 s" in err(capsys)


def test_bad_raw_without_rate_and_odd_raw(tmp_path, capsys):
    p = tmp_path / "x.raw"
    p.write_bytes(b"\x00\x01" * 1000)
    assert sim(p) == 1
    assert "needs --raw-rate" in err(capsys)
    p.write_bytes(b"\x00" * 2001)
    assert sim(p, "--raw-rate", "16000") == 1
    assert "not whole s16le samples" in err(capsys)


def test_bad_rate_opus_cannot_take(capsys):
    assert sim("--rate", "44.1k") == 1
    assert "Opus takes 8, 12, 16, 24 and 48 kHz only" in err(capsys)
    assert sim("--rate", "8k") == 1
    assert "rate must be 16k or 48k" in err(capsys)


def test_bad_corrupt_trace(tmp_path, capsys):
    t = tmp_path / "t.txt"
    t.write_text("0 1 0\n1 2\n")
    assert sim("--loss", "trace:%s" % t) == 1
    assert "line 2: '2' is not 0 or 1" in err(capsys)
    t.write_text("# only a comment\n")
    assert sim("--loss", "trace:%s" % t) == 1
    assert "is empty" in err(capsys)


def test_trace_shorter_than_the_stream_repeats(builds, clip, tmp_path):
    t = tmp_path / "t.txt"
    t.write_text("0 0 0 1 # a loss every fourth packet\n0 0 1 1\n")
    assert sim(clip, "--loss", "trace:%s" % t, "--modes", "plc", "--out", tmp_path / "o") == 0
    r = report(tmp_path / "o")
    assert r["loss"]["pattern"] == ("00010011" * 16)[:126]
    assert "repeated" in r["settings"]["loss_model"]


def test_no_loss(builds, clip, tmp_path):
    assert sim(clip, "--loss", "bernoulli:0", "--modes", "dred", "--out", tmp_path / "o") == 0
    r = report(tmp_path / "o")
    for x in r["rows"]:
        assert x["lost"] == 0 and x["recovered_by"] == {"lbrr": 0, "dred": 0, "plc": 0}
        assert x["pesq_wb"] is None or x["pesq_wb"] > 3.0


def test_all_packets_lost(builds, clip, tmp_path):
    """Nothing ever arrives, so nothing is rebuilt from redundancy: PLC everywhere, scores computed
    or null with the reason."""
    assert sim(clip, "--loss", "bernoulli:100", "--modes", "dred", "--out", tmp_path / "o") == 0
    r = report(tmp_path / "o")
    for x in r["rows"]:
        assert x["lost"] == x["packets"] == x["recovered_by"]["plc"] == 126
        for k in ("pesq_wb", "stoi", "plcmos"):
            assert x[k] is not None or k in x["score_errors"]


@pytest.mark.parametrize("bitrate", ["5k", "600000"])
def test_bad_bitrate_outside_opus_range(capsys, bitrate):
    assert sim("--bitrate", bitrate) == 1
    assert "6k to 510k" in err(capsys)


@pytest.mark.parametrize("args,message", [
    (("--modes", "plc,fec"), "modes must be distinct names among plc,lbrr,dred,dred+lbrr"),
    (("--frame", "7"), "frame must be one of (10, 20, 40, 60) ms"),
    (("--dred-ms", "5"), "dred-ms must be a multiple of 10"),
    (("--jitter-ms", "-1"), "jitter-ms must be >= 0"),
    (("--loss", "bernoulli:120"), "loss_pct must be a percentage in [0, 100]"),
    (("--loss", "wifi"), "unknown loss model"),
    (("--jobs", "0", "nowhere/*.wav"), "no file matches"),
])
def test_bad_options(capsys, args, message):
    assert sim(*args) == 1
    assert message in err(capsys)


def test_bad_folder_without_audio(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert sim(tmp_path) == 1
    assert "a folder without audio files" in err(capsys)


def test_bad_dask_address(monkeypatch, corpus, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(simulate, "DASK_TIMEOUT_S", 1)
    assert sim(corpus, "--dask", "tcp://127.0.0.1:9") == 1
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in err(capsys)


def test_loss_pattern_is_shared_by_every_mode(builds, pcm):
    r = simulate.run_clip(pcm[:16000], simulate.Settings(loss="lossgen:30", modes=("plc", "lbrr")), keep_audio=False)
    assert r["lost"] == [bool(v) for v in loss.LossGen(30).pattern(len(r["lost"]))]
    assert r["rows"][0]["lost"] == r["rows"][1]["lost"] == sum(r["lost"])
