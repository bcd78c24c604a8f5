"""The RDO-VAE decoder of libopus 1.6.1's DRED in fixed point (C through dredfx._rdovae):
dequantized state and latents -> 20 features per 10 ms frame, in OpusDRED.fec_features order
(4 frames per latent, newest first). dredfx.ref.rdovae is the float NumPy twin."""
import numpy as np

from . import _rdovae

__all__ = ["Decoder", "STATE_SIZE"]

STATE_SIZE = _rdovae.STATE_SIZE  # bytes of the C state (dredfx_rdovae_dec_get_size)
_Q16 = 65536.0


def _from_q16(f_q16):
    """Q16 int32 features -> float32 (exact while |f| < 256, far above every real feature)."""
    return f_q16.astype(np.float32) / np.float32(_Q16)


def _to_q16(x):
    """float values -> int32 Q16, rounded half away from zero and saturated as the C
    dequantization does."""
    x = np.asarray(x, dtype=np.float64) * _Q16
    q = np.sign(x) * np.floor(np.abs(x) + 0.5)
    return np.clip(q, -(2**31 - 1), 2**31 - 1).astype(np.int32)


class Decoder:
    """A decoder over a weights blob (dredfx.weights.Weights; None: dredfx.weights.default()).
    It only reads its state while decoding, so threads may share one; the GIL is released."""

    def __init__(self, weights=None):
        if weights is None:
            from . import weights as _w
            weights = _w.default()
        self.weights = weights
        self._c = _rdovae.Decoder(weights.core)

    def decode(self, state, latents):
        """state: 50 dequantized values; latents: [n][26] (25 values, then the q-feature q/8 - 1),
        n <= 26, newest first (what dredfx.dred.dequantize returns). Returns float32 [4 n][20]."""
        latents = np.asarray(latents).reshape(-1, _rdovae.LATENT_STRIDE)
        return _from_q16(self.decode_q16(_to_q16(state), _to_q16(latents)))

    def decode_q16(self, state_q16, latents_q16):
        """The same in the C formats: int32 Q16 in (dredfx.dred.dequantize_q16), int32 Q16 out."""
        return self._c.decode_q16(state_q16, latents_q16)

    def decode_packet(self, packet, max_dred_samples=48000, sampling_rate=48000):
        """The packet's DRED features as opus_dred_parse + opus_dred_process give them: float32
        [4 nb_latents][20], or None for a packet without DRED."""
        f = self._c.decode_packet(packet, max_dred_samples, sampling_rate)
        return None if f is None else _from_q16(f)
