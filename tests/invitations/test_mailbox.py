"""The sent-mail viewer of the embedded default: what the site "sent", opened from the site in DEBUG."""

import os
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import Message
from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.services.schedule import sync_schedule
from tests.factories import InvitationFactory

MAILBOX_BACKEND = "core.mailbox.MailboxBackend"


@pytest.fixture
def mail_dir(settings, tmp_path):
    """A copy of the site in DEBUG that keeps its mail as files in a folder of its own."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = MAILBOX_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def send_invitation(programme, mail_dir, *, name: str, email: str) -> str:
    """Open ``programme`` with its all-day in ten days, invite one person and really send the invitation
    through the outbox into the mailbox folder; returns the new file's name."""
    programme.status = ProgrammeStatus.OPEN
    programme.save()
    first = programme.sessions.get(order=1)
    first.date = timezone.localdate() + timedelta(days=10)
    events_services.save_session(session=first)
    InvitationFactory(programme=programme, invitee__name=name, invitee__email=email)
    before = set(mail_dir.glob("*.eml"))
    sync_schedule(programme=programme)
    assert outbox.dispatch_due().sent == 1
    [path] = set(mail_dir.glob("*.eml")) - before
    return path.name


def message_id(mail_dir, name: str) -> str:
    with (mail_dir / name).open("rb") as file:
        return str(BytesParser(policy=policy.default).parse(file, headersonly=True)["Message-ID"])


@pytest.fixture
def sent_invitation(world, mail_dir):
    """An invitation really sent through the outbox into the mailbox folder."""
    return send_invitation(world.programme, mail_dir, name="Amira Khan", email="amira@example.org")


def test_mailbox_lists_sent_mail_newest_first(client, world, sent_invitation, mail_dir):
    older = mail_dir / "20000101-090000-000000-00000000.eml"
    older.write_bytes(
        b"To: old@example.org\r\nSubject: An old one\r\nDate: Sat, 01 Jan 2000 09:00:00 +0000\r\n"
        # An earlier copy of a message of the same programme (a facilitator sees only their programmes').
        + f"Message-ID: {message_id(mail_dir, sent_invitation)}\r\n\r\nHi\r\n".encode()
    )
    timestamp = (timezone.now() - timedelta(days=1)).timestamp()
    os.utime(older, (timestamp, timestamp))
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:mailbox")).content.decode()

    assert "Amira Khan &lt;amira@example.org&gt;" in html
    assert f"You&#x27;re invited: {world.programme.title}" in html
    assert html.index("amira@example.org") < html.index("old@example.org")
    assert reverse("invitations:mailbox_message", args=[sent_invitation]) in html


def test_mailbox_leaves_out_half_written_files(client, world, mail_dir):
    mail_dir.mkdir()
    (mail_dir / ".20260101-090000-000000-abcdef12.eml.part").write_bytes(b"To: half@example.org\r\n")
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("invitations:mailbox")).content.decode()

    assert "half@example.org" not in html
    assert "Nothing has been sent yet." in html


def test_message_shows_headers_html_reply_link_and_attachment(client, world, sent_invitation):
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("invitations:mailbox_message", args=[sent_invitation]))

    html = response.content.decode()
    assert "Amira Khan &lt;amira@example.org&gt;" in html
    assert "List-Unsubscribe" in html and "/unsubscribe/" in html
    frame = reverse("invitations:mailbox_message_html", args=[sent_invitation])
    assert f'sandbox="" src="{frame}"' in html
    assert "style=" not in html  # the page's strict CSP allows no inline styles
    assert "better-together.ics (text/calendar" in html
    [reply_link] = response.context["reply_links"]
    assert reply_link.startswith("/r/") and f'href="{reply_link}"' in html


def test_the_email_html_is_served_to_its_frame_with_a_policy_of_its_own(client, world, sent_invitation):
    """Email needs inline styles; its frame allows them and nothing else: no script, no request anywhere,
    framed only by our own page."""
    client.force_login(world.user("facilitator"))

    response = client.get(reverse("invitations:mailbox_message_html", args=[sent_invitation]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "<html" in response.content.decode().lower()
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'unsafe-inline'" in policy
    assert "frame-ancestors 'self'" in policy and "sandbox" in policy
    assert "script-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_another_neighbourhoods_email_html_is_not_there(client, world, sent_invitation):
    client.force_login(world.user("other_facilitator"))
    assert client.get(reverse("invitations:mailbox_message_html", args=[sent_invitation])).status_code == 404
    client.logout()
    response = client.get(reverse("invitations:mailbox_message_html", args=[sent_invitation]))
    assert response.status_code == 302


def test_the_reply_link_in_a_sent_message_opens_the_invitation(client, world, sent_invitation):
    client.force_login(world.user("facilitator"))
    message = client.get(reverse("invitations:mailbox_message", args=[sent_invitation]))
    client.logout()  # the person invited has no account

    reply = client.get(message.context["reply_links"][0])

    assert reply.status_code == 200
    assert "Hello Amira" in reply.content.decode()


def test_a_text_only_message_is_shown_in_pre(client, world, mail_dir):
    mail_dir.mkdir()
    name = "20260101-090000-000000-abcdef12.eml"
    (mail_dir / name).write_bytes(
        b"To: someone@example.org\r\nSubject: Plain\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"<script>alert(1)</script> Hello\r\n"
    )
    client.force_login(world.user("admin"))

    html = client.get(reverse("invitations:mailbox_message", args=[name])).content.decode()

    assert 'id="text-body">&lt;script&gt;alert(1)&lt;/script&gt; Hello' in html
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("facilitator", (200, 200)),
        # Another neighbourhood's facilitator has a mailbox, but this programme's mail is not in it.
        ("other_facilitator", (200, 404)),
        ("admin", (200, 200)),
        ("coordinator", (403, 403)),
        ("other_coordinator", (403, 403)),
        ("artist", (403, 403)),
    ],
)
def test_mailbox_is_for_facilitators_and_admins(client, world, sent_invitation, role, expected):
    client.force_login(world.user(role))

    listing = client.get(reverse("invitations:mailbox"))
    message = client.get(reverse("invitations:mailbox_message", args=[sent_invitation]))

    assert (listing.status_code, message.status_code) == expected


def test_mailbox_sends_the_anonymous_to_sign_in(client, world, sent_invitation):
    url = reverse("invitations:mailbox_message", args=[sent_invitation])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login")) and "next=" in response.url


def test_mailbox_does_not_exist_without_debug(client, world, sent_invitation, settings):
    settings.DEBUG = False
    client.force_login(world.user("admin"))

    assert client.get(reverse("invitations:mailbox")).status_code == 404
    assert client.get(reverse("invitations:mailbox_message", args=[sent_invitation])).status_code == 404


def test_mailbox_does_not_exist_with_a_real_mail_server(client, world, sent_invitation, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(world.user("admin"))

    assert client.get(reverse("invitations:mailbox")).status_code == 404
    assert client.get(reverse("invitations:mailbox_message", args=[sent_invitation])).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/mailbox/../",
        "/mailbox/..%2Fsecret_key/",
        "/mailbox/%2e%2e%2fsecret_key/",
        "/mailbox/..%5Csecret_key/",
        "/mailbox/secret_key/",
        "/mailbox/outside.eml/",
        "/mailbox/.hidden.eml/",
        "/mailbox/.20260101-090000-000000-abcdef12.eml.part/",
        "/mailbox/20260101-090000-000000-abcdef12.eml%00/",
        "/mailbox/not-there.eml/",
        "/mailbox/%2Fetc%2Fpasswd/",
    ],
)
def test_message_names_outside_the_folder_are_not_found(client, world, mail_dir, path):
    mail_dir.mkdir()
    (mail_dir / ".hidden.eml").write_bytes(b"To: hidden@example.org\r\n\r\nthe hidden body\r\n")
    (mail_dir / ".20260101-090000-000000-abcdef12.eml.part").write_bytes(b"To: half@example.org\r\n\r\n")
    (mail_dir.parent / "secret_key").write_text("not for you")
    (mail_dir.parent / "outside.eml").write_bytes(b"To: outside@example.org\r\n\r\nthe outside body\r\n")
    client.force_login(world.user("admin"))

    response = client.get(path)

    assert response.status_code == 404
    for leaked in [b"not for you", b"the hidden body", b"the outside body", b"half@example.org"]:
        assert leaked not in response.content


def test_a_link_to_a_file_outside_the_folder_is_not_followed(client, world, mail_dir):
    mail_dir.mkdir()
    outside = mail_dir.parent / "outside.eml"
    outside.write_bytes(b"To: outside@example.org\r\nSubject: Outside\r\n\r\nsecret\r\n")
    (mail_dir / "20260101-090000-000000-abcdef12.eml").symlink_to(outside)
    client.force_login(world.user("admin"))

    listing = client.get(reverse("invitations:mailbox"))
    message = client.get("/mailbox/20260101-090000-000000-abcdef12.eml/")

    assert b"outside@example.org" not in listing.content
    assert message.status_code == 404


def test_dashboard_links_to_sent_mail_in_debug(client, world, mail_dir):
    client.force_login(world.user("facilitator"))

    html = client.get(reverse("events:dashboard")).content.decode()

    assert "Sent mail (this copy of the site only)" in html
    assert f'href="{reverse("invitations:mailbox")}"' in html


def test_dashboard_has_no_sent_mail_link_without_debug(client, world, settings):
    settings.DEBUG = False
    client.force_login(world.user("admin"))

    html = client.get(reverse("events:dashboard")).content.decode()

    assert "Sent mail" not in html


def test_dashboard_has_no_sent_mail_link_for_a_coordinator(client, world, mail_dir):
    client.force_login(world.user("coordinator"))

    html = client.get(reverse("events:dashboard")).content.decode()

    assert "Sent mail" not in html


# --- Each facilitator sees their own programmes' mail ----------------------------------------------------


@pytest.fixture
def two_neighbourhoods(world, mail_dir):
    """An invitation sent in each of two neighbourhoods, each with its own facilitator."""
    elsewhere = events_services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Better Together Elsewhere",
        key_question="What would help?",
        first_date=timezone.localdate() + timedelta(days=40),
        created_by=world.user("other_facilitator"),
    )
    ours = send_invitation(world.programme, mail_dir, name="Amira Khan", email="amira@example.org")
    theirs = send_invitation(elsewhere, mail_dir, name="Bella Jones", email="bella@example.org")
    return {"facilitator": ours, "other_facilitator": theirs, "elsewhere": elsewhere}


@pytest.mark.parametrize(
    ("role", "other"), [("facilitator", "other_facilitator"), ("other_facilitator", "facilitator")]
)
def test_a_facilitator_sees_only_their_own_neighbourhoods_mail(
    client, world, two_neighbourhoods, role, other
):
    mine, theirs = two_neighbourhoods[role], two_neighbourhoods[other]
    client.force_login(world.user(role))

    listing = client.get(reverse("invitations:mailbox"))

    assert [letter["name"] for letter in listing.context["letters"]] == [mine]
    html = listing.content.decode()
    assert reverse("invitations:mailbox_message", args=[mine]) in html
    assert reverse("invitations:mailbox_message", args=[theirs]) not in html
    assert "You see the mail of the programmes you run." in html


@pytest.mark.parametrize(
    ("role", "other"), [("facilitator", "other_facilitator"), ("other_facilitator", "facilitator")]
)
def test_another_neighbourhoods_message_is_not_found_by_its_address(
    client, world, two_neighbourhoods, role, other
):
    client.force_login(world.user(role))

    mine = client.get(reverse("invitations:mailbox_message", args=[two_neighbourhoods[role]]))
    theirs = client.get(reverse("invitations:mailbox_message", args=[two_neighbourhoods[other]]))

    assert mine.status_code == 200 and len(mine.context["reply_links"]) == 1
    assert theirs.status_code == 404
    assert b"/r/" not in theirs.content  # no reply link to someone else's invitation
    assert b"@example.org" not in theirs.content


def test_an_administrator_sees_every_neighbourhoods_mail(client, world, two_neighbourhoods):
    client.force_login(world.user("admin"))

    listing = client.get(reverse("invitations:mailbox"))

    names = {letter["name"] for letter in listing.context["letters"]}
    assert names == {two_neighbourhoods["facilitator"], two_neighbourhoods["other_facilitator"]}
    assert "You see the mail of the programmes you run." not in listing.content.decode()
    for name in names:
        assert client.get(reverse("invitations:mailbox_message", args=[name])).status_code == 200


def test_a_facilitator_named_on_another_neighbourhoods_programme_sees_its_mail(
    client, world, two_neighbourhoods
):
    two_neighbourhoods["elsewhere"].facilitators.add(world.user("facilitator"))
    client.force_login(world.user("facilitator"))

    listing = client.get(reverse("invitations:mailbox"))

    names = {letter["name"] for letter in listing.context["letters"]}
    assert names == {two_neighbourhoods["facilitator"], two_neighbourhoods["other_facilitator"]}


def test_mail_that_names_no_programme_is_for_administrators_only(client, world, two_neighbourhoods, mail_dir):
    # Mail the outbox did not send, and mail whose outbox row has gone (the person was erased).
    (mail_dir / "20260101-090000-000000-abcdef12.eml").write_bytes(
        b"To: someone@example.org\r\nSubject: Password reset\r\nMessage-ID: <1234.5678@localhost>\r\n\r\nHi\r\n"
    )
    Message.objects.filter(invitation__programme=world.programme).delete()
    client.force_login(world.user("facilitator"))

    listing = client.get(reverse("invitations:mailbox"))
    stray = client.get(reverse("invitations:mailbox_message", args=["20260101-090000-000000-abcdef12.eml"]))
    orphan = client.get(reverse("invitations:mailbox_message", args=[two_neighbourhoods["facilitator"]]))
    client.force_login(world.user("admin"))
    seen_by_admin = client.get(reverse("invitations:mailbox"))

    assert listing.context["letters"] == [] and "Nothing has been sent yet." in listing.content.decode()
    assert (stray.status_code, orphan.status_code) == (404, 404)
    assert len(seen_by_admin.context["letters"]) == 3


def test_mailbox_queries_do_not_grow_with_the_mail(client, world, mail_dir):
    client.force_login(world.user("facilitator"))
    send_invitation(world.programme, mail_dir, name="Amira Khan", email="amira@example.org")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("invitations:mailbox"))
    for index in range(3):
        InvitationFactory(programme=world.programme, invitee__email=f"more{index}@example.org")
    sync_schedule(programme=world.programme)
    assert outbox.dispatch_due().sent == 3
    with CaptureQueriesContext(connection) as many:
        listing = client.get(reverse("invitations:mailbox"))

    assert len(listing.context["letters"]) == 4
    assert len(many) == len(one)
