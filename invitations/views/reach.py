"""The call list: everyone on a programme's list whom nothing reached, with a phone number to ring, on
screen (printable) and as CSV. The programme's facilitators see everyone, or one school's people; a
school coordinator sees only their own school's (another school's: 403)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from core import audit
from core.downloads import csv_response
from core.permissions import object_permission_required
from events.mixins import get_programme
from events.models import Organisation, Programme

from ..rules import SchoolLetters
from ..services import invitees, letters, reach

PERMISSION = "invitations.view_not_reached"


@dataclass(frozen=True)
class Scope:
    """Whose people a page shows: one school's, or (``school`` None) the whole programme's."""

    school: Organisation | None
    schools: list[Organisation]  # the schools this user may choose between
    whole: bool  # may see the whole programme

    @property
    def query(self) -> str:
        return f"?{urlencode({'school': self.school.pk})}" if self.school else ""


def scope_of(request: HttpRequest, programme: Programme) -> Scope:
    """The school asked for (``?school=``), checked; without one, the whole programme for its
    facilitators and a coordinator's own (first) school. A school that is not a number, or none at all:
    404; a school this user may not see (not taking part, or not theirs): 403."""
    user = request.user
    whole = invitees.may_change_programme(user, programme)
    schools = letters.letter_schools(programme=programme, user=user)
    asked = request.GET.get("school", "")
    if asked:
        if not asked.isdigit():
            raise Http404
        school = Organisation.objects.filter(pk=int(asked)).first()
        if school is None:
            raise Http404
        if not user.has_perm("invitations.view_school_not_reached", SchoolLetters(programme, school)):
            raise PermissionDenied
        return Scope(school=school, schools=schools, whole=whole)
    if whole:
        return Scope(school=None, schools=schools, whole=True)
    if not schools:
        raise PermissionDenied
    return Scope(school=schools[0], schools=schools, whole=False)


@require_safe
@object_permission_required(PERMISSION, get_programme)
def not_reached(request: HttpRequest, pk: int) -> HttpResponse:
    """Who nothing has reached yet and why, with the three groups' counts at the top."""
    programme = get_programme(request, pk)
    scope = scope_of(request, programme)
    found = reach.reach(programme=programme, school=scope.school)
    if request.method == "GET":  # names and numbers to ring, on screen or printed: in the audit log
        audit.record_download(
            request=request, what=audit.Download.CALL_LIST, obj=programme, detail=_scope_detail(scope)
        )
    return render(
        request,
        "invitations/not_reached.html",
        {
            "programme": programme,
            "people": found.people,
            "groups": found.groups,
            "scope": scope,
            "csv_url": reverse("invitations:not_reached_csv", args=[programme.pk]) + scope.query,
        },
    )


def _scope_detail(scope: Scope) -> str:
    return scope.school.name if scope.school else "every school and group"


CSV_HEADER = ["name", "who they are", "organisation", "phone", "language", "interpreter", "why"]


@require_safe
@object_permission_required(PERMISSION, get_programme)
def not_reached_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The call list as a spreadsheet. No cell is ever a formula (core.csvsafe)."""
    programme = get_programme(request, pk)
    scope = scope_of(request, programme)
    rows = [
        [
            person.invitee.name,
            person.invitee.get_category_display(),
            person.organisation,
            person.phone,
            person.language,
            person.interpreter,
            "; ".join(person.reasons),
        ]
        for person in reach.not_reached(programme=programme, school=scope.school)
    ]
    if request.method != "HEAD":
        audit.record_download(
            request=request,
            what=audit.Download.CALL_LIST_CSV,
            obj=programme,
            detail=f"{_scope_detail(scope)}, {len(rows)} rows",
        )
    where = slugify(scope.school.name) if scope.school else ""
    name = "-".join(
        part for part in ("not-reached", slugify(programme.title) or str(programme.pk), where) if part
    )
    return csv_response(f"{name}.csv", CSV_HEADER, rows)
