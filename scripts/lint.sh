#!/usr/bin/env bash
# `make lint`: ruff's lint rules and its formatter in check mode (configured in pyproject.toml).
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh run
export PATH="$PWD/.venv/bin:$PATH"

status=0
ruff check . || status=1
ruff format --check . || status=1
exit "$status"
