"""The issue's browser test for inviting a colleague: the facilitator invites a new school coordinator; the
coordinator opens the real email (caught by the SMTP sink), chooses a password, is signed in and sees their
school. Then the same link again, and a late one: the pages that say so. axe on every page on the way."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import StaffInvitation
from core import outbox
from tests.accounts.helpers import LINK, RESET_LINK

from .conftest import PHONE, assert_accessible, sign_in

PASSWORD = "a-long-walk-to-the-park"


def link_from(email, live_server, pattern=LINK) -> str:
    text = email.get_body(("plain",)).get_content()
    found = pattern.search(text)
    assert found, text
    assert found.group(0).startswith(settings.SITE_URL + "/")
    return live_server.url + found.group(1)


def test_facilitator_invites_a_coordinator_who_sets_a_password_and_sees_their_school(
    browser, live_server, world, smtp_sink
):
    # The facilitator, at the office.
    page = browser.new_context().new_page()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("accounts:invitations"))
    expect(page.get_by_role("heading", name="Colleagues")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Invite a colleague").click()
    expect(page.get_by_role("heading", name="Invite a colleague")).to_be_visible()
    assert_accessible(page)

    # First without a school: refused beside the field, accessibly.
    page.get_by_label("Their name").fill("Grace Obi")
    page.get_by_label("Their email address").fill("grace.obi@example.org")
    page.get_by_label("School coordinator").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Choose the school they coordinate for.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("School", exact=True).select_option(label="Millbrook Primary")
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.locator(".alert-success")).to_contain_text("We are emailing Grace Obi an invitation.")
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text("Grace Obi")
    expect(waiting).to_contain_text("School coordinator for Millbrook Primary")
    assert_accessible(page)

    # The email, sent by the outbox.
    assert outbox.dispatch_due().sent == 1
    [email] = smtp_sink.to("grace.obi@example.org")
    link = link_from(email, live_server)

    # The coordinator, on a phone, signed out.
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Welcome, Grace Obi")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(phone)
    phone.get_by_label("Choose a password").fill(PASSWORD)
    phone.get_by_label("The same password again").fill("not the same")
    phone.get_by_role("button", name="Save my password and sign in").click()
    expect(phone.get_by_text("The two password fields didn’t match.")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_label("Choose a password").fill(PASSWORD)
    phone.get_by_label("The same password again").fill(PASSWORD)
    phone.get_by_role("button", name="Save my password and sign in").click()

    expect(phone.get_by_role("heading", name="Hello, Grace")).to_be_visible()
    expect(phone.locator(".alert-success")).to_contain_text(
        "You are now a school coordinator for Millbrook Primary."
    )
    programmes = phone.get_by_role("region", name="Your programmes")
    programmes.get_by_role("link", name=world.programme.title).click()
    expect(phone.get_by_text("Schools: Millbrook Primary")).to_be_visible()
    phone.get_by_role("link", name="The invitation list").click()
    expect(phone.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    phone.context.close()

    # The same link again, from another browser: used.
    again = browser.new_context().new_page()
    response = again.goto(link)
    assert response.status == 410
    expect(again.get_by_role("heading", name="This link has been used")).to_be_visible()
    assert_accessible(again)

    # The facilitator's list: nobody waiting, Grace among the coordinators.
    page.reload()
    expect(page.locator("#waiting")).to_contain_text("Everyone you invited has accepted.")
    expect(page.locator("#coordinators")).to_contain_text("Grace Obi")


def test_a_late_link_says_who_to_ask_and_a_signed_in_colleague_is_asked_to_sign_out(
    browser, live_server, world, smtp_sink
):
    from tests.accounts.helpers import invite

    invitation = invite(world)
    assert outbox.dispatch_due().sent == 1
    link = link_from(smtp_sink.to("grace.obi@example.org")[0], live_server)

    # Someone else signed in on this computer.
    page = browser.new_context().new_page()
    sign_in(page, live_server, world.user("artist"))
    assert page.goto(link).status == 403
    expect(page.get_by_role("heading", name="Sign out first")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").last.click()
    expect(page.get_by_role("heading", name="Welcome, Grace Obi")).to_be_visible()

    # Eight days on.
    StaffInvitation.objects.filter(pk=invitation.pk).update(
        link_made_at=invitation.created_at - timedelta(days=8)
    )
    assert page.goto(link).status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    expect(
        page.get_by_text(f"Please ask {world.user('facilitator').get_full_name()} for a new one")
    ).to_be_visible()
    assert_accessible(page)


def test_a_forgotten_password_from_the_sign_in_page_to_a_new_one(
    browser, live_server, world, smtp_sink, settings
):
    # The request only enqueues the worker's task (accounts.send_password_reset); run eagerly here, it
    # queues the email and the outbox's quick send sends it, on commit, before the next page shows.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + reverse("login"))
    assert_accessible(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Forgotten your password?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email").fill(world.user("coordinator").email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    [email] = smtp_sink.to(world.user("coordinator").email)
    page.goto(link_from(email, live_server, RESET_LINK))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("heading", name="Your new password is saved")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("User name").fill("coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("This is a shared computer").check()
    page.get_by_role("button", name="Sign in").last.click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == -1  # ends when the browser closes
