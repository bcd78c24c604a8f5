#!/bin/sh
# FIXED_DEBUG build of the C library (every fixed-point operator checks for overflow and aborts)
# with AddressSanitizer + UBSan, then test_nn (at every CPU level), checkasm and test_plc (its
# real-range concealment must count no saturation) through ctest.
# Build folder: build/cmake/fixed-debug. DREDFX_SANITIZE=OFF builds without the sanitizers.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
. "$root/scripts/cmake-dir.sh"
build=$(cmake_dir "$root" fixed-debug)
sanitize=${DREDFX_SANITIZE:-ON}

cmake -S "$root/c" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDREDFX_FIXED_DEBUG=ON \
  -DDREDFX_SANITIZE="$sanitize" -DCMAKE_C_FLAGS="-O1" >/dev/null
cmake --build "$build" -j2 --target test_nn checkasm test_plc >/dev/null
echo "== test_nn, checkasm and test_plc (FIXED_DEBUG, sanitize=$sanitize)"
ctest --test-dir "$build" -j2 --output-on-failure -R '^(test_nn|checkasm|test_plc)($|\.)'
echo "fixed-debug-test: OK"
