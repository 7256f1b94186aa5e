import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.generic import FormView, TemplateView

from bettertogether.csvsafe import csv_text
from bettertogether.mailbox import mailbox_dir
from bettertogether.permissions import object_permission_required
from bettertogether.tokenpages import guard_token_page
from events.enums import OrganisationKind, ProgrammeStatus
from events.models import Programme, Session
from events.views import ProgrammeMixin

from .enums import Answer, ReplySource
from .forms import (
    INTERPRETER_LANGUAGES,
    ConfirmImportForm,
    InviteeForm,
    RecordReplyForm,
    ReplyForm,
    UploadForm,
)
from .models import Invitation, Message, Reply, SessionAnswer
from .services import emails, invitees, replies
from .templatetags.invitation_tags import mailbox_enabled, message_kind, message_state


@dataclass
class Opened:
    """What a reply link opens: the invitation, its sessions (not cancelled, in date order) and the answer
    given so far, loaded once for every page of the link."""

    invitation: Invitation
    token: str
    sessions: list[Session]
    reply: Reply | None
    now: datetime

    @property
    def programme(self) -> Programme:
        return self.invitation.programme

    @property
    def upcoming(self) -> list[Session]:
        """The sessions that can still be answered: not over yet."""
        return [session for session in self.sessions if session.ends_at > self.now]

    @property
    def finished(self) -> bool:
        """The programme is marked finished, or every one of its sessions is over."""
        return self.programme.status == ProgrammeStatus.FINISHED or bool(self.sessions and not self.upcoming)

    def answers(self) -> dict[int, str]:
        return {answer.session_id: answer.answer for answer in self.reply.answers.all()} if self.reply else {}


def token_page(*, after_finish: bool = False, csrf: bool = True) -> Callable:
    """The pages a reply link opens. Rate-limited per client address; an unknown or altered token gets a
    plain 404 that says nothing about any programme; once the programme has finished, a friendly page
    (410 Gone) unless ``after_finish``. Every answer, even an error, gets the private headers. POSTs
    are checked by TokenPageCsrfMiddleware unless ``csrf`` is off (the one-click unsubscribe)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str) -> HttpResponse:
            invitation = replies.find_invitation(token=token)
            if invitation is None:
                return render(request, "404.html", status=404)
            reply = getattr(invitation, "reply", None)
            if reply is not None:
                prefetch_related_objects([reply], "answers")  # read by the page, the form and the summary
            opened = Opened(
                invitation=invitation,
                token=token,
                sessions=list(
                    invitation.programme.sessions.active()
                    .select_related("venue")
                    .order_by("date", "start_time")
                ),
                reply=reply,
                now=timezone.now(),
            )
            if opened.finished and not after_finish:
                return render(request, "invitations/finished.html", {"opened": opened}, status=410)
            return view(request, opened)

        return guard_token_page(wrapped, scope="reply-links", csrf=csrf)

    return decorator


def _venues(sessions: list[Session]) -> list:
    """Each place the sessions are held, once, in the order they come."""
    venues = []
    for session in sessions:
        if session.venue and session.venue not in venues:
            venues.append(session.venue)
    return venues


@token_page()
@require_http_methods(["GET", "HEAD", "POST"])
def reply(request: HttpRequest, opened: Opened) -> HttpResponse:
    """Where the link in an invitation leads. Opening it never changes anything (mail scanners open
    every link); the answer is a POST. Sessions already over keep the answer given before."""
    upcoming = opened.upcoming
    if request.method == "POST":
        form = ReplyForm(request.POST, sessions=upcoming)
        if form.is_valid():
            still_open = {session.pk for session in upcoming}
            kept = {pk: answer for pk, answer in opened.answers().items() if pk not in still_open}
            try:
                replies.record_reply(
                    invitation=opened.invitation,
                    answers={**kept, **form.answers()},
                    details=form.details(),
                )
            except ValidationError as error:
                form.show_errors(error)
            else:
                return redirect("invitations:reply_thanks", opened.token)
    else:
        form = ReplyForm(sessions=upcoming, reply=opened.reply)
    given = opened.answers()
    return render(
        request,
        "invitations/reply.html",
        {
            "opened": opened,
            "invitation": opened.invitation,
            "invitee": opened.invitation.invitee,
            "programme": opened.programme,
            "token": opened.token,
            "form": form,
            "past": [
                (session, given.get(session.pk)) for session in opened.sessions if session not in upcoming
            ],
            "venues": _venues(upcoming),
            "languages": INTERPRETER_LANGUAGES,
            "staff": False,
            "cancel_url": None,
        },
    )


@token_page()
@require_safe
def reply_thanks(request: HttpRequest, opened: Opened) -> HttpResponse:
    """After answering: the answer as we have it, the dates for a calendar, and how to change it."""
    if opened.reply is None:
        return redirect("invitations:reply", opened.token)
    given = opened.answers()
    return render(
        request,
        "invitations/reply_thanks.html",
        {
            "opened": opened,
            "invitation": opened.invitation,
            "invitee": opened.invitation.invitee,
            "programme": opened.programme,
            "reply": opened.reply,
            "token": opened.token,
            "summary": emails.reply_lines(opened.reply, opened.sessions),
            "coming": any(given.get(s.pk) in (Answer.YES, Answer.MAYBE) for s in opened.upcoming),
        },
    )


@token_page()
@require_safe
def reply_calendar(request: HttpRequest, opened: Opened) -> HttpResponse:
    """An .ics file of the sessions still to come that they said yes or maybe to; all of them if none."""
    given = opened.answers()
    chosen = [s for s in opened.upcoming if given.get(s.pk) in (Answer.YES, Answer.MAYBE)]
    response = HttpResponse(
        emails.calendar_file(sessions=chosen or opened.upcoming, title=opened.programme.title),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="better-together.ics"'
    return response


# Mail programs send the one-click unsubscribe (RFC 8058) as a POST with no CSRF token; the unguessable
# token in the address is what authorises it, and a GET only shows the button. It keeps working after the
# programme has finished: an old email's one-click unsubscribe should still get a plain "done".
@token_page(after_finish=True, csrf=False)
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, opened: Opened) -> HttpResponse:
    invitation = opened.invitation
    if request.method == "POST":
        replies.opt_out(invitation=invitation)
    return render(
        request,
        "invitations/unsubscribe.html",
        {
            "invitation": invitation,
            "programme": opened.programme,
            "token": opened.token,
            "done": invitation.opted_out_at is not None,
            "finished": opened.finished,
        },
    )


# --- The programme's invitation list: built by the facilitator and the schools ---------------------------


class InvitationsMixin(ProgrammeMixin):
    """The programme named by the URL, checked against the view's permission."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "programme": self.programme, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(Programme.objects.select_related("neighbourhood"), pk=pk)


def _invitations_with_messages(*, programme: Programme, user) -> QuerySet[Invitation]:
    """The invitations this user may see, with everything the list shows: no query per person."""
    return (
        invitees.visible_invitations(programme=programme, user=user)
        .select_related("invitee__organisation", "reply")
        .prefetch_related(
            Prefetch(
                "messages", queryset=Message.objects.select_related("session").order_by("scheduled_for", "pk")
            ),
            Prefetch(
                "reply__answers",
                queryset=SessionAnswer.objects.select_related("session").order_by(
                    "session__date", "session__start_time"
                ),
            ),
        )
    )


class InvitationListView(InvitationsMixin, TemplateView):
    permission_required = "invitations.view_invitations"
    template_name = "invitations/list.html"

    def get_context_data(self, **kwargs):
        programme, user = self.programme, self.request.user
        can_invite_groups = user.has_perm("invitations.invite_groups", programme)
        groups_without_email = []
        if can_invite_groups:
            groups_without_email = list(
                programme.neighbourhood.organisations.exclude(kind=OrganisationKind.SCHOOL).filter(
                    contact_email=""
                )
            )
        return super().get_context_data(
            invitations=list(_invitations_with_messages(programme=programme, user=user)),
            balance=invitees.list_balance(programme=programme),
            whole_list=invitees.runs(user, programme),
            can_change_programme=user.has_perm("events.change_programme", programme),
            can_invite_groups=can_invite_groups,
            groups_without_email=groups_without_email,
            is_draft=programme.status == ProgrammeStatus.DRAFT,
            is_open=programme.status == ProgrammeStatus.OPEN,
            is_finished=programme.status == ProgrammeStatus.FINISHED,
            **kwargs,
        )


CSV_HEADER = [
    "name",
    "category",
    "role",
    "organisation",
    "email",
    "phone",
    "language",
    "channel",
    "asked not to be contacted",
    "messages",
]


@object_permission_required("invitations.view_invitations", _programme)
def invitation_list_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The list as a spreadsheet, in the same columns the upload takes. No cell is ever a formula."""
    programme = _programme(request, pk)
    is_open = programme.status == ProgrammeStatus.OPEN
    rows = []
    for invitation in _invitations_with_messages(programme=programme, user=request.user):
        invitee = invitation.invitee
        rows.append(
            [
                invitee.name,
                invitee.get_category_display(),
                invitee.get_staff_role_display(),
                invitee.organisation.name if invitee.organisation else "",
                invitee.email,
                invitee.phone,
                invitee.get_language_display(),
                invitee.get_channel_display(),
                _("yes") if invitation.opted_out_at else "",
                "; ".join(
                    f"{message_kind(message)}: {message_state(message, is_open)}"
                    for message in invitation.messages.all()
                ),
            ]
        )
    response = HttpResponse(csv_text(CSV_HEADER, rows), content_type="text/csv; charset=utf-8")
    filename = f"invitations-{slugify(programme.title) or programme.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class InvitationCreateView(InvitationsMixin, FormView):
    permission_required = "invitations.add_invitation"
    form_class = InviteeForm
    template_name = "invitations/add.html"

    def form_valid(self, form):
        invitation = invitees.add_invitation(
            programme=self.programme, user=self.request.user, cleaned=form.person()
        )
        messages.success(self.request, _("%(name)s is on the list.") % {"name": invitation.invitee.name})
        if "another" in self.request.POST:
            return redirect("invitations:add", self.programme.pk)
        return redirect("invitations:list", self.programme.pk)


class RecordReplyView(ProgrammeMixin, FormView):
    """A reply given on paper, by phone or in person, recorded on the person's behalf by the programme's
    facilitators, or by a school coordinator for their own school's people (anyone else's: 404)."""

    permission_required = "invitations.add_invitation"
    form_class = RecordReplyForm
    template_name = "invitations/record_reply.html"

    @cached_property
    def invitation(self) -> Invitation:
        return get_object_or_404(
            invitees.visible_invitations(programme=self.programme, user=self.request.user).select_related(
                "invitee__organisation", "reply"
            ),
            pk=self.kwargs["invitation_pk"],
        )

    @cached_property
    def sessions(self) -> list[Session]:
        return list(self.programme.sessions.active().select_related("venue").order_by("date", "start_time"))

    @property
    def from_slip(self) -> bool:
        """Opened from a typed reply code (code_views): "Reply slip" is chosen, and after saving the
        office goes back to type the next slip's code."""
        return self.request.GET.get("source") == ReplySource.PAPER

    def get_initial(self):
        initial = super().get_initial()
        return {**initial, "source": ReplySource.PAPER} if self.from_slip else initial

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "sessions": self.sessions,
            "reply": getattr(self.invitation, "reply", None),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            programme=self.programme,
            invitation=self.invitation,
            invitee=self.invitation.invitee,
            reply=getattr(self.invitation, "reply", None),
            languages=INTERPRETER_LANGUAGES,
            past=[],
            venues=[],
            **kwargs,
        )

    def form_valid(self, form):
        try:
            replies.record_reply(
                invitation=self.invitation,
                answers=form.answers(),
                details=form.details(),
                source=form.cleaned_data["source"],
                recorded_by=self.request.user,
            )
        except ValidationError as error:
            form.show_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Saved the reply from %(name)s.") % {"name": self.invitation.invitee.name}
        )
        return redirect("invitations:reply_code" if self.from_slip else "invitations:list", self.programme.pk)


class ImportView(InvitationsMixin, FormView):
    """Upload → a preview of every row (nothing saved) → confirm, which checks the file again and adds
    the rows marked "will add" in one transaction."""

    permission_required = "invitations.add_invitation"
    form_class = UploadForm
    template_name = "invitations/import.html"

    def get_context_data(self, **kwargs):
        scope = invitees.scope_for(user=self.request.user, programme=self.programme)
        organisations = (
            self.programme.neighbourhood.organisations.all() if scope.runs else list(scope.schools)
        )
        return super().get_context_data(
            organisations=organisations,
            runs=scope.runs,
            example=example_csv(programme=self.programme, scope=scope).lstrip("\ufeff"),
            max_rows=invitees.MAX_ROWS,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "text" in request.POST:
            return self.confirm()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        return render(
            self.request,
            "invitations/import_preview.html",
            {
                "programme": self.programme,
                "preview": form.preview,
                "confirm_form": ConfirmImportForm(initial={"text": form.text}),
            },
        )

    def confirm(self) -> HttpResponse:
        form = ConfirmImportForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, _("Something went wrong with the file. Please upload it again."))
            return redirect("invitations:import", self.programme.pk)
        preview = invitees.import_csv(
            programme=self.programme, text=form.cleaned_data["text"], user=self.request.user
        )
        if preview.file_error:
            messages.error(self.request, preview.file_error)
            return redirect("invitations:import", self.programme.pk)
        messages.success(self.request, import_summary(preview))
        return redirect("invitations:list", self.programme.pk)


def import_summary(preview: invitees.Preview) -> str:
    added, already, errors = len(preview.to_add), len(preview.already), len(preview.errors)
    parts = [
        ngettext("Added %(count)s person to the list.", "Added %(count)s people to the list.", added)
        % {"count": added}
        if added
        else _("Nobody new was added.")
    ]
    if already:
        parts.append(
            ngettext("%(count)s was already invited.", "%(count)s were already invited.", already)
            % {"count": already}
        )
    if errors:
        parts.append(
            ngettext(
                "%(count)s row with a problem was not added: correct it in your file and upload it again.",
                "%(count)s rows with problems were not added: correct them in your file and upload it again.",
                errors,
            )
            % {"count": errors}
        )
    return " ".join(parts)


def example_csv(*, programme: Programme, scope: invitees.Scope) -> str:
    """A small file in the upload's format, naming this neighbourhood's real schools and groups."""
    schools = list(scope.schools) if not scope.runs else list(programme.schools.all())
    if not schools:
        schools = list(programme.neighbourhood.organisations.filter(kind=OrganisationKind.SCHOOL)[:1])
    school = schools[0].name if schools else ""
    rows = [
        ["Amira Khan", "parent", "", school, "amira.khan@example.org", "07700 900123", "English", "email"],
        ["Tomasz Nowak", "parent", "", school, "", "", "Polish", "letter"],
        ["Okafor, Grace", "school staff", "teacher", school, "g.okafor@example.org", "", "", "email"],
    ]
    if scope.runs:
        group = programme.neighbourhood.organisations.exclude(kind=OrganisationKind.SCHOOL).first()
        rows.append(
            [
                "Jo Bell",
                "group worker",
                "",
                group.name if group else "",
                "jo.bell@example.org",
                "",
                "",
                "email",
            ]
        )
    return csv_text(invitees.KNOWN_COLUMNS, rows)


@object_permission_required("invitations.add_invitation", _programme)
def import_example(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    scope = invitees.scope_for(user=request.user, programme=programme)
    response = HttpResponse(
        example_csv(programme=programme, scope=scope), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="invitation-list-example.csv"'
    return response


@require_POST
@object_permission_required("invitations.invite_groups", _programme)
def invite_groups(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    added = invitees.invite_organisations(programme=programme, user=request.user)
    if added:
        messages.success(
            request,
            ngettext(
                "Invited %(count)s group or organisation.",
                "Invited %(count)s groups and organisations.",
                added,
            )
            % {"count": added},
        )
    else:
        messages.info(request, _("Every group and organisation with a contact email was already invited."))
    return redirect("invitations:list", programme.pk)


# --- Sent mail, for the embedded default in DEBUG: see what the site "sent" -----------------------------

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
