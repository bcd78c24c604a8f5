#!/usr/bin/env bash
# Installs dredfx and runs the main job on the default clip: libopus 1.6.1 encodes real speech
# with DRED under 20 % packet loss; dredfx parses and plots the DRED; decoded with and without
# DRED and scored with PESQ-WB. Output in ./out/ (clip, bitstreams, decoded audio, dred.png).
# Set-up: Debian packages through scripts/install-deps.sh (it says what it installs, through sudo
# when not root), dredfx in the project virtual environment .venv (scripts/venv.sh; PYTHON picks
# the interpreter that creates it), the libopus 1.6.1 weights and build in $DREDFX_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
bash scripts/install-deps.sh $(venv_debian_packages)
bash scripts/get-libopus.sh >/dev/null  # before the build, which then includes dredfx.opus
venv_install demo
"$PY" -m dredfx weights import
build=$(bash scripts/build-libopus.sh x86)
"$PY" -m dredfx demo --opus-build "$build" "$@"
echo "demo: dredfx is installed in .venv; use it with: . .venv/bin/activate" >&2
