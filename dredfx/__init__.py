"""dredfx: bit-exact fixed-point Opus DRED (libopus 1.6.1 model and bitstream).

Public modules: dredfx.ec (range coder), dredfx.packet (Opus packets and padding extensions),
dredfx.dred (DRED payloads), dredfx.weights (the libopus 1.6.1 weights); dredfx.ref holds the
pure-Python / NumPy reference of each layer, which runs without the compiled modules.
"""
from .errors import (ArgumentTypeError, BufferTooSmallError, CpuLevelError, DredfxError,
                     InvalidArgumentError, InvalidPacketError, WeightsError)

__all__ = ["ArgumentTypeError", "BufferTooSmallError", "CpuLevelError", "DredfxError",
           "InvalidArgumentError", "InvalidPacketError", "WeightsError", "parse_dred"]

__version__ = "0.1.0"
LIBOPUS_VERSION = "1.6.1"


def __getattr__(name):
    # dredfx.parse_dred is dredfx.dred.parse_dred, loaded on first use so that `import dredfx`
    # (and dredfx.ref) loads no compiled module.
    if name == "parse_dred":
        from .dred import parse_dred
        return parse_dred
    raise AttributeError("module 'dredfx' has no attribute %r" % name)
