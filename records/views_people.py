"""One person's data (services/people.py): find them by name, email or phone across every programme, see
and download all we hold about them (PDF, JSON), and erase them. Administrators for anyone, facilitators
for their neighbourhoods' people, coordinators for their own school's people (records.rules); another
school's person: 403. Every download is in the audit log (core.audit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core import audit
from core.downloads import file_response
from core.permissions import object_permission_required
from invitations.models import Invitee

from .services import people


def _person(request: HttpRequest, pk: int) -> Invitee:
    return get_object_or_404(Invitee.objects.select_related("neighbourhood", "organisation"), pk=pk)


@require_safe
@login_required
@permission_required("records.find_people", raise_exception=True)
def find_people(request: HttpRequest) -> HttpResponse:
    """The search: ``?q=`` a name, an email address or a phone number."""
    search = people.find_people(user=request.user, text=request.GET.get("q", ""))
    return render(request, "records/people_search.html", {"search": search})


@require_safe
@object_permission_required("records.access_person", _person)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """All we hold about one person, on screen, with the downloads and the erasure."""
    invitee = _person(request, pk)
    return render(
        request,
        "records/person.html",
        {
            "invitee": invitee,
            "data": people.subject_access(invitee=invitee),
            "back": request.GET.get("q", ""),
        },
    )


def _download(
    request: HttpRequest, invitee: Invitee, *, content: bytes | str, extension: str, kind: str
) -> HttpResponse:
    response = file_response(
        content,
        filename=people.export_file_name(invitee=invitee, extension=extension),
        content_type="application/pdf" if extension == "pdf" else "application/json; charset=utf-8",
    )
    patch_cache_control(response, private=True, no_store=True)
    if request.method != "HEAD":
        audit.record_download(request=request, what=audit.Download.SUBJECT_ACCESS, obj=invitee, detail=kind)
    return response  # type: ignore[return-value]


@require_safe
@object_permission_required("records.access_person", _person)
def person_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invitee = _person(request, pk)
    return _download(
        request,
        invitee,
        content=people.render_subject_access_pdf(invitee=invitee),
        extension="pdf",
        kind="PDF",
    )


@require_safe
@object_permission_required("records.access_person", _person)
def person_json(request: HttpRequest, pk: int) -> HttpResponse:
    invitee = _person(request, pk)
    return _download(
        request, invitee, content=people.subject_access_json(invitee=invitee), extension="json", kind="JSON"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@object_permission_required("records.erase_person", _person)
def erase_person(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation page (GET), and the erasure (POST)."""
    invitee = _person(request, pk)
    if request.method == "POST":
        if people.erase_person(invitee=invitee, by=request.user):
            audit.record_bulk_change(
                request=request,
                obj=Invitee.objects.get(pk=invitee.pk),
                what="erased",
                detail="personal details deleted",
            )
            messages.success(
                request,
                _(
                    "Their details and needs have been deleted. What they answered and whether they came "
                    "stay in the counts, without their name."
                ),
            )
        else:
            messages.info(request, _("Their details had been deleted already."))
        return redirect(reverse("records:person", args=[invitee.pk]))
    return render(
        request,
        "records/person_erase.html",
        {"invitee": invitee, "data": people.subject_access(invitee=invitee)},
    )
