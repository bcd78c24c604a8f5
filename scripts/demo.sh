#!/usr/bin/env bash
# Installs dredfx and runs the main job, `dredfx simulate`, on the bundled speech clip: Opus at
# 24 kb/s with dredfx inside, libopus' generative loss model at 20 %, four modes (PLC alone, LBRR,
# DRED, DRED+LBRR), scored with PESQ-WB, STOI and PLCMOS. Output in ./out/simulate/ (the decoded
# wav of each mode, report.md, report.json, report.png). Arguments go to `dredfx simulate`
# (e.g. --compare-libopus, --loss ge:10,3, --bitrate 32k, a clip, a folder).
# Set-up: Debian packages through scripts/install-deps.sh (it says what it installs, through sudo
# when not root), dredfx in the project virtual environment .venv (scripts/venv.sh; PYTHON picks
# the interpreter that creates it), the libopus 1.6.1 weights and builds in $DREDFX_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
bash scripts/install-deps.sh $(venv_debian_packages)
bash scripts/get-libopus.sh >/dev/null  # before the build, which then includes dredfx.opus
venv_install demo
"$PY" -m dredfx weights import
# libopus 1.6.1's own builds: the libopus rows of --compare-libopus (x86 and generic), and the
# codec of the dredfx rows where dredfx.opus could not be built (the report says so).
bash scripts/build-libopus.sh x86 >/dev/null
case " $* " in *" --compare-libopus "*) bash scripts/build-libopus.sh generic >/dev/null ;; esac
"$PY" -m dredfx simulate "$@"
echo "demo: dredfx is installed in .venv; use it with: . .venv/bin/activate" >&2
