"""Building a programme's invitation list: the list, its CSV, adding people, importing, inviting groups,
and replies recorded by the team (paper, phone, in person)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from core.downloads import csv_response
from core.models import Message
from core.permissions import object_permission_required
from events.enums import OrganisationKind, ProgrammeStatus
from events.mixins import ProgrammeMixin, get_programme
from events.models import Programme, Session

from ..enums import MessageState, ReplySource
from ..forms import (
    INTERPRETER_LANGUAGES,
    InviteeForm,
    RecordReplyForm,
)
from ..models import Invitation, SessionAnswer
from ..services import invitees, replies
from ..templatetags.invitation_tags import message_kind, message_state, not_working


class InvitationsMixin(ProgrammeMixin):
    """The programme named by the URL, checked against the view's permission."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "programme": self.programme, "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)


def _invitations_with_messages(*, programme: Programme, user) -> QuerySet[Invitation]:
    """The invitations this user may see, with everything the list shows: no query per person."""
    return (
        invitees.visible_invitations(programme=programme, user=user)
        .select_related("invitee__organisation", "reply")
        .prefetch_related(
            Prefetch(
                "messages", queryset=Message.objects.prefetch_related("topic").order_by("scheduled_for", "pk")
            ),
            Prefetch(
                "reply__answers",
                queryset=SessionAnswer.objects.select_related("session").order_by(
                    "session__date", "session__start_time"
                ),
            ),
        )
    )


class InvitationListView(InvitationsMixin, TemplateView):
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
        invitations = list(_invitations_with_messages(programme=programme, user=user))
        return super().get_context_data(
            invitations=invitations,
            # The failed messages among those already loaded, for "see why" (#failed): no extra query.
            failed=[
                (invitation, message)
                for invitation in invitations
                for message in invitation.messages.all()
                if message.state == MessageState.FAILED
            ],
            balance=invitees.list_balance(programme=programme),
            # Whose address or number this user may fix (invitations:fix_contact), for the whole list.
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


@object_permission_required("invitations.view_invitations", get_programme)
def invitation_list_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The list as a spreadsheet, in the same columns the upload takes. No cell is ever a formula."""
    programme = get_programme(request, pk)
    is_open = programme.status == ProgrammeStatus.OPEN
    rows = []
    for invitation in _invitations_with_messages(programme=programme, user=request.user):
        invitee = invitation.invitee
        rows.append(
            [
                invitee.name,
                invitee.get_category_display(),
                invitee.get_staff_role_display(),
                invitee.organisation.name if invitee.organisation else "",
                invitee.email,
                invitee.phone,
                invitee.get_language_display(),
                invitees.ways_label(invitee.channel, invitee.texts_too),
                _("yes") if invitation.opted_out_at else "",
                "; ".join(
                    f"{message_kind(message)}: {message_state(message, is_open)}"
                    for message in invitation.messages.all()
                ),
                invitees.written_mobile(invitee.mobile),
                (_("yes") if invitee.texts_agreed else _("no")) if invitee.mobile else "",
                _("yes") if invitee.interpreter else "",
                "; ".join(not_working(invitee)),
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
