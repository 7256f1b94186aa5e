"""A forgotten password (accounts/services/passwords.py): Django's reset views and tokens, the email through
the one outbox with a token minted as it is built (never stored), the same page and the same work in the
request whether or not the address has an account (the worker's task looks it up), and a link that works
once."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from celery.signals import task_prerun
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session as StoredSession
from django.core import mail
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tasks import send_password_reset
from core.enums import MessageState
from core.models import Message
from core.public import privacy_url
from tests.factories import UserFactory

from .helpers import RESET_LINK, path_in, send_outbox

OLD_PASSWORD = "a-test-password"  # tests.factories.UserFactory's
NEW_PASSWORD = "a-quiet-morning-by-the-canal"


@pytest.fixture
def grace(db):
    return UserFactory(username="grace", email="grace.obi@example.org", first_name="Grace")


def post_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def ask(client, email):
    """Ask for a reset, then run the task the request enqueued on commit, as the worker would: the reset
    email, if any, is left in the outbox (its own quick send is never run here; send_outbox sends it)."""
    with TestCase.captureOnCommitCallbacks() as enqueued:
        response = post_reset(client, email)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        for callback in enqueued:
            callback()
    return response


def reset_rows():
    return Message.objects.filter(kind="password_reset")


@contextmanager
def tasks_run():
    """The Celery tasks that run meanwhile, as (name, args): Celery's own signal, sent in eager runs too."""
    ran = []

    def record(sender=None, args=None, **kwargs):
        ran.append((sender.name, tuple(args or ())))

    task_prerun.connect(record, weak=False)
    try:
        yield ran
    finally:
        task_prerun.disconnect(record)


def test_the_sign_in_page_links_to_the_reset(client, db):
    html = client.get(reverse("login")).content.decode()

    assert "Forgotten your password?" in html and reverse("password_reset") in html


def test_a_known_and_an_unknown_address_make_the_request_do_the_same_work(grace, settings):
    """Nothing the request does depends on whether the address has an account: the same statements (none
    looks the address up or writes), the same one task enqueued on commit, the same answer. The task,
    in the worker, is what finds the account and queues the email."""

    def request(email):
        with (
            TestCase.captureOnCommitCallbacks() as enqueued,
            CaptureQueriesContext(connection) as sql,
        ):
            response = post_reset(Client(), email)
        return response, enqueued, [query["sql"] for query in sql.captured_queries]

    known, known_enqueued, known_sql = request("grace.obi@example.org")
    unknown, unknown_enqueued, unknown_sql = request("nobody@example.org")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert known_sql == unknown_sql
    assert not [sql for sql in known_sql if "auth_user" in sql or "core_message" in sql]
    assert len(known_enqueued) == len(unknown_enqueued) == 1
    assert not reset_rows().exists() and mail.outbox == []

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with tasks_run() as ran:
        known_enqueued[0]()
        made_for_known = list(reset_rows())
        unknown_enqueued[0]()

    assert ran == [
        ("accounts.send_password_reset", ("grace.obi@example.org",)),
        ("accounts.send_password_reset", ("nobody@example.org",)),
    ]
    [row] = made_for_known
    assert row.recipient == grace and row.state == MessageState.SCHEDULED
    assert list(reset_rows()) == [row]  # the unknown address made nothing
    done = Client().get(reverse("password_reset_done")).content.decode()
    assert "If that address belongs to an account here" in done


def test_the_task_queues_an_email_only_for_an_address_with_an_account(grace):
    UserFactory(username="someone-else", email="someone.else@example.org")

    assert send_password_reset("nobody@example.org") == 0
    assert not reset_rows().exists()
    assert send_password_reset("grace.obi@example.org") == 1
    assert [row.recipient for row in reset_rows()] == [grace]
    # Again at once: no second email (at most one every two minutes).
    assert send_password_reset("grace.obi@example.org") == 0
    assert reset_rows().count() == 1


def test_every_account_with_the_address_gets_its_own_email(grace):
    namesake = UserFactory(username="grace-at-home", email="GRACE.obi@example.org")

    ask(Client(), "grace.obi@example.org")

    assert {row.recipient for row in reset_rows()} == {grace, namesake}


def test_the_address_is_matched_whatever_its_case(client, grace):
    ask(client, "Grace.OBI@example.org")

    assert reset_rows().get().recipient == grace


@pytest.mark.parametrize("change", ["inactive", "unusable"])
def test_an_account_that_cannot_sign_in_with_a_password_gets_nothing(client, grace, change):
    if change == "inactive":
        grace.is_active = False
    else:
        grace.set_unusable_password()
    grace.save()

    response = ask(client, grace.email)

    assert response["Location"] == reverse("password_reset_done")
    assert not reset_rows().exists()


@pytest.mark.parametrize("email", ["", "not an address", "a@b", "x" * 250 + "@example.org"])
def test_a_bad_address_is_refused_beside_the_field(client, grace, email):
    with TestCase.captureOnCommitCallbacks() as enqueued:
        response = post_reset(client, email)

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert enqueued == []
    assert not reset_rows().exists()


def test_the_email_has_a_link_that_works_once(
    client, grace, smtp_sink, settings, django_capture_on_commit_callbacks
):
    """End to end: the request enqueues the task, the task queues the email, the outbox sends it (Celery
    runs eagerly here, each on commit, as the worker would in turn)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with tasks_run() as ran, django_capture_on_commit_callbacks(execute=True):
        post_reset(client, grace.email)

    assert [name for name, _args in ran] == ["accounts.send_password_reset", "core.send_due_now"]

    [email] = smtp_sink.to("grace.obi@example.org")
    text = email.get_body(("plain",)).get_content()
    path = RESET_LINK.search(text).group(1)
    assert email["Subject"] == "Choose a new password for Better Together"
    assert "your Better Together account, grace" in text

    form = client.get(path)
    assert form.status_code == 200 and form.context["validlink"]
    assert "no-store" in form["Cache-Control"] and form["Referrer-Policy"] == "same-origin"
    saved = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert saved.status_code == 302 and saved["Location"] == reverse("password_reset_complete")
    grace.refresh_from_db()
    assert grace.check_password(NEW_PASSWORD)

    again = Client().get(path)
    assert again.status_code == 200 and not again.context["validlink"]
    assert "This link does not work" in again.content.decode()
    assert (
        not Client()
        .post(path, {"new_password1": "x-y-z-another-one", "new_password2": "x-y-z-another-one"})
        .context["validlink"]
    )
    grace.refresh_from_db()
    assert grace.check_password(NEW_PASSWORD)


def test_the_reset_email_links_to_the_privacy_notice(grace):
    ask(Client(), grace.email)
    send_outbox()
    [email] = mail.outbox

    assert f"How we use your information:\n{privacy_url()}" in email.body
    assert f'href="{privacy_url()}"' in email.alternatives[0][0]


def test_no_working_link_is_kept_in_the_database(client, grace, settings, django_capture_on_commit_callbacks):
    """Not in the outbox row (the token is minted when the email is built), nor in the session (the page
    keeps it in the address rather than in the session for a redirect)."""
    ask(client, grace.email)
    assert send_outbox() == 1
    path = path_in(mail.outbox[0], RESET_LINK)
    token = path.rstrip("/").rsplit("/", 1)[1]

    client.get(path)
    client.post(path, {"new_password1": "short", "new_password2": "short"})  # refused: the form again

    stored = " ".join(str(values) for values in Message.objects.values())
    sessions = " ".join(str(session.get_decoded()) for session in StoredSession.objects.all())
    assert token not in stored and token not in sessions


def test_a_weak_new_password_is_refused(client, grace):
    ask(client, grace.email)
    send_outbox()
    path = path_in(mail.outbox[0], RESET_LINK)

    response = client.post(path, {"new_password1": "grace", "new_password2": "grace"})

    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    grace.refresh_from_db()
    assert grace.check_password(OLD_PASSWORD)


def test_asking_again_at_once_sends_one_email_and_later_a_new_one(client, grace):
    ask(client, grace.email)
    ask(client, grace.email)
    assert reset_rows().count() == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        ask(client, grace.email)
        send_outbox()

    assert dict(reset_rows().values_list("version", "state")) == {
        1: MessageState.CANCELLED,
        2: MessageState.SENT,
    }
    assert len(mail.outbox) == 1


def test_a_reset_the_outbox_could_not_send_for_an_hour_is_not_sent(client, grace):
    ask(client, grace.email)

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        send_outbox()

    assert reset_rows().get().state == MessageState.CANCELLED and mail.outbox == []


def test_asking_is_rate_limited_per_address(client, grace, settings):
    settings.RATE_LIMIT_PER_MINUTE = 2

    answers = [ask(client, f"someone{n}@example.org").status_code for n in range(3)]

    assert answers == [302, 302, 429]


def test_the_reset_link_expires(client, grace):
    ask(client, grace.email)
    send_outbox()
    path = path_in(mail.outbox[0], RESET_LINK)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert not client.get(path).context["validlink"]


def test_a_new_password_signs_out_every_session_of_the_account(grace):
    elsewhere = Client()
    assert (
        elsewhere.post(reverse("login"), {"username": "grace", "password": OLD_PASSWORD}).status_code == 302
    )
    assert elsewhere.get(reverse("events:dashboard")).status_code == 200
    ask(Client(), grace.email)
    send_outbox()
    path = path_in(mail.outbox[0], RESET_LINK)

    Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = elsewhere.get(reverse("events:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in elsewhere.session


def test_an_altered_uid_or_token_opens_nothing(client, grace):
    ask(client, grace.email)
    send_outbox()
    path = path_in(mail.outbox[0], RESET_LINK)
    uid, token = path.rstrip("/").split("/")[-2:]

    for wrong in (f"/accounts/reset/{uid}/{token[:-1]}x/", "/accounts/reset/zz/" + token + "/"):
        response = client.get(wrong)
        assert response.status_code == 200 and not response.context["validlink"]
    assert re.fullmatch(r"[A-Za-z0-9]+", uid)
