"""dredfx: bit-exact fixed-point Opus DRED (libopus 1.6.1 model and bitstream).

The C library does the work (dredfx._core); dredfx.ref holds the pure-Python/NumPy reference.
"""
from .errors import (BufferTooSmallError, CpuLevelError, DredfxError, InvalidArgumentError,
                     InvalidPacketError, WeightsError)

__version__ = "0.1.0"
LIBOPUS_VERSION = "1.6.1"
