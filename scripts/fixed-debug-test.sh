#!/bin/sh
# FIXED_DEBUG build of the C library (every fixed-point operator checks for overflow and aborts)
# with AddressSanitizer + UBSan, then test_nn and checkasm. Build folder: build/cmake/fixed-debug.
# Usage: scripts/fixed-debug-test.sh [checkasm args]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
build=$(cmake_dir "$root" fixed-debug)
sanitize=${DREDFX_SANITIZE:-ON}

cmake -S "$root/c" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDREDFX_FIXED_DEBUG=ON \
  -DDREDFX_SANITIZE="$sanitize" -DCMAKE_C_FLAGS="-O1" >/dev/null
cmake --build "$build" -j2 >/dev/null
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "== test_nn (FIXED_DEBUG, sanitize=$sanitize)"
"$build/test_nn"
echo "== checkasm (FIXED_DEBUG, sanitize=$sanitize)"
"$build/checkasm" "$@"
echo "fixed-debug-test: OK"
