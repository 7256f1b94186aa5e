"""Issue 16: people reached on more than one channel, and what a bounce changes.

A person may have email and texts; each message of the schedule goes on every way they asked for (the
nudge and the confirmation on their main way only). When a provider says an address or number does not
work (core.delivery.record_delivery, from a callback, a webhook or an SMTP refusal at send time), it is
marked with the provider's words, later messages skip it, and someone left with no other way falls back
to a letter through their school, which the letters page then lists."""

from datetime import datetime, timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from core import kinds, outbox
from core.delivery import find_message, record_delivery
from core.enums import Delivery
from core.kinds import Kind
from core.models import Message
from core.sms import SmsMessage, texting_hours
from invitations.enums import Answer, Channel, MessageKind, MessageState
from invitations.models import Invitee, SessionChange
from invitations.services import letters, replies
from invitations.services.schedule import new_message, sync_schedule
from tests.factories import InvitationFactory, SchoolFactory, UserFactory
from tests.invitations import test_schedule as schedule_tests
from tests.invitations.test_schedule import FIRST, LONDON, at

pytestmark = pytest.mark.django_db
# The schedule's tests' programme (a Wednesday all-day in March 2030, three half-days after), open.
programme = schedule_tests.programme


@pytest.fixture
def school(programme):
    return SchoolFactory(neighbourhood=programme.neighbourhood, name="Millbrook Primary")


def person(programme, school=None, **fields):
    defaults = {"invitee__organisation": school}
    defaults.update({f"invitee__{name}": value for name, value in fields.items()})
    invitation = InvitationFactory(programme=programme, **defaults)
    type(invitation).objects.filter(pk=invitation.pk).update(created_at=at(FIRST - timedelta(days=60)))
    invitation.refresh_from_db()
    return invitation


def rows(invitation, **filters):
    return Message.objects.filter(invitation=invitation, **filters)


def ways(invitation) -> set[tuple[str, str]]:
    return set(rows(invitation, state=MessageState.SCHEDULED).values_list("kind", "channel"))


def send(row: Message) -> Message:
    """As the outbox does once the provider took it."""
    Message.objects.filter(pk=row.pk).update(
        state=MessageState.SENT, sent_at=timezone.now(), provider="notify", provider_id=f"id-{row.pk}"
    )
    row.refresh_from_db()
    return row


# --- More than one way --------------------------------------------------------------------------------


def test_email_and_texts_get_each_scheduled_message_both_ways_and_the_nudge_once(programme):
    both = person(programme, mobile="+447700900123", texts_agreed=True, texts_too=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=40)))
    assert ways(both) == {
        (MessageKind.INVITATION, Channel.EMAIL),
        (MessageKind.INVITATION, Channel.SMS),
        (MessageKind.REMINDER, Channel.EMAIL),
        (MessageKind.REMINDER, Channel.SMS),
        (MessageKind.NUDGE, Channel.EMAIL),
    }
    assert rows(both, kind=MessageKind.REMINDER, channel=Channel.SMS).count() == 4  # one per session


def test_texts_need_agreement(programme):
    unagreed = person(programme, mobile="+447700900123", texts_agreed=False, texts_too=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=40)))
    assert {channel for _kind, channel in ways(unagreed)} == {Channel.EMAIL}


def test_someone_reached_only_by_text_gets_texts_and_a_text_nudge(programme):
    texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=40)))
    assert ways(texter) == {
        (MessageKind.INVITATION, Channel.SMS),
        (MessageKind.REMINDER, Channel.SMS),
        (MessageKind.NUDGE, Channel.SMS),
    }


def test_a_confirmation_goes_once_on_the_main_way(programme, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    both = person(programme, mobile="+447700900123", texts_agreed=True, texts_too=True)
    replies.save_reply(
        invitation=both, answers={session.pk: Answer.YES for session in programme.sessions.all()}, details={}
    )
    assert set(rows(both, kind=MessageKind.CONFIRMATION).values_list("channel", flat=True)) == {Channel.EMAIL}


def test_the_model_refuses_texts_without_a_mobile_or_agreement(programme):
    from django.core.exceptions import ValidationError

    invitee = Invitee(neighbourhood=programme.neighbourhood, name="A", category="parent", channel=Channel.SMS)
    with pytest.raises(ValidationError) as no_mobile:
        invitee.clean()
    assert "mobile" in no_mobile.value.message_dict
    invitee.mobile = "+447700900123"
    with pytest.raises(ValidationError) as no_agreement:
        invitee.clean()
    assert "texts_agreed" in no_agreement.value.message_dict


# --- Texting hours --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(8, 59, False), (9, 0, True), (13, 0, True), (18, 59, True), (19, 0, False), (23, 30, False)],
)
def test_texting_hours_are_nine_to_seven_local(hour, minute, allowed):
    assert texting_hours(datetime(2030, 7, 1, hour, minute, tzinfo=LONDON)) is allowed


def test_a_text_due_at_night_waits_while_an_email_goes(programme):
    texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
    emailer = person(programme)
    night = at(FIRST - timedelta(days=10), 22)
    for invitation, channel in ((texter, Channel.SMS), (emailer, Channel.EMAIL)):
        new_message(
            invitation_id=invitation.pk,
            kind=MessageKind.CONFIRMATION,
            channel=channel,
            scheduled_for=night - timedelta(hours=1),
        ).save()
    due = set(Message.objects.due(night).values_list("channel", flat=True))
    assert due == {Channel.EMAIL}
    assert set(Message.objects.due(night + timedelta(hours=11)).values_list("channel", flat=True)) == {
        Channel.EMAIL,
        Channel.SMS,
    }


# --- A bounce ------------------------------------------------------------------------------------------


def test_a_bounced_invitation_email_falls_back_to_a_letter_the_school_prints(programme, school):
    parent = person(programme, school, name="Grace Obi")
    now = at(FIRST - timedelta(days=21))
    sync_schedule(programme=programme, now=now)
    invitation_email = send(rows(parent, kind=MessageKind.INVITATION).get())

    assert record_delivery(
        invitation_email, status=Delivery.PERMANENT_FAILURE, said="Notify: no such address"
    )

    invitee = Invitee.objects.get(pk=parent.invitee_id)
    assert invitee.email_failed == "Notify: no such address"
    assert (invitee.channel, invitee.fell_back_from) == (Channel.LETTER, Channel.EMAIL)
    letter = rows(parent, kind=MessageKind.INVITATION, channel=Channel.LETTER).get()
    assert letter.state == MessageState.SCHEDULED
    # Every email still to go is cancelled; the letter invitation and letter reminders take their place.
    assert not rows(parent, channel=Channel.EMAIL, state=MessageState.SCHEDULED).exists()
    assert rows(parent, kind=MessageKind.REMINDER, channel=Channel.LETTER).exists()
    # The school's coordinator sees them in the letters to print.
    assert parent.pk in {
        invitation.pk for invitation in letters.letter_invitations(programme=programme, school=school)
    }


def test_the_same_bounce_twice_changes_nothing(programme, school):
    parent = person(programme, school)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(parent, kind=MessageKind.INVITATION).get())
    assert record_delivery(sent, status=Delivery.PERMANENT_FAILURE, said="bounced")
    made = Message.objects.count()
    assert not record_delivery(sent, status=Delivery.PERMANENT_FAILURE, said="bounced")
    assert Message.objects.count() == made


def test_an_older_event_does_not_replace_a_newer_one(programme):
    parent = person(programme)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(parent, kind=MessageKind.INVITATION).get())
    later = timezone.now()
    assert record_delivery(sent, status=Delivery.DELIVERED, said="delivered", at=later)
    assert not record_delivery(
        sent, status=Delivery.PERMANENT_FAILURE, said="x", at=later - timedelta(hours=1)
    )
    assert not record_delivery(
        sent, status=Delivery.TEMPORARY_FAILURE, said="y", at=later + timedelta(hours=1)
    )
    sent.refresh_from_db()
    assert sent.delivery == Delivery.DELIVERED
    assert Invitee.objects.get(pk=parent.invitee_id).email_failed == ""


def test_a_bounced_email_leaves_texts_going_for_someone_who_has_both(programme):
    both = person(programme, mobile="+447700900123", texts_agreed=True, texts_too=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(both, kind=MessageKind.INVITATION, channel=Channel.EMAIL).get())
    record_delivery(sent, status=Delivery.PERMANENT_FAILURE, said="550 no such user")
    invitee = Invitee.objects.get(pk=both.invitee_id)
    assert invitee.channels == [Channel.SMS]
    assert {channel for _kind, channel in ways(both)} == {Channel.SMS}


def test_a_number_that_does_not_work_with_nothing_else_leaves_them_unreached(programme):
    texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(texter, kind=MessageKind.INVITATION).get())
    record_delivery(sent, status=Delivery.PERMANENT_FAILURE, said="Not a mobile number")
    invitee = Invitee.objects.get(pk=texter.invitee_id)
    assert invitee.mobile_failed == "Not a mobile number"
    assert invitee.channels == []
    assert not rows(texter, state=MessageState.SCHEDULED).exists()


def test_a_bounced_change_notice_is_made_again_as_a_letter(programme, school, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    parent = person(programme, school)
    now = at(FIRST - timedelta(days=21))
    sync_schedule(programme=programme, now=now)
    send(rows(parent, kind=MessageKind.INVITATION).get())
    session = programme.sessions.get(order=2)
    change = SessionChange.objects.create(
        session=session,
        was_date=session.date,
        was_start_time=session.start_time,
        was_end_time=session.end_time,
        was_venue=session.venue,
        tell_at=timezone.now(),
    )
    notice = new_message(
        invitation_id=parent.pk,
        kind=MessageKind.CHANGE,
        channel=Channel.EMAIL,
        scheduled_for=now,
        topic=change,
    )
    notice.save()
    record_delivery(send(notice), status=Delivery.PERMANENT_FAILURE, said="bounced")
    letter = Message.objects.get(session_change=change, channel=Channel.LETTER)
    assert (letter.recipient_id, letter.state) == (parent.pk, MessageState.SCHEDULED)


def test_a_provider_event_finds_its_row_by_id_or_by_our_reference(programme):
    parent = person(programme)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(parent, kind=MessageKind.INVITATION).get())
    assert find_message(provider_id=f"id-{sent.pk}") == sent
    assert find_message(reference=f"outbox-{sent.pk}") == sent
    assert find_message(reference=f"<outbox-{sent.pk}@bettertogether.example>") == sent
    assert find_message(provider_id="nothing-we-sent") is None
    assert find_message(reference="outbox-999999999") is None
    scheduled = rows(parent, kind=MessageKind.REMINDER).first()
    assert find_message(reference=f"outbox-{scheduled.pk}") is None  # never sent: nobody can report on it


# --- At send time ---------------------------------------------------------------------------------------


def test_an_smtp_refusal_of_the_address_at_send_time_is_a_bounce(programme, school, smtp_sink):
    parent = person(programme, school, email="permfail@example.org")
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    row = rows(parent, kind=MessageKind.INVITATION).get()
    Message.objects.filter(pk=row.pk).update(scheduled_for=timezone.now() - timedelta(minutes=1))
    result = outbox.dispatch_due(prepare=False, only=[row.pk])
    assert result.failed == 1
    row.refresh_from_db()
    assert row.delivery == Delivery.PERMANENT_FAILURE and "No such mailbox" in row.delivery_said
    assert Invitee.objects.get(pk=parent.invitee_id).channel == Channel.LETTER


def test_a_text_of_a_kind_without_a_text_version_fails_saying_so(programme, settings):
    settings.SMS_HOURS = (0, 24)
    kinds.register(Kind(name="emailonly", label="Email only", build=lambda message, shared: EmailMessage()))
    try:
        texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
        row = new_message(
            invitation_id=texter.pk, kind="emailonly", channel=Channel.SMS, scheduled_for=timezone.now()
        )
        row.save()
        outbox.dispatch_due(prepare=False, only=[row.pk])
        row.refresh_from_db()
        assert row.state == MessageState.FAILED
        assert "no text-message version" in row.last_error
    finally:
        kinds.KINDS.pop("emailonly")


def test_a_number_the_provider_refuses_marks_it_not_working(programme, settings, tmp_path):
    settings.SMS_HOURS = (0, 24)
    settings.SMS_FILE_PATH = str(tmp_path / "sms")

    def build_text(message, shared):
        return SmsMessage(to="447700900123", body="Hello", reference=f"outbox-{message.pk}")  # no "+"

    kinds.register(
        Kind(
            name="texttest",
            label="Text test",
            build=lambda message, shared: EmailMessage(),
            build_sms=build_text,
            on_bounce=kinds.kind_of(MessageKind.INVITATION).on_bounce,
        )
    )
    try:
        texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
        row = new_message(
            invitation_id=texter.pk, kind="texttest", channel=Channel.SMS, scheduled_for=timezone.now()
        )
        row.save()
        outbox.dispatch_due(prepare=False, only=[row.pk])
        row.refresh_from_db()
        assert (row.state, row.delivery) == (MessageState.FAILED, Delivery.PERMANENT_FAILURE)
        assert Invitee.objects.get(pk=texter.invitee_id).mobile_failed
    finally:
        kinds.KINDS.pop("texttest")


def test_the_embedded_mailbox_bounces_its_pretend_domain_as_a_mail_server_would(
    programme, school, settings, tmp_path
):
    """The demo's pretend provider: an address @bounce.invalid is refused (550), the rest are kept."""
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    bouncing = person(programme, school, email="amina@bounce.invalid")
    fine = person(programme, school)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    due = list(rows(bouncing, kind=MessageKind.INVITATION)) + list(rows(fine, kind=MessageKind.INVITATION))
    Message.objects.filter(pk__in=[row.pk for row in due]).update(scheduled_for=timezone.now())
    result = outbox.dispatch_due(prepare=False, only=[row.pk for row in due])
    assert (result.sent, result.failed) == (1, 1)
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
    invitee = Invitee.objects.get(pk=bouncing.invitee_id)
    assert "No such mailbox" in invitee.email_failed and invitee.channel == Channel.LETTER


def test_fixing_a_bounced_address_sends_the_invitation_again_and_drops_the_letter(programme, school):
    from invitations.services.invitees import update_contact

    parent = person(programme, school, email="old@example.org")
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    bounced = send(rows(parent, kind=MessageKind.INVITATION).get())
    record_delivery(bounced, status=Delivery.PERMANENT_FAILURE, said="550 no such user")
    assert rows(
        parent, kind=MessageKind.INVITATION, channel=Channel.LETTER, state=MessageState.SCHEDULED
    ).exists()

    facilitator = UserFactory()
    programme.neighbourhood.facilitators.add(facilitator)
    update_contact(
        invitee=Invitee.objects.get(pk=parent.invitee_id),
        email="new@example.org",
        mobile="",
        texts_agreed=False,
        by=facilitator,
    )
    invitee = Invitee.objects.get(pk=parent.invitee_id)
    assert (invitee.channel, invitee.email_failed, invitee.fell_back_from) == (Channel.EMAIL, "", "")
    again = rows(parent, kind=MessageKind.INVITATION, channel=Channel.EMAIL).order_by("version")
    assert [(row.version, row.state) for row in again] == [
        (0, MessageState.SENT),
        (1, MessageState.SCHEDULED),
    ]
    assert not rows(parent, channel=Channel.LETTER, state=MessageState.SCHEDULED).exists()
    # The reminders come by email again, once each.
    assert (
        rows(parent, kind=MessageKind.REMINDER, channel=Channel.EMAIL, state=MessageState.SCHEDULED).count()
        == 4
    )


# --- After the review -------------------------------------------------------------------------------


def test_a_late_bounce_about_the_old_address_leaves_the_fixed_one_alone(programme, school):
    from invitations.services.invitees import update_contact

    parent = person(programme, school, email="old@example.org")
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    first = send(rows(parent, kind=MessageKind.INVITATION).get())
    reminder = send(rows(parent, kind=MessageKind.REMINDER).first())
    record_delivery(first, status=Delivery.PERMANENT_FAILURE, said="no such user")
    facilitator = UserFactory()
    programme.neighbourhood.facilitators.add(facilitator)
    update_contact(
        invitee=Invitee.objects.get(pk=parent.invitee_id),
        email="new@example.org",
        mobile="",
        texts_agreed=False,
        by=facilitator,
    )
    # The reminder sent to the old address bounces later (a callback, or the poll).
    assert record_delivery(reminder, status=Delivery.PERMANENT_FAILURE, said="no such user")
    invitee = Invitee.objects.get(pk=parent.invitee_id)
    assert (invitee.channel, invitee.email_failed) == (Channel.EMAIL, "")


def test_a_text_waiting_for_the_morning_is_not_sent_once_its_number_stopped_working(programme, settings):
    from invitations.services.kinds import still_wanted

    texter = person(
        programme,
        mobile="+447700900123",
        texts_agreed=True,
        texts_too=True,
    )
    row = new_message(
        invitation_id=texter.pk,
        kind=MessageKind.CONFIRMATION,
        channel=Channel.SMS,
        scheduled_for=timezone.now(),
    )
    row.save()
    assert still_wanted(row, timezone.now()) is False  # no reply to confirm: unwanted anyway
    Invitee.objects.filter(pk=texter.invitee_id).update(texts_agreed=False)
    change_row = new_message(
        invitation_id=texter.pk,
        kind=MessageKind.REMINDER,
        channel=Channel.SMS,
        scheduled_for=timezone.now(),
        session_id=programme.sessions.get(order=2).pk,
    )
    change_row.save()
    assert still_wanted(change_row, timezone.now()) is False
    Invitee.objects.filter(pk=texter.invitee_id).update(texts_agreed=True)
    assert still_wanted(change_row, timezone.now()) is True


@pytest.mark.parametrize(
    ("code", "answer", "at_fault"),
    [
        (550, "5.1.1 No such user", True),
        (550, "No such user here", True),
        (553, "mailbox name not allowed", True),
        (554, "5.7.1 Relay access denied", False),
        (550, "5.7.1 Relaying denied", False),
        (552, "5.2.2 Mailbox full", False),
        (550, "5.2.1 Mailbox disabled", True),
    ],
)
def test_only_a_refusal_of_the_mailbox_itself_marks_the_address(code, answer, at_fault):
    assert outbox.mailbox_refused(code, answer) is at_fault


def test_a_missing_sms_setting_is_retried_not_failed_for_good(programme, settings):
    settings.SMS_HOURS = (0, 24)
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    settings.NOTIFY_API_KEY = ""
    texter = person(programme, email="", channel=Channel.SMS, mobile="+447700900123", texts_agreed=True)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    row = rows(texter, kind=MessageKind.INVITATION).get()
    Message.objects.filter(pk=row.pk).update(scheduled_for=timezone.now())
    result = outbox.dispatch_due(prepare=False, only=[row.pk])
    row.refresh_from_db()
    assert (result.retrying, row.state) == (1, MessageState.SCHEDULED)
    assert "Not set up" in row.last_error and "NOTIFY_API_KEY" in row.last_error


def test_a_complaint_stops_email_to_them_and_finds_another_way(programme, school):
    parent = person(programme, school)
    sync_schedule(programme=programme, now=at(FIRST - timedelta(days=21)))
    sent = send(rows(parent, kind=MessageKind.INVITATION).get())
    assert record_delivery(sent, status=Delivery.COMPLAINT, said="Mailgun: complained")
    invitee = Invitee.objects.get(pk=parent.invitee_id)
    assert invitee.email_failed.startswith("They marked our email as unwanted")
    assert not rows(parent, channel=Channel.EMAIL, state=MessageState.SCHEDULED).exists()
