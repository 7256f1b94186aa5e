"""The editor for the words of a programme's invitation letter, and the check it runs as they are typed."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from core import languages
from core.permissions import object_permission_required
from events.mixins import ProgrammeMixin, get_programme

from ..models import MAX_LETTER_CHARACTERS, LetterWording
from ..services import wording


class LetterWordingForm(forms.Form):
    # No maxlength on the box: a longer text pasted in is refused with a message, not cut off unseen.
    text = forms.CharField(
        label=gettext_lazy("The words of the letter"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=gettext_lazy(
            "Write as you would speak to a neighbour. Leave a blank line between paragraphs. The letter adds "
            "the greeting, the dates, times and place, and the reply slip, so there is no need to write them."
        ),
        error_messages={"required": gettext_lazy("Please write the words of the letter.")},
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        wording.check_length(text)
        return text


class LetterWordingView(ProgrammeMixin, FormView):
    """Write the letter's words, starting from the saved words or our default. The check (reading ease,
    worker-speak) is shown with the page and updated as the words are typed; it never stops saving."""

    permission_required = "invitations.change_letter_wording"
    form_class = LetterWordingForm
    template_name = "invitations/letter_wording.html"

    @cached_property
    def language(self) -> str:
        """The language being written: ``language`` in the form or the address, if we print in it; else
        English (a code we do not offer is no error, just English)."""
        asked = self.request.POST.get("language") or self.request.GET.get("language")
        spoken = languages.spoken(asked)
        return spoken if spoken in languages.offered() else settings.LANGUAGE_CODE

    @property
    def english(self) -> bool:
        return self.language == settings.LANGUAGE_CODE

    @cached_property
    def saved(self) -> LetterWording | None:
        return (
            LetterWording.objects.filter(programme=self.programme, language=self.language)
            .select_related("updated_by")
            .first()
        )

    def get_initial(self):
        return {"text": wording.letter_text(programme=self.programme, language=self.language)}

    def get_context_data(self, **kwargs):
        form = kwargs.setdefault("form", self.get_form())
        text = form.data.get("text", "") if form.is_bound else form.initial.get("text", "")
        return super().get_context_data(
            programme=self.programme,
            saved=self.saved,
            language=self.language,
            language_info=translation.get_language_info(self.language),
            english=self.english,
            languages_of_letters=wording.languages_of_letters(programme=self.programme),
            # Reading ease and worker-speak are English measures; every language has the length check.
            check=wording.check_wording(text=text) if self.english else None,
            check_empty=not text.strip(),
            max_characters=MAX_LETTER_CHARACTERS,
            **kwargs,
        )

    def form_valid(self, form):
        if "check" in self.request.POST:  # "Check the words" without saving, for browsers without JS
            return self.render_to_response(self.get_context_data(form=form, checked=True))
        try:
            wording.save_wording(
                programme=self.programme,
                text=form.cleaned_data["text"],
                user=self.request.user,
                language=self.language,
            )
        except ValidationError as error:
            form.add_error("text", error)
            return self.form_invalid(form)
        check = wording.check_wording(text=form.cleaned_data["text"])
        if self.english and check.terms:
            messages.warning(
                self.request,
                ngettext(
                    "The words are saved. The check found %(count)d word that could be plainer: see below.",
                    "The words are saved. The check found %(count)d words that could be plainer: see below.",
                    len(check.terms),
                )
                % {"count": len(check.terms)},
            )
        else:
            messages.success(self.request, _("The words of the letter are saved."))
        address = reverse("invitations:letter_wording", args=[self.programme.pk])
        return redirect(address if self.english else f"{address}?language={self.language}")


@require_POST
@object_permission_required("invitations.change_letter_wording", get_programme)
def check_letter_wording(request: HttpRequest, pk: int) -> JsonResponse:
    """The check of the words posted as ``text``, as JSON, for the editor to show as they are typed."""
    return JsonResponse(wording.check_wording(text=request.POST.get("text", "")).as_json())
