#!/bin/sh
# Cross builds of the C library and its tests for aarch64 and armv7 (c/cmake/*.cmake toolchain
# files), run under qemu-user: every ctest test, then checkasm again on a CPU without dotprod
# (qemu -cpu cortex-a53) to prove the run-time dispatch falls back to NEON, and with DREDFX_CPU
# caps. Build folders: build/cmake/cross-<target>.
# Usage: scripts/cross-test.sh [aarch64] [armv7]   (default: both). Exits non-zero on failure.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
targets=${*:-aarch64 armv7}
summary=""

note() { summary="$summary$1
"; }

# Prints checkasm's per-kernel lines and records them for the summary.
run_checkasm() { # label command...
  label=$1
  shift
  out=$("$@" 2>&1) || { echo "$out"; echo "FAILED: $label"; exit 1; }
  echo "$out"
  note "$label:"
  note "$(echo "$out" | grep -E 'cases:|passed,' | sed 's/^/    /')"
}

build() { # target toolchain
  dir=$(cmake_dir "$root" "cross-$1")
  cmake -S "$root/c" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/c/cmake/$2" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" -j2 >/dev/null
  echo "== $1: ctest (all C tests) under qemu"
  ctest --test-dir "$dir" --output-on-failure || { echo "FAILED: $1 ctest"; exit 1; }
  note "$1: ctest passed ($(ctest --test-dir "$dir" -N | grep -c 'Test #') tests)"
}

for t in $targets; do
  case $t in
    aarch64)
      build aarch64 aarch64-linux-gnu.cmake
      dir=$root/build/cmake/cross-aarch64
      q="qemu-aarch64 -L /usr/aarch64-linux-gnu"
      echo "== aarch64, qemu -cpu max (NEON + dotprod)"
      run_checkasm "aarch64 -cpu max" $q -cpu max "$dir/checkasm"
      echo "== aarch64, qemu -cpu cortex-a53 (no dotprod: must fall back to NEON)"
      run_checkasm "aarch64 -cpu cortex-a53" $q -cpu cortex-a53 "$dir/checkasm"
      $q -cpu cortex-a53 "$dir/test_nn" | grep -q "level in use neon, max neon" \
        || { echo "FAILED: cortex-a53 did not select neon"; exit 1; }
      $q -cpu cortex-a53 "$dir/test_nn" >/dev/null || { echo "FAILED: test_nn on cortex-a53"; exit 1; }
      warn=$(DREDFX_CPU=dotprod $q -cpu cortex-a53 "$dir/test_nn" 2>&1 >/dev/null)
      echo "$warn" | grep -q "not supported by this CPU; using neon" \
        || { echo "FAILED: no fallback warning for DREDFX_CPU=dotprod on cortex-a53"; exit 1; }
      note "aarch64 cortex-a53: DREDFX_CPU=dotprod -> '$warn'"
      DREDFX_CPU=neon $q -cpu max "$dir/test_nn" | grep -q "level in use neon, max dotprod" \
        || { echo "FAILED: DREDFX_CPU=neon cap"; exit 1; }
      DREDFX_CPU=scalar $q -cpu max "$dir/test_nn" | grep -q "level in use scalar, max dotprod" \
        || { echo "FAILED: DREDFX_CPU=scalar cap"; exit 1; }
      note "aarch64: DREDFX_CPU=neon and =scalar caps honoured"
      ;;
    armv7)
      build armv7 arm-linux-gnueabihf.cmake
      dir=$root/build/cmake/cross-armv7
      echo "== armv7 (NEON)"
      run_checkasm "armv7" qemu-arm -L /usr/arm-linux-gnueabihf "$dir/checkasm"
      ;;
    *) echo "unknown target $t (aarch64, armv7)"; exit 2 ;;
  esac
done
echo
echo "cross-test summary:"
printf "%s" "$summary"
echo "cross-test: OK"
