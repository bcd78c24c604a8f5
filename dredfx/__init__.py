"""dredfx: bit-exact fixed-point Opus DRED (libopus 1.6.1 model and bitstream).

The C library does the work (dredfx._core); dredfx.ref holds the pure-Python/NumPy reference.
"""
from .errors import (BufferTooSmallError, CpuLevelError, DredfxError, InvalidArgumentError,
                     InvalidPacketError, WeightsError)

__all__ = ["BufferTooSmallError", "CpuLevelError", "DredfxError", "InvalidArgumentError",
           "InvalidPacketError", "WeightsError", "parse_dred"]

__version__ = "0.1.0"
LIBOPUS_VERSION = "1.6.1"


def parse_dred(packet, max_dred_samples=48000, sampling_rate=48000, weights=None):
    """The DRED of an Opus packet, as libopus 1.6.1's opus_dred_parse reads it (dredfx.dred)."""
    from .dred import parse_dred as _parse
    return _parse(packet, max_dred_samples, sampling_rate, weights)
