#!/usr/bin/env bash
# The main job on the example workspace: set up, index the registries, check and build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export EXCORE_DATA_ROOT="${EXCORE_DATA_ROOT:-$PWD/examples/data}"
CONFIG=${1:-examples/configs/fcn_resnet.toml}
echo "== excore schema dump --workspace examples"
.venv/bin/excore schema dump --workspace examples
echo "== excore check $CONFIG"
.venv/bin/excore check "$CONFIG"
echo "== excore build $CONFIG"
.venv/bin/excore build "$CONFIG"
COMPOSED=examples/configs/fcn_compose.toml
echo "== excore build $COMPOSED -o batch_size=64   (__delete__, __class__, computed values, an override)"
.venv/bin/excore check "$COMPOSED"
.venv/bin/excore build "$COMPOSED" -o batch_size=64
echo "== excore diff examples/configs/fcn_resnet.toml $COMPOSED"
.venv/bin/excore diff examples/configs/fcn_resnet.toml "$COMPOSED" || true   # exit 1: they differ
