# Sourced by scripts/demo.sh and scripts/test.sh (bash): the project's virtual environment .venv.
# Nothing is pip-installed into the system interpreter (Debian 12's python3 refuses it:
# externally-managed-environment). The interpreter that creates .venv: $PYTHON, else python3.
#   venv_debian_packages   prints the Debian packages that interpreter lacks to create a venv and
#                          build extensions (python3.X-venv, python3.X-dev), for install-deps.sh
#   venv_install EXTRAS    creates .venv if it is missing or was made by another interpreter,
#                          pip-installs dredfx editable with [EXTRAS], skipped when the build
#                          inputs (setup.py, pyproject.toml, pyx/, c/ but its tests), EXTRAS and
#                          DREDFX_FIXED_DEBUG are those of the last install (.venv/.dredfx-stamp)
#                          and dredfx still imports; sets PY to .venv/bin/python.
VENV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
VENV_DIR=$VENV_ROOT/.venv
VENV_BASE=${PYTHON:-python3}
# The interpreter a venv was made from (a venv's python reports its base), symlinks resolved.
VENV_BASE_OF='import os, sys
print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))'

venv_debian_packages() {
  local v
  v=$("$VENV_BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || {
    echo "venv: cannot run $VENV_BASE (set PYTHON to a Python 3 interpreter)" >&2; return 1; }
  "$VENV_BASE" -c 'import ensurepip, venv' 2>/dev/null || echo "python$v-venv"
  "$VENV_BASE" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || echo "python$v-dev"
}

# Hash of what the compiled part is built from, plus the install options.
venv_build_key() {
  ( cd "$VENV_ROOT" &&
    find setup.py pyproject.toml c/CMakeLists.txt c/cmake c/include c/src c/opus pyx \
         -name __pycache__ -prune -o -type f ! -path 'pyx/_*.c' -print |
      LC_ALL=C sort | xargs sha256sum &&
    echo "extras=$1 fixed_debug=${DREDFX_FIXED_DEBUG:-0}" && "$VENV_DIR/bin/python" -V &&
    # dredfx.opus is built when the libopus source is there (setup.py's rule)
    opus=${DREDFX_OPUS_SOURCE:-${DREDFX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfx}/opus-1.6.1} &&
    echo "opus_source=$opus $([ -f "$opus/src/opus_decoder.c" ] && echo present)"
  ) | sha256sum | cut -d' ' -f1
}

venv_install() {
  local extras=$1 base have key
  base=$("$VENV_BASE" -c "$VENV_BASE_OF")
  have=$("$VENV_DIR/bin/python" -c "$VENV_BASE_OF" 2>/dev/null || true)
  if [ "$have" != "$base" ]; then
    [ -e "$VENV_DIR" ] && echo "venv: $VENV_DIR was made by another interpreter ($have);" \
      "making it afresh with $base" >&2
    rm -rf "$VENV_DIR"
    echo "venv: creating $VENV_DIR with $base" >&2
    "$VENV_BASE" -m venv "$VENV_DIR"
  fi
  PY=$VENV_DIR/bin/python
  key=$(venv_build_key "$extras")
  if [ "$(cat "$VENV_DIR/.dredfx-stamp" 2>/dev/null)" = "$key" ] &&
     "$PY" -c 'import sys, dredfx, dredfx._nn
sys.exit(not dredfx.__file__.startswith(sys.argv[1]))' "$VENV_ROOT/" 2>/dev/null; then
    echo "venv: dredfx up to date in $VENV_DIR (no pip run)" >&2
    return 0
  fi
  rm -f "$VENV_DIR/.dredfx-stamp"
  echo "venv: pip install -e .[$extras] into $VENV_DIR (C library through CMake, then Cython)" >&2
  "$PY" -m pip install -q --disable-pip-version-check -e "$VENV_ROOT[$extras]"
  echo "$key" > "$VENV_DIR/.dredfx-stamp"
}
