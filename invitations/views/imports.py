"""Importing a list of people from a CSV file: upload, a preview of every row (nothing saved), confirm."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView

from core.csvsafe import csv_text
from core.downloads import csv_text_response
from core.permissions import object_permission_required
from events.enums import OrganisationKind
from events.mixins import get_programme
from events.models import Programme

from ..forms import ConfirmImportForm, UploadForm
from ..services import csv_import, invitees
from .lists import InvitationsMixin


class ImportView(InvitationsMixin, FormView):
    """Upload → a preview of every row (nothing saved) → confirm, which checks the file again and adds
    the rows marked "will add" in one transaction."""

    permission_required = "invitations.add_invitation"
    form_class = UploadForm
    template_name = "invitations/import.html"

    def get_context_data(self, **kwargs):
        scope = invitees.scope_for(user=self.request.user, programme=self.programme)
        organisations = (
            self.programme.neighbourhood.organisations.all() if scope.runs else list(scope.schools)
        )
        return super().get_context_data(
            organisations=organisations,
            runs=scope.runs,
            example=example_csv(programme=self.programme, scope=scope).lstrip("\ufeff"),
            max_rows=csv_import.MAX_ROWS,
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "text" in request.POST:
            return self.confirm()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        return render(
            self.request,
            "invitations/import_preview.html",
            {
                "programme": self.programme,
                "preview": form.preview,
                "confirm_form": ConfirmImportForm(initial={"text": form.text}),
            },
        )

    def confirm(self) -> HttpResponse:
        form = ConfirmImportForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, _("Something went wrong with the file. Please upload it again."))
            return redirect("invitations:import", self.programme.pk)
        preview = csv_import.import_csv(
            programme=self.programme, text=form.cleaned_data["text"], user=self.request.user
        )
        if preview.file_error:
            messages.error(self.request, preview.file_error)
            return redirect("invitations:import", self.programme.pk)
        messages.success(self.request, import_summary(preview))
        return redirect("invitations:list", self.programme.pk)


def import_summary(preview: csv_import.Preview) -> str:
    added, already, errors = len(preview.to_add), len(preview.already), len(preview.errors)
    parts = [
        ngettext("Added %(count)s person to the list.", "Added %(count)s people to the list.", added)
        % {"count": added}
        if added
        else _("Nobody new was added.")
    ]
    if already:
        parts.append(
            ngettext("%(count)s was already invited.", "%(count)s were already invited.", already)
            % {"count": already}
        )
    if updated := len(preview.updating):
        parts.append(
            ngettext(
                "%(count)s person already known was updated.",
                "%(count)s people already known were updated.",
                updated,
            )
            % {"count": updated}
        )
    if errors:
        parts.append(
            ngettext(
                "%(count)s row with a problem was not added: correct it in your file and upload it again.",
                "%(count)s rows with problems were not added: correct them in your file and upload it again.",
                errors,
            )
            % {"count": errors}
        )
    return " ".join(parts)


def example_csv(*, programme: Programme, scope: invitees.Scope) -> str:
    """A small file in the upload's format, naming this neighbourhood's real schools and groups."""
    schools = list(scope.schools) if not scope.runs else list(programme.schools.all())
    if not schools:
        schools = list(programme.neighbourhood.organisations.filter(kind=OrganisationKind.SCHOOL)[:1])
    school = schools[0].name if schools else ""
    rows = [
        [
            "Amira Khan",
            "parent",
            "",
            school,
            "amira.khan@example.org",
            "",
            "English",
            "email; text",
            "07700 900123",
            "yes",
            "",
        ],
        ["Tomasz Nowak", "parent", "", school, "", "", "Polish", "letter", "", "", "yes"],
        [
            "Okafor, Grace",
            "school staff",
            "teacher",
            school,
            "g.okafor@example.org",
            "",
            "",
            "email",
            "",
            "",
            "",
        ],
    ]
    if scope.runs:
        group = programme.neighbourhood.organisations.exclude(kind=OrganisationKind.SCHOOL).first()
        rows.append(
            [
                "Jo Bell",
                "group worker",
                "",
                group.name if group else "",
                "jo.bell@example.org",
                "",
                "",
                "email",
                "",
                "",
                "",
            ]
        )
    return csv_text(csv_import.KNOWN_COLUMNS, rows)


@object_permission_required("invitations.add_invitation", get_programme)
def import_example(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme(request, pk)
    scope = invitees.scope_for(user=request.user, programme=programme)
    return csv_text_response("invitation-list-example.csv", example_csv(programme=programme, scope=scope))
