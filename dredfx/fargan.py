"""The FARGAN vocoder of libopus 1.6.1 in fixed point (C through dredfx._fargan): 20 features per
10 ms frame -> 16 kHz int16 speech. dredfx.ref.fargan is the float NumPy twin.

Bad input rule: features must be finite (NaN or Inf raise InvalidArgumentError); finite values
are saturated to the Q16 range (|f| < 32768) on the way in, and feature 18 (the pitch) is clamped
to [-16, 16] in C (docs/fixed-point.md, "FARGAN signal formats")."""
import numpy as np

from . import _fargan, errors

__all__ = ["FARGAN", "synthesize", "STATE_SIZE", "FRAME_SIZE", "NUM_FEATURES"]

STATE_SIZE = _fargan.STATE_SIZE  # bytes of the C state (dredfx_fargan_get_size)
FRAME_SIZE = _fargan.FRAME_SIZE  # 160 samples a frame
NUM_FEATURES = _fargan.NUM_FEATURES
CONT_SAMPLES = _fargan.CONT_SAMPLES
CONT_FRAMES = _fargan.CONT_FRAMES


def features_to_q16(features):
    """float features [n][20] -> int32 Q16, rounded half away from zero, saturated; NaN/Inf raise."""
    x = np.asarray(features, dtype=np.float64)
    if x.size % NUM_FEATURES:
        raise errors.InvalidArgumentError("features: [n][20] values", -1)
    if not np.all(np.isfinite(x)):
        raise errors.InvalidArgumentError("features: NaN or Inf", -1)
    x = x.reshape(-1, NUM_FEATURES) * 65536.0
    q = np.sign(x) * np.floor(np.abs(x) + 0.5)
    return np.clip(q, -(2**31 - 1), 2**31 - 1).astype(np.int32)


def _pcm16(pcm):
    p = np.asarray(pcm)
    if p.dtype.kind == "f":
        if not np.all(np.isfinite(p)):
            raise errors.InvalidArgumentError("pcm: NaN or Inf", -1)
        p = np.clip(np.floor(0.5 + p.astype(np.float64) * 32768.0), -32768, 32767)
    return p.astype(np.int16).reshape(-1)


class FARGAN:
    """A streaming vocoder over a weights blob (dredfx.weights.Weights; None: the default one).
    cont() first (libopus' fargan_cont), then synthesize() per frame. The GIL is released."""

    def __init__(self, weights=None):
        if weights is None:
            from . import weights as _w
            weights = _w.default()
        self.weights = weights
        self._c = _fargan.FARGAN(weights.core)

    def cont(self, pcm, features):
        """pcm: the 320 past output samples (int16, or float in [-1, 1]); features: [5][20]."""
        self._c.cont(_pcm16(pcm), features_to_q16(features))

    def synthesize(self, features):
        """features [n][20] -> int16[n * 160]."""
        return self._c.synthesize_int16(features_to_q16(features))


def synthesize(features, weights=None):
    """int16 16 kHz PCM from features [n][20], framed as libopus' `fargan_demo -fargan-synthesis`:
    cont on 320 zeros with frame 0 replicated 5 times, then frames 1 .. n-1 and the last frame
    twice more synthesized, the first 80 samples dropped: 160 n samples. (For n = 1 fargan_demo
    reads uninitialised features; here frame 0 stands in.)"""
    q = features_to_q16(features)
    if len(q) == 0:
        return np.zeros(0, np.int16)
    v = FARGAN(weights)
    v._c.cont(np.zeros(CONT_SAMPLES, np.int16), np.repeat(q[:1], CONT_FRAMES, axis=0))
    out = v._c.synthesize_int16(np.concatenate([q[1:], q[-1:], q[-1:]]))
    return out[FRAME_SIZE // 2:FRAME_SIZE // 2 + FRAME_SIZE * len(q)]
