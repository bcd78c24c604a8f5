"""DRED payload API (C library through dredfx._dred; dredfx.ref.dred is the pure-Python twin).

parse_dred finds and decodes the DRED extension of an Opus packet as libopus 1.6.1's
opus_dred_parse does; encode_dred range-codes a DredPayload as libopus' encoder does;
build_dred_extension adds the 'D', 12 prefix of the padding extension (ID 126); attach_dred
puts it into an Opus packet as libopus' encoder does.
"""
from . import _dred
from .ref.dred import EXTENSION_ID, PREFIX, DredPayload

__all__ = ["DredPayload", "EXTENSION_ID", "parse_dred", "decode_payload", "decode_coded",
           "encode_dred",
           "build_dred_extension", "attach_dred", "dequantize", "dequantize_q16", "level"]


def parse_dred(packet, max_dred_samples=48000, sampling_rate=48000, weights=None,
               coded_chunks=False):
    """The packet's DredPayload, or None when it carries no DRED.

    payload.samples is opus_dred_parse's return value (audio covered, in samples at
    sampling_rate) and payload.dred_end its dred_end. Raises InvalidPacketError where libopus
    returns OPUS_INVALID_PACKET (a malformed packet, or a malformed extension before the DRED
    one). weights: a dredfx.weights object, a mapping of the libopus stats arrays, or None for
    dredfx.weights.default().

    coded_chunks: the latents are every chunk the encoder coded (see decode_coded), also those
    that libopus' stop rule or max_dred_samples leave out; nb_latents, levels, ec_bits and
    reproduced follow them, while samples and dred_end stay what opus_dred_parse returns."""
    p = _dred.parse_dred(packet, max_dred_samples, sampling_rate, weights)
    if p is None or not coded_chunks:
        return p
    _, c = _dred.decode_coded(p.payload, p.dred_frame_offset, weights)
    for name in ("nb_latents", "ec_bits", "latents_q", "levels", "latents", "reproduced"):
        setattr(p, name, getattr(c, name))
    return p


def decode_payload(data, min_feature_frames=104, dred_frame_offset=0, weights=None):
    """Decodes range-coded payload bytes (after 'D', 12) into a DredPayload."""
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
    for the same values."""
    return _dred.encode_payload(payload, weights, maxlen)


def build_dred_extension(payload, weights=None):
    """The ID-126 extension payload: 'D', 12 and the range-coded bytes. payload: a DredPayload
    or already encoded bytes."""
    if isinstance(payload, DredPayload):
        payload = encode_dred(payload, weights)
    return PREFIX + bytes(payload)


def attach_dred(packet, payload, length=None, weights=None):
    """The Opus packet with a DRED extension (ID 126 on frame 0: 'D', 12 and the payload) placed
    as libopus 1.6.1's encoder places it (opus_packet_pad_impl): before the packet's own
    extensions; with length, padded to exactly that many bytes (libopus' CBR packets), else the
    shortest packet. payload: a DredPayload or encoded bytes (without 'D', 12)."""
    from . import _packet
    ext = build_dred_extension(payload, weights)
    return _packet.pad_packet(packet, [(EXTENSION_ID, 0, ext)], length=length)


def dequantize(payload, weights=None):
    """libopus' float32 values: (state[50], latents[nb_latents, 26]), q-feature last."""
    return _dred.dequantize(payload, weights)


def dequantize_q16(payload, weights=None):
    """The C library's Q16 values: (state int32[50], latents int32[26, 26]), saturated at
    +-(2^31 - 1) where |q * 256 / scale| reaches 32768 (the Q16 format's range)."""
    return _dred.dequantize_q16(payload, weights)


def level(q0, dq, qmax, i):
    """Quantizer level of chunk i (0 = newest)."""
    return _dred.level(q0, dq, qmax, i)


_feature_decoder = None


def decode_features(packet, max_dred_samples=48000, sampling_rate=48000):
    """The DRED features of an Opus packet, as libopus 1.6.1's opus_dred_parse and
    opus_dred_process produce them: float32 [4 * nb_latents][20] in OpusDRED.fec_features order
    (row 4 c + j: frame j of latent c, newest first), or None for a packet without DRED. Uses
    one fixed-point decoder (dredfx.rdovae) over dredfx.weights.default(), made at the first
    call with the CPU level in use then."""
    global _feature_decoder
    if _feature_decoder is None:
        from .rdovae import Decoder
        _feature_decoder = Decoder()
    return _feature_decoder.decode_packet(packet, max_dred_samples, sampling_rate)
