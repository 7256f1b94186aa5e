"""On the day: signing people in on a tablet (or on paper, typed in afterwards), and who came.

Signing in is the programme's facilitators' work (evaluations.run_the_day); who came, person by person,
is theirs to see (evaluations.view_attendance)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from core import audit
from core.downloads import csv_response, file_response
from core.pdf import render_pdf
from core.permissions import object_permission_required
from events.mixins import ProgrammeMixin, SessionMixin, get_programme, get_session, get_session_programme
from events.models import Session
from invitations.models import Invitation

from ..enums import SigninState
from ..forms import PaperSheetForm, PaperWalkInFormSet, WalkInForm
from ..services import attendance
from ..services.attendance import PaperRowErrors

# Blank rows on the printed sheet for people who walk in.
BLANK_ROWS = 12
MAX_QUERY_LENGTH = 100


def _query(request: HttpRequest) -> str:
    return (request.GET.get("q") or request.POST.get("q") or "").strip()[:MAX_QUERY_LENGTH]


def _signin_url(session: Session, query: str = "", anchor: str = "") -> str:
    url = reverse("evaluations:signin", args=[session.pk])
    if query:
        url += "?" + urlencode({"q": query})
    return url + (f"#{anchor}" if anchor else "")


class SigninView(SessionMixin, TemplateView):
    """The tablet page: find a name, tap to mark them arrived, add someone who walked in. On the session's
    day only: before it the page says when it opens, after it points to the paper sheet."""

    permission_required = "evaluations.run_the_day"
    template_name = "evaluations/signin.html"

    def get_context_data(self, **kwargs):
        query = _query(self.request)
        state = attendance.signin_state(session=self.session)
        context = {"state": state, "query": query}
        if state == SigninState.OPEN:
            context.update(
                listing=attendance.signin_list(session=self.session, query=query),
                walk_in_form=kwargs.pop("walk_in_form", None) or WalkInForm(session=self.session),
            )
        return super().get_context_data(**context, **kwargs)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _person_changed(
    request: HttpRequest,
    session: Session,
    invitation: Invitation,
    message: str,
    *,
    ok: bool,
    next_person: bool = False,
):
    """The answer to a tap: JSON with the row and the counts re-drawn (for signin.js), or back to the page.
    ``next_person`` (someone has just been signed in): back to the whole list with the search box empty,
    ready for the next name; otherwise (an undo, a refusal) with the search kept, at their row."""
    query = _query(request)
    if _wants_json(request):
        listing = attendance.signin_list(session=session)
        person = next(
            (p for p in listing.people + listing.cant_come if p.invitation.pk == invitation.pk), None
        )
        context = {"session": session, "listing": listing, "person": person, "query": query}
        return JsonResponse(
            {
                "ok": ok,
                "message": message,
                "row": render_to_string("evaluations/signin_person.html", context, request=request),
                "counts": render_to_string("evaluations/signin_counts.html", context, request=request),
            },
            status=200 if ok else 400,
        )
    (messages.success if ok else messages.error)(request, message)
    if next_person:
        return redirect(_signin_url(session))
    return redirect(_signin_url(session, query, f"person-{invitation.pk}"))


def _invitation_of(session: Session, invitation_pk: int) -> Invitation:
    # Someone on another programme's list is "not found" here: nothing is recorded for them.
    return get_object_or_404(
        Invitation.objects.select_related("invitee"), pk=invitation_pk, programme_id=session.programme_id
    )


@require_POST
@object_permission_required("evaluations.run_the_day", get_session_programme)
def arrive(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    session = get_session(request, pk)
    invitation = _invitation_of(session, invitation_pk)
    try:
        attendance.mark_arrived(session=session, invitation=invitation, by=request.user)
    except ValidationError as error:
        return _person_changed(request, session, invitation, " ".join(error.messages), ok=False)
    message = _("%(name)s is signed in.") % {"name": invitation.invitee.name}
    return _person_changed(request, session, invitation, message, ok=True, next_person=True)


@require_POST
@object_permission_required("evaluations.run_the_day", get_session_programme)
def unarrive(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    session = get_session(request, pk)
    invitation = _invitation_of(session, invitation_pk)
    attendance.unmark_arrived(session=session, invitation=invitation, by=request.user)
    message = _("%(name)s is no longer signed in.") % {"name": invitation.invitee.name}
    return _person_changed(request, session, invitation, message, ok=True)


class WalkInView(SessionMixin, FormView):
    """Someone not on the list: added to it and signed in. The form is also on the sign-in page; this page
    shows it again with the reasons beside the fields when something needs a look.

    When the name is someone's the neighbourhood knows, the page asks first ("Is this Grace Obi from
    Millbrook Primary?", services.attendance.walk_in_matches), with the details kept in the form:
    "Yes, sign them in" posts ``person`` (that person's id: sign_in_known_person), "No, someone else"
    posts ``person=new`` (add_walk_in, as when nobody matches)."""

    permission_required = "evaluations.run_the_day"
    template_name = "evaluations/signin_walk_in.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "session": self.session}

    def get_form_class(self):
        return WalkInForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(state=attendance.signin_state(session=self.session), **kwargs)

    def form_valid(self, form):
        person = self.request.POST.get("person", "")
        details = form.cleaned_data
        try:
            if person.isdigit() and len(person) < 19:
                invitation = attendance.sign_in_known_person(
                    session=self.session, invitee_id=int(person), name=details["name"], by=self.request.user
                )
                done = _("%(name)s is signed in.")
            else:
                # Asked only while signing in is open: outside the session's day add_walk_in says why not.
                open_now = attendance.signin_state(session=self.session) == SigninState.OPEN
                if person != "new" and open_now:
                    matches = attendance.walk_in_matches(session=self.session, **details)
                    if matches:
                        return self.render_to_response(self.get_context_data(form=form, matches=matches))
                invitation = attendance.add_walk_in(session=self.session, by=self.request.user, **details)
                done = _("%(name)s is on the list and signed in.")
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, done % {"name": invitation.invitee.name})
        return redirect(_signin_url(self.session, anchor=f"person-{invitation.pk}"))


@object_permission_required("evaluations.run_the_day", get_session_programme)
def signin_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sign-in sheet. One session's list (a few dozen people, a couple of hundred at most)
    renders in well under a second, so it is made in the request rather than in a task."""
    session = get_session(request, pk)
    listing = attendance.signin_list(session=session)
    people = sorted(listing.people + listing.cant_come, key=lambda p: (p.name.casefold(), p.invitation.pk))
    groups = [
        {"label": group.label, "people": [p for p in people if p.group == group.key]}
        for group in listing.groups
    ]
    html = render_to_string(
        "evaluations/pdf/signin_sheet.html",
        {
            "session": session,
            "programme": session.programme,
            "groups": [group for group in groups if group["people"]],
            "blank_rows": range(BLANK_ROWS),
        },
        request=request,
    )
    name = slugify(f"sign-in {session.programme.title} {session.date:%Y-%m-%d}") or "sign-in"
    response = file_response(
        render_pdf(html), filename=f"{name}.pdf", content_type="application/pdf", inline=True
    )
    response["Cache-Control"] = "no-store"
    if request.method != "HEAD":
        audit.record_download(
            request=request, what=audit.Download.SIGN_IN_SHEET, obj=session, detail=f"{len(people)} people"
        )
    return response


class PaperSheetView(SessionMixin, TemplateView):
    """A paper sign-in sheet typed in afterwards: a tick for each person, and rows for those who wrote
    themselves in. Saved all at once, or not at all when a row needs a look."""

    permission_required = "evaluations.run_the_day"
    template_name = "evaluations/signin_paper.html"

    @cached_property
    def people(self):
        listing = attendance.signin_list(session=self.session)
        return sorted(listing.people + listing.cant_come, key=lambda p: (p.name.casefold(), p.invitation.pk))

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            ids = [person.invitation.pk for person in self.people]
            kwargs["form"] = PaperSheetForm(
                people=self.people,
                initial={"present": [p.invitation.pk for p in self.people if p.arrived], "shown": ids},
            )
            kwargs["formset"] = PaperWalkInFormSet(session=self.session, prefix="new")
        ticked = {str(pk) for pk in kwargs["form"]["present"].value() or []}
        return super().get_context_data(
            rows=[(person, str(person.invitation.pk) in ticked) for person in self.people],
            state=attendance.signin_state(session=self.session),
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = PaperSheetForm(request.POST, people=self.people)
        formset = PaperWalkInFormSet(request.POST, session=self.session, prefix="new")
        if self.session.is_cancelled:
            messages.error(request, _("This session was cancelled, so nobody can be signed in to it."))
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        try:
            with transaction.atomic():
                result = attendance.enter_paper_sheet(
                    session=self.session,
                    present=set(form.cleaned_data["present"]),
                    shown=set(form.cleaned_data["shown"]),
                    walk_ins=formset.filled(),
                    by=request.user,
                )
        except PaperRowErrors as error:
            filled = [f for f in formset.forms if f.has_changed()]
            for index, row_error in error.rows.items():
                filled[index].add_error(None, row_error.messages)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        # Arrivals from paper are made together (bulk_create, which auditlog cannot see): one entry says
        # who typed the sheet in and what it did (those taken off are logged one by one already).
        audit.record_bulk_change(
            request=request,
            obj=self.session,
            what="attendance from a paper sheet",
            detail=f"{result.marked} signed in, {result.unmarked} taken off, {result.walk_ins} new to the list",
        )
        messages.success(
            request,
            _(
                "The paper sheet is saved: %(marked)s more signed in, %(unmarked)s taken off, "
                "%(walk_ins)s new to the list."
            )
            % {"marked": result.marked, "unmarked": result.unmarked, "walk_ins": result.walk_ins},
        )
        return redirect("evaluations:who_came", pk=self.session.pk)


class WhoCameView(SessionMixin, TemplateView):
    """One session: the numbers by group against the even split, and who came."""

    permission_required = "evaluations.view_attendance"
    template_name = "evaluations/who_came.html"

    def get_context_data(self, **kwargs):
        came = list(
            self.session.attendances.select_related("invitation__invitee__organisation").order_by(
                "invitation__invitee__name", "pk"
            )
        )
        return super().get_context_data(
            numbers=attendance.session_numbers(session=self.session),
            came=came,
            can_run=self.request.user.has_perm("evaluations.run_the_day", self.session.programme),
            **kwargs,
        )


class ProgrammeAttendanceView(ProgrammeMixin, TemplateView):
    """Across the series: sessions by groups, and who came to the all-day but not back since."""

    permission_required = "evaluations.view_attendance"
    template_name = "evaluations/programme_attendance.html"

    def get_context_data(self, **kwargs):
        programme = self.programme
        not_back = attendance.not_back_since_all_day(programme=programme)
        all_day = attendance.all_day_session(programme)
        return super().get_context_data(
            programme=programme,
            numbers=attendance.programme_numbers(programme=programme),
            not_back=not_back,
            all_day=all_day,
            half_days_since=attendance.half_days_since(programme, all_day) if all_day else [],
            **kwargs,
        )


@object_permission_required("evaluations.view_attendance", get_programme)
def attendance_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """Who came, one row per person per session, as CSV (never formulas)."""
    programme = get_programme(request, pk)
    header = [_("Name"), _("Group"), _("Organisation"), _("Session"), _("How recorded"), _("Time")]
    name = slugify(f"who came {programme.title}") or "who-came"
    rows = attendance.attendance_rows(programme=programme)
    if request.method != "HEAD":
        audit.record_download(
            request=request, what=audit.Download.ATTENDANCE_CSV, obj=programme, detail=f"{len(rows)} rows"
        )
    return csv_response(f"{name}.csv", header, rows)
