"""Issue 10 item 6: the sender end to end. Real 16 kHz speech (the interop clips) -> dredfx's
analysis (dredfx.analysis, framed as libopus' DRED encoder frames it: 11 zero samples first) ->
dredfx's DRED encoder (dredfx.dred.Encoder, 32 kb/s CBR: q0 6, dQ 5) -> payloads that libopus
1.6.1 decodes (interop/rdoenc_dump.c `decode`: dred_ec_decode + DRED_rdovae_decode_all, libopus'
x86 build). Against that: libopus' own PCM-to-DRED path on the same samples (rdoenc_dump
`packets`: dred_compute_latents + dred_encode_silk_frame) decoded the same way. Both encoders get
the same per-packet voice activity and room, the harness' (pseudo-random runs, seed 1, and one
packet in five with little room), not a VAD of the speech.

The metrics are dred_compare -features' (libopus dnn/dred_compare.c): per-feature MSE over all
decoded rows, tot = sqrt(sum of the MSE of every feature but 18), max = sqrt(largest of those),
pitch = mean |f18 difference| over rows whose first-file voicing (f19) exceeds 0.2.

What libopus' official limits (tot 0.5, max 0.15, pitch 0.02) apply to: tests/dred_vectors.sh
(xiph/opus) uses them in its "DRED decoding" step only: `fargan_demo -dred-decoding` of a given
DRED bitstream against the reference decoder's features, one dred_compare per vector, i.e. the
averages above over every decoded row of the vector; a decoder tolerance for one bitstream. Its
encoder is checked only in the audio domain ("DRED system": opus_demo's decode against the
original, dred_compare -audio thresholds 1.0 3.0 0.25), and a miss there is a warning that "does
not prevent compliance". Applied as libopus applies them, per clip as per vector: libopus' decode
of dredfx's sender's payloads against dredfx's own decode of the same payloads (measured tot
0.074-0.087, max 0.042-0.054, pitch 0.0026-0.0033 on the 7 clips).

Against libopus' own PCM-to-DRED path (different bitstreams), the same limits do not hold for
libopus itself: its generic build's payloads against its x86 build's give max 0.191-0.326 per clip
(0.250 over the 7), all of it the decoded energy c0: the RDO-VAE encoder's quantizer rounds some
values near a tie differently (dredfx vs libopus x86: 99.3 % of the latent indices and 96.5 % of
the state indices equal), and each flipped index moves the decoded frames by a quantizer step; the
error is spread evenly (c0 RMS 0.19-0.37 in every 8-row band of the payload, the worst 10 % of
packets half of it). It is the encoder, not the analysis: dredfx's encoder on libopus x86's own
features gives max 0.234, against 0.238 on dredfx's features. So the test holds tot and pitch to
the official limits, max to libopus' own generic-vs-x86 figure (+10 %).

Measured (7 clips, 1,534 packets decoded alike from both, 82,648 decoded rows): dredfx vs libopus
x86 tot 0.396, max 0.238, pitch 0.0051; libopus generic's own path vs libopus x86's on the same
path (1,554 packets) tot 0.392, max 0.250, pitch 0.0050. Against the features libopus' encoder
analysed (all active windows), the coding distortion (tot) of dredfx's sender is that of libopus'
own: 2.524 against 2.512 (ratio 1.005).
"""
import json
import os
import subprocess

import numpy as np
import pytest

import dredfx.analysis as analysis
import dredfx.dred as dred

from conftest import speech_clips16

pytestmark = pytest.mark.interop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOT, MAX, PITCH = 0.5, 0.15, 0.02   # dred_vectors.sh: dred_compare -features -thresholds .5 .15 .02


@pytest.fixture(scope="module")
def dump(rdoenc_dump):
    return rdoenc_dump


def _hexf(s):
    return np.frombuffer(bytes.fromhex(s), "<f4")


def _run(exe, *args, text=None):
    out = subprocess.run([exe, *args], input=text, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def dred_compare(x, y):
    """dred_compare -features' (tot, max, pitch) of y against x, both (rows, 20)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    mse = np.delete(np.square(x - y).mean(axis=0), 18)
    voiced = x[:, 19] > 0.2
    return float(np.sqrt(mse.sum())), float(np.sqrt(mse.max())), float(np.abs(x[voiced, 18] - y[voiced, 18]).mean())


def _decode(exe, payloads):
    """libopus' decode of each non-empty payload: {packet index: (nb_latents, offset, features)}."""
    idx = [i for i, p in enumerate(payloads) if p]
    rows = _run(exe, "decode", text="".join(payloads[i].hex() + "\n" for i in idx))
    return {i: (r["nb_latents"], r["dred_offset"], _hexf(r["features"]).reshape(-1, 20)) for i, r in zip(idx, rows)}


def _pairs(a, b):
    """Rows of the payloads both sides decoded with the same latent count and offset."""
    xa, xb = [], []
    for i in sorted(set(a) & set(b)):
        if a[i][:2] == b[i][:2] and a[i][0]:
            xa.append(a[i][2])
            xb.append(b[i][2])
    return xa, xb


def test_sender_end_to_end(weights, dump):
    x86, generic = dump("x86"), dump("generic")
    fx_rows, lib_rows, gen_rows, gx_rows = [], [], [], []
    orig, dec_lib, dec_fx = [], [], []
    packets = 0
    for clip in speech_clips16():
        pcm = np.fromfile(clip, "<i2")
        feats = analysis.Analyzer(16000, weights=weights, delay16k=analysis.DRED_ENCODER_DELAY16K).feed(pcm)
        rows = _run(x86, "packets", "-q", "6", "-dq", "5", clip)
        rows_gen = _run(generic, "packets", "-q", "6", "-dq", "5", clip)
        assert len(feats) >= 2 * len(rows) and [r["active"] for r in rows] == [r["active"] for r in rows_gen]
        enc = dred.Encoder(16000, 32000, 20, 1040, 20, vbr=False, weights=weights)
        assert (enc.rate["q0"], enc.rate["dq"]) == (6, 5)
        ours = [enc.encode(feats[2 * i:2 * i + 2], r["active"], r["room"]) or b"" for i, r in enumerate(rows)]
        theirs = [bytes.fromhex(r["payload"]) for r in rows]
        # The same packets carry DRED (a budget cut near a payload-size edge may differ).
        assert sum(bool(a) != bool(b) for a, b in zip(ours, theirs)) <= len(rows) // 100, clip
        # The payload goes into an Opus packet and reads back (TOC: SILK WB 20 ms, code 0).
        first = next(p for p in ours if p)
        parsed = dred.parse_dred(dred.attach_dred(bytes([0x48, 0x01, 0x02]), first, weights=weights),
                                 16000, 16000, weights=weights)
        assert (parsed.q0, parsed.dq) == (6, 5)
        d_fx, d_lib = _decode(x86, ours), _decode(x86, theirs)
        # libopus' official limits as dred_vectors.sh applies them (one bitstream, two decoders):
        # libopus' decode of dredfx's payloads against dredfx's own, over the clip
        ours_dec = [dred.decode_features(dred.attach_dred(bytes([0x48, 0x01, 0x02]), p, weights=weights),
                                         16320, 16000) for p in ours if p]
        assert [len(x) for x in ours_dec] == [len(d_fx[i][2]) for i in sorted(d_fx)]
        m = dred_compare(np.concatenate([d_fx[i][2] for i in sorted(d_fx)]), np.concatenate(ours_dec))
        print("%s: libopus vs dredfx decoding dredfx's payloads: tot %.3f max %.3f pitch %.4f"
              % (os.path.basename(clip), *m))
        assert m[0] <= TOT and m[1] <= MAX and m[2] <= PITCH, (clip, m)
        d_gen = _decode(x86, [bytes.fromhex(r["payload"]) for r in rows_gen])
        a, b = _pairs(d_lib, d_fx)
        lib_rows += a
        fx_rows += b
        packets += len(a)
        c, d = _pairs(d_lib, d_gen)
        gx_rows += c
        gen_rows += d
        print("%s: dredfx sender vs libopus x86 tot %.3f max %.3f pitch %.4f; libopus generic vs x86 tot %.3f "
              "max %.3f pitch %.4f" % (os.path.basename(clip), *dred_compare(np.concatenate(a), np.concatenate(b)),
                                       *dred_compare(np.concatenate(c), np.concatenate(d))))
        # Against the features libopus' encoder analysed, on windows all active.
        lib_feats = np.concatenate([_hexf(s).reshape(2, 20) for r in rows for s in r["steps"]])
        for i in sorted(set(d_lib) & set(d_fx)):
            if d_lib[i][:2] != d_fx[i][:2] or d_lib[i][1] != 10 or i < 55:
                continue
            if all(rows[j]["active"] for j in range(i - 55, i + 1)):
                k = 2 * i + 1 - np.arange(len(d_lib[i][2]))   # row r: the frame r steps before the newest
                orig.append(lib_feats[k[k >= 0]])
                dec_lib.append(d_lib[i][2][k >= 0])
                dec_fx.append(d_fx[i][2][k >= 0])
    fx = dred_compare(np.concatenate(lib_rows), np.concatenate(fx_rows))
    gx = dred_compare(np.concatenate(gx_rows), np.concatenate(gen_rows))
    print("dredfx sender vs libopus x86: %d packets, %d rows: tot %.3f max %.3f pitch %.4f"
          % (packets, sum(map(len, fx_rows)), *fx))
    print("libopus generic vs x86, same path: %d packets: tot %.3f max %.3f pitch %.4f" % (len(gx_rows), *gx))
    assert packets >= 1000
    assert fx[0] <= TOT and fx[2] <= PITCH, fx
    assert gx[0] <= TOT and gx[2] <= PITCH, gx
    assert fx[1] <= 1.1 * gx[1], (fx, gx)
    assert sum(map(len, orig)) > 200
    t_lib = dred_compare(np.concatenate(orig), np.concatenate(dec_lib))[0]
    t_fx = dred_compare(np.concatenate(orig), np.concatenate(dec_fx))[0]
    print("coding distortion vs libopus' analysed features: libopus %.3f dredfx %.3f" % (t_lib, t_fx))
    assert t_fx <= 1.03 * t_lib, (t_fx, t_lib)
