"""report.png of `dredfx simulate` (needs matplotlib): spectrograms with the lost packets and how
each was rebuilt, DRED reach per packet, scores per mode, the burst-length histogram."""
import numpy as np

from . import loss as _loss

HOW_COLORS = {"lbrr": "#f0a020", "dred": "#2080f0", "plc": "#e02020"}
CODEC_COLORS = {"dredfx": "#1f77b4", "libopus-x86": "#ff7f0e", "libopus-generic": "#2ca02c"}
SCORE_RANGES = {"pesq_wb": ("PESQ-WB", (1.0, 4.7)), "stoi": ("STOI", (0.0, 1.0)), "plcmos": ("PLCMOS", (1.0, 5.0))}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _spectrogram(x, rate):
    """(dB array freq x time, seconds per column): 32 ms Hann windows every 10 ms."""
    n, hop = rate * 32 // 1000, rate // 100
    x = np.asarray(x, dtype=np.float64) / 32768.0
    if x.size < n:
        x = np.pad(x, (0, n - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop] * np.hanning(n)
    return 10 * np.log10(np.abs(np.fft.rfft(frames, axis=1)).T ** 2 + 1e-10), hop / rate


def _bars(ax, rows, key, modes, codecs, ci=False):
    label, (lo, hi) = SCORE_RANGES[key]
    w = 0.8 / len(codecs)
    for k, c in enumerate(codecs):
        vals = [next((r[key] for r in rows if r["codec"] == c and r["mode"] == m), None) for m in modes]
        errs = [next((r.get(key + "_ci95") for r in rows if r["codec"] == c and r["mode"] == m), None) for m in modes]
        xs = np.arange(len(modes)) + (k - (len(codecs) - 1) / 2) * w
        v = np.array([np.nan if x is None else x for x in vals])
        e = np.array([0.0 if x is None else x for x in errs]) if ci else None
        ax.bar(xs, v - lo, w * 0.95, bottom=lo, yerr=e, capsize=3 if ci else 0,
               color=CODEC_COLORS.get(c, "grey"), label=c)
        tops = v + (e if ci else 0.0)  # above the error bar
        for xx, vv, top in zip(xs, v, tops):
            ax.text(xx, lo + (hi - lo) * 0.02 if np.isnan(vv) else top + (hi - lo) * 0.01,
                    "n/a" if np.isnan(vv) else "%.2f" % vv,
                    ha="center", va="bottom", fontsize=6.5, rotation=90 if len(codecs) > 1 else 0)
    ax.set_xticks(np.arange(len(modes)))
    ax.set_xticklabels(modes)
    ax.set_ylim(lo, hi + (hi - lo) * (0.12 if len(codecs) > 1 else 0.0))
    ax.set_title(label, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def plot_single(result, pcm, s, path, meta):
    plt = _pyplot()
    rows = result["rows"]
    codecs = list(dict.fromkeys(r["codec"] for r in rows))
    shown = [r for r in rows if r["codec"] == codecs[0]]
    lost = np.array(result["lost"], dtype=bool)
    fdur = s.frame_ms / 1000.0
    shift = result["lookahead"] / s.rate  # decoded audio is aligned on the input: packets start earlier
    t_pkt = np.arange(lost.size) * fdur - shift
    nspec = 1 + len(shown)
    fig = plt.figure(figsize=(13, 2.1 * nspec + 5.2), constrained_layout=True)
    gs = fig.add_gridspec(nspec + 2, 4, height_ratios=[1.0] * nspec + [1.0, 1.3])
    spec0, col = _spectrogram(pcm, s.rate)
    vmax = spec0.max()
    fmax = s.rate / 2000.0
    dur = pcm.size / s.rate
    axes = []
    for k, (title, x, how) in enumerate([("original", pcm, None)] +
                                        [("%s %s" % (r["codec"], r["mode"]), r["audio"], r["how"]) for r in shown]):
        ax = fig.add_subplot(gs[k, :], sharex=axes[0] if axes else None)
        sp, _ = _spectrogram(x, s.rate)
        ax.imshow(sp, origin="lower", aspect="auto", cmap="magma", vmin=vmax - 80, vmax=vmax,
                  extent=(0, sp.shape[1] * col, 0, fmax), interpolation="nearest")
        ax.set_ylabel("kHz")
        ax.set_xlim(0, dur)
        band = (fmax * 0.9, fmax * 0.1)
        if how is None:
            ax.broken_barh([(t, fdur) for t in t_pkt[lost]], band, color="white", alpha=0.9)
            text = "original: lost packets in white (%d of %d)" % (lost.sum(), lost.size)
        else:
            for kind, color in HOW_COLORS.items():
                sel = [t for t, h in zip(t_pkt, how) if h == kind]
                ax.broken_barh([(t, fdur) for t in sel], band, color=color)
            r = shown[k - 1]
            text = "%s: PESQ-WB %s, STOI %s, PLCMOS %s; lost packets rebuilt by LBRR %d, DRED %d, PLC %d" % (
                title, *("n/a" if r[q] is None else "%.2f" % r[q] for q in ("pesq_wb", "stoi", "plcmos")),
                r["recovered_by"]["lbrr"], r["recovered_by"]["dred"], r["recovered_by"]["plc"])
        ax.set_title(text, fontsize=9, loc="left")
        plt.setp(ax.get_xticklabels(), visible=False)
        axes.append(ax)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in HOW_COLORS.values()]
    axes[1 if len(axes) > 1 else 0].legend(handles, ["by LBRR", "by DRED", "by PLC"], loc="lower right",
                                           fontsize=8, ncol=3, framealpha=0.8)
    # DRED reach against what each lost packet needs from the next packet that arrived: its
    # distance to it less the 20 ms libopus' decoder reads behind (simulate.dred_covers).
    ax = fig.add_subplot(gs[nspec, :], sharex=axes[0])
    got = ~lost
    need = np.full(lost.size, np.nan)
    nxt = None
    for i in range(lost.size - 1, -1, -1):
        if got[i]:
            nxt = i
        elif nxt is not None:
            need[i] = (nxt - i) * s.frame_ms - 20
    drawn = False
    for r in shown:
        if "dred" in r["mode"]:
            reach = np.array(r["reach_ms"], dtype=np.float64)
            if not reach.any():
                ax.plot([], [], lw=0.9, label="%s: no packet carries DRED (the encoder's budget went "
                                              "elsewhere)" % r["mode"])
                continue
            reach[lost] = np.nan
            ax.plot(t_pkt + fdur, reach, lw=0.9, label="DRED reach of each packet (%s)" % r["mode"])
            drawn = True
    ax.plot(t_pkt[lost], need[lost], "v", color="red", ms=4,
            label="lost packet: reach it needs from the next packet that arrived (rebuilt when below the line)")
    ax.set_ylabel("ms")
    ax.set_xlabel("time (s)")
    ax.set_ylim(bottom=0)
    ax.set_title("DRED reach per packet%s" % ("" if drawn else " (no DRED mode run)"), fontsize=9, loc="left")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    modes = list(s.modes)
    for k, key in enumerate(("pesq_wb", "stoi", "plcmos")):
        ax = fig.add_subplot(gs[nspec + 1, k])
        _bars(ax, rows, key, modes, codecs)
        if k == 0 and len(codecs) > 1:
            ax.legend(fontsize=7, loc="upper left")
    ax = fig.add_subplot(gs[nspec + 1, 3])
    h = _loss.burst_histogram(lost)
    if h:
        ax.bar(list(h.keys()), list(h.values()), color="#e02020")
    ax.set_title("loss bursts: %d lost of %d (%.1f %%)" % (lost.sum(), lost.size, 100.0 * lost.mean() if lost.size else 0),
                 fontsize=10)
    ax.set_xlabel("burst length (packets)")
    ax.set_ylabel("bursts")
    ax.grid(axis="y", alpha=0.3)
    fallback = any(b["fallback"] for b in result["backends"].values())
    fig.suptitle("dredfx simulate: %s, %.1f s, Opus %d b/s, %d ms frames, DRED %d ms, loss %s%s" % (
        meta["path"].split("/")[-1], dur, s.bitrate, s.frame_ms, s.dred_ms, s.loss,
        "\n(dredfx rows: libopus float fallback, dredfx.opus not built)" if fallback else ""), fontsize=11)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_corpus(agg, s, path, nclips):
    plt = _pyplot()
    codecs = list(dict.fromkeys(a["codec"] for a in agg))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), constrained_layout=True)
    for ax, key in zip(axes, ("pesq_wb", "stoi", "plcmos")):
        _bars(ax, agg, key, list(s.modes), codecs, ci=True)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("dredfx simulate: %d clips, Opus %d b/s, %d ms frames, DRED %d ms, loss %s; mean and 95 %% "
                 "interval" % (nclips, s.bitrate, s.frame_ms, s.dred_ms, s.loss), fontsize=11)
    fig.savefig(path, dpi=90)
    plt.close(fig)
