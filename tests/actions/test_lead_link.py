import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.enums import ActionStatus, LinkState, UpdateSource
from actions.models import ActionUpdate, LeadLink
from actions.services import links
from core import outbox
from core.enums import MessageState
from core.tokens import hash_token
from events import services as events_services
from tests.factories import ProgrammeFactory, SessionFactory
from tests.smtp import free_port

from .helpers import emailed_link, make_action, participant, sent_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(world):
    lead = participant(world.programme, name="Amina Khan", email="amina@example.org")
    return make_action(world, lead=lead, status=ActionStatus.AGREED)


def link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/a/([\w-]+)/", body).group(1)


def test_the_outbox_sends_one_email_with_a_working_link_even_when_run_twice(smtp_sink, action):
    link = links.schedule_lead_link(action=action)

    first = outbox.dispatch_due()
    second = outbox.dispatch_due()

    assert (first.sent, second.sent) == (1, 0)
    assert len(smtp_sink.to("amina@example.org")) == 1
    link = LeadLink.objects.select_related("message").get(pk=link.pk)
    assert link.state == LinkState.SENT and link.sent_at and link.message.attempts == 1
    token = link_in(smtp_sink.messages[0])
    assert link.token_hash == hash_token(token)
    assert token not in link.token_hash
    assert links.find_lead_link(token=token) == link


def test_the_email_is_kind_and_in_plain_words(smtp_sink, action):
    links.schedule_lead_link(action=action)
    outbox.dispatch_due()

    message = smtp_sink.messages[0]
    text = message.get_body(("plain",)).get_content()
    assert "A walking bus to school" in message["Subject"]
    assert "Hello Amina" in text
    assert "no need to sign in" in text
    assert message.get_body(("html",)) is not None


def test_a_link_already_failed_or_sending_is_not_sent_again(smtp_sink, action):
    for state in (LinkState.SENDING, LinkState.FAILED, LinkState.SENT):
        emailed_link(action, state=state, claimed_at=timezone.now())

    assert outbox.dispatch_due().sent == 0
    assert smtp_sink.messages == []


def test_a_temporary_failure_goes_back_to_wait_with_the_error(settings, action):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    link = links.schedule_lead_link(action=action)

    assert outbox.dispatch_due().retrying == 1

    link = LeadLink.objects.select_related("message").get(pk=link.pk)
    assert link.state == LinkState.SCHEDULED and link.message.retry_at
    assert link.token_hash == ""
    assert "Connection" in link.last_error or "refused" in link.last_error.lower()


def test_the_last_try_ends_failed_with_the_error(settings, action):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2
    link = emailed_link(action, attempts=outbox.MAX_ATTEMPTS - 1)

    assert outbox.dispatch_due().failed == 1

    link = LeadLink.objects.select_related("message").get(pk=link.pk)
    assert link.state == LinkState.FAILED and link.last_error and link.token_hash == ""


def test_the_send_button_sends_once_the_request_commits(
    client, world, smtp_sink, settings, action, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(world.user("facilitator"))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("actions:send_link", args=[action.pk]))
        assert smtp_sink.messages == []  # nothing goes before the request's transaction commits

    assert len(smtp_sink.to("amina@example.org")) == 1
    assert LeadLink.objects.get().state == LinkState.SENT


def test_opening_the_link_shows_the_action_and_changes_nothing(client, action):
    token = sent_link(action)
    ActionUpdate.objects.create(
        action=action, text="Talked to the head", status_before="agreed", status_after="agreed"
    )

    response = client.get(reverse("actions:lead_update", args=[token]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "A walking bus to school" in html and "Talked to the head" in html
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert ActionUpdate.objects.count() == 1
    action.refresh_from_db()
    assert action.status == ActionStatus.AGREED


def test_the_lead_posts_an_update_and_sees_thanks(client, action):
    token = sent_link(action)

    response = client.post(
        reverse("actions:lead_update", args=[token]), {"text": "First walk on Monday", "status": "under_way"}
    )
    thanks = client.get(response["Location"])

    assert response.status_code == 302
    update = ActionUpdate.objects.get()
    assert (update.text, update.source, update.status_before, update.status_after) == (
        "First walk on Monday",
        UpdateSource.LEAD,
        "agreed",
        "under_way",
    )
    assert "Thank you, Amina" in thanks.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "a" * 100_000, "status": "done"}, "text"),
        ({"text": "", "status": "done"}, "text"),
        ({"text": "Done", "status": "agreed"}, "status"),  # not one a lead can choose
        ({"text": "Done", "status": "idea"}, "status"),
    ],
)
def test_the_lead_form_refuses_bad_input_beside_the_field(client, action, data, field):
    token = sent_link(action)

    response = client.post(reverse("actions:lead_update", args=[token]), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ActionUpdate.objects.exists()


def test_an_unknown_or_unsent_token_is_a_plain_404(client, action):
    scheduled = emailed_link(action, token_hash=hash_token("waiting"))

    for token in ("nothing-like-it", "waiting", "x" * 300):
        response = client.get(reverse("actions:lead_update", args=[token]))
        assert response.status_code == 404
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert scheduled.state == LinkState.SCHEDULED


def test_a_link_stops_working_when_someone_else_takes_the_lead(client, world, action):
    token = sent_link(action)
    action.lead = participant(world.programme)
    action.save()

    assert client.get(reverse("actions:lead_update", args=[token])).status_code == 404


def test_a_token_for_another_programmes_action_cannot_touch_this_one(client, world, action):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    session = SessionFactory(programme=other)
    from actions.models import Action

    theirs = Action.objects.create(
        programme=other,
        session=session,
        what="Theirs",
        lead=participant(other, session=session),
        status="agreed",
    )
    their_token = sent_link(theirs)

    response = client.post(
        reverse("actions:lead_update", args=[their_token]),
        {"text": "Sneaky", "status": "done", "action": action.pk, "pk": action.pk},
    )

    assert response.status_code == 302
    action.refresh_from_db()
    theirs.refresh_from_db()
    assert action.status == ActionStatus.AGREED and not action.updates.exists()
    assert theirs.status == ActionStatus.DONE


def test_the_lead_form_needs_the_csrf_token(action):
    token = sent_link(action)
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("actions:lead_update", args=[token]), {"text": "Hi", "status": "done"})

    assert response.status_code == 403
    assert not ActionUpdate.objects.exists()


def test_the_lead_page_is_rate_limited(client, settings, action):
    settings.RATE_LIMIT_PER_MINUTE = 3
    token = sent_link(action)
    url = reverse("actions:lead_update", args=[token])

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_the_outbox_gives_stuck_links_another_go_once(smtp_sink, settings, action):
    from datetime import timedelta

    long_ago = timezone.now() - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 60)
    stuck = emailed_link(action, state=MessageState.SENDING, claimed_at=long_ago, attempts=1, claim="dead")
    given_up = emailed_link(
        action,
        token_hash=hash_token("given-up"),
        state=MessageState.SENDING,
        claimed_at=long_ago,
        attempts=outbox.MAX_ATTEMPTS,
        claim="dead",
    )
    being_sent = emailed_link(action, state=MessageState.SENDING, claimed_at=timezone.now(), claim="alive")

    assert outbox.dispatch_due().sent == 1
    assert outbox.dispatch_due().sent == 0

    states = {link.pk: link.state for link in LeadLink.objects.select_related("message")}
    assert states[stuck.pk] == LinkState.SENT
    assert states[given_up.pk] == LinkState.FAILED
    assert states[being_sent.pk] == LinkState.SENDING  # another worker is still on it
    assert LeadLink.objects.get(pk=given_up.pk).token_hash == ""
    assert len(smtp_sink.messages) == 1


# --- A link, once switched off, stays off; and links end a while after the programme -------------------


def change_lead(client, world, action, lead) -> None:
    """The facilitator changes who leads the action on its edit page."""
    client.force_login(world.user("facilitator"))
    response = client.post(
        reverse("actions:edit", args=[action.pk]),
        {"what": action.what, "status": action.status, "lead": lead.pk if lead else "", "due": ""},
    )
    assert response.status_code == 302
    client.logout()


def lead_page(client, token, **data):
    url = reverse("actions:lead_update", args=[token])
    return client.post(url, data) if data else client.get(url)


def test_a_link_switched_off_by_a_change_of_lead_stays_off_when_they_lead_again(client, world, action):
    token = sent_link(action)
    printed_token = links.issue_printed_link(action=action).rstrip("/").rsplit("/", 1)[1]
    amina = action.lead
    assert lead_page(client, token).status_code == 200

    change_lead(client, world, action, participant(world.programme, name="Ben Price"))
    off = lead_page(client, token).status_code
    change_lead(client, world, action, amina)

    assert off == 404
    assert lead_page(client, token).status_code == 404
    assert lead_page(client, printed_token).status_code == 404
    assert lead_page(client, token, text="Still here", status="under_way").status_code == 404
    assert not ActionUpdate.objects.exists()
    assert LeadLink.objects.filter(action=action, revoked_at__isnull=False).count() == 2


def test_a_new_link_works_after_the_lead_changed_back(client, world, action):
    sent_link(action)
    amina = action.lead
    change_lead(client, world, action, participant(world.programme, name="Ben Price"))
    change_lead(client, world, action, amina)

    fresh = sent_link(action)

    assert lead_page(client, fresh).status_code == 200


def test_a_link_email_not_yet_gone_when_the_lead_changed_never_goes(client, world, smtp_sink, action):
    links.schedule_lead_link(action=action)
    amina = action.lead
    change_lead(client, world, action, participant(world.programme, name="Ben Price"))
    change_lead(client, world, action, amina)

    result = outbox.dispatch_due()

    assert (result.sent, result.cancelled) == (0, 1)
    assert smtp_sink.to("amina@example.org") == []


def finish_on(programme, last_day) -> None:
    """Move the programme's sessions so that the last one is on ``last_day``, a week apart."""
    for back, session in enumerate(programme.sessions.order_by("-order")):
        session.date = last_day - timedelta(days=7 * back)
        session.save()


def test_a_link_works_for_the_grace_period_after_the_last_session(client, world, settings, action):
    settings.LEAD_LINK_GRACE_DAYS = 90
    token = sent_link(action)
    finish_on(world.programme, timezone.localdate() - timedelta(days=90))

    assert lead_page(client, token).status_code == 200
    assert lead_page(client, token, text="We did it", status="done").status_code == 302


def test_a_link_past_the_grace_period_says_kindly_that_it_has_ended_and_who_to_ask(
    client, world, settings, action
):
    settings.LEAD_LINK_GRACE_DAYS = 90
    token = sent_link(action)
    world.programme.facilitators.add(world.user("facilitator"))
    finish_on(world.programme, timezone.localdate() - timedelta(days=91))

    page = lead_page(client, token)
    posted = lead_page(client, token, text="Late news", status="done")

    assert page.status_code == posted.status_code == 410
    html = page.content.decode().replace("&#x27;", "'")
    assert "This link has come to an end" in html
    assert "Hello Amina" in html
    assert world.user("facilitator").get_full_name() in html  # who to ask
    assert "the school or group that invited you" in html
    assert "no-store" in page["Cache-Control"] and page["X-Robots-Tag"] == "noindex, nofollow"
    assert not ActionUpdate.objects.exists()
    assert client.get(reverse("actions:lead_thanks", args=[token])).status_code == 410


def test_the_grace_period_is_a_setting(client, world, settings, action):
    settings.LEAD_LINK_GRACE_DAYS = 7
    token = sent_link(action)
    finish_on(world.programme, timezone.localdate() - timedelta(days=8))

    assert lead_page(client, token).status_code == 410


def test_cancelled_sessions_at_the_end_do_not_keep_a_link_going(client, world, settings, action):
    settings.LEAD_LINK_GRACE_DAYS = 90
    token = sent_link(action)
    finish_on(world.programme, timezone.localdate() + timedelta(days=1))
    for session in world.programme.sessions.filter(order__gte=2):
        events_services.cancel_session(session=session)
    all_day = world.programme.sessions.get(order=1)
    all_day.date = timezone.localdate() - timedelta(days=100)
    all_day.save()

    assert lead_page(client, token).status_code == 410
