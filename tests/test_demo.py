"""The main job end to end on a short real speech clip: libopus 1.6.1 encodes with DRED under
20 % loss, dredfx parses the DRED and strips it for the baseline, PESQ-WB scores both."""
import os
import subprocess

import pytest

from dredfx import demo
from dredfx import packet as _packet

from conftest import libopus_build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def opus_build():
    return libopus_build("x86")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    if not os.path.exists(demo.DEFAULT_CLIP):
        pytest.skip("asterisk-core-sounds-en-g722 is not installed (scripts/install-deps.sh)")
    out = str(tmp_path_factory.mktemp("clip") / "clip.wav")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "g722", "-i", demo.DEFAULT_CLIP, "-t", "8",
                    "-ar", "16000", out], check=True)
    return out


def test_dred_beats_no_dred_under_loss(opus_build, clip, tmp_path):
    pytest.importorskip("pesq")
    scores = demo.run(opus_build, clip=clip, bitrate=32000, loss=20, outdir=str(tmp_path))
    with_dred, without = scores["with DRED"], scores["without DRED"]
    assert 1.0 < without < with_dred <= 4.65
    assert with_dred - without > 0.3, scores
    packets = _packet.read_opus_demo(str(tmp_path / "dred.bit"))
    assert len(packets) == 401  # 8 s of 20 ms packets, plus the one opus_demo adds to flush its delay
    stripped = _packet.read_opus_demo(str(tmp_path / "nodred.bit"))
    for p, s in zip(packets, stripped):
        if p:
            assert _packet.parse_packet(s).frames == _packet.parse_packet(p).frames
            assert _packet.parse_packet(s).padding == b""
    pytest.importorskip("matplotlib")
    assert (tmp_path / "dred.png").read_bytes()[:4] == b"\x89PNG"


def test_strip_dred_keeps_packets_without_padding():
    p = _packet.build_packet(1, 0, [b"\x0b\x0c"])
    assert demo.strip_dred([p, b""]) == [p, b""]


def test_missing_opus_demo_is_a_clear_error(tmp_path):
    from dredfx.errors import DredfxError
    with pytest.raises(DredfxError, match="build-libopus"):
        demo.run(str(tmp_path), outdir=str(tmp_path / "o"))
