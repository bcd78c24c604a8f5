"""The tolerance table of docs/conformance.md (layer 3): for each run of the committed receiver
sets, dred_compare -audio (err4 / err16 / pitch) of libopus 1.6.1 x86 against its generic build,
of the expected (dredfx) PCM against libopus x86 and against libopus generic, all decoding the
same packets and loss pattern with the same receiver rule (dredfx.vectors.receive_slots).

    python tools/receiver_spread.py [VECTOR_DIR]

Needs the cached libopus builds with libopus.so (scripts/interop-prep.sh or conftest's
libopus_build)."""
import sys

import numpy as np

from dredfx import opus_libopus, vectors


def main(argv):
    d = argv[1] if len(argv) > 1 else "vectors"
    manifest = vectors.read_manifest(d)
    backends = {v: opus_libopus.Backend(v) for v in ("x86", "generic")}
    print("| run | libopus x86 vs its generic build | expected (dredfx) vs libopus x86 | expected vs libopus generic |")
    print("|---|---|---|---|")
    for name in ("receive_silk", "receive_celt"):
        inputs = vectors.read_records("%s/%s.in" % (d, name))
        expected = vectors.read_records("%s/%s.pcm" % (d, name))
        for start, rate, channels, slots in vectors.rx_runs(inputs):
            exp = [expected[start + 1 + k][4:] for k in range(len(slots))]
            pcm = {}
            for v, backend in backends.items():
                out = vectors.receive_slots(backend, rate, channels, slots)
                pcm[v] = [np.asarray(p, np.int16).tobytes() for _, p, _ in out]

            def cell(got, ref):
                return "%.3f / %.3f / %.4f" % vectors.audio_tolerance(got, ref, rate, channels)

            label = manifest.frames[name + ".in"][start][1]
            print("| %s %s | %s | %s | %s |" % (name, label, cell(pcm["generic"], pcm["x86"]),
                                                cell(pcm["x86"], exp), cell(pcm["generic"], exp)))


if __name__ == "__main__":
    main(sys.argv)
