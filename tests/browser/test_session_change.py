"""The issue's journey: a facilitator moves a half-day a week later, is told who will hear before saving,
and tells them now; the parent who said "Coming" gets one email with the old and new dates within 30
seconds, through the real worker on Redis to an SMTP sink (beat ten minutes away); the sheets show them as
"not sure yet (date changed)"; they confirm from the link on a phone, and the sheets count them coming."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from core import outbox
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import Answer
from invitations.services import replies
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory
from tests.integration import conftest as integration
from tests.integration import test_send_soon
from tests.integration.conftest import wait_for

from .conftest import PHONE, assert_accessible, sign_in
from .test_reply_to_sheets import choose, counts, on, reply_link_from

ARRIVES_WITHIN_SECONDS = 30
# The integration tests' real parts: Redis, the worker, the sink it sends to, this process enqueuing there.
redis_server = integration.redis_server
celery_worker = integration.celery_worker
smtp_sink = integration.smtp_sink
broker_here = test_send_soon.broker_here


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.django_db(transaction=True)
def test_a_half_day_moved_a_week_later_tells_the_parent_who_confirms(
    browser, live_server, world, smtp_sink, celery_worker, broker_here
):
    programme = world.programme
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)  # the invitations were due: people have heard
    events_services.save_session(session=first)
    amira = InvitationFactory(
        programme=programme, invitee__name="Amira Khan", invitee__email="amira@example.org"
    )
    sync_schedule(programme=programme)
    assert outbox.dispatch_due().sent == 1  # her invitation
    sessions = list(programme.sessions.order_by("order"))
    replies.save_reply(invitation=amira, answers={s.pk: Answer.YES for s in sessions}, details={})
    outbox.dispatch_due()  # her confirmation
    smtp_sink.messages.clear()
    half_day = sessions[1]
    old_date, new_date = half_day.date, half_day.date + timedelta(days=7)
    celery_worker.env["OUTBOX_DISPATCH_EVERY_SECONDS"] = str(test_send_soon.BEAT_EVERY_SECONDS)
    celery_worker.start()

    # The facilitator moves the half-day, and is told who will hear before it is saved.
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("events:session_update", args=[half_day.pk]))
    page.get_by_label("Date").fill(new_date.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Before you save: people will be told")).to_be_visible()
    expect(page.get_by_text("1 person will be told.")).to_be_visible()
    expect(page.get_by_text("1 person said they were coming")).to_be_visible()
    expect(page.locator(".change-sample")).to_contain_text(date_format(new_date, "l j F"))
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Save and tell them").click()
    expect(page.get_by_text("Saved the changes to session 2.")).to_be_visible()
    expect(page.get_by_role("button", name="Tell them now")).to_be_visible()
    assert_accessible(page)
    assert smtp_sink.messages == []  # waiting, in case more changes follow

    told = time.monotonic()
    page.get_by_role("button", name="Tell them now").click()
    expect(page.get_by_text("the emails are on their way")).to_be_visible()
    [notice] = wait_for(
        lambda: smtp_sink.to("amira@example.org"),
        timeout=ARRIVES_WITHIN_SECONDS,
        failure=lambda: f"no notice arrived\n{celery_worker.logs()}",
    )
    waited = time.monotonic() - told
    assert waited < ARRIVES_WITHIN_SECONDS
    assert notice["Subject"].startswith("New date:")
    text = notice.get_body(("plain",)).get_content()
    assert date_format(old_date, "l j F") in text and date_format(new_date, "l j F") in text
    time.sleep(1)  # a second copy would have come by now
    assert len(smtp_sink.to("amira@example.org")) == 1

    # The sheets count her apart until she answers again.
    page.goto(live_server.url + reverse("invitations:sheets", args=[programme.pk]))
    half_day.refresh_from_db()
    row = page.locator(f"#session-{half_day.pk}").get_by_role("row", name="Parents and carers")
    expect(row.locator("td.date-changed")).to_have_text("1")
    assert counts(page, half_day, "Parents and carers")["coming"] == "0"

    # She confirms from the link in the notice, on her phone.
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(reply_link_from(notice, live_server))
    group = phone.get_by_role("group", name=on(half_day))
    expect(group.get_by_text("This has changed since you told us you were coming")).to_be_visible()
    expect(group.get_by_label("Coming", exact=True)).not_to_be_checked()
    no_sideways_scroll(phone)
    choose(phone, half_day, "Coming")
    phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("heading", name="Thank you, Amira")).to_be_visible()
    phone.context.close()

    page.reload()
    assert counts(page, half_day, "Parents and carers")["coming"] == "1"
    expect(page.locator(f"#session-{half_day.pk} td.date-changed")).to_have_count(0)
    page.context.close()
