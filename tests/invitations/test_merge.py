"""Merging two people who are one (services.merge, views/merge.py): one person stays with every reply,
attendance, word and action lead of both, and one set of messages; both replied differently → the
facilitator chooses, shown side by side; a coordinator only for two of their own school's people; a
forged pair, the same person twice, a missing CSRF token or a failure half-way change nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, LeadLink
from actions.services.links import find_lead_link, issue_printed_link
from core import outbox
from core.models import Message
from evaluations.models import Attendance, Word
from events.enums import ProgrammeStatus
from invitations.enums import Answer, Channel, MessageKind, MessageState, PersonEvent
from invitations.models import Invitation, Invitee, PersonChange, Reply, ReplyToken
from invitations.services.emails import issue_reply_link
from invitations.services.merge import KEEP, OTHER, merge_people
from invitations.services.replies import find_invitation, save_reply
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, NeighbourhoodFactory, ProgrammeFactory, UserFactory


@pytest.fixture
def grace(world):
    """Grace Obi, invited ahead through her school, by email."""
    return InvitationFactory(
        programme=world.programme,
        invitee__name="Grace Obi",
        invitee__organisation=world.school,
        invitee__email="grace.obi@example.org",
    )


@pytest.fixture
def again(world):
    """The second Grace: the same parent, entered again with another address and a mobile."""
    return InvitationFactory(
        programme=world.programme,
        invitee__name="Grace OBI",
        invitee__organisation=world.school,
        invitee__email="g.obi@example.org",
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
    )


def sessions(world):
    return list(world.programme.sessions.order_by("order"))


def merge(world, keep, other, by="facilitator", **choices):
    return merge_people(programme=world.programme, keep=keep, other=other, by=world.user(by), **choices)


def chosen(**choices) -> dict:
    """The form as the page posts it for Grace and the second Grace: each differing detail's radio
    button as it starts (her name and email; the other's mobile, since she has none), and ``choices``."""
    return {"name": KEEP, "email": KEEP, "mobile": OTHER, **choices}


def merge_url(world, keep, other) -> str:
    return reverse("invitations:merge", args=[world.programme.pk, keep.pk, other.pk])


def nothing_changed(grace, again, *, replies=None, attendances=None) -> None:
    """Both people and both invitations still there, with what they had."""
    assert Invitee.objects.filter(pk__in=[grace.invitee_id, again.invitee_id]).count() == 2
    assert Invitation.objects.filter(pk__in=[grace.pk, again.pk]).count() == 2
    assert Invitee.objects.get(pk=grace.invitee_id).email == "grace.obi@example.org"
    assert not PersonChange.objects.filter(event=PersonEvent.MERGED).exists()
    if replies is not None:
        assert {
            reply.invitation_id: {answer.session_id: answer.answer for answer in reply.answers.all()}
            for reply in Reply.objects.filter(invitation__in=[grace, again])
        } == replies
    if attendances is not None:
        assert set(Attendance.objects.values_list("invitation_id", "session_id")) == attendances


def came(invitation, session) -> Attendance:
    return Attendance.objects.create(invitation=invitation, session=session)


# --- Everything of both ---------------------------------------------------------------------------------


def test_merge_keeps_every_reply_attendance_word_and_lead_of_both(world, grace, again):
    first, second, third, _fourth = sessions(world)
    save_reply(invitation=again, answers={first.pk: Answer.YES, second.pk: Answer.MAYBE}, details={})
    came(again, first)
    came(grace, second)
    came(grace, third)
    came(again, third)  # both signed in at the same session: one attendance stays
    Word.objects.create(session=first, said="Hopeful", normalised="hopeful")
    her_action = Action.objects.create(programme=world.programme, what="A walking bus", lead=again)
    link = issue_printed_link(action=her_action)
    mine = Action.objects.create(programme=world.programme, what="A toy library", lead=grace)
    Invitation.objects.filter(pk=again.pk).update(reply_code="ABCD2345")

    person = merge(world, grace, again)

    assert person.pk == grace.invitee_id
    assert not Invitee.objects.filter(pk=again.invitee_id).exists()
    assert not Invitation.objects.filter(pk=again.pk).exists()
    kept = Invitation.objects.get(pk=grace.pk)
    assert {a.session_id: a.answer for a in kept.reply.answers.all()} == {
        first.pk: Answer.YES,
        second.pk: Answer.MAYBE,
    }
    assert sorted(Attendance.objects.filter(invitation=kept).values_list("session__order", flat=True)) == [
        1,
        2,
        3,
    ]
    assert Attendance.objects.count() == 3
    assert Word.objects.filter(session=first).count() == 1
    assert set(Action.objects.values_list("lead", flat=True)) == {kept.pk}
    assert LeadLink.objects.get().invitation_id == kept.pk
    found = find_lead_link(token=link.rsplit("/", 2)[-2])
    assert found is not None and found.action == her_action and found.invitation_id == kept.pk
    assert mine.pk in set(kept.led_actions.values_list("pk", flat=True))
    assert kept.reply_code == "ABCD2345"
    line = PersonChange.objects.get(invitee=person, event=PersonEvent.MERGED)
    assert line.note == "Merged with Grace OBI (Millbrook Primary)"
    assert line.by == world.user("facilitator") and line.programme == world.programme


def test_the_other_persons_programmes_come_with_them(world, grace, again):
    only_theirs = ProgrammeFactory(neighbourhood=world.neighbourhood, title="Spring")
    theirs_elsewhere = InvitationFactory(programme=only_theirs, invitee=again.invitee)
    both_on = ProgrammeFactory(neighbourhood=world.neighbourhood, title="Summer")
    InvitationFactory(programme=both_on, invitee=grace.invitee)
    InvitationFactory(programme=both_on, invitee=again.invitee)

    merge(world, grace, again)

    assert Invitation.objects.get(pk=theirs_elsewhere.pk).invitee_id == grace.invitee_id
    assert list(both_on.invitations.values_list("invitee_id", flat=True)) == [grace.invitee_id]
    assert Invitation.objects.filter(invitee_id=grace.invitee_id).count() == 3


def test_the_other_persons_history_comes_with_them(world, grace, again):
    PersonChange.objects.create(invitee=again.invitee, event=PersonEvent.ADDED, note="from the CSV")

    merge(world, grace, again)

    assert set(PersonChange.objects.filter(invitee_id=grace.invitee_id).values_list("event", flat=True)) == {
        PersonEvent.ADDED,
        PersonEvent.MERGED,
    }


# --- Replies --------------------------------------------------------------------------------------------


def test_both_replied_differently_the_facilitator_must_choose_and_nothing_changes(world, grace, again):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})
    came(again, first)

    with pytest.raises(ValidationError) as refused:
        merge(world, grace, again)

    assert f"reply_{world.programme.pk}" in refused.value.message_dict
    nothing_changed(
        grace,
        again,
        replies={grace.pk: {first.pk: Answer.YES}, again.pk: {first.pk: Answer.NO}},
        attendances={(again.pk, first.pk)},
    )


@pytest.mark.parametrize(("choice", "kept_answer"), [(KEEP, Answer.YES), (OTHER, Answer.MAYBE)])
def test_the_chosen_reply_is_kept(world, grace, again, choice, kept_answer):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(
        invitation=again,
        answers={first.pk: Answer.MAYBE},
        details={"food_needs": "Halal", "needs_agreed": True},
    )

    merge(world, grace, again, replies={world.programme.pk: choice})

    reply = Reply.objects.get()
    assert reply.invitation_id == grace.pk
    assert {a.session_id: a.answer for a in reply.answers.all()} == {first.pk: kept_answer}
    assert reply.food_needs == ("Halal" if choice == OTHER else "")


def test_the_same_reply_twice_needs_no_choice(world, grace, again):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.YES}, details={})

    merge(world, grace, again)

    assert Reply.objects.get().invitation_id == grace.pk


def test_both_replies_differing_only_in_what_helps_them_come_must_be_chosen(world, grace, again):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(
        invitation=again,
        answers={first.pk: Answer.YES},
        details={"childcare_children": 2, "needs_agreed": True},
    )

    with pytest.raises(ValidationError):
        merge(world, grace, again)
    assert Reply.objects.count() == 2


def test_a_reply_after_merging_is_confirmed_again(world, grace, again):
    """Both had confirmations of their replies: the next change of the kept reply gets its own."""
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.MAYBE}, details={})
    Message.objects.filter(kind=MessageKind.CONFIRMATION).update(state=MessageState.SENT)

    merge(world, grace, again, replies={world.programme.pk: OTHER})
    kept = Invitation.objects.get(pk=grace.pk)
    reply = save_reply(invitation=kept, answers={first.pk: Answer.YES}, details={})

    confirmations = Message.objects.filter(invitation=kept, kind=MessageKind.CONFIRMATION)
    assert confirmations.count() == 4
    assert confirmations.filter(state=MessageState.SCHEDULED, version=reply.version).count() == 1


def open_now(world) -> None:
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()


def test_the_kept_replys_waiting_confirmation_stays_though_the_others_went(world, grace, again):
    """Grace's confirmation waits (held back, as a text is until texting hours); the second Grace's
    confirmation of the same answer went: Grace's still goes, once, confirming her reply."""
    open_now(world)
    first = sessions(world)[0]
    save_reply(invitation=again, answers={first.pk: Answer.YES}, details={})
    Message.objects.filter(invitation=again, kind=MessageKind.CONFIRMATION).update(
        state=MessageState.SENT, sent_at=timezone.now()
    )
    reply = save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    Message.objects.filter(invitation=grace, kind=MessageKind.CONFIRMATION).update(
        scheduled_for=timezone.now() + timedelta(hours=9)
    )

    merge(world, grace, again)

    kept = Reply.objects.get(invitation=grace)
    waiting = Message.objects.get(
        invitation=grace, kind=MessageKind.CONFIRMATION, state=MessageState.SCHEDULED
    )
    assert waiting.version == kept.version >= reply.version
    assert Message.objects.filter(invitation=grace, kind=MessageKind.CONFIRMATION).count() == 2
    Message.objects.filter(pk=waiting.pk).update(scheduled_for=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    outbox.dispatch_due(prepare=False)
    assert Message.objects.get(pk=waiting.pk).state == MessageState.SENT
    assert len(sent_to("grace.obi@example.org")) == 1
    assert sent_to("g.obi@example.org") == []


def test_the_chosen_others_waiting_confirmation_comes_with_their_reply(world, grace, again):
    """The second Grace's reply is kept and its confirmation had not gone; Grace's (of her other
    answer) had: the waiting one goes to the kept person, numbered as the reply it confirms."""
    open_now(world)
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=grace, answers={first.pk: Answer.MAYBE}, details={})
    Message.objects.filter(invitation=grace, kind=MessageKind.CONFIRMATION).update(
        state=MessageState.SENT, sent_at=timezone.now()
    )
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})

    merge(world, grace, again, replies={world.programme.pk: OTHER})

    kept = Reply.objects.get(invitation=grace)
    assert kept.answers.get().answer == Answer.NO
    rows = Message.objects.filter(invitation=grace, kind=MessageKind.CONFIRMATION)
    assert sorted(rows.values_list("state", flat=True)) == [
        MessageState.SCHEDULED,
        MessageState.SENT,
        MessageState.SENT,
    ]
    waiting = rows.get(state=MessageState.SCHEDULED)
    assert waiting.version == kept.version
    assert all(row.version < kept.version for row in rows.exclude(pk=waiting.pk))
    mail.outbox.clear()
    outbox.dispatch_due(prepare=False)
    assert Message.objects.get(pk=waiting.pk).state == MessageState.SENT
    assert len(sent_to("grace.obi@example.org")) == 1


def test_the_confirmation_of_the_reply_that_goes_is_not_sent(world, grace, again):
    open_now(world)
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})

    merge(world, grace, again, replies={world.programme.pk: KEEP})
    mail.outbox.clear()
    outbox.dispatch_due(prepare=False)

    rows = Message.objects.filter(invitation=grace, kind=MessageKind.CONFIRMATION)
    assert list(rows.values_list("state", "version")) == [
        (MessageState.SENT, Reply.objects.get(invitation=grace).version)
    ]
    assert len(sent_to("grace.obi@example.org")) == 1


def test_reply_links_of_both_still_open_the_reply_page(client, world, grace, again):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    hers = issue_reply_link(invitation=grace)[0].rstrip("/").rsplit("/", 1)[1]
    theirs = issue_reply_link(invitation=again)[0].rstrip("/").rsplit("/", 1)[1]

    merge(world, grace, again)

    assert ReplyToken.objects.filter(invitation_id=grace.pk).count() == 2
    for token in (hers, theirs):
        assert find_invitation(token=token).pk == grace.pk
        response = client.get(reverse("invitations:reply", args=[token]))
        assert response.status_code == 200
        assert "Grace" in response.content.decode()


# --- Paper reply codes and "keep me in touch" ----------------------------------------------------------


def with_code(invitation, code: str):
    Invitation.objects.filter(pk=invitation.pk).update(reply_code=code)
    invitation.reply_code = code
    return invitation


def test_the_page_warns_that_the_others_reply_code_stops_working(client, world, grace, again):
    with_code(grace, "ACD479")
    with_code(again, "FGH236")
    client.force_login(world.user("facilitator"))

    page = client.get(merge_url(world, grace, again)).content.decode()

    warning = page[page.index('class="alert alert-warning py-2 small merge-code"') :]
    warning = warning[: warning.index("</div>")]
    assert "FGH 236" in warning and "will not be found" in warning
    assert "Type <strong" in warning and "ACD 479" in warning


def test_no_warning_when_only_one_has_a_reply_code(client, world, grace, again):
    with_code(again, "FGH236")
    client.force_login(world.user("facilitator"))

    page = client.get(merge_url(world, grace, again)).content.decode()

    assert "merge-code" not in page and "will not be found" not in page


def test_after_merging_the_kept_code_finds_them_and_the_history_says_which(client, world, grace, again):
    open_now(world)
    with_code(grace, "ACD479")
    with_code(again, "FGH236")

    merge(world, grace, again)

    assert Invitation.objects.get(pk=grace.pk).reply_code == "ACD479"
    assert not Invitation.objects.filter(reply_code="FGH236").exists()
    line = PersonChange.objects.get(invitee_id=grace.invitee_id, event=PersonEvent.MERGED)
    assert line.note == (
        "Merged with Grace OBI (Millbrook Primary). Their reply slip code FGH 236 no longer works: "
        "use ACD 479 (Better Together in Millbrook)."
    )
    client.force_login(world.user("facilitator"))
    found = client.post(reverse("invitations:reply_code", args=[world.programme.pk]), {"code": "ACD 479"})
    assert found.status_code == 302
    assert reverse("invitations:staff_reply", args=[world.programme.pk, grace.pk]) in found["Location"]


@pytest.mark.parametrize(
    ("hers", "theirs", "kept"),
    [(False, True, True), (True, False, True), (True, True, True), (False, False, False)],
)
def test_keep_in_touch_stays_if_either_asked(world, grace, again, hers, theirs, kept):
    early, late = timezone.now() - timedelta(days=400), timezone.now() - timedelta(days=3)
    Invitee.objects.filter(pk=grace.invitee_id).update(
        keep_in_touch=hers, keep_in_touch_at=late if hers else None
    )
    Invitee.objects.filter(pk=again.invitee_id).update(
        keep_in_touch=theirs, keep_in_touch_at=early if theirs else None
    )

    merge(world, grace, again)

    person = Invitee.objects.get(pk=grace.invitee_id)
    assert person.keep_in_touch is kept
    assert person.keep_in_touch_at == (early if theirs else late if hers else None)


# --- Details --------------------------------------------------------------------------------------------


def test_the_kept_persons_details_stay_unless_the_others_are_chosen(world, grace, again):
    merge(world, grace, again)

    person = Invitee.objects.get(pk=grace.invitee_id)
    assert person.email == "grace.obi@example.org"
    # She had no mobile: the other's is kept, with the agreement to texts given for it.
    assert (person.mobile, person.texts_agreed) == ("+447700900123", True)


def test_chosen_details_are_kept_and_in_the_history(world, grace, again):
    Invitee.objects.filter(pk=again.invitee_id).update(language="pl", phone="0161 496 0000")

    merge(world, grace, again, details={"email": OTHER, "language": OTHER, "phone": KEEP})

    person = Invitee.objects.get(pk=grace.invitee_id)
    assert (person.email, person.language, person.phone) == ("g.obi@example.org", "pl", "")
    line = PersonChange.objects.get(invitee=person, event=PersonEvent.MERGED)
    assert line.fields["email"] == ["grace.obi@example.org", "g.obi@example.org"]
    assert line.fields["language"] == ["en", "pl"]
    assert "phone" not in line.fields


def test_details_that_do_not_go_together_are_refused_and_nothing_is_half_merged(world, grace, again):
    """Her email given up for the other's none, while email stays her way: refused beside the email,
    after the invitations were already being united: the whole merge is rolled back."""
    first = sessions(world)[0]
    Invitee.objects.filter(pk=again.invitee_id).update(email="", channel=Channel.SMS)
    came(again, first)
    save_reply(invitation=again, answers={first.pk: Answer.YES}, details={})

    with pytest.raises(ValidationError) as refused:
        merge(world, grace, again, details={"email": OTHER, "channel": KEEP})

    assert "email" in refused.value.message_dict
    assert Invitee.objects.filter(pk__in=[grace.invitee_id, again.invitee_id]).count() == 2
    assert Invitation.objects.filter(pk__in=[grace.pk, again.pk]).count() == 2
    assert Attendance.objects.get().invitation_id == again.pk
    assert Reply.objects.get().invitation_id == again.pk
    assert not PersonChange.objects.filter(event=PersonEvent.MERGED).exists()


@pytest.mark.parametrize("bad", ["both", "", "theirs", "1"])
def test_a_choice_that_is_neither_is_refused(world, grace, again, bad):
    with pytest.raises(ValidationError) as refused:
        merge(world, grace, again, details={"email": bad})
    assert "email" in refused.value.message_dict
    nothing_changed(grace, again)


# --- One set of messages --------------------------------------------------------------------------------


def soon(world) -> None:
    """The series open and starting in ten days: invitations due now, reminders and a nudge ahead."""
    shift = world.session.date - (timezone.localdate() + timedelta(days=10))
    for session in world.programme.sessions.all():
        session.date -= shift
        session.save()
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()


def time_passes() -> None:
    """Everything still planned is due: the days until the last session have gone by."""
    Message.objects.filter(state=MessageState.SCHEDULED).update(
        scheduled_for=timezone.now() - timedelta(minutes=1)
    )


def sent_to(address: str) -> list:
    return [email for email in mail.outbox if any(f"<{address}>" in to for to in email.to)]


def test_one_set_of_messages_after_merging_never_two_reminders(world, grace, again):
    soon(world)
    sync_schedule(programme=world.programme)
    outbox.dispatch_due(prepare=False)
    assert len(sent_to("grace.obi@example.org")) == len(sent_to("g.obi@example.org")) == 1  # invited
    mail.outbox.clear()

    merge(world, grace, again)
    time_passes()
    outbox.dispatch_due(prepare=False)

    sent = Message.objects.filter(invitation=grace, state=MessageState.SENT)
    reminders = sent.filter(kind=MessageKind.REMINDER)
    upcoming = world.programme.sessions.count()
    assert reminders.count() == upcoming
    assert sorted(reminders.values_list("topic_id", flat=True)) == sorted(
        world.programme.sessions.values_list("pk", flat=True)
    )  # one reminder of each session
    assert sent.filter(kind=MessageKind.NUDGE).count() == 1
    assert sent.filter(kind=MessageKind.INVITATION).count() == 2  # both went before the merge
    assert len(sent_to("grace.obi@example.org")) == upcoming + 1  # the reminders and the nudge, once
    assert sent_to("g.obi@example.org") == []
    # Planning again changes nothing: no second reminder waits.
    sync_schedule(programme=world.programme)
    assert not Message.objects.filter(invitation=grace, state=MessageState.SCHEDULED).exists()


def test_an_invitation_that_went_to_the_other_is_not_sent_again(world, again):
    soon(world)
    sync_schedule(programme=world.programme)
    outbox.dispatch_due(prepare=False)
    assert len(sent_to("g.obi@example.org")) == 1
    # Grace is added afterwards: her invitation is due at once, but she has had it as the other.
    grace = InvitationFactory(
        programme=world.programme,
        invitee__name="Grace Obi",
        invitee__organisation=world.school,
        invitee__email="grace.obi@example.org",
    )
    sync_schedule(programme=world.programme, only=[grace.pk])
    assert Message.objects.filter(invitation=grace, kind=MessageKind.INVITATION, state="scheduled").exists()

    merge(world, grace, again)
    outbox.dispatch_due(prepare=False)

    assert sent_to("grace.obi@example.org") == []
    invitations = Message.objects.filter(invitation=grace, kind=MessageKind.INVITATION)
    assert list(invitations.values_list("state", flat=True)) == [MessageState.SENT]


def test_the_other_persons_planned_messages_are_cancelled_and_the_kept_ones_replanned(world, grace, again):
    soon(world)
    sync_schedule(programme=world.programme)
    planned = set(
        Message.objects.filter(invitation=grace, state=MessageState.SCHEDULED).values_list("kind", "topic_id")
    )

    merge(world, grace, again)

    assert not Message.objects.filter(recipient_id=again.pk).exists()
    now_planned = list(
        Message.objects.filter(invitation=grace, state=MessageState.SCHEDULED).values_list("kind", "topic_id")
    )
    # The same messages, once each (texts too now: the other's mobile, agreed, is hers).
    assert set(now_planned) == planned
    email_rows = Message.objects.filter(invitation=grace, state=MessageState.SCHEDULED, channel="email")
    assert email_rows.count() == len(planned)


# --- Who may, and forged requests -----------------------------------------------------------------------


def test_a_coordinator_merges_two_of_their_own_schools_people(client, world, grace, again):
    client.force_login(world.user("coordinator"))

    response = client.post(merge_url(world, grace, again), chosen())

    assert response.status_code == 302
    assert not Invitee.objects.filter(pk=again.invitee_id).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_coordinator_cannot_merge_another_schools_person(client, world, grace, again, method):
    Invitee.objects.filter(pk=again.invitee_id).update(organisation=world.other_school)
    client.force_login(world.user("coordinator"))

    response = getattr(client, method)(merge_url(world, grace, again), chosen())

    assert response.status_code == 403
    nothing_changed(grace, again)
    with pytest.raises(PermissionDenied):
        merge(world, grace, again, by="coordinator")
    nothing_changed(grace, again)


def test_another_neighbourhoods_facilitator_cannot_merge(client, world, grace, again):
    client.force_login(world.user("other_facilitator"))

    assert client.post(merge_url(world, grace, again), chosen()).status_code == 403
    nothing_changed(grace, again)


def elsewhere_with(world, *people, schools=(), title="Summer in Millbrook"):
    """Another programme of the neighbourhood, run by its facilitator, with ``people`` on its list; the
    first has replied, with a need."""
    programme = ProgrammeFactory(neighbourhood=world.neighbourhood, title=title)
    programme.schools.set(schools)
    session = programme.sessions.create(
        kind="half_day",
        order=1,
        date=timezone.localdate() + timedelta(days=40),
        start_time="09:30",
        end_time="12:00",
    )
    invitations = [InvitationFactory(programme=programme, invitee=person.invitee) for person in people]
    save_reply(
        invitation=invitations[0],
        answers={session.pk: Answer.YES},
        details={"access_needs": "Uses a wheelchair", "needs_agreed": True},
    )
    return programme


def refused_not_yours(world, grace, again, by, count=1):
    with pytest.raises(ValidationError) as refused:
        merge(world, grace, again, by=by, details=chosen())
    assert refused.value.messages == [
        f"They are also on {count} other programme you do not run: ask its facilitator to merge them."
    ]
    nothing_changed(grace, again)


def not_yours_page(client, world, grace, again, by) -> str:
    client.force_login(world.user(by))
    response = client.get(merge_url(world, grace, again))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Summer in Millbrook" not in page and "Uses a wheelchair" not in page
    assert "Also on 1 other programme you do not run: not shown." in page
    assert "ask its facilitator to merge them" in page
    assert "Merge them into one person" not in page
    posted = client.post(merge_url(world, grace, again), chosen())
    assert posted.status_code == 200
    assert "ask its facilitator to merge them" in posted.content.decode()
    nothing_changed(grace, again)
    return page


@pytest.mark.parametrize("on_it", ["both", "other", "kept"])
def test_a_coordinator_cannot_merge_people_on_a_programme_their_school_is_not_on(
    client, world, grace, again, on_it
):
    people = {"both": (again, grace), "other": (again,), "kept": (grace,)}[on_it]
    summer = elsewhere_with(world, *people, schools=[world.other_school])

    not_yours_page(client, world, grace, again, "coordinator")
    refused_not_yours(world, grace, again, "coordinator")
    assert summer.invitations.count() == len(people)
    assert Reply.objects.filter(invitation__programme=summer).get().access_needs == "Uses a wheelchair"


def test_a_coordinator_merges_people_on_another_programme_their_school_is_on(client, world, grace, again):
    summer = elsewhere_with(world, again, grace, schools=[world.school])
    client.force_login(world.user("coordinator"))

    page = client.get(merge_url(world, grace, again)).content.decode()
    assert "Summer in Millbrook" in page and "Uses a wheelchair" in page
    assert "you do not run" not in page and "Merge them into one person" in page
    merge(world, grace, again, by="coordinator", details=chosen())

    assert list(summer.invitations.values_list("invitee_id", flat=True)) == [grace.invitee_id]


@pytest.fixture
def programme_facilitator(world):
    """Someone who runs this programme only (named on it), not the neighbourhood's facilitator."""
    user = UserFactory(username="programme_facilitator")
    world.programme.facilitators.add(user)
    world.users["programme_facilitator"] = user
    return user


@pytest.mark.parametrize("on_it", ["both", "other", "kept"])
def test_a_facilitator_of_this_programme_only_cannot_merge_people_on_another(
    client, world, grace, again, programme_facilitator, on_it
):
    people = {"both": (again, grace), "other": (again,), "kept": (grace,)}[on_it]
    summer = elsewhere_with(world, *people)

    not_yours_page(client, world, grace, again, "programme_facilitator")
    refused_not_yours(world, grace, again, "programme_facilitator")
    assert summer.invitations.count() == len(people)


def test_a_facilitator_of_this_programme_only_merges_people_on_it_alone(
    client, world, grace, again, programme_facilitator
):
    elsewhere_with(world, InvitationFactory(programme=world.programme))  # someone else's other list

    merge(world, grace, again, by="programme_facilitator", details=chosen())

    assert not Invitee.objects.filter(pk=again.invitee_id).exists()


def test_the_neighbourhoods_facilitator_sees_and_merges_every_programme(client, world, grace, again):
    summer = elsewhere_with(world, again, grace, schools=[world.other_school])
    client.force_login(world.user("facilitator"))

    page = client.get(merge_url(world, grace, again)).content.decode()
    assert "Summer in Millbrook" in page and "Uses a wheelchair" in page and "you do not run" not in page
    merge(world, grace, again, details=chosen())

    assert list(summer.invitations.values_list("invitee_id", flat=True)) == [grace.invitee_id]


def _forged(world, grace, again):
    elsewhere = ProgrammeFactory(neighbourhood=world.neighbourhood)
    far = ProgrammeFactory(neighbourhood=NeighbourhoodFactory())
    return {
        "on another programme": (grace.pk, InvitationFactory(programme=elsewhere).pk),
        "in another neighbourhood": (grace.pk, InvitationFactory(programme=far).pk),
        "nonexistent": (grace.pk, 987654),
        "keep is other": (grace.pk, grace.pk),
        "the other way round too": (InvitationFactory(programme=elsewhere).pk, again.pk),
    }


@pytest.mark.parametrize(
    "case",
    [
        "on another programme",
        "in another neighbourhood",
        "nonexistent",
        "keep is other",
        "the other way round too",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_pair_is_not_found_and_nothing_changes(client, world, grace, again, case, method):
    keep_pk, other_pk = _forged(world, grace, again)[case]
    client.force_login(world.user("facilitator"))
    people = Invitee.objects.count()

    response = getattr(client, method)(
        reverse("invitations:merge", args=[world.programme.pk, keep_pk, other_pk]), chosen()
    )

    assert response.status_code == 404
    assert Invitee.objects.count() == people
    nothing_changed(grace, again)


def test_the_service_refuses_the_same_person_twice_and_a_pair_off_the_programme(world, grace, again):
    with pytest.raises(ValidationError):
        merge(world, grace, grace)
    stranger = InvitationFactory(programme=ProgrammeFactory(neighbourhood=world.neighbourhood))
    with pytest.raises(ValidationError):
        merge(world, grace, stranger)
    nothing_changed(grace, again)


def test_a_merge_without_the_csrf_token_is_refused(world, grace, again):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("facilitator"))

    response = client.post(merge_url(world, grace, again), chosen())

    assert response.status_code == 403
    nothing_changed(grace, again)


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_shows_both_side_by_side(client, world, grace, again):
    first = sessions(world)[0]
    save_reply(
        invitation=grace,
        answers={first.pk: Answer.YES},
        details={"food_needs": "Vegetarian", "needs_agreed": True},
    )
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})
    came(again, first)
    client.force_login(world.user("facilitator"))

    page = client.get(merge_url(world, grace, again)).content.decode()

    assert "Compare and merge Grace Obi and Grace OBI" in page
    assert "grace.obi@example.org" in page and "g.obi@example.org" in page
    assert "07700 900123" in page
    assert "They replied differently: which reply should stay?" in page
    assert "Coming" in page and "Can&#x27;t come" in page and "Vegetarian" in page
    assert "Attendances: 1" in page
    assert page.count('type="radio"') == 3 * 2 + 2  # name, email and mobile differ; the reply
    assert reverse("invitations:merge", args=[world.programme.pk, again.pk, grace.pk]) in page


def test_posting_without_choosing_the_reply_shows_why_beside_it(client, world, grace, again):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})
    client.force_login(world.user("facilitator"))

    response = client.post(merge_url(world, grace, again), chosen())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing has been merged yet." in page
    assert "They replied differently: choose which reply to keep." in page
    assert f'aria-describedby="id_reply_{world.programme.pk}-error"' in page
    nothing_changed(grace, again)


def test_posting_the_choices_merges_and_goes_back_to_the_list(client, world, grace, again):
    first = sessions(world)[0]
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(invitation=again, answers={first.pk: Answer.NO}, details={})
    client.force_login(world.user("facilitator"))

    response = client.post(
        merge_url(world, grace, again),
        chosen(email=OTHER, **{f"reply_{world.programme.pk}": OTHER}),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("invitations:list", args=[world.programme.pk])
    assert "Merged into one person: Grace Obi" in response.content.decode()
    assert Invitee.objects.get(pk=grace.invitee_id).email == "g.obi@example.org"
    assert Reply.objects.get().answers.get().answer == Answer.NO


def test_a_details_problem_is_shown_beside_its_choice(client, world, grace, again):
    Invitee.objects.filter(pk=again.invitee_id).update(email="", channel=Channel.SMS)
    client.force_login(world.user("facilitator"))

    response = client.post(merge_url(world, grace, again), chosen(email=OTHER, channel=KEEP))

    assert response.status_code == 200
    assert 'aria-describedby="id_email-error"' in response.content.decode()
    nothing_changed(grace, again)


def test_the_merge_page_costs_the_same_queries_at_60_people_as_at_5(client, world, grace, again):
    client.force_login(world.user("facilitator"))
    url = merge_url(world, grace, again)
    for _ in range(3):
        InvitationFactory(programme=world.programme)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(55):
        InvitationFactory(programme=world.programme)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
