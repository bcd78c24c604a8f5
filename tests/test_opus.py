"""dredfx.opus: libopus 1.6.1's codec with dredfx inside (dredfx-opus, c/opus/). The codec part is
libopus' own (same packets and, for SILK, same samples as libopus' generic build), DRED and the
PLC run on dredfx, threads do not interfere, bad arguments raise, and without weights the codec
works without its neural parts."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import ROOT, libopus_build, speech_corpus

try:
    import dredfx.opus as opus
except ImportError as e:
    pytest.skip(str(e), allow_module_level=True)
from dredfx import errors
from dredfx.packet import read_opus_demo, write_opus_demo

SECONDS = 3
DECODER_DELAY = 104  # 16 kHz VOIP look-ahead (Encoder.lookahead)


@pytest.fixture(scope="module")
def clip16():
    return np.fromfile(speech_corpus(16000)[0], dtype="<i2")[:16000 * SECONDS]


@pytest.fixture(scope="module")
def clip48():
    return np.fromfile(speech_corpus(48000)[0], dtype="<i2")[:48000 * SECONDS]


@pytest.fixture(scope="module")
def weights_loaded(weights):
    assert opus.weights_status() == 0
    return weights


def libopus_demo(tmp_path, *args):
    demo = os.path.join(libopus_build("generic"), "opus_demo")
    subprocess.run([demo, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def receive(packets, lost, complexity=5, dred=True, dred_decoder=None):
    """opus_demo's receiver loop (20 ms packets at 16 kHz): after a loss, the next packet's DRED
    (when dred) covers the lost frames, else the PLC does."""
    dec = opus.Decoder(16000, 1, complexity)
    out, lost_count = [], 0
    for packet, is_lost in zip(packets, lost):
        if is_lost:
            lost_count += 1
            continue
        d = dred_decoder.parse(packet, min(16000, lost_count * 320)) if dred and lost_count else None
        for fr in range(lost_count):
            if d is not None:
                out.append(dec.decode_dred(d, (lost_count - fr) * 320, 320))
            else:
                out.append(dec.decode(None, 320))
        lost_count = 0
        out.append(dec.decode(packet))
    return np.concatenate(out)


@pytest.mark.parametrize("rate,bitrate", [(16000, 24000), (48000, 32000)])
def test_packets_are_libopus_without_dred(tmp_path, clip16, clip48, rate, bitrate):
    # SILK wideband at 16 kHz, hybrid at 48 kHz: the float codec is libopus' own code.
    x = clip16 if rate == 16000 else clip48
    x.tofile(tmp_path / "in.raw")
    libopus_demo(tmp_path, "-e", "voip", str(rate), "1", str(bitrate), "-complexity", "10",
                 str(tmp_path / "in.raw"), str(tmp_path / "out.bit"))
    packets = opus.Encoder(rate, 1, bitrate).encode_all(x)
    assert len(packets) == SECONDS * 50
    assert packets == read_opus_demo(str(tmp_path / "out.bit"))[:len(packets)]


def test_silk_decode_is_libopus_without_loss(tmp_path, clip16):
    packets = opus.Encoder(16000, 1, 24000).encode_all(clip16)
    assert {p[0] >> 3 for p in packets} == {9}  # SILK-only wideband, 20 ms
    write_opus_demo(str(tmp_path / "in.bit"), packets)
    libopus_demo(tmp_path, "-d", "16000", "1", str(tmp_path / "in.bit"), str(tmp_path / "out.raw"))
    want = np.fromfile(tmp_path / "out.raw", dtype="<i2")
    dec = opus.Decoder(16000, 1, 5)
    got = np.concatenate([dec.decode(p) for p in packets])
    assert np.array_equal(got, want)


def test_dred_fills_a_burst(weights_loaded, clip16):
    # 200 ms lost in the loudest stretch: the classic PLC (complexity 0) fades out, DRED from the
    # packet after the burst brings the speech back at about its level.
    packets = opus.Encoder(16000, 1, 24000, dred_ms=1000, loss_perc=20).encode_all(clip16)
    dred_decoder = opus.DredDecoder()
    assert sum(dred_decoder.parse(p, 16000) is not None for p in packets) >= len(packets) - 3
    energy = np.convolve([np.sum(clip16[i * 320:(i + 1) * 320].astype(float) ** 2)
                          for i in range(len(packets))], np.ones(10), "valid")
    start = int(np.argmax(energy))
    lost = np.zeros(len(packets), bool)
    lost[start:start + 10] = True
    tail = slice((start + 5) * 320 + DECODER_DELAY, (start + 10) * 320 + DECODER_DELAY)
    ref = np.sum(clip16[(start + 5) * 320:(start + 10) * 320].astype(float) ** 2)
    ratio = {}
    for dred in (False, True):
        y = receive(packets, lost, complexity=0, dred=dred, dred_decoder=dred_decoder)
        assert len(y) == len(packets) * 320
        ratio[dred] = np.sum(y[tail].astype(float) ** 2) / ref
    assert ratio[False] < 0.05
    assert 0.3 < ratio[True] < 3


def test_dred_offsets_and_silence(weights_loaded, clip16):
    # 1 s of speech, then 1 s of silence: DRED skips the silent latents, so its end moves back.
    x = np.concatenate([clip16[:16000], np.zeros(16000, np.int16)])
    packets = opus.Encoder(16000, 1, 24000, dred_ms=1000, loss_perc=20).encode_all(x)
    dred_decoder = opus.DredDecoder()
    ends = [dred_decoder.parse(p, 16000).dred_end for p in packets[50:100:10]]
    assert ends[0] == 0 and all(b > a for a, b in zip(ends[1:], ends[2:])), ends
    d = dred_decoder.parse(packets[30], 16000)
    offsets = (0, 320, d.available_samples, d.available_samples + 3200, 10 ** 6)
    fresh = opus.Decoder(16000)  # before the start of the stream: no mode to conceal in, silence
    for off in offsets:
        assert not fresh.decode_dred(d, off, 320).any()
    dec = opus.Decoder(16000)
    dec.decode(packets[25])
    for off in offsets:
        assert dec.decode_dred(d, off, 320).shape == (320,)


def test_threads_give_the_results_of_one(weights_loaded, clip16):
    # Eight encoder + DRED receiver chains on eight stretches of the clip, at once and one by one.
    stretches = [np.roll(clip16, 4000 * k)[:16000] for k in range(8)]
    lost = np.random.default_rng(5).random(50) < 0.3

    def chain(x):
        packets = opus.Encoder(16000, 1, 24000, dred_ms=500, loss_perc=30).encode_all(x)
        return packets, receive(packets, lost, dred_decoder=opus.DredDecoder())

    alone = [chain(x) for x in stretches]
    together = [None] * 8

    def run(k):
        together[k] = chain(stretches[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (pa, ya), (pb, yb) in zip(alone, together):
        assert pa == pb
        assert np.array_equal(ya, yb)


def test_lbrr_and_float_input(clip16):
    packets = opus.Encoder(16000, 1, 24000, lbrr=True, loss_perc=20).encode_all(clip16)
    assert sum(opus.packet_has_lbrr(p) for p in packets) > len(packets) // 2
    dec = opus.Decoder(16000)
    dec.decode(packets[0])
    assert dec.decode(packets[2], fec=True).shape == (320,)
    assert dec.decode(None, frame_size=np.int64(640)).shape == (640,)  # NumPy ints are ints
    pcm = opus.Encoder(16000).encode(clip16[:320].astype(np.float32) / 32768)
    assert pcm == opus.Encoder(16000).encode(clip16[:320])


def test_bad_arguments():
    with pytest.raises(errors.InvalidArgumentError):
        opus.Encoder(44100)
    with pytest.raises(errors.InvalidArgumentError):
        opus.Encoder(16000, frame_ms=15)
    with pytest.raises(errors.InvalidArgumentError):
        opus.Encoder(16000, dred_ms=1050)
    with pytest.raises(errors.InvalidArgumentError):
        opus.Encoder(16000).encode(np.zeros(100, np.int16))
    with pytest.raises(errors.InvalidArgumentError):
        opus.Encoder(16000).encode(np.zeros(320, np.float64))
    dec = opus.Decoder(16000)
    with pytest.raises(errors.InvalidPacketError):
        dec.decode(b"\x03\x00")  # code 3 with M = 0
    with pytest.raises(errors.InvalidArgumentError):
        dec.decode(None, fec=True)
    with pytest.raises(errors.InvalidArgumentError):
        dec.decode(None, frame_size=16000)
    with pytest.raises(errors.ArgumentTypeError):
        dec.decode(320)


def test_without_weights(tmp_path):
    code = r"""
import numpy as np
import dredfx.opus as opus
from dredfx import errors, packet
print(opus.weights_status())
try:
    opus.DredDecoder()
except errors.WeightsError:
    print("no DRED decoder")
x = (np.sin(np.arange(16000) * 0.05) * 8000).astype(np.int16)
packets = opus.Encoder(16000, dred_ms=1000, loss_perc=20).encode_all(x)
print(sum(len(packet.parse_packet(p).padding) for p in packets))
dec = opus.Decoder(16000)
dec.decode(packets[0])
print(dec.decode(None).shape, dec.decode(packets[2]).shape)
"""
    env = dict(os.environ, DREDFX_WEIGHTS=str(tmp_path / "missing.bin"),
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:4] == [str(errors.ERR_WEIGHTS_MISSING), "no DRED decoder", "0",
                                         "(320,) (320,)"]
