"""Settings come from the environment; these run manage.py in a child process with a clean environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def print_setting(name: str, env: dict[str, str]) -> str:
    result = run_manage(
        "shell", "-v", "0", "-c", f"from django.conf import settings; print(settings.{name})", env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "bettertogether.example.org",
        "SECURE": "1",
        "BEHIND_PROXY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6399/0",
        "EMAIL_HOST": "smtp.example.org",
    }

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_without_the_secure_flag(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "example.org"}

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr


def test_secret_key_is_generated_once_into_var(tmp_path):
    env = {"VAR_DIR": str(tmp_path)}

    first = print_setting("SECRET_KEY", env)
    second = print_setting("SECRET_KEY", env)

    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_debug_is_off_unless_asked_for(tmp_path):
    assert print_setting("DEBUG", {"VAR_DIR": str(tmp_path)}) == "False"
    assert print_setting("DEBUG", {"VAR_DIR": str(tmp_path), "DEBUG": "1"}) == "True"


def test_embedded_defaults_need_no_servers(tmp_path):
    env = {"VAR_DIR": str(tmp_path)}

    assert print_setting("DATABASES['default']['ENGINE']", env) == "django.db.backends.sqlite3"
    assert print_setting("CELERY_BROKER_URL", env) == "filesystem://"
    assert print_setting("EMAIL_BACKEND", env) == "core.mailbox.MailboxBackend"
    assert print_setting("TIME_ZONE", env) == "Europe/London"


def test_production_uses_postgres_and_redis(tmp_path):
    env = {
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://bt:secret@db:5432/bettertogether",
        "REDIS_URL": "redis://redis:6379/0",
    }

    assert print_setting("DATABASES['default']['ENGINE']", env) == "django.db.backends.postgresql"
    assert print_setting("CELERY_BROKER_URL", env) == "redis://redis:6379/0"
    assert print_setting("CACHES['default']['BACKEND']", env) == "django.core.cache.backends.redis.RedisCache"


def test_a_dead_workers_message_goes_again_within_three_minutes(tmp_path):
    """A row left "sending" by a killed worker is put back after OUTBOX_STUCK_AFTER_SECONDS and sent by
    the next dispatcher run; one send (EMAIL_TIMEOUT) must fit well inside that, or a live worker's row
    could be taken from it and sent twice."""
    env = {"VAR_DIR": str(tmp_path), "EMAIL_HOST": "smtp.example.org"}
    stuck = int(print_setting("OUTBOX_STUCK_AFTER_SECONDS", env))
    every = int(print_setting("OUTBOX_DISPATCH_EVERY_SECONDS", env))
    timeout = int(print_setting("EMAIL_TIMEOUT", env))

    assert stuck + every <= 180
    assert timeout * 3 <= stuck
