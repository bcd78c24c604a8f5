"""dredfx's exception family. The C error codes (c/include/dredfx.h) map onto these classes."""


class DredfxError(Exception):
    """Base class of every dredfx error. ``code`` is the C error code (or None)."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class InvalidArgumentError(DredfxError, ValueError):
    """A parameter is out of range (C: DREDFX_ERR_BAD_ARG)."""


class BufferTooSmallError(DredfxError):
    """An output does not fit (C: DREDFX_ERR_BUFFER_TOO_SMALL)."""


class InvalidPacketError(DredfxError, ValueError):
    """A malformed Opus packet or padding extension (RFC 6716 section 3.4; C: -4, -40..-47)."""


class WeightsError(DredfxError):
    """Weights missing, corrupt, of the wrong version or of another model (C: -60..-64)."""


class CpuLevelError(DredfxError):
    """A forced CPU level is not available on this machine (C: DREDFX_ERR_CPU_UNSUPPORTED)."""


def from_code(code, message):
    """The exception instance for a negative C error code."""
    if code == -1:
        cls = InvalidArgumentError
    elif code == -2:
        cls = BufferTooSmallError
    elif code == -4 or -47 <= code <= -40:
        cls = InvalidPacketError
    elif -64 <= code <= -60:
        cls = WeightsError
    elif code == -80:
        cls = CpuLevelError
    else:
        cls = DredfxError
    return cls(message, code)
