"""Float NumPy reference of the NN primitives, mirroring libopus 1.6.1's generic C path
(dnn/nnet.c, dnn/nnet_arch.h, dnn/vec.h without SIMD) in float32, operation by operation:

* int8 layers: x_q = floor(0.5 + 127 x), y_i = float32(sum_j w_ij x_q,j) * scale_i + bias_i;
* float layers: y_i = sum_j W[j][i] x_j accumulated in order j = 0, 1, ... (no FMA), + bias_i;
* tanh/sigmoid: libopus' rational approximation with a true division; exp: its polynomial 2^x.

Weights come in libopus' layouts; block_to_dense / sparse_to_dense / float_to_dense unpack them.
A layer is a Linear (the fields of libopus' LinearLayer that the DRED models use).
"""
from collections import namedtuple

import numpy as np

ACTIVATION_LINEAR = 0
ACTIVATION_SIGMOID = 1
ACTIVATION_TANH = 2
ACTIVATION_RELU = 3
ACTIVATION_SOFTMAX = 4
ACTIVATION_SWISH = 5
ACTIVATION_EXP = 6

F32 = np.float32

Linear = namedtuple("Linear", "nb_inputs nb_outputs weights_int8 weights_idx scale float_weights bias subias",
                    defaults=(None, None, None, None, None, None))
Linear.__doc__ = """A libopus LinearLayer: int8 weights (8x4 blocks, sparse if weights_idx) with a
per-output scale, or float_weights ([input][output]); bias and subias per output (may be None)."""


def linear_from_arrays(arrays, name, nb_inputs, nb_outputs):
    """The Linear named `name` in a dict of libopus arrays (`<name>_weights_int8`, `_scale`, ...)."""
    def get(suffix):
        return arrays.get(name + suffix)
    return Linear(nb_inputs, nb_outputs, get("_weights_int8"), get("_weights_idx"), get("_scale"),
                  get("_weights_float"), get("_bias"), get("_subias"))


def block_to_dense(w, rows, cols):
    """int8 [rows][cols] from libopus' dense 8x4-block layout (rows % 8 == 0, cols % 4 == 0)."""
    w = np.asarray(w)
    return w.reshape(rows // 8, cols // 4, 8, 4).transpose(0, 2, 1, 3).reshape(rows, cols)


def sparse_to_dense(w, idx, rows, cols):
    """int8 [rows][cols] (zeros outside the stored blocks) from libopus' sparse 8x4 format:
    per 8-row block a count n, then n column offsets; the blocks are 8 rows x 4 columns, row-major."""
    w = np.asarray(w)
    idx = [int(v) for v in np.asarray(idx).ravel()]
    out = np.zeros((rows, cols), dtype=w.dtype)
    pos = blk = 0
    for r in range(0, rows, 8):
        n = idx[pos]
        for c in idx[pos + 1:pos + 1 + n]:
            out[r:r + 8, c:c + 4] = w[32 * blk:32 * blk + 32].reshape(8, 4)
            blk += 1
        pos += 1 + n
    return out


def float_to_dense(w, nb_inputs, nb_outputs):
    """float32 [nb_outputs][nb_inputs] from libopus' [input][output] float layout."""
    return np.asarray(w, dtype=F32).reshape(nb_inputs, nb_outputs).T


def int8_matrix(layer):
    """The int8 weights of an int8 layer as [nb_outputs][nb_inputs]."""
    if layer.weights_idx is not None:
        return sparse_to_dense(layer.weights_int8, layer.weights_idx, layer.nb_outputs, layer.nb_inputs)
    return block_to_dense(layer.weights_int8, layer.nb_outputs, layer.nb_inputs)


def quantize_input(x):
    """libopus' int8 input rounding, floor(.5 + 127*x) with 127*x in float32 and the sum in double."""
    return np.floor(0.5 + (F32(127) * np.asarray(x, dtype=F32)).astype(np.float64)).astype(np.int64)


def compute_linear(layer, x):
    """compute_linear: W x + bias in float32 (libopus' generic C, signed inputs, bias not subias)."""
    x = np.asarray(x, dtype=F32)
    if layer.float_weights is not None:
        w = float_to_dense(layer.float_weights, layer.nb_inputs, layer.nb_outputs)
        y = np.zeros(layer.nb_outputs, dtype=F32)
        for j in range(layer.nb_inputs):
            y = y + w[:, j] * x[j]
    elif layer.weights_int8 is not None:
        acc = int8_matrix(layer).astype(np.int64) @ quantize_input(x)
        y = acc.astype(F32) * np.asarray(layer.scale, dtype=F32)
    else:
        y = np.zeros(layer.nb_outputs, dtype=F32)
    if layer.bias is not None:
        y = y + np.asarray(layer.bias, dtype=F32)
    return y


def tanh_approx(x):
    """libopus' tanh_approx: x (N0 + N1 x^2 + N2 x^4) / (D0 + D1 x^2 + D2 x^4), clamped to [-1, 1]."""
    x = np.asarray(x, dtype=F32)
    x2 = x * x
    num = (F32(0.60863042) * x2 + F32(96.39235687)) * x2 + F32(952.52801514)
    den = (F32(11.88600922) * x2 + F32(413.36801147)) * x2 + F32(952.72399902)
    with np.errstate(invalid="ignore", over="ignore"):
        y = num * x / den
    return np.clip(y, F32(-1), F32(1))


def sigmoid_approx(x):
    """libopus' generic sigmoid: .5 + .5 tanh_approx(.5 x)."""
    return F32(0.5) + F32(0.5) * tanh_approx(F32(0.5) * np.asarray(x, dtype=F32))


def exp_approx(x):
    """libopus' lpcnet_exp: 2^(1.44269504 x) with a cubic for 2^frac and the exponent added to the
    float bits; 0 below 2^-50."""
    t = F32(1.44269504) * np.asarray(x, dtype=F32)
    n = np.floor(t.astype(np.float64))
    frac = (t - n.astype(F32)).astype(F32)
    r = F32(0.99992522) + frac * (F32(0.69583354) + frac * (F32(0.22606716) + F32(0.078024523) * frac))
    bits = (r.view(np.uint32).astype(np.int64) + (n.astype(np.int64) << 23)) & 0x7fffffff
    y = bits.astype(np.uint32).view(F32)
    return np.where(n < -50, F32(0), y).astype(F32)


def compute_activation(x, activation):
    """compute_activation (softmax is libopus' SOFTMAX_HACK copy)."""
    x = np.asarray(x, dtype=F32)
    if activation == ACTIVATION_SIGMOID:
        return sigmoid_approx(x)
    if activation == ACTIVATION_TANH:
        return tanh_approx(x)
    if activation == ACTIVATION_RELU:
        return np.where(x < 0, F32(0), x)
    if activation == ACTIVATION_SWISH:
        return x * sigmoid_approx(x)
    if activation == ACTIVATION_EXP:
        return exp_approx(x)
    if activation in (ACTIVATION_LINEAR, ACTIVATION_SOFTMAX):
        return x.copy()
    raise ValueError("unknown activation %r" % activation)


def dense(layer, x, activation):
    """compute_generic_dense: act(W x + b)."""
    return compute_activation(compute_linear(layer, x), activation)


def gru(input_layer, recurrent_layer, state, x):
    """compute_generic_gru: gates [z, r, h]; the reset gate multiplies the recurrent product after
    its bias. Returns the new state."""
    n = recurrent_layer.nb_inputs
    state = np.asarray(state, dtype=F32)
    zrh = compute_linear(input_layer, x)
    recur = compute_linear(recurrent_layer, state)
    zr = compute_activation(zrh[:2 * n] + recur[:2 * n], ACTIVATION_SIGMOID)
    z, r = zr[:n], zr[n:]
    h = compute_activation(zrh[2 * n:] + recur[2 * n:] * r, ACTIVATION_TANH)
    return z * state + (F32(1) - z) * h


def glu(layer, x):
    """compute_glu: x * sigmoid(W x + b)."""
    x = np.asarray(x, dtype=F32)
    return x * compute_activation(compute_linear(layer, x), ACTIVATION_SIGMOID)


def conv1d(layer, mem, x, input_size, activation, dilation=1):
    """compute_generic_conv1d (dilation 1) and compute_generic_conv1d_dilation.

    mem holds the past inputs, oldest first (nb_inputs - input_size values for dilation 1,
    (ksize - 1) * dilation * input_size otherwise). Returns (output, new memory)."""
    mem = np.asarray(mem, dtype=F32)
    x = np.asarray(x, dtype=F32)
    ksize = layer.nb_inputs // input_size
    if dilation == 1:
        tmp = np.concatenate([mem[:layer.nb_inputs - input_size], x])
        new_mem = tmp[input_size:].copy()
    else:
        taps = [mem[i * input_size * dilation:(i * dilation + 1) * input_size] for i in range(ksize - 1)]
        tmp = np.concatenate(taps + [x])
        new_mem = np.concatenate([mem[input_size:input_size * dilation * (ksize - 1)], x])
    return dense(layer, tmp, activation), new_mem


def conv2d(weights_float, bias, in_channels, out_channels, ktime, kheight, mem, x, height, activation):
    """compute_conv2d (generic C, conv2d_float / conv2d_3x3_float, float32): weights_float is
    libopus' [out][in][time][height] array; x one frame of in_channels rows of height + kheight - 1
    values; mem the ktime - 1 previous frames, oldest first. Returns (output [out][height], new
    memory). Sums run over (in, time, height) in libopus' order: tap by tap for the generic path,
    and for 3x3 kernels the nine products of each input channel summed first, then added."""
    w = np.asarray(weights_float, dtype=F32).reshape(out_channels, in_channels, ktime, kheight)
    stride = height + kheight - 1
    frames = np.concatenate([np.asarray(mem, dtype=F32), np.asarray(x, dtype=F32)])
    frames = frames.reshape(ktime, in_channels, stride)
    out = np.zeros((out_channels, height), dtype=F32)
    for i in range(out_channels):
        for m in range(in_channels):
            if ktime == 3 and kheight == 3:
                part = np.zeros(height, dtype=F32)
                for t in range(3):
                    for h in range(3):
                        part = part + w[i, m, t, h] * frames[t, m, h:h + height]
                out[i] = out[i] + part
            else:
                for t in range(ktime):
                    for h in range(kheight):
                        out[i] = out[i] + w[i, m, t, h] * frames[t, m, h:h + height]
    if bias is not None:
        out = out + np.asarray(bias, dtype=F32)[:, None]
    new_mem = frames[1:].reshape(-1).copy()
    return compute_activation(out.reshape(-1), activation).reshape(out_channels, height), new_mem
