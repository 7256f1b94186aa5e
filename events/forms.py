from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import LOGO_LIMITS, accepted_formats_text, normalise_image

from .enums import ChecklistKey, OrganisationKind
from .models import (
    DEFAULT_THANK_YOU_WORDS,
    MAX_KEPT_DAYS,
    ChecklistItem,
    Neighbourhood,
    Organisation,
    Programme,
    Session,
    Venue,
    default_contacts_kept_days,
    default_needs_kept_days,
)
from .templatetags.friendly import person

ARTISTS_GROUP = "Artists"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class OrganisationForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Optional. A %(formats)s image, up to 2 MB. It appears on the school's letters.")
        % {"formats": accepted_formats_text()},
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "school_phase",
            "contact_email",
            "address",
            "logo",
            "parent_contact_name",
            "parent_contact_phone",
            "parent_contact_email",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "parent_contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, neighbourhood: Neighbourhood, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.neighbourhood = neighbourhood

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        duplicates = Organisation.objects.filter(
            neighbourhood=self.instance.neighbourhood, name__iexact=name
        ).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError(
                _("There is already an organisation called “%(name)s” in this neighbourhood."),
                params={"name": name},
                code="duplicate",
            )
        return name

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload, not the file already stored
            return normalise_image(logo, limits=LOGO_LIMITS)
        return logo


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = [
            "name",
            "address",
            "capacity",
            "step_free_access",
            "accessible_toilet",
            "hearing_loop",
            "parking",
            "public_transport",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "public_transport": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, neighbourhood: Neighbourhood, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.neighbourhood = neighbourhood


def _schools_in(neighbourhoods):
    return Organisation.objects.filter(neighbourhood__in=neighbourhoods, kind=OrganisationKind.SCHOOL)


class ProgrammeCreateForm(forms.Form):
    neighbourhood = forms.ModelChoiceField(label=_("Neighbourhood"), queryset=Neighbourhood.objects.none())
    title = forms.CharField(label=_("Title"), max_length=160)
    key_question = forms.CharField(
        label=_("Key question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The question that would move everyone to act together, in everyday words."),
    )
    first_date = forms.DateField(
        label=_("Date of the all-day workshop"),
        widget=DateInput,
        help_text=_(
            "We will propose three half-days a fortnight apart after it. You can change any date later."
        ),
    )
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.none(), required=False)
    schools = forms.ModelMultipleChoiceField(
        label=_("Participating schools"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    invitation_lead_days = forms.IntegerField(
        label=_("Send invitations this many days before"), initial=21, min_value=7, max_value=90
    )
    reminder_lead_days = forms.IntegerField(
        label=_("Send reminders this many days before each session"), initial=3, min_value=1, max_value=14
    )

    def __init__(self, *args, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        neighbourhoods = (
            Neighbourhood.objects.all()
            if user.is_superuser
            else Neighbourhood.objects.filter(facilitators=user)
        )
        self.fields["neighbourhood"].queryset = neighbourhoods
        if len(neighbourhoods) == 1:
            self.fields["neighbourhood"].initial = neighbourhoods[0]
        self.fields["venue"].queryset = Venue.objects.filter(neighbourhood__in=neighbourhoods)
        self.fields["schools"].queryset = _schools_in(neighbourhoods)

    def clean_first_date(self):
        first_date = self.cleaned_data["first_date"]
        if first_date < timezone.localdate():
            raise ValidationError(_("That date has passed. Please choose a date from today onwards."))
        return first_date

    def clean(self):
        cleaned = super().clean()
        neighbourhood = cleaned.get("neighbourhood")
        if neighbourhood:
            venue = cleaned.get("venue")
            if venue and venue.neighbourhood_id != neighbourhood.pk:
                self.add_error("venue", _("Choose a venue in the neighbourhood you picked."))
            if any(school.neighbourhood_id != neighbourhood.pk for school in cleaned.get("schools", [])):
                self.add_error("schools", _("Choose schools in the neighbourhood you picked."))
        invitation, reminder = cleaned.get("invitation_lead_days"), cleaned.get("reminder_lead_days")
        if invitation and reminder and reminder >= invitation:
            self.add_error(
                "reminder_lead_days", _("Reminders must go after the invitations, so use fewer days.")
            )
        return cleaned


def _kept_days_field(label, help_text) -> forms.IntegerField:
    """How long a programme keeps a kind of personal data (issue 18): whole days, at least one, at most
    MAX_KEPT_DAYS (ten years), refused beside the field otherwise. Left empty: the council's default
    (settings.RETENTION_NEEDS_DAYS, RETENTION_CONTACTS_DAYS; ProgrammeUpdateForm.clean)."""
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=1,
        max_value=MAX_KEPT_DAYS,
        error_messages={
            "min_value": _("Please keep it at least 1 day after the last workshop."),
            "max_value": _("Please choose at most %(limit_value)s days (ten years)."),
            "invalid": _("Please give a whole number of days."),
        },
    )


class ProgrammeUpdateForm(forms.ModelForm):
    needs_kept_days = _kept_days_field(
        _("Delete needs this many days after the last workshop"),
        _(
            "What people told us they need: the crèche, food, access, an interpreter, transport. Leave "
            "empty for the council's usual time."
        ),
    )
    contacts_kept_days = _kept_days_field(
        _("Delete contact details this many days after the last workshop"),
        _(
            "Names, email addresses, phone numbers and home addresses, except for people who asked to hear "
            "about future programmes. Leave empty for the council's usual time."
        ),
    )

    class Meta:
        model = Programme
        fields = [
            "title",
            "key_question",
            "status",
            "schools",
            "facilitators",
            "invitation_lead_days",
            "reminder_lead_days",
            "contact_name",
            "contact_phone",
            "contact_email",
            "send_thank_you",
            "thank_you_words",
            # How long personal data is kept after the last workshop (issue 18; records.services.retention).
            "needs_kept_days",
            "contacts_kept_days",
        ]
        widgets = {
            "key_question": forms.Textarea(attrs={"rows": 3}),
            "schools": forms.CheckboxSelectMultiple,
            "facilitators": forms.CheckboxSelectMultiple,
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            # Empty means our own words: the box shows them, so the facilitator sees what will be said.
            "thank_you_words": forms.Textarea(attrs={"rows": 3, "placeholder": DEFAULT_THANK_YOU_WORDS}),
        }
        help_texts = {
            "status": _(
                "Open: invitations, reminders and letters go out on their dates. Being planned: nothing is sent."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        neighbourhood = self.instance.neighbourhood
        self.fields["schools"].queryset = _schools_in([neighbourhood])
        self.fields["facilitators"].queryset = (
            get_user_model()
            .objects.filter(facilitated_neighbourhoods=neighbourhood)
            .order_by("first_name", "username")
        )
        self.fields["facilitators"].label_from_instance = person

    def clean_needs_kept_days(self) -> int:
        return self.cleaned_data["needs_kept_days"] or default_needs_kept_days()

    def clean_contacts_kept_days(self) -> int:
        return self.cleaned_data["contacts_kept_days"] or default_contacts_kept_days()

    def clean(self):
        cleaned = super().clean()
        needs, contacts = cleaned.get("needs_kept_days"), cleaned.get("contacts_kept_days")
        if needs and contacts and contacts < needs:
            # Deleting someone's contact details deletes their needs with them.
            self.add_error(
                "contacts_kept_days",
                _(
                    "Contact details go with their needs, so keep them at least as long as the needs (%(days)s days)."
                )
                % {"days": needs},
            )
        return cleaned


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = [
            "kind",
            "date",
            "start_time",
            "end_time",
            "venue",
            "purpose",
            "refreshments",
            "lunch",
            "childcare",
            "transport_help",
            "artists",
        ]
        widgets = {
            "date": DateInput,
            "start_time": TimeInput,
            "end_time": TimeInput,
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "artists": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.filter(
            neighbourhood=self.instance.programme.neighbourhood
        )
        self.fields["artists"].queryset = (
            get_user_model().objects.filter(groups__name=ARTISTS_GROUP).order_by("first_name", "username")
        )
        self.fields["artists"].label_from_instance = person

    def clean_date(self):
        session_date = self.cleaned_data["date"]
        changed = self.instance.pk is None or "date" in self.changed_data
        if changed and session_date < timezone.localdate():
            raise ValidationError(_("That date has passed. Please choose a date from today onwards."))
        return session_date


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["done", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].label = self.instance.get_key_display()
        if self.instance.key == ChecklistKey.COVER:
            self.fields["note"].label = _("Who pays for cover, and any notes")
        else:
            self.fields["note"].label = _("Notes")

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.key == ChecklistKey.COVER
            and cleaned.get("done")
            and not cleaned.get("note", "").strip()
        ):
            self.add_error("note", _("Please say who pays for cover before ticking this off."))
        return cleaned


class BaseChecklistFormSet(forms.BaseModelFormSet):
    """The programme's checklist items exactly as the page showed them. A form naming any other item
    (another programme's, one that does not exist, the same one twice, one more than shown) would become
    a new, nameless item: such a form is refused as a whole."""

    def clean(self) -> None:
        shown = {item.pk for item in self.get_queryset()}
        # An id this programme's items do not have leaves its form with a new, unsaved instance.
        named = [form.instance.pk for form in self.forms]
        if len(named) != len(shown) or set(named) != shown:
            raise ValidationError(
                _(
                    "This checklist does not match the programme's items, so nothing was saved. Here it is "
                    "as it is now: please make your changes again."
                ),
                code="unknown_items",
            )
        super().clean()


ChecklistFormSet = forms.modelformset_factory(
    ChecklistItem, form=ChecklistItemForm, formset=BaseChecklistFormSet, extra=0, edit_only=True
)
