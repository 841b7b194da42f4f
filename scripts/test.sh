#!/usr/bin/env bash
# Quick start, second command: install the test dependencies (Debian plugins included) and run
# the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export QT_QPA_PLATFORM=offscreen
# The layering (pyproject.toml [tool.importlinter]) holds before any test runs.
.venv/bin/lint-imports --no-cache
# Two workers (pytest-xdist): many tests wait on subprocesses, real-time playback or the audio
# server, so two run side by side in well under the time of one after the other.
exec .venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-2}" -p no:benchmark "$@"
