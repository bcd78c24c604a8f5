"""libopus 1.6.1's dnn/dred_compare.c in NumPy: the metrics and pass rules of its DRED conformance
procedure (tests/dred_vectors.sh), so that a directory in that format can be judged without
libopus.

    audio(ref, test)      -> (err4, err16, pitch)   dred_compare -audio (16 kHz mono)
    features(ref, test)   -> (tot, max, pitch)      dred_compare -features (20 floats a frame)
    passes(metrics, limits)                         its rule: every metric <= its limit (NaN fails)

The arithmetic follows the C types operation by operation (float32 where dred_compare stores a
float, float64 where it computes in double, sequential float32 sums as cumulative sums); the FFT
(its float kiss FFT) is NumPy's in double, rounded to float32. tests/test_libopus_vectors.py
checks the printed figures (six decimals) against dred_compare itself.
"""
import struct

import numpy as np

F32 = np.float32
OPUS_PI = F32(3.14159265)
NBANDS, NFREQS, WIN, STEP = 17, 320, 640, 160
BANDS = np.array([0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 272, 320])
PITCH_MIN, PITCH_MAX, PITCH_FRAME = 32, 256, 320
LOUDNESS = F32(0.2)
NB_FEATURES = 20
# tests/dred_vectors.sh's limits
LIMITS_FEATURES = (0.5, 0.15, 0.02)      # DRED decoding: tot, max, pitch
LIMITS_VOCODER = (0.25, 1.0, 0.15)       # FARGAN synthesis against the original: err4, err16, pitch
LIMITS_SYSTEM = (1.0, 3.0, 0.25)         # opus_demo -d 16000 against the original (a warning only)


class CompareError(ValueError):
    """What dred_compare refuses (its message)."""


def _f32(v, _s=struct.Struct("f")):
    return _s.unpack(_s.pack(v))[0]


def _highpass(x):
    """read_pcm's biquad (float state, double products), in place order."""
    b0, b1 = float(F32(-2.0)), float(F32(1.0))
    a0, a1 = float(F32(-1.97354)), float(F32(0.97417))
    m0 = m1 = 0.0
    out = np.empty(len(x), F32)
    for i, xi in enumerate(x.tolist()):
        yi = _f32(xi + m0)
        m0 = _f32(m1 + (b0 * xi - a0 * yi))
        m1 = _f32(b1 * xi - a1 * yi)
        out[i] = yi
    return out


def _seqsum(prod, axis=-1):
    """A float32 sum in order (C's `sum += ...` loop): the last cumulative sum."""
    return np.cumsum(prod, axis=axis, dtype=F32).take(-1, axis=axis)


def _filtered(x, start):
    """compute_xcorr's filtered[0 .. 575] for &x[start] (float32)."""
    seg = x[start - PITCH_MAX - 1:start + PITCH_FRAME].astype(np.float64)
    return (seg[1:] - 0.8 * seg[:-1]).astype(F32)


def _xcorr(filt, lags):
    """compute_xcorr's xcorr[lag] for the given lags (float32)."""
    cur = filt[PITCH_MAX:]
    idx = PITCH_MAX - np.asarray(lags)[:, None] + np.arange(PITCH_FRAME)[None, :]
    lagged = filt[idx]
    xx = _seqsum(cur * cur)
    xy = _seqsum(cur[None, :] * lagged)
    yy = _seqsum(lagged * lagged)
    den = np.sqrt((F32(xx) * yy + F32(PITCH_FRAME)).astype(F32).astype(np.float64))
    return (xy.astype(np.float64) / den).astype(F32)


def _psydecay(n=NFREQS, fs=16000):
    i = np.arange(n)
    f = ((fs * i).astype(F32) * (F32(1) / (F32(2) * F32(n)))).astype(F32).astype(np.float64)
    deriv = ((8.288e-8 * f) / (3.4225e-16 * f * f * f * f + 1) + .009694 / (5.476e-7 * f * f + 1)
             + 1e-4).astype(F32)
    deriv = (deriv * F32(fs * (F32(1) / (F32(2) * F32(n))))).astype(F32)
    d = deriv.astype(np.float64)
    return (np.power(float(F32(0.0031623)), d).astype(F32),
            np.power(float(F32(0.1)), d).astype(F32))


def _spectrum(x, nframes):
    n = (np.arange(WIN) + .5) / WIN
    pi2 = float(F32(2) * OPUS_PI)
    window = (0.35875 - 0.48829 * np.cos(pi2 * n) + 0.14128 * np.cos(float(F32(4) * OPUS_PI) * n)
              - 0.01168 * np.cos(float(F32(6) * OPUS_PI) * n)).astype(F32)
    idx = np.arange(nframes)[:, None] * STEP + np.arange(WIN)[None, :]
    frames = (window[None, :] * x[idx]).astype(F32)
    spec = np.fft.rfft(frames.astype(np.float64), axis=1)[:, :NFREQS]
    re, im = spec.real.astype(F32), spec.imag.astype(F32)
    return ((re * re + im * im).astype(F32).astype(np.float64) + .1).astype(F32)


def read_s16(path):
    return np.fromfile(path, "<i2").astype(F32)


def audio(ref, test):
    """dred_compare -audio -s16 REF TEST: (err4, err16, pitch) as the doubles / float it prints.
    ref, test: int16 sample arrays (16 kHz mono) or paths of s16 files."""
    x = read_s16(ref) if isinstance(ref, str) else np.asarray(ref).astype(F32)
    y = read_s16(test) if isinstance(test, str) else np.asarray(test).astype(F32)
    x, y = _highpass(x), _highpass(y)
    if len(y) > len(x):
        y = y[:len(x)]
    if len(x) != len(y):
        raise CompareError("Sample counts do not match (%d!=%d)." % (len(x), len(y)))
    if len(x) < WIN:
        raise CompareError("Insufficient sample data (%d<%d)." % (len(x), WIN))
    nframes = (len(x) - WIN + STEP) // STEP
    pitch_error, pitch_count = F32(0), 0
    lags = np.arange(PITCH_MIN, PITCH_MAX + 1)
    for xi in range(2, nframes - 2):
        xc = _xcorr(_filtered(x, xi * STEP), lags)
        k = int(np.argmax(xc))          # the first maximum, as its strict > scan
        if xc[k] > .7:
            yc = _xcorr(_filtered(y, xi * STEP), lags[k:k + 1])[0]
            pitch_error = F32(pitch_error + F32(abs(float(F32(xc[k] - yc)))))
            pitch_count += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        pitch_error = F32(pitch_error / F32(pitch_count)) if pitch_count else F32(np.nan)
    X, Y = _spectrum(x, nframes), _spectrum(y, nframes)
    decay_l, decay_r = _psydecay()
    norm = np.zeros(NFREQS, F32)
    norm[0] = 1
    for j in range(1, NFREQS):
        norm[j] = F32(1) + decay_r[j] * norm[j - 1]
    for j in range(NFREQS - 2, -1, -1):
        norm[j] = norm[j] + decay_l[j] * norm[j + 1]
    norm = (F32(1) / norm).astype(F32)
    for A in (X, Y):
        for j in range(1, NFREQS):
            A[:, j] = A[:, j] + decay_r[j] * A[:, j - 1]
        for j in range(NFREQS - 2, -1, -1):
            A[:, j] = A[:, j] + decay_l[j] * A[:, j + 1]
        A *= norm[None, :]
    for i in range(nframes):
        floor = (1e-8 * X[i].max().astype(np.float64))
        X[i] = np.where(floor > X[i], F32(floor), X[i])
        Y[i] = np.where(floor > Y[i], F32(floor), Y[i])
        if i > 0:
            X[i] = X[i] + F32(.5) * X[i - 1]
            Y[i] = Y[i] + F32(.5) * Y[i - 1]
    for i in range(nframes - 3, -1, -1):
        X[i] = X[i] + F32(.1) * X[i + 1]
        Y[i] = Y[i] + F32(.1) * Y[i + 1]
    j = np.arange(NFREQS)
    f = ((j.astype(F32) * OPUS_PI).astype(F32) / F32(960)).astype(F32).astype(np.float64)
    thresh = (.1 / (.15 * .15 + (f * f).astype(F32).astype(np.float64))).astype(F32)
    thresh10 = (F32(10) * thresh).astype(F32)
    L, L2 = float(LOUDNESS), float(F32(2) * LOUDNESS)
    re2 = (np.power((Y + thresh).astype(np.float64), L) -
           np.power((X + thresh).astype(np.float64), L)).astype(F32)
    re4 = (np.power((Y + thresh10).astype(np.float64), L) -
           np.power((X + thresh10).astype(np.float64), L)).astype(F32)
    t2 = np.power((X + thresh).astype(np.float64), L2)
    Ef2 = np.zeros(nframes)
    Ef4 = np.zeros(nframes)
    Tf2 = np.zeros(nframes)
    for b in range(NBANDS):
        lo, hi = BANDS[b], BANDS[b + 1]
        w = float(F32(1) / F32(hi - lo))
        im2 = ((re2[:, lo:hi] * re2[:, lo:hi]).astype(F32).astype(np.float64) * w).astype(F32)
        im4 = ((re4[:, lo:hi] * re4[:, lo:hi]).astype(F32).astype(np.float64) * w).astype(F32)
        eb2 = im2.astype(np.float64).sum(axis=1) / (hi - lo)
        eb4 = im4.astype(np.float64).sum(axis=1) / (hi - lo)
        tb2 = (w * t2[:, lo:hi]).sum(axis=1) / (hi - lo)
        Ef2 += eb2
        Ef4 += eb4 * eb4
        Tf2 += tb2
    Ef2 /= NBANDS
    Ef4 /= NBANDS
    Ef4 *= Ef4
    Tf2 /= NBANDS
    err4, err16, T2 = float(np.sum(Ef2 * Ef2)), float(np.sum(Ef4 * Ef4)), float(np.sum(Tf2))
    err4 = 100 * (err4 / nframes) ** (1.0 / 4) / np.sqrt(T2)
    err16 = 100 * (err16 / nframes) ** (1.0 / 16) / np.sqrt(T2)
    return float(err4), float(err16), float(pitch_error)


def features(ref, test):
    """dred_compare -features REF TEST: (tot, max, pitch), float32 as it prints them. ref, test:
    float32 arrays [n][20] or paths of f32 files; test may be longer, never shorter."""
    x = np.fromfile(ref, "<f4") if isinstance(ref, str) else np.asarray(ref, F32).reshape(-1)
    y = np.fromfile(test, "<f4") if isinstance(test, str) else np.asarray(test, F32).reshape(-1)
    n = len(x) // NB_FEATURES
    if len(y) < n * NB_FEATURES:
        raise CompareError("Error: truncated test file")
    x = x[:n * NB_FEATURES].reshape(n, NB_FEATURES)
    y = y[:n * NB_FEATURES].reshape(n, NB_FEATURES)
    e = (x - y).astype(F32)
    with np.errstate(invalid="ignore", divide="ignore"):
        mse = _seqsum((e * e).astype(F32), axis=0) if n else np.zeros(NB_FEATURES, F32)
        voiced = x[:, NB_FEATURES - 1] > .2
        d = np.abs((x[voiced, NB_FEATURES - 2] - y[voiced, NB_FEATURES - 2]).astype(F32))
        pitch = F32(_seqsum(d) if d.size else F32(0)) / F32(d.size)
        mse = (mse / F32(n)).astype(F32)
        tot, mx = F32(0), F32(0)
        for i in range(NB_FEATURES):
            if i != NB_FEATURES - 2:
                tot = F32(tot + mse[i])
                mx = max(mx, mse[i])
        tot = F32(np.sqrt(np.float64(tot)))
        mx = F32(np.sqrt(np.float64(mx)))
    return float(tot), float(mx), float(pitch)


def passes(metrics, limits):
    """dred_compare's -thresholds rule: every metric at most its limit (NaN fails)."""
    return all(m <= t for m, t in zip(metrics, limits))


def line_audio(m):
    return "err4 = %f, err16 = %f, pitch = %f" % m


def line_features(m):
    return "total = %f, max = %f, pitch = %f" % m
