"""Opus packets (RFC 6716 section 3) and their padding extensions, as libopus 1.6.1 reads and
writes them (src/opus.c, src/extensions.c, src/repacketizer.c), in the C library; the pure-Python
twin is dredfx.ref.packet. Packets, frames and payloads are bytes-like objects (bytes,
bytearray, memoryview, uint8 arrays); anything else is refused with an error naming it.

    for packet in read_opus_demo("speech.bit"):     # an `opus_demo -e` bitstream
        info = parse_packet(packet)                   # Packet: toc, frames, padding, ...
        exts = parse_extensions(info.padding, info.nb_frames) if info.padding else []
"""
import struct

from . import _packet
from ._types import Packet
from .errors import InvalidArgumentError

__all__ = ["Packet", "parse_packet", "build_packet", "samples_per_frame", "count_extensions",
           "parse_extensions", "generate_extensions", "repacketize", "pad_packet",
           "read_opus_demo", "write_opus_demo"]

parse_packet = _packet.parse_packet
build_packet = _packet.build_packet
samples_per_frame = _packet.samples_per_frame
count_extensions = _packet.count_extensions
parse_extensions = _packet.parse_extensions
generate_extensions = _packet.generate_extensions
repacketize = _packet.repacketize
pad_packet = _packet.pad_packet

# The longest packet opus_demo reads back (src/opus_demo.c MAX_PACKET).
OPUS_DEMO_MAX_PACKET = 15000


def read_opus_demo(path):
    """The packets of an `opus_demo -e` bitstream file (libopus src/opus_demo.c): per packet a
    4-byte big-endian length, a 4-byte big-endian final range, then the packet. A length of 0 is
    a packet the encoder marked lost (its -enc_loss option): b"" in the list."""
    with open(path, "rb") as f:
        data = f.read()
    packets, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 8:
            raise InvalidArgumentError(
                "%s: truncated record header at byte %d (not an opus_demo -e file?)" % (path, pos))
        n, _rng = struct.unpack_from(">II", data, pos)
        pos += 8
        if n > OPUS_DEMO_MAX_PACKET or pos + n > len(data):
            raise InvalidArgumentError(
                "%s: packet of %d bytes at byte %d runs past the end (not an opus_demo -e file?)"
                % (path, n, pos - 8))
        packets.append(data[pos:pos + n])
        pos += n
    return packets


def write_opus_demo(path, packets):
    """Writes packets as an `opus_demo -e` bitstream that `opus_demo -d` decodes (final range 0:
    opus_demo checks it only when it is not 0)."""
    with open(path, "wb") as f:
        for p in packets:
            f.write(struct.pack(">II", len(p), 0))
            f.write(p)
