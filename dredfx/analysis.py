"""Feature analysis: speech to libopus 1.6.1's 20 DRED features per 10 ms, in fixed point (C).

features(pcm, sampling_rate=16000) -> float32 (n_frames, 20): 18 cepstral coefficients, the pitch
(feature 18: period = 256 / 2^(f18 + 1.5)) and the voicing (feature 19). 16 kHz input is framed as
libopus' `fargan_demo -features` frames it: 160-sample frames, a trailing partial frame dropped.
At 8, 12, 24 and 48 kHz the input goes through libopus' DRED conversion to 16 kHz first
(dred_convert_to_16k's elliptic filters). Analyzer: the same, fed in pieces of any length.
Formats and error bounds: docs/fixed-point.md section 8.
"""
import numpy as np

from . import errors, weights as _weights

FRAME = 160
NB_FEATURES = 20
DRED_ENCODER_DELAY16K = 11   # libopus DRED_SILK_ENCODER_DELAY: zeros before the first sample
RATES = (8000, 12000, 16000, 24000, 48000)


def _pcm(pcm):
    a = np.asarray(pcm)
    if a.dtype != np.int16:
        raise errors.InvalidArgumentError(
            "pcm: dtype %s, expected int16 (mono samples at full int16 scale)" % a.dtype, -1)
    if a.ndim != 1:
        raise errors.InvalidArgumentError("pcm: %d-D array, expected mono 1-D" % a.ndim, -1)
    return np.ascontiguousarray(a)


class Analyzer:
    """Streaming analysis at one input rate: feed() returns the feature rows its samples complete.
    delay16k zero 16 kHz samples come first (DRED_ENCODER_DELAY16K frames the signal as libopus'
    DRED encoder does; 0, the default, as fargan_demo -features)."""

    def __init__(self, sampling_rate=16000, weights=None, delay16k=0):
        from . import _analysis
        if sampling_rate not in RATES:
            raise errors.InvalidArgumentError(
                "sampling_rate %r: dredfx analyses 8000, 12000, 16000, 24000 or 48000 Hz" % (sampling_rate,), -1)
        w = weights or _weights.default()
        if not 0 <= delay16k < FRAME:
            raise errors.InvalidArgumentError("delay16k %r: 0 to %d samples" % (delay16k, FRAME - 1), -1)
        self._core = _analysis.Analyzer(w.core, int(sampling_rate))
        self._core.delay16k(int(delay16k))
        self.sampling_rate = int(sampling_rate)
        self.delay16k = int(delay16k)

    def feed(self, pcm):
        """int16 mono samples -> float32 (frames, 20)."""
        return self.feed_q16(pcm).astype(np.float32) / np.float32(65536)

    def feed_q16(self, pcm):
        """The same rows as the C library's int32 Q16 values (bit-exact across CPU levels)."""
        return self._core.feed(_pcm(pcm))

    def reset(self):
        self._core.reset()
        self._core.delay16k(self.delay16k)

    @property
    def saturations(self):
        """Counts of saturated values since creation (docs/fixed-point.md 8)."""
        return self._core.saturations


def features(pcm, sampling_rate=16000, weights=None):
    """int16 mono speech -> float32 (n_frames, 20) DRED features."""
    return Analyzer(sampling_rate, weights).feed(pcm)
