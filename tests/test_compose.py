"""The production files agree with each other: docker-compose.yml, .env.example, Dockerfile, settings.py.

Plain text and YAML checks, no database: they keep the deployment docs from drifting from the code.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("db", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")

# A variable as settings.py reads it: os.environ.get("NAME"...), os.environ["NAME"], env_bool("NAME"...).
SETTINGS_READ = re.compile(
    r"""(?:environ\.get|environ\[|getenv|env_bool|env_list)\(?\s*["']([A-Z0-9_]+)["']"""
)
# NAME=value in .env.example, also when commented out ("# NAME=default" documents an optional one).
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
# ${NAME}, ${NAME:-default}, ${NAME:?message} interpolated by docker compose.
COMPOSE_VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def settings_source():
    return (ROOT / "bettertogether" / "settings.py").read_text()


def env_example_names():
    return set(ENV_LINE.findall((ROOT / ".env.example").read_text()))


def test_compose_has_the_five_services(compose):
    assert set(SERVICES) <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_healthcheck(compose, name):
    test = compose["services"][name].get("healthcheck", {}).get("test")
    assert test, f"{name} has no healthcheck test"
    assert test != ["NONE"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_db_and_redis(compose, name):
    depends_on = compose["services"][name]["depends_on"]
    for dependency in ("db", "redis"):
        assert depends_on[dependency]["condition"] == "service_healthy", (name, dependency)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_read_env_file_and_point_at_the_bundled_servers(compose, name):
    service = compose["services"][name]
    assert service["env_file"] == ".env"
    environment = service["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["MEDIA_ROOT"] == "/data/media"


def test_every_documented_variable_is_read(compose, settings_source):
    """A name in .env.example is read by settings.py, or interpolated by docker-compose.yml."""
    read_by_settings = set(SETTINGS_READ.findall(settings_source))
    used_by_compose = set(COMPOSE_VAR.findall((ROOT / "docker-compose.yml").read_text()))
    unread = env_example_names() - read_by_settings - used_by_compose
    assert not unread, f".env.example documents variables nothing reads: {sorted(unread)}"


def test_every_variable_settings_reads_is_documented_or_set(compose, settings_source):
    """The other direction: a new os.environ.get() in settings.py needs a line in .env.example
    (or a value from docker-compose.yml / the Dockerfile)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    known = (
        env_example_names()
        | set(compose["x-app"]["environment"])
        | set(re.findall(r"^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]*)=", dockerfile, re.MULTILINE))
    )
    undocumented = set(SETTINGS_READ.findall(settings_source)) - known
    assert not undocumented, (
        f".env.example does not mention variables settings.py reads: {sorted(undocumented)}"
    )


def test_settings_reads_the_core_variables(settings_source):
    # Guards the regex above as much as the settings: if it stopped matching, the drift tests would pass
    # vacuously.
    read = set(SETTINGS_READ.findall(settings_source))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE", "EMAIL_HOST"} <= read


def test_dockerfile_installs_weasyprint_libraries():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim-bookworm" in dockerfile
    for package in ("libharfbuzz-subset0", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-core"):
        assert package in dockerfile, package


def test_production_gunicorn_uses_the_logger_that_scrubs_tokens(compose):
    """The access log of the container never holds a reply link's token (core.privacy.ScrubbingLogger;
    tests/core/test_privacy.py runs it)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    web = compose["services"]["web"]["command"]
    web = " ".join(web) if isinstance(web, list) else web
    for command in (dockerfile, web):
        assert "gunicorn" in command
        assert "--logger-class" in command and "core.privacy.ScrubbingLogger" in command
