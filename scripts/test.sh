#!/usr/bin/env bash
# Quick start, second command: install the test dependencies (Debian plugins included) and run
# the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export QT_QPA_PLATFORM=offscreen
# The layering (pyproject.toml [tool.importlinter]) holds before any test runs.
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest -q "$@"
