#!/usr/bin/env bash
# Prints the folder of the libopus 1.6.1 source tree (model data included), obtaining it first if
# needed: from Debian's source package opus 1.6.1-1 (deb-src forky/sid) into the dredfx cache
# folder, or from an opus 1.6.1 release tarball or source tree named as the first argument.
# The logic lives in dredfx/opus_source.py (standard library only; runs before dredfx is built).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 "$here/../dredfx/opus_source.py" "$@"
