"""Building a programme's invitation list: the list, its CSV, adding people, importing, inviting groups,
and replies recorded by the team (paper, phone, in person)."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from core import audit
from core.downloads import csv_response
from core.permissions import object_permission_required
from events.enums import OrganisationKind, ProgrammeStatus
from events.mixins import ProgrammeMixin, get_programme
from events.models import Organisation, Programme, Session

from ..enums import LANGUAGES, Category, Channel, ReplySource, StaffRole
from ..forms import (
    INTERPRETER_LANGUAGES,
    InviteeForm,
    ListFilterForm,
    RecordReplyForm,
)
from ..models import Invitation, Invitee
from ..services import invitees, listing, replies
from ..templatetags.invitation_tags import message_kind, message_state, not_working


class InvitationsMixin(ProgrammeMixin):
    """The programme named by the URL, checked against the view's permission."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "programme": self.programme, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)


def _filters(request: HttpRequest, programme: Programme) -> tuple[ListFilterForm, listing.Filters]:
    """The search and filters from the query string, as far as this user may choose them."""
    form = ListFilterForm(
        request.GET or None, choices=listing.filter_choices(programme=programme, user=request.user)
    )
    return form, form.filters() if form.is_bound else listing.Filters()


class InvitationListView(InvitationsMixin, TemplateView):
    """The list, a page of 50 at a time, searched and filtered (services.listing), with the whole list's
    counts and balance. Only the page's rows load their messages and answers."""

    permission_required = "invitations.view_invitations"
    template_name = "invitations/list.html"

    def get_context_data(self, **kwargs):
        programme, user = self.programme, self.request.user
        can_invite_groups = user.has_perm("invitations.invite_groups", programme)
        groups_without_email = []
        if can_invite_groups:
            groups_without_email = list(
                programme.neighbourhood.organisations.exclude(kind=OrganisationKind.SCHOOL).filter(
                    contact_email=""
                )
            )
        form, filters = _filters(self.request, programme)
        page = listing.list_page(
            invitations=listing.matching(programme=programme, user=user, filters=filters),
            number=self.request.GET.get("page"),
        )
        invitations = page.invitations
        failed_count, failed = listing.failed_messages(programme=programme, user=user)
        session = next((s for s in form.fields["session"].choices if s[0] == filters.session), None)
        return super().get_context_data(
            form=form,
            filters=filters,
            removed_only=filters == listing.Filters(removed=True),
            # The filters beyond the search are folded away until one is chosen (or one was refused).
            filters_open=replace(filters, search="").narrowed or bool(form.errors),
            listed=page,
            invitations=invitations,
            counts=listing.list_counts(programme=programme, user=user),
            # "Coming" and "not sure" on the Who is coming page count the places people bring too.
            counts_places=filters.reply in ("coming", "maybe", "changed"),
            reply_session=session[1] if session else "",
            pages=_page_links(filters, page),
            csv_query=filters.query(),
            failed=failed,
            failed_count=failed_count,
            failed_query=listing.Filters(problem="failed").query(),
            balance=invitees.list_balance(programme=programme),
            # Whose address or number this user may fix (invitations:fix_contact), for the page's people.
            fixable=invitees.contacts_fixable(
                user=user, programme=programme, people=[invitation.invitee for invitation in invitations]
            ),
            whole_list=invitees.may_change_programme(user, programme),
            can_change_programme=user.has_perm("events.change_programme", programme),
            can_invite_groups=can_invite_groups,
            groups_without_email=groups_without_email,
            is_draft=programme.status == ProgrammeStatus.DRAFT,
            is_open=programme.status == ProgrammeStatus.OPEN,
            is_finished=programme.status == ProgrammeStatus.FINISHED,
            **kwargs,
        )


def _page_links(filters: listing.Filters, listed: listing.ListPage) -> dict:
    """The query strings of the pages around this one, each carrying the filters."""
    page = listed.page
    return {
        "previous": filters.query(page=page.previous_page_number()) if page.has_previous() else None,
        "next": filters.query(page=page.next_page_number()) if page.has_next() else None,
        "first": filters.query(page=1) if page.number > 2 else None,
        "last": filters.query(page=page.paginator.num_pages)
        if page.number < page.paginator.num_pages - 1
        else None,
    }


CSV_HEADER = [
    "name",
    "category",
    "role",
    "organisation",
    "email",
    "phone",
    "language",
    "channel",
    "asked not to be contacted",
    "messages",
    "mobile",
    "texts agreed",
    "interpreter",
    "not working",
]


def _not_working(row: dict) -> str:
    """What is wrong with their address or number (invitation_tags.not_working, which needs a person:
    made only for the few rows with a mark)."""
    if not (row["invitee__email_failed"] or row["invitee__mobile_failed"] or row["invitee__fell_back_from"]):
        return ""
    organisation = None
    if row["invitee__organisation_id"] is not None:
        organisation = Organisation(
            pk=row["invitee__organisation_id"],
            name=row["invitee__organisation__name"],
            kind=row["invitee__organisation__kind"],
        )
    invitee = Invitee(
        channel=row["invitee__channel"],
        email=row["invitee__email"],
        email_failed=row["invitee__email_failed"],
        mobile=row["invitee__mobile"],
        mobile_failed=row["invitee__mobile_failed"],
        texts_agreed=row["invitee__texts_agreed"],
        texts_too=row["invitee__texts_too"],
        fell_back_from=row["invitee__fell_back_from"],
        organisation=organisation,
    )
    return "; ".join(not_working(invitee))


@object_permission_required("invitations.view_invitations", get_programme)
@audit.logs_download(audit.Download.LIST_CSV, obj=get_programme)  # one entry a download (core.audit)
def invitation_list_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The list as a spreadsheet, in the same columns the upload takes, narrowed by the same search and
    filters as the list page (its download link carries them). Built from values() and one query for
    everyone's messages, not from model instances. No cell is ever a formula (core.csvsafe)."""
    programme = get_programme(request, pk)
    is_open = programme.status == ProgrammeStatus.OPEN
    _form, filters = _filters(request, programme)
    invitations = listing.matching(programme=programme, user=request.user, filters=filters)
    messages = listing.messages_of(programme=programme, invitations=invitations)
    # Each label in the current language once, not once a row.
    categories = {value: str(label) for value, label in Category.choices}
    roles = {value: str(label) for value, label in StaffRole.choices}
    languages = {value: str(label) for value, label in LANGUAGES}
    ways = {
        (channel, too): invitees.ways_label(channel, too)
        for channel in Channel.values
        for too in (False, True)
    }
    yes, no = _("yes"), _("no")
    # Most people share a schedule: each distinct message is described once (listing.Messages), and
    # each distinct list of them joined once.
    described: dict[tuple, str] = {}
    joined: dict[tuple, str] = {}

    def describe(keys: tuple[tuple, ...]) -> str:
        if keys not in joined:
            for key in keys:
                if key not in described:
                    message = messages.row(key)
                    described[key] = f"{message_kind(message)}: {message_state(message, is_open)}"
            joined[keys] = "; ".join(described[key] for key in keys)
        return joined[keys]

    rows = []
    for row in listing.csv_rows(invitations):
        channel, mobile, too = row["invitee__channel"], row["invitee__mobile"], row["invitee__texts_too"]
        rows.append(
            [
                row["invitee__name"],
                categories.get(row["invitee__category"], row["invitee__category"]),
                roles.get(row["invitee__staff_role"], row["invitee__staff_role"]),
                row["invitee__organisation__name"] or "",
                row["invitee__email"],
                row["invitee__phone"],
                languages.get(row["invitee__language"], row["invitee__language"]),
                ways.get((channel, too)) or invitees.ways_label(channel, too),
                yes if row["opted_out"] else "",
                describe(messages.by_invitation.get(row["pk"], ())),
                invitees.written_mobile(mobile) if mobile else "",
                (yes if row["invitee__texts_agreed"] else no) if mobile else "",
                yes if row["invitee__interpreter"] else "",
                _not_working(row),
            ]
        )
    return csv_response(f"invitations-{slugify(programme.title) or programme.pk}.csv", CSV_HEADER, rows)


class InvitationCreateView(InvitationsMixin, FormView):
    permission_required = "invitations.add_invitation"
    form_class = InviteeForm
    template_name = "invitations/add.html"

    def form_valid(self, form):
        invitation = invitees.add_invitation(
            programme=self.programme, user=self.request.user, cleaned=form.person()
        )
        messages.success(self.request, _("%(name)s is on the list.") % {"name": invitation.invitee.name})
        if "another" in self.request.POST:
            return redirect("invitations:add", self.programme.pk)
        return redirect("invitations:list", self.programme.pk)


class StaffReplyView(ProgrammeMixin, FormView):
    """A reply given on paper, by phone or in person, recorded on the person's behalf by the programme's
    facilitators, or by a school coordinator for their own school's people (anyone else's: 404)."""

    permission_required = "invitations.add_invitation"
    form_class = RecordReplyForm
    template_name = "invitations/staff_reply.html"

    @cached_property
    def invitation(self) -> Invitation:
        return get_object_or_404(
            invitees.visible_invitations(programme=self.programme, user=self.request.user).select_related(
                "invitee__organisation", "reply"
            ),
            pk=self.kwargs["invitation_pk"],
        )

    @cached_property
    def sessions(self) -> list[Session]:
        return list(self.programme.sessions.active().select_related("venue").order_by("date", "start_time"))

    @property
    def from_slip(self) -> bool:
        """Opened from a typed reply code (code_views): "Reply slip" is chosen, and after saving the
        office goes back to type the next slip's code."""
        return self.request.GET.get("source") == ReplySource.PAPER

    def get_initial(self):
        initial = super().get_initial()
        return {**initial, "source": ReplySource.PAPER} if self.from_slip else initial

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "sessions": self.sessions,
            "reply": getattr(self.invitation, "reply", None),
            "invitee": self.invitation.invitee,  # "keep me in touch" starts as we have it for them
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            programme=self.programme,
            invitation=self.invitation,
            invitee=self.invitation.invitee,
            reply=getattr(self.invitation, "reply", None),
            languages=INTERPRETER_LANGUAGES,
            past=[],
            venues=[],
            **kwargs,
        )

    def form_valid(self, form):
        try:
            replies.save_reply(
                invitation=self.invitation,
                answers=form.answers(),
                details=form.details(),
                source=form.cleaned_data["source"],
                recorded_by=self.request.user,
            )
        except ValidationError as error:
            form.show_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Saved the reply from %(name)s.") % {"name": self.invitation.invitee.name}
        )
        return redirect("invitations:reply_code" if self.from_slip else "invitations:list", self.programme.pk)


@require_POST
@object_permission_required("invitations.invite_groups", get_programme)
def invite_groups(request: HttpRequest, pk: int) -> HttpResponse:
    programme = get_programme(request, pk)
    added = invitees.invite_organisations(programme=programme, user=request.user)
    if added:
        messages.success(
            request,
            ngettext(
                "Invited %(count)s group or organisation.",
                "Invited %(count)s groups and organisations.",
                added,
            )
            % {"count": added},
        )
    else:
        messages.info(request, _("Every group and organisation with a contact email was already invited."))
    return redirect("invitations:list", programme.pk)


# --- Sent mail, for the embedded default in DEBUG: see what the site "sent" -----------------------------
