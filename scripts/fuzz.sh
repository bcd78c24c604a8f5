#!/usr/bin/env bash
# Builds the fuzz targets (c/fuzz/fuzz_*.c) as libFuzzer programs with ASan + UBSan through CMake
# (clang, -DDREDFX_FUZZ=ON, build/cmake/fuzz) and runs each for a while, starting from the
# committed seeds (c/fuzz/seeds/<target>/) and the corpus of earlier runs (runs under 60 s: a sample
# of it, below).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30; CI's long run: DREDFX_FUZZ_SECONDS=600)
# Corpora, logs and crash inputs live in $DREDFX_CACHE/fuzz/ (<target>.corpus/, <target>.log,
# <target>-crash-*), so later runs continue from them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
secs="${1:-${DREDFX_FUZZ_SECONDS:-30}}"
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
out="$CACHE/fuzz"; mkdir -p "$out"
# fuzz_rdovae decodes through the RDO-VAE and fuzz_plc runs the PLC models when they have the
# imported weights (else they only parse, or check the API without models).
blob="$CACHE/weights/dredfx-weights-libopus-1.6.1.bin"
if [ -z "${DREDFX_WEIGHTS:-}" ] && [ -f "$blob" ]; then export DREDFX_WEIGHTS="$blob"; fi
# fuzz_opus_dred (dredfx-opus) when the libopus 1.6.1 source is cached.
opus=${DREDFX_OPUS_SOURCE:-$CACHE/opus-1.6.1}
opus_flags="-DDREDFX_OPUS=OFF"
if [ -f "$opus/src/opus_decoder.c" ]; then opus_flags="-DDREDFX_OPUS=ON -DDREDFX_OPUS_SOURCE=$opus"; fi
build=$(cmake_dir "$root" fuzz)
# shellcheck disable=SC2086
cmake -S "$root/c" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DDREDFX_FUZZ=ON $opus_flags >/dev/null
targets=$(cd "$root/c/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
[ "$opus_flags" = "-DDREDFX_OPUS=OFF" ] && targets=$(echo "$targets" | grep -v '^fuzz_opus_')
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets >/dev/null
# libFuzzer replays every input of its folders before it starts the clock, and the corpus grows
# with every run: on the slow targets (fuzz_plc, fuzz_opus_dred: 5-20 inputs a second under ASan)
# 200-500 kept inputs took 27-49 s of a 5 s run. Short runs (under 60 s: CI's 5 s) therefore start
# from the seeds and a fixed sample of 64 corpus inputs (the first by name, i.e. by hash), and keep
# only crashes: what they find is mostly what the rest of the corpus already covers. Long runs start
# from the whole corpus and add to it.
sample_size=64
status=0
for name in $targets; do
  corpus="$out/$name.corpus"
  mkdir -p "$corpus"
  dirs=("$corpus")
  if [ "$secs" -lt 60 ]; then
    found=$(mktemp -d) sample=$(mktemp -d)
    find "$corpus" -maxdepth 1 -type f | sort | awk -v n="$sample_size" 'NR <= n' | xargs -r cp -t "$sample"
    dirs=("$found" "$sample")
  fi
  echo "fuzz: $name for ${secs}s"
  if ! "$build/$name" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$out/$name-" \
      "${dirs[@]}" "$root/c/fuzz/seeds/$name" >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FOUND A CRASH (log: $out/$name.log)"; tail -30 "$out/$name.log"; status=1
  else
    grep -E "^Done [0-9]+ runs" "$out/$name.log" | sed "s/^/fuzz: $name: /"
  fi
  if [ "$secs" -lt 60 ]; then rm -rf "$found" "$sample"; fi
done
exit $status
