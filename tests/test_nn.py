"""The fixed-point NN engine (dredfx._nn) against its own scalar kernels, the float reference
(dredfx.ref.nn) and the error bounds of docs/fixed-point.md; the weight converter
(dredfx.fixedpoint) for exactness and determinism; real libopus 1.6.1 layers (weights marker).

Run with DREDFX_NN_REPORT=1 and -s to print the largest measured errors at the end of the module."""
import math
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dredfx import errors, fixedpoint
from dredfx.ref import nn as ref

from conftest import interop_data_dir

_nn = pytest.importorskip("dredfx._nn")

FULL = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEVELS = list(range(_nn.cpu_max_level() + 1))
P16 = 65536.0
A15 = 32768.0
# float32 rounding of the reference itself (activations, sums of a few terms), in units of 1.0
F32_SLACK = 2e-6

MEASURED = {}


def record(name, err, bound=None):
    """Keeps the largest error and the largest fraction of its bound used, per quantity."""
    err = np.asarray(err, dtype=np.float64)
    if err.size == 0:
        return
    worst, used = MEASURED.get(name, (0.0, None))
    worst = max(worst, float(err.max()))
    if bound is not None:
        used = max(used or 0.0, float(np.max(err / np.broadcast_to(bound, err.shape))))
    MEASURED[name] = (worst, used)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if os.environ.get("DREDFX_NN_REPORT") == "1":
        print("\nlargest measured errors (units of 1.0) and largest fraction of the bound used:")
        for name in sorted(MEASURED):
            err, used = MEASURED[name]
            print("  %-40s %.3e%s" % (name, err, "" if used is None else "  %.3f of bound" % used))


# ------------------------------------------------------------------------------ data builders
def to_blocks(w):
    """libopus' dense 8x4 block layout of an int8 [rows][cols] matrix."""
    rows, cols = w.shape
    return np.ascontiguousarray(w.reshape(rows // 8, 8, cols // 4, 4).transpose(0, 2, 1, 3)).ravel()


def to_sparse(w, keep):
    """libopus' sparse 8x4 format of w keeping the blocks where keep[rb][cb]; (weights, idx)."""
    rows, cols = w.shape
    ws, idx = [], []
    for rb in range(rows // 8):
        cbs = [cb for cb in range(cols // 4) if keep[rb][cb]]
        idx.append(len(cbs))
        for cb in cbs:
            idx.append(4 * cb)
            ws.append(w[8 * rb:8 * rb + 8, 4 * cb:4 * cb + 4].ravel())
    weights = np.concatenate(ws).astype(np.int8) if ws else np.zeros(0, np.int8)
    return weights, np.array(idx, dtype=np.int32)


def pad(n, m):
    return -(-n // m) * m


def int8_matrix(rng, rows, cols, mode):
    if mode == 0:
        return rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    if mode == 1:  # extremes, -128 included
        return rng.choice(np.array([-128, -127, 127, 0, 1, -1], np.int8), size=(rows, cols))
    return np.full((rows, cols), -128 if mode == 2 else 127, np.int8)


def int8_layer(rng, nin, nout, sparse=False, typical=False):
    """(float reference Linear, engine Linear) of a random int8 layer with logical size nout x nin,
    stored padded to 8 rows / 4 columns as libopus does. The scales keep |W x| below 30000 (no p16
    saturation) and spread over two decades below that; typical=True gives pre-activations of a
    few units, as in the models (the acc of random data has a standard deviation of ~5330 sqrt(cols))."""
    rows, cols = pad(nout, 8), pad(nin, 4)
    hi = 4 / (5330 * math.sqrt(cols)) if typical else min(2e-2, 30000 / (127 * 127 * cols))
    scale_range = (hi / 100, hi)
    w = np.zeros((rows, cols), np.int8)
    w[:nout, :nin] = rng.integers(-127, 128, size=(nout, nin))
    scale = np.exp(rng.uniform(*np.log(scale_range), size=rows)).astype(np.float32)
    bias = rng.standard_normal(rows).astype(np.float32)
    if sparse:
        weights, idx = to_sparse(w, rng.random((rows // 8, cols // 4)) < 0.6)
        w = ref.sparse_to_dense(weights, idx, rows, cols)
    else:
        weights, idx = to_blocks(w), None
    conv = fixedpoint.convert_int8_layer(weights, scale, bias=bias, nb_inputs=cols, nb_outputs=rows, idx=idx)
    rl = ref.Linear(cols, rows, weights_int8=weights, weights_idx=idx, scale=scale, bias=bias)
    fl = _nn.Linear(nin, nout, w8=weights, idx=idx, mult=conv["mult"][:nout], shift=conv["shift"][:nout],
                    bias=conv["bias"][:nout])
    return rl, fl


def ref_linear(rl, x, nout):
    """Float reference output, logical part, for a (logical) input x; and the int32 accumulators."""
    xp = np.zeros(rl.nb_inputs, np.float32)
    xp[:len(x)] = x
    y = ref.compute_linear(rl, xp)[:nout]
    acc = (ref.int8_matrix(rl).astype(np.int64) @ ref.quantize_input(xp))[:nout]
    return y, acc


def requant_bound(acc, scale, bias):
    """|p16 / 65536 - float reference| for an int8 layer fed identical x8 (docs/fixed-point.md):
    PSHR 0.5 LSB + bias rounding 0.5 LSB + mult rounding 2^-31 relative + float32 rounding of
    the reference (its product and its bias add)."""
    m = np.abs(acc * scale.astype(np.float64))
    return 1.0 / P16 + m * 2.0**-31 + (2 * m + np.abs(bias)) * 2.0**-23


def a15(rng, n, lo=-32768, hi=32767):
    return rng.integers(lo, hi + 1, size=n).astype(np.int16)


def lipschitz(f):
    """Largest slope of a float reference activation (measured on a fine grid)."""
    x = np.linspace(-12, 12, 200001, dtype=np.float64)
    y = f(x.astype(np.float32)).astype(np.float64)
    return float(np.max(np.abs(np.diff(y) / np.diff(x)))) * 1.01


L_TANH = lipschitz(ref.tanh_approx)
L_SIG = lipschitz(ref.sigmoid_approx)

seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------- (a) kernels across levels
@FULL
@given(seeds, st.integers(1, 24), st.integers(1, 160), st.integers(0, 3))
def test_dense_i8_levels(seed, rb, cb, mode):
    rng = np.random.default_rng(seed)
    rows, cols = 8 * rb, 4 * cb
    w = int8_matrix(rng, rows, cols, mode)
    x = int8_matrix(rng, 1, cols, mode if mode < 2 else 5 - mode).ravel()
    want = w.astype(np.int64) @ x.astype(np.int64)
    for level in LEVELS:
        got = _nn.dense_i8(to_blocks(w), x, rows, cols, level)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, want, err_msg="level %d" % level)


@FULL
@given(seeds, st.integers(1, 24), st.integers(1, 160), st.integers(0, 3), st.floats(0, 1))
def test_sparse_i8_levels(seed, rb, cb, mode, density):
    rng = np.random.default_rng(seed)
    rows, cols = 8 * rb, 4 * cb
    w = int8_matrix(rng, rows, cols, mode)
    weights, idx = to_sparse(w, rng.random((rb, cb)) < density)
    x = int8_matrix(rng, 1, cols, mode if mode < 2 else 5 - mode).ravel()
    want = ref.sparse_to_dense(weights, idx, rows, cols).astype(np.int64) @ x.astype(np.int64)
    for level in LEVELS:
        np.testing.assert_array_equal(_nn.sparse_i8(weights, idx, x, rows, level), want,
                                      err_msg="level %d" % level)


@FULL
@given(seeds, st.integers(1, 80), st.integers(1, 700), st.integers(0, 2))
def test_dense_i16_levels(seed, rows, cols, mode):
    rng = np.random.default_rng(seed)
    if mode == 0:
        w = rng.integers(-32767, 32768, size=(rows, cols))
        x = rng.integers(-32768, 32768, size=cols)
    else:  # extremes: the largest products of either sign
        w = rng.choice([-32767, 32767], size=(rows, cols))
        x = np.full(cols, -32768 if mode == 1 else 32767)
    w, x = w.astype(np.int16), x.astype(np.int16)
    want = w.astype(np.int64) @ x.astype(np.int64)
    for level in LEVELS:
        got = _nn.dense_i16(w, x, rows, cols, level)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want, err_msg="level %d" % level)


def test_kernel_arguments_checked():
    with pytest.raises(errors.InvalidArgumentError):
        _nn.dense_i8(np.zeros(32, np.int8), np.zeros(4, np.int8), 8, 5, 0)
    with pytest.raises(errors.InvalidArgumentError):
        _nn.dense_i8(np.zeros(32, np.int16), np.zeros(4, np.int8), 8, 4, 0)
    with pytest.raises(errors.WeightsError):  # column 8 is past a 8-column input
        _nn.sparse_i8(np.zeros(32, np.int8), np.array([1, 8], np.int32), np.zeros(8, np.int8), 8, 0)
    with pytest.raises(errors.InvalidArgumentError):
        _nn.dense_i16(np.full(4, -32768, np.int16), np.zeros(4, np.int16), 1, 4, 0)
    with pytest.raises(errors.CpuLevelError):
        _nn.dense_i8(np.zeros(32, np.int8), np.zeros(4, np.int8), 8, 4, _nn.cpu_max_level() + 1)


def test_cpu_levels():
    assert _nn.cpu_level_name(0) == "scalar"
    old = _nn.cpu_level()
    try:
        for level in LEVELS:
            _nn.set_cpu_level(level)
            assert _nn.cpu_level() == level
        with pytest.raises(errors.CpuLevelError):
            _nn.set_cpu_level(_nn.cpu_max_level() + 1)
    finally:
        _nn.set_cpu_level(old)


@SOME
@given(seeds, st.integers(1, 300), st.integers(1, 100), st.booleans())
def test_layers_equal_across_levels(seed, nin, nout, sparse):
    """A whole layer (quantization, kernel, requantization) gives the same integers at every level."""
    rng = np.random.default_rng(seed)
    _, fl = int8_layer(rng, nin, nout, sparse)
    x = a15(rng, nin)
    old = _nn.cpu_level()
    try:
        outs = []
        for level in LEVELS:
            _nn.set_cpu_level(level)
            outs.append(_nn.linear_a15(fl, x))
    finally:
        _nn.set_cpu_level(old)
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


# ------------------------------------------------------- (b) fixed point vs the float reference
@FULL
@given(seeds, st.integers(1, 600), st.integers(1, 130), st.booleans())
def test_linear_int8_vs_reference(seed, nin, nout, sparse):
    """Inputs the engine represents exactly (a15): both sides see the same x8, so only the
    requantization and the bias rounding remain."""
    rng = np.random.default_rng(seed)
    rl, fl = int8_layer(rng, nin, nout, sparse)
    x = a15(rng, nin)
    got = _nn.linear_a15(fl, x) / P16
    y, acc = ref_linear(rl, x / A15, nout)
    bound = requant_bound(acc, rl.scale[:nout], rl.bias[:nout])
    err = np.abs(got - y)
    record("int8 linear vs float32 reference (p16)", err, bound)
    assert np.all(err <= bound)
    # against the exact value of the same formula (acc * s is exact in double): 1 LSB
    exact = acc * rl.scale[:nout].astype(np.float64) + rl.bias[:nout].astype(np.float64)
    err = np.abs(got - exact)
    bound = (1 + np.abs(exact) * 2.0**-30) / P16
    record("int8 linear vs exact, same x8 (p16)", err, bound)
    assert np.all(err <= bound)


@FULL
@given(seeds, st.integers(1, 600), st.integers(1, 130))
def test_linear_int8_float_input_bound(seed, nin, nout):
    """Arbitrary inputs in [-1, 1): the engine's input path (a15, then x8) is within
    0.5/127 + 0.5/32768 of x per input, so |y - exact| <= sum_j 127 s_i |w_ij| (0.5/127 + 0.5/32768)
    + requantization (docs/fixed-point.md)."""
    rng = np.random.default_rng(seed)
    rl, fl = int8_layer(rng, nin, nout)
    x = rng.uniform(-1, 32767 / A15, nin)
    xa = np.clip(np.floor(x * A15 + 0.5), -32768, 32767).astype(np.int16)
    got = _nn.linear_a15(fl, xa) / P16
    w = ref.int8_matrix(rl)[:nout, :nin].astype(np.float64)
    s = rl.scale[:nout].astype(np.float64)
    exact = s * (w @ (127 * x)) + rl.bias[:nout]
    bound = s * 127 * (np.abs(w).sum(axis=1) * (0.5 / 127 + 0.5 / A15)) + 1.0 / P16 + 1e-9
    err = np.abs(got - exact)
    record("int8 linear vs exact math (p16)", err, bound)
    assert np.all(err <= bound)
    # the float reference obeys the same bound without the a15 term
    y, _ = ref_linear(rl, x.astype(np.float32), nout)
    ref_bound = s * (np.abs(w).sum(axis=1) * (0.5 + 127 * 2.0**-24)) + 1e-6 * (1 + np.abs(exact))
    assert np.all(np.abs(y - exact) <= ref_bound)


def wide_layer(rng, nin, nout):
    sigma = math.exp(rng.uniform(math.log(1e-3), math.log(2.0)))
    w = (rng.standard_normal((nin, nout)) * sigma).astype(np.float32)
    w[:, rng.random(nout) < 0.05] = 0  # some all-zero rows
    bias = rng.standard_normal(nout).astype(np.float32)
    conv = fixedpoint.convert_float_layer(w.ravel(), bias, nin, nout)
    rl = ref.Linear(nin, nout, float_weights=w.ravel(), bias=bias)
    fl = _nn.Linear(nin, nout, w16=conv["w16"], wexp=conv["wexp"], bias=conv["bias"])
    return rl, fl, w.T.astype(np.float64), conv


@FULL
@given(seeds, st.integers(1, 300), st.integers(1, 130), st.integers(0, 15))
def test_linear_wide_vs_reference(seed, nin, nout, in_q):
    """Wide layer, input in Q in_q: error <= sum_j |x_j| 0.5 2^-k_i (weight rounding) + 0.5 LSB
    (shift) + 0.5 LSB (bias), plus float32 rounding of the reference's ordered sum."""
    rng = np.random.default_rng(seed)
    rl, fl, w, conv = wide_layer(rng, nin, nout)
    # the smallest in_q >= the drawn one that keeps every output far from p16 saturation
    while in_q < 15 and (np.abs(w).sum(axis=1).max() * 32768 / 2**in_q + 4) > 30000:
        in_q += 1
    x = a15(rng, nin)
    xv = x.astype(np.float64) / 2**in_q
    assume(np.max(np.abs(w) @ np.abs(xv)) + 4 < 30000)
    got = _nn.linear_i16(fl, x, in_q) / P16
    k = conv["wexp"].astype(np.float64)
    terms = np.abs(w) @ np.abs(xv)
    # exact math (products exact in double, the sum within nin 2^-53 of its terms)
    exact = w @ xv + rl.bias.astype(np.float64)
    bound = (np.abs(xv).sum() * 0.5 * 2.0**-k + 1.0 / P16 + nin * 2.0**-52 * (terms + 1)) * (1 + 1e-9)
    err = np.abs(got - exact)
    record("wide linear vs exact (p16)", err, bound)
    assert np.all(err <= bound)
    # the float32 reference adds its ordered-sum rounding
    y = ref.compute_linear(rl, xv.astype(np.float32)).astype(np.float64)
    bound = bound + (nin + 2) * 2.0**-24 * (terms + np.abs(rl.bias))
    assert np.all(np.abs(got - y) <= bound)


INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


def linear_i32_spec(w32, wexp32, x, in_q, bias=None):
    """dredfx_nn_linear_i32 by its definition (nn.h), on Python integers: the exact sum rounded
    half up by 2^s (or shifted left), saturated, plus the saturating bias."""
    acc = np.asarray(w32).astype(object) @ np.asarray(x).astype(object)
    out = []
    for i, a in enumerate(acc):
        s = int(wexp32[i]) + in_q - 16
        v = (a + (1 << (s - 1))) >> s if s > 0 else a << -s
        v = max(INT32_MIN, min(INT32_MAX, v))
        if bias is not None:
            v = max(INT32_MIN, min(INT32_MAX, v + int(bias[i])))
        out.append(v)
    return np.array(out, dtype=np.int64)


def wide32_int(rng, shape):
    """int32 values of every magnitude (no INT32_MIN): a random int32 shifted right by 0..31."""
    v = rng.integers(INT32_MIN, INT32_MAX + 1, size=shape, dtype=np.int64) >> rng.integers(0, 32, size=shape)
    return np.where(v == INT32_MIN, 0, v).astype(np.int32)


@FULL
@given(seeds, st.integers(1, 300), st.integers(1, 40), st.integers(0, 31), st.integers(0, 2))
def test_linear_wide32_definition(seed, nin, nout, in_q, mode):
    """The 32-bit wide layer equals its definition (exact sum, one rounding) bit for bit, for
    every int32 input and weight (mode 1, 2: the largest magnitudes of either sign)."""
    rng = np.random.default_rng(seed)
    w = wide32_int(rng, (nout, nin))
    x = wide32_int(rng, nin)
    if mode:
        w = rng.choice(np.array([-INT32_MAX, INT32_MAX], np.int32), size=(nout, nin))
        x = np.full(nin, INT32_MIN if mode == 1 else INT32_MAX, np.int32)
    wexp = rng.integers(0, 63, size=nout).astype(np.int32)
    bias = wide32_int(rng, nout)
    fl = _nn.Linear(nin, nout, w32=w, wexp32=wexp, bias=bias)
    want = linear_i32_spec(w, wexp, x, in_q, bias)
    old = _nn.cpu_level()
    try:
        for level in LEVELS:
            _nn.set_cpu_level(level)
            np.testing.assert_array_equal(_nn.linear_i32(fl, x, in_q), want, err_msg="level %d" % level)
    finally:
        _nn.set_cpu_level(old)


def wide32_bound(w, wexp32, xv, in_q=16):
    """|p16 - exact W x + b| of a 32-bit wide layer fed x exactly (docs/fixed-point.md): weight
    rounding 0.5 2^-k32 sum|x| + 0.5 LSB (shift) + 0.5 LSB (bias), plus double rounding of the
    exact reference's own sum."""
    terms = np.abs(w) @ np.abs(xv)
    return (np.abs(xv).sum() * 0.5 * 2.0**-wexp32.astype(np.float64) + 1.0 / P16
            + w.shape[1] * 2.0**-52 * (terms + 1)) * (1 + 1e-9)


@FULL
@given(seeds, st.integers(1, 300), st.integers(1, 130), st.floats(-2, 9))
def test_linear_wide32_vs_exact(seed, nin, nout, log2_range):
    """32-bit wide layer on p16 inputs up to +-2^log2_range (beyond DRED's state, 258): error
    <= 0.5 2^-k32 sum|x| + 1 LSB p16; the weights keep 31 bits, so the bound is ~2^-31 sum|x|."""
    rng = np.random.default_rng(seed)
    rl, _, w, conv = wide_layer(rng, nin, nout)
    fl = _nn.Linear(nin, nout, w32=conv["w32"], wexp32=conv["wexp32"], bias=conv["bias"])
    x = np.round(rng.uniform(-1, 1, nin) * 2.0**log2_range * P16).astype(np.int32)
    xv = x / P16
    exact = w @ xv + rl.bias.astype(np.float64)
    assume(np.max(np.abs(exact)) < 30000)
    got = _nn.linear_i32(fl, x, 16) / P16
    bound = wide32_bound(w, conv["wexp32"], xv)
    err = np.abs(got - exact)
    record("wide32 linear vs exact (p16, inputs up to 2^9)", err, bound)
    assert np.all(err <= bound)
    # an a15 input through linear_a15 takes the 32-bit path (Q15)
    xa = a15(rng, nin)
    np.testing.assert_array_equal(_nn.linear_a15(fl, xa), _nn.linear_i32(fl, xa.astype(np.int32), 15))


def test_tanh_sigmoid_exhaustive():
    """Every p16 input in [-16, 16]: the table approximation vs libopus' float approximation and
    vs the true function, within the documented worst cases (nn.h, docs/fixed-point.md)."""
    p = np.arange(-16 * 65536, 16 * 65536 + 1, dtype=np.int32)
    x = p.astype(np.float64) / P16
    t = _nn.tanh(p) / A15
    s = _nn.sigmoid(p) / A15
    et_a = np.abs(t - ref.tanh_approx(x.astype(np.float32)))
    et_t = np.abs(t - np.tanh(x))
    es_a = np.abs(s - ref.sigmoid_approx(x.astype(np.float32)))
    es_t = np.abs(s - 1 / (1 + np.exp(-x)))
    record("tanh vs libopus approx", et_a, _nn.TANH_MAX_ERR_APPROX)
    record("tanh vs true tanh", et_t, _nn.TANH_MAX_ERR_TRUE)
    record("sigmoid vs libopus approx", es_a, _nn.SIGMOID_MAX_ERR_APPROX)
    record("sigmoid vs true sigmoid", es_t, _nn.SIGMOID_MAX_ERR_TRUE)
    assert et_a.max() <= _nn.TANH_MAX_ERR_APPROX
    assert et_t.max() <= _nn.TANH_MAX_ERR_TRUE
    assert es_a.max() <= _nn.SIGMOID_MAX_ERR_APPROX
    assert es_t.max() <= _nn.SIGMOID_MAX_ERR_TRUE
    # odd / point-symmetric and monotonic
    np.testing.assert_array_equal(_nn.tanh(-p), -_nn.tanh(p))
    assert np.all(np.diff(_nn.tanh(p).astype(np.int32)) >= 0)
    assert np.all(np.diff(_nn.sigmoid(p).astype(np.int32)) >= 0)
    # the array and the activation-id entry points agree
    np.testing.assert_array_equal(_nn.activation(p, _nn.ACT_TANH), _nn.tanh(p))
    np.testing.assert_array_equal(_nn.activation(p, _nn.ACT_SIGMOID), _nn.sigmoid(p))


@FULL
@given(st.lists(st.integers(-2**31, 2**31 - 1), min_size=1, max_size=64))
def test_activations_full_range(values):
    p = np.array(values, dtype=np.int32)
    x = (p.astype(np.float64) / P16).astype(np.float32)
    assert np.all(np.abs(_nn.tanh(p) / A15 - ref.tanh_approx(x)) <= _nn.TANH_MAX_ERR_APPROX)
    assert np.all(np.abs(_nn.sigmoid(p) / A15 - ref.sigmoid_approx(x)) <= _nn.SIGMOID_MAX_ERR_APPROX)
    lin = _nn.activation(p, _nn.ACT_LINEAR).astype(np.int64)
    want = np.clip((p.astype(np.int64) + 1) >> 1, -32768, 32767)
    np.testing.assert_array_equal(lin, want)
    np.testing.assert_array_equal(_nn.activation(p, _nn.ACT_SOFTMAX), lin)
    np.testing.assert_array_equal(_nn.activation(p, _nn.ACT_RELU), np.where(p > 0, lin, 0))


def test_sigmoid_gate_exact_ends():
    """The g15 gate is exactly 1.0 (32768) and 0 where libopus' generic sigmoid_approx is 1.0f and
    0.0f for every larger |x| (from 682280 = 10.4106 in p16), within the sigmoid bound elsewhere;
    monotonic, sigmoid(-x) = 1 - sigmoid(x); the a15 sigmoid is the same capped at 32767."""
    p = np.arange(-16 * 65536, 16 * 65536 + 1, dtype=np.int32)
    g = _nn.sigmoid_g15(p)
    want = ref.sigmoid_approx((p / P16).astype(np.float32))
    np.testing.assert_array_equal(g == 32768, p >= 682280)
    np.testing.assert_array_equal(g == 0, p <= -682280)
    assert np.all(want[p >= 682280] == 1) and np.all(want[p <= -682280] == 0)
    assert want[p == 682279][0] < 1 and want[p == -682279][0] > 0  # the last inputs short of them
    err = np.abs(g / A15 - want)
    record("sigmoid gate (g15) vs libopus approx", err, _nn.SIGMOID_MAX_ERR_APPROX)
    assert err.max() <= _nn.SIGMOID_MAX_ERR_APPROX
    assert np.all(np.diff(g) >= 0)
    np.testing.assert_array_equal(_nn.sigmoid_g15(-p), 32768 - g)
    np.testing.assert_array_equal(_nn.sigmoid(p), np.minimum(g, 32767))
    big = np.array([INT32_MIN, -682281, 682281, INT32_MAX], np.int32)
    np.testing.assert_array_equal(_nn.sigmoid_g15(big), [0, 0, 32768, 32768])


def int8_layer_with_bias(rl, nin, nout, bias):
    """The engine Linear of the reference int8 layer rl (int8_layer) with another float bias."""
    conv = fixedpoint.convert_int8_layer(rl.weights_int8, rl.scale, bias=bias, nb_inputs=rl.nb_inputs,
                                         nb_outputs=rl.nb_outputs, idx=rl.weights_idx)
    return (rl._replace(bias=bias),
            _nn.Linear(nin, nout, w8=rl.weights_int8, idx=rl.weights_idx, mult=conv["mult"][:nout],
                       shift=conv["shift"][:nout], bias=conv["bias"][:nout]))


def test_gru_saturated_update_gate_keeps_state():
    """10,000 GRU steps whose update gates are saturated (z pre-activation ~ 100): the state stays
    bit for bit what it was, in the engine (gate 1.0 exact) as in libopus' float GRU. A gate of
    32767 / 32768 would move it by ~2^-15 of (state - h~) a step."""
    rng = np.random.default_rng(11)
    n, nin = 32, 48
    rl_in, _ = int8_layer(rng, nin, 3 * n, typical=True)
    rl_rec, fl_rec = int8_layer(rng, n, 3 * n, typical=True)
    bias = np.asarray(rl_in.bias, np.float32).copy()
    bias[:n] = 100
    rl_in, fl_in = int8_layer_with_bias(rl_in, nin, 3 * n, bias)
    state0 = a15(rng, n)
    state, fstate = state0.copy(), (state0 / A15).astype(np.float32)
    for step in range(10000):
        x = a15(rng, nin)
        state = _nn.gru(fl_in, fl_rec, state, x)
        if step % 100 == 0:  # the float reference (slower) on every 100th step's input
            xp = np.zeros(rl_in.nb_inputs, np.float32)
            xp[:nin] = x / A15
            sp = np.zeros(rl_rec.nb_inputs, np.float32)
            sp[:n] = fstate
            fstate = ref.gru(rl_in, rl_rec, sp, xp)[:n]
    np.testing.assert_array_equal(state, state0)
    np.testing.assert_array_equal(fstate, (state0 / A15).astype(np.float32))


def gru_bound(rl_in, rl_rec, sv, xv, n):
    """Float reference of one GRU step and the bound of docs/fixed-point.md: linear errors
    e (requant_bound) through the gates: dz <= L_sig (e_az + e_cz) + E_sig, same for r;
    dh~ <= L_tanh (e_ah + |r| e_ch + |c_h| dr + 2^-16) + E_tanh;
    dstate <= |state - h~| dz + (1 - z + dz) dh~ + 2^-16 (plus float32 rounding of the reference)."""
    a, acc_a = ref_linear(rl_in, xv, 3 * n)
    c, acc_c = ref_linear(rl_rec, sv, 3 * n)
    ea = requant_bound(acc_a, rl_in.scale[:3 * n], rl_in.bias[:3 * n])
    ec = requant_bound(acc_c, rl_rec.scale[:3 * n], rl_rec.bias[:3 * n])
    zr = ref.sigmoid_approx(a[:2 * n] + c[:2 * n]).astype(np.float64)
    z, r = zr[:n], zr[n:]
    hh = ref.tanh_approx(a[2 * n:] + c[2 * n:] * r.astype(np.float32)).astype(np.float64)
    want = (z * sv + (1 - z) * hh).astype(np.float32)
    mag = (np.abs(a) + np.abs(c)) * 2.0**-23  # float32 rounding of the reference's gate sums
    dz = L_SIG * (ea[:n] + ec[:n] + mag[:n]) + _nn.SIGMOID_MAX_ERR_APPROX + F32_SLACK
    dr = L_SIG * (ea[n:2 * n] + ec[n:2 * n] + mag[n:2 * n]) + _nn.SIGMOID_MAX_ERR_APPROX + F32_SLACK
    dh = L_TANH * (ea[2 * n:] + np.abs(r) * ec[2 * n:] + np.abs(c[2 * n:]) * dr + 1 / P16 + mag[2 * n:]) \
        + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
    return want, np.abs(sv - hh) * dz + (1 - z + dz) * dh + 1 / P16 + F32_SLACK


@FULL
@given(seeds, st.integers(1, 64), st.integers(1, 64), st.booleans(), st.booleans())
def test_gru_vs_reference(seed, n, nin, sparse, typical):
    """One GRU step from the same a15 state and input, within gru_bound."""
    rng = np.random.default_rng(seed)
    rl_in, fl_in = int8_layer(rng, nin, 3 * n, sparse, typical)
    rl_rec, fl_rec = int8_layer(rng, n, 3 * n, typical=typical)
    state = a15(rng, n)
    x = a15(rng, nin)
    got = _nn.gru(fl_in, fl_rec, state, x) / A15
    want, bound = gru_bound(rl_in, rl_rec, state / A15, x / A15, n)
    err = np.abs(got - want)
    record("GRU state, one step" + (" (typical scales)" if typical else ""), err, bound)
    assert np.all(err <= bound)


def test_gru_reference_matches_libopus_formula():
    """ref.gru is compute_generic_gru: checks it against the gate formulas written out."""
    rng = np.random.default_rng(7)
    rl_in, _ = int8_layer(rng, 24, 48)
    rl_rec, _ = int8_layer(rng, 16, 48)
    s = rng.uniform(-1, 1, 16).astype(np.float32)
    x = rng.uniform(-1, 1, 24).astype(np.float32)
    a, c = ref.compute_linear(rl_in, x), ref.compute_linear(rl_rec, s)
    z = ref.sigmoid_approx(a[:16] + c[:16])
    r = ref.sigmoid_approx(a[16:32] + c[16:32])
    h = ref.tanh_approx(a[32:] + c[32:] * r)
    np.testing.assert_array_equal(ref.gru(rl_in, rl_rec, s, x), z * s + (1 - z) * h)


@FULL
@given(seeds, st.integers(1, 96), st.booleans())
def test_glu_vs_reference(seed, n, sparse):
    """GLU: |x| (L_sig e + E_sig) + 0.5 LSB a15 (the product's rounding)."""
    rng = np.random.default_rng(seed)
    rl, fl = int8_layer(rng, n, n, sparse, typical=True)
    x = a15(rng, n)
    got = _nn.glu(fl, x) / A15
    y, acc = ref_linear(rl, x / A15, n)
    want = (x / A15) * ref.sigmoid_approx(y).astype(np.float64)
    e = requant_bound(acc, rl.scale[:n], rl.bias[:n])
    bound = np.abs(x / A15) * (L_SIG * e + _nn.SIGMOID_MAX_ERR_APPROX + F32_SLACK) + 0.5 / A15 + F32_SLACK
    err = np.abs(got - want)
    record("GLU", err, bound)
    assert np.all(err <= bound)
    # square padded layers run through ref.glu too
    if n % 8 == 0:
        np.testing.assert_allclose(ref.glu(rl, x / A15), want, rtol=0, atol=1e-6)


@FULL
@given(seeds, st.integers(1, 48), st.integers(2, 3), st.integers(1, 2), st.sampled_from([0, 2]))
def test_conv1d_vs_reference(seed, size, ksize, dilation, act):
    """conv1d (and dilated): the memory update is exact; the output obeys the dense bound
    (tanh: L_tanh e + E_tanh; linear: e + 0.5 LSB a15)."""
    rng = np.random.default_rng(seed)
    size = pad(size, 4)  # the layer sees [memory | input], so the taps must be 4-aligned
    nout = 8 * rng.integers(1, 5)
    rl, fl = int8_layer(rng, ksize * size, nout, typical=True)
    nmem = (ksize - 1) * size * dilation
    mem = a15(rng, nmem)
    x = a15(rng, size)
    out, new_mem = _nn.conv1d(fl, act, mem, x, size, dilation)
    want, want_mem = ref.conv1d(rl, mem / A15, x / A15, size, act, dilation)
    np.testing.assert_array_equal(new_mem / A15, want_mem)
    taps = np.concatenate([mem[i * size * dilation:i * size * dilation + size] for i in range(ksize - 1)] + [x])
    y, acc = ref_linear(rl, taps / A15, nout)
    check_activated("conv1d output", out, want, requant_bound(acc, rl.scale, rl.bias), act)


def check_activated(name, out, want, e, act):
    """a15 outputs of a layer whose pre-activation error is e: tanh L_tanh e + E_tanh; linear
    e + 0.5 LSB a15 against the reference clipped to a15's range."""
    if act == _nn.ACT_TANH:
        bound = L_TANH * e + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
    else:
        want = np.clip(want, -1, 32767 / A15)
        bound = e + 0.5 / A15 + F32_SLACK
    err = np.abs(out / A15 - want)
    record(name, err, bound)
    assert np.all(err <= bound)


def conv2d_layer(rng, cin, cout, kt, kh):
    sigma = math.exp(rng.uniform(math.log(1e-3), math.log(0.5)))
    w = (rng.standard_normal(cout * cin * kt * kh) * sigma).astype(np.float32)
    bias = (rng.standard_normal(cout) * 0.5).astype(np.float32)
    conv = fixedpoint.convert_conv2d_layer(w, bias, cin, cout, kt, kh)
    fl = _nn.Linear(cin * kt * kh, cout, w16=conv["w16"], wexp=conv["wexp"], bias=conv["bias"])
    return w, bias, fl, conv["wexp"].astype(np.float64)


def conv2d_bound(w, bias, wexp, frames, cin, cout, kt, kh, height):
    """Per output (before the activation): sum of |x| over the taps times 0.5 2^-k_i (weight
    rounding) + 0.5 LSB (shift) + 0.5 LSB (bias), plus float32 rounding of the reference's sums."""
    w = w.reshape(cout, cin, kt, kh).astype(np.float64)
    f = frames.reshape(kt, cin, height + kh - 1)
    absx = np.zeros(height)
    terms = np.zeros((cout, height))
    for m in range(cin):
        for t in range(kt):
            for h in range(kh):
                absx += np.abs(f[t, m, h:h + height])
                terms += np.abs(w[:, m, t, h])[:, None] * np.abs(f[t, m, h:h + height])[None, :]
    ntaps = cin * kt * kh
    return (absx[None, :] * 0.5 * 2.0**-wexp[:, None] + 1.0 / P16
            + (ntaps + 3) * 2.0**-24 * (terms + np.abs(bias.astype(np.float64))[:, None]))


@FULL
@given(seeds, st.integers(1, 4), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 40),
       st.sampled_from([_nn.ACT_TANH, _nn.ACT_LINEAR]))
def test_conv2d_vs_reference(seed, cin, cout, kt, kh, height, act):
    """conv2d over 3 frames from a zero memory: the memory is the last ktime - 1 frames exactly;
    each output obeys the wide-layer bound (tanh: L_tanh e + E_tanh; linear: e + 0.5 LSB a15)."""
    rng = np.random.default_rng(seed)
    w, bias, fl, wexp = conv2d_layer(rng, cin, cout, kt, kh)
    ts = cin * (height + kh - 1)
    mem = np.zeros((kt - 1) * ts, np.int16)
    rmem = np.zeros((kt - 1) * ts, np.float32)
    for _ in range(3):
        x = a15(rng, ts)
        frames = np.concatenate([mem, x]) / A15
        out, mem = _nn.conv2d(fl, cin, kt, kh, act, mem, x, height)
        want, rmem = ref.conv2d(w, bias, cin, cout, kt, kh, rmem, x / A15, height, act)
        np.testing.assert_array_equal(mem / A15, rmem)
        np.testing.assert_array_equal(mem, frames[ts:] * A15)
        check_activated("conv2d output", out, want, conv2d_bound(w, bias, wexp, frames, cin, cout, kt, kh, height),
                        act)


def test_conv2d_in_q_and_arguments():
    """in_q scales the input like linear_i16's; sizes that do not match the layer are refused."""
    rng = np.random.default_rng(11)
    w, bias, fl, _ = conv2d_layer(rng, 2, 3, 2, 3)
    x = a15(rng, 2 * 12, -4096, 4096)
    mem = a15(rng, 2 * 12, -4096, 4096)
    a, _ = _nn.conv2d(fl, 2, 2, 3, _nn.ACT_LINEAR, mem, x, 10, 15)
    b, _ = _nn.conv2d(fl, 2, 2, 3, _nn.ACT_LINEAR, mem // 8, x // 8, 10, 12)
    assert np.max(np.abs(a.astype(int) - b.astype(int))) <= 4  # same values, 3 fewer input bits
    with pytest.raises(errors.DredfxError):
        _nn.conv2d(fl, 2, 3, 3, _nn.ACT_LINEAR, np.zeros(48, np.int16), x, 10)  # 18 taps, layer has 12
    with pytest.raises(errors.DredfxError):
        _nn.conv2d(fl, 2, 2, 3, _nn.ACT_LINEAR, mem, x[:-1], 10)
    with pytest.raises(errors.DredfxError):
        _nn.conv2d(fl, 2, 2, 3, _nn.ACT_LINEAR, mem, x, 10, 32)


@FULL
@given(st.lists(st.integers(-40 * 65536, 15 * 65536), min_size=1, max_size=32))
def test_exp2(values):
    """2^x: relative error <= EXP2_MAX_REL_ERR plus half a Q16 LSB (nn.h)."""
    p = np.array(values, dtype=np.int32)
    got = _nn.exp2(p).astype(np.float64)
    want = np.exp2(p / P16) * P16
    err = np.abs(got - want)
    bound = want * _nn.EXP2_MAX_REL_ERR + 0.5 + 1e-9 * want
    record("exp2 relative (results >= 1.0)", (err / want)[want >= P16], _nn.EXP2_MAX_REL_ERR + 0.5 / P16)
    assert np.all(err <= bound)


@FULL
@given(st.lists(st.integers(1, 2**31 - 1), min_size=1, max_size=32), st.integers(0, 30))
def test_log2(values, q):
    x = np.array(values, dtype=np.int32)
    got = _nn.log2(x, q) / P16
    err = np.abs(got - (np.log2(x.astype(np.float64)) - q))
    record("log2", err, _nn.LOG2_MAX_ERR)
    assert np.all(err <= _nn.LOG2_MAX_ERR)
    assert np.all(_nn.log2(np.array([0, -5], np.int32), q) == -2**31)


def test_layer_arguments_checked():
    rng = np.random.default_rng(1)
    _, fl = int8_layer(rng, 8, 8)
    with pytest.raises(errors.InvalidArgumentError):
        _nn.linear_a15(fl, np.zeros(8, np.float32))
    with pytest.raises(errors.InvalidArgumentError):
        _nn.linear_a15(fl, np.zeros(7, np.int16))
    with pytest.raises(errors.InvalidArgumentError):
        _nn.Linear(8, 8, w8=np.zeros(64, np.int8), mult=np.ones(8, np.int32), shift=np.zeros(8, np.int32))
    with pytest.raises(errors.WeightsError):
        _nn.Linear(8, 8, w8=np.zeros(64, np.int8), idx=np.array([2, 0, 8], np.int32),
                   mult=np.ones(8, np.int32), shift=np.ones(8, np.int32))
    with pytest.raises(errors.InvalidArgumentError):
        _nn.Linear(2, 1, w16=np.array([-32768, 0], np.int16), wexp=np.zeros(1, np.int32))
    with pytest.raises(errors.InvalidArgumentError):  # a wide layer through the i16 path only
        _nn.linear_i16(fl, np.zeros(8, np.int16), 10)


# ------------------------------------------------------------------------ (c) the converter


@FULL
@given(st.floats(min_value=2.0**-60, max_value=2.0**14, exclude_max=True, width=32), st.booleans())
def test_requant_exact(scale, negative):
    """For a float32 scale, mult * 2^-shift == scale * 65536 exactly unless shift is capped at 62
    (then within half a unit of 2^-62); |mult| in [2^30, 2^31) when not capped."""
    scale = np.float32(-scale if negative else scale)
    d = fixedpoint.convert_int8_layer(np.zeros(32, np.int8), np.full(8, scale), nb_inputs=4, nb_outputs=8)
    mult, shift = int(d["mult"][0]), int(d["shift"][0])
    f = Fraction(float(scale)) * 65536
    assert 1 <= shift <= 62
    got = Fraction(mult, 2**shift)
    if shift < 62:
        assert 2**30 <= abs(mult) < 2**31
        assert got == f
    else:
        assert abs(got - f) <= Fraction(1, 2**63)
    assert np.all(d["mult"] == mult) and np.all(d["bias"] == 0)


@FULL
@given(st.integers(1, 2**80), st.integers(1, 2**80))
def test_requant_rational(num, den):
    """Any positive rational f: relative error <= 2^-31 (2^-30 with the shift - 1 path), |mult| < 2^31."""
    f = Fraction(num, den)
    try:
        mult, shift = fixedpoint.requant(f)
    except errors.WeightsError:
        assert f >= 2**30 - Fraction(1, 4)  # shift would be < 1
        return
    assert f < 2**30
    assert 0 <= mult < 2**31 and 1 <= shift <= 62
    if shift < 62:
        assert abs(Fraction(mult, 2**shift) / f - 1) <= Fraction(1, 2**30)
        assert mult >= 2**30


def test_requant_edges():
    assert fixedpoint.requant(Fraction(0)) == (0, 1)
    # rounds up to 2^31: one shift less, mult 2^30
    f = Fraction(2**31 * 2 - 1, 2 * 2**20)
    assert fixedpoint.requant(f) == (2**30, 19)
    assert fixedpoint.requant(-f) == (-2**30, 19)
    with pytest.raises(errors.WeightsError):
        fixedpoint.convert_int8_layer(np.zeros(32, np.int8), np.full(8, 2.0**14, np.float32),
                                      nb_inputs=4, nb_outputs=8)


@FULL
@given(seeds, st.integers(1, 40), st.integers(1, 12), st.floats(-30, 12))
def test_float_layer_exact(seed, nin, nout, log_sigma):
    """w16 * 2^-k within 0.5 * 2^-k of each float32 weight, |w16| <= 32767 (never -32768), k the
    largest exponent that fits (or 40); zero rows give k = 0; biases round to the nearest p16.
    The 32-bit form: w32 = round(w 2^k32) exactly, |w32| <= 2^31 - 1, k32 the largest exponent that
    fits (or 62), so every weight of at least 2^-7 times its row's largest is exact."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((nin, nout)) * 2.0**log_sigma).astype(np.float32)
    w[:, rng.random(nout) < 0.2] = 0
    if rng.random() < 0.3:
        w[0, 0] = np.float32(32767.49 * 2.0**-rng.integers(0, 20))  # a tie-prone maximum
    assume(np.all(np.abs(w) < 32767.5))
    b = (rng.standard_normal(nout) * 100).astype(np.float32)
    d = fixedpoint.convert_float_layer(w.ravel(), b, nin, nout)
    assert d["w16"].dtype == np.int16 and d["w16"].shape == (nout, nin)
    assert d["w16"].min() > -32768
    for i in range(nout):
        k = int(d["wexp"][i])
        row = [Fraction(float(v)) for v in w[:, i]]
        assert 0 <= k <= 40
        for v, q in zip(row, d["w16"][i]):
            assert abs(Fraction(int(q), 2**k) - v) <= Fraction(1, 2**(k + 1))
        m = max(abs(v) for v in row)
        if m == 0:
            assert k == 0
        elif k < 40:
            assert fixedpoint.round_half_away(m * 2**(k + 1)) > 32767
        assert abs(Fraction(int(d["bias"][i]), 65536) - Fraction(float(b[i]))) <= Fraction(1, 2 * 65536)
        k32 = int(d["wexp32"][i])
        assert 0 <= k32 <= 62
        for v, q in zip(row, d["w32"][i]):
            assert int(q) == fixedpoint.round_half_away(v * 2**k32)
            if m != 0 and abs(v) >= m / 128 and k32 < 62:
                assert Fraction(int(q), 2**k32) == v
        if m == 0:
            assert k32 == 0
        elif k32 < 62:
            assert fixedpoint.round_half_away(m * 2**(k32 + 1)) > 2**31 - 1
    assert d["w32"].dtype == np.int32 and d["w32"].shape == (nout, nin) and d["w32"].min() > -2**31


@FULL
@given(seeds, st.integers(1, 16), st.integers(1, 8), st.booleans())
def test_subias_identity(seed, cb, rb, sparse):
    """A subias-only layer (FARGAN GRUs) gets bias = subias + 127 * scale * sum_j w_ij: libopus'
    x86 identity, which gives back the bias the subias was made from."""
    rng = np.random.default_rng(seed)
    rows, cols = 8 * rb, 4 * cb
    w = rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    if sparse:
        weights, idx = to_sparse(w, rng.random((rb, cb)) < 0.5)
        w = ref.sparse_to_dense(weights, idx, rows, cols)
    else:
        weights, idx = to_blocks(w), None
    scale = rng.uniform(1e-4, 1e-2, rows).astype(np.float32)
    bias = rng.standard_normal(rows).astype(np.float32)
    sums = w.astype(np.int64).sum(axis=1)
    subias = (bias.astype(np.float64) - 127 * scale.astype(np.float64) * sums).astype(np.float32)
    got = fixedpoint.convert_int8_layer(weights, scale, subias=subias, nb_inputs=cols, nb_outputs=rows, idx=idx)
    with_bias = fixedpoint.convert_int8_layer(weights, scale, bias=bias, nb_inputs=cols, nb_outputs=rows, idx=idx)
    np.testing.assert_array_equal(got["mult"], with_bias["mult"])
    np.testing.assert_array_equal(got["shift"], with_bias["shift"])
    exact = subias.astype(np.float64) + 127 * scale.astype(np.float64) * sums
    assert np.all(np.abs(got["bias"] - exact * 65536) <= 0.5 + 1e-6)
    # float32 rounding of the stored subias is all that separates it from the bias
    tol = 0.5 + 1 + np.abs(subias.astype(np.float64)) * 2.0**-24 * 65536
    assert np.all(np.abs(got["bias"] - with_bias["bias"]) <= tol)


@SOME
@given(seeds, st.booleans())
def test_converter_deterministic(seed, sparse):
    """Same values, same bytes, whatever the input arrays' byte order or memory layout."""
    rng = np.random.default_rng(seed)
    rows, cols = 32, 24
    w = rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    weights, idx = to_sparse(w, rng.random((4, 6)) < 0.5) if sparse else (to_blocks(w), None)
    scale = rng.uniform(1e-4, 1e-2, rows).astype(np.float32)
    sub = rng.standard_normal(rows).astype(np.float32)
    a = fixedpoint.convert_int8_layer(weights, scale, subias=sub, nb_inputs=cols, nb_outputs=rows, idx=idx)
    b = fixedpoint.convert_int8_layer(weights.copy(), scale.astype(">f4"), subias=sub.astype(">f4")[::-1][::-1],
                                      nb_inputs=cols, nb_outputs=rows, idx=None if idx is None else list(idx))
    for key in a:
        assert a[key].tobytes() == b[key].tobytes()
    wf = rng.standard_normal(cols * rows).astype(np.float32)
    c = fixedpoint.convert_float_layer(wf, scale, cols, rows)
    e = fixedpoint.convert_float_layer(wf.astype(">f4").reshape(cols, rows), scale.astype(">f4"), cols, rows)
    for key in c:
        assert c[key].tobytes() == e[key].tobytes()


def test_converter_rejects_bad_shapes():
    with pytest.raises(errors.WeightsError):
        fixedpoint.convert_int8_layer(np.zeros(31, np.int8), np.ones(8, np.float32), nb_inputs=4, nb_outputs=8)
    with pytest.raises(errors.WeightsError):
        fixedpoint.convert_int8_layer(np.zeros(32, np.int8), np.ones(8, np.float32), nb_inputs=4, nb_outputs=8,
                                      idx=np.array([1, 4], np.int32))
    with pytest.raises(errors.WeightsError):
        fixedpoint.convert_float_layer(np.zeros(5, np.float32), None, 2, 3)
    with pytest.raises(errors.WeightsError):
        fixedpoint.convert_float_layer(np.full(2, 40000, np.float32), None, 2, 1)


def test_reference_layouts():
    """block_to_dense / sparse_to_dense follow libopus' index formula (libopus dnn/nnet.c and dnn/vec.h)."""
    rng = np.random.default_rng(3)
    rows, cols = 16, 12
    w = rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    flat = to_blocks(w)
    for i in range(rows):
        for j in range(cols):
            assert flat[((i // 8) * (cols // 4) + j // 4) * 32 + (i % 8) * 4 + j % 4] == w[i, j]
    np.testing.assert_array_equal(ref.block_to_dense(flat, rows, cols), w)
    keep = rng.random((2, 3)) < 0.5
    weights, idx = to_sparse(w, keep)
    dense = ref.sparse_to_dense(weights, idx, rows, cols)
    mask = np.kron(keep, np.ones((8, 4), bool))
    np.testing.assert_array_equal(dense, np.where(mask, w, 0))
    np.testing.assert_array_equal(fixedpoint.row_sums_int8(weights, cols, rows, idx), dense.sum(axis=1))


def test_reference_activations():
    """The reference's approximations against the true functions (libopus' own accuracy)."""
    x = np.linspace(-20, 20, 400001).astype(np.float32)
    assert np.max(np.abs(ref.tanh_approx(x) - np.tanh(x.astype(np.float64)))) < 2e-4
    assert np.max(np.abs(ref.sigmoid_approx(x) - 1 / (1 + np.exp(-x.astype(np.float64))))) < 1e-4
    e = np.linspace(-30, 30, 100001).astype(np.float32)
    rel = np.abs(ref.exp_approx(e) / np.exp(e.astype(np.float64)) - 1)
    assert rel.max() < 1e-4
    assert ref.exp_approx(np.float32(-40))[()] == 0
    q = ref.quantize_input(np.array([0.5 / 127, -0.5 / 127, 1.0, -1.0], np.float32))
    np.testing.assert_array_equal(q, [1, 0, 127, -127])


# --------------------------------------------------------------------- (d) real libopus layers
def real_layers(weights, *names):
    out = []
    for name in names:
        meta = weights.layers[name]
        nin, nout = meta["nb_inputs"], meta["nb_outputs"]
        out.append((ref.linear_from_arrays(weights.arrays, name, nin, nout),
                    _nn.Linear.from_arrays(weights.arrays, name, nin, nout)))
    return out


@pytest.mark.weights
def test_real_converted_records(weights):
    """The blob's records are exactly what dredfx.fixedpoint makes of libopus' arrays."""
    a = weights.arrays
    for name in ["dec_gru1_input", "dec_gru1_recurrent", "dec_glu1", "dec_output", "dec_dense1"]:
        meta = weights.layers[name]
        if name + "_weights_int8" in a:
            d = fixedpoint.convert_int8_layer(a[name + "_weights_int8"], a[name + "_scale"],
                                              bias=a.get(name + "_bias"), subias=a.get(name + "_subias"),
                                              nb_inputs=meta["nb_inputs"], nb_outputs=meta["nb_outputs"],
                                              idx=a.get(name + "_weights_idx"))
        else:
            d = fixedpoint.convert_float_layer(a[name + "_weights_float"], a.get(name + "_bias"),
                                               meta["nb_inputs"], meta["nb_outputs"])
        for key, v in d.items():
            assert a["%s.%s" % (name, key)].tobytes() == v.tobytes(), "%s.%s" % (name, key)


@pytest.mark.weights
def test_real_layers_requantize_without_saturation(weights):
    """Every int8 layer of the five models passes the load-time bound (kernels.h), so the engine
    requantizes it without saturation, and its outputs at full-scale inputs agree across levels."""
    names = sorted(n[:-len(".mult")] for n in weights.arrays if n.endswith(".mult"))
    assert len(names) == 80
    rng = np.random.default_rng(5)
    old = _nn.cpu_level()
    try:
        for name in names:
            meta = weights.layers[name]
            fl = _nn.Linear.from_arrays(weights.arrays, name, meta["nb_inputs"], meta["nb_outputs"])
            assert fl.requant_proven, name
            x = np.where(rng.random(meta["nb_inputs"]) < 0.5, -32768, 32767).astype(np.int16)
            outs = []
            for level in LEVELS:
                _nn.set_cpu_level(level)
                outs.append(_nn.linear_a15(fl, x))
            for o in outs[1:]:
                np.testing.assert_array_equal(o, outs[0], err_msg=name)
    finally:
        _nn.set_cpu_level(old)


def test_requant_saturating_layer_not_proven():
    """A layer whose shifts let p16 saturate keeps the saturating requantization: full-scale
    inputs reach INT32_MAX / INT32_MIN at every level."""
    w = np.full((8, 4), 127, np.int8)
    fl = _nn.Linear(4, 8, w8=to_blocks(w), mult=np.full(8, 2**31 - 1, np.int32), shift=np.full(8, 1, np.int32))
    assert not fl.requant_proven
    old = _nn.cpu_level()
    try:
        for level in LEVELS:
            _nn.set_cpu_level(level)
            np.testing.assert_array_equal(_nn.linear_a15(fl, np.full(4, 32767, np.int16)), np.full(8, 2**31 - 1))
            np.testing.assert_array_equal(_nn.linear_a15(fl, np.full(4, -32768, np.int16)), np.full(8, -2**31))
    finally:
        _nn.set_cpu_level(old)


@pytest.mark.weights
def test_real_decoder_layers(weights):
    """RDO-VAE decoder layers, fixed point vs float reference on random a15 inputs, within the
    bounds derived as for the random layers; the measured maxima are in docs/fixed-point.md."""
    rng = np.random.default_rng(2024)
    (gi_r, gi_f), (gr_r, gr_f), (glu_r, glu_f), (cd_r, cd_f), (out_r, out_f), (d1_r, d1_f) = real_layers(
        weights, "dec_gru1_input", "dec_gru1_recurrent", "dec_glu1", "dec_conv_dense1", "dec_output",
        "dec_dense1")
    k = weights.arrays["dec_dense1.wexp"].astype(np.float64)
    for _ in range(200):
        # GRU 1 (96 inputs, 64 units)
        s, x = a15(rng, 64), a15(rng, 96)
        got = _nn.gru(gi_f, gr_f, s, x) / A15
        want, bound = gru_bound(gi_r, gr_r, s / A15, x / A15, 64)
        np.testing.assert_allclose(want, ref.gru(gi_r, gr_r, s / A15, x / A15), rtol=0, atol=1e-6)
        record("real dec_gru1 (state)", np.abs(got - want), bound)
        assert np.all(np.abs(got - want) <= bound)
        # GLU 1 (64)
        g = _nn.glu(glu_f, s) / A15
        y, acc = ref_linear(glu_r, s / A15, 64)
        want = ref.glu(glu_r, s / A15)
        bound = np.abs(s / A15) * (L_SIG * requant_bound(acc, glu_r.scale, glu_r.bias)
                                   + _nn.SIGMOID_MAX_ERR_APPROX + F32_SLACK) + 0.5 / A15 + F32_SLACK
        record("real dec_glu1", np.abs(g - want), bound)
        assert np.all(np.abs(g - want) <= bound)
        # conv dense 1 (160 -> 32, tanh)
        xc = a15(rng, 160)
        got = _nn.dense(cd_f, _nn.ACT_TANH, xc) / A15
        y, acc = ref_linear(cd_r, xc / A15, 32)
        want = ref.tanh_approx(y)
        bound = L_TANH * requant_bound(acc, cd_r.scale, cd_r.bias) + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
        record("real dec_conv_dense1 (tanh)", np.abs(got - want), bound)
        assert np.all(np.abs(got - want) <= bound)
        # output (576 -> 80, linear, p16)
        xo = a15(rng, 576)
        got = _nn.linear_a15(out_f, xo) / P16
        want, acc = ref_linear(out_r, xo / A15, 80)
        bound = requant_bound(acc, out_r.scale, out_r.bias)
        record("real dec_output (p16)", np.abs(got - want), bound)
        assert np.all(np.abs(got - want) <= bound)
        # dense 1 (26 -> 96, float weights, tanh), inputs in Q10 within [-8, 8]
        xl = a15(rng, 26, -8192, 8192)
        got = _nn.dense_wide(d1_f, _nn.ACT_TANH, xl, 10) / A15
        want = ref.dense(d1_r, xl / 1024.0, ref.ACTIVATION_TANH)
        w = ref.float_to_dense(d1_r.float_weights, 26, 96).astype(np.float64)
        lin = np.abs(xl / 1024.0).sum() * 0.5 * 2.0**-k + 1 / P16 + 28 * 2.0**-24 * (np.abs(w) @ np.abs(xl / 1024.0) + 1)
        bound = L_TANH * lin + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
        record("real dec_dense1 (wide, tanh)", np.abs(got - want), bound)
        assert np.all(np.abs(got - want) <= bound)


@pytest.mark.weights
def test_real_pitch_conv2d(weights):
    """The pitch DNN's conv2d_1 (1 -> 4 channels) feeding conv2d_2 (4 -> 1), 3x3 over 224 lags, as
    pitchdnn.c chains them (one zero lag each side), 20 frames of random cross-correlation-like
    inputs in [-1, 1]: each layer within its bound; the records are convert_conv2d_layer's."""
    a = weights.arrays
    layers = {}
    for name in ("conv2d_1", "conv2d_2"):
        m = weights.layers[name]
        cin, cout, kt, kh = m["in_channels"], m["out_channels"], m["ktime"], m["kheight"]
        d = fixedpoint.convert_conv2d_layer(a[m["weights_float"]], a[m["bias"]], cin, cout, kt, kh)
        for key, v in d.items():
            assert a["%s.%s" % (name, key)].tobytes() == v.tobytes(), "%s.%s" % (name, key)
        fl = _nn.Linear(cin * kt * kh, cout, w16=d["w16"], wexp=d["wexp"], bias=d["bias"])
        layers[name] = (a[m["weights_float"]], a[m["bias"]], fl, d["wexp"].astype(np.float64), cin, cout, kt, kh)
    assert layers["conv2d_1"][4:] == (1, 4, 3, 3) and layers["conv2d_2"][4:] == (4, 1, 3, 3)
    n = 224
    rng = np.random.default_rng(7)
    mem1, mem2 = np.zeros(2 * (n + 2), np.int16), np.zeros(2 * 4 * (n + 2), np.int16)
    for _ in range(20):
        x = np.zeros(n + 2, np.int16)
        x[1:-1] = a15(rng, n)
        w, b, fl, wexp, cin, cout, kt, kh = layers["conv2d_1"]
        frames = np.concatenate([mem1, x]) / A15
        y1, mem1 = _nn.conv2d(fl, cin, kt, kh, _nn.ACT_TANH, mem1, x, n)
        want, _ = ref.conv2d(w, b, cin, cout, kt, kh, frames[:-(n + 2)], x / A15, n, ref.ACTIVATION_TANH)
        bound = L_TANH * conv2d_bound(w, b, wexp, frames, cin, cout, kt, kh, n) + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
        record("real pitch conv2d_1 (tanh)", np.abs(y1 / A15 - want), bound)
        assert np.all(np.abs(y1 / A15 - want) <= bound)
        # conv2d_2 reads conv2d_1's output with one zero lag each side, per channel
        x2 = np.zeros((4, n + 2), np.int16)
        x2[:, 1:-1] = y1
        x2 = x2.ravel()
        w, b, fl, wexp, cin, cout, kt, kh = layers["conv2d_2"]
        frames = np.concatenate([mem2, x2]) / A15
        y2, mem2 = _nn.conv2d(fl, cin, kt, kh, _nn.ACT_TANH, mem2, x2, n)
        want, _ = ref.conv2d(w, b, cin, cout, kt, kh, frames[:-4 * (n + 2)], x2 / A15, n, ref.ACTIVATION_TANH)
        bound = L_TANH * conv2d_bound(w, b, wexp, frames, cin, cout, kt, kh, n) + _nn.TANH_MAX_ERR_APPROX + F32_SLACK
        record("real pitch conv2d_2 (tanh)", np.abs(y2 / A15 - want), bound)
        assert np.all(np.abs(y2 / A15 - want) <= bound)


def interop_dred_inputs(limit=None):
    """Dequantized DRED states and latents of the real packets of the interop data
    (scripts/interop-data.sh; $DREDFX_INTEROP_DIR or the cache): (states f32 [N, 50],
    states Q16 int32 [N, 50], latents f32 [M, 26], latents Q16 int32 [M, 26]), libopus' float
    values and the C library's Q16 ones; None when the data are absent."""
    import glob
    import json
    from dredfx import dred
    files = sorted(glob.glob(os.path.join(interop_data_dir(), "*.jsonl")))
    if not files:
        return None
    s, sq, lat, lq = [], [], [], []
    for f in files:
        with open(f) as g:
            for line in g:
                rec = json.loads(line)
                p = dred.parse_dred(bytes.fromhex(rec["packet"])) if "dred" in rec else None
                if p is None:
                    continue
                a, b = dred.dequantize(p)
                c, e = dred.dequantize_q16(p)
                s.append(a)
                sq.append(c)
                lat.append(b)
                lq.append(e[:len(b)])
                if limit and len(s) >= limit:
                    break
    return np.array(s), np.array(sq), np.concatenate(lat), np.concatenate(lq)


def wide_layer_errors(rl, fl, wexp32, x, act):
    """Errors of one float-weight layer on the inputs x (float32 [N][nin], the values libopus
    sees), old 16-bit path (inputs in the largest Q that holds max|x|, 15-bit weights) against the
    32-bit path (p16 inputs, 31-bit weights): (largest p16 error vs the exact W x + b, largest a15
    error after the activation vs libopus' float32 generic path), old then new. Asserts the new
    path's bound on every output."""
    nin, nout = rl.nb_inputs, rl.nb_outputs
    w = ref.float_to_dense(rl.float_weights, nin, nout).astype(np.float64)
    b = np.asarray(rl.bias, np.float64)
    xf = np.asarray(x, np.float32)
    exact = xf.astype(np.float64) @ w.T + b
    # libopus' generic float32 path, vectorised over the inputs (same order: j = 0, 1, ...)
    y = np.zeros((len(xf), nout), np.float32)
    wf = w.astype(np.float32)
    for j in range(nin):
        y = y + xf[:, j:j + 1] * wf[:, j]
    y = y + b.astype(np.float32)
    want = ref.compute_activation(y, act).astype(np.float64)
    if np.all((xf >= -1) & (xf < 1)):
        in_q = 15  # a15 inputs
    else:
        in_q = min(15, 14 - math.floor(math.log2(float(np.abs(xf).max()))))
    x16 = np.clip(np.floor(xf.astype(np.float64) * 2**in_q + 0.5), -32768, 32767).astype(np.int16)
    x32 = np.floor(xf.astype(np.float64) * P16 + 0.5).astype(np.int32)
    errs = []
    linear = act == ref.ACTIVATION_LINEAR  # a15 clips a linear output: compare p16 only
    for path in ("16", "32"):
        p = np.empty((len(xf), nout), np.float64)
        a = np.empty((len(xf), nout), np.float64)
        for i in range(len(xf)):
            if path == "16":
                p[i] = _nn.linear_i16(fl, x16[i], in_q)
                a[i] = _nn.dense_wide(fl, act, x16[i], in_q)
            else:
                p[i] = _nn.linear_i32(fl, x32[i], 16)
                a[i] = _nn.dense_wide32(fl, act, x32[i], 16)
        p /= P16
        errs += [np.abs(p - exact).max(), math.nan if linear else np.abs(a / A15 - want).max()]
    xq = x32 / P16
    bound = (np.abs(xq).sum(axis=1, keepdims=True) * 0.5 * 2.0**-wexp32.astype(np.float64)
             + np.abs(xq - xf) @ np.abs(w).T + 1.0 / P16 + 1e-12 * (1 + np.abs(xf) @ np.abs(w).T))
    assert np.all(np.abs(p - exact) <= bound)
    return errs, in_q


REAL_RANGE_TABLE = []


@pytest.fixture(scope="module", autouse=True)
def _report_real_ranges():
    yield
    if REAL_RANGE_TABLE and os.environ.get("DREDFX_NN_REPORT") == "1":
        print("\nfloat-weight layers at real input ranges: largest error, 16-bit path (int16 inputs in Q)"
              " -> 32-bit path (p16 inputs)\n  %-26s %-34s %6s %-23s %-23s" % (
                  "layer", "inputs", "old Q", "linear (p16 units of 1.0)", "after activation"))
        for name, what, q, (e16, a16, e32, a32) in REAL_RANGE_TABLE:
            act = "-" if math.isnan(a16) else "%.2e -> %.2e" % (a16, a32)
            print("  %-26s %-34s %6s %.2e -> %.2e   %s" % (name, what, "Q%d" % q, e16, e32, act))


@pytest.mark.weights
def test_wide_layers_at_real_ranges(weights):
    """The float-weight layers on the inputs real DRED packets give them (dequantized states up
    to ~261, latents up to 128) and on random inputs in those ranges and beyond (crafted
    payloads), the old 16-bit path against the 32-bit one; the 32-bit path within its bound
    (wide_layer_errors), and at least 30 times more accurate than the 16-bit one on these ranges."""
    rng = np.random.default_rng(5)
    names = ["dec_hidden_init", "dec_dense1", "enc_dense1", "cond_net_fdense1", "plc_dense_in",
             "sig_net_cond_gain_dense", "sig_net_gain_dense_out", "plc_dense_out"]
    layers = dict(zip(names, real_layers(weights, *names)))
    acts = {"sig_net_cond_gain_dense": ref.ACTIVATION_LINEAR, "plc_dense_out": ref.ACTIVATION_LINEAR,
            "sig_net_gain_dense_out": ref.ACTIVATION_SIGMOID}
    def grid(lim, shape, f):
        """uniform in +-lim on the grid 2^-f: values both float32 and the fixed paths hold exactly
        (f <= 16: p16; 24 bits in all: float32), so only the layers' own rounding is measured"""
        return np.round(rng.uniform(-lim, lim, shape) * 2.0**f) / 2.0**f

    real = interop_dred_inputs()
    cases = []
    if real is not None:
        states, _, latents, _ = real
        cases += [("dec_hidden_init", "real states (%d packets)" % len(states), states),
                  ("dec_dense1", "real latents (%d)" % len(latents), latents[:20000])]
    for name, lim in (("dec_hidden_init", 258), ("dec_dense1", 80)):
        nin = layers[name][0].nb_inputs
        cases += [(name, "random in +-%d" % lim, grid(lim, (2000, nin), 14)),
                  (name, "random in +-2048 (crafted)", grid(2048, (500, nin), 12))]
    for name in ("enc_dense1", "cond_net_fdense1", "plc_dense_in"):
        nin = layers[name][0].nb_inputs
        cases.append((name, "random features in +-32", grid(32, (2000, nin), 16)))
    for name in ("sig_net_cond_gain_dense", "sig_net_gain_dense_out", "plc_dense_out"):
        nin = layers[name][0].nb_inputs
        cases.append((name, "random a15 activations", grid(1, (2000, nin), 15).clip(-1, 32767 / 32768)))
    for name, what, x in cases:
        rl, fl = layers[name]
        errs, q = wide_layer_errors(rl, fl, weights.arrays[name + ".wexp32"], x, acts.get(name, ref.ACTIVATION_TANH))
        REAL_RANGE_TABLE.append((name, what, q, errs))
        record("wide32 %s, %s (p16)" % (name, what), errs[2])
        if q < 15:  # unbounded inputs: the 16-bit path loses its input bits there
            assert errs[2] * 30 <= errs[0], (name, what, errs)


def rcp12(d):
    """1 / d with a 12-bit significand, as x86 rcpps (relative error < 2^-12)."""
    m, e = np.frexp((np.float32(1) / np.asarray(d, np.float32)).astype(np.float64))
    return np.ldexp(np.round(m * 4096) / 4096, e).astype(np.float32)


def gru_x86_like(input_layer, recurrent_layer, state, x):
    """ref.gru with libopus' x86 activations (vec_avx.h tanh8_approx / sigmoid8_approx: the same
    rational functions with a 12-bit reciprocal instead of the division): a proxy of libopus' own
    spread between its x86 and generic builds."""
    F = np.float32

    def rational(x, n0, n1, n2, d0, d1, d2):
        x2 = x * x
        return ((F(n2) * x2 + F(n1)) * x2 + F(n0)) * x * rcp12((F(d2) * x2 + F(d1)) * x2 + F(d0))

    n = recurrent_layer.nb_inputs
    zrh = ref.compute_linear(input_layer, x)
    recur = ref.compute_linear(recurrent_layer, state)
    zr = np.clip(rational(zrh[:2 * n] + recur[:2 * n], 238.13200378, 6.02452230, 0.00950985, 952.72399902,
                          103.34200287, 0.74287558) + F(0.5), F(0), F(1))
    z, r = zr[:n], zr[n:]
    h = np.clip(rational(zrh[2 * n:] + recur[2 * n:] * r, 952.52801514, 96.39235687, 0.60863042, 952.72399902,
                         413.36801147, 11.88600922), F(-1), F(1))
    return z * np.asarray(state, F) + (F(1) - z) * h


@pytest.mark.weights
@pytest.mark.parametrize("source", ["real", "random"])
def test_gru_chain_real_weights(weights, source):
    """1,000 steps of the RDO-VAE decoder's dec_gru1 (96 inputs, 64 units, libopus' weights), fixed
    point against the float reference, each side on its own state, both fed the same a15 inputs:
    dec_dense1's outputs for a stream of latents (real ones from the interop packets, or random in
    +-80). Step 1 is within the one-step bound (gru_bound). Later steps differ where a state lies
    within the step-1 error of a rounding boundary of libopus' int8 input, 127 h: the quantized
    input flips by one and the recurrent product moves by s w ~ 1e-3; the GRU forgets it, so the
    error stays bounded, and it is no larger than libopus' own spread between its x86 build
    (12-bit reciprocal in tanh/sigmoid) and its generic C build on the same inputs."""
    (gi_r, gi_f), (gr_r, gr_f), (d1_r, d1_f) = real_layers(weights, "dec_gru1_input", "dec_gru1_recurrent",
                                                           "dec_dense1")
    rng = np.random.default_rng(9)
    if source == "real":
        real = interop_dred_inputs(limit=400)
        if real is None:
            pytest.skip("no interop data (scripts/interop-data.sh)")
        latents = np.resize(real[3][:1000], (1000, 26))
    else:
        latents = np.round(rng.uniform(-80, 80, (1000, 26)) * P16).astype(np.int32)
    h = np.zeros(64, np.int16)
    hf = np.zeros(64, np.float32)
    hx = np.zeros(64, np.float32)
    curve, spread = [], []
    for t in range(1000):
        x = _nn.dense_wide32(d1_f, _nn.ACT_TANH, latents[t], 16)
        if t == 0:
            _, bound1 = gru_bound(gi_r, gr_r, hf.astype(np.float64), x / A15, 64)
        h = _nn.gru(gi_f, gr_f, h, x)
        hf = ref.gru(gi_r, gr_r, hf, (x / A15).astype(np.float32))
        hx = gru_x86_like(gi_r, gr_r, hx, (x / A15).astype(np.float32))
        curve.append(float(np.max(np.abs(h / A15 - hf))))
        spread.append(float(np.max(np.abs(hx - hf))))
    curve, spread = np.array(curve), np.array(spread)
    if os.environ.get("DREDFX_NN_REPORT") == "1":
        marks = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
        for name, c in (("dredfx - float ref", curve), ("libopus x86-like - float ref", spread)):
            print("\nGRU chain dec_gru1, %s latents, %s: max |state error| at step %s; max over steps "
                  "1..10 %.2e, 1..100 %.2e, 1..1000 %.2e; median %.2e" % (
                      source, name, ", ".join("%d: %.2e" % (k, c[k - 1]) for k in marks),
                      c[:10].max(), c[:100].max(), c.max(), np.median(c)))
    for k in (1, 10, 100, 1000):
        record("GRU chain dec_gru1 (%s), max over steps 1..%d" % (source, k), curve[:k].max())
    assert np.all(curve[0] <= bound1.max())
    assert curve[:10].max() <= 5e-3
    assert curve[:100].max() <= 1.5e-2
    assert curve.max() <= 2.5e-2
    assert curve[-100:].mean() <= 1e-2  # no growth
    assert np.median(curve) <= 1.5 * np.median(spread)
