"""Issue 14 item 6: libopus 1.6.1's DRED conformance format (its tests/dred_vectors.sh, in libopus'
git tag only: these tests run the same steps) both ways, with libopus' own dred_compare as the
judge, and dredfx.dred_compare (its metrics in NumPy) against dred_compare on the same files.

- libopus on dredfx's vectors: dredfx.libopus_vectors.export (8 corpus clips; features, DRED
  records and their decoding by dredfx; _opus.bit: libopus' SILK frames with dredfx's DRED)
  through libopus' fargan_demo, opus_demo and dred_compare.
- dredfx on libopus' vectors: export_libopus (every file by libopus' tools) through dredfx-demo
  (-dred-decoding, -fargan-synthesis); the opus_demo step needs dredfx-opus: $DREDFX_OPUS_DEMO
  (an opus_demo built on dredfx), else it is reported pending.

Measured (this machine, libopus x86 build): every DRED decoding and vocoder step passes both
ways; libopus' system step on dredfx's vectors passes too (err4 0.44-0.57, err16 1.01-2.18).
"""
import os
import re
import subprocess
import sys

import pytest

from dredfx import dred_compare, libopus_vectors as lv

from conftest import c_program, libopus_build

pytestmark = [pytest.mark.interop, pytest.mark.weights]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def tools():
    b = libopus_build("x86")
    return {k: os.path.join(b, k) for k in ("fargan_demo", "opus_demo", "dred_compare")}


@pytest.fixture(scope="module")
def dirs(weights, tools, tmp_path_factory):
    d = tmp_path_factory.mktemp("dredvec")
    made = {"dredfx": lv.export(str(d / "dredfx"), weights, tools["opus_demo"]),
            "libopus": lv.export_libopus(str(d / "libopus"), libopus_build("x86"), weights)}
    for m in made.values():
        assert len(m) == lv.NB_VECTORS
        assert all(v["records"] >= 20 and v["lost"] > 0 for v in m.values()), m
    return {k: str(d / k) for k in made}, d


def _procedure(dirs, name, fargan_demo, opus_demo, dred_compare_exe, env=None):
    folders, d = dirs
    work = str(d / ("work-" + name))
    os.makedirs(work, exist_ok=True)
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        rows = lv.run_procedure(folders[name], fargan_demo, opus_demo, dred_compare_exe, work)
    finally:
        os.environ.clear()
        os.environ.update(old)
    for r in rows:
        verdict = {True: "PASSED", False: "FAILED", None: "-"}[r[2]]
        print("%s vector%d %-8s %s %s" % (name, r[0], r[1], verdict, r[3]))
    return rows


@pytest.fixture(scope="module")
def libopus_on_dredfx(dirs, tools):
    return _procedure(dirs, "dredfx", tools["fargan_demo"], tools["opus_demo"], tools["dred_compare"])


@pytest.fixture(scope="module")
def dredfx_on_libopus(dirs, tools, weights):
    demo = c_program("dredfx-demo", "DREDFX_DEMO")
    return _procedure(dirs, "libopus", demo, os.environ.get("DREDFX_OPUS_DEMO"), tools["dred_compare"],
                      env={"DREDFX_WEIGHTS": weights.path})


def test_libopus_passes_dredfx_vectors(libopus_on_dredfx):
    assert len(libopus_on_dredfx) == 3 * lv.NB_VECTORS
    assert all(ok for _, step, ok, _, _ in libopus_on_dredfx), libopus_on_dredfx


def test_dredfx_passes_libopus_vectors(dredfx_on_libopus):
    steps = [r for r in dredfx_on_libopus if r[1] != "system" or os.environ.get("DREDFX_OPUS_DEMO")]
    assert len(steps) >= 2 * lv.NB_VECTORS
    assert all(ok for _, _, ok, _, _ in steps), steps
    if not os.environ.get("DREDFX_OPUS_DEMO"):
        assert all(r[2] is None and r[3].startswith("pending") for r in dredfx_on_libopus if r[1] == "system")


def _parse(line):
    return tuple(float(v) for v in re.findall(r"= ([-0-9.naif]+)", line))


def test_dred_compare_in_numpy_prints_the_same(libopus_on_dredfx, dredfx_on_libopus, dirs):
    """dredfx.dred_compare on the files dred_compare judged: the same figures to the six decimals
    it prints, and the same verdict. Every -features comparison; the -audio ones of vector 1 (each
    takes about 2.5 s in NumPy; all of them with DREDFX_SLOW=1)."""
    audio = range(1, lv.NB_VECTORS + 1) if os.environ.get("DREDFX_SLOW") == "1" else (1,)
    checked = {"features": 0, "audio": 0}
    for name, rows in (("dredfx", libopus_on_dredfx), ("libopus", dredfx_on_libopus)):
        p_dir = dirs[0][name]
        for i, step, ok, line, out in rows:
            if ok is None or (step != "dred" and i not in audio):
                continue
            p = lv.names(p_dir, i)
            if step == "dred":
                m, text = dred_compare.features(p["dred_dec.f32"], out), dred_compare.line_features
            else:
                m, text = dred_compare.audio(p["orig.sw"], out), dred_compare.line_audio
            assert text(m) == line, (name, i, step)
            assert dred_compare.passes(m, lv.LIMITS[step]) == ok
            checked["features" if step == "dred" else "audio"] += 1
    assert checked["features"] == 2 * lv.NB_VECTORS and checked["audio"] >= 3 * len(audio), checked


def test_check_libopus_cli(dirs, weights):
    """`python -m dredfx.vectors check-libopus` on libopus' vectors with dredfx's own decoder and
    vocoder (Python), vector 2: every step passes, the system step is pending."""
    r = subprocess.run([sys.executable, "-m", "dredfx.vectors", "check-libopus", dirs[0]["libopus"],
                        "--vector", "2", "--weights", weights.path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    print(r.stdout)
    assert r.returncode == 0, r.stdout
    lines = r.stdout.splitlines()
    assert sum(x.endswith(": PASSED") for x in lines) == 2
    assert sum(x.endswith(": pending") and "system" in x for x in lines) == 1
    assert lines[-1].endswith("3 steps, 0 failed, 0 system warnings, 1 pending: OK")


def test_dred_compare_edges():
    """dred_compare's refusals and its NaN rule, as dredfx.dred_compare reproduces them."""
    import numpy as np
    with pytest.raises(dred_compare.CompareError, match="Insufficient sample data"):
        dred_compare.audio(np.zeros(600, np.int16), np.zeros(600, np.int16))
    with pytest.raises(dred_compare.CompareError, match="Sample counts do not match"):
        dred_compare.audio(np.zeros(1600, np.int16), np.zeros(1500, np.int16))
    with pytest.raises(dred_compare.CompareError, match="truncated"):
        dred_compare.features(np.zeros((4, 20), np.float32), np.zeros((3, 20), np.float32))
    # no voiced frame: its pitch error is 0 / 0, which fails every threshold
    m = dred_compare.features(np.zeros((4, 20), np.float32), np.zeros((4, 20), np.float32))
    assert m[:2] == (0.0, 0.0) and np.isnan(m[2]) and not dred_compare.passes(m, lv.LIMITS["dred"])
