"""The reply pages through the real views: the parent's page from the emailed link, the thank-you page, the
calendar, the "finished" page, the rate limit, and replies recorded by staff from paper or the phone.

Bad input is tested as carefully as good: each case gets a clear message beside the right field, and
nothing is saved.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core import outbox, ratelimit
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations import forms as reply_forms
from invitations.enums import Answer, Channel, MessageKind, MessageState, ReplySource
from invitations.models import Reply, SessionAnswer
from invitations.services import replies
from invitations.services.emails import issue_reply_link
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory, SessionFactory

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def programme(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


def invite(programme, **invitee):
    invitee = {"name": "Amira Khan", "email": "amira@example.org", **invitee}
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    sync_schedule(programme=programme)
    return invitation


def token_for(invitation) -> str:
    reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
    return reply_url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def invitation(programme):
    return invite(programme)


@pytest.fixture
def token(invitation):
    return token_for(invitation)


def url(name: str, token: str) -> str:
    return reverse(f"invitations:{name}", args=[token])


def sessions(programme):
    return list(programme.sessions.active().order_by("date", "start_time"))


def answers_for(programme, *choices: str) -> dict:
    """Form data answering the sessions in date order: answers_for(p, "yes", "no", ...)."""
    return {f"session_{s.pk}": choice for s, choice in zip(sessions(programme), choices, strict=False)}


def everything_yes(programme) -> dict:
    return answers_for(programme, *["yes"] * len(sessions(programme)))


def error_beside(response, field: str) -> str:
    """The error shown beside one field; fails if the page shows none there."""
    form = response.context["form"]
    assert field in form.errors, f"no error beside {field}: {form.errors}"
    html = response.content.decode()
    assert f'id="{field}-error"' in html, "the error is not rendered beside its field"
    assert f'href="#id_{field}"' in html, "the error summary does not link to the field"
    return " ".join(form.errors[field])


def assert_private(response) -> None:
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


# --- The page -------------------------------------------------------------------------------------------


def test_reply_page_greets_by_first_name_and_shows_the_series(client, world, programme, token):
    venue = world.venue
    venue.address = "Millbrook Community Centre\n12 Station Road\nMB1 2AB"
    venue.public_transport = "Bus 12 stops outside."
    venue.save()

    response = client.get(url("reply", token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello Amira" in html and "Amira Khan" not in html
    assert programme.key_question in html
    for session in sessions(programme):
        assert date_format(session.date, "l j F") in html
        assert f'name="session_{session.pk}"' in html
    assert "9:30am to 3pm" in html and "9:30am to 12 noon" in html
    assert "Millbrook Community Centre, 12 Station Road, MB1 2AB" in html
    assert "step-free access" in html and "Bus 12 stops outside." in html
    assert "lunch" in html and "childcare" in html
    assert "I'll come to all of them" in html
    assert '<meta name="robots" content="noindex' in html
    assert reverse("invitations:unsubscribe", args=[token]) in html


def test_reply_page_greets_a_group_invited_through_its_contact_email(client, world, programme):
    invitation = invite(
        programme, name=world.group.name, organisation=world.group, email="tenants@example.org"
    )

    html = client.get(url("reply", token_for(invitation))).content.decode()

    assert "Hello everyone at Tenants&#x27; Association" in html


@pytest.mark.parametrize("page", ["reply", "reply_thanks", "reply_calendar", "unsubscribe"])
def test_every_token_page_is_private(client, invitation, token, page):
    replies.save_reply(invitation=invitation, answers={}, details={})

    response = client.get(url(page, token))

    assert response.status_code == 200
    assert_private(response)
    if page != "reply_calendar":
        assert '<meta name="robots" content="noindex' in response.content.decode()


def test_opening_the_link_never_changes_anything(client, invitation, token):
    states = list(Message.objects.order_by("pk").values_list("state", flat=True))

    for _ in range(2):
        assert client.get(url("reply", token)).status_code == 200
    assert client.head(url("reply", token)).status_code == 200
    assert client.get(url("reply_thanks", token)).status_code == 302
    assert client.get(url("reply_calendar", token)).status_code == 200

    assert not Reply.objects.exists()
    assert list(Message.objects.order_by("pk").values_list("state", flat=True)) == states
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None


def test_answer_is_saved_and_the_thank_you_page_summarises_it(client, programme, invitation, token):
    first, second, third, fourth = sessions(programme)
    data = {
        **answers_for(programme, "yes", "maybe", "no", "yes"),
        "childcare_children": "2",
        "childcare_ages": "2 and 4",
        "food_needs": "Halal",
        "access_needs": "Step-free, please",
        "interpreter": "on",
        "interpreter_language": "Polish",
        "transport_help": "on",
        "extra_places": "1",
        "needs_agreed": "yes",  # needs are kept only with their agreement
    }

    response = client.post(url("reply", token), data)

    assert response.status_code == 302 and response["Location"] == url("reply_thanks", token)
    reply = Reply.objects.get(invitation=invitation)
    assert dict(reply.answers.values_list("session_id", "answer")) == {
        first.pk: "yes",
        second.pk: "maybe",
        third.pk: "no",
        fourth.pk: "yes",
    }
    assert (reply.childcare_children, reply.childcare_ages, reply.food_needs, reply.access_needs) == (
        2,
        "2, 4",
        "Halal",
        "Step-free, please",
    )
    assert (reply.interpreter_language, reply.transport_help, reply.extra_places) == ("Polish", True, 1)
    assert (reply.source, reply.recorded_by) == (ReplySource.WEB, None)
    assert Message.objects.filter(invitation=invitation, kind=MessageKind.CONFIRMATION).count() == 1

    thanks = client.get(response["Location"])
    html = thanks.content.decode()
    assert thanks.status_code == 200
    assert "Thank you, Amira" in html
    assert f"{date_format(first.date, 'l j F')}</strong>, 9:30am to 3pm: Coming" in html
    assert f"{date_format(second.date, 'l j F')}</strong>, 9:30am to 12 noon: Not sure yet" in html
    assert f"{date_format(third.date, 'l j F')}</strong>, 9:30am to 12 noon: Can&#x27;t come" in html
    assert "Crèche: 2 children (ages 2, 4)" in html and "Bringing 1 other person" in html
    assert "Food: Halal" in html and "Interpreter: Polish" in html and "help getting there" in html
    assert url("reply_calendar", token) in html and "Add to my calendar" in html
    assert 'href="' + url("reply", token) + '"' in html
    assert url("unsubscribe", token) in html
    assert "We are sending you an email with it too. " + SOON in html


def test_all_of_them_answers_yes_to_every_session_without_choosing_each(client, programme, invitation, token):
    response = client.post(
        url("reply", token), {"all": "1", "food_needs": "Vegetarian", "needs_agreed": "yes"}
    )

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert sorted(reply.answers.values_list("answer", flat=True)) == ["yes"] * 4
    assert reply.food_needs == "Vegetarian"


def test_page_is_prefilled_with_the_earlier_answer(client, programme, invitation, token):
    first, second, *_ = sessions(programme)
    replies.save_reply(
        invitation=invitation,
        answers={first.pk: "no", second.pk: "maybe"},
        details={
            "food_needs": "No nuts",
            "childcare_children": 1,
            "interpreter_language": "Somali",
            "needs_agreed": True,
        },
    )

    response = client.get(url("reply", token))

    form = response.context["form"]
    assert form[f"session_{first.pk}"].value() == "no"
    assert form[f"session_{second.pk}"].value() == "maybe"
    html = response.content.decode()
    radio = re.search(rf'<input[^>]*id="id_session_{first.pk}_1"[^>]*>', html).group(0)
    assert 'value="no"' in radio and " checked" in radio
    assert "No nuts</textarea>" in html
    assert form["interpreter"].value() is True and 'value="Somali"' in html
    assert "This is your answer. You can change it here at any time." in html


def test_changing_the_answer_replaces_it(client, programme, invitation, token):
    client.post(
        url("reply", token), {**everything_yes(programme), "childcare_children": "2", "needs_agreed": "yes"}
    )

    client.post(url("reply", token), {**answers_for(programme, "no", "no", "no", "maybe")})

    reply = Reply.objects.get(invitation=invitation)
    assert sorted(reply.answers.values_list("answer", flat=True)) == ["maybe", "no", "no", "no"]
    assert reply.childcare_children == 0 and reply.version == 2


def test_a_session_left_unanswered_is_shown_beside_it_with_a_summary(client, programme, token):
    first, second, *_ = sessions(programme)
    data = answers_for(programme, "yes", "yes", "yes", "yes")
    del data[f"session_{second.pk}"]

    response = client.post(url("reply", token), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Please say if you can come on {date_format(second.date, 'l j F')}." in html
    assert f'id="id_session_{second.pk}-error"' in html
    assert f'href="#id_session_{second.pk}_0"' in html
    assert 'id="error-summary"' in html and "Nothing has been saved yet." in html
    assert not Reply.objects.exists()


def test_a_session_already_over_keeps_its_answer_and_is_not_asked_again(client, programme, invitation, token):
    first, second, third, fourth = sessions(programme)
    replies.save_reply(invitation=invitation, answers={first.pk: "yes", second.pk: "no"}, details={})
    first.date = timezone.localdate() - timedelta(days=3)
    first.save()

    page = client.get(url("reply", token))
    response = client.post(url("reply", token), {f"session_{s.pk}": "yes" for s in (second, third, fourth)})

    assert f'name="session_{first.pk}"' not in page.content.decode()
    assert "has already happened" in page.content.decode()
    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert dict(reply.answers.values_list("session_id", "answer")) == {
        first.pk: "yes",
        second.pk: "yes",
        third.pk: "yes",
        fourth.pk: "yes",
    }


def test_an_answer_for_a_cancelled_session_already_over_does_not_stop_a_new_answer(
    client, programme, invitation, token
):
    first, second, third, fourth = sessions(programme)
    replies.save_reply(invitation=invitation, answers={first.pk: "yes", second.pk: "no"}, details={})
    first.date = timezone.localdate() - timedelta(days=3)
    first.save()
    events_services.cancel_session(session=first)

    response = client.post(url("reply", token), {f"session_{s.pk}": "yes" for s in (second, third, fourth)})

    assert response.status_code == 302
    reply = Reply.objects.get(invitation=invitation)
    assert dict(reply.answers.values_list("session_id", "answer")) == {
        second.pk: "yes",
        third.pk: "yes",
        fourth.pk: "yes",
    }


def test_thank_you_page_before_answering_goes_to_the_reply_page(client, token):
    response = client.get(url("reply_thanks", token))

    assert response.status_code == 302 and response["Location"] == url("reply", token)


def test_thank_you_page_invites_details_when_none_were_given(client, programme, token):
    client.post(url("reply", token), {"all": "1"})

    html = client.get(url("reply_thanks", token)).content.decode()

    assert "Is there anything that would help you come" in html
    assert url("reply", token) + "#help" in html


# --- The confirmation goes in seconds, and the thank-you page says roughly when --------------------------

SOON = "It should arrive in a minute or two."


def test_a_reply_queues_one_confirmation_and_asks_the_worker_for_it_once_committed(
    client, programme, invitation, token, monkeypatch, django_capture_on_commit_callbacks
):
    asked: list[tuple] = []
    monkeypatch.setattr("core.queue.enqueue", lambda name, *args: asked.append((name, *args)))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("reply", token), everything_yes(programme))
        assert asked == []  # not before the reply is committed

    assert response.status_code == 302
    [confirmation] = Message.objects.filter(invitation=invitation, kind=MessageKind.CONFIRMATION)
    assert len(callbacks) == 1
    assert asked == [("core.send_due_now", [confirmation.pk])]


def test_with_the_worker_at_hand_the_confirmation_arrives_as_the_reply_is_posted(
    client, settings, programme, invitation, token, smtp_sink, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("reply", token), everything_yes(programme))

    [confirmation] = smtp_sink.to("amira@example.org")
    assert "Thank you" in confirmation["Subject"]
    assert Message.objects.get(kind=MessageKind.CONFIRMATION).state == MessageState.SENT
    html = client.get(url("reply_thanks", token)).content.decode()
    assert "We have sent you an email with it too." in html and SOON not in html


def test_the_thank_you_page_says_the_email_is_on_its_way_in_a_minute_or_two(
    client, programme, invitation, token
):
    client.post(url("reply", token), everything_yes(programme))

    html = client.get(url("reply_thanks", token)).content.decode()

    assert "We are sending you an email with it too. " + SOON in html


@pytest.mark.parametrize(
    "invitee", [{"email": "", "channel": Channel.LETTER}, {"channel": Channel.LETTER}, {"email": ""}]
)
def test_the_thank_you_page_promises_no_email_to_someone_we_do_not_email(client, programme, invitee):
    token = token_for(invite(programme, name="Ben Lowe", **invitee))
    client.post(url("reply", token), everything_yes(programme))

    html = client.get(url("reply_thanks", token)).content.decode()

    assert "Thank you, Ben" in html and "email with it too" not in html


def test_the_thank_you_page_promises_no_email_after_opting_out(client, programme, invitation, token):
    client.post(url("reply", token), everything_yes(programme))
    replies.opt_out(invitation=invitation)

    html = client.get(url("reply_thanks", token)).content.decode()

    assert "email with it too" not in html


def test_the_thank_you_page_gives_no_time_while_the_programme_is_being_planned(
    client, world, invitation, token
):
    world.programme.status = ProgrammeStatus.DRAFT
    world.programme.save()
    client.post(url("reply", token), everything_yes(world.programme))

    html = client.get(url("reply_thanks", token)).content.decode()

    assert "We will send you an email with it too." in html and SOON not in html


# --- The calendar ---------------------------------------------------------------------------------------


def test_calendar_has_the_sessions_they_said_yes_or_maybe_to(client, programme, invitation, token):
    first, second, third, fourth = sessions(programme)
    replies.save_reply(
        invitation=invitation,
        answers={first.pk: "yes", second.pk: "maybe", third.pk: "no", fourth.pk: "no"},
        details={},
    )

    response = client.get(url("reply_calendar", token))

    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="better-together.ics"'
    text = response.content.decode()
    assert text.count("BEGIN:VEVENT") == 2
    assert f"session-{first.pk}@" in text and f"session-{second.pk}@" in text
    assert f"session-{third.pk}@" not in text
    assert "Better Together in Millbrook" in text


@pytest.mark.parametrize("answer", [None, "no"])
def test_calendar_has_every_session_when_they_chose_none(client, programme, invitation, token, answer):
    if answer:
        replies.save_reply(
            invitation=invitation, answers={s.pk: answer for s in sessions(programme)}, details={}
        )

    response = client.get(url("reply_calendar", token))

    assert response.content.decode().count("BEGIN:VEVENT") == 4


# --- Query count ----------------------------------------------------------------------------------------


def reply_page_queries(client, token) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("reply", token)).status_code == 200
    return len(queries)


def test_reply_page_query_count_is_small_and_does_not_grow_with_the_sessions(
    client, world, programme, django_assert_max_num_queries
):
    counts = {}
    for number in (1, 4, 6):
        other = events_services.create_programme(
            neighbourhood=world.neighbourhood,
            title=f"Programme with {number}",
            key_question="?",
            first_date=timezone.localdate() + timedelta(days=30),
            venue=world.venue,
            created_by=world.user("facilitator"),
        )
        listed = sessions(other)
        for session in listed[number:]:
            events_services.cancel_session(session=session)
        for order in range(len(listed), number):
            SessionFactory(
                programme=other,
                order=order + 1,
                venue=world.venue,
                date=timezone.localdate() + timedelta(days=100 + order),
            )
        invitation = invite(other, organisation=world.school, email=f"n{number}@example.org")
        replies.save_reply(invitation=invitation, answers={s.pk: "yes" for s in sessions(other)}, details={})
        assert len(sessions(other)) == number
        token = token_for(invitation)
        with django_assert_max_num_queries(5):
            counts[number] = reply_page_queries(client, token)

    assert counts[1] == counts[4] == counts[6], counts


def test_reply_page_query_count_is_the_same_before_and_after_answering(client, programme, invitation, token):
    before = reply_page_queries(client, token)
    replies.save_reply(invitation=invitation, answers={s.pk: "yes" for s in sessions(programme)}, details={})

    assert reply_page_queries(client, token) <= before + 1 <= 5


# --- Bad input ------------------------------------------------------------------------------------------


def test_post_without_csrf_is_refused_and_nothing_is_saved(programme, token):
    strict = Client(enforce_csrf_checks=True)
    strict.get(url("reply", token))  # has the cookie, but the form's token is not sent

    response = strict.post(url("reply", token), everything_yes(programme))

    assert response.status_code == 403
    assert not Reply.objects.exists()


def test_post_with_csrf_is_accepted_by_a_strict_client(programme, token):
    strict, csrf = csrf_client(token)

    response = strict.post(url("reply", token), {**everything_yes(programme), "csrfmiddlewaretoken": csrf})

    assert response.status_code == 302 and Reply.objects.count() == 1


def csrf_client(token) -> tuple[Client, str]:
    """A client that enforces CSRF like a browser, and the form's CSRF token from the page."""
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(url("reply", token))
    return strict, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # What browsers send from our page (Referrer-Policy: same-origin): the page's own Origin, and over
        # HTTPS its Referer too.
        ({"HTTP_ORIGIN": "http://testserver"}, 302),
        ({"HTTP_ORIGIN": "https://testserver", "secure": True}, 302),
        ({"HTTP_REFERER": "https://testserver/reply/", "secure": True}, 302),
        # Django's own check refuses everything else.
        ({"HTTP_ORIGIN": "null"}, 403),
        ({"secure": True}, 403),  # no Origin and no Referer over HTTPS
        ({"HTTP_ORIGIN": "https://evil.example"}, 403),
        ({"HTTP_REFERER": "https://evil.example/page", "secure": True}, 403),
    ],
    ids=[
        "same-origin",
        "same-origin-https",
        "same-origin-referer-https",
        "origin-null",
        "https-no-referer",
        "foreign-origin",
        "foreign-referer",
    ],
)
def test_the_reply_form_takes_a_post_from_its_own_page_and_refuses_any_other_origin(
    programme, token, headers, expected
):
    strict, csrf = csrf_client(token)

    response = strict.post(
        url("reply", token), {**everything_yes(programme), "csrfmiddlewaretoken": csrf}, **headers
    )

    assert response.status_code == expected
    assert Reply.objects.count() == (1 if expected == 302 else 0)


def test_a_refused_form_gets_a_kind_page(programme, token):
    strict, _csrf = csrf_client(token)

    response = strict.post(url("reply", token), everything_yes(programme), HTTP_ORIGIN="null")

    assert response.status_code == 403
    assert (
        "Sorry, that didn" in response.content.decode()
        and "nothing has been saved" in response.content.decode()
    )


def test_one_click_unsubscribe_needs_no_csrf_token(invitation, token):
    response = Client(enforce_csrf_checks=True).post(url("unsubscribe", token), HTTP_ORIGIN="null")

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None


def test_an_answer_for_a_session_of_another_programme_is_refused(client, world, programme, token):
    other = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=60),
        created_by=world.user("other_facilitator"),
    )
    foreign = sessions(other)[0]

    response = client.post(url("reply", token), {**everything_yes(programme), f"session_{foreign.pk}": "yes"})

    assert response.status_code == 200
    assert "That answer is for a session that isn&#x27;t part of this programme." in response.content.decode()
    assert not Reply.objects.exists() and not SessionAnswer.objects.exists()


def test_an_answer_for_a_cancelled_session_is_refused(client, programme, token):
    cancelled = sessions(programme)[-1]
    events_services.cancel_session(session=cancelled)

    response = client.post(
        url("reply", token), {**everything_yes(programme), f"session_{cancelled.pk}": "yes"}
    )

    assert response.status_code == 200 and not Reply.objects.exists()


def test_an_answer_that_is_not_a_choice_is_refused(client, programme, token):
    first = sessions(programme)[0]

    response = client.post(
        url("reply", token), {**everything_yes(programme), f"session_{first.pk}": "definitely"}
    )

    assert "Please choose coming, can&#x27;t come or not sure." in response.content.decode()
    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("childcare_children", "-1", "from 0 to 10"),
        ("childcare_children", "11", "from 0 to 10"),
        ("childcare_children", "two", "from 0 to 10"),
        ("extra_places", "6", "from 0 to 5"),
        ("extra_places", "-2", "from 0 to 5"),
        ("food_needs", "x" * 100_000, "500 characters at most"),
        ("access_needs", "x" * 100_000, "500 characters at most"),
        ("interpreter_language", "x" * 100_000, "60 characters at most"),
        ("childcare_ages", "x" * 100_000, "60 characters at most"),
    ],
    ids=[
        "minus-one-child",
        "eleven-children",
        "children-in-words",
        "six-guests",
        "minus-two-guests",
        "100kB-food",
        "100kB-access",
        "100kB-language",
        "100kB-ages",
    ],
)
def test_out_of_range_input_is_refused_beside_the_field_and_nothing_is_saved(
    client, programme, token, field, value, message
):
    response = client.post(url("reply", token), {**everything_yes(programme), field: value})

    assert response.status_code == 200
    assert message in error_beside(response, field)
    assert not Reply.objects.exists()


@pytest.mark.parametrize(
    ("ages", "children", "message"),
    [
        ("two", "1", "“two” isn't an age we understand"),
        ("18", "1", "“18” isn't an age we understand"),
        ("-1", "1", "isn't an age we understand"),
        ("2.5", "1", "isn't an age we understand"),
        ("1, 2, 3", "2", "more ages than children"),
        ("3", "0", "more ages than children"),
    ],
)
def test_ages_that_are_not_ages_are_refused_beside_the_ages(
    client, programme, token, ages, children, message
):
    data = {**everything_yes(programme), "childcare_children": children, "childcare_ages": ages}

    response = client.post(url("reply", token), data)

    assert message in error_beside(response, "childcare_ages")
    assert not Reply.objects.exists()


def test_an_interpreter_without_a_language_asks_which(client, programme, token):
    response = client.post(url("reply", token), {**everything_yes(programme), "interpreter": "on"})

    assert "which language" in error_beside(response, "interpreter_language")
    assert not Reply.objects.exists()


def test_errors_point_screen_readers_at_the_message(client, programme, token):
    response = client.post(url("reply", token), {**everything_yes(programme), "childcare_children": "11"})

    html = response.content.decode()
    field = re.search(r'<input[^>]*name="childcare_children"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="childcare_children-hint childcare_children-error"' in field


def test_html_in_free_text_is_stored_as_typed_and_escaped_wherever_it_is_shown(
    client, world, programme, invitation, token, smtp_sink
):
    data = {
        **everything_yes(programme),
        "food_needs": SCRIPT,
        "access_needs": SCRIPT,
        "interpreter": "on",
        "interpreter_language": SCRIPT[:60],
        "needs_agreed": "yes",
    }

    assert client.post(url("reply", token), data).status_code == 302

    reply = Reply.objects.get()
    assert (reply.food_needs, reply.access_needs, reply.interpreter_language) == (SCRIPT, SCRIPT, SCRIPT[:60])
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    thanks = client.get(url("reply_thanks", token)).content.decode()
    assert "<script>alert" not in thanks and "<img src=x" not in thanks and escaped in thanks
    page = client.get(url("reply", token)).content.decode()
    assert "<script>alert" not in page and escaped in page
    staff = Client()
    staff.force_login(world.user("facilitator"))
    listing = staff.get(reverse("invitations:list", args=[programme.pk])).content.decode()
    assert "<script>alert" not in listing and "<img src=x" not in listing and escaped in listing

    outbox.dispatch_due()

    [confirmation] = [m for m in smtp_sink.to("amira@example.org") if "Thank you" in m["Subject"]]
    html = confirmation.get_body(("html",)).get_content()
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


# --- Links that don't work (any more) -------------------------------------------------------------------


@pytest.mark.parametrize("page", ["reply", "reply_thanks", "reply_calendar", "unsubscribe"])
@pytest.mark.parametrize("how", ["unknown", "altered", "too-long"])
def test_an_unknown_or_altered_token_is_a_plain_404_that_reveals_nothing(client, token, page, how):
    bad = {
        "unknown": "x" * 43,
        "altered": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "too-long": token * 3,
    }[how]

    response = client.get(url(page, bad))

    assert response.status_code == 404
    assert_private(response)
    body = response.content.decode()
    for secret in ("Millbrook", "Amira", "What would help every child", "Tenants"):
        assert secret not in body
    assert "We can't find that page" in body


def test_a_post_with_an_unknown_token_saves_nothing(client, programme, token):
    response = client.post(url("reply", "y" * 43), everything_yes(programme))

    assert response.status_code == 404 and not Reply.objects.exists()


def finish_by(how: str, programme) -> None:
    if how == "status":
        programme.status = ProgrammeStatus.FINISHED
        programme.save()
    else:
        programme.sessions.update(date=timezone.localdate() - timedelta(days=1))


@pytest.mark.parametrize("how", ["status", "every-session-over"])
def test_after_the_programme_the_link_shows_a_friendly_finished_page(
    client, programme, invitation, token, how
):
    finish_by(how, programme)

    responses = [client.get(url(page, token)) for page in ("reply", "reply_thanks", "reply_calendar")]
    post = client.post(url("reply", token), everything_yes(programme))

    for response in [*responses, post]:
        assert response.status_code == 410
        assert_private(response)
        body = response.content.decode()
        assert "This programme has finished" in body and "Thank you" in body
        assert "Better Together in Millbrook" in body
    assert not Reply.objects.exists()


def test_unsubscribe_still_works_after_the_programme_has_finished(client, programme, invitation, token):
    finish_by("status", programme)

    response = client.post(url("unsubscribe", token))

    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
    assert url("reply", token) not in response.content.decode()


def test_unsubscribe_page_offers_the_invitation_back(client, invitation, token):
    get = client.get(url("unsubscribe", token))
    done = client.post(url("unsubscribe", token))

    assert "Please don't contact me about this again" in get.content.decode()
    html = done.content.decode()
    assert "We won't contact you about this again" in html
    assert url("reply", token) in html
    assert not Message.objects.filter(invitation=invitation, state=MessageState.SCHEDULED).exists()


def test_a_sessionless_programme_can_still_be_answered_with_details(client, programme, invitation, token):
    programme.sessions.update(cancelled_at=timezone.now())

    page = client.get(url("reply", token))
    response = client.post(url("reply", token), {"food_needs": "Vegan", "needs_agreed": "yes"})

    assert "There are no workshops to answer for at the moment." in page.content.decode()
    assert response.status_code == 302 and Reply.objects.get().food_needs == "Vegan"


# --- The rate limit -------------------------------------------------------------------------------------


def test_too_many_requests_from_one_address_get_a_kind_429(client, settings, token, invitation):
    settings.RATE_LIMIT_PER_MINUTE = 3
    ok = [client.get(url(page, token)).status_code for page in ("reply", "unsubscribe", "reply_calendar")]

    response = client.get(url("reply", token))

    assert ok == [200, 200, 200]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert_private(response)
    html = response.content.decode()
    assert "Please wait a moment" in html and "Please try again in" in html
    assert "Millbrook" not in html
    assert client.get(url("reply", token), REMOTE_ADDR="192.0.2.7").status_code == 200


def test_unknown_tokens_count_towards_the_limit(client, settings, token):
    settings.RATE_LIMIT_PER_MINUTE = 2
    for guess in range(2):
        assert client.get(url("reply", f"guess{guess}" * 6)).status_code == 404

    assert client.get(url("reply", token)).status_code == 429


def test_behind_a_proxy_the_last_forwarded_hop_is_the_client(client, settings, token):
    settings.RATE_LIMIT_PER_MINUTE = 1
    settings.BEHIND_PROXY = True

    first = client.get(url("reply", token), HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.1")
    spoofed = client.get(url("reply", token), HTTP_X_FORWARDED_FOR="10.1.1.1, 198.51.100.1")
    other = client.get(url("reply", token), HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert (first.status_code, spoofed.status_code, other.status_code) == (200, 429, 200)


def test_without_a_proxy_forwarded_headers_are_ignored(client, settings, token):
    settings.RATE_LIMIT_PER_MINUTE = 1
    settings.BEHIND_PROXY = False

    client.get(url("reply", token), HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = client.get(url("reply", token), HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429


def test_a_limit_of_zero_turns_the_limit_off(client, settings, token):
    settings.RATE_LIMIT_PER_MINUTE = 0

    assert all(client.get(url("reply", token)).status_code == 200 for _ in range(5))


def test_the_count_starts_again_each_minute():
    start = 60 * 16_667 + 20.0  # 40 seconds before a minute ends
    assert ratelimit.hit(scope="t", address="a", limit=1, now=start) == 0
    assert ratelimit.hit(scope="t", address="a", limit=1, now=start + 1) == 39
    assert ratelimit.hit(scope="t", address="a", limit=1, now=start + 40) == 0


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("not an address", "unknown"),
    ],
)
def test_client_address_groups_ipv6_by_64(rf, settings, address, expected):
    settings.BEHIND_PROXY = False
    request = rf.get("/", REMOTE_ADDR=address)

    assert ratelimit.client_address(request) == expected


# --- Replies recorded by staff --------------------------------------------------------------------------


def record_url(programme, invitation) -> str:
    return reverse("invitations:staff_reply", args=[programme.pk, invitation.pk])


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_staff_record_a_paper_reply(client, world, programme, role):
    invitation = invite(programme, organisation=world.school)
    client.force_login(world.user(role))
    data = {
        "source": ReplySource.PAPER,
        **answers_for(programme, "yes", "yes", "no", "maybe"),
        "childcare_children": "2",
        "childcare_ages": "3, 5",
        "needs_agreed": "yes",
    }

    response = client.post(record_url(programme, invitation), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("invitations:list", args=[programme.pk])
    reply = Reply.objects.get(invitation=invitation)
    assert (reply.source, reply.recorded_by, reply.childcare_ages) == ("paper", world.user(role), "3, 5")
    assert sorted(reply.answers.values_list("answer", flat=True)) == ["maybe", "no", "yes", "yes"]
    listing = client.get(response["Location"]).content.decode()
    assert "Saved the reply from Amira Khan." in listing
    assert "How they replied: Reply slip" in listing and "Crèche: 2 children (ages 3, 5)" in listing
    assert "Change the reply" in listing


def test_record_reply_form_is_prefilled_and_says_who_it_is_for(client, world, programme):
    invitation = invite(programme, organisation=world.school)
    replies.save_reply(
        invitation=invitation,
        answers={s.pk: "maybe" for s in sessions(programme)},
        details={"food_needs": "Vegan", "needs_agreed": True},
        source=ReplySource.PHONE,
    )
    client.force_login(world.user("facilitator"))

    response = client.get(record_url(programme, invitation))

    html = response.content.decode()
    assert "Record a reply from Amira Khan" in html and "Vegan</textarea>" in html
    assert response.context["form"]["source"].value() == "phone"
    assert "They'll come to all of them" in html


def test_record_reply_needs_to_know_how_they_replied(client, world, programme):
    invitation = invite(programme, organisation=world.school)
    client.force_login(world.user("facilitator"))

    response = client.post(record_url(programme, invitation), everything_yes(programme))

    assert "Please choose how they replied." in response.content.decode()
    assert 'href="#id_source_0"' in response.content.decode()
    assert not Reply.objects.exists()


def test_record_reply_refuses_the_web_as_a_source(client, world, programme):
    invitation = invite(programme, organisation=world.school)
    client.force_login(world.user("facilitator"))

    response = client.post(record_url(programme, invitation), {**everything_yes(programme), "source": "web"})

    assert response.status_code == 200 and not Reply.objects.exists()


def test_coordinator_cannot_record_a_reply_for_another_schools_person(client, world, programme):
    invitation = invite(programme, organisation=world.other_school)
    client.force_login(world.user("coordinator"))

    get = client.get(record_url(programme, invitation))
    post = client.post(record_url(programme, invitation), {"source": "paper", **everything_yes(programme)})

    assert (get.status_code, post.status_code) == (404, 404)
    assert not Reply.objects.exists()


def test_the_artist_cannot_record_a_reply(client, world, programme):
    invitation = invite(programme, organisation=world.school)
    client.force_login(world.user("artist"))

    response = client.post(
        record_url(programme, invitation), {"source": "paper", **everything_yes(programme)}
    )

    assert response.status_code == 403 and not Reply.objects.exists()


def test_an_invitation_of_another_programme_is_not_found_under_this_one(client, world, programme):
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Another",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=60),
        created_by=world.user("facilitator"),
    )
    invitation = invite(other)
    client.force_login(world.user("facilitator"))

    assert client.get(record_url(programme, invitation)).status_code == 404


def test_a_letter_reply_recorded_by_staff_sends_no_email(client, world, programme):
    invitation = invite(programme, organisation=world.school, email="", channel=Channel.LETTER)
    client.force_login(world.user("coordinator"))

    client.post(record_url(programme, invitation), {"source": "phone", "all": "1"})

    assert Reply.objects.get().source == "phone"
    assert not Message.objects.filter(invitation=invitation, kind=MessageKind.CONFIRMATION).exists()


def test_the_list_links_each_person_to_record_a_reply_and_shows_answers(client, world, programme):
    answered = invite(programme, organisation=world.school)
    waiting = invite(programme, name="Ben Lowe", email="ben@example.org", organisation=world.school)
    first = sessions(programme)[0]
    replies.save_reply(invitation=answered, answers={first.pk: Answer.YES}, details={})
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:list", args=[programme.pk])).content.decode()

    assert record_url(programme, answered) in html and record_url(programme, waiting) in html
    assert f"{date_format(first.date, 'j M')}:</span> Coming" in html
    assert "No reply yet" in html


def test_list_query_count_does_not_grow_with_replies(client, world, programme):
    client.force_login(world.user("facilitator"))
    first = invite(programme, organisation=world.school)
    replies.save_reply(invitation=first, answers={s.pk: "yes" for s in sessions(programme)}, details={})
    list_url = reverse("invitations:list", args=[programme.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(list_url)

    for number in range(9):
        invitation = invite(programme, name=f"Person {number}", email=f"p{number}@example.org")
        replies.save_reply(
            invitation=invitation, answers={s.pk: "maybe" for s in sessions(programme)}, details={}
        )
    with CaptureQueriesContext(connection) as ten:
        client.get(list_url)

    assert len(ten) == len(one)


# --- The widgets written in Python ------------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.found: list = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, sorted(attrs, key=lambda pair: pair[0])))

    def handle_data(self, data):
        self.found.append(data.strip())


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.TextInput, 'Say "hi" <b>'),
        (forms.TextInput, None),
        (forms.NumberInput, 3),
        (forms.Textarea, "<script>x</script>"),
        (forms.Textarea, ""),
        (forms.CheckboxInput, True),
        (forms.CheckboxInput, False),
    ],
)
def test_widgets_written_in_python_give_the_same_html_as_djangos_templates(widget, value):
    attrs = {"class": "form-control", "aria-describedby": "x-hint", "maxlength": 60, "required": True}

    mine = widget(attrs=attrs).render(
        "field", value, attrs={"id": "id_field"}, renderer=reply_forms.INPUTS_IN_PYTHON
    )
    django = widget(attrs=attrs).render("field", value, attrs={"id": "id_field"})

    assert Tags(mine).found == Tags(django).found


def test_radio_options_written_in_python_give_the_same_html_as_djangos_templates():
    choices = [("yes", "Coming"), ("no", "Can't come")]
    widget = forms.RadioSelect(choices=choices, attrs={"class": "form-check-input"})

    for data in widget.subwidgets("f", "no"):
        rendered = [
            str(forms.boundfield.BoundWidget(widget, data, renderer).tag())
            for renderer in (reply_forms.INPUTS_IN_PYTHON, None)
        ]
        assert Tags(rendered[0]).found == Tags(rendered[1]).found


def test_the_reply_forms_write_their_inputs_without_a_template(monkeypatch, programme):
    templates = []
    default = reply_forms.get_default_renderer

    def counting():
        templates.append(1)
        return default()

    monkeypatch.setattr(reply_forms, "get_default_renderer", counting)
    for form_class in (reply_forms.ReplyForm, reply_forms.RecordReplyForm):
        form = form_class(sessions=sessions(programme))
        html = "".join(str(bound) for bound in form.detail_fields())
        html += "".join(str(choice.tag()) for choice in form["source"]) if "source" in form.fields else ""

        assert form.renderer is reply_forms.INPUTS_IN_PYTHON
        assert 'name="food_needs"' in html and 'name="extra_places"' in html
    assert templates == []
