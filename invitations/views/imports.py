"""Importing a list of people from a CSV file: upload, a preview of every row (nothing saved), confirm.

A school's export (services.school_exports) has a step between: the mapping of its columns, shown with
the system it was recognised as and saved for the school, or skipped when a mapping saved for files with
the same headers applies. Every step after the upload posts the file's text back (and its mapping),
which is read and checked again each time: nothing the browser sends is trusted."""

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

from ..forms import ConfirmImportForm
from ..import_forms import ConfirmExportForm, ExportUploadForm, MappingForm
from ..models import ImportMapping
from ..services import csv_import, invitees, school_exports
from .lists import InvitationsMixin


class ImportView(InvitationsMixin, FormView):
    """Upload → (for a school's export: its mapping) → a preview of every row (nothing saved) → confirm,
    which checks the file again and adds the rows marked "will add" in one transaction."""

    permission_required = "invitations.add_invitation"
    form_class = ExportUploadForm
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
            systems=[system.name for system in school_exports.SYSTEMS],
            **kwargs,
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        step = request.POST.get("step")
        if step == "mapping":
            return self.mapped()
        if step == "remap":
            return self.remap()
        if "text" in request.POST:
            return self.confirm()
        return super().post(request, *args, **kwargs)

    def _forms(self) -> dict:
        return {"programme": self.programme, "user": self.request.user}

    def form_valid(self, form):
        if form.preview is not None:  # a file in our own format
            return render(
                self.request,
                "invitations/import_preview.html",
                {
                    "programme": self.programme,
                    "preview": form.preview,
                    "confirm_form": ConfirmImportForm(initial={"text": form.text}),
                },
            )
        inspection = form.inspection
        school = form.cleaned_data.get("school")
        saved = school_exports.saved_mapping(programme=self.programme, school=school, key=inspection.key)
        if saved is not None and not school_exports.mapping_problems(
            saved.mapping, inspection.headers, school=school
        ):
            reading = school_exports.Reading(mapping=saved.mapping, school=school, system=saved.system)
            return self.export_preview(form.text, reading, saved=saved)
        system = inspection.system
        mapping_form = MappingForm(
            inspection=inspection,
            initial={
                "text": form.text,
                "school": school.pk if school else "",
                "system": system.key if system else "",
                **school_exports.suggest_mapping(inspection.headers, system),
            },
            **self._forms(),
        )
        return self.mapping_page(mapping_form)

    def mapping_page(self, form: MappingForm) -> HttpResponse:
        system = school_exports.SYSTEMS_BY_KEY.get(form["system"].value() or "")
        chosen = str(form["school"].value() or "")
        school = form.fields["school"].queryset.filter(pk=chosen).first() if chosen.isdigit() else None
        return render(
            self.request,
            "invitations/import_mapping.html",
            {
                "programme": self.programme,
                "form": form,
                "system": system,
                "school": school,
            },
        )

    def export_preview(
        self,
        text: str,
        reading: school_exports.Reading,
        *,
        saved: ImportMapping | None = None,
        just_saved=False,
    ) -> HttpResponse:
        preview = school_exports.preview_export(
            programme=self.programme, text=text, user=self.request.user, reading=reading
        )
        if preview.file_error:
            messages.error(self.request, preview.file_error)
            return redirect("invitations:import", self.programme.pk)
        labels = {field.key: field.label for field in school_exports.FIELDS}
        headers = {header: raw for header, raw, _example in school_exports.inspect_upload(text).examples()}
        return render(
            self.request,
            "invitations/import_preview.html",
            {
                "programme": self.programme,
                "preview": preview,
                "confirm_form": ConfirmExportForm.for_reading(text=text, reading=reading, **self._forms()),
                "export": True,
                "saved": saved,
                "just_saved": just_saved,
                "mapping": [
                    (labels[key], headers.get(column, column))
                    for key, column in reading.mapping.items()
                    if key in labels
                ],
                "school": reading.school,
            },
        )

    def mapped(self) -> HttpResponse:
        """The mapping page posted: refused with the reasons, or remembered for the school and previewed."""
        form = MappingForm(self.request.POST, **self._forms())
        if form.inspection is None:
            messages.error(self.request, _("Something went wrong with the file. Please upload it again."))
            return redirect("invitations:import", self.programme.pk)
        if not form.is_valid():
            return self.mapping_page(form)
        reading = form.reading()
        school_exports.remember_mapping(
            programme=self.programme, key=form.inspection.key, reading=reading, user=self.request.user
        )
        return self.export_preview(form.cleaned_data["text"], reading, just_saved=True)

    def remap(self) -> HttpResponse:
        """ "Change the mapping" from the preview: the mapping page again, starting from the one used."""
        form = ConfirmExportForm(self.request.POST, **self._forms())
        if not form.is_valid():
            messages.error(self.request, _("Something went wrong with the file. Please upload it again."))
            return redirect("invitations:import", self.programme.pk)
        data = form.cleaned_data
        try:
            inspection = school_exports.inspect_upload(data["text"])
        except csv_import.FileProblem as problem:
            messages.error(self.request, str(problem))
            return redirect("invitations:import", self.programme.pk)
        initial = {
            "text": data["text"],
            "school": data["school"].pk if data["school"] else "",
            "system": data["system"],
            **{key: column for key, column in data["mapping"].items() if key in school_exports.FIELD_KEYS},
        }
        return self.mapping_page(MappingForm(inspection=inspection, initial=initial, **self._forms()))

    def confirm(self) -> HttpResponse:
        if "mapping" in self.request.POST:
            form = ConfirmExportForm(self.request.POST, **self._forms())
            if form.is_valid():
                preview = school_exports.import_export(
                    programme=self.programme,
                    text=form.cleaned_data["text"],
                    user=self.request.user,
                    reading=form.reading(),
                )
            else:
                preview = None
        else:
            form = ConfirmImportForm(self.request.POST)
            preview = (
                csv_import.import_csv(
                    programme=self.programme, text=form.cleaned_data["text"], user=self.request.user
                )
                if form.is_valid()
                else None
            )
        if preview is None:
            messages.error(self.request, _("Something went wrong with the file. Please upload it again."))
            return redirect("invitations:import", self.programme.pk)
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
    if skipped := len(preview.skipped):
        parts.append(
            ngettext(
                "%(count)s contact was not invited (no parental responsibility, “do not contact”, or the "
                "same home as someone invited).",
                "%(count)s contacts were not invited (no parental responsibility, “do not contact”, or the "
                "same home as someone invited).",
                skipped,
            )
            % {"count": skipped}
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
