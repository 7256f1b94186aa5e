#!/usr/bin/env bash
# `make test`: ruff and mypy, then the whole pytest suite twice: on SQLite (the embedded default) and on a
# throwaway PostgreSQL cluster (what production runs), the browser tests on SQLite only. Arguments go to
# both pytest runs:
#   scripts/test.sh -k outbox -x
# Exits non-zero if ruff, mypy or either run fails; "no tests collected" (pytest's exit 5) counts as failure.
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh test

export PATH="$PWD/.venv/bin:$PATH"
export PYTHONUNBUFFERED=1

# Everything the runs write (SQLite files, the broker folder, mail, media, the secret key) goes to a
# temporary VAR_DIR, so tests never touch the developer's var/. The PostgreSQL cluster gets its own
# directory because, when we are root, it has to belong to the postgres user.
work="$(mktemp -d -t bettertogether-test.XXXXXX)"
pg_dir=""
pg_bin=""
as_postgres=()

cleanup() {
    if [[ -n "$pg_dir" && -f "$pg_dir/data/postmaster.pid" ]]; then
        # immediate: no checkpoint, the data is thrown away anyway.
        "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [[ -z "$pg_dir" ]] || rm -rf "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failures=()

echo "=== ruff check"
ruff check . || failures+=("ruff")

echo "=== mypy"
# The Django plugin imports the settings (which create VAR_DIR): the run's own temporary folder.
VAR_DIR="$work/mypy" mypy || failures+=("mypy")

echo "=== import-linter"
VAR_DIR="$work/mypy" lint-imports || failures+=("import-linter")

echo "=== pytest on SQLite"
sqlite_status=0
VAR_DIR="$work/sqlite" pytest "$@" || sqlite_status=$?
((sqlite_status == 0)) || failures+=("pytest on SQLite (exit $sqlite_status)")

echo "=== pytest on PostgreSQL"
start_postgres() {
    # The newest installed server, e.g. /usr/lib/postgresql/15/bin.
    pg_bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
        echo "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)." >&2
        return 1
    fi
    pg_dir="$(mktemp -d -t bettertogether-pg.XXXXXX)"
    if [[ $EUID -eq 0 ]]; then
        # initdb and postgres refuse to run as root: run them as the postgres user the package created.
        chown postgres: "$pg_dir"
        as_postgres=(runuser -u postgres --)
    fi
    local port
    port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # trust on loopback is fine for a cluster that lives for one test run; bt becomes its superuser
    # (pytest-django needs to create the test database). --no-sync and -F (fsync off): nothing to keep.
    "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U bt --no-sync -E UTF8 --locale=C \
        >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; return 1; }
    # -k puts the Unix socket in our directory, not /var/run/postgresql (which may be absent or not ours).
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
        -o "-h 127.0.0.1 -p $port -k $pg_dir -F" start >/dev/null ||
        { cat "$pg_dir/server.log" >&2; return 1; }
    pg_url="postgres://bt@127.0.0.1:$port/postgres"
    echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

pg_status=0
if start_postgres; then
    # The browser tests drive pages one request at a time and check what the pages show: nothing in them
    # depends on the database (locking, races, constraints and case rules are tested without a browser,
    # on both), so they run once, on SQLite.
    DATABASE_URL="$pg_url" VAR_DIR="$work/postgres" pytest -m "not browser" "$@" || pg_status=$?
else
    pg_status=1
fi
((pg_status == 0)) || failures+=("pytest on PostgreSQL (exit $pg_status)")

if ((${#failures[@]})); then
    echo "=== FAILED: ${failures[*]}" >&2
    exit 1
fi
echo "=== all checks passed (ruff, mypy, SQLite, PostgreSQL)"
