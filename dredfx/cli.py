"""dredfx command line.

    dredfx weights import [--source TARBALL_OR_DIR] [--dest FILE]
    dredfx weights info [FILE]
    dredfx inspect BITSTREAM [--rate HZ] [--plot PNG] [--json]
    dredfx cpu
    dredfx demo --opus-build DIR [--clip FILE] [--bitrate BPS] [--loss PCT] [--out DIR]
"""
import argparse
import json
import os
import struct
import sys

from . import errors


def read_opus_demo_bitstream(path):
    """Packets of an `opus_demo -e` file: per packet a 4-byte big-endian length, a 4-byte
    big-endian final range, then the packet (length 0 = a packet the encoder marked lost)."""
    with open(path, "rb") as f:
        data = f.read()
    packets, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 8:
            raise errors.InvalidArgumentError(
                "%s: truncated record header at byte %d (not an opus_demo -e file?)" % (path, pos))
        n, _rng = struct.unpack_from(">II", data, pos)
        pos += 8
        if n > 1500 or pos + n > len(data):
            raise errors.InvalidArgumentError(
                "%s: packet of %d bytes at byte %d runs past the end (not an opus_demo -e file?)"
                % (path, n, pos - 8))
        packets.append(data[pos:pos + n])
        pos += n
    return packets


def inspect_packets(packets, sampling_rate=48000):
    """Per-packet DRED summary: list of dicts (packet index, bytes, DRED fields or None)."""
    from . import _packet
    from .dred import parse_dred
    rows, t, duration = [], 0.0, 20.0
    for i, pkt in enumerate(packets):
        d = None
        row = {"packet": i, "time_s": t, "bytes": len(pkt), "dred": None, "error": None}
        if pkt:
            try:
                info = _packet.parse_packet(pkt)
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


def cmd_weights(args):
    from . import weights
    if args.action == "import":
        path = weights.import_weights(args.source, args.dest)
        w = weights.load(path)
        print("imported libopus %s weights: %d arrays, %d bytes -> %s"
              % (w.meta["libopus"], len(w.arrays), len(w.blob), path))
        print("SHA-256 %s" % w.sha256)
    else:
        w = weights.load(args.file)
        per_model = {}
        for l in w.meta["layers"]:
            per_model[l["model"]] = per_model.get(l["model"], 0) + 1
        print("%s\n  libopus %s, format %d, %d arrays, %d bytes, SHA-256 %s"
              % (w.path, w.meta["libopus"], w.meta["format_version"], len(w.arrays), len(w.blob),
                 w.sha256))
        for m in sorted(per_model):
            print("  %-10s %3d layers" % (m, per_model[m]))
    return 0


def cmd_inspect(args):
    packets = read_opus_demo_bitstream(args.bitstream)
    rows = inspect_packets(packets, args.rate)
    s = summarize(rows)
    if args.json:
        print(json.dumps({"summary": s, "packets": rows}))
    else:
        print("%s: %d packets (%d marked lost by the encoder), %d carry DRED, %d invalid"
              % (args.bitstream, s["packets"], s["lost_marked"], s["with_dred"], s["invalid"]))
        if s["with_dred"]:
            print("  DRED extension: %.1f bytes on average (packets %.1f bytes)"
                  % (s["mean_dred_bytes"], s["mean_packet_bytes"]))
            print("  reach: %.0f ms on average, %.0f ms at most; q0 in %s"
                  % (s["mean_covered_ms"], s["max_covered_ms"], s["q0_values"]))
            print("  latents per packet: %s" % ", ".join(
                "%s x%d" % (k, v) for k, v in sorted(s["latents_histogram"].items(), key=lambda kv: int(kv[0]))))
    if args.plot:
        plot(rows, args.plot, os.path.basename(args.bitstream))
        print("plot: %s" % args.plot)
    return 0


def cmd_cpu(args):
    from . import _nn
    top = _nn.cpu_max_level()
    print("CPU levels: %s (in use: %s; DREDFX_CPU=%s)" % (
        ", ".join(_nn.cpu_level_name(i) for i in range(top + 1)),
        _nn.cpu_level_name(_nn.cpu_level()), os.environ.get("DREDFX_CPU", "")))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="dredfx", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("weights", help="import or describe the libopus 1.6.1 weights")
    wsub = w.add_subparsers(dest="action", required=True)
    wi = wsub.add_parser("import", help="import the weights (Debian source package by default)")
    wi.add_argument("--source", help="opus 1.6.1 release tarball or source tree")
    wi.add_argument("--dest", help="blob path (default: the per-user cache)")
    wn = wsub.add_parser("info", help="describe an imported blob")
    wn.add_argument("file", nargs="?")
    i = sub.add_parser("inspect", help="show the DRED carried by an opus_demo -e bitstream")
    i.add_argument("bitstream")
    i.add_argument("--rate", type=int, default=48000, help="sampling rate for sample counts")
    i.add_argument("--plot", help="write a PNG plot")
    i.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub.add_parser("cpu", help="CPU levels of the fixed-point kernels")
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["demo"]:
        from . import demo
        return demo.main(argv[1:])
    args = p.parse_args(argv)
    try:
        return {"weights": cmd_weights, "inspect": cmd_inspect, "cpu": cmd_cpu}[args.cmd](args)
    except errors.DredfxError as e:
        print("dredfx: error: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("dredfx: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
