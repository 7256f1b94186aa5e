from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from events.models import Organisation, Programme

from .enums import LANGUAGES, Category, Channel, StaffRole
from .services import invitees


class InviteeForm(forms.Form):
    """One person for a programme's list. A school coordinator may add only their own school's parents,
    carers and staff; the same rules as a CSV row (services.invitees.person_problems)."""

    name = forms.CharField(
        label=_("Name"), max_length=120, error_messages={"required": _("Please give their name.")}
    )
    category = forms.ChoiceField(
        label=_("Who they are"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose who they are.")},
    )
    staff_role = forms.ChoiceField(
        label=_("Role at school"),
        choices=[("", _("Not school staff")), *StaffRole.choices],
        required=False,
        help_text=_("For school staff only."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation or school"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("Where they work or volunteer, or the school their child goes to."),
        error_messages={"invalid_choice": _("Please choose one of the organisations in the list.")},
    )
    email = forms.CharField(
        label=_("Email address"),
        required=False,
        strip=False,  # clean_email refuses line breaks rather than quietly removing them
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty if they have none: they will get a letter through school."),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES, initial="en")
    channel = forms.ChoiceField(
        label=_("How we reach them"),
        choices=Channel.choices,
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
        help_text=_("A letter goes home through the school, for example in the book bag."),
    )

    def __init__(self, *args, programme: Programme, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.scope = invitees.scope_for(user=user, programme=programme)
        organisations = self.fields["organisation"]
        if self.scope.runs:
            organisations.queryset = programme.neighbourhood.organisations.all()
        else:
            # A school coordinator adds their own school's parents, carers and staff.
            organisations.queryset = Organisation.objects.filter(pk__in=[s.pk for s in self.scope.schools])
            organisations.required = True
            organisations.label = _("School")
            organisations.help_text = _("Where they work, or the school their child goes to.")
            if len(self.scope.schools) == 1:
                organisations.initial = self.scope.schools[0].pk
            self.fields["category"].choices = [
                (key, label)
                for key, label in Category.choices
                if key in (Category.PARENT, Category.SCHOOL_STAFF)
            ]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if name.startswith(invitees.FORMULA_STARTS):
            raise ValidationError(
                _("A name can't start with “%(char)s”: spreadsheets would treat it as a formula."),
                params={"char": name[0]},
            )
        return name

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip(" ")
        return invitees.clean_email(value) if value else ""

    def clean_phone(self) -> str:
        return invitees.clean_phone(self.cleaned_data["phone"])

    def person(self) -> dict:
        """The cleaned details in the shape the services take."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "category": data["category"],
            "staff_role": data.get("staff_role") or "",
            "organisation": data.get("organisation"),
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "language": data.get("language") or "en",
            "channel": data["channel"],
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned  # the person rules need every field's own value first
        person = self.person()
        for field, reason in invitees.person_problems(person, scope=self.scope):
            self.add_error(field, reason)
        if self.errors:
            return cleaned
        existing = invitees.existing_invitee(self.programme, person)
        if existing and self.programme.invitations.filter(invitee=existing).exists():
            if person["email"]:
                self.add_error(
                    "email", _("Someone with this email address is already on this programme's list.")
                )
            else:
                who = f"{existing.name} ({existing.organisation})" if existing.organisation else existing.name
                self.add_error("name", _("%(name)s is already on this programme's list.") % {"name": who})
        elif problem := invitees.existing_problem(existing, scope=self.scope):
            self.add_error("email", problem)
        return cleaned


class UploadForm(forms.Form):
    """A CSV file of people. File-level problems (encoding, headers, size) are shown beside the field;
    the rows themselves are checked in the preview."""

    file = forms.FileField(
        label=_("Your CSV file"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": _("Please choose a CSV file to upload."),
            "empty": _("This file is empty."),
        },
    )

    def __init__(self, *args, programme: Programme, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme, self.user = programme, user
        self.text = ""
        self.preview: invitees.Preview | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.text = invitees.decode_upload(upload.read(invitees.MAX_FILE_BYTES + 1))
        self.preview = invitees.preview_csv(programme=self.programme, text=self.text, user=self.user)
        if self.preview.file_error:
            raise ValidationError(self.preview.file_error)
        return upload


class ConfirmImportForm(forms.Form):
    """The checked file, sent back from the preview page to be checked again and imported."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=invitees.MAX_FILE_BYTES)
