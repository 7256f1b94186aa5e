#!/usr/bin/env bash
# `make run`: the whole site on this machine with nothing installed by hand. SQLite, the filesystem
# Celery broker and mail-as-files all live under var/ (see bettertogether/settings.py). Starts a Celery
# worker with embedded beat in the background and Django's development server in the foreground;
# Ctrl-C stops both.
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/setup.sh run

export PATH="$PWD/.venv/bin:$PATH"
export DEBUG=1
var_dir="${VAR_DIR:-$PWD/var}"
mkdir -p "$var_dir/log"
worker_log="$var_dir/log/worker.log"

python manage.py migrate --noinput
python manage.py seed_demo

worker_pid=""
stop_worker() {
    [[ -n "$worker_pid" ]] || return 0
    if kill -0 "$worker_pid" 2>/dev/null; then
        echo "Stopping the worker (pid $worker_pid)..."
        # TERM is Celery's warm shutdown: it finishes the task in hand, then stops its pool and beat.
        kill -TERM "$worker_pid" 2>/dev/null || true
        for _ in $(seq 1 20); do
            kill -0 "$worker_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$worker_pid" 2>/dev/null || true
    fi
    wait "$worker_pid" 2>/dev/null || true
    worker_pid=""
}
# EXIT covers every way out; INT/TERM exit explicitly so that the EXIT trap runs exactly once.
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --beat embeds the scheduler in the worker: fine for one process on one machine (production runs
# beat as its own service). The schedule file sits under var/ with everything else.
celery -A bettertogether worker --beat --loglevel=INFO \
    --schedule "$var_dir/celerybeat-schedule" --concurrency 2 \
    >>"$worker_log" 2>&1 &
worker_pid=$!

echo
echo "Better Together is running at http://127.0.0.1:8000/  (Ctrl-C to stop)"
echo "The Celery worker and scheduler log to $worker_log"
echo

# Not exec: the shell must stay alive for the trap that stops the worker.
python manage.py runserver 127.0.0.1:8000
