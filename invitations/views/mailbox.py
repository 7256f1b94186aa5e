"""Sent mail and texts kept as files by the embedded default, readable from the site in DEBUG.

A facilitator sees the mail of the programmes they run; an administrator sees all of it. A file is known
to be a programme's by its Message-ID, which names the outbox row it was sent for (core.mailbox.outbox_pk),
whose recipient is an invitation to that programme. Mail that cannot be traced to a programme (the row is
gone, or the outbox did not send it) is for administrators only.

Texts kept by the file SMS backend (core.sms.FileSmsBackend) are shown the same way, beside the mail: each
names its outbox row by its reference ("outbox-123"), and the same people may read it.
"""

import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import wraps
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core.mailbox import mailbox_dir, outbox_pk
from core.models import Message
from core.sms import DEFAULT_SMS_BACKEND, FileSmsBackend, SentSms
from core.users import User

from ..templatetags.invitation_tags import mailbox_enabled

T = TypeVar("T")

MAILBOX_PAGE_SIZE = 50
MAIL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.eml")
FILE_SMS_BACKEND = "core.sms.FileSmsBackend"
# How much of a text the list shows.
FIRST_WORDS = 60


def texts_enabled() -> bool:
    """Sent texts can be read from the site only on a copy running in DEBUG that keeps them as files."""
    backend = getattr(settings, "SMS_BACKEND", None) or DEFAULT_SMS_BACKEND
    return bool(settings.DEBUG) and backend == FILE_SMS_BACKEND


def _kept_view(enabled):
    """404 unless ``enabled()`` (this copy keeps what it sends as files, in DEBUG); then signed-in
    facilitators and admins only."""

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not enabled():
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm("invitations.view_mailbox"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


mailbox_view = _kept_view(mailbox_enabled)
texts_view = _kept_view(texts_enabled)


def _mail_files() -> list[Path]:
    """The kept messages, newest first. Half-written ones (".name.part") and links to files elsewhere
    are not listed, and only a listed name can be opened."""
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    files = [
        path
        for path in folder.iterdir()
        if MAIL_NAME.fullmatch(path.name) and not path.is_symlink() and path.is_file()
    ]
    return sorted(files, key=lambda path: (path.stat().st_mtime, path.name), reverse=True)


def _read_mail(path: Path, *, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as file:
        return BytesParser(policy=policy.default).parse(file, headersonly=headers_only)


def _mail_date(message: EmailMessage):
    try:
        return message["Date"].datetime if message["Date"] else None
    except (AttributeError, TypeError, ValueError):
        return None


def _row_of(message: EmailMessage) -> int | None:
    return outbox_pk(str(message["Message-ID"] or ""))


def _readable_rows(user: User | AnonymousUser, rows: set[int]) -> set[int]:
    """Those of the outbox ``rows`` that went to someone invited to a programme ``user`` runs (the same
    people as events.rules.runs_programme: the neighbourhood's facilitators and the programme's own),
    and the invitations to colleagues ``user`` sent (accounts.StaffInvitation's rows, by the relation's
    name: this copy of the site shows a facilitator the link their new coordinator will open)."""
    runs = (
        Q(invitation__programme__neighbourhood__facilitators=user)
        | Q(invitation__programme__facilitators=user)
        | Q(staff_invitation__invited_by=user)
    )
    return set(Message.objects.filter(runs, pk__in=rows).values_list("pk", flat=True).distinct())


def _readable(user: User | AnonymousUser, kept: list[T], row_of: Callable[[T], int | None]) -> list[T]:
    """The kept emails or texts ``user`` may read, each known by the outbox row ``row_of`` finds in it:
    all for an administrator, their programmes' for a facilitator."""
    if user.is_superuser:
        return kept
    rows = {row for item in kept if (row := row_of(item)) is not None}
    allowed = _readable_rows(user, rows) if rows else set()
    return [item for item in kept if row_of(item) in allowed]


def _mail_row(kept: tuple[Path, EmailMessage]) -> int | None:
    return _row_of(kept[1])


@mailbox_view
def mailbox(request: HttpRequest) -> HttpResponse:
    # Every file's headers are read to know whose it is; this copy's mail folder is a small one.
    kept = [(path, _read_mail(path, headers_only=True)) for path in _mail_files()]
    page = Paginator(_readable(request.user, kept, _mail_row), MAILBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    letters = []
    for path, message in page:
        letters.append(
            {
                "name": path.name,
                "date": _mail_date(message),
                "to": str(message["To"] or ""),
                "subject": str(message["Subject"] or ""),
            }
        )
    return render(
        request,
        "invitations/mailbox.html",
        {"page": page, "letters": letters, "mail_shown": True, "texts_shown": texts_enabled()},
    )


def _site_links(text: str) -> list[str]:
    """The site's own links in a message (reply and unsubscribe), as paths on this copy of the site."""
    paths = []
    for url in re.findall(r"https?://[^\s<>\"']+", text):
        path = urlsplit(url).path
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.view_name in ("invitations:reply", "invitations:unsubscribe") and path not in paths:
            paths.append(path)
    return paths


def _kept_message(request: HttpRequest, name: str) -> EmailMessage:
    """The kept message of that name, if this user may read it; else 404."""
    # Only the name of a file that is in the folder: never a path someone typed.
    found = {path.name: path for path in _mail_files()}
    if not MAIL_NAME.fullmatch(name) or name not in found:
        raise Http404
    message = _read_mail(found[name])
    # Another neighbourhood's mail is not there for this facilitator, even by its address.
    if not _readable(request.user, [(found[name], message)], _mail_row):
        raise Http404
    return message


# The email's own HTML, shown in a sandboxed frame of the message page: its inline styles (which email
# needs) are allowed there, and nothing else: no script, no request to anywhere, not even to us.
# (csp_replace keeps the site's other directives unless they are named: None takes each out.)
EMAIL_FRAME_POLICY = {
    **dict.fromkeys(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]),
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["data:"],
    "frame-ancestors": [SELF],
    "sandbox": [""],
}


@mailbox_view
@xframe_options_sameorigin
@csp_replace(EMAIL_FRAME_POLICY)
def mailbox_message_html(request: HttpRequest, name: str) -> HttpResponse:
    html_part = _kept_message(request, name).get_body(("html",))
    if html_part is None:
        raise Http404
    return HttpResponse(html_part.get_content(), content_type="text/html; charset=utf-8")


@mailbox_view
def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    message = _kept_message(request, name)
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    text = text_part.get_content() if text_part else ""
    links = _site_links(text + " " + str(message["List-Unsubscribe"] or ""))
    attachments = [
        {
            "filename": part.get_filename() or _("(no name)"),
            "type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in message.iter_attachments()
    ]
    return render(
        request,
        "invitations/mailbox_message.html",
        {
            "name": name,
            "date": _mail_date(message),
            "to": str(message["To"] or ""),
            "sender": str(message["From"] or ""),
            "subject": str(message["Subject"] or ""),
            "list_unsubscribe": str(message["List-Unsubscribe"] or ""),
            "has_html": html_part is not None,
            "text": text,
            "reply_links": [link for link in links if resolve(link).view_name == "invitations:reply"],
            "unsubscribe_links": [
                link for link in links if resolve(link).view_name == "invitations:unsubscribe"
            ],
            "attachments": attachments,
        },
    )


def _text_row(text: SentSms) -> int | None:
    return outbox_pk(text.reference)


@texts_view
def mailbox_texts(request: HttpRequest) -> HttpResponse:
    # Every kept text is read to know whose it is; this copy's folder of texts is a small one.
    texts = _readable(request.user, FileSmsBackend().list_sent(), _text_row)
    page = Paginator(texts, MAILBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "invitations/mailbox_texts.html",
        {
            "page": page,
            "texts": list(page),
            "first_words": FIRST_WORDS,
            "mail_shown": mailbox_enabled(),
            "texts_shown": True,
        },
    )


@texts_view
def mailbox_text(request: HttpRequest, name: str) -> HttpResponse:
    # The backend opens only a name it would have given, in its own folder: never a path someone typed.
    try:
        text = FileSmsBackend().read(name)
    except (ValueError, OSError):
        raise Http404 from None
    # Another neighbourhood's text is not there for this facilitator, even by its address.
    if not _readable(request.user, [text], _text_row):
        raise Http404
    links = _site_links(text.body)
    return render(
        request,
        "invitations/mailbox_text.html",
        {
            "text": text,
            "characters": len(text.body),
            "reply_links": [link for link in links if resolve(link).view_name == "invitations:reply"],
        },
    )
