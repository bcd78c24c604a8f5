#!/usr/bin/env python3
"""Where dredfx's fixed-point FARGAN departs from the float model (dredfx.ref.fargan, libopus
generic's arithmetic), measured for docs/accuracy.md ("FARGAN error budget"). An integer mirror of
c/src/fargan/fargan.c's conditioning net and subframe on the engine's C primitives (dredfx._nn):

  check   the mirror against dredfx.fargan: the same int16 output.
  stages  teacher-forced per stage: the float model runs free; at each subframe every stage of
          the mirror gets the float model's input to that stage in its fixed format (a15, Q28,
          Q16); its output against the float stage's, in a15 LSB (2^-15): total, the part that the
          a15 rounding of the stage's input causes ("in-rnd": the float stage on the rounded input),
          and the stage's own arithmetic ("compute": the mirror against the float stage on the same
          rounded input). flips/call: outputs per call whose int8 quantization floor(.5 + 127 x),
          what the next int8 layer sees, differs from the float stage's on the same input; floor:
          those of the a15 rounding alone of the float output; x86act: those of the float stage
          with libopus x86's AVX2 tanh/sigmoid (rcpps) on the float input (--x86act).
  growth  from the float state every --every frames, the mirror (with its own conditioning net),
          the float model with libopus x86's activations (--x86act) and the float model with a15
          rounding of its activations and pitch inputs (VARIANTS) run --horizon subframes; the
          relative rms distance of their output signal to the float model's, per subframe.
  synth   the float model over a clip, fargan_demo's framing (without --rnd: libopus generic's
          output, byte for byte), with the stages in --rnd rounded to a15.

--x86act builds a helper from libopus' own dnn/vec_avx.h (scripts/get-libopus.sh's tree) with
-mavx2 -mfma. Slow (pure Python around the C primitives): about a minute per clip and command.

usage: python3 tools/fargan_stage_error.py check|stages|growth|synth FEATURES.f32 [--frames N]
       [--x86act] [--out FILE --rnd act,pred,prev]
"""
import argparse
import sys

import numpy as np

from dredfx import _nn, fargan as dfx_fargan, weights as W
from dredfx.ref import fargan as RF, nn

F32 = np.float32
SUB = 40
A = W.default().arrays
EXP2 = None


def _exp2_table():
    import re
    import os
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "c", "src", "nn", "nn_tables.c")).read()
    body = src[src.index("dredfx_nn_exp2_table[257]"):]
    body = body[body.index("{") + 1:body.index("}")]
    return [int(v) for v in re.findall(r"(\d+)u", body)]


def _wide(name, nin, nout):
    return _nn.Linear(nin, nout, w32=A[name + ".w32"], wexp32=A[name + ".wexp32"], bias=A.get(name + ".bias"))


def _i8(name, nin, nout):
    return _nn.Linear.from_arrays(A, name, nin, nout)


def pshr(v, s):
    return (v + (1 << (s - 1))) >> s


class Fixed:
    """The layers of c/src/fargan/fargan.c and its integer subframe steps."""

    def __init__(self):
        global EXP2
        EXP2 = _exp2_table()
        self.fdense1 = _wide("cond_net_fdense1", 32, 64)
        self.fconv1 = _i8("cond_net_fconv1", 192, 128)
        self.fdense2 = _i8("cond_net_fdense2", 128, 320)
        self.gain_dense = _wide("sig_net_cond_gain_dense", 80, 1)
        self.fwc0 = _i8("sig_net_fwc0_conv", 328, 192)
        self.fwc0_glu = _i8("sig_net_fwc0_glu_gate", 192, 192)
        self.gain_out = _wide("sig_net_gain_dense_out", 192, 4)
        sizes = [(192, 160), (160, 128), (128, 128)]
        self.grus = [(_i8("sig_net_gru%d_input" % (g + 1), nin + 80, 3 * n), _i8("sig_net_gru%d_recurrent" % (g + 1), n, 3 * n),
                      _i8("sig_net_gru%d_glu_gate" % (g + 1), n, n)) for g, (nin, n) in enumerate(sizes)]
        self.skip_dense = _i8("sig_net_skip_dense", 688, 128)
        self.skip_glu = _i8("sig_net_skip_glu_gate", 128, 128)
        self.out_dense = _i8("sig_net_sig_dense_out", 128, 40)

    @staticmethod
    def gain(p16):
        """(m_q30, e, r_q30, nshift) as fargan_subframe."""
        y = pshr(int(p16) * 1549082005, 30)
        e = y >> 16
        if e < -40:
            e, m = -40, 1 << 30
        elif e > 2:
            e, m = 2, (1 << 31) - 1
        else:
            frac = y & 0xFFFF
            i, r = frac >> 8, frac & 255
            lo, hi = EXP2[i], EXP2[i + 1]
            m = lo + (((hi - lo) * r + 128) >> 8)
        d = (m << (e + 16) if e + 16 >= 0 else pshr(m, -(e + 16))) + 703687442
        sh = 0
        while (d >> sh) >= (1 << 31):
            sh += 1
        if sh == 0:
            while (d << -sh) < (1 << 30):
                sh -= 1
        dn = d >> sh if sh >= 0 else d << -sh
        rq = ((1 << 61) + dn // 2) // dn
        return m, e, rq, 28 + sh

    @staticmethod
    def norm(v_q28, rq, shift):
        return np.array([max(-32767, min(32767, pshr(int(v) * rq, shift))) for v in v_q28], np.int16)


class X86Act:
    """libopus x86's AVX2 tanh_approx / sigmoid_approx (dnn/vec_avx.h, rcpps) in place of the
    generic ones of dredfx.ref.nn while in a `with` block."""
    lib = None

    def __init__(self):
        import ctypes
        import os
        import subprocess
        import tempfile
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        src = subprocess.run(["bash", os.path.join(root, "scripts", "get-libopus.sh")], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
        d = tempfile.mkdtemp(prefix="x86act-")
        with open(os.path.join(d, "x86act.c"), "w") as f:
            f.write('#include "opus_types.h"\n#include "vec_avx.h"\n'
                    "void x86_tanh(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = tanh_approx(x[i]); }\n"
                    "void x86_sigmoid(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = sigmoid_approx(x[i]); }\n")
        so = os.path.join(d, "x86act.so")
        subprocess.run(["gcc", "-O2", "-mavx2", "-mfma", "-shared", "-fPIC", "-I" + src, "-I" + os.path.join(src, "dnn"),
                        "-I" + os.path.join(src, "celt"), "-I" + os.path.join(src, "include"), "-o", so,
                        os.path.join(d, "x86act.c")], check=True)
        X86Act.lib = ctypes.CDLL(so)
        self.saved = None

    @staticmethod
    def _call(fn, x):
        import ctypes
        x = np.ascontiguousarray(x, F32)
        y = np.empty_like(x)
        fn(y.ctypes.data_as(ctypes.c_void_p), x.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(x.size))
        return y

    def __enter__(self):
        self.saved = nn.tanh_approx, nn.sigmoid_approx
        nn.tanh_approx = lambda x: self._call(X86Act.lib.x86_tanh, x)
        nn.sigmoid_approx = lambda x: self._call(X86Act.lib.x86_sigmoid, x)
        return self

    def __exit__(self, *a):
        nn.tanh_approx, nn.sigmoid_approx = self.saved


def a15(x):
    return np.clip(np.floor(np.asarray(x, np.float64) * 32768 + 0.5), -32768, 32767).astype(np.int16)


def q28(x):
    return np.floor(np.asarray(x, np.float64) * 2.0 ** 28 + 0.5).astype(np.int64)


def _ra15(x):
    return (np.floor(np.asarray(x, np.float64) * 32768 + 0.5) / 32768).astype(F32)


def float_subframe(ref, cond, period, rnd=()):
    """dredfx.ref.fargan.FARGAN._subframe with its intermediates (same arithmetic, same state
    update); the stages named in rnd have their outputs rounded to a15 (the engine's storage)."""
    def r(name, x):
        return _ra15(x) if name in rnd else x
    t = {"cond": cond, "pitch_buf": ref.pitch_buf.copy(), "fwc0_mem": ref.fwc0_mem.copy(),
         "states_in": [s.copy() for s in ref.states], "deemph_in": ref.deemph_mem}
    glin = nn.compute_linear(ref.gain_dense, cond)[0]
    gain = F32(np.exp(np.float64(glin)))
    gain_1 = F32(1) / (F32(1e-5) + gain)
    pred = np.zeros(SUB + 4, F32)
    pos = RF.PITCH_MAX_PERIOD - period - 2
    for i in range(SUB + 4):
        pred[i] = min(F32(1), max(F32(-1), gain_1 * ref.pitch_buf[max(0, pos)]))
        pos += 1
        if pos == RF.PITCH_MAX_PERIOD:
            pos -= period
    prev = r("prev", np.clip(gain_1 * ref.pitch_buf[-SUB:], F32(-1), F32(1)))
    pred = r("pred", pred)
    fwc0_in = np.concatenate([cond, pred, prev])
    x, ref.fwc0_mem = nn.conv1d(ref.fwc0, ref.fwc0_mem, fwc0_in, RF.SIG_IN, nn.ACTIVATION_TANH)
    x = r("act", x)
    fwc0 = r("act", nn.glu(ref.fwc0_glu, x))
    gates = nn.dense(ref.gain_out, fwc0, nn.ACTIVATION_SIGMOID)
    t.update(glin=glin, gain=gain, gain_1=gain_1, pred=pred, prev=prev, fwc0_in=fwc0_in, fwc0_conv=x, fwc0=fwc0,
             gates=gates, gru_in=[], states=[], glus=[])
    h = fwc0
    for g, (gin, grec, gglu) in enumerate(ref.grus):
        xin = np.concatenate([h, r("pred", gates[g] * pred[2:42]), prev])
        ref.states[g] = r("act", nn.gru(gin, grec, ref.states[g], xin))
        h = r("act", nn.glu(gglu, ref.states[g]))
        t["gru_in"].append(xin)
        t["states"].append(ref.states[g].copy())
        t["glus"].append(h)
    skip = np.concatenate(t["glus"] + [fwc0, r("pred", gates[3] * pred[2:42]), prev])
    sd = r("act", nn.dense(ref.skip_dense, skip, nn.ACTIVATION_TANH))
    y = r("act", nn.glu(ref.skip_glu, sd))
    sig = r("act", nn.dense(ref.out_dense, y, nn.ACTIVATION_TANH))
    pcm = sig * gain
    ref.pitch_buf = np.concatenate([ref.pitch_buf[SUB:], pcm])
    out = np.zeros(SUB, F32)
    for i in range(SUB):
        ref.deemph_mem = F32(pcm[i] + RF.DEEMPHASIS * ref.deemph_mem)
        out[i] = ref.deemph_mem
    t.update(skip=skip, skip_dense=sd, skip_glu=y, sig=sig, pcm=pcm, out=out)
    return t


def fixed_subframe(fx, s, cond, period):
    """fargan_subframe on the mirror state s (dict of integer arrays); returns (out_q28, trace)."""
    p16 = _nn.linear_a15(fx.gain_dense, cond)[0]
    m, e, rq, sh = fx.gain(p16)
    pb = s["pitch_buf"]
    idx = []
    pos = 256 - period - 2
    for i in range(SUB + 4):
        idx.append(max(0, pos))
        pos += 1
        if pos == 256:
            pos -= period
    pred = fx.norm(pb[idx], rq, sh)
    prev = fx.norm(pb[-SUB:], rq, sh)
    fwc0_in = np.concatenate([cond, pred, prev]).astype(np.int16)
    x, s["fwc0_mem"] = _nn.conv1d(fx.fwc0, nn.ACTIVATION_TANH, s["fwc0_mem"], fwc0_in, 164)
    fwc0 = _nn.glu(fx.fwc0_glu, x)
    gates = _nn.sigmoid_g15(_nn.linear_a15(fx.gain_out, fwc0)).astype(np.int64)
    h, glus = fwc0, []
    for g, (gin, grec, gglu) in enumerate(fx.grus):
        gp = pshr(gates[g] * pred[2:42].astype(np.int64), 15).astype(np.int16)
        xin = np.concatenate([h, gp, prev]).astype(np.int16)
        s["states"][g] = _nn.gru(gin, grec, s["states"][g], xin)
        h = _nn.glu(gglu, s["states"][g])
        glus.append(h)
    gp = pshr(gates[3] * pred[2:42].astype(np.int64), 15).astype(np.int16)
    skip = np.concatenate(glus + [fwc0, gp, prev]).astype(np.int16)
    sd = _nn.dense(fx.skip_dense, nn.ACTIVATION_TANH, skip)
    y = _nn.glu(fx.skip_glu, sd)
    sig = _nn.dense(fx.out_dense, nn.ACTIVATION_TANH, y)
    pcm = np.array([pshr(int(v) * m, 17 - e) for v in sig], np.int64)
    s["pitch_buf"] = np.concatenate([pb[SUB:], pcm])
    out = np.zeros(SUB, np.int64)
    d = s["deemph"]
    for i in range(SUB):
        d = int(pcm[i]) + pshr(d * 912680550, 30)
        out[i] = d
    s["deemph"] = d
    return out


def float_cond(ref, f, period, rnd=()):
    """FARGAN._cond, the outputs of its three layers rounded to a15 when "act" is in rnd."""
    r = _ra15 if "act" in rnd else (lambda x: x)
    emb = ref.pembed[max(0, min(period - 32, 223))]
    x = r(nn.dense(ref.fdense1, np.concatenate([np.asarray(f, F32), emb]), nn.ACTIVATION_TANH))
    x, ref.cond_mem = nn.conv1d(ref.fconv1, ref.cond_mem, x, 64, nn.ACTIVATION_TANH)
    return r(nn.dense(ref.fdense2, r(x), nn.ACTIVATION_TANH))


def fixed_state_from(ref):
    return {"pitch_buf": q28(ref.pitch_buf), "fwc0_mem": a15(ref.fwc0_mem), "states": [a15(v) for v in ref.states],
            "deemph": int(q28(ref.deemph_mem))}


def fixed_cond(fx, mem, feats_q16, period):
    row = max(0, min(period - 32, 223))
    w32 = np.asarray(A["cond_net_pembed.w32"], np.int64).reshape(12, 224)[:, row]
    wexp = np.asarray(A["cond_net_pembed.wexp32"], np.int64)
    emb = [pshr(int(w), int(k) - 16) if k > 16 else int(w) << (16 - int(k)) for w, k in zip(w32, wexp)]
    x = _nn.dense_wide32(fx.fdense1, nn.ACTIVATION_TANH, np.concatenate([feats_q16, emb]).astype(np.int32), 16)
    y, mem = _nn.conv1d(fx.fconv1, nn.ACTIVATION_TANH, mem, x, 64)
    return _nn.dense(fx.fdense2, nn.ACTIVATION_TANH, y), mem


def period_q16(f):
    """fargan.c's period on the Q16 feature (differs from libopus' double formula only at .5 ties)."""
    return RF.period_of(float(f) / 65536)


def check(feats, nframes):
    """The mirror against dredfx.fargan on nframes of real features: the same int16."""
    fx = Fixed()
    q = dfx_fargan.features_to_q16(feats[:nframes])
    c = dfx_fargan.FARGAN()
    c._c.cont(np.zeros(320, np.int16), np.repeat(q[:1], 5, axis=0))
    want = c._c.synthesize_int16(q[1:])
    # the mirror: cont as fargan.c
    s = {"pitch_buf": np.zeros(256, np.int64), "fwc0_mem": np.zeros(164, np.int16),
         "states": [np.zeros(n, np.int16) for n in (160, 128, 128)], "deemph": 0}
    mem = np.zeros(128, np.int16)
    period = 0
    for i in range(5):
        last = period
        period = period_q16(q[0][18])
        cond, mem = fixed_cond(fx, mem, q[0], period)
    for i in range(4):
        fixed_subframe(fx, s, cond[80 * i:80 * i + 80], last)
        s["pitch_buf"][-SUB:] = 0
    s["deemph"] = 0
    got = []
    for f in q[1:]:
        period = period_q16(f[18])
        cond, mem = fixed_cond(fx, mem, f, period)
        for i in range(4):
            out = fixed_subframe(fx, s, cond[80 * i:80 * i + 80], last)
            got.append(np.clip((out + 4096) >> 13, -32767, 32767))
        last = period
    got = np.concatenate(got).astype(np.int16)
    print("mirror vs dredfx.fargan: %d samples, %d differ" % (len(want), int(np.sum(got != want))))


VARIANTS = (("act", "pred", "prev"), ("pred", "prev"))
STAGES = ("fdense1", "fconv1", "fdense2", "gain", "pred", "prev", "fwc0_conv", "fwc0", "gates", "gated_pred", "gru1", "glu1", "gru2", "glu2", "gru3",
          "glu3", "skip_dense", "skip_glu", "sig")


def stages(feats, nframes, start, x86=None):
    """Teacher-forced per-stage error: the float model runs free; every fixed stage gets the float
    input of that stage. Two parts per stage: input rounding (the float stage on its a15-rounded
    input, against the float stage) and compute (the fixed stage against the float stage on the
    same a15-rounded input), in a15 LSB, and int8 flip rates."""
    fx = Fixed()
    ref = RF.FARGAN(A)
    ref.cont(np.zeros(320, F32), np.repeat(feats[:1], 5, axis=0))
    q = dfx_fargan.features_to_q16(feats)
    acc = {k: [] for k in STAGES}

    def xa(fn, *args):
        if x86 is None:
            return None
        with x86:
            return fn(*args)

    def rec(name, fix_a15, flt, flt_rq=None, x86out=None):
        flt = np.asarray(flt, np.float64)
        f = np.asarray(fix_a15, np.float64) / 32768
        d = (f - flt) * 32768
        # int8 flips of the fixed output against the float stage on the same a15 input (the
        # stage's own error), and those of the a15 rounding alone of that float output (the floor)
        base = flt if flt_rq is None else np.asarray(flt_rq, np.float64)
        q8 = np.floor(.5 + 127 * base.astype(F32))
        flips = np.sum(np.floor(.5 + 127 * f) != q8)
        sflips = np.sum(np.floor(.5 + 127 * a15(base).astype(np.float64) / 32768) != q8)
        dr = None if flt_rq is None else (np.asarray(flt_rq, np.float64) - flt) * 32768
        xfl = np.nan if x86out is None else np.sum(np.floor(.5 + 127 * np.asarray(x86out, F32)) != np.floor(.5 + 127 * flt.astype(F32)))
        acc[name].append((d, flips, dr, sflips, xfl))

    for n in range(1, min(nframes, len(feats))):
        f = feats[n]
        period = RF.period_of(f[18])
        mem_before = ref.cond_mem.copy()
        emb = ref.pembed[max(0, min(period - 32, 223))]
        d1 = nn.dense(ref.fdense1, np.concatenate([np.asarray(f, F32), emb]), nn.ACTIVATION_TANH)
        cond = ref._cond(f, period)
        c1, _ = nn.conv1d(ref.fconv1, mem_before, d1, 64, nn.ACTIVATION_TANH)
        if n >= start:
            row = max(0, min(period - 32, 223))
            w32 = np.asarray(A["cond_net_pembed.w32"], np.int64).reshape(12, 224)[:, row]
            wexp = np.asarray(A["cond_net_pembed.wexp32"], np.int64)
            e16 = [pshr(int(w), int(k) - 16) if k > 16 else int(w) << (16 - int(k)) for w, k in zip(w32, wexp)]
            x = _nn.dense_wide32(fx.fdense1, nn.ACTIVATION_TANH, np.concatenate([q[n], e16]).astype(np.int32), 16)
            rec("fdense1", x, d1, None, xa(nn.dense, ref.fdense1, np.concatenate([np.asarray(f, F32), emb]), nn.ACTIVATION_TANH))
            xin, m16 = a15(d1), a15(mem_before)
            y, _ = _nn.conv1d(fx.fconv1, nn.ACTIVATION_TANH, m16, xin, 64)
            rec("fconv1", y, c1, nn.conv1d(ref.fconv1, m16 / F32(32768), xin / F32(32768), 64, nn.ACTIVATION_TANH)[0],
                xa(lambda: nn.conv1d(ref.fconv1, mem_before, d1, 64, nn.ACTIVATION_TANH)[0]))
            a = a15(c1)
            rec("fdense2", _nn.dense(fx.fdense2, nn.ACTIVATION_TANH, a), cond,
                nn.dense(ref.fdense2, a / F32(32768), nn.ACTIVATION_TANH), xa(nn.dense, ref.fdense2, c1, nn.ACTIVATION_TANH))
        for i in range(4):
            st_fx = fixed_state_from(ref)
            t = float_subframe(ref, cond[80 * i:80 * i + 80], ref.last_period)
            if n < start:
                continue
            c16 = a15(t["cond"])
            p16 = _nn.linear_a15(fx.gain_dense, c16)[0]
            m, e, rq, sh = fx.gain(p16)
            g = m * 2.0 ** (e - 30)
            acc["gain"].append((np.array([(g / float(t["gain"]) - 1) * 32768]), 0.0, None, 0.0, np.nan))
            pb = st_fx["pitch_buf"]
            idx, pos = [], 256 - ref.last_period - 2
            for k in range(44):
                idx.append(max(0, pos))
                pos += 1
                if pos == 256:
                    pos -= ref.last_period
            pfx = fx.norm(pb[idx], rq, sh)
            rec("pred", pfx, t["pred"])
            rec("prev", fx.norm(pb[-SUB:], rq, sh), t["prev"])
            xin = a15(t["fwc0_in"])
            x, _ = _nn.conv1d(fx.fwc0, nn.ACTIVATION_TANH, a15(t["fwc0_mem"]), xin, 164)
            xr, _ = nn.conv1d(ref.fwc0, a15(t["fwc0_mem"]) / F32(32768), xin / F32(32768), 164, nn.ACTIVATION_TANH)
            rec("fwc0_conv", x, t["fwc0_conv"], xr,
                xa(lambda: nn.conv1d(ref.fwc0, t["fwc0_mem"], t["fwc0_in"], 164, nn.ACTIVATION_TANH)[0]))
            a = a15(t["fwc0_conv"])
            rec("fwc0", _nn.glu(fx.fwc0_glu, a), t["fwc0"], nn.glu(ref.fwc0_glu, a / F32(32768)),
                xa(nn.glu, ref.fwc0_glu, t["fwc0_conv"]))
            a = a15(t["fwc0"])
            gts = _nn.sigmoid_g15(_nn.linear_a15(fx.gain_out, a))
            rec("gates", gts, t["gates"], nn.dense(ref.gain_out, a / F32(32768), nn.ACTIVATION_SIGMOID),
                xa(nn.dense, ref.gain_out, t["fwc0"], nn.ACTIVATION_SIGMOID))
            gpf = np.concatenate([t["gates"][k] * t["pred"][2:42] for k in range(4)])
            gpx = np.concatenate([(pshr(int(gts[k]) * pfx[2:42].astype(np.int64), 15)) for k in range(4)])
            rec("gated_pred", gpx, gpf)
            for g, (gin, grec, gglu) in enumerate(fx.grus):
                sin, xin = a15(t["states_in"][g]), a15(t["gru_in"][g])
                rgin, rgrec, rglu = ref.grus[g]
                rec("gru%d" % (g + 1), _nn.gru(gin, grec, sin, xin), t["states"][g],
                    nn.gru(rgin, rgrec, sin / F32(32768), xin / F32(32768)),
                    xa(nn.gru, rgin, rgrec, t["states_in"][g], t["gru_in"][g]))
                a = a15(t["states"][g])
                rec("glu%d" % (g + 1), _nn.glu(gglu, a), t["glus"][g], nn.glu(rglu, a / F32(32768)),
                    xa(nn.glu, rglu, t["states"][g]))
            a = a15(t["skip"])
            rec("skip_dense", _nn.dense(fx.skip_dense, nn.ACTIVATION_TANH, a), t["skip_dense"],
                nn.dense(ref.skip_dense, a / F32(32768), nn.ACTIVATION_TANH),
                xa(nn.dense, ref.skip_dense, t["skip"], nn.ACTIVATION_TANH))
            a = a15(t["skip_dense"])
            rec("skip_glu", _nn.glu(fx.skip_glu, a), t["skip_glu"], nn.glu(ref.skip_glu, a / F32(32768)),
                xa(nn.glu, ref.skip_glu, t["skip_dense"]))
            a = a15(t["skip_glu"])
            rec("sig", _nn.dense(fx.out_dense, nn.ACTIVATION_TANH, a), t["sig"],
                nn.dense(ref.out_dense, a / F32(32768), nn.ACTIVATION_TANH),
                xa(nn.dense, ref.out_dense, t["skip_glu"], nn.ACTIVATION_TANH))
        ref.last_period = period
    print("%-11s %9s %9s %9s %9s %10s %8s %8s" % ("stage", "rms LSB", "max LSB", "in-rnd", "compute", "flips/call", "floor",
                                                   "x86act"))
    for k in STAGES:
        if not acc[k]:
            continue
        d = np.concatenate([v[0] for v in acc[k]])
        fl = np.mean([v[1] for v in acc[k]])
        sfl = np.mean([v[3] for v in acc[k]])
        xfl = np.mean([v[4] for v in acc[k]])
        if acc[k][0][2] is not None:
            dr = np.concatenate([v[2] for v in acc[k]])
            comp = d - dr
            print("%-11s %9.3f %9.2f %9.3f %9.3f %10.4f %8.4f %8.4f" % (k, np.sqrt(np.mean(d ** 2)), np.max(np.abs(d)),
                                                        np.sqrt(np.mean(dr ** 2)), np.sqrt(np.mean(comp ** 2)), fl, sfl, xfl))
        else:
            print("%-11s %9.3f %9.2f %9s %9s %10.4f %8.4f %8.4f" % (k, np.sqrt(np.mean(d ** 2)), np.max(np.abs(d)), "", "", fl, sfl, xfl))


def growth(feats, nframes, start, horizon, every, x86=None):
    """From the float state at every `every`-th frame: the mirror (its own conditioning net after
    the first frame), the float model with x86's activations and the VARIANTS run `horizon`
    subframes beside the float model; relative rms distance of the pre-emphasised output signal
    per subframe k (median and mean over the starts)."""
    fx = Fixed()
    ref = RF.FARGAN(A)
    ref.cont(np.zeros(320, F32), np.repeat(feats[:1], 5, axis=0))
    import copy
    rel, rel3, relv = [], [], []
    for n in range(1, min(nframes, len(feats))):
        f = feats[n]
        period = RF.period_of(f[18])
        cond = ref._cond(f, period)
        if n >= start and (n - start) % every == 0 and n + horizon // 4 + 1 < len(feats):
            r2 = copy.deepcopy(ref)
            r3 = copy.deepcopy(ref) if x86 else None
            rv = [copy.deepcopy(ref) for _ in VARIANTS]
            cv = [cond for _ in VARIANTS]
            ev = [[] for _ in VARIANTS]
            s = fixed_state_from(r2)
            cmem = a15(r2.cond_mem)
            errs3 = []
            errs = []
            nn_ = n
            c = c3 = cond
            cf = a15(cond)
            lp = r2.last_period
            k = 0
            while k < horizon:
                for i in range(4):
                    t = float_subframe(r2, c[80 * i:80 * i + 80], lp)
                    for j, v in enumerate(VARIANTS):
                        tv = float_subframe(rv[j], cv[j][80 * i:80 * i + 80], lp, v)
                        ev[j].append(np.sqrt(np.mean((tv["pcm"].astype(np.float64) - t["pcm"]) ** 2)) /
                                     max(1e-9, np.sqrt(np.mean(t["pcm"].astype(np.float64) ** 2))))
                    if x86:
                        with x86:
                            t3 = float_subframe(r3, c3[80 * i:80 * i + 80], lp)
                        errs3.append(np.sqrt(np.mean((t3["pcm"].astype(np.float64) - t["pcm"]) ** 2)) /
                                     max(1e-9, np.sqrt(np.mean(t["pcm"].astype(np.float64) ** 2))))
                    fixed_subframe(fx, s, cf[80 * i:80 * i + 80], lp)
                    fo = np.asarray(s["pitch_buf"][-SUB:], np.float64) / 2 ** 28
                    errs.append(np.sqrt(np.mean((fo - t["pcm"]) ** 2)) / max(1e-9, np.sqrt(np.mean(t["pcm"].astype(np.float64) ** 2))))
                    k += 1
                r2.last_period = RF.period_of(feats[nn_][18])
                lp = r2.last_period
                nn_ += 1
                c = r2._cond(feats[nn_], RF.period_of(feats[nn_][18]))
                cf, cmem = fixed_cond(fx, cmem, dfx_fargan.features_to_q16(feats[nn_:nn_ + 1])[0],
                                      RF.period_of(feats[nn_][18]))
                for j, v in enumerate(VARIANTS):
                    rv[j].last_period = lp
                    cv[j] = float_cond(rv[j], feats[nn_], RF.period_of(feats[nn_][18]), v)
                if x86:
                    r3.last_period = lp
                    with x86:
                        c3 = r3._cond(feats[nn_], RF.period_of(feats[nn_][18]))
            rel.append(errs[:horizon])
            rel3.append(errs3[:horizon])
            relv.append([e[:horizon] for e in ev])
        for i in range(4):
            ref._subframe(cond[80 * i:80 * i + 80], ref.last_period)
        ref.last_period = period
    rel = np.array(rel)
    rel3 = np.array(rel3) if x86 else rel * np.nan
    relv = np.array(relv)
    print("starts %d; subframe k: median / mean relative rms error of the output signal against the float model:"
          " dredfx fixed | float with libopus x86's activations | float with a15 storage of %s" % (len(rel), VARIANTS))
    for k in range(horizon):
        print("%3d %9.5f %9.5f | %9.5f %9.5f" % (k + 1, np.median(rel[:, k]), np.mean(rel[:, k]),
                                                np.median(rel3[:, k]), np.mean(rel3[:, k])) +
              "".join(" | %9.5f %9.5f" % (np.median(relv[:, j, k]), np.mean(relv[:, j, k])) for j in range(len(VARIANTS))))


def synth(feats, out, rnd):
    """dredfx.ref.fargan.synthesize (fargan_demo's framing) with the stages in rnd rounded to a15."""
    ref = RF.FARGAN(A)
    ref.cont(np.zeros(320, F32), np.repeat(feats[:1], 5, axis=0))
    frames = list(feats[1:]) + [feats[-1], feats[-1]]
    y = []
    for f in frames:
        period = RF.period_of(f[18])
        cond = float_cond(ref, f, period, rnd)
        y.append(RF.to_int16(np.concatenate([float_subframe(ref, cond[80 * i:80 * i + 80], ref.last_period, rnd)["out"]
                                             for i in range(4)])))
        ref.last_period = period
    y = np.concatenate(y)[80:80 + 160 * len(feats)]
    y.astype("<i2").tofile(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("check", "stages", "growth", "synth"))
    ap.add_argument("features")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--start", type=int, default=20)
    ap.add_argument("--horizon", type=int, default=16)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--out", help="synth: the int16 output file")
    ap.add_argument("--rnd", default="", help="synth: stages rounded to a15: act,pred,prev (empty: the float model)")
    ap.add_argument("--x86act", action="store_true", help="compare with libopus x86's AVX2 activations")
    a = ap.parse_args()
    feats = np.fromfile(a.features, "<f4").reshape(-1, 20)
    if a.what == "check":
        check(feats, a.frames)
    elif a.what == "synth":
        synth(feats, a.out, tuple(v for v in a.rnd.split(",") if v))
    elif a.what == "stages":
        stages(feats, a.frames, a.start, X86Act() if a.x86act else None)
    else:
        growth(feats, a.frames, a.start, a.horizon, a.every, X86Act() if a.x86act else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
