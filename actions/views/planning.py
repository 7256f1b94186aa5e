"""The team's pages for action planning: a workshop's actions, the action form and page, the programme's
actions with who leads them, and the CSV. The leads' own pages (opened from a link) are in views/lead.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import FormView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from artwork.models import Theme
from core.downloads import csv_text_response
from core.pdf import qr_svg
from core.permissions import object_permission_required
from core.tokenpages import private
from events.mixins import ProgrammeMixin, SessionMixin, get_programme
from events.models import Programme
from invitations.enums import group_label

from ..forms import ActionForm, UpdateForm
from ..models import Action, ActionUpdate
from ..services import links, planning, reading, workshop


def _thumbnails_available() -> bool:
    """The artwork app's image URL, when it has one (pictures are left out otherwise)."""
    try:
        reverse("artwork:image", kwargs={"pk": 1, "size": "thumbnail"})
    except NoReverseMatch:
        return False
    return True


class SessionActionsView(SessionMixin, TemplateView):
    """A workshop's actions page. The first half-day opens with what the all-day raised (themes, pictures
    and words) to turn into actions; later ones open with every action and what changed since the last
    workshop."""

    permission_required = "actions.view_actions"
    template_name = "actions/session_actions.html"

    def get_context_data(self, **kwargs):
        session, programme = self.session, self.programme
        previous = workshop.previous_session(session=session)
        first = workshop.is_first_half_day(session=session, previous=previous)
        all_day = workshop.all_day_of(programme=programme)
        actions = reading.programme_actions(programme=programme)
        return super().get_context_data(
            session=session,
            programme=programme,
            previous=previous,
            first_half_day=first,
            all_day=all_day,
            themes=workshop.themes_with_artwork(programme=programme),
            words=workshop.most_said_words(session=all_day),
            show_images=_thumbnails_available(),
            changes=workshop.changes_since(actions=actions, previous=previous if not first else None),
            actions=actions,
            can_manage=self.request.user.has_perm("actions.manage_actions", programme),
            **kwargs,
        )


class ActionFormMixin:
    permission_required = "actions.manage_actions"
    template_name = "actions/action_form.html"
    form_class = ActionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "programme": self.programme}

    def save(self, form, action: Action | None) -> HttpResponse:
        try:
            action = planning.save_action(
                programme=self.programme,
                action=action,
                session=getattr(self, "session", None) if action is None else None,
                user=self.request.user,
                **form.values(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return action


class ActionCreateView(ActionFormMixin, SessionMixin, FormView):
    """A new action raised at this workshop, perhaps from a theme (``?theme=<id>``)."""

    def get_initial(self):
        theme = self.request.GET.get("theme", "")
        if theme.isdigit() and Theme.objects.filter(programme=self.programme, pk=int(theme)).exists():
            return {"themes": [int(theme)]}
        return {}

    def form_valid(self, form):
        saved = self.save(form, None)
        if isinstance(saved, HttpResponse):
            return saved
        messages.success(self.request, _("Added the action “%(what)s”.") % {"what": saved.what})
        return redirect("actions:session_actions", self.session.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Add an action"),
            programme=self.programme,
            cancel_url=reverse("actions:session_actions", args=[self.session.pk]),
            **kwargs,
        )


class ActionMixin(PermissionRequiredMixin):
    @cached_property
    def action(self) -> Action:
        return get_object_or_404(
            Action.objects.select_related(
                "programme__neighbourhood", "session", "lead__invitee__organisation"
            ),
            pk=self.kwargs["pk"],
        )

    @property
    def programme(self) -> Programme:
        return self.action.programme

    def get_permission_object(self):
        return self.programme


class ActionEditView(ActionFormMixin, ActionMixin, FormView):
    def get_initial(self):
        action = self.action
        return {
            "what": action.what,
            "why": action.why,
            "themes": list(action.themes.values_list("pk", flat=True)),
            "artworks": list(action.artworks.values_list("pk", flat=True)),
            "lead": action.lead_id,
            "helpers": action.helpers,
            "due": action.due,
            "first_step": action.first_step,
            "status": action.status,
        }

    def form_valid(self, form):
        saved = self.save(form, self.action)
        if isinstance(saved, HttpResponse):
            return saved
        messages.success(self.request, _("Saved the changes."))
        return redirect(saved)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Change the action"),
            programme=self.programme,
            cancel_url=self.action.get_absolute_url(),
            **kwargs,
        )


def _detail_context(request: HttpRequest, action: Action, form: UpdateForm | None = None) -> dict:
    action = (
        Action.objects.select_related("programme", "session", "lead__invitee__organisation")
        .prefetch_related(
            "themes",
            "artworks",
            Prefetch(
                "updates", queryset=ActionUpdate.objects.select_related("author").order_by("-created_at")
            ),
        )
        .get(pk=action.pk)
    )
    can_manage = request.user.has_perm("actions.manage_actions", action.programme)
    return {
        "action": action,
        "programme": action.programme,
        "group": group_label(reading.group_of(action.lead)),
        "can_manage": can_manage,
        "form": form or (UpdateForm() if can_manage else None),
        "can_email": links.lead_can_get_link(action),
        "link_by_text": links.lead_way(action) == "sms",
        "latest_link": links.latest_link(action=action) if can_manage else None,
    }


class ActionDetailView(ActionMixin, TemplateView):
    permission_required = "actions.view_actions"
    template_name = "actions/action_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**_detail_context(self.request, self.action), **kwargs)


def _action(request: HttpRequest, pk: int) -> Programme:
    return get_object_or_404(Action.objects.select_related("programme"), pk=pk).programme


@require_POST
@object_permission_required("actions.manage_actions", _action)
def add_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A short update from the team, perhaps with a new status."""
    action = get_object_or_404(Action.objects.select_related("programme", "lead__invitee"), pk=pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            planning.add_update(
                action=action,
                text=form.cleaned_data["text"],
                status=form.cleaned_data["status"],
                author=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Added the update."))
            return redirect(action)
    return render(request, "actions/action_detail.html", _detail_context(request, action, form))


@require_POST
@object_permission_required("actions.manage_actions", _action)
def send_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the lead a link to post updates without an account (sent by the worker)."""
    action = get_object_or_404(Action.objects.select_related("programme", "lead__invitee"), pk=pk)
    try:
        links.schedule_lead_link(action=action, user=request.user)
    except ValidationError:
        messages.error(
            request,
            _(
                "This action has no lead with a working email address or mobile, so there is nobody to send it to."
            ),
        )
    else:
        messages.success(
            request,
            _("The link is on its way to %(name)s. It should be with them in a minute or so.")
            % {"name": action.lead.invitee.name},
        )
    return redirect(action)


@require_POST
@object_permission_required("actions.manage_actions", _action)
def printed_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A page to print for a lead with no email address: their link as an address and a QR code. Made by
    a POST (it creates a link); the page is the only place the link is ever shown, so it is not cached."""
    action = get_object_or_404(Action.objects.select_related("programme", "lead__invitee"), pk=pk)
    try:
        url = links.issue_printed_link(action=action, user=request.user)
    except ValidationError:
        messages.error(request, _("Choose who leads this action first."))
        return redirect(action)
    response = render(
        request,
        "actions/printed_link.html",
        {"action": action, "programme": action.programme, "url": url, "qr": qr_svg(url)},
    )
    return private(response)


class ProgrammeActionsView(ProgrammeMixin, TemplateView):
    """Every action of the programme, with who leads them at a glance."""

    permission_required = "actions.view_actions"
    template_name = "actions/programme_actions.html"

    def get_context_data(self, **kwargs):
        actions = reading.programme_actions(programme=self.programme)
        counts = reading.leadership_from(actions)
        return super().get_context_data(
            programme=self.programme,
            actions=actions,
            counts=counts,
            warnings=reading.leadership_warnings(counts),
            half_days=list(
                self.programme.sessions.active().filter(kind="half_day").order_by("date", "start_time")
            ),
            can_manage=self.request.user.has_perm("actions.manage_actions", self.programme),
            **kwargs,
        )


@require_safe
@object_permission_required("actions.view_actions", get_programme)
def actions_csv(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme(request, pk)
    name = slugify(programme.title) or "programme"
    return csv_text_response(f"actions-{name}.csv", reading.actions_csv(programme=programme))
