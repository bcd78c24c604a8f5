#!/usr/bin/env bash
# Installs the Debian packages dredfx needs (build, cross targets, sanitizers, speech, tools), and
# the extra ones named as arguments (scripts/venv.sh: python3.X-venv, python3.X-dev when the
# interpreter lacks them). Only scripts/demo.sh and scripts/test.sh call it. Idempotent; prints
# what it installs; runs as root (CI) or through sudo. Set DREDFX_SKIP_APT=1 to skip.
#   scripts/install-deps.sh [PACKAGE...]
set -euo pipefail
[ "${DREDFX_SKIP_APT:-0}" = 1 ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
pkgs=(build-essential pkg-config cmake xz-utils dpkg-dev
      gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross
      qemu-user clang libclang-rt-14-dev
      ffmpeg asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722
      asterisk-core-sounds-fr-g722 asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722 libopus0 "$@")
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages (apt-get${SUDO:+, through sudo}): ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
