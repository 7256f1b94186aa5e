"""Two-factor sign-in in a real browser, on a 360 px phone: a facilitator whose account needs it signs in
with their password, is sent to set it up, sees the QR code and the typed key, types the code an app
would show (computed here from the key on the page), sees the ten recovery codes and reaches the
dashboard; at the next sign-in the code page takes a recovery code. And the lockout page after five wrong
passwords. axe on every page; nothing wider than the phone."""

import re
from base64 import b32decode

from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from .conftest import PHONE, assert_accessible

PASSWORD = "a-test-password"  # tests.factories.UserFactory's


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def sign_in_with_password(page, live_server, username, password=PASSWORD) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_facilitator_sets_up_two_factor_and_reaches_the_dashboard(page, live_server, world, settings):
    settings.TWO_FACTOR_REQUIRED = True
    page.set_viewport_size(PHONE)

    sign_in_with_password(page, live_server, "facilitator")

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.bounding_box()["width"] >= 150
    key = page.locator("#typed-key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{4}", key)
    fits_the_phone(page)
    assert_accessible(page)
    # Any other page sends them back here until it is done.
    page.goto(live_server.url + reverse("events:programme_detail", args=[world.programme.pk]))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()

    code = f"{totp(b32decode(key.replace(' ', ''))):06d}"
    page.get_by_label("Code from the app").fill(code)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", code) for code in codes)
    expect(page.get_by_role("button", name="Print them")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)

    page.get_by_role("link", name="I have kept them: continue").click()

    # Sent on to the page they first asked for, and on from there to anywhere.
    expect(page.get_by_role("heading", name="Better Together in Millbrook")).to_be_visible()
    page.goto(live_server.url + reverse("events:dashboard"))
    expect(page.get_by_role("heading", name="Hello, Fatima")).to_be_visible()

    # The next sign-in asks for a code after the password; a recovery code does.
    page.get_by_role("button", name="Show the menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server, "facilitator")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)
    wrong = f"{(totp(b32decode(key.replace(' ', ''))) + 1) % 1000000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code did not work.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Hello, Fatima")).to_be_visible()
    expect(page.get_by_text("You used a recovery code: 9 are left.")).to_be_visible()

    page.goto(live_server.url + reverse("accounts:two_factor"))
    expect(page.get_by_text("Two-factor sign-in is on for your account.")).to_be_visible()
    expect(page.get_by_text("You have 9 recovery codes left.")).to_be_visible()
    fits_the_phone(page)
    assert_accessible(page)


def test_five_wrong_passwords_show_the_lockout_page(page, live_server, world):
    page.set_viewport_size(PHONE)
    for _ in range(5):
        sign_in_with_password(page, live_server, "coordinator", "not-the-password")

    sign_in_with_password(page, live_server, "coordinator")

    expect(page.get_by_role("heading", name="Signing in is paused")).to_be_visible()
    expect(page.get_by_text("Please try again after")).to_be_visible()
    expect(page.get_by_role("link", name="Choose a new password")).to_have_attribute(
        "href", reverse("password_reset")
    )
    fits_the_phone(page)
    assert_accessible(page)
