"""Forms for the day: someone who walked in, a paper sign-in sheet typed in afterwards, and one word
(typed by the facilitator, or from a phone).

A walk-in's rules live in evaluations.services.attendance.check_walk_in; the forms show its reasons beside the
field at fault."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from events.models import Organisation, Session
from invitations.enums import Category, StaffRole

from .services.attendance import MAX_NAME_LENGTH, check_walk_in
from .services.words import CODE_DIGITS, clean_code


class WalkInForm(forms.Form):
    """Someone who came without being on the list. Only the name and group are needed.

    The role at school is asked, but optional: at the door nobody should be held up, and a guessed role
    would be wrong in the list's numbers. Left empty, the list asks for it the next time someone edits
    the person."""

    name = forms.CharField(
        label=_("Name"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    category = forms.ChoiceField(
        label=_("Which group are they part of?"),
        choices=Category.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    staff_role = forms.ChoiceField(
        label=_("Role at school (school staff only, if they'd like to say)"),
        choices=[("", _("Not given")), *StaffRole.choices],
        required=False,
    )
    organisation = forms.ModelChoiceField(
        label=_("School, group or organisation (if any)"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    email = forms.CharField(
        label=_("Email (optional)"),
        required=False,
        help_text=_("So we can tell them about the next workshops."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["organisation"].queryset = Organisation.objects.filter(
            neighbourhood_id=session.programme.neighbourhood_id
        ).order_by("name")
        self.fields["name"].widget.attrs["maxlength"] = MAX_NAME_LENGTH

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            return check_walk_in(
                session=self.session,
                name=cleaned.get("name", ""),
                category=cleaned.get("category", ""),
                organisation=cleaned.get("organisation"),
                email=cleaned.get("email", ""),
                staff_role=cleaned.get("staff_role", ""),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return cleaned


class PaperWalkInForm(WalkInForm):
    """One blank row of the paper sheet for someone who wrote themselves in. A row left empty is skipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On the paper sheet's small rows: a drop-down takes less room than radio buttons.
        self.fields["category"].widget = forms.Select()
        self.fields["category"].choices = [("", _("Choose…")), *Category.choices]
        self.fields["category"].label = _("Group")
        self.fields["organisation"].label = _("Organisation")
        self.fields["email"].label = _("Email")
        self.fields["email"].help_text = ""
        self.fields["staff_role"].label = _("Role at school")


class BasePaperWalkInFormSet(forms.BaseFormSet):
    def __init__(self, *args, session: Session, **kwargs):
        self.session = session
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "session": self.session}

    def filled(self) -> list[dict]:
        """The cleaned rows someone wrote in (rows left empty are skipped)."""
        return [form.cleaned_data for form in self.forms if form.has_changed()]


PAPER_WALK_IN_ROWS = 5
PaperWalkInFormSet = forms.formset_factory(
    PaperWalkInForm, formset=BasePaperWalkInFormSet, extra=PAPER_WALK_IN_ROWS, max_num=50, absolute_max=50
)


class PaperSheetForm(forms.Form):
    """The ticks on a paper sheet: everyone on the list who was ticked. ``shown`` carries who the page
    listed, so that someone signed in on a tablet since the page was opened is not unmarked."""

    present = forms.TypedMultipleChoiceField(
        label=_("Who came"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    shown = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, people: list, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(person.invitation.pk, person.name) for person in people]
        self.fields["present"].choices = choices
        self.fields["shown"].choices = choices


# One word each ---------------------------------------------------------------------------------------


class WordForm(forms.Form):
    word = forms.CharField(
        label=_("Their word"),
        max_length=500,  # longer than a word on purpose: the service answers kindly, not the form
        required=False,
        help_text=_(
            "Type the word, then press Enter. To note who said it, start with 1 for a parent or carer, "
            "2 for school staff, 3 for a local group: “1 hopeful”."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )


class PhoneWordForm(forms.Form):
    word = forms.CharField(
        label=_("Your one word about today"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "send"}),
    )


class PhoneCodeForm(forms.Form):
    """The short code from the room's screen, for a phone that cannot scan the QR code."""

    code = forms.CharField(
        label=_("The number on the screen"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "enterkeyhint": "go", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        typed = self.cleaned_data.get("code", "")
        if not typed.strip():
            raise ValidationError(_("Please type the number you can see on the screen."))
        code = clean_code(typed)
        if not code:
            raise ValidationError(
                _("The number on the screen has %(digits)s digits. Please check it and try again.")
                % {"digits": CODE_DIGITS}
            )
        return code
