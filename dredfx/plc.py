"""The neural PLC of libopus 1.6.1 (dnn/lpcnet_plc.c) in fixed point (C through dredfx._plc): the
history of good 16 kHz audio, the FEC queue that DRED features feed, the PLC predictor and FARGAN
for the concealed frames. dredfx.ref.plc is the float NumPy twin.

Bad input rule: features must be finite (NaN or Inf raise InvalidArgumentError); finite values are
clamped to +-256.0 (real features stay within +-32) on the way into the C queue."""
import numpy as np

from . import _plc, errors
from .fargan import features_to_q16

__all__ = ["PLC", "STATE_SIZE", "FRAME_SIZE", "MAX_FEC_FRAMES"]

STATE_SIZE = _plc.STATE_SIZE          # bytes of the C state (dredfx_plc_get_size)
FRAME_SIZE = _plc.FRAME_SIZE          # 160 samples a frame (16 kHz)
MAX_FEC_FRAMES = _plc.MAX_FEC_FRAMES  # libopus' PLC_MAX_FEC
NUM_FEATURES = _plc.NUM_FEATURES


class PLC:
    """A PLC over a weights blob (dredfx.weights.Weights; None: the default one), libopus'
    lpcnet_plc_* call for call. The GIL is released in the C calls."""

    def __init__(self, weights=None):
        if weights is None:
            from . import weights as _w
            weights = _w.default()
        self.weights = weights
        self._c = _plc.PLC(weights.core)

    def update(self, pcm):
        """Good audio: int16 (or float in [-1, 1]) 16 kHz samples, a multiple of 160."""
        p = np.asarray(pcm)
        if p.dtype.kind == "f":
            if not np.all(np.isfinite(p)):
                raise errors.InvalidArgumentError("pcm: NaN or Inf", -1)
            p = np.clip(np.floor(0.5 + p.astype(np.float64) * 32768.0), -32768, 32767)
        p = p.astype(np.int16).reshape(-1)
        if p.size % FRAME_SIZE:
            raise errors.InvalidArgumentError("update: a multiple of 160 samples", -1)
        self._c.update(p)

    def add_fec(self, features):
        """One frame of 20 features (float) into the FEC queue, or None (libopus' skip entry)."""
        if features is None:
            self._c.fec_add(None)
            return
        q = features_to_q16(features)
        if q.shape != (1, NUM_FEATURES):
            raise errors.InvalidArgumentError("add_fec: features float[20]", -1)
        self._c.fec_add(np.clip(q[0], -_plc.FEATURE_MAX_Q16, _plc.FEATURE_MAX_Q16).astype(np.int32))

    def conceal(self, n_frames=1, with_features=False):
        """n_frames concealed frames -> int16[160 n] (with_features: also the float32 [n][20]
        features each frame was synthesized from)."""
        if with_features:
            pcm, f = self._c.conceal(int(n_frames), True)
            return pcm, f.astype(np.float32) / np.float32(65536)
        return self._c.conceal(int(n_frames))

    def fec_clear(self):
        self._c.fec_clear()

    def reset(self):
        self._c.reset()

    @property
    def state(self):
        """libopus' fields the codec reads (loaded, blend, fec_read_pos, fec_fill_pos, fec_skip)
        and loss_count, sat_burg."""
        return self._c.state
