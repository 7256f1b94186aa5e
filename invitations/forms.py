import re
from collections.abc import Iterable

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.forms.utils import flatatt
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.phones import uk_mobile
from events.models import Organisation, Programme, Session

from .enums import (
    GIVEN_ANSWERS,
    LANGUAGES,
    Answer,
    Category,
    ChangeState,
    Channel,
    MessageKind,
    ReplySource,
    StaffRole,
)
from .models import MAX_CHILDREN, MAX_EXTRA_PLACES, Invitee, Reply, SessionChange
from .questions import HINTS, QUESTIONS
from .services import csv_import, invitees, listing
from .services.merge import KEEP, OTHER, MergePreview  # merging two people (issue 17, part 3)
from .services.replies import REPLY_DETAILS, gives_needs, parse_ages

# The ways a person on the list can be reached (Channel.NONE is only for someone met on the day).
CHOSEN_CHANNELS = [(channel.value, channel.label) for channel in (Channel.EMAIL, Channel.SMS, Channel.LETTER)]


def _email_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=_("Email address"),
        required=False,
        strip=False,  # clean_email refuses line breaks rather than quietly removing them
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        **kwargs,
    )


def _mobile_field() -> forms.CharField:
    return forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("For text messages: a UK mobile number, for example 07700 900123."),
    )


def _texts_agreed_field() -> forms.BooleanField:
    return forms.BooleanField(label=_("They have agreed to get text messages"), required=False)


class ServiceErrorsForm(forms.Form):
    """A form whose service may refuse what it was given: ``show_errors`` puts the service's
    ValidationError beside the fields it names, or at the top."""

    def show_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


class ContactCleaning:
    """The email address and mobile number as every form of ours reads them."""

    cleaned_data: dict

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip(" ")
        return invitees.clean_email(value) if value else ""

    def clean_mobile(self) -> str:
        """E.164; the reason beside the field when it is not a UK mobile number (core.phones)."""
        value = self.cleaned_data["mobile"].strip()
        return uk_mobile(value) if value else ""


class InviteeForm(ContactCleaning, ServiceErrorsForm):
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
    email = _email_field(help_text=_("Leave empty if they have none."))
    mobile = _mobile_field()
    texts_agreed = _texts_agreed_field()
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES, initial="en")
    interpreter = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    channel = forms.ChoiceField(
        label=_("How we reach them"),
        choices=CHOSEN_CHANNELS,
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
        help_text=_(
            "A letter goes home through the school, for example in the book bag. Text messages need "
            "a mobile number and their agreement."
        ),
        error_messages={"invalid_choice": _("Please choose email, text message or a letter through school.")},
    )
    texts_too = forms.BooleanField(
        label=_("Text messages as well"),
        required=False,
        help_text=_("Reminders by text too, as well as by email or letter."),
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

    def clean_phone(self) -> str:
        return invitees.clean_phone(self.cleaned_data["phone"])

    def person(self) -> dict:
        """The cleaned details in the shape the services take. Texts as well go only with email or a
        letter: someone reached by text message gets them anyway."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "category": data["category"],
            "staff_role": data.get("staff_role") or "",
            "organisation": data.get("organisation"),
            "email": data.get("email") or "",
            "mobile": data.get("mobile") or "",
            "texts_agreed": bool(data.get("texts_agreed")),
            "phone": data.get("phone") or "",
            "language": data.get("language") or "en",
            "interpreter": bool(data.get("interpreter")),
            "channel": data["channel"],
            "texts_too": bool(data.get("texts_too")) and data["channel"] != Channel.SMS,
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


class ContactForm(ContactCleaning, ServiceErrorsForm):
    """Someone's email address and mobile number, to fix one that does not work (or add one). Saved by
    services.invitees.update_contact, whose problems are shown beside these fields."""

    email = _email_field()
    mobile = _mobile_field()
    texts_agreed = _texts_agreed_field()

    def __init__(self, *args, invitee: Invitee, **kwargs):
        kwargs["initial"] = {
            "email": invitee.email,
            "mobile": invitees.written_mobile(invitee.mobile),
            "texts_agreed": invitee.texts_agreed,
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        self.invitee = invitee


# --- Editing a person (services.people; issue 17, part 1) ----------------------------------------------


class PersonForm(InviteeForm):
    """Someone's details, prefilled, to correct them: the add form's fields, and their home address and
    notes. The rules a person keeps are checked by services.people.edit_person (so that an undo keeps
    them too), whose problems are shown beside these fields; a school coordinator is offered only their
    own school, as when adding."""

    address = forms.CharField(label=_("Home address"), required=False, max_length=300)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything the team should know, for example from the school's records."),
    )

    def __init__(self, *args, programme: Programme, user: AbstractBaseUser, invitee: Invitee, **kwargs):
        kwargs["initial"] = {
            **{name: getattr(invitee, name) for name in ("name", "category", "staff_role", "email")},
            **{name: getattr(invitee, name) for name in ("texts_agreed", "phone", "language", "interpreter")},
            **{name: getattr(invitee, name) for name in ("channel", "texts_too", "address", "notes")},
            "organisation": invitee.organisation_id,
            "mobile": invitees.written_mobile(invitee.mobile),
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, programme=programme, user=user, **kwargs)
        self.invitee = invitee
        # What they are now stays on offer: a coordinator may keep what the facilitator chose (who they
        # are, their school), and someone met on the day may keep "no messages".
        category = self.fields["category"]
        if invitee.category not in {key for key, _label in category.choices}:
            category.choices = [*category.choices, (invitee.category, invitee.get_category_display())]
        if not self.scope.runs and invitee.organisation_id:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=[school.pk for school in self.scope.schools] + [invitee.organisation_id]
            )
        if invitee.channel == Channel.NONE:
            self.fields["channel"].choices = [*CHOSEN_CHANNELS, (Channel.NONE.value, Channel.NONE.label)]

    def clean(self):
        # Not the add form's checks (that they are new to the list): the service checks the person.
        return forms.Form.clean(self)

    def person(self) -> dict:
        data = self.cleaned_data
        return {
            **super().person(),
            "address": " ".join((data.get("address") or "").split()),
            "notes": (data.get("notes") or "").strip(),
        }


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
        self.preview: csv_import.Preview | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.text = csv_import.decode_upload(upload.read(csv_import.MAX_FILE_BYTES + 1))
        self.preview = csv_import.preview_csv(programme=self.programme, text=self.text, user=self.user)
        if self.preview.file_error:
            raise ValidationError(self.preview.file_error)
        return upload


class ConfirmImportForm(forms.Form):
    """The checked file, sent back from the preview page to be checked again and imported."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=csv_import.MAX_FILE_BYTES)


# --- Printed letters ------------------------------------------------------------------------------------

INVITATION_LETTER = "invitation"


class LetterRequestForm(forms.Form):
    """Which school's letters to make (one of the programme's schools; whether this user may print for it
    is the rule invitations.print_letters), and which letter: the invitation, a reminder of a session
    still to come (``reminder-<session pk>``), or the letter about a change to a session
    (``change-<change pk>``, one of ``changes``: the programme's told changes still worth printing,
    services.letters.letter_changes). No letter chosen means the invitation."""

    school = forms.ModelChoiceField(queryset=Organisation.objects.none())
    letter = forms.CharField(required=False, max_length=40)
    # Each letter not in English followed by the English, for the back of the sheet.
    bilingual = forms.BooleanField(required=False)

    def __init__(
        self,
        *args,
        programme: Programme,
        sessions: list[Session],
        changes: Iterable[SessionChange] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["school"].queryset = programme.schools.all()
        self.reminders = {f"reminder-{session.pk}": session for session in sessions}
        self.changes = {f"change-{change.pk}": change for change in changes}

    def clean_letter(self) -> str:
        letter = self.cleaned_data["letter"] or INVITATION_LETTER
        if letter == INVITATION_LETTER or letter in self.reminders or letter in self.changes:
            return letter
        if letter.startswith("reminder-"):
            raise ValidationError(_("That session has already happened or was cancelled."), code="session")
        if letter.startswith("change-"):
            raise ValidationError(self._change_problem(letter), code="change")
        raise ValidationError(_("Please choose which letter to make."), code="invalid_choice")

    def _change_problem(self, letter: str) -> str:
        """Why ``change-<pk>`` is not one of the changes offered: no longer current, or not ours at all."""
        number = re.fullmatch(r"change-(\d{1,18})", letter)
        told = number is not None and (
            SessionChange.objects.filter(
                pk=int(number.group(1)), session__programme=self.programme, state=ChangeState.TOLD
            ).exists()
        )
        if told:
            return str(
                _(
                    "The letters about that change are no longer needed: the session has changed again "
                    "since (make the letters about the newest change instead), or its day has passed."
                )
            )
        return str(
            _("We could not find that change to one of this programme's sessions. Please choose again below.")
        )

    def kind(self) -> str:
        letter = self.cleaned_data["letter"]
        if letter in self.changes:
            return MessageKind.CHANGE
        return MessageKind.INVITATION if letter == INVITATION_LETTER else MessageKind.REMINDER

    def session(self) -> Session | None:
        """The session a reminder or a change is about (None for the invitation)."""
        change = self.change()
        return change.session if change is not None else self.reminders.get(self.cleaned_data["letter"])

    def change(self) -> SessionChange | None:
        """The change a change letter is about (None for the other letters)."""
        return self.changes.get(self.cleaned_data["letter"])


# --- Replies: the parent's own form, and the one staff fill in from a reply slip or a phone call ---------

ANSWER_FIELD = re.compile(r"session_(\d+)")
# The optional questions, in the order of the page.
DETAIL_FIELDS = [
    "childcare_children",
    "childcare_ages",
    "food_needs",
    "access_needs",
    "interpreter",
    "interpreter_language",
    "transport_help",
    "extra_places",
]
TEXT_TOO_LONG = _("Please keep this shorter: %(limit_value)d characters at most (this has %(show_value)d).")
# Suggestions for the interpreter question; people may type any language.
INTERPRETER_LANGUAGES = [label for code, label in LANGUAGES if code != "en"] + [_("British Sign Language")]


class InputsInPython(BaseRenderer):
    """A form renderer (Django's public hook for how a form's templates are rendered) that writes the
    reply form's inputs in Python, the same markup as Django's widget templates, instead of rendering a
    template for each input and each of its attributes: the reply page is opened by many people at once,
    and its inputs through templates cost over a millisecond a page (bench/rsvp.py). Every other template
    (error lists, labels, a whole radio group) goes to the project's own renderer."""

    INPUTS = frozenset(
        f"django/forms/widgets/{name}.html" for name in ("text", "number", "checkbox", "radio_option")
    )
    TEXTAREA = "django/forms/widgets/textarea.html"

    def get_template(self, template_name):
        return get_default_renderer().get_template(template_name)

    def render(self, template_name, context, request=None):
        if template_name == self.TEXTAREA:
            widget = context["widget"]
            return format_html(
                '<textarea name="{}"{}>\n{}</textarea>',
                widget["name"],
                flatatt(widget["attrs"]),
                widget["value"] or "",
            )
        if template_name in self.INPUTS and not context["widget"].get("wrap_label"):
            widget = context["widget"]
            value = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
            return format_html(
                '<input type="{}" name="{}"{}{}>',
                widget["type"],
                widget["name"],
                value,
                flatatt(widget["attrs"]),
            )
        return get_default_renderer().render(template_name, context, request)


INPUTS_IN_PYTHON = InputsInPython()


def _number(label, *, most: int, help_text, message) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=most,
        required=False,
        initial=0,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "form-control number-input"}),
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


def _text(label, *, max_length: int, help_text, rows: int = 0) -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"rows": rows, "class": "form-control"})
        if rows
        else forms.TextInput(attrs={"class": "form-control"})
    )
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        help_text=help_text,
        widget=widget,
        error_messages={"max_length": TEXT_TOO_LONG},
    )


# The "bringing someone" question for a home the school's records say has two adults (issue 17, part 6).
HOUSEHOLD_PLACES = _("How many people are coming with you? The other adult from your home is welcome too.")
HOUSEHOLD_PLACES_HINT = _(
    "Count the other adult from your home if they are coming, and anyone else you bring, for example a "
    "grandparent or a friend. Write 0 if nobody."
)


class ReplyForm(ServiceErrorsForm):
    """Someone's answer: for each session coming / can't come / not sure, and what would help them come.

    One field ``session_<pk>`` per session that can still be answered. The "I'll come to all of them"
    button (``all`` in the data) answers yes to every one of them. A posted answer for any other session
    is refused as a whole: it is not part of this invitation.
    """

    # The questions' words are shared with the letter's slip (questions.py).
    childcare_children = _number(
        QUESTIONS["childcare_children"],
        most=MAX_CHILDREN,
        help_text=_("Write 0 if none."),
        message=format_lazy(_("Please write a number of children from 0 to {most}."), most=MAX_CHILDREN),
    )
    childcare_ages = _text(QUESTIONS["childcare_ages"], max_length=60, help_text=HINTS["childcare_ages"])
    food_needs = _text(QUESTIONS["food_needs"], max_length=500, rows=2, help_text=HINTS["food_needs"])
    access_needs = _text(QUESTIONS["access_needs"], max_length=500, rows=2, help_text=HINTS["access_needs"])
    interpreter = forms.BooleanField(
        label=QUESTIONS["interpreter"],
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    interpreter_language = _text(
        QUESTIONS["interpreter_language"], max_length=60, help_text=HINTS["interpreter_language"]
    )
    transport_help = forms.BooleanField(
        label=QUESTIONS["transport_help"],
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    extra_places = _number(
        QUESTIONS["extra_places"],
        most=MAX_EXTRA_PLACES,
        help_text=HINTS["extra_places"],
        message=format_lazy(_("Please write a number from 0 to {most}."), most=MAX_EXTRA_PLACES),
    )

    # Needs can be health data (issue 18): kept only when they say yes, the question before the needs
    # (templates/invitations/_needs_consent.html). No answer, or no, saves the reply without them.
    needs_agreed = forms.ChoiceField(
        label=_("Is that all right?"),
        choices=[("yes", _("Yes, you may keep it")), ("no", _("No, please don't keep it"))],
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": _("Please choose yes or no.")},
    )
    keep_in_touch = forms.BooleanField(
        label=_("Keep me in touch about future programmes"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    # The inputs are written in Python (InputsInPython), for the page's speed.
    default_renderer = INPUTS_IN_PYTHON
    # The third-person wording staff see when they fill the form in for someone.
    labels: dict = {}
    consent_choices = None  # the needs question's answers in the third person (RecordReplyForm)
    consent_missing = _("You told us what would help you come. May we keep it? Please choose yes or no.")

    def __init__(
        self,
        *args,
        sessions: list[Session],
        reply: Reply | None = None,
        invitee: Invitee | None = None,
        **kwargs,
    ):
        # Until it holds their answers, the form starts from what we have: their reply, and "keep me in
        # touch" as we have it for the person (they may have asked on another programme), whatever else
        # it starts from (a reply slip's source). A page that starts from what they typed (the language
        # switch) passes neither: its box is as they left it. (The reply pages load the invitation with
        # its person and its reply: no query.)
        person = invitee or (reply.invitation.invitee if reply is not None else None)
        start = {"keep_in_touch": person.keep_in_touch} if person is not None else {}
        if reply is not None:
            start.update(self.initial_from(reply))
        if start:
            kwargs["initial"] = {**start, **(kwargs.get("initial") or {})}
        # Sessions that moved after this person said they were coming: the page asks them again.
        self.moved = (
            {a.session_id for a in reply.answers.all() if a.answer == Answer.CHANGED}
            if reply is not None
            else set()
        )
        super().__init__(*args, **kwargs)
        for name, label in self.labels.items():
            self.fields[name].label = label
        if self.consent_choices:
            self.fields["needs_agreed"].choices = self.consent_choices
        self.sessions = sessions
        self.everything = self.is_bound and "all" in self.data
        self.fields["interpreter_language"].widget.attrs.update(
            {"list": "interpreter-languages", "autocomplete": "off"}
        )
        for session in sessions:
            self.fields[self.answer_field(session)] = forms.ChoiceField(
                label=session_label(session),
                choices=[(answer.value, answer.label) for answer in GIVEN_ANSWERS],
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
                required=not self.everything,
                error_messages={
                    "required": _("Please say if you can come on %(date)s.")
                    % {"date": date_format(session.date, "l j F")},
                    "invalid_choice": _("Please choose coming, can't come or not sure."),
                },
            )
        self._describe()

    @staticmethod
    def answer_field(session: Session) -> str:
        return f"session_{session.pk}"

    @staticmethod
    def initial_from(reply: Reply) -> dict:
        initial = {name: getattr(reply, name) for name in REPLY_DETAILS}
        initial["interpreter"] = bool(reply.interpreter_language)
        if reply.needs_agreed:
            initial["needs_agreed"] = "yes"
        for answer in reply.answers.all():
            # "Coming" to a session that has moved since is asked again: no answer is chosen for them.
            if answer.answer != Answer.CHANGED:
                initial[f"session_{answer.session_id}"] = answer.answer
        return initial

    def clean_childcare_children(self) -> int:
        return self.cleaned_data["childcare_children"] or 0

    def clean_extra_places(self) -> int:
        return self.cleaned_data["extra_places"] or 0

    # --- A home of two adults (Invitee.adults_at_home, from the school's records; issue 17, part 6) ----

    @property
    def household_places(self) -> forms.BoundField:
        """The "bringing someone" question as a home of two adults or more reads it: the other adult
        from their home is welcome too. The same field (extra_places), counted in the sheets the same."""
        bound = forms.BoundField(self, self.fields["extra_places"], "extra_places")
        bound.label = HOUSEHOLD_PLACES
        bound.help_text = HOUSEHOLD_PLACES_HINT
        return bound

    def clean(self):
        cleaned = super().clean()
        if any(ANSWER_FIELD.fullmatch(key) and key not in self.fields for key in self.data):
            raise ValidationError(
                _("That answer is for a session that isn't part of this programme."), code="other_session"
            )
        if "childcare_ages" in cleaned and "childcare_children" not in self.errors:
            try:
                cleaned["childcare_ages"] = parse_ages(
                    cleaned["childcare_ages"], children=cleaned.get("childcare_children") or 0
                )
            except ValidationError as error:
                self.add_error("childcare_ages", error)
        if (
            cleaned.get("interpreter")
            and not cleaned.get("interpreter_language")
            and "interpreter_language" not in self.errors
        ):
            self.add_error("interpreter_language", _("Please tell us which language."))
        # Needs told without saying whether we may keep them: asked, not dropped unseen. A "no" is an
        # answer: the reply is saved without them (services.replies.save_reply).
        if not cleaned.get("needs_agreed") and "needs_agreed" not in self.errors and gives_needs(cleaned):
            self.add_error("needs_agreed", self.consent_missing)
        return cleaned

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def _describe(self) -> None:
        """Point each field at its hint and its error, for screen readers (aria-describedby)."""
        errors = self.errors if self.is_bound and hasattr(self, "cleaned_data") else {}
        for name in DETAIL_FIELDS:  # the radio groups are described on their fieldset
            field = self.fields[name]
            ids = []
            if field.help_text:
                ids.append(f"{name}-hint")
            if name in errors:
                ids.append(f"{name}-error")
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)
            classes = [c for c in field.widget.attrs.get("class", "").split() if c != "is-invalid"]
            if name in errors and "form-control" in classes:
                classes.append("is-invalid")
            if classes:
                field.widget.attrs["class"] = " ".join(classes)

    # --- What the template and the view need -----------------------------------------------------------

    def session_fields(
        self,
    ) -> list[tuple[Session, forms.BoundField, list[tuple[str, str, str, bool]], bool]]:
        """Each session, its field, its answers as (id, value, label, chosen) for the template to write
        as buttons (much quicker than rendering each radio input through the widget's templates), and
        whether it moved since they said they were coming."""
        rows = []
        for session in self.sessions:
            bound = self[self.answer_field(session)]
            current = str(bound.value() or "")
            options = [
                (f"{bound.auto_id}_{index}", value, label, value == current)
                for index, (value, label) in enumerate(bound.field.choices)
            ]
            rows.append((session, bound, options, session.pk in self.moved))
        return rows

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DETAIL_FIELDS]

    def error_summary(self) -> list[tuple[str, str]]:
        """Each problem with the id of the field it is beside, in the order of the page."""
        summary = []
        for _session, bound, _options, _moved in self.session_fields():
            for error in bound.errors:
                summary.append((f"{bound.auto_id}_0", error))
        consent = self["needs_agreed"]  # asked just before the needs; a radio group, like the sessions
        summary.extend((f"{consent.auto_id}_0", error) for error in consent.errors)
        for bound in self.detail_fields():
            for error in bound.errors:
                summary.append((bound.auto_id, error))
        return summary

    def answers(self) -> dict[int, str]:
        if self.everything:
            return {session.pk: Answer.YES for session in self.sessions}
        return {session.pk: self.cleaned_data[self.answer_field(session)] for session in self.sessions}

    def details(self) -> dict:
        data = self.cleaned_data
        details = {name: data[name] for name in REPLY_DETAILS}
        details["transport_help"] = bool(data["transport_help"])
        # Whether we may keep the needs (without it save_reply keeps none), and "keep me in touch".
        details["needs_agreed"] = data.get("needs_agreed") == "yes"
        details["keep_in_touch"] = bool(data.get("keep_in_touch"))
        return details

    def show_errors(self, error: ValidationError) -> None:
        super().show_errors(error)
        self._describe()


def session_label(session: Session) -> str:
    """ "Wednesday 4 March: all-day workshop" """
    return f"{date_format(session.date, 'l j F')}: {session.get_kind_display().lower()}"


class RecordReplyForm(ReplyForm):
    """The same questions, filled in by staff for someone who replied on paper, by phone or in person."""

    source = forms.ChoiceField(
        label=_("How did they reply?"),
        choices=[choice for choice in ReplySource.choices if choice[0] != ReplySource.WEB],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Please choose how they replied.")},
    )
    field_order = ["source"]
    labels = {
        "childcare_children": _("How many children will need the crèche?"),
        "food_needs": _("Anything we should know about food?"),
        "access_needs": _("Anything that would make it easier for them to get in or take part?"),
        "interpreter": _("An interpreter would help them"),
        "transport_help": _("They would like help getting there"),
        "extra_places": _("How many people are they bringing with them?"),
        "needs_agreed": _("Did they agree we may keep their needs?"),
        "keep_in_touch": _("They would like to hear about future programmes"),
    }
    consent_choices = [("yes", _("Yes, they agreed we may keep their needs")), ("no", _("No"))]
    consent_missing = _("You have written down their needs: please say whether they agreed we may keep them.")

    @staticmethod
    def initial_from(reply: Reply) -> dict:
        initial = ReplyForm.initial_from(reply)
        if reply.source != ReplySource.WEB:
            initial["source"] = reply.source
        return initial

    def error_summary(self) -> list[tuple[str, str]]:
        source = self["source"]
        return [(f"{source.auto_id}_0", error) for error in source.errors] + super().error_summary()


# --- Searching and filtering the invitation list (services.listing; issue 17, part 7) -----------------


def _filter_choice(label, choices, *, everyone, coerce=str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", everyone), *choices],
        coerce=coerce,
        empty_value=None if coerce is int else "",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ListFilterForm(forms.Form):
    """The list page's search and filters, sent by GET (no JavaScript needed). The choices are what this
    user may choose (services.listing.filter_choices): a value outside them (another school's id, a
    session of another programme, nonsense) is an error beside its field, and that filter is left out."""

    q = forms.CharField(
        label=_("Name, email or phone"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "autocomplete": "off"}),
    )
    school = _filter_choice(_("School or organisation"), [], everyone=_("Every one"), coerce=int)
    group = _filter_choice(_("Group"), listing.GROUPS, everyone=_("Every group"))
    channel = _filter_choice(_("How we reach them"), listing.CHANNELS, everyone=_("Every way"))
    reply = _filter_choice(_("Reply"), listing.REPLIES, everyone=_("Any reply, or none"))
    session = _filter_choice(_("Reply for"), [], everyone=_("Any session"), coerce=int)
    problem = _filter_choice(_("Problems reaching them"), listing.PROBLEMS, everyone=_("With or without"))
    language = _filter_choice(_("Language"), LANGUAGES, everyone=_("Every language"))
    need = _filter_choice(_("Needs"), listing.NEEDS, everyone=_("With or without"))
    removed = forms.BooleanField(
        label=_("Only people removed from the list"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, data, *, choices: "listing.Choices"):
        super().__init__(data)
        self.fields["school"].choices = [
            ("", _("Every one")),
            *[(organisation.pk, organisation.name) for organisation in choices.organisations],
        ]
        self.fields["session"].choices = [
            ("", _("Any session")),
            *[(session.pk, session_label(session)) for session in choices.sessions],
        ]

    def filters(self) -> "listing.Filters":
        """The filters chosen, leaving out any field with an error."""
        self.is_valid()
        data = self.cleaned_data
        return listing.Filters(
            search=" ".join((data.get("q") or "").split()),
            organisation=data.get("school"),
            group=data.get("group") or "",
            channel=data.get("channel") or "",
            reply=data.get("reply") or "",
            session=data.get("session"),
            problem=data.get("problem") or "",
            language=data.get("language") or "",
            need=data.get("need") or "",
            removed=bool(data.get("removed")),
        )


# --- Merging two people who are one (services.merge; issue 17, part 3) --------------------------------


class MergeForm(ServiceErrorsForm):
    """For each detail that differs, whose value to keep (the kept person's chosen to start with, or
    the other's when the kept person has none); for each programme where both replied differently,
    which reply to keep, with nothing chosen: the facilitator must look."""

    def __init__(self, *args, preview: MergePreview, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = preview
        none = _("(none)")
        for detail in preview.choices:
            self.fields[detail.choice] = forms.ChoiceField(
                label=detail.label,
                choices=[(KEEP, detail.keep or none), (OTHER, detail.other or none)],
                initial=detail.default,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Choose which to keep.")},
            )
        for row in preview.reply_choices:
            self.fields[row.choice_name] = forms.ChoiceField(
                label=format_lazy(_("Which reply to keep for {programme}"), programme=row.programme.title),
                choices=[(KEEP, preview.keep.name), (OTHER, preview.other.name)],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("They replied differently: choose which reply to keep.")},
            )

    def details(self) -> dict[str, str]:
        return {detail.choice: self.cleaned_data[detail.choice] for detail in self.preview.choices}

    def replies(self) -> dict[int, str]:
        return {row.programme.pk: self.cleaned_data[row.choice_name] for row in self.preview.reply_choices}
