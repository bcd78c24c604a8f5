"""DRED payloads of Opus packets, as libopus 1.6.1 reads and writes them (the C library; the
pure-Python twin is dredfx.ref.dred).

parse_dred finds and decodes the DRED extension of an Opus packet as libopus' opus_dred_parse
does; encode_dred range-codes a DredPayload as libopus' encoder does (dnn/dred_encoder.c);
build_dred_extension adds the 'D', 12 prefix of the padding extension (ID 126); attach_dred puts
it into an Opus packet as libopus' encoder does.

weights, in every function: None (the imported blob, `dredfx weights import`), a
dredfx.weights.Weights, a mapping of libopus' stats arrays (dnn/dred_rdovae_stats_data.c names),
or make_stats(...) of one of these, converted once for many calls.
"""
from . import _dred, _packet
from ._types import DredPayload, as_bytes

EXTENSION_ID = _dred.EXTENSION_ID
VERSION = _dred.VERSION
PREFIX = _dred.PREFIX

__all__ = ["DredPayload", "EXTENSION_ID", "PREFIX", "VERSION", "parse_dred", "decode_payload",
           "decode_coded", "encode_dred", "build_dred_extension", "attach_dred", "dequantize",
           "dequantize_q16", "level", "make_stats"]

parse_dred = _dred.parse_dred
make_stats = _dred.make_stats
level = _dred.level
dequantize_q16 = _dred.dequantize_q16


def decode_payload(data, min_feature_frames=104, dred_frame_offset=0, weights=None):
    """Decodes range-coded payload bytes (after 'D', 12) into a DredPayload, as libopus'
    dred_ec_decode does for min_feature_frames."""
    return _dred.decode_payload(data, min_feature_frames, dred_frame_offset, weights)


def decode_coded(data, dred_frame_offset=0, weights=None):
    """Every chunk the encoder coded in range-coded payload bytes (after 'D', 12), including the
    last ones of under 8 bits that libopus 1.6.1's decoder never reads: a DredPayload whose
    encode_dred is data, byte for byte, with reproduced True; when no chunk count reproduces the
    bytes (not written by a libopus-style encoder, or over 2048 bytes), the chunks libopus' stop
    rule gives and reproduced False."""
    return _dred.decode_coded(data, dred_frame_offset, weights)[1]


def encode_dred(payload, weights=None, maxlen=None):
    """The range-coded payload (without the 'D', 12 prefix), byte-identical to libopus' encoder
    for the same values. maxlen: at most that many bytes (BufferTooSmallError past it)."""
    return _dred.encode_payload(payload, weights, maxlen)


def build_dred_extension(payload, weights=None):
    """The ID-126 extension payload: 'D', 12 and the range-coded bytes. payload: a DredPayload
    or already encoded bytes."""
    if isinstance(payload, DredPayload):
        return PREFIX + encode_dred(payload, weights)
    return PREFIX + as_bytes(payload, "payload")


def attach_dred(packet, payload, length=None, weights=None):
    """The Opus packet with a DRED extension (ID 126 on frame 0: 'D', 12 and the payload) placed
    as libopus 1.6.1's encoder places it (opus_packet_pad_impl): before the packet's own
    extensions; with length, padded to exactly that many bytes (libopus' CBR packets), else the
    shortest packet. payload: a DredPayload or encoded bytes (without 'D', 12)."""
    ext = build_dred_extension(payload, weights)
    return _packet.pad_packet(packet, [(EXTENSION_ID, 0, ext)], length=length)


def dequantize(payload, weights=None):
    """libopus' float32 values: (state[50], latents[nb_latents, 26]), q-feature last."""
    return _dred.dequantize(payload, weights)
