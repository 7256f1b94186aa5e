#!/usr/bin/env bash
# Prepare this machine for `make run` (mode "run", the default) or `make test` (mode "test"):
# the Debian packages the project needs, and a virtualenv at .venv with the project installed.
# Idempotent and quick when everything is already there: apt and pip only run when something is missing.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
    run | test) ;;
    *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."

# --- Debian packages -------------------------------------------------------------------------------
# WeasyPrint (letters as PDF) needs Pango and HarfBuzz's subsetter; Noto gives it and the word clouds
# fonts for every script (core: Latin, Arabic, Urdu, Bengali…; CJK: Chinese, one of our letters'
# languages); poppler-utils (pdftotext/pdftoppm) lets us read the PDFs back. Not fonts-noto-color-emoji:
# with it installed, Pango draws every digit in the PDFs with the emoji font. gettext (msgfmt) compiles
# the translation catalogues.
packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk
    poppler-utils gettext)
if [[ "$mode" == test ]]; then
    # Headless browser tests (Playwright drives the Debian chromium: it cannot download its own),
    # the production-like Redis and PostgreSQL runs, and wrk for the benchmarks.
    packages+=(chromium redis-server postgresql wrk)
fi

missing=()
for pkg in "${packages[@]}"; do
    # db:Status-Status is "installed" only for a fully installed package (not removed/half-configured).
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    can_install=1
    if [[ $EUID -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo)  # passwordless sudo only: -n never waits for a password
    else
        can_install=0
    fi
    if ((can_install)); then
        echo "setup: installing Debian packages: ${missing[*]}"
        # No stdin in CI: never let apt or a maintainer script ask a question.
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
    else
        echo "setup: these Debian packages are missing: ${missing[*]}" >&2
        echo "setup: install them with:  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
        echo "setup: carrying on without them; some features or tests may fail." >&2
    fi
fi

# --- virtualenv ------------------------------------------------------------------------------------
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))." >&2
    echo "setup: set PYTHON=/path/to/python3.11 to choose another interpreter." >&2
    exit 1
fi

# A venv whose interpreter has gone (Python upgraded or removed) is rebuilt rather than patched.
if [[ -d .venv ]] && ! .venv/bin/python -c '' 2>/dev/null; then
    echo "setup: .venv is broken; recreating it"
    rm -rf .venv
fi
if [[ ! -d .venv ]]; then
    echo "setup: creating .venv with $("$python" --version)"
    "$python" -m venv .venv
fi

# The stamp names the hash of pyproject.toml: editing the dependencies triggers a reinstall, and an
# unchanged file skips pip entirely (an editable install picks up code changes by itself).
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
stamp=".venv/.installed-$hash"
if [[ ! -f "$stamp" ]]; then
    echo "setup: installing the project and its test dependencies into .venv (first time takes a minute)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# --- translations ----------------------------------------------------------------------------------
# The catalogues parents read the site in, compiled from locale/*/LC_MESSAGES/django.po.
bash scripts/compile_translations.sh
