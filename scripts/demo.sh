#!/usr/bin/env bash
# Quick start, first command: install, then run the demo (renders into ./out/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/composer-assist demo -o out/demo "$@"
