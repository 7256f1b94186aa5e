"""One word each: the facilitator's circle page, the approval queue, the QR code for phones, the phone page,
the word clouds (session, programme, neighbourhood) and the exports."""

from __future__ import annotations

import re
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import audit
from core.downloads import csv_response, file_response
from core.pdf import qr_svg
from core.permissions import object_permission_required
from core.ratelimit import client_address
from core.tokenpages import guard_token_page, link_page, private
from core.tokens import hash_token
from events.mixins import get_programme, get_session, get_session_programme
from events.models import Neighbourhood, Programme, Session
from invitations.enums import group_label

from ..enums import WordSource, WordState
from ..forms import PhoneCodeForm, PhoneWordForm, WordForm
from ..models import MAX_WORD_LENGTH, Word
from ..services import cloud as clouds
from ..services import words as word_service

# Typing "1 hopeful", "2 hopeful" or "3 hopeful" tags the speaker's group: one key, on any keyboard
# (a tablet's on-screen keyboard has no Alt), announced in the page's help text.
GROUP_KEYS = {"1": "parents", "2": "school_staff", "3": "groups"}
_PREFIX = re.compile(r"^\s*([123])\s+(\S.*)$", re.DOTALL)
PHONE_COOKIE = "bt_phone"


def _neighbourhood(request: HttpRequest, pk: int, **kwargs) -> Neighbourhood:
    return get_object_or_404(Neighbourhood, pk=pk)


run_the_day = object_permission_required("evaluations.run_the_day", get_session_programme)
view_session_words = object_permission_required("evaluations.view_words", get_session_programme)
view_programme_words = object_permission_required("evaluations.view_words", get_programme)
run_programme = object_permission_required("evaluations.run_the_day", get_programme)


# --- The circle: the facilitator types the words ----------------------------------------------------------


def split_group(text: str) -> tuple[str, str]:
    """("1 hopeful") → ("parents", "hopeful"); text without a group key is returned untouched."""
    match = _PREFIX.match(text or "")
    if match:
        return GROUP_KEYS[match.group(1)], match.group(2)
    return "", text or ""


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _word_json(word: Word) -> dict:
    return {
        "id": word.pk,
        "said": word.said,
        "group": group_label(word.group),
        "remove_url": reverse("evaluations:word_remove", args=[word.session_id, word.pk]),
    }


def _queue_context(session: Session) -> dict:
    """The words from phones waiting for approval, oldest first, and what "approve all" would show: the
    waiting ones up to the newest listed (not those held back as maybe rude)."""
    queue = list(
        session.words.filter(state__in=[WordState.WAITING, WordState.HELD]).order_by("created_at", "pk")
    )
    waiting = [word for word in queue if word.state == WordState.WAITING]
    return {
        "queue": queue,
        "waiting_count": len(waiting),
        "held_count": len(queue) - len(waiting),
        "waiting_up_to": max((word.pk for word in waiting), default=0),
    }


def _circle_context(session: Session, form: WordForm) -> dict:
    words = list(session.words.filter(source=WordSource.TYPED).order_by("-created_at", "-pk"))
    for word in words:
        word.group_label = group_label(word.group)
    return {
        "session": session,
        "programme": session.programme,
        "form": form,
        "typed": words,
        **_queue_context(session),
        "group_keys": [(key, group_label(group)) for key, group in GROUP_KEYS.items()],
        "max_length": MAX_WORD_LENGTH,
        "poll_seconds": settings.WORDS_POLL_SECONDS,
    }


@run_the_day
@require_http_methods(["GET", "HEAD", "POST"])
def words(request: HttpRequest, pk: int) -> HttpResponse:
    """The circle page: type a word, press Enter, the next. With JS the form posts by fetch and the
    answer is JSON; without, a normal POST and a redirect back here."""
    session = get_session(request, pk)
    form = WordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group, text = split_group(form.cleaned_data["word"])
        try:
            recorded = word_service.add_word(
                session=session, text=text, group=group, source=WordSource.TYPED, by=request.user
            )
        except word_service.WordRefused as refused:
            if _wants_json(request):
                return JsonResponse({"ok": False, "error": str(refused)}, status=400)
            form.add_error("word", str(refused))
        else:
            said = word_service.display_form(recorded.word.said)
            message = _("Saved ‘%(word)s’.") % {"word": said}
            if recorded.word.group:
                message = _("Saved ‘%(word)s’ from %(group)s.") % {
                    "word": said,
                    "group": group_label(recorded.word.group).lower(),
                }
            if recorded.note:
                message = f"{recorded.note} {message}"
            if _wants_json(request):
                return JsonResponse({"ok": True, "message": message, "word": _word_json(recorded.word)})
            messages.success(request, message)
            return redirect("evaluations:words", session.pk)
    if form.errors and _wants_json(request):
        return JsonResponse({"ok": False, "error": " ".join(form.errors["word"])}, status=400)
    status = 400 if form.errors else 200
    return render(request, "evaluations/words.html", _circle_context(session, form), status=status)


@run_the_day
@require_POST
def word_remove(request: HttpRequest, pk: int, word_pk: int) -> HttpResponse:
    """Undo a word typed by mistake."""
    word = get_object_or_404(Word, pk=word_pk, session_id=pk)
    said = word.said
    word_service.remove_word(word=word)
    message = _("Removed ‘%(word)s’.") % {"word": said}
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message})
    messages.success(request, message)
    return redirect("evaluations:words", pk)


@run_the_day
@require_http_methods(["GET", "HEAD", "POST"])
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Words from phones waiting to be shown: approve or not, one by one. Held ones (on the profanity
    list) are marked "may be rude"."""
    session = get_session(request, pk)
    if request.method == "POST":
        chosen = request.POST.get("word", "")
        word = get_object_or_404(
            Word,
            pk=int(chosen) if chosen.isdigit() else 0,
            session=session,
            state__in=[WordState.WAITING, WordState.HELD],
        )
        approved = request.POST.get("decision") == "approve"
        word_service.decide_word(word=word, approve=approved)
        if approved:
            messages.success(request, _("‘%(word)s’ is on the screen now.") % {"word": word.said})
        else:
            messages.success(request, _("‘%(word)s’ will not be shown.") % {"word": word.said})
        return _back_to_queue(request, session)
    return render(
        request,
        "evaluations/words_approve.html",
        {"session": session, "programme": session.programme, **_queue_context(session)},
    )


def _back_to_queue(request: HttpRequest, session: Session) -> HttpResponse:
    back = "evaluations:words" if request.POST.get("back") == "words" else "evaluations:approve"
    return redirect(back, session.pk)


@run_the_day
@require_POST
def approve_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Show every word from phones waiting on the facilitator's page at once (up to ``up_to``, the newest it
    listed). Those held back as maybe rude stay in the queue, to be looked at one by one."""
    session = get_session(request, pk)
    up_to = request.POST.get("up_to", "")
    shown = word_service.approve_waiting(session=session, up_to=int(up_to) if up_to.isdigit() else None)
    held = session.words.filter(state=WordState.HELD).count()
    newer = session.words.filter(state=WordState.WAITING).count()
    parts = [
        ngettext("%(count)s word is on the screen now.", "%(count)s words are on the screen now.", shown)
        % {"count": shown}
    ]
    if held:
        parts.append(
            ngettext(
                "%(count)s that may be rude is still waiting for you to decide.",
                "%(count)s that may be rude are still waiting for you to decide.",
                held,
            )
            % {"count": held}
        )
    if newer:
        parts.append(
            ngettext(
                "%(count)s more came in just now and is waiting.",
                "%(count)s more came in just now and are waiting.",
                newer,
            )
            % {"count": newer}
        )
    messages.success(request, " ".join(parts))
    return _back_to_queue(request, session)


# --- Phones ----------------------------------------------------------------------------------------------


def phone_address(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("evaluations:phone_word", args=[token]))


def short_address(request: HttpRequest) -> str:
    """Where to type the code, as short as it can be written: "example.org/w"."""
    return request.get_host() + reverse("evaluations:phone_code").rstrip("/")


@run_the_day
@require_safe
def word_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code to show on the room's screen. Opening this page makes a fresh link: only its hash is
    kept, so the address exists only in this page (and on the phones that scan it). Earlier links keep
    working until the phone page closes, an hour after the session ends."""
    session = get_session(request, pk)
    address = phone_address(request, word_service.issue_word_link(session=session))
    response = render(
        request,
        "evaluations/words_qr.html",
        {
            "session": session,
            "programme": session.programme,
            "address": address,
            "qr": qr_svg(address),
            "short_address": short_address(request),
            "code": word_service.show_code(word_service.word_code(session)),
            "code_works_now": word_service.code_open_on(session, timezone.now()),
            "closed": word_service.phone_closed(session),
        },
    )
    # The page holds a working link: never cache it.
    return private(response)


# Opens the word link named by the token, or answers a plain 404. A whole room shares the venue's Wi-Fi,
# so 5 × the usual rate limit.
word_link_page = link_page(
    lambda token: word_service.find_word_link(token=token), scope="word-links", factor=5
)


def phone_page(view):
    """The pages a word link opens (core.tokenpages.link_page: rate-limited, private headers, the CSRF
    check on POSTs, an unknown token a plain 404); a session that is over (or cancelled) gets a kind 410
    page. The view is called as ``view(request, session, token)``."""

    @word_link_page
    @wraps(view)
    def wrapped(request: HttpRequest, link, token: str) -> HttpResponse:
        if word_service.phone_closed(link.session):
            return render(
                request, "evaluations/words_phone_closed.html", {"session": link.session}, status=410
            )
        return view(request, link.session, token)

    return wrapped


@phone_page
@require_http_methods(["GET", "HEAD", "POST"])
def phone_word(request: HttpRequest, session: Session, token: str) -> HttpResponse:
    """One field for one word. GET only shows it; the POST saves the word, which waits for the
    facilitator's approval. One word per phone per session, and a limit per connection
    (evaluations.services.words.add_phone_word): the page gives the phone a signed random id, in the form
    and then in a cookie; only its hash is kept with the word."""
    from_cookie = word_service.checked_phone_id(request.COOKIES.get(PHONE_COOKIE, ""))
    from_page = (
        word_service.checked_phone_id(request.POST.get("phone", "")) if request.method == "POST" else ""
    )
    phone_id = from_cookie or from_page
    given = bool(phone_id) and Word.objects.filter(session=session, phone_hash=hash_token(phone_id)).exists()
    form = PhoneWordForm(request.POST or None)
    full = ""
    if request.method == "POST" and not given and form.is_valid():
        known = bool(phone_id)
        phone_id = phone_id or word_service.new_phone_id()
        try:
            word_service.add_phone_word(
                session=session,
                text=form.cleaned_data["word"],
                phone_id=phone_id,
                known_phone=known,
                address=client_address(request),
            )
        except word_service.AlreadyGiven:
            given = True
        except word_service.TooManyWords as refused:
            full = str(refused)
        except word_service.WordRefused as refused:
            form.add_error("word", str(refused))
        else:
            response = redirect("evaluations:phone_thanks", token)
            if phone_id != from_cookie:
                response.set_cookie(
                    PHONE_COOKIE,
                    phone_id,
                    max_age=int(word_service.PHONE_ID_MAX_AGE.total_seconds()),
                    path=reverse("evaluations:phone_code"),
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
    status = 429 if full else 400 if form.errors else 200
    return render(
        request,
        "evaluations/words_phone.html",
        {
            "session": session,
            "form": form,
            "given": given,
            "full": full,
            "token": token,
            # A phone without our cookie brings this id back with its word (the same page sent twice is
            # the same phone); nothing is set on the phone until it has given its word.
            "phone_id": "" if from_cookie else from_page or word_service.new_phone_id(),
        },
        status=status,
    )


@phone_page
@require_safe
def phone_thanks(request: HttpRequest, session: Session, token: str) -> HttpResponse:
    return render(request, "evaluations/words_phone_thanks.html", {"session": session})


@require_http_methods(["GET", "HEAD", "POST"])
def _phone_code(request: HttpRequest) -> HttpResponse:
    """The short address on the room's screen, for a phone that cannot scan the QR code: type the
    session's code (evaluations.services.words.word_code) and go on to its phone page, by a fresh word
    link. A wrong code, or one whose day has not come, gets the same kind answer."""
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = word_service.find_session_by_code(code=form.cleaned_data["code"])
        if session is None:
            form.add_error(
                "code",
                _("That number doesn’t match a workshop today. Please check it on the screen and try again."),
            )
        elif word_service.phone_closed(session):
            return render(request, "evaluations/words_phone_closed.html", {"session": session}, status=410)
        else:
            return redirect("evaluations:phone_word", word_service.issue_word_link(session=session))
    return render(request, "evaluations/words_code.html", {"form": form}, status=400 if form.errors else 200)


# Rate-limited per client address like the word links, at twice the usual limit: a room on one Wi-Fi
# shares an address (why that is few enough tries for a code: evaluations.services.words, CODE_DIGITS).
phone_code = guard_token_page(_phone_code, scope="word-codes", factor=2)


# --- Clouds ----------------------------------------------------------------------------------------------


def _cloud_context(counts, *, title: str) -> dict:
    return {
        "counts": counts,
        "svg": clouds.cloud_svg(counts, title=title),
        "total": sum(c.count for c in counts),
    }


def session_title(session: Session) -> str:
    return _("Words from %(session)s") % {"session": session}


@view_session_words
@require_safe
def cloud(request: HttpRequest, pk: int) -> HttpResponse:
    """The shared screen: the cloud, with the same words and counts in a table. JS refreshes it every few
    seconds (with a pause button) from ``cloud_partial``."""
    session = get_session(request, pk)
    title = session_title(session)
    counts = word_service.count_words(sessions=[session])
    return render(
        request,
        "evaluations/words_cloud.html",
        {
            "session": session,
            "programme": session.programme,
            "title": title,
            **_cloud_context(counts, title=title),
            "can_run": request.user.has_perm("evaluations.run_the_day", session.programme),
            "poll_seconds": settings.WORDS_POLL_SECONDS,
        },
    )


@view_session_words
@require_safe
def cloud_partial(request: HttpRequest, pk: int) -> HttpResponse:
    """Just the cloud and its table, for the room screen's refresh."""
    session = get_session(request, pk)
    title = session_title(session)
    counts = word_service.count_words(sessions=[session])
    return render(
        request, "evaluations/_words_cloud.html", {"title": title, **_cloud_context(counts, title=title)}
    )


def _png(counts, *, title: str, name: str) -> HttpResponse:
    return file_response(
        clouds.cloud_png(counts, title=title), filename=f"{name}.png", content_type="image/png"
    )


@view_session_words
@require_safe
def cloud_png(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session(request, pk)
    counts = word_service.count_words(sessions=[session])
    return _png(counts, title=session_title(session), name=f"words-session-{session.order}")


def programme_sessions(programme: Programme) -> list[Session]:
    return list(programme.sessions.order_by("order", "date"))


def word_changes(*, first: list, last: list) -> tuple[list, list]:
    """Words said in the last half-day but not the all-day, and words of the all-day no longer said."""
    before = {wc.key for wc in first}
    after = {wc.key for wc in last}
    return [wc for wc in last if wc.key not in before], [wc for wc in first if wc.key not in after]


@view_programme_words
@require_safe
def programme_words(request: HttpRequest, pk: int) -> HttpResponse:
    """Every session's words together, and how they changed from the all-day to the last half-day (of
    those that have taken place and have words)."""
    programme = get_programme(request, pk)
    sessions = [s for s in programme_sessions(programme) if not s.is_cancelled]
    title = _("Words from %(title)s") % {"title": programme.title}
    # One query for every session's shown words; counted together and, for the comparison, apart.
    rows = list(
        Word.objects.shown()
        .filter(session__in=sessions)
        .order_by("created_at", "pk")
        .values_list("session_id", "normalised", "said")
    )
    counts = word_service.tally((n, said) for _sid, n, said in rows)
    all_day, last, half_day_happened = word_service.sessions_to_compare(
        sessions=sessions, with_words={sid for sid, _n, _said in rows}, now=timezone.now()
    )
    context = {
        "programme": programme,
        "title": title,
        **_cloud_context(counts, title=title),
        "can_run": request.user.has_perm("evaluations.run_the_day", programme),
        "all_day": all_day,
        "last": last,
        "half_day_happened": half_day_happened,
    }
    if all_day and last:
        first = word_service.tally((n, said) for sid, n, said in rows if sid == all_day.pk)
        then = word_service.tally((n, said) for sid, n, said in rows if sid == last.pk)
        new, gone = word_changes(first=first, last=then)
        first_title = session_title(all_day)
        last_title = session_title(last)
        context.update(
            first=first,
            then=then,
            first_title=first_title,
            last_title=last_title,
            first_svg=clouds.cloud_svg(first, title=first_title),
            then_svg=clouds.cloud_svg(then, title=last_title),
            new=new,
            gone=gone,
        )
    return render(request, "evaluations/words_programme.html", context)


@view_programme_words
@require_safe
def programme_cloud_png(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme(request, pk)
    sessions = [s for s in programme_sessions(programme) if not s.is_cancelled]
    counts = word_service.count_words(sessions=sessions)
    title = _("Words from %(title)s") % {"title": programme.title}
    return _png(counts, title=title, name=f"words-{slugify(programme.title)[:40] or programme.pk}")


@run_programme
@require_safe
def words_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Every word of the programme, shown or not, as said and as counted."""
    programme = get_programme(request, pk)
    rows = (
        Word.objects.filter(session__programme=programme)
        .select_related("session")
        .order_by("session__order", "created_at", "pk")
    )
    header = [
        _("Session"),
        _("Word as said"),
        _("Counted as"),
        _("Group"),
        _("How given"),
        _("Shown"),
        _("Time"),
    ]
    body = (
        [
            str(word.session),
            word.said,
            word.normalised,
            group_label(word.group),
            word.get_source_display(),
            word.get_state_display(),
            timezone.localtime(word.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for word in rows
    )
    if request.method != "HEAD":
        audit.record_download(request=request, what=audit.Download.WORDS_CSV, obj=programme)
    return csv_response(f"words-{slugify(programme.title)[:40]}.csv", header, body)


@object_permission_required("events.view_neighbourhood", _neighbourhood)
@require_safe
def neighbourhood_words(request: HttpRequest, pk: int) -> HttpResponse:
    """Every programme's words in the neighbourhood, counted together."""
    neighbourhood = _neighbourhood(request, pk)
    sessions = Session.objects.filter(programme__neighbourhood=neighbourhood, cancelled_at__isnull=True)
    title = _("Words from %(name)s") % {"name": neighbourhood.name}
    counts = word_service.count_words(sessions=sessions)
    programmes = (
        Programme.objects.filter(neighbourhood=neighbourhood)
        .annotate(words=Count("sessions__words", filter=Q(sessions__words__state=WordState.SHOWN)))
        .order_by("-pk")
    )
    return render(
        request,
        "evaluations/words_neighbourhood.html",
        {
            "neighbourhood": neighbourhood,
            "title": title,
            "programmes": programmes,
            **_cloud_context(counts, title=title),
        },
    )
