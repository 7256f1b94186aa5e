"""The event record: the record of a session or a whole programme on screen, a button that makes its PDF,
a page that watches it being made, and the download. The whole team may use them (records.view_record on
the programme)."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from core import audit
from core.downloads import file_response
from core.permissions import object_permission_required
from events.models import Programme, Session

from . import services
from .enums import RecordState
from .models import EventRecord

PERMISSION = "records.view_record"


def _session(request: HttpRequest, pk: int) -> Session:
    return get_object_or_404(Session.objects.select_related("programme__neighbourhood", "venue"), pk=pk)


def _session_programme(request: HttpRequest, pk: int) -> Programme:
    return _session(request, pk).programme


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(Programme.objects.select_related("neighbourhood"), pk=pk)


def _event_record(pk: int) -> EventRecord:
    return get_object_or_404(
        EventRecord.objects.select_related("programme__neighbourhood", "session", "session__venue"), pk=pk
    )


def _record_programme(request: HttpRequest, pk: int) -> Programme:
    return _event_record(pk).programme


def _record_page(request: HttpRequest, *, programme: Programme, session: Session | None) -> HttpResponse:
    record = services.record_for(programme=programme, session=session)
    newest = services.newest_record(programme=programme, session=session)
    return render(
        request,
        "records/record.html",
        {
            "record": record,
            "programme": record.programme,
            "session": session,
            "newest": newest,
            "up_to_date": newest is not None and newest.fingerprint == record.fingerprint,
        },
    )


@require_safe
@object_permission_required(PERMISSION, _session_programme)
def session_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The record of one session on screen, with the button that makes its PDF."""
    session = _session(request, pk)
    return _record_page(request, programme=session.programme, session=session)


@require_safe
@object_permission_required(PERMISSION, _programme)
def programme_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The record of the whole programme on screen, with the button that makes its PDF."""
    return _record_page(request, programme=_programme(request, pk), session=None)


@require_POST
@object_permission_required(PERMISSION, _session_programme)
def request_session_record(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    record = services.request_record(programme=session.programme, session=session, user=request.user)
    return redirect("records:record_status", record.pk)


@require_POST
@object_permission_required(PERMISSION, _programme)
def request_programme_record(request: HttpRequest, pk: int) -> HttpResponse:
    record = services.request_record(programme=_programme(request, pk), user=request.user)
    return redirect("records:record_status", record.pk)


@require_safe
@object_permission_required(PERMISSION, _record_programme)
def record_status(request: HttpRequest, pk: int) -> HttpResponse:
    """How a PDF is getting on: refreshes itself every two seconds (no JavaScript) until it is made."""
    record = _event_record(pk)
    return render(
        request,
        "records/record_status.html",
        {
            "event_record": record,
            "programme": record.programme,
            "session": record.session,
            "waiting": record.is_waiting,
            "ready": record.state == RecordState.READY,
        },
    )


@require_safe
@object_permission_required(PERMISSION, _record_programme)
def record_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    record = _event_record(pk)
    if record.state != RecordState.READY or not record.file:
        raise Http404
    try:
        handle = record.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = file_response(
        handle, filename=services.file_name(record=record), content_type="application/pdf"
    )
    # The team's record names people (who leads what): not for shared caches, nor kept by the browser.
    response["Cache-Control"] = "private, no-store"
    if request.method != "HEAD":
        audit.record_download(request=request, what=audit.Download.EVENT_RECORD, obj=record)
    return response
