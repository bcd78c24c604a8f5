#!/usr/bin/env bash
# Installs everything and runs the whole dredfx test suite (what .ci/run calls):
#   Debian packages, the Python package (editable) with test deps, the libopus 1.6.1 weights,
#   then: C tests (plain, ASan+UBSan, FIXED_DEBUG), install + pkg-config + a C-only example,
#   cross targets under qemu (aarch64 NEON and dotprod, armv7 NEON), fuzz targets briefly,
#   pytest (Hypothesis, interop with libopus 1.6.1).
# Options (environment): DREDFX_FUZZ_SECONDS (default 20 per target), DREDFX_SKIP_CROSS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
stage() { echo; echo "=== $* ($(( $(date +%s) - t0 )) s)"; }
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"; mkdir -p "$CACHE"
ROOT=$(pwd -P)
. scripts/cmake-dir.sh
PY="${PYTHON:-python3}"

stage "install: Debian packages"
bash scripts/install-deps.sh
stage "install: dredfx (pip, editable) and test dependencies"
"$PY" -m pip install -q --disable-pip-version-check -e ".[test]"
stage "install: libopus 1.6.1 weights"
"$PY" -m dredfx weights import

stage "C: build and ctest"
native=$(cmake_dir "$ROOT" native)
cmake -S c -B "$native" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$native" -j2 >/dev/null
ctest --test-dir "$native" --output-on-failure
stage "C: DREDFX_CPU selects each level this CPU has, and caps the others at the highest"
max=$("$native/test_nn" | sed -n 's/^cpu: level in use .*, max \(.*\)$/\1/p')
case $(uname -m) in x86_64) names="scalar avx2 avxvnni" ;; aarch64) names="scalar neon dotprod" ;; *) names=scalar ;; esac
above=0
for name in $names; do
  want=$name; [ $above = 1 ] && want=$max
  got=$(DREDFX_CPU=$name "$native/test_nn" 2>/dev/null | sed -n 's/^cpu: level in use \([^,]*\),.*/\1/p')
  echo "DREDFX_CPU=$name -> $got"
  [ "$got" = "$want" ] || { echo "FAILED: DREDFX_CPU=$name selected '$got', expected '$want'"; exit 1; }
  [ "$name" = "$max" ] && above=1
done
stage "C: AddressSanitizer + UndefinedBehaviorSanitizer"
asan=$(cmake_dir "$ROOT" asan)
cmake -S c -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DDREDFX_SANITIZE=ON >/dev/null
cmake --build "$asan" -j2 >/dev/null
ctest --test-dir "$asan" --output-on-failure
stage "C: install, pkg-config, an example program using only the C library"
rm -rf build/install
cmake --install "$native" --prefix "$ROOT/build/install" >/dev/null
export PKG_CONFIG_PATH="$ROOT/build/install/lib/pkgconfig"
cc -Wall -Wextra -Werror -O2 c/examples/dred_info.c $(pkg-config --cflags --libs dredfx) -o build/dred_info
# A 20 ms packet that libopus 1.6.1 encoded from an Asterisk prompt (16 kHz, 24 kb/s, 10 % loss).
got=$(build/dred_info "$("$PY" -c 'from dredfx import weights; print(weights.default_path())')" \
  4b411103964dba51dd2dce17cb3d9ea7934569e1815ba326b978fc440c9a302e4f1ecb93645f757d927a38 16000)
echo "$got"
[ "$got" = "q0 9 dQ 5 qmax 15 dred_offset 10 latents 1: 240 samples at 16000 Hz, dred_end 0" ]
stage "C: FIXED_DEBUG (overflow-checking) build"
bash scripts/fixed-debug-test.sh
if [ "${DREDFX_SKIP_CROSS:-0}" != 1 ]; then
  stage "C: cross targets under qemu"
  bash scripts/cross-test.sh
fi
stage "C: fuzz targets"
bash scripts/fuzz.sh "${DREDFX_FUZZ_SECONDS:-20}"

stage "Python: pytest (Hypothesis, interop with libopus 1.6.1)"
"$PY" -m pytest -q -p no:cacheprovider tests
stage "all stages passed"
