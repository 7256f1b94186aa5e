import dataclasses

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView
from rules.contrib.views import PermissionRequiredMixin

from core.permissions import object_permission_required

from . import changes, services
from .changes import Facts
from .forms import (
    ChecklistFormSet,
    OrganisationForm,
    ProgrammeCreateForm,
    ProgrammeUpdateForm,
    SessionForm,
    VenueForm,
)
from .mixins import ProgrammeMixin, SessionMixin, get_session_programme
from .models import ChecklistItem, Neighbourhood, Organisation, Programme, Session, Venue
from .templatetags.friendly import clock

UPCOMING_SESSIONS_SHOWN = 6


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "events/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        programmes = list(
            Programme.objects.visible_to(user)
            .select_related("neighbourhood")
            .with_first_date()
            .annotate(open_items=Count("checklist", filter=Q(checklist__done=False), distinct=True))
            .order_by("status", "title")
        )
        # What each programme's messages are doing (invitations.templatetags: the outbox is read there).
        upcoming = (
            Session.objects.visible_to(user)
            .upcoming()
            .select_related("programme", "venue")
            .prefetch_related("artists")[:UPCOMING_SESSIONS_SHOWN]
        )
        neighbourhoods = (
            Neighbourhood.objects.all()
            if user.is_superuser
            else Neighbourhood.objects.filter(facilitators=user)
        )
        return super().get_context_data(
            programmes=programmes,
            upcoming=upcoming,
            neighbourhoods=neighbourhoods,
            can_add_programme=user.has_perm("events.add_programme"),
            **kwargs,
        )


class NeighbourhoodDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "events.view_neighbourhood"
    model = Neighbourhood
    template_name = "events/neighbourhood_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            organisations=self.object.organisations.all(),
            venues=self.object.venues.all(),
            **kwargs,
        )


class NeighbourhoodChildCreateView(PermissionRequiredMixin, CreateView):
    """Adds an organisation or a venue to the neighbourhood named in the URL."""

    permission_required = "events.change_neighbourhood"
    template_name = "events/form_page.html"
    success_message = ""

    @cached_property
    def neighbourhood(self) -> Neighbourhood:
        return get_object_or_404(Neighbourhood, pk=self.kwargs["pk"])

    def get_permission_object(self):
        return self.neighbourhood

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "neighbourhood": self.neighbourhood}

    def form_valid(self, form):
        self.object = form.save()
        messages.success(self.request, self.success_message % {"name": self.object})
        return redirect(self.neighbourhood)

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=self.neighbourhood.get_absolute_url(), **kwargs)


class NeighbourhoodChildUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "events.change_neighbourhood"
    template_name = "events/form_page.html"
    success_message = ""

    def get_permission_object(self):
        return self.get_object().neighbourhood

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "neighbourhood": self.object.neighbourhood}

    def form_valid(self, form):
        self.object = form.save()
        messages.success(self.request, self.success_message % {"name": self.object})
        return redirect(self.object.neighbourhood)

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=self.object.neighbourhood.get_absolute_url(), **kwargs)


class OrganisationCreateView(NeighbourhoodChildCreateView):
    model = Organisation
    form_class = OrganisationForm
    success_message = gettext_lazy("%(name)s is now in the directory.")
    extra_context = {"title": gettext_lazy("Add an organisation"), "multipart": True}


class OrganisationUpdateView(NeighbourhoodChildUpdateView):
    model = Organisation
    form_class = OrganisationForm
    success_message = gettext_lazy("Saved the changes to %(name)s.")
    extra_context = {"title": gettext_lazy("Edit organisation"), "multipart": True}


class VenueCreateView(NeighbourhoodChildCreateView):
    model = Venue
    form_class = VenueForm
    success_message = gettext_lazy("%(name)s is now in the directory.")
    extra_context = {"title": gettext_lazy("Add a venue")}


class VenueUpdateView(NeighbourhoodChildUpdateView):
    model = Venue
    form_class = VenueForm
    success_message = gettext_lazy("Saved the changes to %(name)s.")
    extra_context = {"title": gettext_lazy("Edit venue")}


@object_permission_required(
    "events.view_organisation", lambda request, pk: get_object_or_404(Organisation, pk=pk)
)
def organisation_logo(request: HttpRequest, pk: int) -> FileResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    if not organisation.logo:
        raise Http404
    return FileResponse(organisation.logo.open("rb"), content_type="image/png")


class ProgrammeCreateView(PermissionRequiredMixin, FormView):
    permission_required = "events.add_programme"
    form_class = ProgrammeCreateForm
    template_name = "events/programme_form.html"
    extra_context = {"title": gettext_lazy("Plan a new programme")}

    def get_permission_object(self):
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        programme = services.create_programme(created_by=self.request.user, **form.cleaned_data)
        messages.success(
            self.request,
            _("Your programme is ready, with four sessions and a planning checklist. Check the dates below."),
        )
        return redirect(programme)


class ProgrammeDetailView(ProgrammeMixin, DetailView):
    permission_required = "events.view_programme"
    template_name = "events/programme_detail.html"
    context_object_name = "programme"

    def get_context_data(self, **kwargs):
        programme = self.programme
        sessions = list(programme.sessions.select_related("venue").prefetch_related("artists"))
        checklist = list(programme.checklist.in_order())
        return super().get_context_data(
            sessions=sessions,
            open_items=[item for item in checklist if not item.done],
            checklist_total=len(checklist),
            schools=programme.schools.all(),
            facilitators=programme.facilitators.all(),
            can_change=self.request.user.has_perm("events.change_programme", programme),
            **kwargs,
        )


class SessionDetailView(SessionMixin, DetailView):
    """One session: when and where, and the panels each part of the day adds (pictures, who came, words,
    actions), which the other apps provide as templates included here."""

    permission_required = "events.view_programme"
    template_name = "events/session_detail.html"
    context_object_name = "session"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_change=self.request.user.has_perm("events.change_programme", self.programme), **kwargs
        )


class ProgrammeUpdateView(ProgrammeMixin, UpdateView):
    permission_required = "events.change_programme"
    form_class = ProgrammeUpdateForm
    template_name = "events/form_page.html"
    extra_context = {"title": gettext_lazy("Edit programme")}

    def form_valid(self, form):
        programme = form.save()
        messages.success(self.request, _("Saved the changes to the programme."))
        return redirect(programme)

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=self.programme.get_absolute_url(), **kwargs)


class ChecklistView(ProgrammeMixin, TemplateView):
    permission_required = "events.change_programme"
    template_name = "events/checklist.html"

    def get_formset(self, data=None) -> ChecklistFormSet:
        queryset = ChecklistItem.objects.filter(programme=self.programme).in_order()
        return ChecklistFormSet(data, queryset=queryset)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.render_to_response(self.get_context_data(formset=self.get_formset()))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        formset = self.get_formset(request.POST)
        if not formset.is_valid():
            if formset.non_form_errors():
                # Not the items this page showed (a forged or mangled form): nothing is saved, and the
                # programme's checklist is shown again as it is, with why.
                context = self.get_context_data(formset=self.get_formset(), refused=formset.non_form_errors())
                return self.render_to_response(context, status=400)
            return self.render_to_response(self.get_context_data(formset=formset))
        services.update_checklist(
            programme=self.programme,
            answers={
                form.instance.key: (form.cleaned_data["done"], form.cleaned_data["note"]) for form in formset
            },
        )
        messages.success(request, _("Saved the checklist."))
        return redirect(self.programme)

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)


class SessionCreateView(ProgrammeMixin, CreateView):
    permission_required = "events.change_programme"
    form_class = SessionForm
    template_name = "events/form_page.html"
    extra_context = {"title": gettext_lazy("Add a session")}

    def get_object(self, queryset=None):
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Session(programme=self.programme)}

    def form_valid(self, form):
        session = services.save_session(session=form.save(commit=False), artists=form.cleaned_data["artists"])
        messages.success(self.request, _("Added session %(order)s.") % {"order": session.order})
        return redirect(self.programme)

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=self.programme.get_absolute_url(), **kwargs)


def what_changes(before: Facts, after: Facts) -> list[tuple[str, str, str]]:
    """(what, was, becomes) for each fact of a session that differs, in words, for the confirmation."""
    venues = Venue.objects.in_bulk([pk for pk in (before.venue_id, after.venue_id) if pk])

    def place(facts: Facts) -> str:
        return venues[facts.venue_id].name if facts.venue_id in venues else _("to be decided")

    def times(facts: Facts) -> str:
        return f"{clock(facts.start_time)} to {clock(facts.end_time)}"

    lines = []
    if before.cancelled != after.cancelled:
        lines.append(
            (
                _("Status"),
                _("cancelled") if before.cancelled else _("on"),
                _("cancelled") if after.cancelled else _("on"),
            )
        )
    if before.date != after.date:
        lines.append((_("Date"), date_format(before.date, "l j F Y"), date_format(after.date, "l j F Y")))
    if (before.start_time, before.end_time) != (after.start_time, after.end_time):
        lines.append((_("Times"), times(before), times(after)))
    if before.venue_id != after.venue_id:
        lines.append((_("Place"), place(before), place(after)))
    return lines


def change_page(
    request: HttpRequest, *, session: Session, before: Facts, after: Facts, tellings: list, **context
) -> HttpResponse:
    """The page that says what will change, who will be told, by which channel and what they will read,
    before the change is made."""
    return render(
        request,
        "events/session_change_confirm.html",
        {
            "session": session,
            "programme": session.programme,
            "tellings": tellings,
            "changes": what_changes(before, after),
            **context,
        },
    )


def ask_first(request: HttpRequest, *, session: Session, cancelled: bool, action: str) -> HttpResponse:
    """The confirmation before cancelling a session or putting it back on."""
    before = Facts.of(session)
    after = dataclasses.replace(before, cancelled=cancelled)
    tellings = changes.preview(session=session, before=before, after=after)
    return change_page(request, session=session, before=before, after=after, tellings=tellings, action=action)


class SessionUpdateView(SessionMixin, UpdateView):
    """Edit a session. A change to its date, times or place that people were told about is shown first
    (who will be told, by which channel, what they will read) and made once the facilitator confirms."""

    permission_required = "events.change_programme"
    form_class = SessionForm
    template_name = "events/session_form.html"

    def form_valid(self, form):
        session = form.instance
        if "back" in self.request.POST:  # from the confirmation: the form again, as they left it
            return self.render_to_response(self.get_context_data(form=form))
        if "confirmed" not in self.request.POST:
            before, after = Facts.of(Session.objects.get(pk=session.pk)), Facts.of(session)
            if tellings := changes.preview(session=session, before=before, after=after):
                return change_page(
                    self.request, session=session, before=before, after=after, tellings=tellings, form=form
                )
        session = services.save_session(session=form.save(commit=False), artists=form.cleaned_data["artists"])
        messages.success(
            self.request, _("Saved the changes to session %(order)s.") % {"order": session.order}
        )
        if "confirmed" in self.request.POST:  # people will be told: the session's page says when
            return redirect("events:session_update", session.pk)
        return redirect(session.programme)


@object_permission_required("events.change_programme", get_session_programme)
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a session, after a confirmation that says who will be told. It can be undone (reinstated)."""
    session = get_object_or_404(Session.objects.select_related("programme"), pk=pk)
    if session.is_cancelled:
        return redirect("events:session_update", session.pk)
    if request.method != "POST":
        return ask_first(request, session=session, cancelled=True, action="cancel")
    session = services.cancel_session(session=session)
    messages.success(
        request,
        _("The session on %(date)s is cancelled. If that was a mistake, you can put it back on below.")
        % {"date": date_format(session.date, "l j F")},
    )
    return redirect("events:session_update", session.pk)


@object_permission_required("events.change_programme", get_session_programme)
def session_reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a cancelled session back on (undo the cancelling), after the same confirmation."""
    session = get_object_or_404(Session.objects.select_related("programme"), pk=pk)
    if not session.is_cancelled:
        return redirect("events:session_update", session.pk)
    if problem := services.reinstate_problem(session=session):
        messages.error(request, problem)
        return redirect("events:session_update", session.pk)
    if request.method != "POST":
        return ask_first(request, session=session, cancelled=False, action="reinstate")
    try:
        session = services.reinstate_session(session=session)
    except services.CannotReinstate as problem:
        messages.error(request, str(problem))
        return redirect("events:session_update", session.pk)
    messages.success(
        request, _("The session on %(date)s is back on.") % {"date": date_format(session.date, "l j F")}
    )
    return redirect("events:session_update", session.pk)
