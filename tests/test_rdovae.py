"""RDO-VAE decoder (dredfx.rdovae, dredfx.dred.decode_features): the C wiring against the engine's
primitives (bit-exact), against its float reference dredfx.ref.rdovae on random and crafted
payloads, equality across CPU levels, and whole 26-latent runs on libopus' real payloads against
the float reference and libopus 1.6.1 itself (interop data; dred_compare's metrics).

`DREDFX_RDOVAE_REPORT=1 pytest -s tests/test_rdovae.py` prints the measured figures.
"""
import csv
import json
import os
import subprocess
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dredfx import errors
from dredfx.ref import dred as refdred
from dredfx.ref import nn as refnn
from dredfx.ref import packet as refpacket
from dredfx.ref import rdovae as ref

from conftest import interop_data_dir, outputs_at_every_level

_rdovae = pytest.importorskip("dredfx._rdovae")
from dredfx import _nn, dred, rdovae  # noqa: E402  (after the compiled-module check)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.environ.get("DREDFX_RDOVAE_REPORT") == "1"
NOT18 = [i for i in range(20) if i != 18]
Q16 = 65536.0


def say(*args):
    if REPORT:
        print(*args)


@pytest.fixture(scope="module")
def decoder(weights):
    return rdovae.Decoder(weights)


@pytest.fixture(scope="module")
def reference(weights):
    return ref.Decoder(weights.arrays)


def compare_metrics(x, y):
    """dnn/dred_compare.c -features on frames x (reference) and y: (tot, max, pitch)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    mse = ((x - y) ** 2).mean(axis=0)
    voiced = x[:, 19] > 0.2
    pitch = np.abs(x[voiced, 18] - y[voiced, 18]).mean() if voiced.any() else 0.0
    return np.sqrt(mse[NOT18].sum()), np.sqrt(mse[NOT18].max()), pitch


def coded(weights, kind, level):
    """The dimensions libopus codes at that level (the others are 0 on both sides)."""
    a = refdred.stats_arrays(weights)
    dim = 25 if kind == "latent" else 50
    r, p0 = a[kind + "_r"][level * dim:(level + 1) * dim], a[kind + "_p0"][level * dim:(level + 1) * dim]
    return (r != 0) & (p0 != 255)


def valid(p, weights):
    """p with its uncoded dimensions zeroed, as a decoder sees them."""
    p.state_q = np.where(coded(weights, "state", p.q0), p.state_q, 0).astype(np.int32)
    p.latents_q = np.array([np.where(coded(weights, "latent", refdred.level(p.q0, p.dq, p.qmax, c)), z, 0)
                            for c, z in enumerate(p.latents_q)], np.int32).reshape(-1, 25)
    return p


def random_payload(rng, nb, big=False):
    """A DredPayload with every dimension drawn from a two-sided geometric law (what the
    Laplace coder carries), at random levels; big: escapes up to 2^15."""
    p = refdred.DredPayload(q0=int(rng.integers(16)), dq=int(rng.integers(8)),
                            qmax=int(rng.integers(16)), nb_latents=nb)
    p.qmax = max(p.qmax, p.q0)
    scale = 2 ** 15 if big else 4

    def draw(n):
        v = rng.geometric(1 / scale, n) - 1
        return (v * rng.choice([-1, 1], n)).astype(np.int32)
    p.state_q = draw(50)
    p.latents_q = draw(25 * nb).reshape(nb, 25)
    return p


def dequantized(p, weights):
    state, latents = dred.dequantize_q16(p, weights)
    return state, latents[:p.nb_latents]


# ---------------------------------------------------------------------------- API and arguments

def test_api_and_arguments(decoder):
    assert rdovae.STATE_SIZE > 0
    state = np.zeros(50, np.int32)
    latents = np.zeros((3, 26), np.int32)
    assert decoder.decode_q16(state, latents).shape == (12, 20)
    assert decoder.decode_q16(state, latents).dtype == np.int32
    assert decoder.decode(np.zeros(50), np.zeros((2, 26))).dtype == np.float32
    assert decoder.decode_q16(state, np.zeros((0, 26), np.int32)).shape == (0, 20)
    for s, l in ((state.astype(np.int64), latents), (state, latents.astype(np.float32)),
                 (state[:49], latents), (state, np.zeros((27, 26), np.int32)),
                 (state, np.zeros(25, np.int32))):
        with pytest.raises(errors.InvalidArgumentError):
            decoder.decode_q16(s, l)


def test_decode_features_packets(weights, decoder):
    stats = weights
    p = refdred.DredPayload(q0=6, dq=5, qmax=15, dred_offset=10, nb_latents=5)
    p.state_q = np.arange(50, dtype=np.int32) % 7 - 3
    p.latents_q = (np.arange(125, dtype=np.int32).reshape(5, 25) % 5 - 2)
    payload = refdred.encode_payload(valid(p, weights), stats)
    pkt = refpacket.build_packet(15, 0, [bytes(39)], bytes([0xFC]) + refdred.PREFIX + payload)
    assert dred.decode_features(refpacket.build_packet(15, 0, [bytes(39)])) is None
    got = dred.decode_features(pkt)
    parsed = dred.parse_dred(pkt)
    assert got.dtype == np.float32 and got.shape == (4 * parsed.nb_latents, 20)
    state, latents = dequantized(parsed, weights)
    assert np.array_equal(got, decoder.decode_q16(state, latents).astype(np.float32) / np.float32(Q16))
    # max_dred_samples bounds the chunks exactly as opus_dred_parse does; chunks decode in order
    # from one state, so fewer chunks give a prefix.
    assert np.array_equal(dred.decode_features(pkt, 960, 48000), got[:4])
    assert np.array_equal(dred.decode_features(pkt, 2880, 48000), got[:8])
    # a payload cut short decodes fewer latents, never fails
    short = refpacket.build_packet(15, 0, [bytes(39)], bytes([0xFC]) + refdred.PREFIX + payload[:12])
    n = dred.parse_dred(short).nb_latents
    assert n < 5 and np.array_equal(dred.decode_features(short), got[:4 * n])
    with pytest.raises(errors.InvalidPacketError):
        dred.decode_features(b"")


def test_threads_share_a_decoder(weights, decoder):
    rng = np.random.default_rng(5)
    cases = [dequantized(random_payload(rng, 26), weights) for _ in range(8)]
    want = [decoder.decode_q16(s, l) for s, l in cases]
    got = [None] * len(cases)

    def run(i):
        got[i] = decoder.decode_q16(*cases[i])
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


# ---------------------------------------------------------------------------- bit-exact wiring

def engine_decode(weights, state_q16, latents_q16):
    """The decoder composed in Python from the engine's primitives (dredfx._nn), as
    c/src/rdovae/rdovae_dec.c composes them: the C decoder must give the same integers."""
    a = weights.arrays

    def layer(name, nin, nout):
        return _nn.Linear.from_arrays(a, name, nin, nout)

    def wide(name, nin, nout, x_q16):
        # the 32-bit wide path on the Q16 inputs as they are
        return _nn.dense_wide32(layer(name, nin, nout), _nn.ACT_TANH, np.asarray(x_q16, np.int32), 16)

    hidden = wide("dec_hidden_init", 50, 128, state_q16)
    grus = _nn.dense(layer("dec_gru_init", 128, 320), _nn.ACT_TANH, hidden).reshape(5, 64).copy()
    mems = np.zeros((5, 32), np.int16)
    out = []
    for z in latents_q16:
        buf = [wide("dec_dense1", 26, 96, z)]
        for s in range(5):
            k, gin = s + 1, 96 * (s + 1)
            grus[s] = _nn.gru(layer("dec_gru%d_input" % k, gin, 192), layer("dec_gru%d_recurrent" % k, 64, 192),
                              grus[s], np.concatenate(buf))
            buf.append(_nn.glu(layer("dec_glu%d" % k, 64, 64), grus[s]))
            conv_in = _nn.dense(layer("dec_conv_dense%d" % k, gin + 64, 32), _nn.ACT_TANH, np.concatenate(buf))
            o, mems[s] = _nn.conv1d(layer("dec_conv%d" % k, 64, 32), _nn.ACT_TANH, mems[s], conv_in, 32)
            buf.append(o)
        out.append(_nn.linear_a15(layer("dec_output", 576, 80), np.concatenate(buf)))
    return np.concatenate(out).reshape(-1, 20)


def test_c_wiring_equals_engine_primitives(weights, decoder):
    rng = np.random.default_rng(11)
    for big in (False, True):
        state, latents = dequantized(random_payload(rng, 4, big), weights)
        assert np.array_equal(decoder.decode_q16(state, latents), engine_decode(weights, state, latents))


def test_cpu_levels_identical(weights, tmp_path):
    """The same integers at every CPU level (each in its own interpreter: conftest)."""
    rng = np.random.default_rng(3)
    cases = [dequantized(random_payload(rng, 26, big), weights) for big in (False, True)]
    np.savez(tmp_path / "cases.npz", *[a for case in cases for a in case])
    code = ("import hashlib, sys, numpy as np; from dredfx import rdovae; z = np.load(sys.argv[1]); "
            "a = [z['arr_%d' % i] for i in range(4)]; d = rdovae.Decoder(); "
            "print(hashlib.sha256(b''.join(d.decode_q16(a[i], a[i + 1]).tobytes() for i in (0, 2))).hexdigest(), "
            "d.decode_q16(a[0], a[1]).shape)")
    outs = outputs_at_every_level(code, str(tmp_path / "cases.npz"))
    assert len(outs) >= 2 and len(set(outs.values())) == 1, outs


# ---------------------------------------------------------------------------- against the float reference

# Random valid payloads at every level, 1-26 latents. The spread comes from the wide layers' int16
# weights and the int8 rounding flips they cause downstream; one random payload has few frames and
# harsher latents than speech. Measured over 300 payloads: tot <= 0.159 (median 0.093), max <=
# 0.147, pitch <= 0.018, largest feature error 0.39.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), nb=st.integers(1, 26))
def test_random_payloads_vs_reference(weights, decoder, reference, seed, nb):
    rng = np.random.default_rng(seed)
    p = valid(random_payload(rng, nb), weights)
    state, latents = dequantized(p, weights)
    want = reference.decode_all(*refdred.dequantize(p, weights))
    got = decoder.decode_q16(state, latents) / Q16
    tot, mx, pitch = compare_metrics(want, got)
    say("random payload q0 %d dq %d nb %d: tot %.4f max %.4f pitch %.4f" % (p.q0, p.dq, nb, tot, mx, pitch))
    assert tot <= 0.25 and mx <= 0.2 and pitch <= 0.03 and np.abs(got - want).max() <= 1.0


def test_crafted_payloads_defined(weights, decoder, reference):
    """Escapes far beyond the tables, zeros, the Q16 limits: finite output inside the features'
    range, identical for the same input, and the all-zero payload close to the reference."""
    rng = np.random.default_rng(7)
    big = random_payload(rng, 26, big=True)
    big.state_q[:] = np.where(np.arange(50) % 2, 2**31 - 1, -(2**31 - 1))
    big.latents_q[:] = np.where(np.arange(25) % 3, 2**31 - 1, -(2**31 - 1))
    for p in (big, random_payload(rng, 26, big=True)):
        state, latents = dequantized(p, weights)
        f = decoder.decode_q16(state, latents)
        assert f.shape == (104, 20) and np.array_equal(f, decoder.decode_q16(state, latents))
        extreme = np.full(50, 2**31 - 1, np.int32), np.full((26, 26), -(2**31 - 1), np.int32)
        assert decoder.decode_q16(*extreme).shape == (104, 20)
    zero = refdred.DredPayload(q0=0, dq=0, nb_latents=26)
    zero.latents_q = np.zeros((26, 25), np.int32)
    got = decoder.decode_q16(*dequantized(zero, weights)) / Q16
    want = reference.decode_all(*refdred.dequantize(zero, weights))
    assert compare_metrics(want, got)[0] <= 0.1  # measured 0.067


def test_reference_layers_follow_libopus(weights, reference):
    """The reference's buffer layout: each stage's GRU reads 96 k values, its conv-dense 96 k + 64,
    and the output reads the 576 values (libopus dnn/dred_rdovae_dec.c), the sizes libopus' init gives."""
    layers = weights.layers
    for s, stage in enumerate(reference.stages):
        for key, name in (("gru_input", "dec_gru%d_input"), ("conv_dense", "dec_conv_dense%d")):
            l = layers[name % (s + 1)]
            assert (stage[key].nb_inputs, stage[key].nb_outputs) == (l["nb_inputs"], l["nb_outputs"])
    assert (reference.output.nb_inputs, reference.dense1.nb_inputs) == (576, 26)
    # an empty run is empty; the 80 outputs of a latent are its 4 frames, newest first
    assert reference.decode_all(np.zeros(50), np.zeros((0, 26))).shape == (0, 20)
    grus, mems = reference.init_states(np.zeros(50, np.float32))
    q = reference.decode_qframe(grus, mems, np.zeros(26, np.float32))
    assert np.array_equal(reference.decode_all(np.zeros(50), np.zeros((1, 26))), q.reshape(4, 20))
    assert refnn.ACTIVATION_TANH == _nn.ACT_TANH


# ---------------------------------------------------------------------------- real payloads (interop)

def _f32(h):
    return np.frombuffer(bytes.fromhex(h), "<f4")


@pytest.fixture(scope="module")
def real_payloads():
    """(clip, rate, packet, libopus' dequantized state, latents) of every interop packet whose
    opus_dred_parse(48000) decoded at least one latent."""
    d = interop_data_dir()
    out = []
    with open(os.path.join(d, "manifest.tsv")) as f:
        for meta in csv.DictReader(f, delimiter="\t"):
            with open(os.path.join(d, meta["file"])) as g:
                for line in g:
                    r = json.loads(line)
                    p = r["parse"][0]
                    if p["max_dred_samples"] == 48000 and p.get("nb_latents", 0) >= 1:
                        out.append((meta["clip"], int(meta["rate"]), bytes.fromhex(r["packet"]),
                                    _f32(p["state_f32"]), _f32(p["latents_f32"]).reshape(-1, 26)))
    assert len(out) >= 2000, "too few DRED packets in %s" % d
    return d, out


@pytest.fixture(scope="module")
def reference_runs(reference, real_payloads):
    """{index: float reference features} for the longest payloads (24+ latents) and every 48th
    (every 12th with DREDFX_SLOW=1: 1,814 float runs, 90 s on a loaded 2-core machine)."""
    _, pk = real_payloads
    step = 12 if os.environ.get("DREDFX_SLOW") == "1" else 48
    return {i: reference.decode_all(x[3], x[4]) for i, x in enumerate(pk) if len(x[4]) >= 24 or i % step == 0}


def _libopus_features(data_dir, pk, variant=""):
    """libopus' fec_features of each payload through dred_dump[_variant] features, or None when
    that tool (or its 'features' mode) is not next to the data ($DREDFX_DRED_DUMP_GENERIC names
    the generic one elsewhere)."""
    tool = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "dred_dump" + variant)
    if variant == "_generic" and os.environ.get("DREDFX_DRED_DUMP_GENERIC"):
        tool = os.environ["DREDFX_DRED_DUMP_GENERIC"]
    if not os.path.exists(tool):
        return None
    lines = "".join("48000 %d %s\n" % (fs, b.hex()) for _, fs, b, *_ in pk)
    r = subprocess.run([tool, "features"], input=lines, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [_f32(json.loads(x)["features"]).reshape(-1, 20) for x in r.stdout.splitlines()]


def _per_latent(errs):
    """Per latent index (4 frames each): (max abs error, RMS error, packets)."""
    rows = []
    for k in range(26):
        e = [x[4 * k:4 * k + 4] for x in errs if len(x) > 4 * k]
        if e:
            e = np.concatenate(e)
            rows.append((np.abs(e).max(), np.sqrt((e ** 2).mean()), len(e) // 4))
    return rows


@pytest.mark.interop
def test_real_payloads_vs_reference(real_payloads, reference_runs):
    """Whole decoder runs on libopus' payloads (the longest ones all, the others sampled), fixed
    point against the float reference: dred_compare metrics over the set and the error per latent
    step, which must not grow along the 26 latents (the recurrence does not accumulate it).
    Measured (1,464 sampled payloads, 55,660 frames, 32-bit wide first layers): tot 0.0776, max
    0.0422, pitch 0.0022; RMS per latent 0.0107 at the newest, 0.017-0.019 from the third on with
    no growth after. The float reference vs libopus x86 is 0.0789 / 0.0432 / 0.0019: dredfx is as
    far from the float model as libopus' own int8 x86 path (docs/accuracy.md, RDO-VAE decoder)."""
    _, pk = real_payloads
    sample = [pk[i] for i in reference_runs]
    want = list(reference_runs.values())
    got = [dred.decode_features(b, 48000, fs) for _, fs, b, *_ in sample]
    assert all(g.shape == w.shape for g, w in zip(got, want))
    tot, mx, pitch = compare_metrics(np.concatenate(want), np.concatenate(got))
    rows = _per_latent([g - w for g, w in zip(got, want)])
    say("\nrdovae vs float reference: %d payloads, %d frames: tot %.5f max %.5f pitch %.6f"
        % (len(sample), sum(map(len, got)), tot, mx, pitch))
    for k, (m, r, n) in enumerate(rows):
        say("  latent %2d (frames %3d-%3d): max %.4f rms %.5f (%d payloads)" % (k, 4 * k, 4 * k + 3, m, r, n))
    assert tot <= 0.1 and mx <= 0.06 and pitch <= 0.004
    rms = np.array([r for _, r, _ in rows])
    assert rms.max() <= 0.03 and max(m for m, _, _ in rows) <= 1.0
    assert len(rows) == 26 and rms[16:].mean() <= 1.25 * rms[2:6].mean()


@pytest.mark.interop
def test_real_payloads_vs_libopus(real_payloads, reference_runs):
    """dredfx against libopus 1.6.1's own fec_features (interop/dred_dump features) on every
    payload: dred_compare's metrics, within the official limits (0.5 / 0.15 / 0.02) with a wide
    margin and at most 1.25x libopus x86 vs the float reference (libopus' own spread).
    Measured: dredfx vs libopus tot 0.0806, max 0.0440, pitch 0.00199 (test_accuracy_table)."""
    d, pk = real_payloads
    lib = _libopus_features(d, pk)
    if lib is None:
        pytest.skip("no dred_dump with a 'features' mode next to %s" % d)
    got = [dred.decode_features(b, 48000, fs) for _, fs, b, *_ in pk]
    assert [len(x) for x in lib] == [len(x) for x in got]
    tot, mx, pitch = compare_metrics(np.concatenate(lib), np.concatenate(got))
    say("\nrdovae vs libopus: %d payloads, %d frames: tot %.5f max %.5f pitch %.6f"
        % (len(pk), sum(map(len, got)), tot, mx, pitch))
    clips = {}
    for (clip, *_), a, b in zip(pk, lib, got):
        clips.setdefault(clip, ([], []))
        clips[clip][0].append(a)
        clips[clip][1].append(b)
    for clip, (a, b) in sorted(clips.items()):
        m = compare_metrics(np.concatenate(a), np.concatenate(b))
        say("  %-18s tot %.5f max %.5f pitch %.6f" % ((clip,) + m))
        assert m[0] <= 0.5 and m[1] <= 0.15 and m[2] <= 0.02
    assert tot <= 0.09 and mx <= 0.05 and pitch <= 0.0025
    sample = list(reference_runs)
    spread = compare_metrics(np.concatenate([lib[i] for i in sample]),
                             np.concatenate([reference_runs[i] for i in sample]))
    ours = compare_metrics(np.concatenate([lib[i] for i in sample]), np.concatenate([got[i] for i in sample]))
    say("  sampled %d payloads: libopus vs float reference %s, vs dredfx %s"
        % (len(sample), np.round(spread, 5), np.round(ours, 5)))
    assert all(o <= 1.25 * s for o, s in zip(ours, spread))


@pytest.mark.interop
def test_reference_equals_libopus_generic(real_payloads, reference_runs):
    """The float reference mirrors libopus' generic C path operation by operation: on a libopus
    built with -U__SSE2__ (dred_dump_generic next to the data) its features are bit-identical
    (measured: all 412,108 frames of the 14,984 payloads)."""
    d, pk = real_payloads
    sample = list(reference_runs)
    lib = _libopus_features(d, [pk[i] for i in sample], "_generic")
    if lib is None:
        pytest.skip("no dred_dump_generic next to %s" % d)
    assert all(np.array_equal(a, reference_runs[i]) for a, i in zip(lib, sample))


def _table_row(name, a, b):
    """One docs/accuracy.md row of b against a: dred_compare metrics and per group (cepstrum 0-17,
    pitch 18, voicing 19) RMS and max |error|."""
    a, b = np.concatenate(a).astype(np.float64), np.concatenate(b).astype(np.float64)
    m = compare_metrics(a, b)
    e = b - a
    groups = [e[:, :18], e[:, 18], e[:, 19]]
    cells = ["%.4f" % m[0], "%.4f" % m[1], "%.5f" % m[2]]
    cells += ["%.4f / %.3f" % (np.sqrt((g ** 2).mean()), np.abs(g).max()) for g in groups]
    say("| %s | %d | %s |" % (name, len(a), " | ".join(cells)))
    return m


@pytest.mark.interop
def test_accuracy_table(real_payloads, reference_runs):
    """docs/accuracy.md, section RDO-VAE decoder: every payload of the interop data, per clip and
    over the whole set, dredfx and libopus generic against libopus x86; dredfx and libopus generic
    against the float reference on the sampled payloads. Bars of issue 9: every pair within the
    official limits on every clip; over the set dredfx vs x86 at most 1.25x libopus' own spread
    (generic vs x86) on every metric, and tot <= 0.1, max <= 0.05, pitch <= 0.005.
    Measured (19,157 payloads, 572,388 frames: 24/32/48/64 kb/s): dredfx vs x86 tot 0.0806, max
    0.0440, pitch 0.00199; generic vs x86 0.0792 / 0.0434 / 0.00195 (ratios 1.017 / 1.014 / 1.024);
    dredfx vs the float reference (1,812 sampled payloads) 0.0775 / 0.0420 / 0.00214: dredfx sits
    as far from the float reference as libopus x86 does; the float reference equals libopus
    generic. (24/32/64 kb/s only, 14,985 payloads: 0.0802 / 0.0438 / 0.00198.)"""
    d, pk = real_payloads
    x86 = _libopus_features(d, pk)
    gen = _libopus_features(d, pk, "_generic")
    if x86 is None or gen is None:
        pytest.skip("no dred_dump / dred_dump_generic with a 'features' mode next to %s" % d)
    got = [dred.decode_features(b, 48000, fs) for _, fs, b, *_ in pk]
    say("\n| pair / clip | frames | tot | max | pitch | cepstrum RMS / max | pitch RMS / max | voicing RMS / max |")
    clips = sorted({c for c, *_ in pk})
    for clip in clips:
        idx = [i for i, x in enumerate(pk) if x[0] == clip]
        for name, a, b in (("dredfx vs x86", x86, got), ("generic vs x86", x86, gen)):
            m = _table_row("%s, %s" % (name, clip), [a[i] for i in idx], [b[i] for i in idx])
            assert m[0] <= 0.5 and m[1] <= 0.15 and m[2] <= 0.02
    ours = _table_row("dredfx vs x86, all", x86, got)
    spread = _table_row("generic vs x86, all", x86, gen)
    sample = list(reference_runs)
    want = [reference_runs[i] for i in sample]
    fx = _table_row("dredfx vs float reference, sampled", want, [got[i] for i in sample])
    rg = _table_row("float reference vs generic, sampled", [gen[i] for i in sample], want)
    say("ratios dredfx/generic vs x86: %s" % np.round(np.array(ours) / np.array(spread), 3))
    assert all(o <= 1.25 * s for o, s in zip(ours, spread))
    assert ours[0] <= 0.09 and ours[1] <= 0.05 and ours[2] <= 0.0025
    assert fx[0] <= 0.09 and fx[1] <= 0.05 and fx[2] <= 0.0027
    assert rg == (0.0, 0.0, 0.0)
