"""Float NumPy reference of libopus 1.6.1's FARGAN vocoder (dnn/fargan.c), on the primitives of
dredfx.ref.nn (libopus' generic C path in float32). Facts sheet section 9.

Weights: a mapping of libopus' array names (dredfx.weights.load().arrays). NumPy only.
"""
import numpy as np

from . import nn
from .rdovae import _unsparse

NUM_FEATURES = 20
FRAME_SIZE = 160
SUBFRAME = 40
CONT_SAMPLES = 320
PITCH_MAX_PERIOD = 256
COND_SIZE = 80
SIG_IN = COND_SIZE + 2 * SUBFRAME + 4
DEEMPHASIS = np.float32(0.85)
F32 = np.float32


def period_of(f18):
    """floor(.5 + 256 / pow(2, (1/60) ((f18 + 1.5) 60))) in double, as fargan.c."""
    return int(np.floor(.5 + 256. / np.power(2.0, (1. / 60.) * ((float(np.float32(f18)) + 1.5) * 60))))


class FARGAN:
    """FARGANState: the model and its signal state; cont() then synthesize() per frame."""

    def __init__(self, arrays):
        def layer(name, nin, nout):
            return _unsparse(nn.linear_from_arrays(arrays, name, nin, nout))
        self.pembed = np.asarray(arrays["cond_net_pembed_weights_float"], dtype=F32).reshape(224, 12)
        self.fdense1 = layer("cond_net_fdense1", NUM_FEATURES + 12, 64)
        self.fconv1 = layer("cond_net_fconv1", 192, 128)
        self.fdense2 = layer("cond_net_fdense2", 128, 4 * COND_SIZE)
        self.gain_dense = layer("sig_net_cond_gain_dense", COND_SIZE, 1)
        self.fwc0 = layer("sig_net_fwc0_conv", 2 * SIG_IN, 192)
        self.fwc0_glu = layer("sig_net_fwc0_glu_gate", 192, 192)
        self.gain_out = layer("sig_net_gain_dense_out", 192, 4)
        sizes = [(192, 160), (160, 128), (128, 128)]
        self.grus = [(layer("sig_net_gru%d_input" % (g + 1), nin + 2 * SUBFRAME, 3 * n),
                      layer("sig_net_gru%d_recurrent" % (g + 1), n, 3 * n),
                      layer("sig_net_gru%d_glu_gate" % (g + 1), n, n)) for g, (nin, n) in enumerate(sizes)]
        self.skip_dense = layer("sig_net_skip_dense", 688, 128)
        self.skip_glu = layer("sig_net_skip_glu_gate", 128, 128)
        self.out_dense = layer("sig_net_sig_dense_out", 128, SUBFRAME)
        self.cond_mem = np.zeros(128, F32)
        self.fwc0_mem = np.zeros(SIG_IN, F32)
        self.states = [np.zeros(n, F32) for _, n in sizes]
        self.pitch_buf = np.zeros(PITCH_MAX_PERIOD, F32)
        self.deemph_mem = F32(0)
        self.last_period = 0
        self.cont_initialized = False

    def _cond(self, features, period):
        emb = self.pembed[max(0, min(period - 32, 223))]
        x = nn.dense(self.fdense1, np.concatenate([np.asarray(features, F32), emb]), nn.ACTIVATION_TANH)
        x, self.cond_mem = nn.conv1d(self.fconv1, self.cond_mem, x, 64, nn.ACTIVATION_TANH)
        return nn.dense(self.fdense2, x, nn.ACTIVATION_TANH)

    def _subframe(self, cond, period):
        gain = F32(np.exp(np.float64(nn.compute_linear(self.gain_dense, cond)[0])))
        gain_1 = F32(1) / (F32(1e-5) + gain)
        pred = np.zeros(SUBFRAME + 4, F32)
        pos = PITCH_MAX_PERIOD - period - 2
        for i in range(SUBFRAME + 4):
            pred[i] = min(F32(1), max(F32(-1), gain_1 * self.pitch_buf[max(0, pos)]))
            pos += 1
            if pos == PITCH_MAX_PERIOD:
                pos -= period
        prev = np.clip(gain_1 * self.pitch_buf[-SUBFRAME:], F32(-1), F32(1))
        fwc0_in = np.concatenate([cond, pred, prev])
        x, self.fwc0_mem = nn.conv1d(self.fwc0, self.fwc0_mem, fwc0_in, SIG_IN, nn.ACTIVATION_TANH)
        fwc0 = nn.glu(self.fwc0_glu, x)
        gates = nn.dense(self.gain_out, fwc0, nn.ACTIVATION_SIGMOID)
        x, glus = fwc0, []
        for g, (gin, grec, gglu) in enumerate(self.grus):
            self.states[g] = nn.gru(gin, grec, self.states[g], np.concatenate([x, gates[g] * pred[2:42], prev]))
            x = nn.glu(gglu, self.states[g])
            glus.append(x)
        skip = np.concatenate(glus + [fwc0, gates[3] * pred[2:42], prev])
        y = nn.glu(self.skip_glu, nn.dense(self.skip_dense, skip, nn.ACTIVATION_TANH))
        pcm = nn.dense(self.out_dense, y, nn.ACTIVATION_TANH) * gain
        self.pitch_buf = np.concatenate([self.pitch_buf[SUBFRAME:], pcm])
        out = np.zeros(SUBFRAME, F32)
        for i in range(SUBFRAME):
            self.deemph_mem = F32(pcm[i] + DEEMPHASIS * self.deemph_mem)
            out[i] = self.deemph_mem
        return out

    def cont(self, pcm0, features0):
        """fargan_cont: pcm0 float[320] (+-1 scale), features0 [5][20]."""
        pcm0 = np.asarray(pcm0, F32)
        features0 = np.asarray(features0, F32).reshape(5, NUM_FEATURES)
        period = 0
        for i in range(5):
            self.last_period = period
            period = period_of(features0[i][18])
            cond = self._cond(features0[i], period)
        x0 = np.zeros(CONT_SAMPLES, F32)
        x0[1:] = pcm0[1:] - DEEMPHASIS * pcm0[:-1]
        self.pitch_buf[PITCH_MAX_PERIOD - FRAME_SIZE:] = x0[:FRAME_SIZE]
        self.cont_initialized = True
        for i in range(4):
            self._subframe(cond[i * COND_SIZE:(i + 1) * COND_SIZE], self.last_period)
            self.pitch_buf[-SUBFRAME:] = x0[FRAME_SIZE + i * SUBFRAME:FRAME_SIZE + (i + 1) * SUBFRAME]
        self.deemph_mem = pcm0[-1]

    def synthesize(self, features):
        """fargan_synthesize: float32[160] from one frame of features."""
        assert self.cont_initialized
        period = period_of(features[18])
        cond = self._cond(features, period)
        out = np.concatenate([self._subframe(cond[i * COND_SIZE:(i + 1) * COND_SIZE], self.last_period)
                              for i in range(4)])
        self.last_period = period
        return out


def to_int16(y):
    """fargan_synthesize_int's rounding: floor(.5 + clamp(32768 y, -32767, 32767))."""
    return np.floor(.5 + np.clip(F32(32768) * np.asarray(y, F32), -32767, 32767)).astype(np.int16)


def synthesize(arrays, features):
    """fargan_demo -fargan-synthesis framing (dredfx.fargan.synthesize), in float: int16[160 n]."""
    features = np.asarray(features, F32).reshape(-1, NUM_FEATURES)
    v = FARGAN(arrays)
    v.cont(np.zeros(CONT_SAMPLES, F32), np.repeat(features[:1], 5, axis=0))
    frames = list(features[1:]) + [features[-1], features[-1]]
    out = np.concatenate([to_int16(v.synthesize(f)) for f in frames])
    return out[FRAME_SIZE // 2:FRAME_SIZE // 2 + FRAME_SIZE * len(features)]
