#!/usr/bin/env bash
# `make lint`: ruff's lint rules and its formatter in check mode, and mypy on the files pyproject.toml's
# [tool.mypy] lists (services and tasks).
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh run
export PATH="$PWD/.venv/bin:$PATH"

# mypy's Django plugin imports the settings, which create VAR_DIR and a secret key in it: use a
# throwaway one rather than the developer's var/.
var_dir="$(mktemp -d -t bettertogether-lint.XXXXXX)"
trap 'rm -rf "$var_dir"' EXIT

status=0
ruff check . || status=1
VAR_DIR="$var_dir" mypy || status=1
VAR_DIR="$var_dir" lint-imports || status=1
ruff format --check . || status=1
exit "$status"
