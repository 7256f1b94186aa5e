"""Staff sessions (accounts/sessions.py, accounts.views.SignInView): signed out after SESSION_IDLE_HOURS
without a request, a shared computer's session ends when the browser closes, and a password change signs
out every other session of the account."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session as StoredSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import REFRESH_EVERY

PASSWORD = "a-test-password"  # tests.factories.UserFactory's
NEW_PASSWORD = "a-quiet-morning-by-the-canal"
HOME = reverse("events:dashboard")


def sign_in(client, username="facilitator", **extra):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def signed_in(client) -> bool:
    response = client.get(HOME)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return False


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_the_idle_limit_is_a_setting_of_eight_hours_by_default():
    assert settings.SESSION_IDLE_HOURS == 8
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    middleware = settings.MIDDLEWARE
    assert middleware.index("accounts.sessions.IdleTimeoutMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )


def test_eight_hours_without_a_request_signs_out(client, world, clock):
    sign_in(client)

    clock.shift(timedelta(hours=8, minutes=1))

    assert not signed_in(client)


def test_a_session_in_use_stays_signed_in_past_eight_hours(client, world, clock):
    sign_in(client)
    for _ in range(4):  # a working day and more, with a page every seven hours
        clock.shift(timedelta(hours=7))
        assert signed_in(client)

    clock.shift(timedelta(hours=8, minutes=1))
    assert not signed_in(client)


def test_the_cookie_lasts_as_long_as_the_idle_limit(client, world):
    response = sign_in(client)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600
    assert not client.session.get_expire_at_browser_close()


def test_pages_in_quick_succession_do_not_write_the_session_each_time(client, world, clock):
    sign_in(client)
    stored = StoredSession.objects.get()

    with CaptureQueriesContext(connection) as first:
        client.get(HOME)
    clock.shift(timedelta(seconds=REFRESH_EVERY - 1))
    with CaptureQueriesContext(connection) as second:
        client.get(HOME)

    writes = [
        q["sql"]
        for q in first.captured_queries + second.captured_queries
        if "UPDATE" in q["sql"] and "django_session" in q["sql"]
    ]
    assert writes == []
    assert StoredSession.objects.get().expire_date == stored.expire_date

    clock.shift(timedelta(seconds=2))
    client.get(HOME)
    assert StoredSession.objects.get().expire_date > stored.expire_date


def test_the_shared_computer_box_ends_the_session_with_the_browser(client, world):
    response = sign_in(client, shared_computer="on")

    assert client.session.get_expire_at_browser_close()
    morsel = response.cookies[settings.SESSION_COOKIE_NAME]
    assert morsel["max-age"] == "" and morsel["expires"] == ""
    assert signed_in(client)


def test_the_sign_in_page_offers_the_box(client, db):
    html = client.get(reverse("login")).content.decode()

    assert "This is a shared computer" in html and 'name="shared_computer"' in html


def test_a_shared_computers_session_also_ends_after_eight_idle_hours(client, world, clock):
    sign_in(client, shared_computer="on")

    clock.shift(timedelta(hours=8, minutes=1))

    assert not signed_in(client)


def test_a_wrong_password_with_the_box_ticked_signs_nobody_in(client, world):
    response = client.post(
        reverse("login"), {"username": "facilitator", "password": "wrong", "shared_computer": "on"}
    )

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_changing_the_password_signs_out_every_other_session(world):
    here, elsewhere = Client(), Client()
    sign_in(here)
    sign_in(elsewhere)

    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert signed_in(here)
    assert not signed_in(elsewhere)
    world.user("facilitator").refresh_from_db()
    assert world.user("facilitator").check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(world):
    here, elsewhere = Client(), Client()
    sign_in(here)
    sign_in(elsewhere)

    response = here.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert signed_in(elsewhere)
    assert world.user("facilitator").check_password(PASSWORD)
