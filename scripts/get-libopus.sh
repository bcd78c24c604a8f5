#!/usr/bin/env bash
# Fetches libopus 1.6.1 (Debian source package opus 1.6.1-1) into the dredfx cache folder and
# unpacks it: $DREDFX_CACHE/opus-1.6.1/. Prints that path. Nothing is written inside the repo.
#   scripts/get-libopus.sh            download from Debian (deb-src forky/sid) if not cached
#   scripts/get-libopus.sh FILE|DIR   use an opus 1.6.1 release tarball or source tree instead
set -euo pipefail
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
SRC="$CACHE/opus-1.6.1"
ORIG_SHA256="${DREDFX_OPUS_ORIG_SHA256:-001ac615b9f8f8994b229ad2b1a5969ed12ab48b0d154d0af1016a5899cd6ba1}"
mkdir -p "$CACHE"
log() { echo "get-libopus: $*" >&2; }

if [ $# -ge 1 ]; then
  if [ -d "$1" ]; then
    [ -f "$1/dnn/dred_rdovae_dec_data.c" ] || { log "error: $1 is not an opus source tree with model data (no dnn/dred_rdovae_dec_data.c)"; exit 2; }
    cd "$1" && pwd; exit 0
  elif [ -f "$1" ]; then
    rm -rf "$SRC.tmp"; mkdir -p "$SRC.tmp"
    tar -xf "$1" -C "$SRC.tmp"
    top=$(find "$SRC.tmp" -mindepth 1 -maxdepth 1 -type d | head -1)
    [ -f "$top/dnn/dred_rdovae_dec_data.c" ] || { log "error: $1 holds no opus source tree with model data"; rm -rf "$SRC.tmp"; exit 2; }
    rm -rf "$SRC"; mv "$top" "$SRC"; rm -rf "$SRC.tmp"; echo "$SRC"; exit 0
  else
    log "error: no such file or folder: $1"; exit 2
  fi
fi

if [ -f "$SRC/.dredfx-complete" ]; then echo "$SRC"; exit 0; fi

tarball=$(ls "$CACHE"/opus_1.6.1.orig.tar.* 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  list=/etc/apt/sources.list.d/dredfx-opus-src.sources
  if [ ! -f "$list" ]; then
    log "adding a deb-src entry for Debian forky/sid ($list)"
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: forky sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | $SUDO tee "$list" >/dev/null
    $SUDO apt-get update -qq
  fi
  log "downloading Debian source package opus=1.6.1-1"
  ( cd "$CACHE" && apt-get source --download-only -qq opus=1.6.1-1 ) >&2 || {
    $SUDO apt-get update -qq; ( cd "$CACHE" && apt-get source --download-only -qq opus=1.6.1-1 ) >&2; }
  tarball=$(ls "$CACHE"/opus_1.6.1.orig.tar.* | head -1)
fi
if [ -n "$ORIG_SHA256" ]; then
  echo "$ORIG_SHA256  $tarball" | sha256sum -c --quiet - || { log "error: $tarball has an unexpected SHA-256"; exit 3; }
fi
rm -rf "$SRC" "$SRC.tmp"; mkdir -p "$SRC.tmp"
tar -xf "$tarball" -C "$SRC.tmp"
mv "$SRC.tmp"/opus-1.6.1 "$SRC"; rm -rf "$SRC.tmp"
touch "$SRC/.dredfx-complete"
echo "$SRC"
