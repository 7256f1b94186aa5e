from django import forms
from django.utils.translation import gettext_lazy as _

from artwork.models import Artwork, Theme
from events.models import Programme
from invitations.models import Invitation

from .enums import ActionStatus
from .models import MAX_TEXT, Action, ActionUpdate
from .services.planning import LEAD_STATUSES, participant_label, participants


class DateInput(forms.DateInput):
    input_type = "date"


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return participant_label(obj)


class ArtworkChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        words = obj.title or obj.description or str(obj)
        return words if len(words) <= 80 else words[:79] + "…"


class ActionForm(forms.Form):
    """An action: what, why and where it came from, who leads and helps, by when, the first step."""

    what = forms.CharField(
        label=_("What will we do?"),
        max_length=_max(Action, "what"),
        help_text=_("In a few words. Up to %(count)s characters.") % {"count": _max(Action, "what")},
    )
    why = forms.CharField(
        label=_("Why?"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What difference it will make. Up to %(count)s characters.") % {"count": MAX_TEXT},
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes it came from"),
        queryset=Theme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    artworks = ArtworkChoiceField(
        label=_("Pictures it came from"),
        queryset=Artwork.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead = LeadChoiceField(
        label=_("Who leads it?"),
        queryset=Invitation.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
        error_messages={
            "invalid_choice": _(
                "Choose someone taking part in this programme: they came to a workshop or said they are "
                "coming."
            )
        },
        help_text=_("Someone taking part: a parent or carer, someone from a school or from a local group."),
    )
    helpers = forms.CharField(
        label=_("Who helps?"),
        required=False,
        max_length=_max(Action, "helpers"),
        help_text=_("Names or groups. Up to %(count)s characters.") % {"count": _max(Action, "helpers")},
    )
    due = forms.DateField(label=_("By when?"), required=False, widget=DateInput)
    first_step = forms.CharField(
        label=_("First step"),
        required=False,
        max_length=_max(Action, "first_step"),
        help_text=_("The very next thing to do. Up to %(count)s characters.")
        % {"count": _max(Action, "first_step")},
    )
    status = forms.ChoiceField(
        label=_("Where is it up to?"),
        choices=ActionStatus.choices,
        initial=ActionStatus.IDEA,
        help_text=_("An idea can wait for a lead; once it is agreed, someone needs to lead it."),
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["themes"].queryset = Theme.objects.filter(programme=programme)
        self.fields["artworks"].queryset = Artwork.objects.filter(
            session__programme=programme
        ).select_related("session")
        self.fields["lead"].queryset = participants(programme=programme)
        if not self.fields["artworks"].queryset.exists():
            del self.fields["artworks"]
        if not self.fields["themes"].queryset.exists():
            del self.fields["themes"]

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "what": data["what"].strip(),
            "why": data["why"].strip(),
            "themes": list(data.get("themes") or []),
            "artworks": list(data.get("artworks") or []),
            "lead": data["lead"],
            "helpers": data["helpers"].strip(),
            "due": data["due"],
            "first_step": data["first_step"].strip(),
            "status": data["status"],
        }


class UpdateForm(forms.Form):
    """A short update from the team, and optionally a new status."""

    text = forms.CharField(
        label=_("What has happened?"),
        max_length=_max(ActionUpdate, "text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A line or two. Up to %(count)s characters.") % {"count": _max(ActionUpdate, "text")},
    )
    status = forms.ChoiceField(
        label=_("Where is it up to now?"),
        choices=[("", _("No change"))] + list(ActionStatus.choices),
        required=False,
    )


class LeadUpdateForm(forms.Form):
    """What an action's lead can tell us from their link."""

    text = forms.CharField(
        label=_("What has happened?"),
        max_length=_max(ActionUpdate, "text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A line or two is plenty. Up to %(count)s characters.")
        % {"count": _max(ActionUpdate, "text")},
    )
    status = forms.ChoiceField(
        label=_("Where is it up to?"),
        choices=[(status.value, status.label) for status in LEAD_STATUSES],
        widget=forms.RadioSelect,
    )
