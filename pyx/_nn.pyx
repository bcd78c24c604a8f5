# The fixed-point NN engine (c/src/nn) from Python: CPU levels, single kernels at a chosen level
# (for equality tests between levels), and the primitives on layers given as the converted integer
# arrays of dredfx.fixedpoint. Arrays in must have the exact dtype (no silent casts); arrays out are
# new NumPy arrays. Q formats: docs/fixed-point.md.
include "common.pxi"

import numpy as np

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t
from cdredfx_nn cimport *

ACT_LINEAR = DREDFX_NN_ACT_LINEAR
ACT_SIGMOID = DREDFX_NN_ACT_SIGMOID
ACT_TANH = DREDFX_NN_ACT_TANH
ACT_RELU = DREDFX_NN_ACT_RELU
ACT_SOFTMAX = DREDFX_NN_ACT_SOFTMAX
MAX_INPUTS = DREDFX_NN_MAX_INPUTS
MAX_OUTPUTS = DREDFX_NN_MAX_OUTPUTS
# Documented worst-case errors of the C approximations (nn.h: in units of 1e-7), in units of 1.0.
TANH_MAX_ERR_APPROX = DREDFX_NN_TANH_MAX_ERR_APPROX_E7 * 1e-7
TANH_MAX_ERR_TRUE = DREDFX_NN_TANH_MAX_ERR_TRUE_E7 * 1e-7
SIGMOID_MAX_ERR_APPROX = DREDFX_NN_SIGMOID_MAX_ERR_APPROX_E7 * 1e-7
SIGMOID_MAX_ERR_TRUE = DREDFX_NN_SIGMOID_MAX_ERR_TRUE_E7 * 1e-7
EXP2_MAX_REL_ERR = DREDFX_NN_EXP2_MAX_REL_ERR_E7 * 1e-7
LOG2_MAX_ERR = DREDFX_NN_LOG2_MAX_ERR_E7 * 1e-7


def cpu_level():
    """The CPU level in use (0 = scalar)."""
    return dredfx_cpu_level()


def cpu_max_level():
    """The highest level this CPU and build support."""
    return dredfx_cpu_max_level()


def set_cpu_level(int level):
    """Uses `level` (<= cpu_max_level()) for every later call, in every thread."""
    check(dredfx_cpu_set_level(level))


def cpu_level_name(int level):
    """"scalar", "avx2", "avxvnni", "neon", "dotprod" (or "unknown")."""
    return dredfx_cpu_level_name(level).decode()


cdef object _bad(msg):
    return _errors.InvalidArgumentError(msg, DREDFX_ERR_BAD_ARG)


cdef const int8_t *_p8(object a):
    cdef const int8_t[::1] v = a
    return &v[0]


cdef const int16_t *_p16(object a):
    cdef const int16_t[::1] v = a
    return &v[0]


cdef const int32_t *_p32(object a):
    cdef const int32_t[::1] v = a
    return &v[0]


cdef const int64_t *_p64(object a):
    cdef const int64_t[::1] v = a
    return &v[0]


cdef int _round_up(int n, int m):
    return (n + m - 1) // m * m


cdef class Linear:
    """A layer in the engine's storage: an int8 layer (w8 in libopus' 8x4-block layout, rows padded
    to 8 and columns to 4, optional sparse idx, mult/shift per output) or a wide layer (w16
    [nb_outputs][nb_inputs], wexp per output, and/or w32 [nb_outputs][nb_inputs], wexp32 per
    output); bias in p16 or None. Everything is checked here, once, as the C loader does."""
    cdef dredfx_nn_linear c
    cdef readonly int nb_inputs, nb_outputs
    cdef list _keep

    def __init__(self, int nb_inputs, int nb_outputs, w8=None, idx=None, mult=None, shift=None,
                 w16=None, wexp=None, w32=None, wexp32=None, bias=None):
        if not (1 <= nb_inputs <= DREDFX_NN_MAX_INPUTS and 1 <= nb_outputs <= DREDFX_NN_MAX_OUTPUTS):
            raise _bad("layer size %dx%d out of range" % (nb_outputs, nb_inputs))
        if w8 is not None and (w16 is not None or w32 is not None):
            raise _bad("a layer has int8 or wide weights, not both")
        self.nb_inputs, self.nb_outputs = nb_inputs, nb_outputs
        self._keep = []
        self.c.nb_inputs, self.c.nb_outputs = nb_inputs, nb_outputs
        self.c.w8 = NULL
        self.c.idx = NULL
        self.c.mult = NULL
        self.c.shift = NULL
        self.c.w16 = NULL
        self.c.wexp = NULL
        self.c.w32 = NULL
        self.c.wexp32 = NULL
        self.c.bias = NULL
        self.c.wsum = NULL
        self.c.rq = NULL
        cdef int rows = _round_up(nb_outputs, 8), cols = _round_up(nb_inputs, 4)
        if w8 is not None:
            mult = array_in(mult, np.int32, nb_outputs, "mult")
            shift = array_in(shift, np.int32, nb_outputs, "shift")
            if shift.min() < 1 or shift.max() > 62:
                raise _bad("shift outside [1, 62]")
            if idx is None:
                w8 = array_in(w8, np.int8, rows * cols, "w8")
            else:
                w8 = array_in(w8, np.int8, -1, "w8")
                idx = array_in(idx, np.int32, -1, "idx")
                if idx.size == 0:
                    raise _bad("empty sparse index")
                check(dredfx_nn_sparse_check(_p32(idx), idx.size, w8.size, rows, cols))
                if w8.size == 0:  # no blocks at all: the kernel reads no weight, C needs a pointer
                    w8 = np.zeros(1, np.int8)
                self.c.idx = _p32(idx)
            self.c.w8, self.c.mult, self.c.shift = _p8(w8), _p32(mult), _p32(shift)
            self._keep += [w8, idx, mult, shift]
            # the row sums of the offset kernels, where the weights pass their bound (kernels.h)
            wsum = np.zeros(rows, np.int32)
            if dredfx_nn_i8_row_sums(<int32_t *>_p32(wsum), self.c.w8, self.c.idx, rows, cols):
                self.c.wsum = _p32(wsum)
                self._keep.append(wsum)
        if w16 is not None:
            w16 = array_in(w16, np.int16, nb_outputs * nb_inputs, "w16")
            wexp = array_in(wexp, np.int32, nb_outputs, "wexp")
            if w16.min() == -32768:
                raise _bad("w16 holds -32768")
            if wexp.min() < 0 or wexp.max() > 40:
                raise _bad("wexp outside [0, 40]")
            self.c.w16, self.c.wexp = _p16(w16), _p32(wexp)
            self._keep += [w16, wexp]
        if w32 is not None:
            w32 = array_in(w32, np.int32, nb_outputs * nb_inputs, "w32")
            wexp32 = array_in(wexp32, np.int32, nb_outputs, "wexp32")
            if w32.min() == -2**31:
                raise _bad("w32 holds INT32_MIN")
            if wexp32.min() < 0 or wexp32.max() > 62:
                raise _bad("wexp32 outside [0, 62]")
            self.c.w32, self.c.wexp32 = _p32(w32), _p32(wexp32)
            self._keep += [w32, wexp32]
        if bias is not None:
            bias = array_in(bias, np.int32, nb_outputs, "bias")
            self.c.bias = _p32(bias)
            self._keep.append(bias)
        if self.c.w8 != NULL:
            # the requantization without saturation, where the weights prove it exact (kernels.h)
            rq = np.zeros(DREDFX_NN_RQ_LEN(nb_outputs), np.int64)
            if dredfx_nn_requant_prep(<int64_t *>_p64(rq), self.c.w8, self.c.idx, rows, cols, self.c.mult,
                                      self.c.shift, self.c.bias, nb_outputs):
                self.c.rq = _p64(rq)
                self._keep.append(rq)

    @classmethod
    def from_arrays(cls, arrays, name, int nb_inputs, int nb_outputs):
        """The layer `name` from a dict holding libopus' arrays (`<name>_weights_int8`,
        `<name>_weights_idx`) and the converted records (`<name>.mult`, `.shift`, `.w16`, `.wexp`,
        `.w32`, `.wexp32`, `.bias`), e.g. dredfx.weights.default().arrays."""
        get = arrays.get
        return cls(nb_inputs, nb_outputs, w8=get(name + "_weights_int8"), idx=get(name + "_weights_idx"),
                   mult=get(name + ".mult"), shift=get(name + ".shift"), w16=get(name + ".w16"),
                   wexp=get(name + ".wexp"), w32=get(name + ".w32"), wexp32=get(name + ".wexp32"),
                   bias=get(name + ".bias"))

    @property
    def is_int8(self):
        return self.c.w8 != NULL

    @property
    def requant_proven(self):
        """True when the load-time bound proves that this int8 layer's requantization never
        saturates, so the engine runs it without saturation (kernels.h requantize_rq)."""
        return self.c.rq != NULL

    def __repr__(self):
        kind = "int8-sparse" if self.c.idx != NULL else "int8" if self.c.w8 != NULL else \
            "wide" if self.c.w16 != NULL or self.c.w32 != NULL else "bias-only"
        return "<dredfx._nn.Linear %s %d -> %d>" % (kind, self.nb_inputs, self.nb_outputs)


cdef object _in16(object x, Py_ssize_t n, str name):
    x = array_in(x, np.int16, n, name)
    return x


def linear_a15(Linear layer, x):
    """p16 outputs (int32) of W x + b for an a15 input (int16, nb_inputs values)."""
    x = _in16(x, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_linear_a15(dredfx_nn_get_kernels(), &layer.c, &o[0], px)
    check(rc)
    return out


def linear_i16(Linear layer, x, int in_q):
    """p16 outputs (int32) of a wide layer for an int16 input in Q in_q."""
    x = _in16(x, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_linear_i16(dredfx_nn_get_kernels(), &layer.c, &o[0], px, in_q)
    check(rc)
    return out


def linear_i32(Linear layer, x, int in_q):
    """p16 outputs (int32) of a 32-bit wide layer (w32) for an int32 input in Q in_q."""
    x = array_in(x, np.int32, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef const int32_t *px = _p32(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_linear_i32(dredfx_nn_get_kernels(), &layer.c, &o[0], px, in_q)
    check(rc)
    return out


def activation(p16, int act):
    """a15 (int16) = act(p16) element-wise (ACT_* ids)."""
    p16 = array_in(p16, np.int32, -1, "p16")
    out = np.empty(p16.size, dtype=np.int16)
    if p16.size == 0:
        if not 0 <= act <= DREDFX_NN_ACT_SOFTMAX:
            raise _bad("unknown activation %d" % act)
        return out
    cdef int16_t[::1] o = out
    cdef const int32_t *pp = _p32(p16)
    cdef int n = p16.size, rc
    with nogil:
        rc = dredfx_nn_activation(&o[0], pp, n, act)
    check(rc)
    return out


ctypedef void (*_act_fn)(int16_t *out, const int32_t *p16, int n) noexcept nogil


cdef _elementwise(p16, _act_fn fn):
    p16 = array_in(p16, np.int32, -1, "p16")
    out = np.empty(p16.size, dtype=np.int16)
    if p16.size == 0:
        return out
    cdef int16_t[::1] o = out
    cdef const int32_t *pp = _p32(p16)
    cdef int n = p16.size
    with nogil:
        fn(&o[0], pp, n)
    return out


def tanh(p16):
    """a15 tanh of p16 values (the table approximation of nn.h)."""
    return _elementwise(p16, dredfx_nn_tanh)


def sigmoid(p16):
    """a15 sigmoid of p16 values."""
    return _elementwise(p16, dredfx_nn_sigmoid)


def sigmoid_g15(p16):
    """The gates of GRU and GLU: sigmoid of p16 values as int32 in [0, 32768] (0 and 1.0 exact)."""
    p16 = array_in(p16, np.int32, -1, "p16")
    out = np.empty(p16.size, dtype=np.int32)
    if p16.size == 0:
        return out
    cdef int32_t[::1] o = out
    cdef const int32_t *pp = _p32(p16)
    cdef int n = p16.size
    with nogil:
        dredfx_nn_sigmoid_gate(&o[0], pp, n)
    return out


def dense(Linear layer, int act, x):
    """a15 outputs (int16) of act(W x + b) for an a15 input."""
    x = _in16(x, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int16)
    cdef int16_t[::1] o = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_dense(dredfx_nn_get_kernels(), &layer.c, act, &o[0], px)
    check(rc)
    return out


def dense_wide(Linear layer, int act, x, int in_q):
    """a15 outputs of act(W x + b) for a wide layer fed an int16 input in Q in_q."""
    x = _in16(x, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int16)
    cdef int16_t[::1] o = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_dense_i16(dredfx_nn_get_kernels(), &layer.c, act, &o[0], px, in_q)
    check(rc)
    return out


def dense_wide32(Linear layer, int act, x, int in_q):
    """a15 outputs of act(W x + b) for a 32-bit wide layer fed an int32 input in Q in_q."""
    x = array_in(x, np.int32, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int16)
    cdef int16_t[::1] o = out
    cdef const int32_t *px = _p32(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_dense_i32(dredfx_nn_get_kernels(), &layer.c, act, &o[0], px, in_q)
    check(rc)
    return out


def gru(Linear input_layer, Linear recurrent_layer, state, x):
    """The new a15 state (int16, N values) after one GRU step on the a15 input x."""
    cdef int n = recurrent_layer.nb_inputs
    if input_layer.nb_outputs != 3 * n or recurrent_layer.nb_outputs != 3 * n:
        raise _bad("GRU layers must have 3 * %d outputs" % n)
    x = _in16(x, input_layer.nb_inputs, "x")
    out = _in16(state, n, "state").copy()
    cdef int16_t[::1] s = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_gru(dredfx_nn_get_kernels(), &input_layer.c, &recurrent_layer.c, &s[0], px)
    check(rc)
    return out


def glu(Linear layer, x):
    """a15 x * sigmoid(W x + b)."""
    if layer.nb_inputs != layer.nb_outputs:
        raise _bad("GLU layer must be square")
    x = _in16(x, layer.nb_inputs, "x")
    out = np.empty(layer.nb_outputs, dtype=np.int16)
    cdef int16_t[::1] o = out
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_glu(dredfx_nn_get_kernels(), &layer.c, &o[0], px)
    check(rc)
    return out


def conv1d(Linear layer, int act, mem, x, int input_size, int dilation=1):
    """(a15 output, new memory) of one conv1d step; mem holds the past inputs, oldest first:
    (ksize - 1) * input_size values for dilation 1, (ksize - 1) * input_size * dilation otherwise."""
    if input_size < 1 or dilation < 1 or layer.nb_inputs % input_size:
        raise _bad("input_size %d does not divide %d" % (input_size, layer.nb_inputs))
    cdef int ksize = layer.nb_inputs // input_size
    cdef Py_ssize_t nmem = (ksize - 1) * input_size * (1 if dilation == 1 else dilation)
    x = _in16(x, input_size, "x")
    new_mem = _in16(mem, nmem, "mem").copy()
    out = np.empty(layer.nb_outputs, dtype=np.int16)
    cdef int16_t[::1] o = out
    cdef int16_t *pm = NULL
    cdef int16_t[::1] m
    if nmem:
        m = new_mem
        pm = &m[0]
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_conv1d(dredfx_nn_get_kernels(), &layer.c, act, &o[0], pm, px, input_size, dilation)
    check(rc)
    return out, new_mem


def conv2d(Linear layer, int in_channels, int ktime, int kheight, int act, mem, x, int height,
           int in_q=15):
    """(a15 output [out_channels][height], new memory) of one conv2d step (the pitch DNN's layers).
    x: in_channels rows of height + kheight - 1 values in Q in_q; mem: the ktime - 1 previous
    frames, oldest first. The layer is wide, one row per output channel, taps [in][time][height]."""
    if in_channels < 1 or ktime < 1 or kheight < 1 or height < 1:
        raise _bad("in_channels, ktime, kheight and height must be positive")
    if in_channels * ktime * kheight != layer.nb_inputs:
        raise _bad("in_channels * ktime * kheight = %d, the layer has %d inputs"
                   % (in_channels * ktime * kheight, layer.nb_inputs))
    cdef Py_ssize_t ts = in_channels * (height + kheight - 1)
    x = _in16(x, ts, "x")
    new_mem = _in16(mem, (ktime - 1) * ts, "mem").copy()
    out = np.empty((layer.nb_outputs, height), dtype=np.int16)
    cdef int16_t[:, ::1] o = out
    cdef int16_t *pm = NULL
    cdef int16_t[::1] m
    if ktime > 1:
        m = new_mem
        pm = &m[0]
    cdef const int16_t *px = _p16(x)
    cdef int rc
    with nogil:
        rc = dredfx_nn_conv2d(dredfx_nn_get_kernels(), &layer.c, in_channels, ktime, kheight, act, &o[0, 0], height, pm, px, height,
                              in_q)
    check(rc)
    return out, new_mem


def exp2(p16):
    """2^x in Q16 (int32) for p16 values x."""
    p16 = array_in(p16, np.int32, -1, "p16")
    out = np.empty(p16.size, dtype=np.int32)
    cdef const int32_t[::1] i = p16
    cdef int32_t[::1] o = out
    cdef Py_ssize_t k, n = p16.size
    with nogil:
        for k in range(n):
            o[k] = dredfx_nn_exp2_q16(i[k])
    return out


def log2(x, int q):
    """log2(x / 2^q) in p16 (int32) for positive int32 values x; INT32_MIN for x <= 0."""
    x = array_in(x, np.int32, -1, "x")
    out = np.empty(x.size, dtype=np.int32)
    cdef const int32_t[::1] i = x
    cdef int32_t[::1] o = out
    cdef Py_ssize_t k, n = x.size
    with nogil:
        for k in range(n):
            o[k] = dredfx_nn_log2_q16(i[k], q)
    return out


cdef const dredfx_nn_kernels *_kernels(int level) except NULL:
    cdef const dredfx_nn_kernels *k = dredfx_nn_kernels_for_level(level)
    if k == NULL:
        raise _errors.CpuLevelError("CPU level %d is not available here" % level,
                                    DREDFX_ERR_CPU_UNSUPPORTED)
    return k


def dense_i8(w, x, int rows, int cols, int level):
    """int32 acc[rows] = W x with the dense int8 kernel of `level` (w in 8x4-block layout)."""
    if rows < 8 or cols < 4 or rows % 8 or cols % 4:
        raise _bad("dense_i8 needs rows % 8 == 0 and cols % 4 == 0")
    w = array_in(w, np.int8, <Py_ssize_t>rows * cols, "w")
    x = array_in(x, np.int8, cols, "x")
    cdef const dredfx_nn_kernels *k = _kernels(level)
    out = np.empty(rows, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef const int8_t *pw = _p8(w)
    cdef const int8_t *px = _p8(x)
    with nogil:
        k.dense_i8(&o[0], pw, px, rows, cols)
    return out


def sparse_i8(w, idx, x, int rows, int level):
    """int32 acc[rows] with the sparse int8 kernel of `level`; the columns are len(x)."""
    x = array_in(x, np.int8, -1, "x")
    w = array_in(w, np.int8, -1, "w")
    idx = array_in(idx, np.int32, -1, "idx")
    if rows < 8 or rows % 8 or x.size < 4 or x.size % 4 or idx.size == 0:
        raise _bad("sparse_i8 needs rows % 8 == 0, len(x) % 4 == 0 and an index")
    check(dredfx_nn_sparse_check(_p32(idx), idx.size, w.size, rows, x.size))
    cdef const dredfx_nn_kernels *k = _kernels(level)
    out = np.empty(rows, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef const int8_t *pw = _p8(w) if w.size else <const int8_t *>NULL
    cdef const int8_t *px = _p8(x)
    cdef const int32_t *pi = _p32(idx)
    with nogil:
        k.sparse_i8(&o[0], pw, pi, px, rows)
    return out


def dense_i16(w, x, int rows, int cols, int level):
    """int64 acc[rows] = W x with the int16 kernel of `level` (w row-major, no -32768)."""
    if rows < 1 or cols < 1:
        raise _bad("dense_i16 needs rows, cols >= 1")
    w = array_in(w, np.int16, <Py_ssize_t>rows * cols, "w")
    x = array_in(x, np.int16, cols, "x")
    if w.min() == -32768:
        raise _bad("w holds -32768")
    cdef const dredfx_nn_kernels *k = _kernels(level)
    out = np.empty(rows, dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef const int16_t *pw = _p16(w)
    cdef const int16_t *px = _p16(x)
    with nogil:
        k.dense_i16(&o[0], pw, px, rows, cols)
    return out
