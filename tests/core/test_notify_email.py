"""Email through GOV.UK Notify (core.notify.NotifyEmailBackend): the outbox's rows sent by the real client
to a fake Notify on loopback (tests/notify.py), and what Notify's refusals do to them."""

import json
import logging
import traceback

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.utils import timezone

from core import outbox
from core.delivery import find_message
from core.models import Message
from core.notify import NotifyEmailBackend
from core.providers import AddressRefused, Refused, TryLater
from invitations.enums import MessageKind, MessageState
from invitations.models import Invitee
from tests.core import test_outbox as outbox_tests
from tests.core.test_outbox import invite
from tests.notify import API_KEY, EMAIL_TEMPLATE_ID, SECRET, SMS_TEMPLATE_ID, start_fake_notify

ADDRESS = "amira@example.org"
# The outbox tests' programme: open, its invitations due now.
open_programme = outbox_tests.open_programme


@pytest.fixture
def fake_notify(settings):
    """A fake Notify on loopback, with the site's email (and texts) going through it."""
    server, state = start_fake_notify()
    settings.EMAIL_BACKEND = "core.notify.NotifyEmailBackend"
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE_ID
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE_ID
    settings.NOTIFY_BASE_URL = state.base_url
    yield state
    server.stop()


def invitation_row(invitation):
    return Message.objects.get(invitation=invitation, kind=MessageKind.INVITATION, channel="email")


# --- through the outbox -----------------------------------------------------------------------------


def test_an_invitation_goes_through_notify_with_its_subject_body_and_reference(
    open_programme, fake_notify, settings
):
    invitation = invite(open_programme, name="Amira Khan", email=ADDRESS)

    result = outbox.dispatch_due()

    assert result.sent == 1
    row = invitation_row(invitation)
    [notification] = fake_notify.sent_to(ADDRESS)
    [received] = fake_notify.requests
    assert (received.method, received.path, received.authorised) == ("POST", "/v2/notifications/email", True)
    assert received.body["template_id"] == EMAIL_TEMPLATE_ID
    assert received.body["reference"] == f"outbox-{row.pk}"
    assert set(received.body["personalisation"]) == {"subject", "body"}  # no attachment, no HTML
    assert notification.subject == f"You're invited: {open_programme.title}"
    assert "Hello Amira," in notification.body and open_programme.key_question in notification.body
    assert "<p>" not in notification.body and "BEGIN:VCALENDAR" not in notification.body
    # The one-click unsubscribe link goes as Notify's own header.
    assert received.body["one_click_unsubscribe_url"].startswith(f"{settings.SITE_URL}/r/")
    assert received.body["one_click_unsubscribe_url"].endswith("/unsubscribe/")
    assert (row.state, row.provider, row.provider_id) == (MessageState.SENT, "notify", notification.id)
    assert find_message(provider_id=notification.id) == row


def test_a_second_run_sends_nothing_again(open_programme, fake_notify):
    invite(open_programme, email=ADDRESS)

    first, second = outbox.dispatch_due(), outbox.dispatch_due()

    assert (first.sent, second.sent) == (1, 0)
    assert len(fake_notify.sent_to(ADDRESS)) == 1


def test_a_bad_address_fails_the_row_and_marks_the_address_not_working(open_programme, fake_notify):
    invitation = invite(open_programme, email=ADDRESS)
    fake_notify.refuse(ADDRESS, 400, "email_address Not a valid email address")

    result = outbox.dispatch_due()

    row = invitation_row(invitation)
    assert result.failed == 1
    assert row.state == MessageState.FAILED and row.attempts == 1
    assert (
        row.last_error
        == "GOV.UK Notify answered 400: BadRequestError: email_address Not a valid email address"
    )
    assert row.delivery == "permanent-failure" and "Not a valid email address" in row.delivery_said
    # The person's address is marked with Notify's words (invitations' on_bounce).
    invitee = Invitee.objects.get(pk=invitation.invitee_id)
    assert "Not a valid email address" in invitee.email_failed


def test_a_refusal_not_about_the_address_fails_the_row_but_leaves_the_address(open_programme, fake_notify):
    invitation = invite(open_programme, email=ADDRESS)
    fake_notify.refuse(ADDRESS, 400, "Can't send to this recipient using a team-only API key")

    result = outbox.dispatch_due()

    row = invitation_row(invitation)
    assert result.failed == 1 and row.state == MessageState.FAILED
    assert "team-only API key" in row.last_error
    assert row.delivery == ""
    assert Invitee.objects.get(pk=invitation.invitee_id).email_failed == ""


@pytest.mark.parametrize("status_code", [500, 503, 429])
def test_notify_busy_or_down_retries_then_sends(open_programme, fake_notify, status_code):
    invitation = invite(open_programme, email=ADDRESS)
    fake_notify.refuse(ADDRESS, status_code)

    first = outbox.dispatch_due()

    row = invitation_row(invitation)
    assert first.retrying == 1
    assert row.state == MessageState.SCHEDULED and row.retry_at > timezone.now()
    assert f"GOV.UK Notify answered {status_code}" in row.last_error
    assert fake_notify.sent_to(ADDRESS) == []

    with fake_notify.lock:
        del fake_notify.refusals[ADDRESS]
    Message.objects.filter(pk=row.pk).update(retry_at=timezone.now())  # let the wait pass
    second = outbox.dispatch_due()

    row.refresh_from_db()
    assert second.sent == 1 and row.state == MessageState.SENT and row.attempts == 2
    assert row.provider_id == fake_notify.sent_to(ADDRESS)[0].id


def test_notify_unreachable_retries(open_programme, settings):
    invitation = invite(open_programme, email=ADDRESS)
    server, state = start_fake_notify()
    server.stop()
    settings.EMAIL_BACKEND = "core.notify.NotifyEmailBackend"
    settings.NOTIFY_API_KEY, settings.NOTIFY_EMAIL_TEMPLATE_ID = API_KEY, EMAIL_TEMPLATE_ID
    settings.NOTIFY_BASE_URL = state.base_url

    result = outbox.dispatch_due()

    row = invitation_row(invitation)
    assert result.retrying == 1 and row.state == MessageState.SCHEDULED
    assert "could not be reached (ConnectionError)" in row.last_error


def test_one_refused_address_does_not_stop_the_others(open_programme, fake_notify):
    invite(open_programme, email="bounces@example.org")
    fine = invite(open_programme, email="fine@example.org")
    fake_notify.refuse("bounces@example.org", 400, "email_address Not a valid email address")

    outbox.dispatch_due()

    assert len(fake_notify.sent_to("fine@example.org")) == 1
    assert invitation_row(fine).state == MessageState.SENT


# --- the backend itself -----------------------------------------------------------------------------


def backend(**kwargs):
    return get_connection("core.notify.NotifyEmailBackend", **kwargs)


def test_one_notification_for_each_address(fake_notify):
    email = EmailMessage(
        "Hello",
        "Plain words.",
        to=["Ümit Şahin <umit@example.org>", '"Khan, Amira" <amira@example.org>'],
        cc=["cc@example.org"],
        bcc=["bcc@example.org"],
    )

    assert backend().send_messages([email]) == 1

    sent_to = [request.body["email_address"] for request in fake_notify.requests]
    assert sent_to == ["umit@example.org", "amira@example.org", "cc@example.org", "bcc@example.org"]
    assert email.provider_id == email.provider_ids[0]
    assert email.provider_ids == [fake_notify.sent_to(address)[0].id for address in sent_to]
    assert all(
        request.body["personalisation"] == {"subject": "Hello", "body": "Plain words."}
        for request in fake_notify.requests
    )


def test_an_email_from_elsewhere_goes_without_a_reference(fake_notify):
    email = EmailMessage("Reset your password", "Follow the link.", to=[ADDRESS])
    email.extra_headers["Message-ID"] = "<176.abc@somewhere.example>"

    backend().send_messages([email])

    [received] = fake_notify.requests
    assert "reference" not in received.body and "one_click_unsubscribe_url" not in received.body


def test_an_html_only_email_goes_as_its_text(fake_notify):
    email = EmailMessage("Hello", "<p>Hello <b>Amira</b>,</p><p>See you.</p>", to=[ADDRESS])
    email.content_subtype = "html"

    backend().send_messages([email])

    assert fake_notify.sent_to(ADDRESS)[0].body == "Hello Amira,See you."


def test_the_text_of_a_multipart_email_goes_not_its_html(fake_notify):
    email = EmailMultiAlternatives("Hello", "Hello Amira,\n\nSee you.", to=[ADDRESS])
    email.attach_alternative("<p>Hello Amira,</p>", "text/html")
    email.attach("calendar.ics", "BEGIN:VCALENDAR\nEND:VCALENDAR\n", "text/calendar")

    backend().send_messages([email])

    [received] = fake_notify.requests
    assert received.body["personalisation"]["body"] == "Hello Amira,\n\nSee you."
    assert "VCALENDAR" not in json.dumps(received.body)


@pytest.mark.parametrize("to", [[], [""], ["not an address"]])
def test_an_email_without_an_address_is_refused_without_asking(fake_notify, to):
    with pytest.raises(AddressRefused, match="no address"):
        backend().send_messages([EmailMessage("Hello", "Words.", to=to)])
    assert fake_notify.requests == []


def test_a_bad_address_before_a_good_one_sends_neither(fake_notify):
    with pytest.raises(AddressRefused):
        backend().send_messages([EmailMessage("Hello", "Words.", to=["nonsense", ADDRESS])])
    assert fake_notify.requests == []


def test_fail_silently_counts_only_what_went(fake_notify):
    fake_notify.refuse("bad@example.org", 400, "email_address Not a valid email address")
    emails = [EmailMessage("Hello", "Words.", to=[to]) for to in ("bad@example.org", ADDRESS)]

    assert backend(fail_silently=True).send_messages(emails) == 1

    with pytest.raises(AddressRefused):
        backend().send_messages(emails)


@pytest.mark.parametrize(
    ("status_code", "message", "raised"),
    [
        (400, "email_address Not a valid email address", AddressRefused),
        (400, "Template not found", Refused),
        (403, None, Refused),
        (429, None, TryLater),
        (500, None, TryLater),
    ],
)
def test_notifys_answers_become_the_outboxs_failures(fake_notify, status_code, message, raised):
    fake_notify.refuse(ADDRESS, status_code, message)

    with pytest.raises(raised) as failed:
        backend().send_messages([EmailMessage("Hello", "Words.", to=[ADDRESS])])

    assert type(failed.value) is raised
    assert str(failed.value).startswith(f"GOV.UK Notify answered {status_code}: ")
    classified = outbox.classify(failed.value)
    if raised is TryLater:
        assert isinstance(classified, outbox.TemporaryFailure)
    else:
        assert isinstance(classified, outbox.PermanentFailure)
        assert classified.address_at_fault is (raised is AddressRefused)


@pytest.mark.parametrize(
    ("api_key", "template_id"),
    [("", EMAIL_TEMPLATE_ID), ("not-a-key", EMAIL_TEMPLATE_ID), (API_KEY, ""), (API_KEY, "template")],
)
def test_the_backend_needs_a_key_and_a_template(settings, api_key, template_id):
    settings.NOTIFY_API_KEY, settings.NOTIFY_EMAIL_TEMPLATE_ID = api_key, template_id

    with pytest.raises(ImproperlyConfigured) as refused:
        NotifyEmailBackend()

    assert SECRET not in str(refused.value)


@pytest.mark.parametrize("status_code", [400, 403, 429, 500])
def test_the_api_key_is_never_in_an_error_or_a_log(fake_notify, caplog, status_code):
    caplog.set_level(logging.DEBUG)
    fake_notify.refuse(ADDRESS, status_code)
    connection = backend()

    with pytest.raises((Refused, TryLater)) as failed:
        connection.send_messages([EmailMessage("Hello", "Words.", to=[ADDRESS])])

    told = "".join(traceback.format_exception(failed.value)) + repr(failed.value) + repr(connection)
    assert SECRET not in told and SECRET not in caplog.text
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_a_secret_notify_quotes_back_is_not_repeated(fake_notify):
    fake_notify.refuse(ADDRESS, 400, f"Refused for key {API_KEY}")

    with pytest.raises(Refused) as refused:
        backend().send_messages([EmailMessage("Hello", "Words.", to=[ADDRESS])])

    assert SECRET not in str(refused.value) and "[secret]" in str(refused.value)
