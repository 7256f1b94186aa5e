#!/usr/bin/env bash
# Build the compiled catalogues (locale/*/LC_MESSAGES/django.mo) from the .po files, with msgfmt's checks.
# Run by scripts/setup.sh (so `make run` and `make test`) and by the Dockerfile. The .mo files are built,
# not committed: the .po files are what translators edit, and a stale .mo can then never be shipped.
set -euo pipefail

cd "$(dirname "$0")/.."
shopt -s nullglob
for po in locale/*/LC_MESSAGES/django.po; do
    msgfmt --check -o "${po%.po}.mo" "$po"
done
