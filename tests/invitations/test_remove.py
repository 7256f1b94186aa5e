"""Issue 17, part 2: taking someone off a programme's list and putting them back (services.people), and
the removed rule everywhere messages are planned or sent and lists of people to contact are made: they
are treated like someone who opted out, while what happened keeps them."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.enums import ActionStatus
from actions.services import links
from core import outbox
from core.delivery import record_delivery
from core.enums import Delivery
from core.models import Message
from evaluations.models import Attendance
from events import services as event_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer, ChangeState, Channel, MessageKind, MessageState, PersonEvent
from invitations.models import Invitation, Invitee, PersonChange, Reply, SessionChange
from invitations.services import changes, invitees, letters, people, reach, replies, sheets, status
from invitations.services.schedule import new_message, sync_schedule
from records.services.thanks import who_to_thank
from tests.actions.helpers import make_action
from tests.factories import InvitationFactory


@pytest.fixture
def programme(world):
    """The world's programme open, its all-day in ten days: the invitations are due now."""
    programme = world.programme
    today = timezone.localdate()
    for offset, session in zip((10, 24, 38, 52), programme.sessions.order_by("order"), strict=True):
        session.date = today + timedelta(days=offset)
        session.save()
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    return programme


def person(world, name: str, **invitee) -> Invitation:
    first = name.split()[0].lower()
    defaults = {"name": name, "email": f"{first}@example.org", "organisation": world.school}
    return InvitationFactory(
        programme=world.programme,
        **{f"invitee__{key}": value for key, value in {**defaults, **invitee}.items()},
    )


def by_letter(world, name: str) -> Invitation:
    return person(world, name, email="", channel=Channel.LETTER)


def scheduled(invitation: Invitation):
    return Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED)


def remove(world, invitation: Invitation, role: str = "facilitator", **kwargs) -> int:
    return people.remove_from_list(invitation=invitation, by=world.user(role), **kwargs)


def remove_url(invitation: Invitation) -> str:
    return reverse("invitations:remove", args=[invitation.programme_id, invitation.pk])


def put_back_url(invitation: Invitation) -> str:
    return reverse("invitations:put_back", args=[invitation.programme_id, invitation.pk])


def answer_all(invitation: Invitation, answer: str = Answer.YES) -> None:
    sessions = invitation.programme.sessions.all()
    replies.save_reply(invitation=invitation, answers={s.pk: answer for s in sessions}, details={})


# --- Removing: nothing more is planned or sent ------------------------------------------------------------


def test_removing_cancels_everything_not_gone_and_nothing_is_planned_again(world, programme):
    ama, bea = person(world, "Ama Owusu"), person(world, "Bea Jones")
    sync_schedule(programme=programme)
    notice = new_message(
        invitation_id=bea.pk, kind=MessageKind.CHANGE, channel=Channel.EMAIL, scheduled_for=timezone.now()
    )
    notice.save()
    waiting = scheduled(bea).count()
    assert waiting >= 3  # the invitation, reminders, the nudge and the notice

    cancelled = remove(world, bea)

    assert cancelled == waiting
    assert not scheduled(bea).exists()
    bea.refresh_from_db()
    assert (bea.removed_by, bea.removed_at is not None) == (world.user("facilitator"), True)
    sync_schedule(programme=programme)
    assert not scheduled(bea).exists()
    assert scheduled(ama).exists()
    line = PersonChange.objects.get(invitee=bea.invitee)
    assert (line.event, line.by, line.programme) == (
        PersonEvent.REMOVED,
        world.user("facilitator"),
        programme,
    )
    assert remove(world, bea) == 0  # twice: nothing more
    assert PersonChange.objects.filter(invitee=bea.invitee).count() == 1


def test_the_dispatcher_never_sends_to_someone_removed(world, programme, smtp_sink):
    person(world, "Ama Owusu")
    bea, cat = person(world, "Bea Jones"), person(world, "Cat Lee")
    sync_schedule(programme=programme)
    # Cat's invitation is claimed by a dispatcher just before she is removed: it asks again before sending.
    claimed = outbox.claim_due(
        now=timezone.now(), only=list(Message.objects.filter(invitation=cat).values_list("pk", flat=True))
    )
    assert claimed
    remove(world, bea)
    remove(world, cat)

    result = outbox.DispatchResult()
    outbox.send_claimed(messages=claimed, senders=outbox.Senders(), result=result)
    outbox.dispatch_due()

    assert result.sent == 0 and result.cancelled == len(claimed)
    assert smtp_sink.to("ama@example.org")
    assert smtp_sink.to("bea@example.org") == [] and smtp_sink.to("cat@example.org") == []
    assert not Message.objects.filter(invitation__in=[bea, cat], state=MessageState.SENT).exists()


def test_no_change_notice_is_made_for_someone_removed(world, programme, smtp_sink):
    ama, bea = person(world, "Ama Owusu"), person(world, "Bea Jones")
    sync_schedule(programme=programme)
    outbox.dispatch_due()  # they have heard of the programme: their invitations went
    assert smtp_sink.to("bea@example.org")
    remove(world, bea)
    session = programme.sessions.get(order=2)
    change = SessionChange.objects.create(
        session=session,
        was_date=session.date,
        was_start_time=session.start_time,
        was_end_time=session.end_time,
        was_venue=session.venue,
        tell_at=timezone.now(),
    )
    session.date += timedelta(days=1)
    session.save()

    changes.tell(change=change)

    change.refresh_from_db()
    assert change.state == ChangeState.TOLD
    assert Message.objects.filter(session_change=change, invitation=ama).exists()
    assert not Message.objects.filter(session_change=change, invitation=bea).exists()


def test_a_bounced_change_notice_is_not_made_again_for_someone_removed(world, programme, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    bea = person(world, "Bea Jones")
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
        invitation_id=bea.pk, kind=MessageKind.CHANGE, channel=Channel.EMAIL, scheduled_for=timezone.now()
    )
    notice.topic = change
    notice.save()
    Message.objects.filter(pk=notice.pk).update(
        state=MessageState.SENT, sent_at=timezone.now(), provider_id="n-1"
    )
    remove(world, bea)

    record_delivery(Message.objects.get(pk=notice.pk), status=Delivery.PERMANENT_FAILURE, said="bounced")

    assert list(Message.objects.filter(session_change=change).values_list("pk", flat=True)) == [notice.pk]
    assert Invitee.objects.get(pk=bea.invitee_id).channel == Channel.LETTER  # the mark is kept all the same


def test_letters_leave_them_out(client, world, programme):
    carla, dan = by_letter(world, "Carla Diaz"), by_letter(world, "Dan Eze")
    sync_schedule(programme=programme)
    dans_change_letter = new_message(
        invitation_id=dan.pk, kind=MessageKind.CHANGE, channel=Channel.LETTER, scheduled_for=timezone.now()
    )
    dans_change_letter.save()

    remove(world, dan)

    assert list(letters.letter_invitations(programme=programme, school=world.school)) == [carla]
    Message.objects.filter(pk=dans_change_letter.pk).update(
        state=MessageState.SCHEDULED
    )  # as if not cancelled
    assert not status.unprinted_change_letters().filter(invitation=dan).exists()
    client.force_login(world.user("coordinator"))
    page = client.get(reverse("invitations:letters", args=[programme.pk])).content.decode()
    assert "Carla Diaz" in page and "Dan Eze" not in page
    one = reverse("invitations:letter_one", args=[programme.pk, dan.pk])
    assert client.get(one).status_code == 404


def test_the_call_list_leaves_them_out(world, programme):
    not_reached = {"email": "", "channel": Channel.LETTER, "organisation": None, "phone": "0161 496 0000"}
    eve, fay = person(world, "Eve Adams", **not_reached), person(world, "Fay Gold", **not_reached)
    sync_schedule(programme=programme)
    assert {p.invitation for p in reach.reach(programme=programme).people} == {eve, fay}

    remove(world, fay)

    found = reach.reach(programme=programme)
    assert [p.invitation for p in found.people] == [eve]
    parents = next(group for group in found.groups if group.key == "parents")
    assert (parents.on_list, parents.not_reached) == (1, 1)


def test_thanks_leave_them_out_and_their_attendance_stays(world, programme):
    ama, bea = person(world, "Ama Owusu"), person(world, "Bea Jones")
    session = programme.sessions.get(order=1)
    for invitation in (ama, bea):
        Attendance.objects.create(session=session, invitation=invitation)
    remove(world, bea, confirmed=True)

    assert set(who_to_thank(session=session)) == {ama.pk}
    assert Attendance.objects.filter(invitation=bea).exists()


def test_a_reply_from_someone_removed_gets_no_confirmation_and_no_plan(world, programme):
    bea = person(world, "Bea Jones")
    sync_schedule(programme=programme)
    remove(world, bea)

    answer_all(bea)

    bea.refresh_from_db()
    assert replies.confirmation_of(invitation=bea, reply=bea.reply) is None
    assert not scheduled(bea).exists()


def test_a_lead_removed_from_the_list_gets_no_link(world, programme):
    lead = person(world, "Ama Owusu")
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)
    link = links.schedule_lead_link(action=action)
    remove(world, lead)

    link.message.refresh_from_db()
    assert link.message.state == MessageState.CANCELLED
    assert links.lead_link_still_wanted(link.message, timezone.now()) is False
    action.lead.refresh_from_db()
    with pytest.raises(ValidationError):
        links.schedule_lead_link(action=action)


def test_the_lists_balance_leaves_them_out(world, programme):
    person(world, "Ama Owusu")
    bea = person(world, "Bea Jones")
    person(world, "Sam Ode", category="group_worker", organisation=world.group)
    assert invitees.list_balance(programme=programme).total == 3

    remove(world, bea)

    balance = invitees.list_balance(programme=programme)
    assert (balance.total, balance.opted_out) == (2, 0)
    assert {group.key: group.count for group in balance.groups}["parents"] == 1


# --- Someone who replied or came: a confirmation, and what happened keeps them --------------------------


def test_removing_someone_who_replied_asks_first_and_says_what_they_answered(client, world, programme):
    ama = person(world, "Ama Owusu")
    answer_all(ama)
    client.force_login(world.user("facilitator"))

    page = client.get(remove_url(ama)).content.decode()
    assert "What they have done already" in page and "Coming" in page
    assert "stay in the counts of what happened" in page
    with pytest.raises(people.ConfirmationNeeded):
        remove(world, ama)

    response = client.post(remove_url(ama))  # not from the page: no confirmation

    assert response.status_code == 200
    assert 'id="confirm-needed"' in response.content.decode()
    ama.refresh_from_db()
    assert ama.removed_at is None

    response = client.post(remove_url(ama), {"confirmed": "yes"})

    assert response.status_code == 302
    ama.refresh_from_db()
    assert ama.removed_at is not None
    assert ama.reply.answers.count() == programme.sessions.count()  # their answers are kept


def test_removing_someone_who_came_asks_first(world, programme):
    ama = person(world, "Ama Owusu")
    Attendance.objects.create(session=programme.sessions.get(order=1), invitation=ama)

    with pytest.raises(people.ConfirmationNeeded) as raised:
        remove(world, ama)

    assert [s.order for s in raised.value.past.came_to] == [1]
    ama.refresh_from_db()
    assert ama.removed_at is None


def test_what_happened_keeps_them_and_sessions_to_come_leave_them_out(world, programme):
    """The rule of services.sheets: the all-day has happened (Ama and Bea said they were coming and
    came); Ama is then removed. The all-day's counts and sheets keep her; the half-days still to come,
    and the programme's totals of the list, leave her out."""
    all_day = programme.sessions.get(order=1)
    all_day.date = timezone.localdate() - timedelta(days=1)
    all_day.save()
    ama, bea, cat = person(world, "Ama Owusu"), person(world, "Bea Jones"), person(world, "Cat Lee")
    for invitation in (ama, bea):
        answer_all(invitation)
        Attendance.objects.create(session=all_day, invitation=invitation)
    half_day = programme.sessions.get(order=2)
    before = sheets.attendance(programme=programme)

    remove(world, ama, confirmed=True)

    after = sheets.attendance(programme=programme)
    by_session = {row.session.pk: row for row in after.sessions}
    was = {row.session.pk: row for row in before.sessions}
    assert (by_session[all_day.pk].coming, by_session[all_day.pk].no_reply) == (2, 1)
    assert (was[half_day.pk].coming, was[half_day.pk].no_reply) == (2, 1)
    assert (by_session[half_day.pk].coming, by_session[half_day.pk].no_reply) == (1, 1)
    assert (before.total.invited, before.total.coming) == (3, 2)
    assert (after.total.invited, after.total.coming, after.total.no_reply) == (2, 1, 1)
    assert "Ama Owusu" in [p.name for p in sheets.catering(session=all_day).people]
    assert [p.name for p in sheets.catering(session=half_day).people] == ["Bea Jones"]
    assert Attendance.objects.filter(invitation=ama, session=all_day).exists()
    assert cat.removed_at is None


# --- Putting back --------------------------------------------------------------------------------------


def test_put_back_re_plans_what_they_should_get_now(world, programme):
    bea = person(world, "Bea Jones")
    sync_schedule(programme=programme)
    planned = sorted(scheduled(bea).values_list("kind", "topic_id", "channel"))
    remove(world, bea)

    changed = people.put_back(invitation=bea, by=world.user("coordinator"))

    assert changed == len(planned)
    assert sorted(scheduled(bea).values_list("kind", "topic_id", "channel")) == planned
    bea.refresh_from_db()
    assert (bea.removed_at, bea.removed_by) == (None, None)
    line = PersonChange.objects.get(invitee=bea.invitee, event=PersonEvent.PUT_BACK)
    assert (line.by, line.programme) == (world.user("coordinator"), programme)
    assert people.put_back(invitation=bea, by=world.user("coordinator")) == 0  # twice: nothing more


def tell_a_move(session, *, days: int) -> SessionChange:
    """Move the session by ``days`` and tell the change at once, as "Tell them now" does."""
    session.refresh_from_db()
    session.date += timedelta(days=days)
    event_services.save_session(session=session)
    change = SessionChange.objects.get(session=session, state=ChangeState.WAITING)
    changes.tell(change=change)
    change.refresh_from_db()
    return change


def heard_by_letter(world, name: str) -> Invitation:
    """Someone their school reaches by letter who has heard of the programme (they replied on paper)."""
    invitation = by_letter(world, name)
    Reply.objects.create(invitation=invitation, source="paper")
    return invitation


def test_put_back_brings_back_the_change_notices_the_removal_cancelled(world, programme):
    """A change letter waiting to print and a change email waiting to go, cancelled by the removal, are
    scheduled again when the person is put back: their change is still what is true."""
    carla = heard_by_letter(world, "Carla Diaz")
    erin = person(world, "Erin Mail")
    Reply.objects.create(invitation=erin, source="web")
    change = tell_a_move(programme.sessions.get(order=2), days=1)
    letter = Message.objects.get(session_change=change, invitation=carla, channel=Channel.LETTER)
    email = Message.objects.get(session_change=change, invitation=erin, channel=Channel.EMAIL)
    assert status.change_letters_to_print().filter(pk=letter.pk).exists()

    remove(world, carla, confirmed=True)
    remove(world, erin, confirmed=True)
    assert not status.change_letters_to_print().filter(pk=letter.pk).exists()

    people.put_back(invitation=carla, by=world.user("facilitator"))
    people.put_back(invitation=erin, by=world.user("facilitator"))

    assert status.change_letters_to_print().filter(pk=letter.pk).exists()
    email.refresh_from_db()
    assert email.state == MessageState.SCHEDULED
    assert Message.objects.filter(session_change=change).count() == 2  # the same rows, none made twice


def test_put_back_leaves_cancelled_a_change_notice_no_longer_true_or_cancelled_before(world, programme):
    """Only what the removal cancelled comes back, and only while its change is current: a later change
    to the session told since (its letter says the latest), or a notice cancelled before the removal
    (when they asked us to stop), stays cancelled."""
    carla, dan = heard_by_letter(world, "Carla Diaz"), heard_by_letter(world, "Dan Eze")
    ola = heard_by_letter(world, "Ola Ade")
    half_day = programme.sessions.get(order=2)
    first = tell_a_move(half_day, days=1)
    carlas, dans = (Message.objects.get(session_change=first, invitation=who) for who in (carla, dan))
    # Dan's was cancelled an hour before his removal (as asking us to stop does): not the removal's.
    Message.objects.filter(pk=dans.pk).update(
        state=MessageState.CANCELLED, updated_at=timezone.now() - timedelta(hours=1)
    )
    remove(world, dan, confirmed=True)
    people.put_back(invitation=dan, by=world.user("facilitator"))
    dans.refresh_from_db()
    assert dans.state == MessageState.CANCELLED

    remove(world, carla, confirmed=True)
    later = tell_a_move(half_day, days=1)  # told to Dan and Ola; Carla is off the list
    assert set(Message.objects.filter(session_change=later).values_list("invitation", flat=True)) == {
        dan.pk,
        ola.pk,
    }
    people.put_back(invitation=carla, by=world.user("facilitator"))

    carlas.refresh_from_db()
    assert carlas.state == MessageState.CANCELLED
    assert not status.change_letters_to_print().filter(invitation=carla).exists()


def test_remove_and_put_back_through_the_pages(client, world, programme):
    bea = person(world, "Bea Jones")
    sync_schedule(programme=programme)
    client.force_login(world.user("coordinator"))

    page = client.get(remove_url(bea)).content.decode()
    assert "Remove Bea Jones from this programme" in page and "confirmed" not in page
    response = client.post(remove_url(bea), follow=True)
    assert "Bea Jones is off this programme&#x27;s list" in response.content.decode()
    bea.refresh_from_db()
    assert bea.removed_at is not None
    assert "Put back on the list" in client.get(remove_url(bea)).content.decode()
    listed = client.get(reverse("invitations:list", args=[programme.pk]), {"removed": "1"}).content.decode()
    assert f'action="{put_back_url(bea)}"' in listed  # the list's row for her puts her back

    response = client.post(put_back_url(bea), follow=True)

    assert "Bea Jones is back on the list" in response.content.decode()
    bea.refresh_from_db()
    assert bea.removed_at is None and scheduled(bea).exists()
    history = client.get(reverse("invitations:person_history", args=[programme.pk, bea.pk])).content.decode()
    assert "Removed from the list" in history and "Put back on the list" in history


# --- Who may, and bad requests ----------------------------------------------------------------------------


def test_a_coordinator_cannot_remove_or_put_back_another_schools_person(client, world, programme):
    programme.schools.add(world.other_school)
    theirs = person(world, "Bea Jones", organisation=world.other_school)
    removed = person(world, "Cat Lee", organisation=world.other_school)
    remove(world, removed)
    client.force_login(world.user("coordinator"))

    assert client.get(remove_url(theirs)).status_code == 403
    assert client.post(remove_url(theirs), {"confirmed": "yes"}).status_code == 403
    assert client.post(put_back_url(removed)).status_code == 403
    with pytest.raises(PermissionDenied):
        remove(world, theirs, role="coordinator")
    with pytest.raises(PermissionDenied):
        people.put_back(invitation=removed, by=world.user("coordinator"))
    theirs.refresh_from_db()
    removed.refresh_from_db()
    assert theirs.removed_at is None and removed.removed_at is not None


def test_a_forged_invitation_of_another_programme_is_not_found(client, world, programme):
    elsewhere = InvitationFactory(programme__neighbourhood=world.neighbourhood)
    client.force_login(world.user("facilitator"))

    assert client.get(reverse("invitations:remove", args=[programme.pk, elsewhere.pk])).status_code == 404
    assert client.post(reverse("invitations:remove", args=[programme.pk, elsewhere.pk])).status_code == 404
    assert client.post(reverse("invitations:put_back", args=[programme.pk, elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.removed_at is None


def test_posts_without_a_csrf_token_are_refused(world, programme):
    bea, cat = person(world, "Bea Jones"), person(world, "Cat Lee")
    remove(world, cat)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("facilitator"))

    assert client.post(remove_url(bea)).status_code == 403
    assert client.post(put_back_url(cat)).status_code == 403
    bea.refresh_from_db()
    cat.refresh_from_db()
    assert bea.removed_at is None and cat.removed_at is not None
