"""Recording replies: the answers, what would help people come, and what that does to the schedule."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core import outbox
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer, MessageKind, MessageState, ReplySource
from invitations.models import Reply, SessionAnswer
from invitations.services import replies
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory


@pytest.fixture
def invitation(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    invitation = InvitationFactory(programme=world.programme, invitee__email="reply@example.org")
    sync_schedule(programme=world.programme)
    return invitation


def sessions(invitation):
    return list(invitation.programme.sessions.order_by("order"))


def test_record_reply_saves_answers_and_details(invitation):
    first, second, *_ = sessions(invitation)

    reply = replies.save_reply(
        invitation=invitation,
        answers={first.pk: Answer.YES, second.pk: Answer.MAYBE},
        details={
            "childcare_children": 2,
            "childcare_ages": "2, 4",
            "food_needs": "Halal",
            "extra_places": 1,
            "needs_agreed": True,  # needs are kept only with their agreement
        },
    )

    assert dict(reply.answers.values_list("session_id", "answer")) == {first.pk: "yes", second.pk: "maybe"}
    assert (reply.childcare_children, reply.ages, reply.food_needs, reply.extra_places) == (
        2,
        [2, 4],
        "Halal",
        1,
    )
    assert reply.source == ReplySource.WEB and reply.version == 1


def test_changing_the_answer_replaces_it_whole(invitation):
    first, second, *_ = sessions(invitation)
    replies.save_reply(
        invitation=invitation,
        answers={first.pk: "yes", second.pk: "yes"},
        details={"food_needs": "Vegan", "needs_agreed": True},
    )

    reply = replies.save_reply(invitation=invitation, answers={first.pk: "no"}, details={})

    assert dict(reply.answers.values_list("session_id", "answer")) == {first.pk: "no"}
    assert reply.food_needs == "" and reply.version == 2
    assert Reply.objects.count() == 1


def test_a_session_of_another_programme_is_refused_and_nothing_changes(invitation, world):
    other = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=60),
        created_by=world.user("other_facilitator"),
    )

    with pytest.raises(ValidationError):
        replies.save_reply(invitation=invitation, answers={other.sessions.first().pk: "yes"}, details={})

    assert not Reply.objects.exists() and not SessionAnswer.objects.exists()


@pytest.mark.parametrize(
    "details",
    [
        {"childcare_children": 11, "needs_agreed": True},
        {"childcare_children": -1, "needs_agreed": True},
        {"food_needs": "x" * 100_000, "needs_agreed": True},
        {"extra_places": 6},
    ],
    ids=["eleven-children", "minus-one", "100kB", "six-guests"],
)
def test_out_of_range_details_are_refused_and_nothing_is_saved(invitation, details):
    first = sessions(invitation)[0]

    with pytest.raises(ValidationError):
        replies.save_reply(invitation=invitation, answers={first.pk: "yes"}, details=details)

    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("text", "children", "result"),
    [("2, 4", 2, "2, 4"), ("3 and 5", 2, "3, 5"), ("", 1, ""), (" 0 ", 1, "0")],
)
def test_parse_ages_accepts_ages(text, children, result):
    assert replies.parse_ages(text, children=children) == result


@pytest.mark.parametrize(("text", "children"), [("two", 2), ("-1", 1), ("18", 1), ("2.5", 1), ("1, 2, 3", 2)])
def test_parse_ages_refuses_what_is_not_an_age(text, children):
    with pytest.raises(ValidationError):
        replies.parse_ages(text, children=children)


def test_no_reminder_for_a_session_they_cannot_come_to_and_no_nudge_after_replying(invitation):
    first, second, *_ = sessions(invitation)

    replies.save_reply(invitation=invitation, answers={first.pk: "no", second.pk: "yes"}, details={})

    states = {(m.kind, m.topic_id): m.state for m in Message.objects.filter(invitation=invitation)}
    assert states[(MessageKind.REMINDER, first.pk)] == MessageState.CANCELLED
    assert states[(MessageKind.REMINDER, second.pk)] == MessageState.SCHEDULED
    assert states[(MessageKind.NUDGE, None)] == MessageState.CANCELLED


def test_each_change_queues_one_confirmation_and_replaces_an_unsent_one(invitation, smtp_sink):
    first = sessions(invitation)[0]
    replies.save_reply(invitation=invitation, answers={first.pk: "yes"}, details={})
    replies.save_reply(
        invitation=invitation,
        answers={first.pk: "maybe"},
        details={"childcare_children": 1, "needs_agreed": True},
    )

    outbox.dispatch_due()

    confirmations = [
        m for m in smtp_sink.to("reply@example.org") if "Thank you for your reply" in m["Subject"]
    ]
    assert len(confirmations) == 1
    text = confirmations[0].get_body(("plain",)).get_content()
    assert "Not sure yet" in text and "Crèche: 1 child" in text
    assert Message.objects.filter(kind=MessageKind.CONFIRMATION, state=MessageState.CANCELLED).count() == 1


def test_html_in_free_text_is_escaped_in_the_confirmation(invitation, smtp_sink):
    first = sessions(invitation)[0]
    replies.save_reply(
        invitation=invitation,
        answers={first.pk: "yes"},
        details={"access_needs": "<script>alert(1)</script>", "needs_agreed": True},
    )

    outbox.dispatch_due()

    [confirmation] = [m for m in smtp_sink.to("reply@example.org") if "Thank you" in m["Subject"]]
    html = confirmation.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_reply_after_opting_out_sends_no_confirmation(invitation, smtp_sink):
    replies.opt_out(invitation=invitation)
    invitation.refresh_from_db()

    replies.save_reply(invitation=invitation, answers={sessions(invitation)[0].pk: "no"}, details={})

    assert not Message.objects.filter(invitation=invitation, kind=MessageKind.CONFIRMATION).exists()


@pytest.mark.django_db(transaction=True)
def test_two_submissions_racing_leave_one_whole_answer(invitation):
    first, second, *_ = sessions(invitation)
    choices = [
        ({first.pk: "yes", second.pk: "yes"}, {"food_needs": "A", "needs_agreed": True}),
        ({first.pk: "no"}, {"food_needs": "B", "needs_agreed": True}),
    ]
    errors = []

    def submit(answers, details):
        try:
            replies.save_reply(invitation=invitation, answers=answers, details=details)
        except Exception as error:  # noqa: BLE001 -- collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=choice) for choice in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reply = Reply.objects.get()
    saved = (dict(reply.answers.values_list("session_id", "answer")), reply.food_needs)
    assert errors == []
    assert saved in [(choices[0][0], "A"), (choices[1][0], "B")]
    assert reply.version == 2


def test_a_session_already_over_keeps_its_answer_when_left_out(invitation):
    first, second, third, _fourth = sessions(invitation)
    replies.save_reply(invitation=invitation, answers={first.pk: "yes", second.pk: "no"}, details={})
    first.date = timezone.localdate() - timedelta(days=3)
    first.save()

    reply = replies.save_reply(
        invitation=invitation, answers={second.pk: "yes", third.pk: "maybe"}, details={}
    )

    # The session that is over keeps its answer; the one still to come that was left out loses it.
    assert dict(reply.answers.values_list("session_id", "answer")) == {
        first.pk: "yes",
        second.pk: "yes",
        third.pk: "maybe",
    }


def test_a_session_over_and_answered_again_takes_the_new_answer(invitation):
    first, *_ = sessions(invitation)
    replies.save_reply(invitation=invitation, answers={first.pk: "yes"}, details={})
    first.date = timezone.localdate() - timedelta(days=3)
    first.save()

    reply = replies.save_reply(
        invitation=invitation, answers={first.pk: "no"}, details={}, source=ReplySource.PHONE
    )

    assert dict(reply.answers.values_list("session_id", "answer")) == {first.pk: "no"}


def test_an_answer_for_a_cancelled_session_already_over_does_not_stop_a_new_reply(invitation):
    first, second, *_ = sessions(invitation)
    replies.save_reply(invitation=invitation, answers={first.pk: "yes", second.pk: "yes"}, details={})
    first.date = timezone.localdate() - timedelta(days=3)
    first.save()
    events_services.cancel_session(session=first)

    reply = replies.save_reply(invitation=invitation, answers={second.pk: "no"}, details={})

    assert dict(reply.answers.values_list("session_id", "answer")) == {second.pk: "no"}
