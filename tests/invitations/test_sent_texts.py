"""The sent texts of the embedded default (core.sms.FileSmsBackend), read from the site in DEBUG beside the
sent mail."""

import json
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.delivery import reference_of
from core.enums import MessageChannel, MessageState
from core.models import Message
from core.sms import FileSmsBackend, SmsMessage
from invitations.enums import MessageKind
from invitations.services.emails import issue_reply_link
from tests.factories import InvitationFactory

URDU = "آپ سب کو خوش آمدید۔ ہم مل کر اپنے بچوں کے لیے بہتر محلہ بنائیں گے۔ " * 3
NOT_KEPT = "20260101-090000-000000-abcd1234.json"


@pytest.fixture
def sms_dir(settings, tmp_path):
    """A copy of the site in DEBUG that keeps its texts as files in a folder of its own."""
    settings.DEBUG = True
    settings.SMS_BACKEND = "core.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.EMAIL_BACKEND = "core.mailbox.MailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "sms"


def send_text(programme, body: str, *, to: str = "+447700900123", name: str = "Amira Khan") -> str:
    """A text to someone invited to ``programme``, as the outbox sends one: an outbox row on the SMS
    channel, its reference given to the real file backend. Returns the kept file's name."""
    invitation = InvitationFactory(programme=programme, invitee__name=name, invitee__mobile=to)
    row = Message.objects.create(
        kind=MessageKind.INVITATION,
        recipient=invitation,
        channel=MessageChannel.SMS,
        scheduled_for=timezone.now(),
        state=MessageState.SENT,
        sent_at=timezone.now(),
        provider="file",
    )
    provider_id = FileSmsBackend().send(SmsMessage(to=to, body=body, reference=reference_of(row)))
    return f"{provider_id}.json"


def test_list_shows_each_text_newest_first_with_its_parts_and_encoding(client, world, sms_dir):
    older = send_text(world.programme, "Hello Amira, you are invited to Better Together.")
    newer = send_text(world.programme, URDU, to="+447700900456", name="Bilal")
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("invitations:mailbox_texts"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [text.name for text in response.context["texts"]] == [newer, older]
    assert "+447700900123" in html and "+447700900456" in html
    assert "1 <span" in html and "(GSM-7)" in html
    assert f"{FileSmsBackend().read(newer).parts} <span" in html and "(UCS-2)" in html
    assert f'href="{reverse("invitations:mailbox_text", args=[older])}" dir="auto">Hello Amira' in html
    assert URDU[:20] in html and URDU not in html  # only the first words


def test_list_and_mail_pages_link_to_each_other(client, world, sms_dir):
    client.force_login(world.user("facilitator"))

    texts = client.get(reverse("invitations:mailbox_texts")).content.decode()
    mail = client.get(reverse("invitations:mailbox")).content.decode()

    assert f'href="{reverse("invitations:mailbox")}">Emails' in texts
    assert f'aria-current="page" href="{reverse("invitations:mailbox_texts")}">Texts' in texts
    assert f'href="{reverse("invitations:mailbox_texts")}">Texts' in mail
    assert "No texts have been sent yet." in texts


def test_list_leaves_out_half_written_and_foreign_files(client, world, sms_dir):
    send_text(world.programme, "A real one")
    (sms_dir / f".{NOT_KEPT}.part").write_text(json.dumps({"to": "+447700900999"}))
    (sms_dir / "notes.txt").write_text("+447700900998")
    (sms_dir / "20260101-090000-000000-deadbeef.json").write_text("{not json")
    client.force_login(world.user("admin"))

    html = client.get(reverse("invitations:mailbox_texts")).content.decode()

    assert "A real one" in html
    assert "+447700900999" not in html and "+447700900998" not in html


def test_one_text_shows_the_whole_body_to_read_in_its_own_direction(client, world, sms_dir):
    name = send_text(world.programme, URDU)
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("invitations:mailbox_text", args=[name]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="text-body" dir="auto">{URDU.strip()}' in html.replace("<br>", "")
    assert "UCS-2" in html and f'<dd class="col-sm-9">{len(URDU)}</dd>' in html


def test_one_text_keeps_its_line_breaks_escapes_markup_and_offers_its_reply_link(client, world, sms_dir):
    invitation = InvitationFactory(programme=world.programme)
    reply_url, _ = issue_reply_link(invitation=invitation)
    name = send_text(world.programme, f"Hello <b>Sam</b>,\nreply here: {reply_url}")
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("invitations:mailbox_text", args=[name]))

    html = response.content.decode()
    assert "Hello &lt;b&gt;Sam&lt;/b&gt;,<br>reply here:" in html and "<b>Sam" not in html
    [link] = response.context["reply_links"]
    assert link.startswith("/r/") and f'href="{link}" id="reply-link"' in html
    client.logout()  # the person invited has no account
    assert client.get(link).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        NOT_KEPT,
        f".{NOT_KEPT}.part",
        "..",
        "..%2F..%2Fsecret_key",
        "secret_key",
        "20260101-090000-000000-abcd1234.JSON",
        "20260101-090000-000000-abcd1234.json%00",
        "linked.json",
    ],
)
def test_a_name_that_is_not_a_kept_text_is_not_found(client, world, sms_dir, name):
    sms_dir.mkdir()
    (sms_dir / f".{NOT_KEPT}.part").write_text(json.dumps({"to": "+447700900999"}))
    (sms_dir.parent / "secret_key").write_text("not for you")
    client.force_login(world.user("admin"))

    response = client.get(f"/mailbox/texts/{name}/")

    assert response.status_code == 404
    assert b"not for you" not in response.content and b"+447700900999" not in response.content


def test_a_link_in_the_folder_to_a_text_elsewhere_is_not_found(client, world, sms_dir, tmp_path):
    real = send_text(world.programme, "Kept")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / real).write_bytes((sms_dir / real).read_bytes())
    linked = "20260101-090000-000000-0badf00d.json"
    os.symlink(elsewhere / real, sms_dir / linked)
    client.force_login(world.user("admin"))

    assert client.get(reverse("invitations:mailbox_text", args=[linked])).status_code == 404
    assert linked not in client.get(reverse("invitations:mailbox_texts")).content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("facilitator", (200, 200, True)),
        # Another neighbourhood's facilitator has a list of texts, but this programme's are not in it.
        ("other_facilitator", (200, 404, False)),
        ("admin", (200, 200, True)),
        ("coordinator", (403, 403, False)),
        ("artist", (403, 403, False)),
    ],
)
def test_texts_are_for_the_programmes_facilitators_and_admins(client, world, sms_dir, role, expected):
    name = send_text(world.programme, "Hello Amira")
    client.force_login(world.user(role))

    listing = client.get(reverse("invitations:mailbox_texts"))
    one = client.get(reverse("invitations:mailbox_text", args=[name]))

    assert (listing.status_code, one.status_code, "Hello Amira" in listing.content.decode()) == expected


def test_a_text_no_outbox_row_names_is_for_administrators_only(client, world, sms_dir):
    provider_id = FileSmsBackend().send(SmsMessage(to="+447700900123", body="Stray", reference="test"))
    name = f"{provider_id}.json"

    client.force_login(world.user("facilitator"))
    assert client.get(reverse("invitations:mailbox_text", args=[name])).status_code == 404
    client.force_login(world.user("admin"))
    assert client.get(reverse("invitations:mailbox_text", args=[name])).status_code == 200


def test_texts_send_the_anonymous_to_sign_in(client, world, sms_dir):
    name = send_text(world.programme, "Hello")

    response = client.get(reverse("invitations:mailbox_text", args=[name]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login")) and "next=" in response.url


def test_texts_do_not_exist_without_debug(client, world, sms_dir, settings):
    name = send_text(world.programme, "Hello")
    settings.DEBUG = False
    client.force_login(world.user("admin"))

    assert client.get(reverse("invitations:mailbox_texts")).status_code == 404
    assert client.get(reverse("invitations:mailbox_text", args=[name])).status_code == 404


def test_texts_do_not_exist_when_they_really_go(client, world, sms_dir, settings):
    name = send_text(world.programme, "Hello")
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    client.force_login(world.user("admin"))

    assert client.get(reverse("invitations:mailbox_texts")).status_code == 404
    assert client.get(reverse("invitations:mailbox_text", args=[name])).status_code == 404


def test_mail_page_offers_no_texts_tab_when_texts_really_go(client, world, sms_dir, settings):
    settings.SMS_BACKEND = "core.sms.NotifySmsBackend"
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:mailbox")).content.decode()

    assert reverse("invitations:mailbox_texts") not in html


def _queries_for_the_list(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("invitations:mailbox_texts")).status_code == 200
    return len(queries)


def test_list_costs_the_same_queries_for_one_text_or_many(client, world, sms_dir):
    client.force_login(world.user("facilitator"))
    send_text(world.programme, "The first")
    one = _queries_for_the_list(client)
    for index in range(6):
        send_text(world.programme, f"Text {index}", to=f"+4477009001{index:02d}", name=f"Person {index}")

    many = _queries_for_the_list(client)

    assert many == one
    assert len(FileSmsBackend().list_sent()) == 7


def test_list_is_in_pages_of_fifty(client, world, sms_dir):
    backend = FileSmsBackend()
    names = [
        f"{backend.send(SmsMessage(to='+447700900123', body=f'Text {index}', reference='x'))}.json"
        for index in range(51)
    ]
    client.force_login(world.user("admin"))

    first = client.get(reverse("invitations:mailbox_texts"))
    second = client.get(reverse("invitations:mailbox_texts"), {"page": 2})

    assert [text.name for text in first.context["texts"]] == names[::-1][:50]
    assert [text.name for text in second.context["texts"]] == [names[0]]
    assert "Page 1 of 2" in first.content.decode() and "?page=2" in first.content.decode()
