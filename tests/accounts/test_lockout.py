"""Lockout after failed sign-ins (django-axes, accounts/lockout.py): 5 for a user name or 20 from one
address in 15 minutes refuse further tries for 15 minutes, on both sign-in pages, with our own page and
the link to choose a new password; the clock is moved, not slept."""

import ipaddress
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "a-test-password"  # tests.factories.UserFactory's
PAUSED = "Signing in is paused"


def sign_in(client, username, password, *, page="login", **extra):
    return client.post(reverse(page), {"username": username, "password": password}, **extra)


def signed_in_as(client) -> str | None:
    return client.session.get(SESSION_KEY)


def fail(client, username, times, *, page="login", **extra):
    responses = [sign_in(client, username, "not-the-password", page=page, **extra) for _ in range(times)]
    return responses[-1] if responses else None


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_the_settings_put_axes_first_and_keep_the_object_permissions():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "rules.permissions.ObjectPermissionBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOCKOUT_ADDRESS_FAILURE_LIMIT == 20
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_four_failures_and_then_the_right_password_signs_in(world, client, clock):
    response = fail(client, "facilitator", 4)
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()

    response = sign_in(client, "facilitator", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(world.user("facilitator").pk)
    # A success forgets that name's failures: four more do not lock it.
    client.logout()
    assert fail(client, "facilitator", 4).status_code == 200
    assert sign_in(client, "facilitator", PASSWORD).status_code == 302


def test_the_fifth_failure_locks_the_name_and_the_right_password_is_refused(world, client, clock):
    fail(client, "facilitator", 4)

    fifth = fail(client, "facilitator", 1)
    sixth = sign_in(client, "facilitator", PASSWORD)

    assert fifth.status_code == 429
    assert sixth.status_code == 429
    assert signed_in_as(client) is None
    page = sixth.content.decode()
    assert PAUSED in page
    assert "Please try again after" in page
    assert "(in about 15 minutes)" in page
    assert int(sixth["Retry-After"]) == 15 * 60
    assert "Account locked" not in page  # not axes' own bare message


def test_the_lockout_page_links_to_choosing_a_new_password(world, client, clock):
    """The reset page is the password reset part's (URL name password_reset)."""
    fail(client, "facilitator", 5)

    page = sign_in(client, "facilitator", PASSWORD).content.decode()

    assert f'href="{reverse("password_reset")}"' in page
    assert "Choose a new password" in page


def test_the_lockout_ends_after_15_minutes_and_the_right_password_then_works(world, client, clock):
    fail(client, "facilitator", 5)

    clock.shift(timedelta(minutes=14, seconds=59))
    assert sign_in(client, "facilitator", PASSWORD).status_code == 429
    clock.shift(timedelta(seconds=2))
    response = sign_in(client, "facilitator", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == str(world.user("facilitator").pk)


def test_tries_during_the_lockout_do_not_make_it_longer(world, client, clock):
    fail(client, "facilitator", 5)
    clock.shift(timedelta(minutes=10))
    fail(client, "facilitator", 3)
    page = sign_in(client, "facilitator", PASSWORD).content.decode()
    assert "(in about 5 minutes)" in page

    clock.shift(timedelta(minutes=5, seconds=1))

    assert sign_in(client, "facilitator", PASSWORD).status_code == 302


def test_failures_more_than_15_minutes_apart_do_not_add_up(world, client, clock):
    fail(client, "facilitator", 4)
    clock.shift(timedelta(minutes=16))

    fail(client, "facilitator", 4)

    assert sign_in(client, "facilitator", PASSWORD).status_code == 302


def test_the_name_is_locked_however_it_is_typed(world, client, clock):
    UserFactory(username="fatima@school.example")
    fail(client, "Fatima@School.example ", 3)
    fail(client, "fatima@school.example", 2)

    assert sign_in(client, "fatima@school.example", PASSWORD).status_code == 429


def test_a_locked_name_does_not_lock_other_people_at_the_same_address(world, client, clock):
    fail(client, "facilitator", 5)

    assert sign_in(Client(), "coordinator", PASSWORD).status_code == 302


def test_a_locked_name_is_locked_from_every_address(world, clock):
    fail(Client(), "facilitator", 5, REMOTE_ADDR="192.0.2.10")

    response = sign_in(Client(), "facilitator", PASSWORD, REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 429


def test_twenty_failures_from_one_address_across_names_lock_that_address(world, client, clock):
    names = [f"guess{n}" for n in range(10)] + ["facilitator", "admin"]
    # 19 failures from one address, never 5 for one name: still open.
    for n in range(19):
        sign_in(client, names[n % len(names)], "wrong")
    assert sign_in(Client(), "coordinator", PASSWORD).status_code == 302

    twentieth = sign_in(client, "someone-else", "wrong")
    artist = sign_in(Client(), "artist", PASSWORD)
    elsewhere = Client()
    from_elsewhere = sign_in(elsewhere, "artist", PASSWORD, REMOTE_ADDR="203.0.113.9")

    assert twentieth.status_code == 429
    assert artist.status_code == 429
    assert PAUSED in artist.content.decode()
    assert from_elsewhere.status_code == 302
    assert signed_in_as(elsewhere) == str(world.user("artist").pk)


def test_an_address_lockout_also_ends_after_15_minutes(world, client, clock):
    for n in range(20):
        sign_in(client, f"guess{n}", "wrong")
    assert sign_in(Client(), "artist", PASSWORD).status_code == 429

    clock.shift(timedelta(minutes=15, seconds=1))

    assert sign_in(Client(), "artist", PASSWORD).status_code == 302


def test_behind_the_proxy_the_address_is_the_last_forwarded_hop(world, settings, clock):
    """The token pages' rule (core.ratelimit.client_address): earlier hops are whatever the client sent,
    so changing them does not escape the count."""
    settings.BEHIND_PROXY = True
    for n in range(20):
        sign_in(Client(), f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7")

    same_proxy_hop = sign_in(Client(), "artist", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")
    another_client = sign_in(Client(), "artist", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")

    assert same_proxy_hop.status_code == 429
    assert another_client.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_without_the_proxy_a_forwarded_header_is_not_believed(world, settings, clock):
    settings.BEHIND_PROXY = False
    for n in range(20):
        sign_in(Client(), f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert sign_in(Client(), "artist", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_ipv6_addresses_count_per_64_block(world, clock):
    for n in range(20):
        sign_in(Client(), f"guess{n}", "wrong", REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")

    same_block = sign_in(Client(), "artist", PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::1")
    other_block = sign_in(Client(), "artist", PASSWORD, REMOTE_ADDR="2001:db8:1:3::1")

    assert same_block.status_code == 429
    assert other_block.status_code == 302


def test_an_ipv6_block_is_kept_as_a_plain_address(world, clock):
    """axes keeps the address in a GenericIPAddressField, an inet column on PostgreSQL that refuses
    "2001:db8:1:2::/64" (every IPv6 sign-in would fail): the block is kept as its first address."""
    fail(Client(), "facilitator", 1, REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    fail(Client(), "coordinator", 1, REMOTE_ADDR="2001:db8:1:2:bbbb:cccc:dddd:eeee")
    fail(Client(), "artist", 1, REMOTE_ADDR="192.0.2.33")

    stored = set(AccessAttempt.objects.values_list("ip_address", flat=True))

    assert stored == {"2001:db8:1:2::", "192.0.2.33"}
    for address in stored:
        ipaddress.ip_address(address)  # raises ValueError for anything but one address
    # The two addresses of one block add up to one count; the README's axes_reset_ip takes the block.
    assert (
        AccessAttempt.objects.filter(ip_address="2001:db8:1:2::").aggregate(n=Sum("failures_since_start"))[
            "n"
        ]
        == 2
    )
    call_command("axes_reset_ip", "2001:db8:1:2::")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.33"}


def test_an_ipv6_sign_in_works_and_an_unreadable_address_is_kept_as_none(world, clock):
    right = sign_in(Client(), "artist", PASSWORD, REMOTE_ADDR="2001:db8:5::7")
    fail(Client(), "facilitator", 1, REMOTE_ADDR="not-an-address")

    assert right.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [None]


def test_the_admin_sign_in_locks_too(world, client, clock):
    fail(client, "admin", 4, page="admin:login")

    fifth = fail(client, "admin", 1, page="admin:login")
    right = sign_in(client, "admin", PASSWORD, page="admin:login")

    assert fifth.status_code == right.status_code == 429
    assert PAUSED in right.content.decode()
    assert signed_in_as(client) is None
    # One count for both pages: the site's sign-in page is refused too.
    assert sign_in(Client(), "admin", PASSWORD).status_code == 429


def test_failures_on_either_page_add_up(world, client, clock):
    fail(client, "admin", 3)
    fail(client, "admin", 2, page="admin:login")

    assert sign_in(client, "admin", PASSWORD, page="admin:login").status_code == 429


def test_an_administrator_unlocks_a_name_in_the_admin(world, client, clock):
    fail(client, "facilitator", 5)
    assert sign_in(client, "facilitator", PASSWORD).status_code == 429
    administrator = Client()
    administrator.force_login(world.user("admin"))
    changelist = reverse("admin:axes_accessattempt_changelist")
    listed = administrator.get(changelist)
    assert listed.status_code == 200
    attempts = list(AccessAttempt.objects.filter(username="facilitator").values_list("pk", flat=True))
    assert attempts

    response = administrator.post(
        changelist, {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="facilitator").exists()
    assert sign_in(client, "facilitator", PASSWORD).status_code == 302


def test_the_access_attempts_are_for_administrators_only(world, client):
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_axes_reset_username_unlocks_a_name(world, client, clock):
    fail(client, "facilitator", 5)
    fail(client, "coordinator", 5)

    call_command("axes_reset_username", "facilitator")

    assert sign_in(client, "facilitator", PASSWORD).status_code == 302
    assert sign_in(Client(), "coordinator", PASSWORD).status_code == 429


def test_a_locked_page_says_nothing_of_whether_the_name_exists(world, clock):
    fail(Client(), "facilitator", 5)
    fail(Client(), "nobody-by-this-name", 5, REMOTE_ADDR="192.0.2.50")

    known = sign_in(Client(), "facilitator", PASSWORD).content.decode()
    unknown = sign_in(Client(), "nobody-by-this-name", PASSWORD, REMOTE_ADDR="192.0.2.50").content.decode()

    assert PAUSED in known
    assert known == unknown


def test_a_failed_sign_in_costs_the_same_queries_however_many_attempts_are_recorded(world, clock):
    def queries_for_one_failure() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert fail(Client(), "facilitator", 1).status_code == 200
        return len(captured.captured_queries)

    fail(Client(), "facilitator", 1)
    few = queries_for_one_failure()
    AccessAttempt.objects.bulk_create(
        AccessAttempt(
            username=f"someone{n}",
            ip_address=f"10.1.{n // 250}.{n % 250}",
            user_agent="bench",
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
            failures_since_start=1,
            attempt_time=timezone.now(),
        )
        for n in range(2000)
    )
    AccessAttempt.objects.filter(username="facilitator").update(failures_since_start=1)

    many = queries_for_one_failure()

    assert many == few
