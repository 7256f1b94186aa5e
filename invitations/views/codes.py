"""Paper replies: the school office types the short reply code from a letter's tear-off slip, and is taken
to the staff form for that person's reply (StaffReplyView) with "Reply slip" already chosen."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from events.mixins import ProgrammeMixin

from ..enums import ReplySource
from ..models import Invitation
from ..services import invitees
from ..services.letters import CODE_ALPHABET

# What the slip shows ("ACD 479"), someone's own way of writing it ("acd-479"), and nothing else.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
BASE_CLASSES = "form-control form-control-lg font-monospace text-uppercase"
NOT_FOUND = _(
    "We couldn't find that code. Please check each letter and number against the slip; "
    "the codes never use the letters O, I, L, S, Z or B."
)


def normalise_code(typed: str) -> str:
    """The code as stored: capitals, without the spaces and hyphens people type between its groups.

    Look-alike characters the alphabet never uses (O, 0, I, 1, L, S, Z, B, ...) are deliberately *not*
    mapped to a guess: an O could be a misread D or Q, an I a 1 or a 7, and a wrong guess might land on a
    real code and record someone else's answer. Such a code is simply not found, and the message says
    which letters never appear, so the office looks at the slip again."""
    return SEPARATORS.sub("", typed).upper()


class ReplyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Reply code from the slip"),
        help_text=_("Letters and numbers, as printed on the slip, for example ACD 479."),
        # Generous, for spaces and hyphens; anything longer is not a code, and is told so the same way.
        max_length=40,
        error_messages={
            "required": _("Please type the reply code from the slip."),
            "max_length": NOT_FOUND,
        },
        widget=forms.TextInput(
            attrs={
                "class": BASE_CLASSES,
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "inputmode": "text",
                "spellcheck": "false",
                "aria-describedby": "code-hint",
            }
        ),
    )

    def __init__(self, *args, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitations = invitations
        self.invitation: Invitation | None = None

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise ValidationError(self.fields["code"].error_messages["required"], code="required")
        # Only the invitations this person may see, for this programme: a code from another school or
        # another programme gets the very same answer as one that exists nowhere.
        if set(code) <= set(CODE_ALPHABET):
            self.invitation = self.invitations.filter(reply_code=code).first()
        if self.invitation is None:
            raise ValidationError(NOT_FOUND, code="not_found")
        return code

    def describe(self) -> None:
        """Point the field at its hint and, when there is one, its error (for screen readers)."""
        attrs = self.fields["code"].widget.attrs
        if self.is_bound and self.errors.get("code"):
            attrs["aria-describedby"] = "code-hint code-error"
            attrs["aria-invalid"] = "true"
            attrs["class"] = f"{BASE_CLASSES} is-invalid"


class ReplyCodeView(ProgrammeMixin, FormView):
    """Type the code from a reply slip → the form to record what was ticked on it. The code is posted,
    not put in the address, so it stays out of browser history and server logs."""

    permission_required = "invitations.add_invitation"
    form_class = ReplyCodeForm
    template_name = "invitations/reply_code.html"

    @cached_property
    def invitations(self):
        return invitees.visible_invitations(programme=self.programme, user=self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "invitations": self.invitations}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(programme=self.programme, **kwargs)
        context["form"].describe()
        return context

    def form_valid(self, form):
        url = reverse("invitations:staff_reply", args=[self.programme.pk, form.invitation.pk])
        return HttpResponseRedirect(f"{url}?source={ReplySource.PAPER}")
