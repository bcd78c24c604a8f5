"""What the DRED of a packet stream looks like: per-packet rows, totals and a plot (used by the
`inspect` command)."""
from . import errors
from .dred import parse_dred
from .packet import parse_packet


def inspect_packets(packets, sampling_rate=48000):
    """Per-packet DRED summary: list of dicts (packet index, bytes, DRED fields or None)."""
    rows, t, duration = [], 0.0, 20.0
    for i, pkt in enumerate(packets):
        d = None
        row = {"packet": i, "time_s": t, "bytes": len(pkt), "dred": None, "error": None}
        if pkt:
            try:
                info = parse_packet(pkt)
                duration = info.nb_frames * info.samples_per_frame / 48.0
                d = parse_dred(pkt, max_dred_samples=sampling_rate, sampling_rate=sampling_rate)
            except errors.InvalidPacketError as e:
                row["error"] = str(e)
            if d is not None:
                row["dred"] = {"payload_bytes": len(d.payload) + 2, "q0": d.q0, "dq": d.dq,
                               "qmax": d.qmax, "dred_offset": d.dred_offset,
                               "nb_latents": d.nb_latents,
                               "covered_ms": 1000.0 * d.samples / sampling_rate,
                               "levels": [int(v) for v in d.levels]}
        rows.append(row)
        t += duration / 1000.0  # a lost packet lasts as long as the one before it
    return rows


def summarize(rows):
    """Totals over inspect_packets rows: counts, mean DRED size and reach, q0 values, latents."""
    with_dred = [r for r in rows if r["dred"]]
    lost = sum(1 for r in rows if r["bytes"] == 0)
    out = {"packets": len(rows), "lost_marked": lost, "with_dred": len(with_dred),
           "invalid": sum(1 for r in rows if r["error"])}
    if with_dred:
        d = [r["dred"] for r in with_dred]
        out["mean_dred_bytes"] = sum(x["payload_bytes"] for x in d) / len(d)
        out["mean_packet_bytes"] = sum(r["bytes"] for r in with_dred) / len(with_dred)
        out["mean_covered_ms"] = sum(x["covered_ms"] for x in d) / len(d)
        out["max_covered_ms"] = max(x["covered_ms"] for x in d)
        out["q0_values"] = sorted({x["q0"] for x in d})
        out["latents_histogram"] = {}
        for x in d:
            k = str(x["nb_latents"])
            out["latents_histogram"][k] = out["latents_histogram"].get(k, 0) + 1
    return out


def plot(rows, path, title):
    """A PNG of inspect_packets rows: bitrates, DRED reach, quantizer level per chunk (needs
    matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    t = np.array([r["time_s"] for r in rows])
    lost = np.array([r["bytes"] == 0 for r in rows])
    total_b = np.where(lost, np.nan, [r["bytes"] for r in rows])
    dred_b = np.where(lost, np.nan, [r["dred"]["payload_bytes"] if r["dred"] else 0 for r in rows])
    cov = np.where(lost, np.nan, [r["dred"]["covered_ms"] if r["dred"] else 0 for r in rows])
    levels = np.full((26, len(rows)), np.nan)
    for j, r in enumerate(rows):
        if r["dred"]:
            for i, q in enumerate(r["dred"]["levels"]):
                levels[i, j] = q
    fig, ax = plt.subplots(3, 1, figsize=(10, 8), sharex=True, constrained_layout=True)
    ax[0].plot(t, total_b * 8 / 20, lw=0.8, label="packet")
    ax[0].plot(t, dred_b * 8 / 20, lw=0.8, label="DRED extension")
    ax[0].plot(t[lost], np.zeros(lost.sum()), "|", color="red", ms=8, label="lost")
    ax[0].set_ylabel("kb/s")
    ax[0].legend(loc="upper right")
    ax[1].plot(t, cov, lw=0.8)
    ax[1].set_ylabel("DRED reach (ms)")
    im = ax[2].imshow(levels, aspect="auto", origin="lower", interpolation="nearest",
                      extent=(t[0] if len(t) else 0, t[-1] if len(t) else 1, -0.5, 25.5), vmin=0, vmax=15)
    ax[2].set_ylabel("chunk (newest = 0)")
    ax[2].set_xlabel("time (s)")
    fig.colorbar(im, ax=list(ax), label="quantizer level of the chunk", shrink=0.3, anchor=(0.0, 0.0))
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
