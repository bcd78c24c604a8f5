"""dredfx's exception family and the C error codes (c/include/dredfx.h, enum dredfx_error) as the
pure-Python twins raise them. The compiled modules map the C enum onto these classes by name
(pyx/common.pxi); tests/test_errors.py checks that the values below are the header's."""

ERR_BAD_ARG = -1
ERR_BUFFER_TOO_SMALL = -2
ERR_PACKET_EMPTY = -40
ERR_PACKET_CBR_SIZE = -41
ERR_PACKET_LENGTH = -42
ERR_PACKET_FRAME_SIZE = -43
ERR_PACKET_FRAME_COUNT = -44
ERR_PACKET_PADDING = -45
ERR_EXT_FRAME_INDEX = -46
ERR_EXT_OVERRUN = -47
ERR_WEIGHTS_MISSING = -63
ERR_WEIGHTS_SHAPE = -64


class DredfxError(Exception):
    """Base class of every dredfx error. ``code`` is the C error code (or None)."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class InvalidArgumentError(DredfxError, ValueError):
    """A parameter is out of range (C: DREDFX_ERR_BAD_ARG). The message names the parameter."""


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """A parameter of the wrong type, e.g. an int where packet bytes are expected (C:
    DREDFX_ERR_BAD_ARG). Also a TypeError."""

    def __init__(self, message, code=ERR_BAD_ARG):
        super().__init__(message, code)


class BufferTooSmallError(DredfxError):
    """An output does not fit (C: DREDFX_ERR_BUFFER_TOO_SMALL)."""


class InvalidPacketError(DredfxError, ValueError):
    """A malformed Opus packet or padding extension (RFC 6716 section 3.4; C:
    DREDFX_ERR_INVALID_PACKET and every DREDFX_ERR_PACKET_* / DREDFX_ERR_EXT_* code)."""


class WeightsError(DredfxError):
    """Weights missing, corrupt, of the wrong version or of another model (C:
    DREDFX_ERR_WEIGHTS_*)."""


class CpuLevelError(DredfxError):
    """A forced CPU level is not available on this machine (C: DREDFX_ERR_CPU_UNSUPPORTED)."""
