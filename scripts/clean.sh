#!/usr/bin/env bash
# `make clean`: remove caches and build leftovers. var/ holds the demo database, uploads and sent mail,
# and .venv takes a minute to rebuild, so both stay unless called with --all (`make distclean`).
set -euo pipefail

cd "$(dirname "$0")/.."

find . -path ./.venv -prune -o -path ./.git -prune -o \
    \( -name __pycache__ -type d -prune -exec rm -rf {} + \) -o \
    \( -name '*.pyc' -type f -delete \)
rm -rf .pytest_cache .ruff_cache ./*.egg-info build dist bench/out var/static var/cache

if [[ "${1:-}" == --all ]]; then
    rm -rf .venv var
fi
