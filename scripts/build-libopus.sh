#!/usr/bin/env bash
# Builds libopus 1.6.1 (with DRED, deep PLC, lossgen) in the dredfx cache folder, outside the repo.
#   $DREDFX_CACHE/libopus-build/<variant>/  with variant "c" (intrinsics and run-time CPU detection off:
#   the primary reference, DESIGN.md) or "default" (libopus' default x86 build, for information).
# Prints the build folder. Idempotent: a finished build is reused.
set -euo pipefail
variant="${1:-c}"
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
SRC="$("$here/get-libopus.sh")"
B="$CACHE/libopus-build/$variant"
if [ -f "$B/.dredfx-complete" ]; then echo "$B"; exit 0; fi
case "$variant" in
  c) extra=(--disable-intrinsics --disable-rtcd) ;;
  default) extra=() ;;
  *) echo "build-libopus: unknown variant $variant (c|default)" >&2; exit 2 ;;
esac
rm -rf "$B"; mkdir -p "$B"
echo "build-libopus: configuring libopus 1.6.1 ($variant) in $B" >&2
( cd "$B" && "$SRC/configure" -q --enable-dred --enable-deep-plc --enable-lossgen --disable-doc \
    --disable-shared --enable-static "${extra[@]}" CFLAGS="-O2 -g" >"$B/configure.log" 2>&1 ) || {
  tail -20 "$B/configure.log" >&2; exit 1; }
echo "build-libopus: building (about a minute)" >&2
make -C "$B" -j"$(nproc)" >"$B/make.log" 2>&1 || { tail -30 "$B/make.log" >&2; exit 1; }
touch "$B/.dredfx-complete"
echo "$B"
