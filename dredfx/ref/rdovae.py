"""Float NumPy reference of libopus 1.6.1's RDO-VAE decoder (dnn/dred_rdovae_dec.c), on the
primitives of dredfx.ref.nn (libopus' generic C path in float32). Facts sheet section 5.3.

Weights: a mapping of libopus' array names (`dec_dense1_weights_float`, `dec_gru1_input_bias`,
...), e.g. dredfx.weights.load().arrays. NumPy only.
"""
import numpy as np

from . import nn

STATE_DIM = 50
LATENT_DIM = 25
LATENT_STRIDE = LATENT_DIM + 1  # the q-feature q/8 - 1 follows the 25 values
NUM_FEATURES = 20
MAX_LATENTS = 26
STAGES = 5
HIDDEN = 128
GRU = 64
CONV = 32
DENSE1 = 96
BUFFER = DENSE1 + STAGES * (GRU + CONV)  # 576
F32 = np.float32


def _unsparse(layer):
    """The same layer with its sparse int8 matrix stored dense (zero blocks added): identical
    results, since the int8 sums are exact, without unpacking the index at every call."""
    if layer.weights_idx is None:
        return layer
    w = nn.int8_matrix(layer)
    blocks = w.reshape(layer.nb_outputs // 8, 8, layer.nb_inputs // 4, 4).transpose(0, 2, 1, 3)
    return layer._replace(weights_int8=blocks.reshape(-1), weights_idx=None)


class Decoder:
    """The decoder's 29 layers (dred_rdovae_dec_data.c init_rdovaedec)."""

    def __init__(self, arrays):
        def layer(name, nin, nout):
            return _unsparse(nn.linear_from_arrays(arrays, name, nin, nout))
        self.hidden_init = layer("dec_hidden_init", STATE_DIM, HIDDEN)
        self.gru_init = layer("dec_gru_init", HIDDEN, STAGES * GRU)
        self.dense1 = layer("dec_dense1", LATENT_STRIDE, DENSE1)
        self.output = layer("dec_output", BUFFER, 4 * NUM_FEATURES)
        self.stages = []
        for s in range(STAGES):
            gru_in = DENSE1 + s * (GRU + CONV)
            k = s + 1
            self.stages.append(dict(
                gru_input=layer("dec_gru%d_input" % k, gru_in, 3 * GRU),
                gru_recurrent=layer("dec_gru%d_recurrent" % k, GRU, 3 * GRU),
                glu=layer("dec_glu%d" % k, GRU, GRU),
                conv_dense=layer("dec_conv_dense%d" % k, gru_in + GRU, CONV),
                conv=layer("dec_conv%d" % k, 2 * CONV, CONV)))

    def init_states(self, state):
        """dred_rdovae_dec_init_states: (GRU states [5][64], conv memories [5][32] zero)."""
        hidden = nn.dense(self.hidden_init, np.asarray(state, dtype=F32), nn.ACTIVATION_TANH)
        grus = nn.dense(self.gru_init, hidden, nn.ACTIVATION_TANH).reshape(STAGES, GRU)
        return [g.copy() for g in grus], [np.zeros(CONV, dtype=F32) for _ in range(STAGES)]

    def decode_qframe(self, grus, mems, latent):
        """dred_rdovae_decode_qframe: one latent (26 values) -> 80 outputs, 4 frames newest first.
        Updates grus and mems in place."""
        parts = [nn.dense(self.dense1, np.asarray(latent, dtype=F32), nn.ACTIVATION_TANH)]
        for s, st in enumerate(self.stages):
            buffer = np.concatenate(parts)
            grus[s] = nn.gru(st["gru_input"], st["gru_recurrent"], grus[s], buffer)
            parts.append(nn.glu(st["glu"], grus[s]))
            conv_in = nn.dense(st["conv_dense"], np.concatenate(parts), nn.ACTIVATION_TANH)
            out, mems[s] = nn.conv1d(st["conv"], mems[s], conv_in, CONV, nn.ACTIVATION_TANH)
            parts.append(out)
        return nn.dense(self.output, np.concatenate(parts), nn.ACTIVATION_LINEAR)

    def decode_all(self, state, latents):
        """DRED_rdovae_decode_all: state[50], latents[n][26] (newest first) -> float32 [4 n][20]
        in OpusDRED.fec_features order."""
        latents = np.asarray(latents, dtype=F32).reshape(-1, LATENT_STRIDE)
        if len(latents) > MAX_LATENTS:
            raise ValueError("at most %d latents" % MAX_LATENTS)
        grus, mems = self.init_states(state)
        out = [self.decode_qframe(grus, mems, z) for z in latents]
        return np.concatenate(out).reshape(-1, NUM_FEATURES) if out else \
            np.zeros((0, NUM_FEATURES), dtype=F32)
