"""Printed letters: a school coordinator (or the facilitator) makes a school's letters, watches them being
made and downloads the PDF; one person's letter can be downloaded on its own. Letters about a change to a
session are listed for each school while some are still to print. Downloading letters marks them printed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from core import audit
from core.downloads import file_response
from core.permissions import object_permission_required
from events.mixins import get_programme
from events.models import Organisation, Programme

from ..enums import Channel, LetterState
from ..forms import LetterRequestForm
from ..models import Invitation, LetterBatch
from ..rules import SchoolLetters
from ..services import letters

PERMISSION = "invitations.add_invitation"


def _check_prints_for(request: HttpRequest, programme: Programme, school: Organisation) -> None:
    if not request.user.has_perm("invitations.print_letters", SchoolLetters(programme, school)):
        raise PermissionDenied


def _batch_for(request: HttpRequest, programme: Programme, batch_pk: int) -> LetterBatch:
    batch = get_object_or_404(
        LetterBatch.objects.select_related("school", "session", "change__session"),
        pk=batch_pk,
        programme=programme,
    )
    _check_prints_for(request, programme, batch.school)
    return batch


@require_http_methods(["GET", "HEAD", "POST"])
@object_permission_required(PERMISSION, get_programme)
def letters_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Each school this user prints for, how many letters it needs, and a button to make them; and the
    letters about changes to sessions that it still has to print, each with its own button."""
    programme = get_programme(request, pk)
    sessions = list(programme.sessions.upcoming())
    if request.method == "POST":
        form = LetterRequestForm(
            request.POST,
            programme=programme,
            sessions=sessions,
            changes=letters.letter_changes(programme=programme),
        )
        valid = form.is_valid()
        school = form.cleaned_data.get("school")
        if school is None:  # not a school of this programme: the form was not ours
            raise Http404
        _check_prints_for(request, programme, school)
        if not valid:
            for error in form.errors["letter"]:
                messages.error(request, error)
            return redirect("invitations:letters", pk)
        try:
            batch = letters.request_letters(
                programme=programme,
                school=school,
                kind=form.kind(),
                session=form.session(),
                change=form.change(),
                user=request.user,
                bilingual=form.cleaned_data["bilingual"],
            )
        except letters.NoLetterInvitees as error:
            messages.warning(request, str(error))
            return redirect("invitations:letters", pk)
        return redirect("invitations:letter_batch", pk, batch.pk)

    schools = letters.letter_schools(programme=programme, user=request.user)
    people = {school.pk: [] for school in schools}
    for invitation in (
        programme.invitations.filter(
            invitee__organisation__in=schools,
            invitee__channel=Channel.LETTER,
            opted_out_at__isnull=True,
            removed_at__isnull=True,
        )
        .select_related("invitee")
        .order_by("invitee__name", "pk")
    ):
        people[invitation.invitee.organisation_id].append(invitation)
    changes = letters.change_letters(programme=programme, schools=schools)
    rows = [
        {"school": school, "people": people[school.pk], "changes": changes[school.pk]} for school in schools
    ]
    return render(
        request,
        "invitations/letters.html",
        {"programme": programme, "rows": rows, "sessions": sessions},
    )


@require_safe
@object_permission_required(PERMISSION, get_programme)
def letter_batch(request: HttpRequest, pk: int, batch_pk: int) -> HttpResponse:
    """How a batch is getting on: refreshes itself every two seconds (no JavaScript) until it is ready."""
    programme = get_programme(request, pk)
    batch = _batch_for(request, programme, batch_pk)
    waiting = batch.state in (LetterState.QUEUED, LetterState.RENDERING)
    return render(
        request,
        "invitations/letters_batch.html",
        {
            "programme": programme,
            "batch": batch,
            "waiting": waiting,
            "ready": batch.state == LetterState.READY,
            "headline": letters.change_headline(change=batch.change) if batch.change else "",
        },
    )


@require_safe
@object_permission_required(PERMISSION, get_programme)
def letter_download(request: HttpRequest, pk: int, batch_pk: int) -> FileResponse:
    """The batch's PDF. Downloading it marks its letters printed (not a HEAD request, which fetches
    nothing); downloading them again changes nothing."""
    programme = get_programme(request, pk)
    batch = _batch_for(request, programme, batch_pk)
    if batch.state != LetterState.READY or not batch.file:
        raise Http404
    handle = batch.file.open("rb")
    if request.method == "GET":
        letters.mark_printed(batch=batch)
        audit.record_download(
            request=request,
            what=audit.Download.LETTERS,
            obj=batch,
            detail=f"{batch.school.name}, {batch.get_kind_display()}, {batch.pages_total} pages",
        )
    name = slugify(f"letters-{slugify(batch.school.name) or 'school'}-{batch.get_kind_display()}")
    return file_response(handle, filename=f"{name}.pdf", content_type="application/pdf")


@require_safe
@object_permission_required(PERMISSION, get_programme)
def letter_one(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """One person's letter, made now: for a lost letter, or someone added after the school's batch.
    Downloading it (not a HEAD request) marks their invitation letter printed."""
    programme = get_programme(request, pk)
    invitation = get_object_or_404(
        Invitation.objects.select_related("invitee__organisation", "programme"),
        pk=invitation_pk,
        programme=programme,
        removed_at__isnull=True,  # off the list (services.people): no letter
    )
    school = invitation.invitee.organisation
    if school is None or not school.is_school:
        raise Http404
    _check_prints_for(request, programme, school)
    pdf = letters.one_letter_pdf(invitation=invitation)
    if request.method == "GET":
        letters.mark_one_printed(invitation=invitation)
        audit.record_download(request=request, what=audit.Download.LETTER, obj=invitation, detail=school.name)
    return file_response(
        pdf,
        filename=f"letter-{slugify(invitation.invitee.name) or invitation.pk}.pdf",
        content_type="application/pdf",
    )
