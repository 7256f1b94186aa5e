"""Printed letters: a school coordinator (or the facilitator) makes a school's letters, watches them being
made and downloads the PDF; one person's letter can be downloaded on its own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from bettertogether.permissions import object_permission_required
from events.models import Organisation, Programme

from ..enums import Channel, LetterState, MessageKind
from ..models import Invitation, LetterBatch
from ..services import letters

PERMISSION = "invitations.add_invitation"


def _programme(request: HttpRequest, pk: int, **kwargs) -> Programme:
    return get_object_or_404(Programme.objects.select_related("neighbourhood"), pk=pk)


def _school_for(request: HttpRequest, programme: Programme, school_pk: int) -> Organisation:
    school = next(
        (s for s in letters.letter_schools(programme=programme, user=request.user) if s.pk == school_pk), None
    )
    if school is None:
        raise PermissionDenied
    return school


def _batch_for(request: HttpRequest, programme: Programme, batch_pk: int) -> LetterBatch:
    batch = get_object_or_404(
        LetterBatch.objects.select_related("school", "session"), pk=batch_pk, programme=programme
    )
    if not letters.may_print_for(user=request.user, programme=programme, school=batch.school):
        raise PermissionDenied
    return batch


@require_http_methods(["GET", "HEAD", "POST"])
@object_permission_required(PERMISSION, _programme)
def letters_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Each school this user prints for, how many letters it needs, and a button to make them."""
    programme = _programme(request, pk)
    schools = letters.letter_schools(programme=programme, user=request.user)
    sessions = list(programme.sessions.upcoming())
    if request.method == "POST":
        try:
            school = _school_for(request, programme, int(request.POST.get("school", "0")))
        except ValueError as error:
            raise Http404 from error
        kind, session = MessageKind.INVITATION, None
        choice = request.POST.get("letter", "invitation")
        if choice.startswith("reminder-"):
            kind = MessageKind.REMINDER
            session = next((s for s in sessions if str(s.pk) == choice.removeprefix("reminder-")), None)
            if session is None:
                messages.error(request, _("That session has already happened or was cancelled."))
                return redirect("invitations:letters", pk)
        try:
            batch = letters.request_letters(
                programme=programme, school=school, kind=kind, session=session, user=request.user
            )
        except letters.NoLetterInvitees as error:
            messages.warning(request, str(error))
            return redirect("invitations:letters", pk)
        return redirect("invitations:letter_batch", pk, batch.pk)

    people = {school.pk: [] for school in schools}
    for invitation in (
        programme.invitations.filter(
            invitee__organisation__in=schools, invitee__channel=Channel.LETTER, opted_out_at__isnull=True
        )
        .select_related("invitee")
        .order_by("invitee__name", "pk")
    ):
        people[invitation.invitee.organisation_id].append(invitation)
    rows = [{"school": school, "people": people[school.pk]} for school in schools]
    return render(
        request,
        "invitations/letters.html",
        {"programme": programme, "rows": rows, "sessions": sessions},
    )


@require_safe
@object_permission_required(PERMISSION, _programme)
def letter_batch(request: HttpRequest, pk: int, batch_pk: int) -> HttpResponse:
    """How a batch is getting on: refreshes itself every two seconds (no JavaScript) until it is ready."""
    programme = _programme(request, pk)
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
        },
    )


@require_safe
@object_permission_required(PERMISSION, _programme)
def letter_download(request: HttpRequest, pk: int, batch_pk: int) -> FileResponse:
    programme = _programme(request, pk)
    batch = _batch_for(request, programme, batch_pk)
    if batch.state != LetterState.READY or not batch.file:
        raise Http404
    name = f"letters-{slugify(batch.school.name) or 'school'}-{batch.get_kind_display()}.pdf"
    response = FileResponse(batch.file.open("rb"), as_attachment=True, filename=slugify(name[:-4]) + ".pdf")
    response["Content-Type"] = "application/pdf"
    return response


@require_safe
@object_permission_required(PERMISSION, _programme)
def letter_one(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """One person's letter, made now: for a lost letter, or someone added after the school's batch."""
    programme = _programme(request, pk)
    invitation = get_object_or_404(
        Invitation.objects.select_related("invitee__organisation", "programme"),
        pk=invitation_pk,
        programme=programme,
    )
    school = invitation.invitee.organisation
    if school is None or not school.is_school:
        raise Http404
    if not letters.may_print_for(user=request.user, programme=programme, school=school):
        raise PermissionDenied
    pdf = letters.one_letter_pdf(invitation=invitation)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"letter-{slugify(invitation.invitee.name) or invitation.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
