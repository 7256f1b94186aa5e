"""The forms of importing a school's export (services.school_exports): the upload with the school it is
from, the mapping of its columns, and the checked file with its mapping sent back to be imported. Staff
pages, in English (still written with gettext; kept out of forms.py, whose messages parents see and are
all translated)."""

import json

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from events.enums import OrganisationKind
from events.models import Organisation, Programme

from .forms import UploadForm
from .services import csv_import, invitees, school_exports

MAP_IT_INSTEAD = _(
    "If the file has columns of its own (for example from your school's records), tick “Let me match the "
    "file's columns myself” and upload it again."
)


def schools_for(*, programme: Programme, user: AbstractBaseUser) -> QuerySet[Organisation]:
    """The schools a file may come from for this user: the neighbourhood's for its facilitators, their
    own for a school coordinator."""
    scope = invitees.scope_for(user=user, programme=programme)
    if scope.runs:
        return programme.neighbourhood.organisations.filter(kind=OrganisationKind.SCHOOL)
    return Organisation.objects.filter(pk__in=[school.pk for school in scope.schools])


class ExportUploadForm(UploadForm):
    """A CSV file: in our own format (checked at once, as before), or a school's export, whose columns
    are then mapped (``inspection`` says what it is). For an export, the school it is from."""

    school = forms.ModelChoiceField(
        label=_("Which school is this file from?"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Several schools: the file says which"),
        help_text=_(
            "For a list from a school's records system (SIMS, Arbor, Bromcom, Wonde…). A file in our own "
            "format says each person's school itself."
        ),
        error_messages={"invalid_choice": _("Please choose one of the schools in the list.")},
    )
    map_columns = forms.BooleanField(
        label=_("Let me match the file's columns myself"),
        required=False,
        help_text=_("For a file with columns of its own, for example from your school's records."),
    )
    field_order = ["school", "file", "map_columns"]

    def __init__(self, *args, programme: Programme, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, programme=programme, user=user, **kwargs)
        self.inspection: school_exports.Inspection | None = None
        schools = self.fields["school"]
        schools.queryset = schools_for(programme=programme, user=user)
        self.scope = invitees.scope_for(user=user, programme=programme)
        if not self.scope.runs:
            # A coordinator's export is from their own school (the only one, if they have one).
            schools.empty_label = _("Choose your school") if len(self.scope.schools) != 1 else None
            if len(self.scope.schools) == 1:
                schools.initial = self.scope.schools[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.text = csv_import.decode_upload(upload.read(csv_import.MAX_FILE_BYTES + 1))
        try:
            self.inspection = school_exports.inspect_upload(self.text)
        except csv_import.FileProblem as problem:
            raise ValidationError(str(problem)) from problem
        return upload

    def clean(self):
        cleaned = super().clean()
        inspection = self.inspection
        if inspection is None or self.errors:
            return cleaned
        if inspection.ours and not cleaned.get("map_columns"):
            self.preview = csv_import.preview_csv(programme=self.programme, text=self.text, user=self.user)
            if self.preview.file_error and inspection.table.records:
                # The file has rows, so its header row is at fault: perhaps it is meant to be mapped.
                self.add_error("file", f"{self.preview.file_error} {MAP_IT_INSTEAD}")
            elif self.preview.file_error:
                self.add_error("file", self.preview.file_error)
        elif not inspection.table.records:
            self.add_error("file", _("There is nobody in this file: only the header row."))
        elif cleaned.get("school") is None and not self.scope.runs:
            if len(self.scope.schools) == 1:
                cleaned["school"] = self.scope.schools[0]
            else:
                self.add_error("school", _("Please choose your school."))
        return cleaned


class ReadingFields(forms.Form):
    """What every step after the upload carries: the file, the school it is from and its system. The
    school is checked again against those the user may import for; the text is read again each time."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=csv_import.MAX_FILE_BYTES)
    school = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), required=False, widget=forms.HiddenInput
    )
    system = forms.CharField(widget=forms.HiddenInput, required=False, max_length=16)

    def __init__(self, *args, programme: Programme, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme, self.user = programme, user
        self.fields["school"].queryset = schools_for(programme=programme, user=user)
        self.scope = invitees.scope_for(user=user, programme=programme)

    def clean_system(self) -> str:
        system = self.cleaned_data["system"]
        if system and system not in school_exports.SYSTEMS_BY_KEY:
            raise ValidationError(_("We don't know that records system."))
        return system

    def clean_school(self) -> Organisation | None:
        school = self.cleaned_data["school"]
        if school is None and not self.scope.runs:
            raise ValidationError(_("Please choose your school."))
        return school


class MappingForm(ReadingFields):
    """Which column of the file holds each of our fields (services.school_exports.FIELDS): a choice per
    field among the file's own columns. Refused with the reason when it leaves out the name or every
    contact column (school_exports.mapping_problems)."""

    step = forms.CharField(widget=forms.HiddenInput, initial="mapping")
    school = forms.ModelChoiceField(
        label=_("Which school is this file from?"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Several schools: a column says which"),
        error_messages={"invalid_choice": _("Please choose one of the schools in the list.")},
    )

    def __init__(self, *args, inspection: school_exports.Inspection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.scope.runs:
            self.fields["school"].empty_label = None
        if inspection is None and self.is_bound:
            try:
                inspection = school_exports.inspect_upload(self.data.get("text", ""))
            except csv_import.FileProblem:
                inspection = None
        self.inspection = inspection
        columns = [("", _("(not in this file)"))]
        self.examples = inspection.examples() if inspection is not None else []
        columns += [(header, raw) for header, raw, _example in self.examples]
        for field in school_exports.FIELDS:
            self.fields[field.key] = forms.ChoiceField(
                label=field.label,
                help_text=field.help,
                choices=columns,
                required=False,
                error_messages={"invalid_choice": _("The file has no such column. Please choose again.")},
            )

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[field.key] for field in school_exports.FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.inspection is None:
            raise ValidationError(_("We couldn't read the file again. Please upload it again."))
        if self.errors:
            return cleaned
        for problem in school_exports.mapping_problems(
            self.mapping(), self.inspection.headers, school=cleaned.get("school")
        ):
            self.add_error(None, problem)
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            field.key: self.cleaned_data[field.key]
            for field in school_exports.FIELDS
            if self.cleaned_data.get(field.key)
        }

    def reading(self) -> school_exports.Reading:
        return school_exports.Reading(
            mapping=self.mapping(), school=self.cleaned_data.get("school"), system=self.cleaned_data["system"]
        )


class ConfirmExportForm(ReadingFields):
    """The checked export and its mapping, sent back from the preview to be imported (or mapped again,
    ``step`` "remap"). Nothing of it is trusted: the mapping is read again here, and checked against the
    file by the service (school_exports.preview_export)."""

    mapping = forms.CharField(widget=forms.HiddenInput, max_length=4000)

    def clean_mapping(self) -> dict[str, str]:
        try:
            mapping = json.loads(self.cleaned_data["mapping"])
        except ValueError as error:
            raise ValidationError(_("The mapping of the file's columns was lost.")) from error
        if not isinstance(mapping, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
        ):
            raise ValidationError(_("The mapping of the file's columns was lost."))
        return mapping

    @classmethod
    def for_reading(
        cls, *, text: str, reading: school_exports.Reading, programme: Programme, user: AbstractBaseUser
    ) -> "ConfirmExportForm":
        return cls(
            programme=programme,
            user=user,
            initial={
                "text": text,
                "mapping": json.dumps(reading.mapping, sort_keys=True),
                "school": reading.school.pk if reading.school else "",
                "system": reading.system,
            },
        )

    def reading(self) -> school_exports.Reading:
        return school_exports.Reading(
            mapping=self.cleaned_data["mapping"],
            school=self.cleaned_data.get("school"),
            system=self.cleaned_data["system"],
        )
