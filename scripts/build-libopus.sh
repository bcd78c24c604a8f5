#!/usr/bin/env bash
# Builds libopus 1.6.1 (with DRED, deep PLC, lossgen) in the dredfx cache folder, outside the repo.
#   $DREDFX_CACHE/libopus-build/<variant>/  with variant
#   "x86"      libopus' default build (intrinsics and run-time CPU detection on: AVX2 or AVX-VNNI
#              DNN code where the CPU has it): what users run, the accuracy reference;
#   "generic"  libopus' plain C DNN path: intrinsics and run-time detection off, and -U__SSE2__,
#              since dnn/vec.h includes vec_avx.h (SSE approximations) whenever __SSE2__ is
#              defined, --disable-intrinsics included. The script checks that vec.h then takes its
#              NO_OPTIMIZATIONS branch. On other machines "x86" is simply the default build.
# Both stay in the cache; libopus' own x86-vs-generic spread is what accuracy tables compare with.
# Each holds the static library (.libs/libopus.a, what the C tools link), built as
# position-independent code, and libopus.so linked from it (what `dredfx simulate` loads through
# ctypes for its libopus rows); the programs stay statically linked.
# Prints the build folder. Idempotent: a finished build is reused (one made before libopus.so was
# part of it is rebuilt).
set -euo pipefail
variant="${1:-x86}"
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
SRC="$("$here/get-libopus.sh")"
B="$CACHE/libopus-build/$variant"
if [ -f "$B/.dredfx-complete" ] && [ -f "$B/libopus.so" ]; then echo "$B"; exit 0; fi
cflags="-O2 -g"
case "$variant" in
  x86) extra=() ;;
  generic) extra=(--disable-intrinsics --disable-rtcd); cflags="$cflags -U__SSE2__" ;;
  *) echo "build-libopus: unknown variant $variant (x86|generic; \"c\" and \"default\" were renamed)" >&2; exit 2 ;;
esac
rm -rf "$B"; mkdir -p "$B"
echo "build-libopus: configuring libopus 1.6.1 ($variant) in $B" >&2
( cd "$B" && "$SRC/configure" -q --enable-dred --enable-deep-plc --enable-lossgen --disable-doc \
    --disable-shared --enable-static --with-pic "${extra[@]}" CFLAGS="$cflags" >"$B/configure.log" 2>&1 ) || {
  tail -20 "$B/configure.log" >&2; exit 1; }
if [ "$variant" = generic ]; then
  # vec.h must take its plain C branch with these flags, or the build is not the generic path.
  printf '#include "vec.h"\n#ifndef NO_OPTIMIZATIONS\n#error "vec.h did not take its NO_OPTIMIZATIONS branch"\n#endif\n' |
    cc $cflags -DHAVE_CONFIG_H -I"$B" -I"$SRC/include" -I"$SRC/celt" -I"$SRC/silk" -I"$SRC/dnn" -I"$SRC" \
      -fsyntax-only -x c - || { echo "build-libopus: generic build would not use libopus' C DNN path" >&2; exit 1; }
fi
echo "build-libopus: building (about a minute)" >&2
make -C "$B" -j"$(nproc)" >"$B/make.log" 2>&1 || { tail -30 "$B/make.log" >&2; exit 1; }
cc -shared -Wl,-soname,libopus.so.0 -Wl,-Bsymbolic -o "$B/libopus.so" \
   -Wl,--whole-archive "$B/.libs/libopus.a" -Wl,--no-whole-archive -lm
touch "$B/.dredfx-complete"
echo "$B"
