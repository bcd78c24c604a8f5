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
import numpy as _np

from . import _dred, _packet, _rdoenc
from .errors import ERR_BAD_ARG, InvalidArgumentError
from ._types import DredPayload, as_bytes

EXTENSION_ID = _dred.EXTENSION_ID
VERSION = _dred.VERSION
PREFIX = _dred.PREFIX

__all__ = ["DredPayload", "EXTENSION_ID", "PREFIX", "VERSION", "parse_dred", "decode_payload",
           "decode_coded", "encode_dred", "build_dred_extension", "attach_dred", "dequantize",
           "dequantize_q16", "level", "make_stats", "decode_features", "Encoder",
           "compute_dred_bitrate", "feature_frame_times", "dred_decode_rows"]

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


# ---------------------------------------------------------------- encoder (dredfx._rdoenc)
def compute_dred_bitrate(sampling_rate, bitrate, loss_perc, frame_ms=20, duration_ms=1040,
                         inband_fec=False):
    """libopus 1.6.1 compute_dred_bitrate's decisions for these encoder settings:
    dict(q0, dq, qmax, target_chunks, dred_bitrate), its float arithmetic reproduced exactly."""
    if duration_ms % 10:
        raise InvalidArgumentError("duration_ms must be a multiple of 10", ERR_BAD_ARG)
    frame_size = sampling_rate * frame_ms // 1000
    return _rdoenc.compute_bitrate(sampling_rate, bitrate, loss_perc, inband_fec, frame_size,
                                   duration_ms // 10)


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


class Encoder:
    """The DRED payload that libopus 1.6.1's encoder attaches to each packet, from DRED features.

    Encoder(sampling_rate, bitrate, loss_perc, duration_ms, frame_ms): the encoder's rate (8000,
    12000, 16000, 24000, 48000), OPUS_SET_BITRATE (b/s), OPUS_SET_PACKET_LOSS_PERC (%),
    OPUS_SET_DRED_DURATION in ms (10 ms units: 10..1040), the packet duration (10, 20, 40, 60 ms:
    single-frame packets). vbr (OPUS_SET_VBR, default on: the chunks are capped by the bitrate
    split, so 0 % loss sends no DRED) and inband_fec (SILK LBRR on) select libopus' other rules.
    rate: q0, dq, qmax and target_chunks of compute_dred_bitrate. VOIP/AUDIO applications assumed
    (look-ahead Fs / 250).

    encode(features, active, room=None) is called once per packet with the packet's features,
    float (frame_ms / 10, 20): its 10 ms frames, oldest first, as libopus' DRED encoder computes
    them (dred_compute_latents: the 16 kHz signal delayed by the 11 samples of its input buffer;
    for frame_ms 20, the (2, 20) of each 20 ms). active is the packet's voice activity (what libopus
    leaves in activity_mem); room the bytes left in the packet after the codec frame (libopus'
    max_data_bytes - ret; None: no limit but libopus' 1000-byte DRED cap, as in VBR). It returns
    the range-coded payload (bytes after 'D', 12, for attach_dred) or None when libopus attaches no
    DRED; last_payload then holds its DredPayload (None without DRED).

    Timing (dredfx_dred_enc_packet in c/include/dredfx.h): the RDO-VAE runs once per 20 ms (every
    other packet at 10 ms). Chunk c of a payload is the latent 2 c steps before the newest one sent
    (a chunk covers 40 ms: its own 20 ms and the skipped older 20 ms); the newest sent is the step
    completed in this packet for 10 and 20 ms packets, frame_ms / 20 - 1 steps earlier for 40 and
    60 ms. dred_offset (2.5 ms units) is 10 for 20, 40, 60 ms packets and 6 / 2 for 10 ms packets
    (6 when the packet completes a step); leading inactive latents are skipped, 8 units each. The
    state sent is the one of the newest chunk. Features are converted to Q16 (clipped to +-32767, the
    format's range) and go into the encoder's first layer as they are (the engine's 32-bit wide
    path); NaN or infinite features are refused."""

    def __init__(self, sampling_rate=16000, bitrate=32000, loss_perc=20, duration_ms=1040,
                 frame_ms=20, vbr=True, inband_fec=False, weights=None):
        from . import weights as _weights
        w = weights if weights is not None else _weights.default()
        self._enc = _rdoenc.DredEncoder(w.core, sampling_rate, bitrate, loss_perc, duration_ms,
                                        frame_ms, vbr, inband_fec)
        self.frames = frame_ms // 10
        self.rate = self._enc.rate
        self.last_payload = None

    def reset(self):
        """Back to the state after construction (libopus' OPUS_RESET_STATE)."""
        self._enc.reset()
        self.last_payload = None

    def encode(self, features, active=True, room=None):
        """The packet's DRED payload bytes (without 'D', 12), or None."""
        f = _np.asarray(features, dtype=_np.float64)
        if f.shape != (self.frames, 20):
            raise InvalidArgumentError("features: shape %s, expected (%d, 20)" % (f.shape, self.frames),
                                       ERR_BAD_ARG)
        if not _np.isfinite(f).all():
            raise InvalidArgumentError("features: NaN or infinite values", ERR_BAD_ARG)
        if active not in (0, 1, True, False):
            raise InvalidArgumentError("active must be 0 or 1", ERR_BAD_ARG)
        q16 = _np.round(_np.clip(f, -32767.0, 32767.0) * 65536).astype(_np.int32)
        data, fields = self._enc.packet_q16(q16, bool(active), room)
        self.last_payload = None if data is None else DredPayload(payload=data, **fields)
        return data


# ---------------------------------------------------------------- frame timing (docs/dred-timing.md)
def _check_timing_args(dred_offset, nb_latents, sampling_rate):
    if sampling_rate not in (8000, 12000, 16000, 24000, 48000):
        raise InvalidArgumentError("sampling_rate must be 8000, 12000, 16000, 24000 or 48000", ERR_BAD_ARG)
    if not 0 <= nb_latents <= 26:
        raise InvalidArgumentError("nb_latents must be in 0..26", ERR_BAD_ARG)
    f10 = sampling_rate // 100
    # C's int division (toward zero): dred_offset is negative when the payload's extra offset is large.
    c = abs(dred_offset * f10) // 4
    return f10, (c if dred_offset * f10 >= 0 else -c)


def feature_frame_times(dred_offset, nb_latents, sampling_rate=48000):
    """Where each row of fec_features lies in time for libopus 1.6.1's decoder.

    dred_offset: the payload's dred_offset (2.5 ms units, DredPayload.dred_offset, libopus'
    OpusDRED.dred_offset); nb_latents: its latent count (4 rows each). Returns int64
    [4 * nb_latents]: start[r], in samples at sampling_rate relative to the start of the packet
    that carried the payload (negative: before it), such that opus_decoder_dred_decode feeds row r
    to the PLC for every 10 ms output frame starting in (start[r] - Fs/100, start[r]]:
    start[r] = trunc(dred_offset * F10 / 4) - (r + 2) * F10 with F10 = Fs / 100. Row 0 (the
    newest) is the latest frame, each next row 10 ms earlier."""
    f10, c = _check_timing_args(dred_offset, nb_latents, sampling_rate)
    return c - (_np.arange(4 * nb_latents, dtype=_np.int64) + 2) * f10


def dred_decode_rows(dred_offset, nb_latents, position, frame_size, sampling_rate=48000, first_loss=False):
    """The fec_features rows one opus_decoder_dred_decode call queues for the PLC, in order.

    position: the call's dred_offset argument (samples before the start of the packet that
    carried the payload where the audio to rebuild begins); frame_size: the samples it decodes
    (a multiple of 2.5 ms); first_loss: the decoder's PLC was last updated, not run (lpcnet.blend
    0: the first loss after received audio, or after a call that fed it no row), when libopus
    queues two older frames first. Returns a
    list of row indices, None where the row lies past the covered past (libopus queues NULL: the
    PLC predicts that frame itself); frames after the newest row are not queued at all."""
    f10, c = _check_timing_args(dred_offset, nb_latents, sampling_rate)
    if frame_size <= 0 or frame_size % (sampling_rate // 400):
        raise InvalidArgumentError("frame_size must be a positive multiple of 2.5 ms", ERR_BAD_ARG)
    init = 2 if first_loss else 0
    # libopus computes (float)position + c, divides by F10 in float and floors.
    base = int(_np.floor(_np.float32(_np.float32(position) + _np.float32(c)) / _np.float32(f10)))
    rows = []
    for i in range(init + max(1, frame_size // f10)):
        r = init - i - 2 + base
        if 0 <= r <= 4 * nb_latents - 1:
            rows.append(r)
        elif r >= 0:
            rows.append(None)
    return rows
