#!/bin/sh
# FARGAN on real speech in the FIXED_DEBUG build (every fixed-point operator checks for overflow
# and aborts; every saturation is counted per site) with AddressSanitizer + UBSan: one continuous
# `dredfx-demo -fargan-synthesis` run over the features of the speech corpus clips
# (scripts/speech-corpus.sh), taken in turn at 0, -20 and -40 dB (quiet talkers), repeated until
# at least SECONDS of speech (default 600). Features come from dredfx-demo -features of the same
# build (dredfx's analysis, within dred_compare's limits of libopus'). Fails on an overflow, a
# sanitizer report or any saturation counted during synthesis; prints the counters.
#   usage: scripts/fargan-fixed-debug.sh [SECONDS]   (scripts/fixed-debug-test.sh: 1, one clip)
# Build folder: build/cmake/fixed-debug (shared with fixed-debug-test.sh, same configuration).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
seconds=${1:-600}
build=$(cmake_dir "$root" fixed-debug)
sanitize=${DREDFX_SANITIZE:-ON}
weights=${DREDFX_WEIGHTS:-${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}/weights/dredfx-weights-libopus-1.6.1.bin}
if [ ! -f "$weights" ]; then
  echo "fargan-fixed-debug: no weights blob $weights (python -m dredfx weights import)" >&2
  exit 1
fi
cmake -S "$root/c" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDREDFX_FIXED_DEBUG=ON \
  -DDREDFX_SANITIZE="$sanitize" -DCMAKE_C_FLAGS="-O1" >/dev/null
cmake --build "$build" -j2 --target dredfx-demo >/dev/null
corpus=$(bash "$root/scripts/speech-corpus.sh" | tail -n 1)
work="$build/fargan-fixed-debug"
rm -rf "$work"
mkdir -p "$work"
demo="$build/dredfx-demo"
all="$work/all.f32"
: >"$all"
rows=0
need=$((seconds * 100))
while [ "$rows" -lt "$need" ]; do
  for db in 0 -20 -40; do
    for clip in "$corpus"/*.16k.raw; do
      [ "$rows" -lt "$need" ] || break
      name=$(basename "$clip" .16k.raw)
      if [ ! -f "$work/$name.$db.f32" ]; then
        python3 - "$clip" "$work/$name.$db.s16" "$db" <<'EOF'
import array, sys
x = array.array("h")
with open(sys.argv[1], "rb") as f:
    x.frombytes(f.read())
g = 10 ** (float(sys.argv[3]) / 20)
y = array.array("h", (max(-32768, min(32767, round(v * g))) for v in x))
with open(sys.argv[2], "wb") as f:
    f.write(y.tobytes())
EOF
        "$demo" --weights "$weights" -features "$work/$name.$db.s16" "$work/$name.$db.f32" 2>>"$work/features.log"
      fi
      cat "$work/$name.$db.f32" >>"$all"
      rows=$(($(wc -c <"$all") / 80))
    done
  done
done
echo "== fargan-fixed-debug: $rows frames ($((rows / 6000)) min $((rows / 100 % 60)) s) of continuous synthesis (FIXED_DEBUG, sanitize=$sanitize)"
DREDFX_CPU=scalar "$demo" --weights "$weights" -fargan-synthesis "$all" "$work/out.s16" 2>"$work/synthesis.log" || {
  cat "$work/synthesis.log" >&2
  exit 1
}
if [ -s "$work/features.log" ]; then
  echo "analysis (dredfx-demo -features, not part of this check):"
  grep -v '^FIXED_DEBUG: saturations' "$work/features.log" | awk '{n[$1 " " $2] += $3} END {for (k in n) print "  " k "  " n[k]}'
fi
echo "synthesis saturation counters:"
grep -v '^FIXED_DEBUG: saturations per site:$' "$work/synthesis.log" | sed 's/^/  /' || echo "  none"
if grep -v '^FIXED_DEBUG: saturations per site:$' "$work/synthesis.log" | grep -qv '^  ACT_CLAMP '; then
  echo "fargan-fixed-debug: a saturation or another message during synthesis (above)" >&2
  exit 1
fi
echo "output: $(($(wc -c <"$work/out.s16") / 2)) samples"
echo "fargan-fixed-debug: OK"
