#!/usr/bin/env bash
# Installs everything and runs the whole dredfx test suite (what .ci/run calls):
#   Debian packages (scripts/install-deps.sh: it says what it installs, through sudo when not
#   root), the project virtual environment .venv with dredfx (editable) and the test
#   dependencies, the libopus 1.6.1 weights; then: C tests in ctest (plain with the shared library
#   and every CPU level, ASan+UBSan, FIXED_DEBUG), install + pkg-config + a C-only example, cross
#   targets under qemu (aarch64, armv7), fuzz targets briefly, pytest (Hypothesis, interop with
#   libopus 1.6.1).
# Each stage has a time budget in seconds (2 cores); a stage over it prints a warning, and a
# table of stage, seconds, budget and CPU seconds closes the run (also after a failure). The
# budgets add up to 870 s (with the cache folder filled; a first run also builds libopus twice), under the 15 minutes the whole run may take.
# Options (environment): DREDFX_FUZZ_SECONDS (default 5 per target), DREDFX_SKIP_CROSS=1,
# PYTHON (the interpreter that creates .venv), DREDFX_CACHE (default ~/.cache/dredfx).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
CACHE="${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}"; mkdir -p "$CACHE"
. scripts/cmake-dir.sh
. scripts/venv.sh
t0=$(date +%s)

stage_names=(); stage_secs=(); stage_cpu=(); stage_budgets=()
cur_name=""
# CPU seconds (user + system) of the finished child processes so far, into CPU: with the wall
# time it shows whether a slow stage worked more or waited for a busy machine. Called directly,
# never in $(...), whose subshell would count only its own children.
cpu_secs() {
  local f; f=$(mktemp)
  times > "$f"
  CPU=$(tail -1 "$f" | awk '{ s = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] }
    printf "%d", s + 0.5 }')
  rm -f "$f"
}
stage_end() {
  [ -n "$cur_name" ] || return 0
  local secs=$(( $(date +%s) - cur_t0 ))
  stage_names+=("$cur_name"); stage_secs+=("$secs"); stage_budgets+=("$cur_budget")
  cpu_secs
  stage_cpu+=("$(( CPU - cur_cpu0 ))")
  if [ "$secs" -gt "$cur_budget" ]; then
    echo "WARNING: stage '$cur_name' took $secs s, over its budget of $cur_budget s"
  fi
  cur_name=""
}
stage() { # BUDGET_SECONDS NAME...
  stage_end
  cur_budget=$1; shift
  cpu_secs
  cur_name="$*"; cur_t0=$(date +%s); cur_cpu0=$CPU
  echo; echo "=== $cur_name ($(( cur_t0 - t0 )) s; budget $cur_budget s)"
}
report() {
  local status=$? i
  stage_end
  echo
  printf '%-66s %7s %7s %7s\n' stage seconds budget "cpu s"
  for i in "${!stage_names[@]}"; do
    printf '%-66s %7s %7s %7s%s\n' "${stage_names[$i]}" "${stage_secs[$i]}" \
      "${stage_budgets[$i]}" "${stage_cpu[$i]}" \
      "$([ "${stage_secs[$i]}" -gt "${stage_budgets[$i]}" ] && echo "  over budget")"
  done
  cpu_secs
  printf '%-66s %7s %7s %7s\n' total $(( $(date +%s) - t0 )) 900 "$CPU"
  if [ "$status" = 0 ]; then echo "all stages passed"; else echo "FAILED (status $status)"; fi
}
trap report EXIT

stage 10 "install: Debian packages"
bash scripts/install-deps.sh $(venv_debian_packages)
stage 190 "install: .venv with dredfx (editable) and test dependencies"
# The libopus 1.6.1 source first: the build includes dredfx.opus (dredfx-opus) when it is there.
opus_src=$(bash scripts/get-libopus.sh)
venv_install test
stage 5 "install: libopus 1.6.1 weights"
"$PY" -m dredfx weights import
# dredfx-opus (libopus 1.6.1 with dredfx inside) joins the C builds below.
opus_cmake=(-DDREDFX_OPUS=ON "-DDREDFX_OPUS_SOURCE=$opus_src")

stage 50 "C: build and ctest (shared library, every CPU level, fuzz seeds)"
native=$(cmake_dir "$ROOT" native)
cmake -S c -B "$native" -DCMAKE_BUILD_TYPE=Release -DDREDFX_SHARED=ON "${opus_cmake[@]}" >/dev/null
cmake --build "$native" -j2 >/dev/null
ctest --test-dir "$native" -j2 --output-on-failure
stage 75 "C: AddressSanitizer + UndefinedBehaviorSanitizer"
asan=$(cmake_dir "$ROOT" asan)
cmake -S c -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DDREDFX_SANITIZE=ON >/dev/null
cmake --build "$asan" -j2 >/dev/null
ctest --test-dir "$asan" -j2 --output-on-failure
stage 5 "C: install, pkg-config, an example program using only the C library"
rm -rf build/install
cmake --install "$native" --prefix "$ROOT/build/install" >/dev/null
export PKG_CONFIG_PATH="$ROOT/build/install/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir dredfx)
# Linked twice: with the static library, and with the shared one (its exports must suffice).
cc -Wall -Wextra -Werror -O2 c/examples/dred_info.c $(pkg-config --cflags dredfx) \
  "$libdir/libdredfx.a" -o build/dred_info_static
cc -Wall -Wextra -Werror -O2 c/examples/dred_info.c $(pkg-config --cflags --libs dredfx) \
  -Wl,-rpath,"$libdir" -o build/dred_info_shared
blob=$("$PY" -c 'from dredfx import weights; print(weights.default_path())')
# A 20 ms packet that libopus 1.6.1 encoded from an Asterisk prompt (16 kHz, 24 kb/s, 10 % loss).
packet=4b411103964dba51dd2dce17cb3d9ea7934569e1815ba326b978fc440c9a302e4f1ecb93645f757d927a38
for kind in static shared; do
  got=$(build/dred_info_$kind "$blob" $packet 16000)
  echo "$kind: $got"
  [ "$got" = "q0 9 dQ 5 qmax 15 dred_offset 10 latents 1: 240 samples at 16000 Hz, dred_end 0" ]
done
stage 60 "C: FIXED_DEBUG (overflow-checking) build"
bash scripts/fixed-debug-test.sh
if [ "${DREDFX_SKIP_CROSS:-0}" != 1 ]; then
  stage 150 "C: cross targets under qemu (aarch64, armv7)"
  bash scripts/cross-test.sh
fi
# About 35 s to build the 8 targets with ASan (dredfx-opus included), then 6-9 s each (the slow
# targets replay their seeds and a 64-input corpus sample first: scripts/fuzz.sh).
stage 90 "C: fuzz targets"
bash scripts/fuzz.sh "${DREDFX_FUZZ_SECONDS:-5}"

stage 20 "interop: libopus 1.6.1 builds (x86, generic), interop data, speech corpus"
# Made here once, so that pytest's two workers find them up to date.
for v in x86 generic; do bash scripts/build-libopus.sh "$v" >/dev/null; done
bash scripts/interop-data.sh >/dev/null
bash scripts/speech-corpus.sh >/dev/null
stage 230 "Python: pytest on 2 workers (Hypothesis, interop with libopus 1.6.1)"
# libopus' conformance steps on dredfx run the system step with dredfx-opus' opus_demo.
export DREDFX_OPUS_DEMO="$native/dredfx-opus-demo"
"$PY" -m pytest -q -rs -p no:cacheprovider -n 2 --durations=15 tests
stage_end
