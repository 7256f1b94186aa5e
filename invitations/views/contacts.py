"""Fixing someone's email address or mobile number once it has stopped working (or adding one)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView
from rules.contrib.views import PermissionRequiredMixin

from events.models import Programme

from ..forms import ContactForm
from ..models import Invitee
from ..services import invitees


class FixContactView(PermissionRequiredMixin, FormView):
    """The person's email address, mobile number and agreement to texts, prefilled. Opened from a
    programme's list (``?programme=<pk>``), it goes back there once saved."""

    permission_required = "invitations.change_contact"
    form_class = ContactForm
    template_name = "invitations/fix_contact.html"

    @cached_property
    def invitee(self) -> Invitee:
        return get_object_or_404(
            Invitee.objects.select_related("organisation", "neighbourhood"), pk=self.kwargs["pk"]
        )

    def get_permission_object(self) -> Invitee:
        return self.invitee

    @cached_property
    def programme(self) -> Programme | None:
        """The programme's list this page was opened from, if the person is on it and this user may
        see it: where Cancel and Save lead back to."""
        number = self.request.GET.get("programme", "")
        if not number.isdigit() or len(number) > 18:
            return None
        programme = (
            Programme.objects.filter(pk=int(number), invitations__invitee=self.invitee)
            .select_related("neighbourhood")
            .first()
        )
        if programme is None or not self.request.user.has_perm("invitations.view_invitations", programme):
            return None
        return programme

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "invitee": self.invitee}

    def get_context_data(self, **kwargs):
        return super().get_context_data(invitee=self.invitee, programme=self.programme, **kwargs)

    def form_valid(self, form: ContactForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            person = invitees.update_contact(
                invitee=self.invitee,
                email=data["email"],
                mobile=data["mobile"],
                texts_agreed=data["texts_agreed"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.show_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Saved. %(name)s's messages now go by: %(ways)s.")
            % {"name": person.name, "ways": invitees.ways_label(person.channel, person.texts_too)}
            if person.channels
            else _("Saved. There is still no way to reach %(name)s.") % {"name": person.name},
        )
        if self.programme is not None:
            return redirect("invitations:list", self.programme.pk)
        return redirect("events:dashboard")
