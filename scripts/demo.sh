#!/usr/bin/env bash
# Installs dredfx and runs the main job on the default clip: libopus 1.6.1 encodes real speech
# with DRED under 20 % packet loss; dredfx parses and plots the DRED; decoded with and without
# DRED and scored with PESQ-WB. Output in ./out/ (clip, bitstreams, decoded audio, dred.png).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
bash scripts/install-deps.sh
"$PY" -m pip install -q --disable-pip-version-check -e ".[demo]"
"$PY" -m dredfx weights import
build=$(bash scripts/build-libopus.sh x86)
exec "$PY" -m dredfx demo --opus-build "$build" "$@"
