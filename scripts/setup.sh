#!/usr/bin/env bash
# Create .venv and install ExCore with everything the examples and the tests need.
# Idempotent: a second run only checks that the pinned packages are there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
log=.venv/setup.log
pip_install() {
  if ! .venv/bin/python -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup failed: pip install $*" >&2
    exit 1
  fi
}
echo "installing ExCore and its dev dependencies into .venv (log: $log)"
pip_install --upgrade pip
# torch is pinned: an unpinned torch pulls a multi-GB CUDA build.
pip_install "torch==2.13.0"
pip_install -e ".[dev,torch,sweep]"
# write the bytecode now: with PYTHONDONTWRITEBYTECODE set, an editable install
# would otherwise recompile every module in every process (the server included)
.venv/bin/python -m compileall -q excore excore_ls >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
