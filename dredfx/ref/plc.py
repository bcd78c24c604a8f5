"""Float NumPy reference of libopus 1.6.1's neural PLC: dnn/lpcnet_plc.c (the LPCNetPLCState state
machine), dnn/freq.c burg_cepstral_analysis with dnn/burg.c silk_burg_analysis (double, as libopus),
the PLC predictor on dredfx.ref.nn, the feature analysis of dredfx.ref.analysis and the vocoder of
dredfx.ref.fargan. Weights: a dredfx.weights.Weights. NumPy only.
"""
import numpy as np

from . import nn
from .analysis import Analyzer, DCT_TABLE, NB_BANDS
from .fargan import FARGAN, to_int16
from .rdovae import _unsparse

F32 = np.float32
FRAME = 160
NB_FEATURES = 20
MAX_FEC = 104
CONT_VECTORS = 5
BUF_SIZE = (CONT_VECTORS + 10) * FRAME
ORDER = 16
EBAND5MS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40]
ATT_TABLE = [0, 0, -.2, -.2, -.4, -.4, -.8, -.8, -1.6, -1.6]


def burg_analysis(x, order=ORDER, min_inv_gain=1e-3):
    """silk_burg_analysis (float version, double accumulators), one subframe: (A, residual energy)."""
    x = np.asarray(x, dtype=np.float64)
    L = len(x)
    c0 = float(np.dot(x, x))
    c_first = np.array([np.dot(x[:L - n], x[n:]) for n in range(1, order + 1)])
    c_last = c_first.copy()
    caf = np.zeros(order + 1)
    cab = np.zeros(order + 1)
    af = np.zeros(order)
    caf[0] = cab[0] = c0 + 1e-5 * c0 + float(F32(1e-9))
    inv_gain = 1.0
    reached = False
    for n in range(order):
        tmp1, tmp2 = x[n], x[L - n - 1]
        for k in range(n):
            c_first[k] -= x[n] * x[n - k - 1]
            c_last[k] -= x[L - n - 1] * x[L - n + k]
            tmp1 += x[n - k - 1] * af[k]
            tmp2 += x[L - n + k] * af[k]
        for k in range(n + 1):
            caf[k] -= tmp1 * x[n - k]
            cab[k] -= tmp2 * x[L - n + k - 1]
        tmp1, tmp2 = c_first[n], c_last[n]
        for k in range(n):
            tmp1 += c_last[n - k - 1] * af[k]
            tmp2 += c_first[n - k - 1] * af[k]
        caf[n + 1], cab[n + 1] = tmp1, tmp2
        num, nrg_b, nrg_f = cab[n + 1], cab[0], caf[0]
        for k in range(n):
            num += cab[n - k] * af[k]
            nrg_b += cab[k + 1] * af[k]
            nrg_f += caf[k + 1] * af[k]
        rc = -2.0 * num / (nrg_f + nrg_b)
        tmp1 = inv_gain * (1.0 - rc * rc)
        if tmp1 <= min_inv_gain:
            rc = np.sqrt(1.0 - min_inv_gain / inv_gain)
            if num > 0:
                rc = -rc
            inv_gain = min_inv_gain
            reached = True
        else:
            inv_gain = tmp1
        for k in range((n + 1) >> 1):
            t1, t2 = af[k], af[n - k - 1]
            af[k] = t1 + rc * t2
            af[n - k - 1] = t2 + rc * t1
        af[n] = rc
        if reached:
            break
        for k in range(n + 2):
            t = caf[k]
            caf[k] += rc * cab[n - k + 1]
            cab[n - k + 1] += rc * t
    if reached:
        c0 -= float(np.dot(x[:order], x[:order]))
        nrg = c0 * inv_gain
    else:
        nrg = caf[0] + float(np.dot(caf[1:], af)) - 1e-5 * c0 * (1.0 + float(np.dot(af, af)))
    return (-af).astype(F32), max(0.0, float(F32(nrg)))


def burg_cepstrum(pcm):
    """compute_burg_cepstrum on 80 samples (int16 scale): 18 cepstral coefficients."""
    pcm = np.asarray(pcm, dtype=F32)
    burg_in = pcm[1:] - F32(0.85) * pcm[:-1]
    lpc, g = burg_analysis(burg_in)
    g = F32(g) / F32(len(pcm) - 2 * (ORDER - 1))
    x = np.zeros(320)
    x[0] = 1
    x[1:ORDER + 1] = -lpc.astype(np.float64) * 0.995 ** np.arange(1, ORDER + 1)
    X = np.fft.fft(x.astype(F32).astype(np.float64)) / 320
    e = np.zeros(NB_BANDS)
    for i in range(NB_BANDS - 1):
        size = (EBAND5MS[i + 1] - EBAND5MS[i]) * 4
        for j in range(size):
            frac = j / size
            t = 1.0 / (float(F32(abs(X[EBAND5MS[i] * 4 + j]) ** 2)) + 1e-9)
            e[i] += (1 - frac) * t
            e[i + 1] += frac * t
    e[0] *= 2
    e[-1] *= 2
    e *= .45 * float(g) / 320 ** 3
    ly = np.log10(1e-2 + e)
    log_max = follow = -2.0
    for i in range(NB_BANDS):
        ly[i] = max(log_max - 8, max(follow - 2.5, ly[i]))
        log_max = max(log_max, ly[i])
        follow = max(follow - 2.5, ly[i])
    cep = (DCT_TABLE.T @ ly) * np.sqrt(2 / NB_BANDS)
    cep[0] -= 4
    return cep.astype(F32)


def burg_cepstral_analysis(x):
    """burg_cepstral_analysis: 160 samples -> 36 values (mean and difference of the halves)."""
    c0 = burg_cepstrum(x[:80]).astype(np.float64)
    c1 = burg_cepstrum(x[80:160]).astype(np.float64)
    return np.concatenate([.5 * (c0 + c1), c0 - c1]).astype(F32)


class PLC:
    """LPCNetPLCState with its models: update(pcm int16[160]), conceal() -> int16[160],
    fec_add(features float[20] or None), fec_clear(), reset()."""

    def __init__(self, weights):
        a, L = weights.arrays, weights.layers

        def layer(name):
            return _unsparse(nn.linear_from_arrays(a, name, L[name]["nb_inputs"], L[name]["nb_outputs"]))
        self.dense_in = layer("plc_dense_in")
        self.gru1 = (layer("plc_gru1_input"), layer("plc_gru1_recurrent"))
        self.gru2 = (layer("plc_gru2_input"), layer("plc_gru2_recurrent"))
        self.dense_out = layer("plc_dense_out")
        self.weights = weights
        self.fargan = FARGAN(a)
        self.enc = Analyzer(weights)
        self.reset()

    def reset(self):
        self.fec = np.zeros((MAX_FEC, NB_FEATURES), F32)
        self.fec_read_pos = self.fec_fill_pos = self.fec_skip = 0
        self.enc = Analyzer(self.weights)
        self.pcm = np.zeros(BUF_SIZE, F32)
        self.features = np.zeros(NB_FEATURES, F32)
        self.cont_features = np.zeros((CONT_VECTORS, NB_FEATURES), F32)
        self.net = (np.zeros(192, F32), np.zeros(192, F32))
        self.bak = [self.net, self.net]
        self.blend = 0
        self.loss_count = 0
        self.analysis_gap = 1
        self.analysis_pos = BUF_SIZE
        self.predict_pos = BUF_SIZE

    def fec_add(self, features):
        if features is None:
            self.fec_skip += 1
            return
        assert self.fec_fill_pos < MAX_FEC
        self.fec[self.fec_fill_pos] = np.asarray(features, F32)
        self.fec_fill_pos += 1

    def fec_clear(self):
        self.fec_read_pos = self.fec_fill_pos = self.fec_skip = 0

    def _pred(self, x):
        tmp = nn.dense(self.dense_in, np.asarray(x, F32), nn.ACTIVATION_TANH)
        g1 = nn.gru(*self.gru1, self.net[0], tmp)
        g2 = nn.gru(*self.gru2, self.net[1], g1)
        self.net = (g1, g2)
        return nn.compute_linear(self.dense_out, g2).astype(F32)

    def _fec_or_pred(self):
        if self.fec_read_pos != self.fec_fill_pos and self.fec_skip == 0:
            out = self.fec[self.fec_read_pos].copy()
            self.fec_read_pos += 1
            x = np.zeros(2 * NB_BANDS + NB_FEATURES + 1, F32)
            x[2 * NB_BANDS:2 * NB_BANDS + NB_FEATURES] = out
            x[-1] = -1
            self._pred(x)
            return out, True
        out = self._pred(np.zeros(2 * NB_BANDS + NB_FEATURES + 1, F32))
        if self.fec_skip > 0:
            self.fec_skip -= 1
        return out, False

    def _queue(self, f):
        self.cont_features = np.concatenate([self.cont_features[1:], np.asarray(f, F32)[None]])

    def _backup(self):
        self.bak = [self.bak[1], self.net]

    def _push(self, pcm):
        self.pcm = np.concatenate([self.pcm[FRAME:], np.asarray(pcm, F32) / F32(32768)])

    def update(self, pcm):
        if self.analysis_pos - FRAME >= 0:
            self.analysis_pos -= FRAME
        else:
            self.analysis_gap = 1
        if self.predict_pos - FRAME >= 0:
            self.predict_pos -= FRAME
        self._push(pcm)
        self.loss_count = 0
        self.blend = 0

    def conceal(self):
        if self.blend == 0:
            count = 0
            self.net = self.bak[0]
            while self.analysis_pos + FRAME <= BUF_SIZE:
                x = F32(32768) * self.pcm[self.analysis_pos:self.analysis_pos + FRAME]
                plc_in = np.zeros(2 * NB_BANDS + NB_FEATURES + 1, F32)
                plc_in[:2 * NB_BANDS] = burg_cepstral_analysis(x)
                self.features = self.enc.frame(x)
                if (not self.analysis_gap or count > 0) and self.analysis_pos >= self.predict_pos:
                    self._queue(self.features)
                    plc_in[2 * NB_BANDS:2 * NB_BANDS + NB_FEATURES] = self.features
                    plc_in[-1] = 1
                    self._backup()
                    self.features = self._pred(plc_in)
                self.analysis_pos += FRAME
                count += 1
            for _ in range(2):
                self._backup()
                self.features, _ = self._fec_or_pred()
                self._queue(self.features)
            self.fargan.cont(self.pcm[BUF_SIZE - 320:], self.cont_features)
            self.analysis_gap = 0
        self._backup()
        self.features, from_fec = self._fec_or_pred()
        self.loss_count = 0 if from_fec else self.loss_count + 1
        f = self.features.copy()
        if self.loss_count >= 10:
            f[0] = max(-15, f[0] + ATT_TABLE[9] - 2 * (self.loss_count - 9))
        else:
            f[0] = max(-15, f[0] + ATT_TABLE[self.loss_count])
        self.features = f.astype(F32)
        pcm = to_int16(self.fargan.synthesize(self.features))
        self._queue(self.features)
        if self.analysis_pos - FRAME >= 0:
            self.analysis_pos -= FRAME
        else:
            self.analysis_gap = 1
        self.predict_pos = BUF_SIZE
        self._push(pcm)
        self.blend = 1
        return pcm
