"""Float NumPy reference of libopus 1.6.1's DRED sender side after the features, on the
primitives of dredfx.ref.nn (libopus' generic C path in float32):

* Encoder: the RDO-VAE encoder (dnn/dred_rdovae_enc.c dred_rdovae_encode_dframe), libopus dnn/dred_rdovae_enc.c;
* quantize: the dead-zone quantizer of dnn/dred_encoder.c dred_encode_latents, in float32;
* compute_dred_bitrate: src/opus_encoder.c compute_dred_bitrate / estimate_dred_bitrate in float32;
* DredEncoder: the per-packet rules of dred_compute_latents and dred_encode_silk_frame and the byte
  budget of opus_encode_frame_native, producing dredfx.ref.dred.DredPayload objects, range-coded
  by dredfx.ref.dred.encode_payload.

Weights: a mapping of libopus' array names, e.g. dredfx.weights.load().arrays. NumPy only.
"""
import numpy as np

from . import nn
from ..errors import BufferTooSmallError
from .dred import DredPayload, encode_payload, level as dred_level, stats_arrays

NUM_FEATURES = 20
LATENT_DIM = 25
STATE_DIM = 50
STAGES = 5
DENSE1 = 64
GRU = 32
CONV = 64
HIDDEN = 128
PADDED_LATENT = 32
PADDED_STATE = 56
BUFFER = DENSE1 + STAGES * (GRU + CONV)  # 544
NUM_REDUNDANCY_FRAMES = 52
ACTIVITY_LEN = 416
MAX_DATA_SIZE = 1000
PREFIX_BYTES = 2
MIN_BYTES = 8
SILK_ENCODER_DELAY = 11
FRAME_SIZE = 160
EXTRA_DELAY_16K = 64
MAX_LATENTS = 26
F32 = np.float32
BITS_TABLE = np.array([73.2, 68.1, 62.5, 57.0, 51.5, 45.7, 39.9, 32.4, 26.4, 20.4, 16.3, 13.0, 9.3,
                       8.2, 7.2, 6.4], dtype=F32)


class Encoder:
    """The encoder's 24 layers (dred_rdovae_enc_data.c init_rdovaeenc) and its state."""

    def __init__(self, arrays):
        def layer(name, nin, nout):
            return nn.linear_from_arrays(arrays, name, nin, nout)
        self.dense1 = layer("enc_dense1", 2 * NUM_FEATURES, DENSE1)
        self.zdense = layer("enc_zdense", BUFFER, PADDED_LATENT)
        self.gdense1 = layer("gdense1", BUFFER, HIDDEN)
        self.gdense2 = layer("gdense2", HIDDEN, PADDED_STATE)
        self.stages = []
        for s in range(STAGES):
            gru_in = DENSE1 + s * (GRU + CONV)
            k = s + 1
            self.stages.append(dict(
                gru_input=layer("enc_gru%d_input" % k, gru_in, 3 * GRU),
                gru_recurrent=layer("enc_gru%d_recurrent" % k, GRU, 3 * GRU),
                conv_dense=layer("enc_conv_dense%d" % k, gru_in + GRU, CONV),
                conv=layer("enc_conv%d" % k, 2 * CONV, CONV)))
        self.reset()

    def reset(self):
        """RDOVAEEncState cleared: GRU states, conv memories (conv1: 1 input, others: 2)."""
        self.grus = [np.zeros(GRU, dtype=F32) for _ in range(STAGES)]
        self.mems = [np.zeros(CONV * (1 if s == 0 else 2), dtype=F32) for s in range(STAGES)]

    def encode_dframe(self, features):
        """features[40] (two 10 ms frames, older first) -> (latent[25], state[50]) float32."""
        parts = [nn.dense(self.dense1, np.asarray(features, dtype=F32).reshape(-1), nn.ACTIVATION_TANH)]
        for s, st in enumerate(self.stages):
            self.grus[s] = nn.gru(st["gru_input"], st["gru_recurrent"], self.grus[s], np.concatenate(parts))
            parts.append(self.grus[s].copy())
            conv_in = nn.dense(st["conv_dense"], np.concatenate(parts), nn.ACTIVATION_TANH)
            out, self.mems[s] = nn.conv1d(st["conv"], self.mems[s], conv_in, CONV, nn.ACTIVATION_TANH,
                                          dilation=1 if s == 0 else 2)
            parts.append(out)
        buffer = np.concatenate(parts)
        latent = nn.dense(self.zdense, buffer, nn.ACTIVATION_LINEAR)[:LATENT_DIM]
        hidden = nn.dense(self.gdense1, buffer, nn.ACTIVATION_TANH)
        state = nn.dense(self.gdense2, hidden, nn.ACTIVATION_LINEAR)[:STATE_DIM]
        return latent, state


def quantize(x, scale_q8, dead_zone_q8, r_q8, p0_q8):
    """dred_encode_latents' values in float32: delta = dz / 256, y = x scale / 256,
    y' = y - delta tanh(y / (delta + .1f)), q = floor(.5f + y'); 0 for skipped dimensions."""
    x = np.asarray(x, dtype=F32)
    scale = np.asarray(scale_q8).astype(F32)
    dz = np.asarray(dead_zone_q8).astype(F32)
    delta = dz * F32(1 / 256)
    xq = (x * scale) * F32(1 / 256)
    d = nn.tanh_approx(xq / (delta + F32(0.1)))
    xq = xq - delta * d
    q = np.floor((F32(0.5) + xq).astype(F32)).astype(np.int64)
    skip = (np.asarray(r_q8) == 0) | (np.asarray(p0_q8) == 255)
    return np.where(skip, 0, q).astype(np.int32)


def _ilog(v):
    return int(v).bit_length()


def compute_dred_bitrate(sampling_rate, bitrate, loss_perc, inband_fec, frame_size, duration_frames):
    """compute_dred_bitrate's decisions in float32: dict(q0, dq, qmax, target_chunks, dred_bitrate)."""
    loss = F32(loss_perc)
    if inband_fec:
        frac = min(F32(0.7), F32(3) * loss / F32(100))
        offset = 20000
    else:
        if loss_perc > 5:
            frac = min(F32(0.8), F32(0.55) + loss / F32(100))
        else:
            frac = F32(12 * loss_perc) / F32(100)
        offset = 12000
    frac = F32(frac / (frac + (F32(1) - frac) * F32(frame_size * 50) / F32(sampling_rate)))
    q0 = min(15, max(4, 51 - 3 * _ilog(max(1, bitrate - offset))))
    dq = 3 if bitrate - offset > 36000 else 5
    target = max(0, int(F32(frac * F32(bitrate - offset))))
    out = dict(q0=q0, dq=dq, qmax=15, target_chunks=0, dred_bitrate=0)
    if duration_frames == 0:
        return out
    target_bits = target * 6 // (6 * sampling_rate // frame_size)
    bits = F32(8 * (3 + PREFIX_BYTES)) + (F32(50) + BITS_TABLE[q0])
    for i in range(min((duration_frames + 5) // 4, MAX_LATENTS)):
        bits = F32(bits + BITS_TABLE[dred_level(q0, dq, 15, i)])
        if bits < F32(target_bits):
            out["target_chunks"] = i + 1
    max_bits = int(np.floor(F32(F32(0.5) + bits)))
    out["dred_bitrate"] = min(target, max_bits * (6 * sampling_rate // frame_size) // 6)
    if out["target_chunks"] < 2:
        out["dred_bitrate"] = 0
    return out


class DredEncoder:
    """The DRED payload of each packet, as libopus 1.6.1's encoder makes it (see
    c/include/dredfx.h dredfx_dred_enc_packet for the rules and the timing). arrays: libopus'
    RDO-VAE encoder arrays and the stats tables (dredfx.weights.load().arrays)."""

    def __init__(self, arrays, sampling_rate, bitrate, loss_perc, duration_ms, frame_ms, vbr=True,
                 inband_fec=False):
        if frame_ms not in (10, 20, 40, 60):
            raise ValueError("frame_ms must be 10, 20, 40 or 60")
        if not (10 <= duration_ms <= 1040 and duration_ms % 10 == 0):
            raise ValueError("duration_ms must be a multiple of 10 in [10, 1040]")
        self.net = Encoder(arrays)
        self.stats = stats_arrays(arrays)
        self.frames_per_packet = frame_ms // 10
        frame_size = sampling_rate // 1000 * frame_ms
        if not vbr:
            per_second = 6 * sampling_rate // frame_size
            bitrate = (bitrate * 6 // per_second + 4) // 8 * 8 * per_second // 6
        self.rate = compute_dred_bitrate(sampling_rate, bitrate, loss_perc, inband_fec, frame_size,
                                         duration_ms // 10)
        self.max_chunks = min((duration_ms // 10 + 5) // 4, NUM_REDUNDANCY_FRAMES // 2)
        if vbr:
            self.max_chunks = min(self.max_chunks, self.rate["target_chunks"])
        self.pending = None
        self.latents = []  # newest first, at most 52
        self.states = []
        self.fill = 0
        self.last_extra_dred_offset = 0
        self.activity = np.zeros(ACTIVITY_LEN, np.uint8)

    def _voice_active(self, offset):
        return bool(np.any(self.activity[8 * offset:8 * offset + 16] == 1))

    def packet(self, features, active, room=1276):
        """One packet's features (frame_ms / 10 frames of 20) and voice activity -> (payload bytes,
        DredPayload), or (None, None) without DRED."""
        features = np.asarray(features, dtype=F32).reshape(self.frames_per_packet, NUM_FEATURES)
        pending = 0 if self.pending is None else 1
        dred_offset = (40 + EXTRA_DELAY_16K - (SILK_ENCODER_DELAY + FRAME_SIZE * pending) + 20) // 40
        latent_offset = 0
        for frame in features:
            if self.pending is None:
                self.pending = frame
                continue
            latent, state = self.net.encode_dframe(np.concatenate([self.pending, frame]))
            self.pending = None
            self.latents = [latent] + self.latents[:NUM_REDUNDANCY_FRAMES - 1]
            self.states = [state] + self.states[:NUM_REDUNDANCY_FRAMES - 1]
            self.fill = min(self.fill + 1, NUM_REDUNDANCY_FRAMES)
            if dred_offset < 6:
                dred_offset += 8
            else:
                latent_offset += 1
        n400 = 4 * self.frames_per_packet
        self.activity = np.concatenate([np.full(n400, int(active), np.uint8), self.activity[:-n400]])
        bytes_left = min(MAX_DATA_SIZE, room - 3)
        bytes_left -= int((bytes_left + 1 + PREFIX_BYTES) / 255)  # C division
        if self.max_chunks < 1 or bytes_left < MIN_BYTES + PREFIX_BYTES:
            return None, None
        return self._payload(dred_offset, latent_offset, bytes_left - PREFIX_BYTES)

    def _payload(self, dred_offset, latent_offset, max_bytes):
        st = self.stats
        delayed = False
        if self.activity[0] and self.last_extra_dred_offset > 0:
            latent_offset = self.last_extra_dred_offset
            delayed = True
            self.last_extra_dred_offset = 0
        extra = 0
        while latent_offset < self.fill and not self._voice_active(latent_offset):
            latent_offset += 1
            extra += 1
        if not delayed:
            self.last_extra_dred_offset = extra
        if latent_offset >= self.fill:
            return None, None
        q0, dq, qmax = self.rate["q0"], self.rate["dq"], self.rate["qmax"]
        s = slice(q0 * STATE_DIM, (q0 + 1) * STATE_DIM)
        state_q = quantize(self.states[latent_offset], st["state_scale"][s], st["state_dead_zone"][s],
                           st["state_r"][s], st["state_p0"][s])
        nb_chunks = (min(2 * self.max_chunks, self.fill - latent_offset - 1) + 1) // 2
        latents_q, levels, keep, prev = [], [], [], False
        for c in range(nb_chunks):
            lv = dred_level(q0, dq, qmax, c)
            l = slice(lv * LATENT_DIM, (lv + 1) * LATENT_DIM)
            latents_q.append(quantize(self.latents[2 * c + latent_offset], st["latent_scale"][l],
                                      st["latent_dead_zone"][l], st["latent_r"][l], st["latent_p0"][l]))
            levels.append(lv)
            active = self._voice_active(2 * c + latent_offset)
            keep.append(active or prev)
            prev = active
        for c in range(nb_chunks - 1, -1, -1):
            if not keep[c]:
                continue
            if c == 0 and extra > 0:
                break
            p = DredPayload(q0=q0, dq=dq, qmax=qmax, dred_offset=dred_offset - 8 * extra,
                            nb_latents=c + 1, state_q=state_q,
                            latents_q=np.array(latents_q[:c + 1], np.int32).reshape(c + 1, LATENT_DIM),
                            levels=np.array(levels[:c + 1], np.uint8))
            try:
                data = encode_payload(p, st, max_bytes)
            except BufferTooSmallError:
                continue
            p.payload = data
            return data, p
        return None, None
