from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.users import User
from events.models import Organisation, Session

from .enums import StaffRole
from .services import invitations as staff_invitations
from .services.passwords import ask_for_password_reset


class SignInForm(AuthenticationForm):
    """Django's sign-in form, and a box for a computer other people use too: the session then ends when
    the browser closes (accounts.views.SignInView)."""

    shared_computer = forms.BooleanField(
        label=_("This is a shared computer"),
        required=False,
        help_text=_("You will be signed out when you close the browser."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].help_text = _("If a colleague invited you, it is your email address.")


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose email goes through the one outbox (accounts.services.passwords). Saving
    it does not look the address up, as Django's does: it enqueues the worker's task with the address,
    the same work whether or not an account has it, and the worker finds the account and queues the email
    (with a token minted when it is built)."""

    def save(self, *args, **kwargs) -> None:
        # Django's view passes the options of its own emails (domain, templates, token generator): ours
        # come from the outbox's kind, so none of them is used.
        ask_for_password_reset(email=self.cleaned_data["email"])


def _session_label(session: Session) -> str:
    return f"{session.programme.title}: {session.get_kind_display()} {session.order}, {date_format(session.date, 'j F Y')}"


class InviteColleagueForm(forms.Form):
    name = forms.CharField(label=_("Their name"), max_length=150)
    email = forms.EmailField(label=_("Their email address"), max_length=254)
    role = forms.ChoiceField(label=_("They will be"), choices=StaffRole.choices, widget=forms.RadioSelect)
    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Choose the school"),
        help_text=_("For a school coordinator: the school they look after. Schools in your neighbourhood."),
        error_messages={"invalid_choice": _("Choose a school in a neighbourhood you facilitate.")},
    )
    sessions = forms.ModelMultipleChoiceField(
        label=_("Sessions"),
        queryset=Session.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For an artist: the sessions they draw at. Sessions of your programmes."),
        error_messages={"invalid_choice": _("Choose sessions of programmes you run.")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["school"].queryset = staff_invitations.schools_for(user)
        self.fields["sessions"].queryset = staff_invitations.sessions_for(user)
        self.fields["sessions"].label_from_instance = _session_label

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please give their name."))
        return name

    def clean(self):
        data = super().clean()
        role, email = data.get("role"), data.get("email")
        if role == StaffRole.COORDINATOR:
            school = data.get("school")
            if school is None and "school" not in self.errors:
                self.add_error("school", _("Choose the school they coordinate for."))
            elif school is not None and email:
                if school.coordinators.filter(email__iexact=email).exists():
                    self.add_error("email", _("They are already a coordinator for this school."))
                elif staff_invitations.pending_invitation_like(email=email, role=role, school=school):
                    self.add_error(
                        "email",
                        _(
                            "They already have an invitation for this school waiting: resend it from the list."
                        ),
                    )
        elif role == StaffRole.ARTIST:
            sessions = data.get("sessions")
            if not sessions and "sessions" not in self.errors:
                self.add_error("sessions", _("Choose at least one session for them to draw at."))
            elif (
                sessions
                and email
                and staff_invitations.pending_invitation_like(email=email, role=role, sessions=sessions)
            ):
                self.add_error(
                    "email",
                    _(
                        "They already have an invitation for one of these sessions waiting: resend it from "
                        "the list."
                    ),
                )
        return data


class ChoosePasswordForm(SetPasswordForm):
    """The password a colleague chooses on accepting an invitation, checked by Django's validators
    against the account about to be made (so not their name or email address)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Choose a password")
        self.fields["new_password2"].label = _("The same password again")
        self.fields["new_password2"].help_text = _("So we know it is typed as you meant.")
