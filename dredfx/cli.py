"""dredfx command line: `python -m dredfx COMMAND` (see --help)."""
import argparse
import json
import os
import sys

from . import errors, report, simulate
from .packet import read_opus_demo


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
    packets = read_opus_demo(args.bitstream)
    rows = report.inspect_packets(packets, args.sampling_rate)
    s = report.summarize(rows)
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
        report.plot(rows, args.plot, os.path.basename(args.bitstream))
        print("plot: %s" % args.plot)
    return 0


def cmd_cpu(args):
    from . import _nn
    top = _nn.cpu_max_level()
    print("CPU levels: %s (in use: %s; DREDFX_CPU=%s)" % (
        ", ".join(_nn.cpu_level_name(i) for i in range(top + 1)),
        _nn.cpu_level_name(_nn.cpu_level()), os.environ.get("DREDFX_CPU", "")))
    return 0


def parser():
    p = argparse.ArgumentParser(
        prog="dredfx", description="Bit-exact fixed-point Opus DRED (libopus 1.6.1).")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    w = sub.add_parser("weights", help="import or describe the libopus 1.6.1 weights",
                       description="Import or describe the libopus 1.6.1 weights.")
    wsub = w.add_subparsers(dest="action", required=True, metavar="ACTION")
    wi = wsub.add_parser("import", help="import the weights (Debian's opus 1.6.1 source by default)",
                         description="Import the weights: from Debian's opus 1.6.1-1 source "
                         "package, downloaded over HTTP into the cache (no root, no apt), or "
                         "from the tarball or tree named by --source.")
    wi.add_argument("--source", help="opus 1.6.1 release tarball or source tree")
    wi.add_argument("--dest", help="blob path (default: the per-user cache)")
    wn = wsub.add_parser("info", help="describe an imported blob")
    wn.add_argument("file", nargs="?")
    wn.set_defaults(run=cmd_weights)
    wi.set_defaults(run=cmd_weights)
    i = sub.add_parser("inspect", help="show the DRED carried by an opus_demo -e bitstream",
                       description="Show the DRED carried by an opus_demo -e bitstream.")
    i.add_argument("bitstream")
    i.add_argument("--sampling-rate", type=int, default=48000,
                   help="sampling rate of the sample counts (default 48000)")
    i.add_argument("--plot", help="write a PNG plot")
    i.add_argument("--json", action="store_true", help="print JSON instead of text")
    i.set_defaults(run=cmd_inspect)
    c = sub.add_parser("cpu", help="CPU levels of the fixed-point kernels",
                       description="CPU levels of the fixed-point kernels.")
    c.set_defaults(run=cmd_cpu)
    m = sub.add_parser("simulate", help="the main job: speech through a lossy network with and without "
                       "DRED and LBRR, scored (PESQ-WB, STOI, PLCMOS) and plotted",
                       description=simulate.__doc__.split("\n")[0])
    simulate.add_arguments(m)
    m.set_defaults(run=simulate.cmd_simulate)
    return p


def main(argv=None):
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args)
    except (errors.DredfxError, OSError) as e:
        print("dredfx: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
