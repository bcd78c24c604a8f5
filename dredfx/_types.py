"""Result types and argument checks shared by the compiled modules and the pure-Python twins in
dredfx.ref (pure Python: importing it loads no compiled module)."""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .errors import ArgumentTypeError

# DRED payload dimensions (libopus dnn/dred_config.h: DRED_LATENT_DIM, DRED_STATE_DIM,
# DRED_NUM_REDUNDANCY_FRAMES / 2).
LATENT_DIM = 25
STATE_DIM = 50
MAX_LATENTS = 26


def as_bytes(obj, name):
    """obj as bytes; only bytes-like objects of single bytes are taken (bytes, bytearray, a
    memoryview or a uint8 array), so that an int never becomes that many zero bytes."""
    if isinstance(obj, bytes):
        return obj
    try:
        view = memoryview(obj)
    except TypeError:
        raise ArgumentTypeError("%s must be a bytes-like object, not %s"
                                % (name, type(obj).__name__)) from None
    if view.itemsize != 1:
        raise ArgumentTypeError("%s must hold single bytes, not items of %d bytes"
                                % (name, view.itemsize))
    return view.tobytes()


@dataclass
class Packet:
    """A parsed Opus packet (RFC 6716 section 3). frames and padding are copies of the packet's
    bytes; samples_per_frame is at 48 kHz."""
    toc: int
    config: int
    stereo: int
    code: int
    vbr: int
    nb_frames: int
    samples_per_frame: int
    frames: list = field(default_factory=list)
    padding: bytes = b""


@dataclass(eq=False)
class DredPayload:
    """Quantized content of a DRED payload, plus what parsing found around it.

    dred_offset: 2.5 ms units, libopus meaning (16 - low - extra + dred_frame_offset).
    samples, dred_end: opus_dred_parse's return value and dred_end (None outside a parse).
    state_q int32[50], latents_q int32[nb_latents, 25] (newest chunk first): libopus' int values,
    which a crafted payload can push past int16; levels uint8[nb_latents]; state float32[50] and
    latents float32[nb_latents, 26] are libopus' dequantized values (26th column: the q-feature
    level / 8 - 1), None when not computed.
    payload: the range-coded bytes after 'D', 12 (None when built by hand).
    reproduced: set by decode_coded: True when the chunks are every chunk the encoder coded (their
    encoding is the payload, byte for byte), False when they are only the stop rule's; else None.
    """
    q0: int
    dq: int
    qmax: int = 15
    dred_offset: int = 0
    dred_frame_offset: int = 0
    nb_latents: int = 0
    ec_bits: int = 0
    samples: Optional[int] = None
    dred_end: Optional[int] = None
    state_q: np.ndarray = field(default_factory=lambda: np.zeros(STATE_DIM, np.int32))
    latents_q: np.ndarray = field(default_factory=lambda: np.zeros((0, LATENT_DIM), np.int32))
    levels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    state: Optional[np.ndarray] = None
    latents: Optional[np.ndarray] = None
    payload: Optional[bytes] = None
    reproduced: Optional[bool] = None
