#!/usr/bin/env bash
# Set up everything from nothing (with caches where they exist) and run the full test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/install-editor-deps.sh ] && [ "${EXCORE_SKIP_EDITOR_TESTS:-0}" != "1" ]; then
  bash scripts/install-editor-deps.sh
fi
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
