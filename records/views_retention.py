"""A programme's personal data deleted now, rather than on its retention dates (services/retention.py):
a confirmation page saying what goes and what stays, and the POST that deletes. The programme's
facilitators (records.delete_programme_data), once every session has been held."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core import audit
from core.permissions import object_permission_required
from events.mixins import get_programme

from .services import retention


@require_http_methods(["GET", "HEAD", "POST"])
@object_permission_required("records.delete_programme_data", get_programme)
def delete_programme_data(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme(request, pk)
    if request.method == "POST":
        try:
            run = retention.delete_personal_data_now(programme=programme, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("records:delete_programme_data", programme.pk)
        audit.record_bulk_change(
            request=request,
            obj=programme,
            what="personal data",
            detail=f"deleted now: needs, {run.people} people's contact details, {run.letters} letters, "
            f"{run.records} record PDFs",
        )
        messages.success(
            request,
            ngettext(
                "The programme's personal data has been deleted: its needs, its letters and the contact "
                "details of %(count)d person.",
                "The programme's personal data has been deleted: its needs, its letters and the contact "
                "details of %(count)d people.",
                run.people,
            )
            % {"count": run.people},
        )
        return redirect(programme)
    return render(
        request,
        "records/programme_data_delete.html",
        {"programme": programme, "plan": retention.plan_for(programme=programme)},
    )
