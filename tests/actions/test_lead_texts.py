"""A lead's update link by text message (actions.services.links): sent by the real dispatcher to the file
SMS backend, with a link minted as it goes that opens the lead's page; short enough for two GSM-7 parts
with a long action; in the lead's language."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from actions.enums import ActionStatus
from actions.models import LeadLink
from actions.services import links
from core import outbox
from core.enums import MessageState
from core.models import Message
from core.sms import FileSmsBackend, sms_encoding, sms_parts
from core.tokens import hash_token
from invitations.enums import Channel
from invitations.models import Invitation

from .helpers import make_action, participant

pytestmark = pytest.mark.django_db

SITE = "https://bettertogether.example.gov.uk"
MOBILE = "+447700900789"
LONG_ACTION = (
    "A walking bus to school from the park gates every Friday morning, with parents taking turns to lead "
    "it and the school sharing a rota in the book bag"
)


@pytest.fixture
def texts(settings, tmp_path):
    settings.SITE_URL = SITE
    settings.SMS_BACKEND = "core.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_HOURS = (0, 24)  # any time is texting time in these tests
    return FileSmsBackend()


def lead_by_text(world, *, what: str = "A walking bus to school", language: str = "en"):
    lead = participant(
        world.programme,
        name="Oluwaseun Adebayo-Okafor",
        email="",
        mobile=MOBILE,
        texts_agreed=True,
        channel=Channel.SMS,
        language=language,
    )
    return make_action(world, lead=lead, status=ActionStatus.AGREED, what=what)


def text_link(action) -> LeadLink:
    """A lead link whose message goes by text, due now."""
    link = LeadLink.objects.create(action=action, invitation=action.lead)
    link.message = Message.objects.create(
        kind=links.KIND,
        recipient_type=ContentType.objects.get_for_model(Invitation),
        recipient_id=action.lead.pk,
        topic_type=ContentType.objects.get_for_model(LeadLink),
        topic_id=link.pk,
        channel=Channel.SMS,
        scheduled_for=timezone.now(),
    )
    link.save(update_fields=["message"])
    return link


def lead_url(body: str) -> str:
    [url] = re.findall(rf"{re.escape(SITE)}/a/[\w-]+/", body)
    assert body.endswith(url)
    return url


def test_a_lead_link_by_text_is_sent_once_and_its_link_opens_the_lead_page(client, world, texts):
    action = lead_by_text(world)
    link = text_link(action)

    first, second = outbox.dispatch_due(), outbox.dispatch_due()

    assert (first.sent, second.sent) == (1, 0)
    [sent] = texts.list_sent()
    assert sent.to == MOBILE and sent.reference == f"outbox-{link.message.pk}"
    assert sent.body.startswith('Hello Oluwaseun, thank you for leading "A walking bus to school".')
    assert "just for you" in sent.body
    assert sms_encoding(sent.body) == "GSM-7" and sms_parts(sent.body) <= 2
    row = Message.objects.get(pk=link.message.pk)
    assert row.state == MessageState.SENT and row.provider == "file" and row.provider_id == sent.id
    url = lead_url(sent.body)
    token = url.rstrip("/").rsplit("/", 1)[1]
    link.refresh_from_db()
    assert link.token_hash == hash_token(token)
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert "A walking bus to school" in response.content.decode()


def test_a_long_action_is_shortened_to_fit_two_parts(client, world, texts):
    action = lead_by_text(world, what=LONG_ACTION)
    text_link(action)

    outbox.dispatch_due()

    [sent] = texts.list_sent()
    assert '"A walking bus to school from the park gates..."' in sent.body
    assert sms_encoding(sent.body) == "GSM-7" and sms_parts(sent.body) <= 2
    assert client.get(urlsplit(lead_url(sent.body)).path).status_code == 200


def test_a_lead_link_text_in_arabic_is_in_arabic(world, texts):
    action = lead_by_text(world, language="ar")
    text_link(action)

    outbox.dispatch_due()

    [sent] = texts.list_sent()
    assert len(re.findall(r"[\u0600-\u06ff]", sent.body)) > 30
    assert sent.encoding == "UCS-2" and sent.parts == sms_parts(sent.body)
    lead_url(sent.body)


def test_a_text_to_a_lead_who_no_longer_has_a_mobile_is_not_sent(world, texts):
    action = lead_by_text(world)
    link = text_link(action)
    action.lead.invitee.mobile = ""
    action.lead.invitee.save()

    result = outbox.dispatch_due()

    assert result.sent == 0 and result.cancelled == 1
    assert texts.list_sent() == []
    assert Message.objects.get(pk=link.message.pk).state == MessageState.CANCELLED
