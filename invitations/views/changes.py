"""Telling people about a change to a session at once, rather than after the wait (services.changes)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import object_permission_required

from ..models import SessionChange
from ..services.changes import tell_now


def change_programme(request: HttpRequest, pk: int):
    return get_object_or_404(
        SessionChange.objects.select_related("session__programme"), pk=pk
    ).session.programme


@require_POST
@object_permission_required("events.change_programme", change_programme)
def tell_change(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(SessionChange, pk=pk)
    if tell_now(change=change):
        messages.success(
            request, _("Done: the emails are on their way, and any letters are ready for schools to print.")
        )
    else:
        messages.info(
            request,
            _(
                "A reminder about this session is being sent at this moment. Your change will be told within two minutes, once it has gone."
            ),
        )
    return redirect("events:session_update", change.session_id)
