#!/usr/bin/env bash
# Builds every libFuzzer target in c/fuzz/ (clang, ASan + UBSan) and runs each for a while.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30; CI's long run: DREDFX_FUZZ_SECONDS=600)
# Corpora live in $DREDFX_CACHE/fuzz/<target>/ so later runs continue from them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-${DREDFX_FUZZ_SECONDS:-30}}"
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"
out="$CACHE/fuzz"; mkdir -p "$out"
srcs=$(find c/src -name '*.c' | sort)
status=0
for t in c/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Ic/include -Ic/src "$t" $srcs -o "$out/$name"
  mkdir -p "$out/$name.corpus"
  echo "fuzz: $name for ${secs}s"
  if ! "$out/$name" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$out/$name-" \
      "$out/$name.corpus" >"$out/$name.log" 2>&1; then
    echo "fuzz: $name FOUND A CRASH (log: $out/$name.log)"; tail -30 "$out/$name.log"; status=1
  else
    grep -E "^Done [0-9]+ runs" "$out/$name.log" | sed "s/^/fuzz: $name: /"
  fi
done
exit $status
