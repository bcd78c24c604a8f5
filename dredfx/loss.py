"""Packet-loss models: which packets of a stream a network drops.

Every model is seeded and reproducible: the same model, seed and length give the same pattern on
every machine. ``pattern(n)`` returns a bool array, True for a lost packet.

* ``Bernoulli(loss_pct)``: each packet lost independently.
* ``GilbertElliott(p, r, loss_good=0, loss_bad=1)``: a two-state Markov chain; ``p`` is
  P(good -> bad), ``r`` is P(bad -> good) per packet, and a packet is lost with probability
  ``loss_good`` in the good state and ``loss_bad`` in the bad one. ``GilbertElliott.from_mean(
  loss_pct, burst)`` picks p and r for a mean loss and a mean burst length (loss_good 0,
  loss_bad 1: the mean burst is 1 / r and the loss rate p / (p + r)). The chain starts in its
  stationary distribution.
* ``Trace(path)``: a file with one 0 or 1 per packet (whitespace between them is free; ``#``
  starts a comment). A trace shorter than the stream is repeated from its start.
* ``LossGen(loss_pct)``: libopus 1.6.1's generative model (dnn/lossgen.c, what ``opus_demo
  -sim_loss`` uses): dense 2 -> 8 (tanh), GRU 16, GRU 32, dense 32 -> 1 (sigmoid) giving the
  probability that the next packet is lost, fed the last decision and the target loss. It runs on
  dredfx's integer NN engine with the imported weights (bit-exact on every CPU), after libopus'
  1000 warm-up draws, and draws with glibc's ``rand()`` seeded with ``seed`` (1 by default, the
  seed ``opus_demo`` leaves ``rand()`` with), compared as libopus compares
  ``(float)rand()/(float)RAND_MAX < p``.

``from_spec("lossgen:20")`` builds a model from a command-line spec: ``bernoulli:PCT``,
``ge:LOSS_PCT,BURST`` (mean loss and mean burst length), ``ge:p=P,r=R[,good=G,bad=B]``,
``lossgen:PCT``, ``trace:PATH``; ``none`` (or ``0``) loses nothing.
"""
import os

import numpy as np

from .errors import InvalidArgumentError

__all__ = ["LossModel", "NoLoss", "Bernoulli", "GilbertElliott", "Trace", "LossGen", "from_spec",
           "burst_lengths", "burst_histogram", "glibc_rand"]


def _prob(name, value, upper_open=False):
    v = float(value)
    if not (0.0 <= v <= 1.0) or (upper_open and v >= 1.0):
        raise InvalidArgumentError("%s must be in [0, 1%s, got %r" % (name, ")" if upper_open else "]", value))
    return v


def _pct(name, value):
    v = float(value)
    if not 0.0 <= v <= 100.0:
        raise InvalidArgumentError("%s must be a percentage in [0, 100], got %r" % (name, value))
    return v


def _count(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InvalidArgumentError("n must be a non-negative integer, got %r" % (n,))
    return int(n)


class LossModel:
    """A seeded packet-loss model; ``pattern(n)`` is a bool array (True = lost)."""

    name = "model"

    def pattern(self, n):
        raise NotImplementedError

    def describe(self):
        """A one-line description with the parameters."""
        return self.name


class NoLoss(LossModel):
    """No packet is lost."""

    name = "none"

    def pattern(self, n):
        return np.zeros(_count(n), dtype=bool)


class Bernoulli(LossModel):
    """Each packet is lost with probability loss_pct / 100, independently."""

    name = "bernoulli"

    def __init__(self, loss_pct, seed=0):
        self.loss = _pct("loss_pct", loss_pct) / 100.0
        self.seed = seed

    def pattern(self, n):
        return np.random.default_rng(self.seed).random(_count(n)) < self.loss

    def describe(self):
        return "bernoulli: %.2f %% loss, seed %s" % (100 * self.loss, self.seed)


class GilbertElliott(LossModel):
    """Two-state Markov loss (see the module docstring for the parameters)."""

    name = "gilbert-elliott"

    def __init__(self, p, r, loss_good=0.0, loss_bad=1.0, seed=0):
        self.p = _prob("p", p)
        self.r = _prob("r", r)
        if self.p + self.r == 0.0:
            raise InvalidArgumentError("p and r cannot both be 0: the chain would never start")
        self.loss_good = _prob("loss_good", loss_good)
        self.loss_bad = _prob("loss_bad", loss_bad)
        self.seed = seed

    @classmethod
    def from_mean(cls, loss_pct, burst, seed=0):
        """The chain with loss in the bad state only, mean loss loss_pct % and mean burst length
        ``burst`` packets (>= 1)."""
        loss = _pct("loss_pct", loss_pct) / 100.0
        if loss >= 1.0:
            raise InvalidArgumentError("loss_pct must be below 100 for a Gilbert-Elliott chain")
        burst = float(burst)
        if not burst >= 1.0:
            raise InvalidArgumentError("burst must be at least 1 packet, got %r" % (burst,))
        r = 1.0 / burst
        return cls(loss * r / (1.0 - loss), r, 0.0, 1.0, seed)

    @property
    def mean_loss(self):
        """The stationary loss probability."""
        bad = self.p / (self.p + self.r)
        return (1.0 - bad) * self.loss_good + bad * self.loss_bad

    def pattern(self, n):
        n = _count(n)
        rng = np.random.default_rng(self.seed)
        u_state, u_loss = rng.random(n + 1), rng.random(n)
        bad = u_state[0] < self.p / (self.p + self.r)
        out = np.empty(n, dtype=bool)
        for i in range(n):
            out[i] = u_loss[i] < (self.loss_bad if bad else self.loss_good)
            bad = (u_state[i + 1] >= self.r) if bad else (u_state[i + 1] < self.p)
        return out

    def describe(self):
        return ("gilbert-elliott: p %.4f, r %.4f, loss good %.2f bad %.2f (mean loss %.2f %%, "
                "seed %s)" % (self.p, self.r, self.loss_good, self.loss_bad, 100 * self.mean_loss, self.seed))


class Trace(LossModel):
    """A recorded pattern: a path to a 0/1 text file, or a sequence of 0/1 values."""

    name = "trace"

    def __init__(self, source):
        if isinstance(source, (str, os.PathLike)):
            self.path = os.fspath(source)
            try:
                with open(self.path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise InvalidArgumentError("cannot read the loss trace %s: %s" % (self.path, e.strerror)) from None
            except UnicodeDecodeError:
                raise InvalidArgumentError("loss trace %s is not a text file of 0 and 1" % self.path) from None
            values = []
            for lineno, line in enumerate(text.splitlines(), 1):
                for tok in line.split("#", 1)[0].split():
                    if tok not in ("0", "1"):
                        raise InvalidArgumentError("loss trace %s, line %d: %r is not 0 or 1"
                                                   % (self.path, lineno, tok))
                    values.append(tok == "1")
        else:
            self.path = None
            values = []
            for v in source:
                if v not in (0, 1):
                    raise InvalidArgumentError("a loss trace holds only 0 and 1, got %r" % (v,))
                values.append(bool(v))
        if not values:
            raise InvalidArgumentError("the loss trace %sis empty" % (self.path + " " if self.path else ""))
        self.values = np.array(values, dtype=bool)

    def pattern(self, n):
        return np.resize(self.values, _count(n))

    def describe(self):
        return "trace: %s (%d packets, %.2f %% lost; repeated when shorter than the stream)" % (
            self.path or "values", self.values.size, 100 * self.values.mean())


RAND_MAX = 2**31 - 1


def glibc_rand(seed, n):
    """The first n values of glibc's rand() after srand(seed) (its TYPE_3 additive generator)."""
    n = _count(n)
    r = [0] * (34 + 310 + n)
    seed &= 0xffffffff
    r[0] = seed - 2**32 if seed >= 2**31 else seed or 1  # glibc keeps it in an int32_t
    for i in range(1, 31):
        hi = abs(r[i - 1]) // 127773 * (1 if r[i - 1] >= 0 else -1)  # C division truncates
        lo = r[i - 1] - hi * 127773
        word = 16807 * lo - 2836 * hi
        r[i] = word + 2147483647 if word < 0 else word
    for i in range(31, 34):
        r[i] = r[i - 31]
    r = [v & 0xffffffff for v in r[:34]] + r[34:]
    for i in range(34, len(r)):
        r[i] = (r[i - 31] + r[i - 3]) & 0xffffffff
    return np.array(r[344:], dtype=np.int64) >> 1


class LossGen(LossModel):
    """libopus 1.6.1's generative loss model on dredfx's integer engine (module docstring)."""

    name = "lossgen"
    WARMUP = 1000

    def __init__(self, loss_pct, seed=1, weights=None):
        self.loss = _pct("loss_pct", loss_pct) / 100.0
        self.seed = seed
        self._weights = weights

    def _layers(self):
        from . import _nn, weights as _w
        arrays = (self._weights or _w.default()).arrays
        L = _nn.Linear.from_arrays
        return (L(arrays, "lossgen_dense_in", 2, 8), L(arrays, "lossgen_gru1_input", 8, 48),
                L(arrays, "lossgen_gru1_recurrent", 16, 48), L(arrays, "lossgen_gru2_input", 16, 96),
                L(arrays, "lossgen_gru2_recurrent", 32, 96), L(arrays, "lossgen_dense_out", 32, 1))

    def probabilities(self, n):
        """(pattern, p): the decisions and the network's loss probability (Q15) before each."""
        from . import _nn
        n = _count(n)
        dense_in, g1i, g1r, g2i, g2r, dense_out = self._layers()
        draws = glibc_rand(self.seed, self.WARMUP + n)
        # A float32 rand() / RAND_MAX (RAND_MAX rounds to 2^31) below p (Q15): compare exactly as
        # float32(rand) < p * 2^16.
        draws = draws.astype(np.float32).astype(np.float64)
        loss_q14 = int(round(self.loss * 16384))
        s1, s2 = np.zeros(16, np.int16), np.zeros(32, np.int16)
        last = 0
        out, probs = np.empty(n, dtype=bool), np.empty(n, dtype=np.int32)
        for i in range(self.WARMUP + n):
            h = _nn.dense_wide(dense_in, _nn.ACT_TANH, np.array([last << 14, loss_q14], np.int16), 14)
            s1 = _nn.gru(g1i, g1r, s1, h)
            s2 = _nn.gru(g2i, g2r, s2, s1)
            p = int(_nn.dense_wide(dense_out, _nn.ACT_SIGMOID, s2, 15)[0])
            last = int(draws[i] < p * 65536.0)
            if i >= self.WARMUP:
                out[i - self.WARMUP], probs[i - self.WARMUP] = last, p
        return out, probs

    def pattern(self, n):
        return self.probabilities(n)[0]

    def describe(self):
        return "lossgen (libopus 1.6.1 model): target %.2f %% loss, glibc rand() seed %s" % (
            100 * self.loss, self.seed)


def _split_params(text):
    pos, named = [], {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = part.split("=", 1)
            named[k.strip()] = v.strip()
        else:
            pos.append(part)
    return pos, named


def from_spec(spec, seed=None):
    """A LossModel from a spec string (module docstring); seed overrides the model's default."""
    if not isinstance(spec, str):
        raise InvalidArgumentError("loss spec must be a string such as 'lossgen:20', got %r" % (spec,))
    kind, _, arg = spec.strip().partition(":")
    kind = kind.lower()
    kw = {} if seed is None else {"seed": seed}

    def num(text):
        try:
            return float(text)
        except ValueError:
            raise InvalidArgumentError("loss spec %r: %r is not a number" % (spec, text)) from None

    if kind in ("none", "0") and not arg:
        return NoLoss()
    if kind == "bernoulli":
        return Bernoulli(num(arg), **kw)
    if kind == "lossgen":
        return LossGen(num(arg), **kw)
    if kind == "trace":
        if not arg:
            raise InvalidArgumentError("trace: needs a path, e.g. trace:loss.txt")
        return Trace(arg)
    if kind in ("ge", "gilbert", "gilbert-elliott"):
        pos, named = _split_params(arg)
        if pos and not named and len(pos) == 2:
            return GilbertElliott.from_mean(num(pos[0]), num(pos[1]), **kw)
        if named and not pos and {"p", "r"} <= set(named) <= {"p", "r", "good", "bad"}:
            return GilbertElliott(num(named["p"]), num(named["r"]), num(named.get("good", 0)),
                                  num(named.get("bad", 1)), **kw)
        raise InvalidArgumentError("ge: takes LOSS_PCT,BURST or p=P,r=R[,good=G,bad=B], got %r" % arg)
    raise InvalidArgumentError("unknown loss model %r (bernoulli:PCT, ge:PCT,BURST, ge:p=P,r=R, "
                               "lossgen:PCT, trace:PATH, none)" % spec)


def burst_lengths(pattern):
    """The lengths of the runs of consecutive losses, in order."""
    p = np.asarray(pattern, dtype=bool).astype(np.int8)
    edges = np.diff(np.concatenate(([0], p, [0])))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def burst_histogram(pattern):
    """{burst length: number of bursts of that length}, sorted by length."""
    lengths, counts = np.unique(burst_lengths(pattern), return_counts=True)
    return {int(k): int(v) for k, v in zip(lengths, counts)}
