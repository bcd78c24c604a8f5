"""Command line: inspect an opus_demo -e bitstream, weights info, clear errors on bad input."""
import json
import struct

import numpy as np
import pytest

from dredfx import cli, dred
from dredfx import packet as _packet


@pytest.fixture(scope="module")
def w(weights):
    return weights


def dred_packet(w, q0, nb):
    """A code-3 packet with one SILK frame byte and a DRED extension of nb chunks at level q0."""
    p = dred.DredPayload(q0=q0, dq=0, qmax=15, dred_offset=10, dred_frame_offset=0,
                         nb_latents=nb, state_q=np.zeros(50, np.int32),
                         latents_q=np.zeros((nb, 25), np.int32))
    ext = dred.build_dred_extension(p, weights=w)
    padding = _packet.generate_extensions([(126, 0, ext)], 1)
    return _packet.build_packet(1, 0, [b"\x0b"], padding=padding, force_code3=True)


def write_bitstream(path, packets):
    with open(path, "wb") as f:
        for p in packets:
            f.write(struct.pack(">II", len(p), 0) + p)


def test_inspect_reports_each_packet(tmp_path, w, capsys):
    path = tmp_path / "s.bit"
    write_bitstream(path, [dred_packet(w, 6, 5), b"", dred_packet(w, 9, 2), b"\x08\x00"])
    assert cli.main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = out["summary"]
    assert (s["packets"], s["lost_marked"], s["with_dred"], s["invalid"]) == (4, 1, 2, 0)
    d0, d2 = out["packets"][0]["dred"], out["packets"][2]["dred"]
    assert (d0["q0"], d0["nb_latents"], d2["q0"], d2["nb_latents"]) == (6, 5, 9, 2)
    # 5 chunks of 40 ms minus dred_offset 10 (25 ms): 175 ms, as libopus' return value.
    assert d0["covered_ms"] == pytest.approx(175.0)
    assert out["packets"][3]["dred"] is None


def test_inspect_plot(tmp_path, w):
    pytest.importorskip("matplotlib")
    path = tmp_path / "s.bit"
    write_bitstream(path, [dred_packet(w, 6, 5)] * 10 + [b""])
    png = tmp_path / "p.png"
    assert cli.main(["inspect", str(path), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("content", [b"\x00\x00\x00", b"\x00\x00\x05\xdd\x00\x00\x00\x00abc",
                                     b"\xff\xff\xff\xff\x00\x00\x00\x00"])
def test_inspect_rejects_a_file_that_is_no_bitstream(tmp_path, content, capsys):
    path = tmp_path / "bad.bit"
    path.write_bytes(content)
    assert cli.main(["inspect", str(path)]) == 1
    assert "not an opus_demo -e file" in capsys.readouterr().err


def test_inspect_counts_invalid_packets(tmp_path, w, capsys):
    path = tmp_path / "s.bit"
    write_bitstream(path, [b"\x03", dred_packet(w, 6, 1)])  # code 3 without its frame-count byte
    assert cli.main(["inspect", str(path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)["summary"]
    assert (s["invalid"], s["with_dred"]) == (1, 1)


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["inspect", str(tmp_path / "none.bit")]) == 1
    assert "No such file" in capsys.readouterr().err


def test_weights_info(w, capsys):
    assert cli.main(["weights", "info"]) == 0
    out = capsys.readouterr().out
    assert "libopus 1.6.1" in out and "rdovaedec" in out and w.sha256 in out
