"""Frame timing of libopus 1.6.1's DRED decoding (docs/dred-timing.md): dredfx.dred.feature_frame_times
and dred_decode_rows against libopus itself (interop/dred_rows.c records the rows that
opus_decoder_dred_decode queues, on real packets of the interop data), against the expression of
src/opus_decoder.c (opus_decode_native) compiled here as C over a grid of arguments (float floor
and int truncation as libopus evaluates them), and worked cases checked by hand."""
import glob
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from dredfx import dred
from dredfx.errors import InvalidArgumentError

from conftest import interop_data_dir, libopus_build, run_script

# opus_decode_native's loop (src/opus_decoder.c, libopus 1.6.1), printing the queue it builds.
C_LOOP = r"""
#include <math.h>
#include <stdio.h>
int main(void) {
  int fs, d, nb, pos, fsz, init;
  while (scanf("%d %d %d %d %d %d", &fs, &d, &nb, &pos, &fsz, &init) == 6) {
    int F10 = fs / 100, features_per_frame = fsz / F10 > 1 ? fsz / F10 : 1;
    int needed = init + features_per_frame, i;
    for (i = 0; i < needed; i++) {
      int feature_offset = init - i - 2 + (int)floor(((float)pos + d * F10 / 4) / F10);
      if (feature_offset <= 4 * nb - 1 && feature_offset >= 0) printf("%d ", feature_offset);
      else if (feature_offset >= 0) printf("N ");
    }
    printf("\n");
  }
  return 0;
}
"""


def test_worked_cases():
    # 20 ms packets: dred_offset 10 (25 ms). At 48 kHz F10 = 480, trunc(10 * 480 / 4) = 1200:
    # row r for output frames starting in (1200 - (r + 3) 480, 1200 - (r + 2) 480].
    assert list(dred.feature_frame_times(10, 2)) == [240, -240, -720, -1200, -1680, -2160, -2640, -3120]
    # The packet's own first 10 ms (position 0): floor(1200 / 480) - 2 = row 0.
    assert dred.dred_decode_rows(10, 2, 0, 480) == [0]
    # 20 ms lost 40 ms before the packet: floor((1920 + 1200) / 480) - 2 = 4, then row 3.
    assert dred.dred_decode_rows(10, 2, 1920, 960) == [4, 3]
    # First loss: two older frames first (rows 6, 5), then the same 4, 3.
    assert dred.dred_decode_rows(10, 2, 1920, 960, first_loss=True) == [6, 5, 4, 3]
    # Past the covered 80 ms: NULL (None) for each frame, none for the future (negative rows).
    assert dred.dred_decode_rows(10, 2, 4800, 960) == [None, None]
    assert dred.dred_decode_rows(10, 2, -960, 960) == []
    # 2.5 ms frames still take one feature frame; negative dred_offset truncates toward zero:
    # trunc(-3 * 160 / 4) = -120 at 16 kHz.
    assert dred.dred_decode_rows(-3, 26, 800, 40, 16000) == [int(np.floor((800 - 120) / 160)) - 2]
    assert dred.feature_frame_times(-3, 1, 16000)[0] == -120 - 2 * 160
    assert dred.feature_frame_times(7, 0).shape == (0,)


def test_times_and_rows_agree():
    """A 10 ms call starting exactly at start[r] (position -start[r]) gets row r, one starting a
    sample later gets row r - 1 (row r's interval ends there)."""
    for fs in (8000, 16000, 48000):
        for d in (-40, -1, 0, 2, 6, 10, 16, 60):
            t = dred.feature_frame_times(d, 26, fs)
            for r in range(104):
                assert dred.dred_decode_rows(d, 26, int(-t[r]), fs // 100, fs) == [r]
                want = [r - 1] if r else []
                assert dred.dred_decode_rows(d, 26, int(-t[r]) - 1, fs // 100, fs) == want


def test_bad_arguments():
    for args in [(10, 27), (10, -1)]:
        with pytest.raises(InvalidArgumentError):
            dred.feature_frame_times(*args)
    with pytest.raises(InvalidArgumentError):
        dred.feature_frame_times(10, 2, 44100)
    with pytest.raises(InvalidArgumentError):
        dred.dred_decode_rows(10, 2, 0, 100)


def test_equals_libopus_expression(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    src, exe = str(tmp_path / "loop.c"), str(tmp_path / "loop")
    with open(src, "w") as f:
        f.write(C_LOOP)
    subprocess.run([cc, "-O1", "-o", exe, src, "-lm"], check=True)
    rng = np.random.default_rng(9)
    cases = []
    for fs in (8000, 12000, 16000, 24000, 48000):
        q = fs // 400
        for _ in range(400):
            d = int(rng.integers(-300, 80))
            nb = int(rng.integers(0, 27))
            pos = int(rng.integers(-3 * fs // 10, 2 * fs))
            cases.append((fs, d, nb, pos, q * int(rng.integers(1, 25)), int(rng.integers(0, 2))))
    r = subprocess.run([exe], input="".join("%d %d %d %d %d %d\n" % (fs, d, nb, pos, fsz, 2 * i)
                                            for fs, d, nb, pos, fsz, i in cases),
                       capture_output=True, text=True, check=True)
    lines = r.stdout.split("\n")
    for (fs, d, nb, pos, fsz, first), line in zip(cases, lines):
        want = [None if x == "N" else int(x) for x in line.split()]
        assert dred.dred_decode_rows(d, nb, pos, fsz, fs, bool(first)) == want, (fs, d, nb, pos, fsz, first)
    assert len(lines) >= len(cases)
    # The grid reaches every branch: rows, NULLs and empty queues.
    assert "N" in r.stdout and sum(any(x.isdigit() for x in l.split()) for l in lines) > len(cases) // 8
    assert any(not l.split() for l in lines[:len(cases)])


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.interop
def test_rows_equal_libopus_decoder(tmp_path):
    """Real payloads (20, 10 and 60 ms packets), decoders at 48 and 16 kHz, one decoder per
    payload making a series of calls: the first after a received packet, or after a call that
    fed the PLC no row, queues two older rows first; the others do not."""
    b = libopus_build("x86")
    src = run_script("get-libopus.sh")
    exe = str(tmp_path / "dred_rows")
    inc = [b] + [os.path.join(src, d) for d in ("include", "src", "celt", "silk", "dnn", "")]
    subprocess.run(["cc", "-std=gnu11", "-O1", "-Wno-cpp", "-DHAVE_CONFIG_H"] + ["-I" + d for d in inc] +
                   [os.path.join(ROOT, "interop", "dred_rows.c"), os.path.join(b, ".libs", "libopus.a"),
                    "-lm", "-Wl,--wrap=lpcnet_plc_fec_add", "-o", exe], check=True)
    packets = []
    for name in ("vm-intro.16k.b32000.l20.f20", "agent-alreadyon.16k.b32000.l20.f10",
                 "vm-intro.16k.b32000.l20.f60"):
        files = glob.glob(os.path.join(interop_data_dir(), name + ".jsonl"))
        assert files, name
        with open(files[0]) as f:
            rows = [json.loads(x) for x in f]
        packets += [(rows[k - 1]["packet"], rows[k]["packet"]) for k in range(40, len(rows), 37)
                    if "dred" in rows[k]][:6]
    calls = [(0, 960), (960, 960), (1920, 480), (4800, 960), (-960, 960), (120, 120), (30000, 1920)]
    cases, text = [], ""
    for fs in (48000, 16000):
        for prime, pkt in packets:
            scaled = [(p * fs // 48000, n * fs // 48000) for p, n in calls]
            cases.append((fs, pkt, scaled))
            text += "%d %s %s %s -\n" % (fs, pkt, prime, " ".join("%d %d" % c for c in scaled))
    out = subprocess.run([exe], input=text, capture_output=True, text=True, check=True).stdout.splitlines()
    seen = set()
    for fs, pkt, scaled in cases:
        d, nb = map(int, out.pop(0).split())
        p = dred.parse_dred(bytes.fromhex(pkt), fs, fs)
        assert (p.dred_offset, p.nb_latents) == (d, nb)
        seen.add(d)
        first = True
        for pos, n in scaled:
            got = out.pop(0).split()[1:]
            want = dred.dred_decode_rows(d, nb, pos, n, fs, first_loss=first)
            assert [None if x == "N" else int(x) for x in got] == want, (fs, d, nb, pos, n, first)
            # A call that fed the PLC no row conceals without it (default complexity 0), which
            # leaves the PLC updated (blend 0) as after received audio.
            first = not any(r is not None for r in want)
    assert len(seen) >= 2, seen
