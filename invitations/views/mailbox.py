"""Sent mail kept as files by the embedded default, readable from the site in DEBUG."""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from core.mailbox import mailbox_dir

from ..templatetags.invitation_tags import mailbox_enabled

MAILBOX_PAGE_SIZE = 50
MAIL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.eml")


def mailbox_view(view):
    """404 unless this copy keeps mail as files in DEBUG; then signed-in facilitators and admins only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not mailbox_enabled():
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm("invitations.view_mailbox"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


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


@mailbox_view
def mailbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(_mail_files(), MAILBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    letters = []
    for path in page:
        message = _read_mail(path, headers_only=True)
        letters.append(
            {
                "name": path.name,
                "date": _mail_date(message),
                "to": str(message["To"] or ""),
                "subject": str(message["Subject"] or ""),
            }
        )
    return render(request, "invitations/mailbox.html", {"page": page, "letters": letters})


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


@mailbox_view
def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    # Only the name of a file that is in the folder: never a path someone typed.
    found = {path.name: path for path in _mail_files()}
    if not MAIL_NAME.fullmatch(name) or name not in found:
        raise Http404
    message = _read_mail(found[name])
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
            "html": html_part.get_content() if html_part else "",
            "text": text,
            "reply_links": [link for link in links if resolve(link).view_name == "invitations:reply"],
            "unsubscribe_links": [
                link for link in links if resolve(link).view_name == "invitations:unsubscribe"
            ],
            "attachments": attachments,
        },
    )
