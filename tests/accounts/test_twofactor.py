"""Two-factor sign-in (django-otp, accounts/twofactor.py): required for facilitators and administrators
when TWO_FACTOR_REQUIRED is on, optional for coordinators and artists; the setup (QR code, typed key, a
code to confirm, ten recovery codes once); the code after the password; wrong, reused and expired codes;
recovery codes once each; the admin; an administrator's reset. Codes are computed from the device's key
(django_otp.oath.totp) at a clock the tests move."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from tests.factories import UserFactory
from tests.urlmap import ROUTES

PASSWORD = "a-test-password"
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
DASHBOARD = reverse("events:dashboard")


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


@pytest.fixture
def clock():
    # On a step's start, so that "the same step" and "the next step" are where the tests say.
    now = timezone.now()
    start = now.timestamp() - now.timestamp() % 30 + 30
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def set_up(user) -> tuple[TOTPDevice, list[str]]:
    """Two-factor set up for ``user`` through the services, as the setup page does."""
    device = twofactor.start_setup(user=user)
    codes = twofactor.confirm_setup(user=user, device=device, code=code_for(device))
    assert codes is not None
    return device, codes


def password_only(user) -> Client:
    """A browser that has given the user's password on the sign-in page, and nothing more."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session[SESSION_KEY] == str(user.pk)
    return client


def give_code(client, code, next_url=""):
    url = VERIFY + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"code": code})


def verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# --- who must ------------------------------------------------------------------------------------


def test_a_facilitator_must_set_it_up_when_the_setting_is_on(world, required, client):
    client.force_login(world.user("facilitator"))

    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next={DASHBOARD}"
    assert client.get(SETUP).status_code == 200


# What a signed-in session that must set two-factor up may still open.
OPEN_BEFORE_SETUP = {"accounts:two_factor_setup", "logout", "privacy", "accessibility", "healthz"}


def test_no_page_but_the_setup_is_reachable_until_it_is_done(world, required, client):
    client.force_login(world.user("facilitator"))
    checked = 0
    for route in ROUTES:
        if route.name in OPEN_BEFORE_SETUP:
            continue
        url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
        response = getattr(client, route.method)(url)
        assert response.status_code == 302, f"{route.method.upper()} {url}"
        assert response["Location"].startswith(SETUP), f"{route.method.upper()} {url}"
        checked += 1
    assert checked > 100
    # The admin too (not in the URL table).
    assert client.get(reverse("admin:index"))["Location"].startswith(SETUP)
    # Signing out works.
    assert client.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_an_administrator_must_set_it_up_too(world, required, client):
    client.force_login(world.user("admin"))

    assert client.get(reverse("admin:index"))["Location"].startswith(SETUP)
    assert client.get(DASHBOARD)["Location"].startswith(SETUP)


def test_a_coordinator_and_an_artist_are_not_forced(world, required):
    for role in ("coordinator", "artist"):
        client = Client()
        client.force_login(world.user(role))
        assert client.get(DASHBOARD).status_code == 200, role
        assert client.get(reverse("accounts:two_factor")).status_code == 200, role


def test_a_facilitator_named_only_on_a_programme_must_set_it_up_and_may_not_turn_it_off(
    world, required, clock
):
    """Someone on Programme.facilitators runs that programme (its needs sheets, its people) without
    facilitating its neighbourhood: they are a facilitator for two-factor as for inviting colleagues."""
    runner = UserFactory(username="programme-runner")
    world.programme.facilitators.add(runner)
    assert not runner.facilitated_neighbourhoods.exists()
    client = Client()
    client.force_login(runner)

    assert twofactor.is_required(runner)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next={DASHBOARD}"

    device, _codes = set_up(runner)
    clock.shift(timedelta(seconds=30))
    signed_in = password_only(runner)
    assert give_code(signed_in, code_for(device)).status_code == 302
    refused = signed_in.post(reverse("accounts:two_factor_disable"))
    assert refused.status_code == 403
    assert TOTPDevice.objects.filter(user=runner).exists()
    # Taken off the programme, they are like any colleague again.
    world.programme.facilitators.remove(runner)
    assert not twofactor.is_required(runner)
    assert signed_in.post(reverse("accounts:two_factor_disable")).status_code == 302
    assert not TOTPDevice.objects.filter(user=runner).exists()


def test_with_the_setting_off_nobody_is_forced(world, settings, client):
    settings.TWO_FACTOR_REQUIRED = False
    client.force_login(world.user("facilitator"))

    assert client.get(DASHBOARD).status_code == 200


def test_the_setting_follows_secure_by_default():
    from bettertogether.settings import SECURE, TWO_FACTOR_REQUIRED

    assert TWO_FACTOR_REQUIRED == SECURE


# --- setting it up -------------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_typed_key(world, required, client):
    client.force_login(world.user("facilitator"))

    page = client.get(SETUP).content.decode()

    device = TOTPDevice.objects.get(user=world.user("facilitator"))
    assert not device.confirmed
    assert re.search(r'<svg role="img" [^>]*class="qr-code"', page)
    assert "<title>QR code to scan with your authenticator app</title>" in page
    key = re.search(r'<code class="fs-5 typed-key" id="typed-key">([A-Z2-7 ]+)</code>', page).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{4}", key)
    assert b32decode(key.replace(" ", "")) == device.bin_key
    assert "data:" not in page
    assert "style=" not in page
    # Opening the page again shows the same key (a QR code already scanned stays right).
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=world.user("facilitator")).count() == 1


def dark_path(svg: str) -> str:
    """The drawing of the dark modules (segno draws the light background as a path of its own first)."""
    return re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)


def test_the_qr_code_is_the_device_address(world):
    import zxingcpp
    from PIL import Image

    device = twofactor.start_setup(user=world.user("facilitator"))
    svg = twofactor.qr_code_svg(device, title="QR")
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    # Draw the SVG's one path (horizontal runs of dark modules) to read it back as a phone would.
    image = Image.new("L", (size, size), 255)
    pixels = image.load()
    scale = 4
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", dark_path(svg)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for dx in range(int(float(a))):
                for py in range(int((y - 0.5) * scale), int((y + 0.5) * scale)):
                    for px in range(int((x + dx) * scale), int((x + dx + 1) * scale)):
                        pixels[px, py] = 0
            x += float(a)

    decoded = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)

    assert [result.text for result in decoded] == [device.config_url]
    assert device.config_url.startswith("otpauth://totp/Better%20Together%3Afacilitator?secret=")


def test_a_wrong_code_at_setup_is_refused(world, required, client, clock):
    client.force_login(world.user("facilitator"))
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=world.user("facilitator"))
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1000000:06d}"

    response = client.post(SETUP, {"code": wrong})

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=world.user("facilitator")).exists()
    assert not verified(client)
    assert client.get(DASHBOARD)["Location"].startswith(SETUP)


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x", "9" * 200])
def test_a_malformed_code_at_setup_is_refused(world, required, client, typed):
    client.force_login(world.user("facilitator"))
    client.get(SETUP)

    response = client.post(SETUP, {"code": typed})

    assert response.status_code == 200
    assert not TOTPDevice.objects.get(user=world.user("facilitator")).confirmed


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(world, required, client, clock):
    facilitator = world.user("facilitator")
    client.force_login(facilitator)
    client.get(f"{SETUP}?next={reverse('events:programme_detail', args=[world.programme.pk])}")
    device = TOTPDevice.objects.get(user=facilitator)
    setup_url = f"{SETUP}?next={reverse('events:programme_detail', args=[world.programme.pk])}"

    response = client.post(setup_url, {"code": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_codes")
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(reverse("accounts:two_factor_codes")).content.decode()
    shown = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)
    assert len(shown) == 10 == len(set(shown))
    stored = set(StaticToken.objects.filter(device__user=facilitator).values_list("token", flat=True))
    assert {code.replace("-", "") for code in shown} == stored
    assert f'href="{reverse("events:programme_detail", args=[world.programme.pk])}"' in page
    # Shown once only.
    again = client.get(reverse("accounts:two_factor_codes"))
    assert again.status_code == 302
    overview = client.get(again["Location"]).content.decode()
    assert "Recovery codes are shown only once." in overview
    assert not [code for code in shown if code in overview]
    # This session gave the code: it is fully signed in.
    assert verified(client)
    assert client.get(DASHBOARD).status_code == 200


def test_a_typed_code_with_spaces_is_accepted(world, required, client, clock):
    client.force_login(world.user("facilitator"))
    client.get(SETUP)
    code = code_for(TOTPDevice.objects.get(user=world.user("facilitator")))

    response = client.post(SETUP, {"code": f" {code[:3]} {code[3:]} "})

    assert response.status_code == 302


def test_the_setup_code_cannot_be_used_again_to_sign_in(world, required, clock):
    facilitator = world.user("facilitator")
    device = twofactor.start_setup(user=facilitator)
    code = code_for(device)
    assert twofactor.confirm_setup(user=facilitator, device=device, code=code)
    client = password_only(facilitator)

    response = give_code(client, code)

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not verified(client)


def test_setting_up_a_new_phone_needs_a_verified_session(world, clock):
    """Someone with two-factor cannot set up another app from a session that has given only the password."""
    coordinator = world.user("coordinator")
    set_up(coordinator)
    client = password_only(coordinator)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_a_new_phone_replaces_the_old_one(world, clock):
    coordinator = world.user("coordinator")
    old, old_codes = set_up(coordinator)
    client = password_only(coordinator)
    clock.shift(timedelta(seconds=30))
    assert give_code(client, code_for(old)).status_code == 302
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=coordinator, confirmed=False)

    assert client.post(SETUP, {"code": code_for(new)}).status_code == 302

    assert list(TOTPDevice.objects.filter(user=coordinator)) == [new]
    assert not StaticToken.objects.filter(token__in=old_codes).exists()


# --- signing in: password, then the code -------------------------------------------------------------


def test_signing_in_asks_for_the_code_after_the_password(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    programme = reverse("events:programme_detail", args=[world.programme.pk])
    client = Client()

    response = client.post(
        reverse("login"), {"username": "facilitator", "password": PASSWORD, "next": programme}
    )
    assert response["Location"] == programme
    response = client.get(programme)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={programme}"
    assert "Enter your code" in client.get(response["Location"]).content.decode()

    response = client.post(response["Location"], {"code": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == programme
    assert verified(client)
    assert client.get(programme).status_code == 200


def test_an_unverified_session_reaches_only_the_code_page(world, required, clock):
    facilitator = world.user("facilitator")
    set_up(facilitator)
    client = password_only(facilitator)
    open_pages = {"accounts:two_factor_verify", "logout", "privacy", "accessibility", "healthz"}

    for route in ROUTES:
        if route.name in open_pages:
            continue
        url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
        response = getattr(client, route.method)(url)
        assert response.status_code == 302, f"{route.method.upper()} {url}"
        assert response["Location"].startswith(VERIFY), f"{route.method.upper()} {url}"


def test_a_coordinator_who_turned_it_on_is_asked_for_the_code_too(world, settings, clock):
    settings.TWO_FACTOR_REQUIRED = False
    coordinator = world.user("coordinator")
    device, _codes = set_up(coordinator)
    clock.shift(timedelta(seconds=30))
    client = password_only(coordinator)

    assert client.get(DASHBOARD)["Location"].startswith(VERIFY)
    assert give_code(client, code_for(device)).status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_a_wrong_code_is_refused(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    client = password_only(facilitator)
    right = code_for(device)

    response = give_code(client, f"{(int(right) + 1) % 1000000:06d}")

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not verified(client)
    assert client.get(DASHBOARD)["Location"].startswith(VERIFY)


def test_the_same_code_twice_is_refused(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    code = code_for(device)
    first = password_only(facilitator)
    assert give_code(first, code).status_code == 302
    assert verified(first)

    second = password_only(facilitator)
    response = give_code(second, code)

    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not verified(second)
    # The next step's code works.
    clock.shift(timedelta(seconds=30))
    assert give_code(second, code_for(device)).status_code == 302


def test_an_old_code_is_refused(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    client = password_only(facilitator)
    code = code_for(device)

    clock.shift(timedelta(minutes=2))
    response = give_code(client, code)

    assert response.status_code == 200
    assert not verified(client)


def test_the_code_of_the_step_just_gone_still_works(world, required, clock):
    """One 30-second step of leeway either side, for a code typed as it changed."""
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=60))
    client = password_only(facilitator)
    code = code_for(device)

    clock.shift(timedelta(seconds=30))

    assert give_code(client, code).status_code == 302


def test_after_a_wrong_code_the_next_try_must_wait(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    client = password_only(facilitator)
    give_code(client, "000000" if code_for(device) != "000000" else "111111")

    too_soon = give_code(client, code_for(device))

    assert too_soon.status_code == 200
    assert "Please wait 1 second and try again." in too_soon.content.decode()
    clock.shift(timedelta(seconds=2))
    assert give_code(client, code_for(device)).status_code == 302


def test_a_code_from_someone_elses_app_is_refused(world, required, clock):
    facilitator = world.user("facilitator")
    set_up(facilitator)
    other, _ = set_up(world.user("other_facilitator"))
    clock.shift(timedelta(seconds=30))
    client = password_only(facilitator)

    assert give_code(client, code_for(other)).status_code == 200
    assert not verified(client)


def test_a_recovery_code_works_once(world, required, clock):
    facilitator = world.user("facilitator")
    _device, codes = set_up(facilitator)
    client = password_only(facilitator)

    response = give_code(client, f"{codes[3][:4]}-{codes[3][4:].upper()}", next_url=DASHBOARD)

    assert response.status_code == 302
    assert verified(client)
    page = client.get(DASHBOARD).content.decode()
    assert "You used a recovery code: 9 are left." in page
    again = password_only(facilitator)
    clock.shift(timedelta(seconds=5))
    refused = give_code(again, codes[3])
    assert refused.status_code == 200
    assert "That code did not work" in refused.content.decode()
    assert not verified(again)
    clock.shift(timedelta(seconds=5))
    assert give_code(again, codes[4]).status_code == 302


def test_the_code_page_refuses_nonsense(world, required, clock):
    facilitator = world.user("facilitator")
    set_up(facilitator)
    client = password_only(facilitator)

    for typed in ["", " ", "x" * 200, "<script>", "12345"]:
        clock.shift(timedelta(minutes=10))
        response = give_code(client, typed)
        assert response.status_code == 200, typed
        assert not verified(client)


def test_the_code_page_goes_only_to_pages_of_this_site(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    client = password_only(facilitator)

    response = give_code(client, code_for(device), next_url="https://evil.example/")

    assert response["Location"] == DASHBOARD


def test_new_recovery_codes_replace_the_old_ones(world, required, clock):
    facilitator = world.user("facilitator")
    device, old_codes = set_up(facilitator)
    client = Client()
    client.force_login(facilitator)
    clock.shift(timedelta(seconds=30))
    assert give_code(client, code_for(device)).status_code == 302

    response = client.post(reverse("accounts:two_factor_new_codes"))

    assert response["Location"] == reverse("accounts:two_factor_codes")
    page = client.get(response["Location"]).content.decode()
    new_codes = [
        code.replace("-", "") for code in re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page)
    ]
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert set(StaticToken.objects.filter(device__user=facilitator).values_list("token", flat=True)) == set(
        new_codes
    )


def test_a_coordinator_may_turn_it_off_but_a_facilitator_may_not(world, required, clock):
    coordinator, facilitator = world.user("coordinator"), world.user("facilitator")
    for user in (coordinator, facilitator):
        device, _codes = set_up(user)
    clock.shift(timedelta(seconds=30))
    clients = {}
    for user in (coordinator, facilitator):
        clients[user.username] = password_only(user)
        assert (
            give_code(clients[user.username], code_for(TOTPDevice.objects.get(user=user))).status_code == 302
        )

    refused = clients["facilitator"].post(reverse("accounts:two_factor_disable"))
    allowed = clients["coordinator"].post(reverse("accounts:two_factor_disable"))

    assert refused.status_code == 403
    assert TOTPDevice.objects.filter(user=facilitator).exists()
    assert allowed.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert password_only(coordinator).get(DASHBOARD).status_code == 200


# --- the admin ----------------------------------------------------------------------------------------


def test_the_admin_needs_the_verified_session(world, required, clock):
    administrator = world.user("admin")
    device, _codes = set_up(administrator)
    clock.shift(timedelta(seconds=30))
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": "admin", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"

    response = client.get("/admin/")

    assert response["Location"] == f"{VERIFY}?next=/admin/"
    assert client.get(reverse("admin:auth_user_changelist"))["Location"].startswith(VERIFY)
    assert give_code(client, code_for(device), next_url="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_checks_the_second_factor_itself(world, required, settings, clock):
    """Even without the middleware, the admin site refuses an administrator who has not given a code."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "accounts.twofactor.TwoFactorMiddleware"]
    administrator = world.user("admin")
    client = Client()
    client.force_login(administrator)
    response = client.get("/admin/")
    assert response.status_code == 302  # must set two-factor up first
    assert response["Location"].startswith(reverse("admin:login"))

    device, _codes = set_up(administrator)
    clock.shift(timedelta(seconds=30))
    password = password_only(administrator)
    assert password.get("/admin/")["Location"].startswith(reverse("admin:login"))
    assert give_code(password, code_for(device)).status_code == 302
    assert password.get("/admin/").status_code == 200


def test_an_administrator_resets_a_lost_phone(world, required, clock):
    facilitator = world.user("facilitator")
    device, _codes = set_up(facilitator)
    clock.shift(timedelta(seconds=30))
    lost = password_only(facilitator)
    assert give_code(lost, code_for(device)).status_code == 302
    assert lost.get(DASHBOARD).status_code == 200
    administrator = world.user("admin")
    admin_device, _ = set_up(administrator)
    clock.shift(timedelta(seconds=30))
    admin_client = password_only(administrator)
    assert give_code(admin_client, code_for(admin_device)).status_code == 302

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [facilitator.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=facilitator).exists()
    assert not StaticDevice.objects.filter(user=facilitator).exists()
    assert TOTPDevice.objects.filter(user=administrator).exists()
    # The session verified with the old phone is no longer: a facilitator must set it up again.
    assert lost.get(DASHBOARD)["Location"].startswith(SETUP)
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(
        object_id=str(facilitator.pk), change_message="Reset two-factor sign-in."
    ).exists()


def staff_who_may(*codenames):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="staff-" + "-".join(codenames), is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename__in=codenames)
    )
    return user


def verified_client(user, clock) -> Client:
    """A browser signed in as ``user`` with their password and a code from their (new) app."""
    device, _codes = set_up(user)
    clock.shift(timedelta(seconds=30))
    client = password_only(user)
    assert give_code(client, code_for(device)).status_code == 302
    return client


def reset_in_admin(client, *users):
    return client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [user.pk for user in users]},
    )


def test_staff_who_may_only_view_users_cannot_reset_anyone(world, clock):
    viewer = staff_who_may("view_user")
    administrator, facilitator = world.user("admin"), world.user("facilitator")
    set_up(administrator)
    set_up(facilitator)
    client = verified_client(viewer, clock)

    changelist = client.get(reverse("admin:auth_user_changelist"))
    response = reset_in_admin(client, administrator, facilitator)

    assert changelist.status_code == 200
    assert "reset_two_factor" not in changelist.content.decode()
    assert response.status_code in (200, 302)
    assert TOTPDevice.objects.filter(user=administrator).exists()
    assert TOTPDevice.objects.filter(user=facilitator).exists()
    assert StaticDevice.objects.filter(user=administrator).exists()


def test_staff_who_may_change_users_cannot_reset_a_superuser_nor_themselves(world, clock):
    changer = staff_who_may("view_user", "change_user")
    administrator, facilitator = world.user("admin"), world.user("facilitator")
    set_up(administrator)
    set_up(facilitator)
    client = verified_client(changer, clock)

    response = reset_in_admin(client, administrator, facilitator, changer)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=facilitator).exists()
    assert TOTPDevice.objects.filter(user=administrator).exists()
    assert StaticDevice.objects.filter(user=administrator).exists()
    assert TOTPDevice.objects.filter(user=changer).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Two-factor sign-in reset for 1 user(s)." in page
    assert "only a superuser may reset a superuser" in page and "admin" in page
    assert "Your own two-factor sign-in was not reset" in page
    from django.contrib.admin.models import LogEntry

    assert set(
        LogEntry.objects.filter(change_message="Reset two-factor sign-in.").values_list(
            "object_id", flat=True
        )
    ) == {str(facilitator.pk)}


def test_a_superuser_may_reset_another_superuser_but_not_themselves(world, clock):
    administrator = world.user("admin")
    other = UserFactory(username="other-admin", is_staff=True, is_superuser=True)
    set_up(other)
    client = verified_client(administrator, clock)

    assert reset_in_admin(client, other, administrator).status_code == 302

    assert not TOTPDevice.objects.filter(user=other).exists()
    assert TOTPDevice.objects.filter(user=administrator).exists()
    # Their own session is still verified: the admin stays open to them.
    assert client.get(reverse("admin:index")).status_code == 200


# --- cost --------------------------------------------------------------------------------------------


def test_an_unfinished_sign_in_costs_the_same_queries_however_many_people_use_two_factor(
    world, required, clock
):
    facilitator = world.user("facilitator")
    set_up(facilitator)
    client = password_only(facilitator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 302
        return len(captured.captured_queries)

    few = queries()
    for n in range(30):
        set_up(UserFactory(username=f"colleague{n}"))
    many = queries()

    assert many == few
