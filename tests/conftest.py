"""Shared fixtures. ``world`` builds one neighbourhood with every kind of user around one programme."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import Neighbourhood, Organisation, Programme, Session, Venue

from .factories import NeighbourhoodFactory, OrganisationFactory, SchoolFactory, UserFactory, VenueFactory
from .smtp import start_sink

ROLES = [
    "anonymous",
    "other_facilitator",
    "facilitator",
    "other_coordinator",
    "coordinator",
    "artist",
    "admin",
]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run without collectstatic, so no manifest of hashed names exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # An empty cache of its own for each test: rate-limit counts never carry over between tests, nor
    # between test runs sharing var/cache.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on loopback, with the site's mail settings pointed at it."""
    controller, sink = start_sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


@dataclass
class World:
    neighbourhood: Neighbourhood
    other_neighbourhood: Neighbourhood
    school: Organisation
    other_school: Organisation
    group: Organisation
    venue: Venue
    programme: Programme
    users: dict

    @property
    def session(self) -> Session:
        return self.programme.sessions.order_by("order").first()

    def user(self, role: str):
        return self.users.get(role)


@pytest.fixture
def world(db) -> World:
    neighbourhood = NeighbourhoodFactory(name="Millbrook")
    other_neighbourhood = NeighbourhoodFactory(name="Elsewhere")
    users = {
        "facilitator": UserFactory(username="facilitator", first_name="Fatima"),
        "other_facilitator": UserFactory(username="other_facilitator"),
        "coordinator": UserFactory(username="coordinator"),
        "other_coordinator": UserFactory(username="other_coordinator"),
        "artist": UserFactory(username="artist"),
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
    }
    neighbourhood.facilitators.add(users["facilitator"])
    other_neighbourhood.facilitators.add(users["other_facilitator"])
    school = SchoolFactory(neighbourhood=neighbourhood, name="Millbrook Primary")
    other_school = SchoolFactory(neighbourhood=neighbourhood, name="St Anne's Primary")
    school.coordinators.add(users["coordinator"])
    other_school.coordinators.add(users["other_coordinator"])
    group = OrganisationFactory(neighbourhood=neighbourhood, name="Tenants' Association")
    venue = VenueFactory(neighbourhood=neighbourhood)
    programme = services.create_programme(
        neighbourhood=neighbourhood,
        title="Better Together in Millbrook",
        key_question="What would help every child here thrive?",
        first_date=timezone.localdate() + timedelta(days=35),
        venue=venue,
        schools=[school],
        created_by=users["facilitator"],
    )
    programme.sessions.get(order=1).artists.add(users["artist"])
    return World(
        neighbourhood=neighbourhood,
        other_neighbourhood=other_neighbourhood,
        school=school,
        other_school=other_school,
        group=group,
        venue=venue,
        programme=programme,
        users=users,
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``sqlite`` are about SQLite itself (its single writer's lock): on another database
    they are deselected, and pytest's summary counts them as such."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    left_out = [item for item in items if item.get_closest_marker("sqlite")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("sqlite")]
