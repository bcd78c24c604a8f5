#!/bin/sh
# Cross builds of the C library and its tests for aarch64 and armv7 (c/cmake/*.cmake toolchain
# files), then ctest, which runs everything under qemu-user: the C tests on qemu's "max" CPU,
# test_nn at each CPU level, and test_nn and checkasm again on a CPU that lacks the top level
# (aarch64: cortex-a53 without dotprod; armv7: cortex-r5f without NEON), where the run-time
# check must fall back. Build folders: build/cmake/cross-<target>.
# Usage: scripts/cross-test.sh [aarch64] [armv7]   (default: both). Exits non-zero on failure.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
targets=${*:-aarch64 armv7}
# dredfx-opus too (its SILK receiver MD5s at every level) when the libopus 1.6.1 source is cached.
opus=${DREDFX_OPUS_SOURCE:-${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}/opus-1.6.1}
opus_flags=""
if [ -f "$opus/src/opus_decoder.c" ]; then opus_flags="-DDREDFX_OPUS=ON -DDREDFX_OPUS_SOURCE=$opus"; fi
for t in $targets; do
  case $t in
    aarch64) toolchain=aarch64-linux-gnu.cmake ;;
    armv7) toolchain=arm-linux-gnueabihf.cmake ;;
    *) echo "unknown target $t (aarch64, armv7)"; exit 2 ;;
  esac
  dir=$(cmake_dir "$root" "cross-$t")
  cmake -S "$root/c" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/c/cmake/$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DDREDFX_SHARED=ON $opus_flags >/dev/null
  cmake --build "$dir" -j2 >/dev/null
  echo "== $t: ctest under qemu"
  ctest --test-dir "$dir" -j2 --output-on-failure || { echo "FAILED: $t ctest"; exit 1; }
done
echo "cross-test: OK"
