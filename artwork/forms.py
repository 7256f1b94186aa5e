"""The form for saying what a picture shows and who may see it. The rules themselves live in
services.gallery.describe_artwork; the form checks what it can beside each field first."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .enums import Visibility
from .models import MAX_DESCRIPTION, Artwork
from .services import themes as theme_services
from .services.gallery import TITLE_MAX

PEOPLE_NOT_AGREED = _(
    "People can be recognised in this picture and have not agreed to it being shared, so it stays with "
    "the team. Choose “The team only”, or tick that they agreed."
)


class DescribeArtworkForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=TITLE_MAX,
        help_text=_("A few words, if you like: “Our neighbourhood map”."),
    )
    description = forms.CharField(
        label=_("What it shows"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The key points in the picture, in words. This is read out to people who cannot see the "
            "picture, and printed in the record of the day. At most %(max)s characters."
        )
        % {"max": f"{MAX_DESCRIPTION:,}"},
        error_messages={"required": _("Please say what the picture shows, in words.")},
    )
    themes = forms.CharField(
        label=_("Themes"),
        required=False,
        help_text=_(
            "Separate themes with commas, for example: play space, feeling listened to. "
            "At most %(count)d themes, each up to %(length)d characters."
        )
        % {"count": theme_services.MAX_THEMES, "length": theme_services.MAX_THEME_LENGTH},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    shows_people = forms.BooleanField(label=_("People can be recognised in it"), required=False)
    people_agreed = forms.BooleanField(
        label=_("They agreed to it being shared"),
        required=False,
        help_text=_("Only tick this if everyone who can be recognised said yes."),
    )
    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "“People taking part” see it from the link in their invitation; “Everyone” means anyone "
            "with the link to the programme's shared pictures."
        ),
    )

    def __init__(self, *args, artwork: Artwork, **kwargs):
        self.artwork = artwork
        kwargs["initial"] = {
            **(kwargs.get("initial") or {}),
            "title": artwork.title,
            "description": artwork.description,
            "themes": ", ".join(theme.name for theme in artwork.themes.all()),
            "shows_people": artwork.shows_people,
            "people_agreed": artwork.people_agreed,
            "visibility": artwork.visibility,
        }
        super().__init__(*args, **kwargs)

    def clean_themes(self) -> list[str]:
        return theme_services.parse_themes(self.cleaned_data.get("themes", ""))

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise ValidationError(self.fields["description"].error_messages["required"], code="required")
        return description

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("visibility") not in (None, Visibility.TEAM)
            and cleaned.get("shows_people")
            and not cleaned.get("people_agreed")
        ):
            self.add_error("visibility", PEOPLE_NOT_AGREED)
        return cleaned
