"""One person on a programme's list: editing their details, their history (and undoing a line of it),
taking them off this programme's list and putting them back (services.people). The programme's
facilitators for anyone on it; a school coordinator for their own school's people (invitations
.edit_person and invitations.remove_invitation, rules.py). An invitation of another programme: 404."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from core.permissions import object_permission_required
from events.mixins import ProgrammeMixin, get_programme

from ..forms import PersonForm
from ..models import Invitation, PersonChange
from ..services import people


def get_invitation(request: HttpRequest, pk: int, invitation_pk: int, **kwargs: Any) -> Invitation:
    """The invitation named by the URL on the programme named by the URL, with its person, or 404."""
    return get_object_or_404(
        Invitation.objects.select_related(
            "programme__neighbourhood", "invitee__organisation", "invitee__neighbourhood"
        ),
        pk=invitation_pk,
        programme=get_programme(request, pk),
    )


class PersonMixin(ProgrammeMixin):
    """The programme and the invitation the URL names; the view's permission is checked on the
    invitation (a coordinator and another school's person: 403)."""

    @cached_property
    def invitation(self) -> Invitation:
        return get_invitation(self.request, self.kwargs["pk"], self.kwargs["invitation_pk"])

    def get_permission_object(self) -> Invitation:
        return self.invitation

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        invitation = self.invitation
        return super().get_context_data(
            programme=invitation.programme, invitation=invitation, invitee=invitation.invitee, **kwargs
        )


class EditPersonView(PersonMixin, FormView):
    permission_required = "invitations.edit_person"
    form_class = PersonForm
    template_name = "invitations/person_edit.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "programme": self.invitation.programme,
            "user": self.request.user,
            "invitee": self.invitation.invitee,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Every programme they are on sees the change: the page says which.
        others = list(
            self.invitation.invitee.invitations.exclude(pk=self.invitation.pk)
            .select_related("programme")
            .order_by("programme__title", "pk")
        )
        return super().get_context_data(other_programmes=[other.programme for other in others], **kwargs)

    def form_valid(self, form: PersonForm) -> HttpResponse:
        try:
            person, line = people.edit_person(
                invitation=self.invitation, details=form.person(), by=self.request.user
            )
        except ValidationError as error:
            form.show_errors(error)
            return self.form_invalid(form)
        if line is None:
            messages.info(self.request, _("Nothing was changed."))
        else:
            messages.success(
                self.request,
                _(
                    "Saved the changes to %(name)s's details. You can see them, and undo them, in their history."
                )
                % {"name": person.name},
            )
        return redirect("invitations:list", self.invitation.programme_id)


class PersonHistoryView(PersonMixin, TemplateView):
    permission_required = "invitations.edit_person"
    template_name = "invitations/person_history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(lines=people.history(invitee=self.invitation.invitee), **kwargs)


@require_POST
@object_permission_required("invitations.edit_person", get_invitation)
def undo_change(request: HttpRequest, pk: int, invitation_pk: int, change_pk: int) -> HttpResponse:
    invitation = get_invitation(request, pk, invitation_pk)
    change = get_object_or_404(PersonChange, pk=change_pk, invitee_id=invitation.invitee_id)
    try:
        people.undo_change(change=change, invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Undone. Their details are as they were before that change."))
    return redirect("invitations:person_history", pk, invitation_pk)


class RemoveView(PersonMixin, TemplateView):
    """The confirmation page (GET), and the removal (POST). Someone who has replied or come is removed
    only from the page that says what they did (it posts ``confirmed``)."""

    permission_required = "invitations.remove_invitation"
    template_name = "invitations/person_remove.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(past=people.past_of(invitation=self.invitation), **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = self.invitation
        name = invitation.invitee.name
        if invitation.removed_at is not None:
            messages.info(request, _("%(name)s was already off this list.") % {"name": name})
            return redirect("invitations:list", invitation.programme_id)
        try:
            people.remove_from_list(
                invitation=invitation, by=request.user, confirmed=request.POST.get("confirmed") == "yes"
            )
        except people.ConfirmationNeeded:
            # They replied or came since the page was opened: it says so now, and asks again.
            return self.render_to_response(self.get_context_data(needs_confirmation=True))
        messages.success(
            request,
            _("%(name)s is off this programme's list: nothing more will be sent to them about it.")
            % {"name": name},
        )
        return redirect("invitations:list", invitation.programme_id)


@require_POST
@object_permission_required("invitations.remove_invitation", get_invitation)
def put_back(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invitation = get_invitation(request, pk, invitation_pk)
    name = invitation.invitee.name
    if invitation.removed_at is None:
        messages.info(request, _("%(name)s is on this list already.") % {"name": name})
    else:
        people.put_back(invitation=invitation, by=request.user)
        messages.success(
            request,
            _("%(name)s is back on the list, and will get the messages still to come.") % {"name": name},
        )
    return redirect("invitations:list", pk)
