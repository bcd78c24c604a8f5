"""Float reference of the feature analysis: libopus 1.6.1's float code (dnn/lpcnet_enc.c
compute_frame_features, dnn/freq.c, dnn/pitchdnn.c, dnn/dred_encoder.c dred_convert_to_16k)
step by step in NumPy, float32 where libopus computes in float, float64 where it uses double.
The FFT is NumPy's (libopus' kiss FFT differs only by float rounding); celt_log2 is libopus 1.6.1's
8-segment quartic. The pitch DNN runs on dredfx.ref.nn (libopus' generic C path).
"""
import numpy as np

from . import nn as rnn

FRAME = 160
WINDOW = 320
NB_BANDS = 18
LPC_ORDER = 16
PITCH_MAX = 256
NB_XCORR = 224
IF_BINS = 30
EBAND5MS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40])
COMPENSATION = np.array([0.8, 1, 1, 1, 1, 1, 1, 1, 0.666667, 0.5, 0.5, 0.5, 0.333333, 0.25, 0.25, 0.2,
                         0.166667, 0.173913], dtype=np.float32)
F32 = np.float32

_i = np.arange(160)
HALF_WINDOW = np.sin(np.pi / 2 * np.sin(np.pi * (_i + .5) / 320) ** 2).astype(np.float32)
_k = np.arange(NB_BANDS)
DCT_TABLE = (np.cos(np.pi * (_k[:, None] + .5) * _k[None, :] / NB_BANDS)
             * np.where(_k[None, :] == 0, np.sqrt(.5), 1.0)).astype(np.float32)  # [band j][coef i]

_LOG2_C = np.array([1.0, 8.88888895511627197265625e-01, 8.0e-01, 7.27272748947143554687500e-01,
                    6.66666686534881591796875e-01, 6.15384638309478759765625e-01,
                    5.71428596973419189453125e-01, 5.33333361148834228515625e-01], dtype=np.float32)
_LOG2_L = np.array([0.0, 1.699250042438507080078125e-01, 3.219280838966369628906250e-01,
                    4.594316184520721435546875e-01, 5.849624872207641601562500e-01,
                    7.004396915435791015625000e-01, 8.073549270629882812500000e-01,
                    9.068905711174011230468750e-01], dtype=np.float32)
_LOG2_A = [F32(8.74628424644470214843750000e-02), F32(1.357829570770263671875000000000),
           F32(-6.3897705078125000000000000e-01), F32(4.01971250772476196289062500e-01),
           F32(-2.8415444493293762207031250e-01)]

RESAMPLE_FILTERS = {  # (b0..b7, a1..a7) of dred_convert_to_16k, float32
    "A": ([0.004523418224, 0.005873358047, 0.012980854831, 0.014531340042, 0.014531340042,
           0.012980854831, 0.005873358047, 0.004523418224],
          [-3.878718597768, 7.748834257468, -9.653651699533, 8.007342726666, -4.379450178552,
           1.463182111810, -0.231720677804]),
    "B": ([0.002033596776, -0.001017101081, 0.003673127243, 0.001009165267, 0.001009165267,
           0.003673127243, -0.001017101081, 0.002033596776],
          [-4.930414411612, 11.291643096504, -15.322037343815, 13.216403930898, -7.220409219553,
           2.310550142771, -0.334338618782]),
    "C": ([0.020109185709, 0.081670120929, 0.180401598565, 0.259391051971, 0.259391051971,
           0.180401598565, 0.081670120929, 0.020109185709],
          [-1.393651933659, 2.609789872676, -2.403541968806, 2.056814957331, -1.148908574570,
           0.473001413788, -0.110359852412]),
}
RATE_PATHS = {16000: (1, 1, None), 48000: (1, 3, "A"), 24000: (2, 3, "A"), 12000: (4, 3, "B"),
              8000: (2, 1, "C")}


def celt_log2(x):
    """libopus 1.6.1 celt_log2 (FLOAT_APPROX) of float32 array x > 0."""
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.int64)
    integer = (bits >> 23) - 127
    m = ((bits - (integer << 23)) & 0xffffffff).astype(np.uint32).view(np.float32)
    k = (m.view(np.uint32) >> 20) & 7
    t = (m * _LOG2_C[k] - F32(1.0625)).astype(np.float32)
    p = _LOG2_A[0] + t * (_LOG2_A[1] + t * (_LOG2_A[2] + t * (_LOG2_A[3] + t * _LOG2_A[4])))
    return (integer.astype(np.float32) + p.astype(np.float32) + _LOG2_L[k]).astype(np.float32)


def celt_log10(x):
    return F32(0.3010299957) * celt_log2(x)


def band_energy(X):
    """lpcn_compute_band_energy: 18 triangular bands of |X|^2 (bins 0..159)."""
    e = np.zeros(NB_BANDS, dtype=np.float32)
    p = (X.real.astype(np.float32) ** 2 + X.imag.astype(np.float32) ** 2).astype(np.float32)
    for i in range(NB_BANDS - 1):
        b0, bs = EBAND5MS[i] * 4, (EBAND5MS[i + 1] - EBAND5MS[i]) * 4
        for j in range(bs):
            frac = F32(j) / F32(bs)
            e[i] += (1 - frac) * p[b0 + j]
            e[i + 1] += frac * p[b0 + j]
    e[0] *= 2
    e[-1] *= 2
    return e


def dct(x):
    return (DCT_TABLE.T.astype(np.float64) @ x * np.sqrt(2 / NB_BANDS)).astype(np.float32)


def idct(x):
    return (DCT_TABLE.astype(np.float64) @ x * np.sqrt(2 / NB_BANDS)).astype(np.float32)


def lpc_from_cepstrum(cep):
    """freq.c lpc_from_cepstrum -> lpc_from_bands -> lpcn_lpc (float). Returns 16 LPC."""
    tmp = cep.copy()
    tmp[0] += 4
    ex = (10.0 ** idct(tmp).astype(np.float64)).astype(np.float32) * COMPENSATION
    g = np.zeros(161, dtype=np.float64)
    for i in range(NB_BANDS - 1):
        b0, bs = EBAND5MS[i] * 4, (EBAND5MS[i + 1] - EBAND5MS[i]) * 4
        for j in range(bs):
            frac = j / bs
            g[b0 + j] = (1 - frac) * ex[i] + frac * ex[i + 1]
    spec = np.concatenate([g, g[159:0:-1]])
    ac = np.real(np.fft.fft(spec))[:LPC_ORDER + 1]
    ac[0] += ac[0] * 1e-4 + 26 / 38.
    ac[1:] *= 1 - 6e-5 * np.arange(1, LPC_ORDER + 1) ** 2
    lpc = np.zeros(LPC_ORDER)
    err = ac[0]
    if ac[0] != 0:
        for i in range(LPC_ORDER):
            rr = np.dot(lpc[:i], ac[i:0:-1]) + ac[i + 1]
            r = -rr / err
            lpc[i] = r
            old = lpc[:i].copy()
            lpc[:i] = old + r * old[::-1]
            err -= r * r * err
            if err < .001 * ac[0]:
                break
    return lpc.astype(np.float32)


class PitchDNN:
    """pitchdnn.c compute_pitchdnn on the float reference primitives."""

    def __init__(self, weights):
        a, L = weights.arrays, weights.layers
        self.lin = {n: rnn.linear_from_arrays(a, n, L[n]["nb_inputs"], L[n]["nb_outputs"]) for n in
                    ("dense_if_upsampler_1", "dense_if_upsampler_2", "dense_downsampler",
                     "gru_1_input", "gru_1_recurrent", "dense_final_upsampler")}
        self.conv = [(a["conv2d_1_weight_float"], a["conv2d_1_bias"], 1, 4),
                     (a["conv2d_2_weight_float"], a["conv2d_2_bias"], 4, 1)]
        self.gru = np.zeros(64, dtype=np.float32)
        self.mem1 = np.zeros(2 * (NB_XCORR + 2), dtype=np.float32)
        self.mem2 = np.zeros(2 * 4 * (NB_XCORR + 2), dtype=np.float32)

    def __call__(self, if_feat, xcorr):
        lin, tanh = self.lin, rnn.ACTIVATION_TANH
        if1 = rnn.dense(lin["dense_if_upsampler_1"], if_feat, tanh)
        if2 = rnn.dense(lin["dense_if_upsampler_2"], if1, tanh)
        x1 = np.zeros(NB_XCORR + 2, dtype=np.float32)
        x1[1:-1] = xcorr
        (w, b, ci, co) = self.conv[0]
        c1, self.mem1 = rnn.conv2d(w, b, ci, co, 3, 3, self.mem1, x1, NB_XCORR, tanh)
        x2 = np.zeros((4, NB_XCORR + 2), dtype=np.float32)
        x2[:, 1:-1] = c1
        (w, b, ci, co) = self.conv[1]
        c2, self.mem2 = rnn.conv2d(w, b, ci, co, 3, 3, self.mem2, x2.reshape(-1), NB_XCORR, tanh)
        down = rnn.dense(lin["dense_downsampler"], np.concatenate([c2[0], if2]), tanh)
        self.gru = rnn.gru(lin["gru_1_input"], lin["gru_1_recurrent"], self.gru, down)
        out = rnn.compute_linear(lin["dense_final_upsampler"], self.gru)[:180]
        pos, maxval = 0, F32(-1)
        for i in range(180):
            if out[i] > maxval:
                pos, maxval = i, out[i]
        idx = np.arange(max(0, pos - 2), min(179, pos + 2) + 1)
        p = np.exp(out[idx].astype(np.float64)).astype(np.float32)
        return F32(F32(1 / 60) * (np.sum(p * idx, dtype=np.float32) / np.sum(p, dtype=np.float32)) - F32(1.5))


class Analyzer:
    """compute_frame_features state, float. frame(x: 160 float samples at int16 scale) -> 20 features."""

    def __init__(self, weights):
        self.dnn = PitchDNN(weights)
        self.mem_preemph = F32(0)
        self.analysis_mem = np.zeros(160, dtype=np.float32)
        self.prev_if = np.zeros(IF_BINS, dtype=np.complex64)
        self.pitch_mem = np.zeros(LPC_ORDER, dtype=np.float32)
        self.exc_buf = np.zeros(PITCH_MAX + FRAME, dtype=np.float32)
        self.lp_buf = np.zeros(PITCH_MAX + FRAME, dtype=np.float32)
        self.pitch_filt = F32(0)
        self.lp_mem = np.zeros(2, dtype=np.float32)

    def frame(self, pcm):
        x = np.asarray(pcm, dtype=np.float32)
        y = np.empty(FRAME, dtype=np.float32)
        for i in range(FRAME):
            y[i] = x[i] + self.mem_preemph
            self.mem_preemph = F32(-0.85) * x[i]
        aligned = np.concatenate([self.analysis_mem[80:], y[:80]])
        win = np.concatenate([self.analysis_mem, y])
        win[:160] *= HALF_WINDOW
        win[160:] *= HALF_WINDOW[::-1]
        self.analysis_mem = y.copy()
        X = (np.fft.fft(win.astype(np.float64)) / WINDOW).astype(np.complex64)[:161]
        iff = np.zeros(88, dtype=np.float32)
        iff[0] = np.clip((10 * celt_log10(F32(1e-15) + X[0].real ** 2) - 6) / 64, -1, 1)
        for i in range(1, IF_BINS):
            prod = X[i] * np.conj(self.prev_if[i])
            n = 1 / np.sqrt(1e-15 + prod.real ** 2 + prod.imag ** 2)
            iff[3 * i - 2] = prod.real * n
            iff[3 * i - 1] = prod.imag * n
            iff[3 * i] = np.clip((10 * celt_log10(F32(1e-15) + abs(X[i]) ** 2) - 6) / 64, -1, 1)
        self.prev_if = X[:IF_BINS].copy()
        e = band_energy(X)
        ly = celt_log10(F32(1e-2) + e)
        log_max = follow = F32(-2)
        for i in range(NB_BANDS):
            ly[i] = max(log_max - 8, max(follow - F32(2.5), ly[i]))
            log_max = max(log_max, ly[i])
            follow = max(follow - F32(2.5), ly[i])
        feat = np.zeros(20, dtype=np.float32)
        cep = dct(ly)
        cep[0] -= 4
        feat[:18] = cep
        lpc = lpc_from_cepstrum(cep)
        self.exc_buf[:PITCH_MAX] = self.exc_buf[FRAME:].copy()
        self.lp_buf[:PITCH_MAX] = self.lp_buf[FRAME:].copy()
        xx = np.concatenate([self.pitch_mem, aligned]).astype(np.float64)
        self.pitch_mem = aligned[-LPC_ORDER:].copy()
        res = xx[LPC_ORDER:] + sum(lpc[k - 1] * xx[LPC_ORDER - k:LPC_ORDER - k + FRAME]
                                   for k in range(1, LPC_ORDER + 1))
        res = res.astype(np.float32)
        for i in range(FRAME):
            self.exc_buf[PITCH_MAX + i] = res[i] + F32(.7) * self.pitch_filt
            self.pitch_filt = res[i]
        b, a = (F32(-0.84946), F32(1)), (F32(-1.54220), F32(0.70781))
        m0, m1 = self.lp_mem
        for i in range(FRAME):
            xi = res[i]
            yi = xi + m0
            m00 = m0
            m0 = (b[0] - a[0]) * xi + m1 - a[0] * m0
            m1 = (b[1] - a[1]) * xi - a[1] * m00
            self.lp_buf[PITCH_MAX + i] = yi
        self.lp_mem = np.array([m0, m1], dtype=np.float32)
        buf = self.exc_buf.astype(np.float64)
        cur = buf[PITCH_MAX:]
        xc = np.array([np.dot(cur, buf[i:i + FRAME]) for i in range(NB_XCORR)])
        e0 = np.dot(cur, cur)
        e1 = np.array([np.dot(buf[i:i + FRAME], buf[i:i + FRAME]) for i in range(NB_XCORR)])
        xcorr = (2 * xc / (1 + e0 + e1)).astype(np.float32)
        f18 = self.dnn(iff, xcorr)
        period = int(np.floor(.5 + 256. / 2 ** (f18 + 1.5)))
        lp = self.lp_buf.astype(np.float64)
        a_, b_ = lp[PITCH_MAX:], lp[PITCH_MAX - period:PITCH_MAX - period + FRAME]
        rho = np.dot(a_, b_) / np.sqrt(1 + np.dot(a_, a_) * np.dot(b_, b_))
        f19 = np.log(1 + np.exp(5 * rho)) / np.log(1 + np.exp(5.)) - .5
        feat[18] = f18
        feat[19] = f19
        return feat


def resample_to_16k(pcm, sampling_rate):
    """dred_convert_to_16k over a whole signal (mono int16 -> float64 16 kHz samples)."""
    up, decim, name = RATE_PATHS[sampling_rate]
    x = np.asarray(pcm, dtype=np.float64)
    if name is None:
        return x
    z = np.zeros(len(x) * up)
    z[::up] = np.clip(up * x, -32768, 32767)
    b = np.array(RESAMPLE_FILTERS[name][0], dtype=np.float32).astype(np.float64)
    a = np.concatenate([[1.0], np.array(RESAMPLE_FILTERS[name][1], dtype=np.float32).astype(np.float64)])
    # filter_df2t: transposed direct form II, float32 state
    b = b.astype(np.float32)
    a = a.astype(np.float32)
    mem = np.zeros(8, dtype=np.float32)
    y = np.empty(len(z), dtype=np.float32)
    for n, xi in enumerate(z.astype(np.float32)):
        yi = xi * b[0] + mem[0]
        mem[:7] = mem[1:8] + b[1:] * xi - a[1:] * yi
        y[n] = yi
    return y[::decim].astype(np.float64)


def features(pcm, sampling_rate=16000, weights=None):
    """Float reference of dredfx.analysis.features."""
    from .. import weights as _weights
    x = resample_to_16k(pcm, sampling_rate)
    an = Analyzer(weights or _weights.default())
    n = len(x) // FRAME
    return np.array([an.frame(x[i * FRAME:(i + 1) * FRAME]) for i in range(n)],
                    dtype=np.float32).reshape(n, 20)
