"""The pages a reply link opens, without an account: the reply form, thanks, calendar, unsubscribe."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from core import languages
from core.downloads import file_response
from core.tokenpages import link_page
from events.enums import ProgrammeStatus
from events.models import Programme, Session
from events.services import parent_contact

from ..enums import Answer
from ..forms import (
    INTERPRETER_LANGUAGES,
    ReplyForm,
)
from ..models import Invitation, Reply
from ..services import emails, replies


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
    get Django's CSRF check unless ``csrf`` is off (the one-click unsubscribe)."""

    def decorator(view: Callable) -> Callable:
        @link_page(
            lambda token: replies.find_invitation(token=token),
            scope="reply-links",
            csrf=csrf,
            language_of=lambda invitation: invitation.invitee.language,
        )
        @wraps(view)
        def wrapped(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
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

        return wrapped

    return decorator


def typed_so_far(request: HttpRequest) -> dict:
    """What the reply form held when they pressed a language: kept as the new page's starting values."""
    return {
        name: request.POST.get(name)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "switch_language")
    }


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
    every link); the answer is a POST, for the sessions still to come (save_reply keeps the answers
    given before for sessions already over)."""
    upcoming = opened.upcoming
    switched = None
    if request.method == "POST" and "switch_language" in request.POST:
        # The language switch: the page again in their language, with what they have typed so far
        # (nothing is saved but the language, which their emails and letters use from now on).
        if replies.choose_language(invitation=opened.invitation, code=request.POST["switch_language"]):
            switched = languages.for_person(opened.invitation.invitee.language)
            languages.use(request, switched)
        form = ReplyForm(sessions=upcoming, initial=typed_so_far(request))
    elif request.method == "POST":
        form = ReplyForm(request.POST, sessions=upcoming)
        if form.is_valid():
            try:
                replies.save_reply(
                    invitation=opened.invitation, answers=form.answers(), details=form.details()
                )
            except ValidationError as error:
                form.show_errors(error)
            else:
                return redirect("invitations:reply_thanks", opened.token)
    else:
        form = ReplyForm(sessions=upcoming, reply=opened.reply, invitee=opened.invitation.invitee)
    given = opened.answers()
    response = render(
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
            "language_switch": languages.switch_choices(),
            "staff": False,
            "cancel_url": None,
            # Who to ask: their school's contact, or the programme's.
            "contact": parent_contact(
                programme=opened.programme, organisation=opened.invitation.invitee.organisation
            ),
        },
    )
    if switched:
        languages.remember(response, switched)
    return response


@token_page()
@require_safe
def reply_thanks(request: HttpRequest, opened: Opened) -> HttpResponse:
    """After answering: the answer as we have it, whether (and roughly when) an email confirms it, the
    dates for a calendar, and how to change it."""
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
            "confirmation": replies.confirmation_of(invitation=opened.invitation, reply=opened.reply),
        },
    )


@token_page()
@require_safe
def reply_calendar(request: HttpRequest, opened: Opened) -> HttpResponse:
    """An .ics file of the sessions still to come that they said yes or maybe to; all of them if none."""
    given = opened.answers()
    chosen = [s for s in opened.upcoming if given.get(s.pk) in (Answer.YES, Answer.MAYBE)]
    return file_response(
        emails.calendar_file(sessions=chosen or opened.upcoming, title=opened.programme.title),
        filename="better-together.ics",
        content_type="text/calendar; charset=utf-8",
    )


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
