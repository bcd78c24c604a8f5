"""Deterministic conversion of libopus 1.6.1 layer data into dredfx's fixed-point layer records.

Every number is derived with exact rational arithmetic (fractions.Fraction) from the exact float32
values libopus ships, so the same input gives the same integers on every machine. The rules are
the contract of docs/fixed-point.md:

* int8 layers: the int32 accumulator acc_i = sum_j w_ij * x8_j becomes p16 (value * 65536) by
  p_i = PSHR64(acc_i * mult_i, shift_i) + bias_i, where mult_i * 2^-shift_i ~= scale_i * 65536.
* float-weight ("wide") layers: per output row an exponent k_i and int16 weights
  w16_ij = round(w_ij * 2^k_i), the largest k_i that keeps every |w16_ij| <= 32767; and the 32-bit
  form, w32_ij = round(w_ij * 2^k32_i) with the largest k32_i that keeps |w32_ij| <= 2^31 - 1.
* biases: round(b_i * 65536) in p16, saturated to int32.

Rounding is half away from zero everywhere in this module.
"""
from fractions import Fraction

import numpy as np

from .errors import WeightsError

INT32_MAX = 2**31 - 1
INT32_MIN = -2**31
W16_MAX = 32767
W32_MAX = 2**31 - 1
MAX_SHIFT = 62
MAX_WEXP = 40
MAX_WEXP32 = 62
P16_ONE = 65536
BLOCK_ROWS = 8
BLOCK_COLS = 4


def round_half_away(q):
    """Nearest integer to the Fraction (or int) q, ties away from zero."""
    q = Fraction(q)
    r = (abs(q.numerator) * 2 + q.denominator) // (2 * q.denominator)
    return r if q >= 0 else -r


def floor_log2(q):
    """floor(log2(q)) of a positive Fraction, exactly."""
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()
    # 2^e <= n/d < 2^(e+1) after at most one correction
    if (n << max(-e, 0)) < (d << max(e, 0)):
        e -= 1
    return e


def _sat32(v):
    return max(INT32_MIN, min(INT32_MAX, v))


def _exact(values):
    """The exact rational value of each element (float32 arrays are widened exactly)."""
    a = np.asarray(values)
    if a.dtype.kind == "f":
        return [Fraction(float(v)) for v in a.astype(np.float64).ravel()]
    return [Fraction(int(v)) for v in a.ravel()]


def requant(f):
    """(mult, shift) with mult * 2^-shift ~= f (a Fraction), |mult| in [2^30, 2^31) unless shift is
    capped at MAX_SHIFT; (0, 1) for f == 0. Raises WeightsError if f needs shift < 1."""
    if f == 0:
        return 0, 1
    shift = min(30 - floor_log2(abs(f)), MAX_SHIFT)
    mult = round_half_away(f * 2**shift)
    if abs(mult) >= 2**31:
        shift -= 1
        mult = round_half_away(f * 2**shift)
    if shift < 1:
        raise WeightsError("int8 layer scale %s too large for a p16 requantization" % float(f / P16_ONE))
    return mult, shift


def p16(b):
    """A Fraction as a saturated p16 integer."""
    return _sat32(round_half_away(b * P16_ONE))


def _check_shape(name, a, size):
    if np.asarray(a).size != size:
        raise WeightsError("%s: %d values, expected %d" % (name, np.asarray(a).size, size))


def row_sums_int8(weights_int8, nb_inputs, nb_outputs, idx=None):
    """sum_j w_ij for each output row of a libopus int8 matrix (dense 8x4 blocks or sparse)."""
    w = np.asarray(weights_int8, dtype=np.int64).ravel()
    rows = -(-nb_outputs // BLOCK_ROWS) * BLOCK_ROWS
    sums = np.zeros(rows, dtype=np.int64)
    if idx is None:
        if nb_outputs % BLOCK_ROWS or nb_inputs % BLOCK_COLS:
            raise WeightsError("dense int8 layer %dx%d is not a multiple of 8x4" % (nb_outputs, nb_inputs))
        _check_shape("weights_int8", w, nb_inputs * nb_outputs)
        blocks = w.reshape(rows // BLOCK_ROWS, nb_inputs // BLOCK_COLS, BLOCK_ROWS, BLOCK_COLS)
        sums = blocks.sum(axis=(1, 3)).ravel()
    else:
        ix = [int(v) for v in np.asarray(idx).ravel()]
        pos = nblk = 0
        for rb in range(rows // BLOCK_ROWS):
            if pos >= len(ix):
                raise WeightsError("sparse index ends early")
            n = ix[pos]
            pos += 1
            if n < 0 or pos + n > len(ix):
                raise WeightsError("sparse index block count out of range")
            for c in ix[pos:pos + n]:
                if c < 0 or c % BLOCK_COLS or c + BLOCK_COLS > nb_inputs:
                    raise WeightsError("sparse column %d out of range" % c)
            pos += n
            block = w[32 * nblk:32 * (nblk + n)]
            if block.size != 32 * n:
                raise WeightsError("sparse weights shorter than the index")
            sums[rb * BLOCK_ROWS:(rb + 1) * BLOCK_ROWS] += block.reshape(n, BLOCK_ROWS, BLOCK_COLS).sum(axis=(0, 2))
            nblk += n
        if pos != len(ix):
            raise WeightsError("sparse index has %d trailing values" % (len(ix) - pos))
        _check_shape("weights_int8", w, 32 * nblk)
    return sums[:nb_outputs]


def convert_int8_layer(weights_int8, scale, bias=None, subias=None, nb_inputs=None, nb_outputs=None,
                       idx=None):
    """{"mult", "shift", "bias"} (int32 arrays of nb_outputs) for a libopus int8 layer.

    The bias is libopus' bias if present; else subias_i + 127 * scale_i * sum_j w_ij (libopus' x86
    identity, evaluated exactly); else zero."""
    if nb_inputs is None or nb_outputs is None:
        raise TypeError("convert_int8_layer needs nb_inputs and nb_outputs")
    _check_shape("scale", scale, nb_outputs)
    sums = row_sums_int8(weights_int8, nb_inputs, nb_outputs, idx)
    scales = _exact(scale)
    mult = np.zeros(nb_outputs, dtype=np.int32)
    shift = np.zeros(nb_outputs, dtype=np.int32)
    for i, s in enumerate(scales):
        mult[i], shift[i] = requant(s * P16_ONE)
    if bias is not None:
        _check_shape("bias", bias, nb_outputs)
        b = _exact(bias)
    elif subias is not None:
        _check_shape("subias", subias, nb_outputs)
        b = [su + 127 * s * int(n) for su, s, n in zip(_exact(subias), scales, sums)]
    else:
        b = [Fraction(0)] * nb_outputs
    return {"mult": mult, "shift": shift, "bias": np.array([p16(v) for v in b], dtype=np.int32)}


def wide_exponent(row, wmax=W16_MAX, kmax=MAX_WEXP):
    """The largest k in [0, kmax] with round(max|w| * 2^k) <= wmax (0 for an all-zero row);
    wmax + 1 is a power of two (32767: w16, 2^31 - 1: w32)."""
    m = max((abs(v) for v in row), default=Fraction(0))
    if m == 0:
        return 0
    top = (wmax + 1).bit_length() - 2  # m * 2^k in [2^top, 2^(top+1))
    k = top - floor_log2(m)
    if round_half_away(m * 2**k) > wmax:
        k -= 1
    k = max(0, min(kmax, k))
    if round_half_away(m * 2**k) > wmax:
        raise WeightsError("float weight %s does not fit %d bits" % (float(m), wmax.bit_length() + 1))
    return k


def round_half_away_exact(t):
    """round_half_away of float64 values that are exact (here: float32 weights times 2^k): floor,
    the fractional part and the comparison are all exact in IEEE double, so this equals the
    rational definition on every machine."""
    a = np.abs(t)
    f = np.floor(a)
    return np.sign(t) * (f + (a - f >= 0.5))


def _wide_weights(w, wmax, kmax, dtype):
    """(weights, exponents) of a float64 [rows][cols] matrix of float32 values."""
    wexp = np.array([wide_exponent([Fraction(float(np.max(np.abs(row))))], wmax, kmax) for row in w],
                    dtype=np.int32)
    # w * 2^k is exact in double (a float32 times 2^k, k <= 62, |w * 2^k| < 2^31), so the rounding
    # below is exact too
    q = round_half_away_exact(np.ldexp(w, wexp[:, None].astype(np.int64))).astype(dtype)
    return np.ascontiguousarray(q), wexp


def convert_float_layer(weights_float, bias, nb_inputs, nb_outputs):
    """{"w16" (int16 [nb_outputs][nb_inputs]), "wexp" (int32 [nb_outputs]), "w32" (int32
    [nb_outputs][nb_inputs]), "wexp32" (int32 [nb_outputs]), "bias" (int32 p16)} for a libopus
    float layer (weights in libopus' [input][output] layout)."""
    _check_shape("weights_float", weights_float, nb_inputs * nb_outputs)
    w = np.asarray(weights_float, dtype=np.float32).astype(np.float64).reshape(nb_inputs, nb_outputs).T
    if not np.all(np.isfinite(w)):
        raise WeightsError("float weights hold a NaN or an infinity")
    w16, wexp = _wide_weights(w, W16_MAX, MAX_WEXP, np.int16)
    w32, wexp32 = _wide_weights(w, W32_MAX, MAX_WEXP32, np.int32)
    if bias is None:
        b = np.zeros(nb_outputs, dtype=np.int32)
    else:
        _check_shape("bias", bias, nb_outputs)
        b = np.array([p16(v) for v in _exact(bias)], dtype=np.int32)
    return {"w16": w16, "wexp": wexp, "w32": w32, "wexp32": wexp32, "bias": b}


def convert_conv2d_layer(weights_float, bias, in_channels, out_channels, ktime, kheight):
    """The 16-bit records of convert_float_layer ("w16", "wexp", "bias") for a libopus Conv2dLayer
    (dredfx_nn_conv2d runs on w16): one row per output channel, its in_channels * ktime * kheight
    taps in libopus' [out][in][time][height] order."""
    taps = in_channels * ktime * kheight
    _check_shape("weights_float", weights_float, taps * out_channels)
    w = np.asarray(weights_float, dtype=np.float32).reshape(out_channels, taps)
    # convert_float_layer takes libopus' linear [input][output] layout: transpose.
    d = convert_float_layer(np.ascontiguousarray(w.T).ravel(), bias, nb_inputs=taps, nb_outputs=out_channels)
    return {key: d[key] for key in ("w16", "wexp", "bias")}
