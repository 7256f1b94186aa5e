"""People who may be on a programme's list twice, and merging two of them into one (issue 17, part 3)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from events.mixins import ProgrammeMixin

from ..forms import MergeForm
from ..models import Invitation
from ..services import duplicates, merge

# The page lists this many pairs at most; a list with more has a bigger problem than duplicates.
MAX_PAIRS_SHOWN = 200


class DuplicatesView(ProgrammeMixin, TemplateView):
    """Pairs of people on the list who look like one person, side by side, with why."""

    permission_required = "invitations.view_duplicates"
    template_name = "invitations/duplicates.html"

    def get_context_data(self, **kwargs):
        pairs = duplicates.likely_duplicates(programme=self.programme, user=self.request.user)
        return super().get_context_data(
            pairs=pairs[:MAX_PAIRS_SHOWN],
            total=len(pairs),
            people=duplicates.people_in_pairs(pairs),
            **kwargs,
        )


class MergeView(ProgrammeMixin, FormView):
    """The two people side by side (details, every programme they are on that the user looks after,
    replies, attendance, actions led; the others only counted) and, posted, the merge. Both invitations
    must be to this programme (anything else: 404); the user must build its list and may merge the pair
    (a coordinator: both their school's people). Either on a programme the user does not look after: the
    page says so and offers no merge (the service refuses it too)."""

    permission_required = "invitations.merge_people"
    template_name = "invitations/merge.html"
    form_class = MergeForm

    def has_permission(self) -> bool:
        # The programme first, so someone with no business here learns nothing of who is on its list.
        if not self.request.user.has_perm("invitations.view_duplicates", self.programme):
            return False
        return super().has_permission()

    @cached_property
    def pair(self) -> merge.MergePair:
        keep_pk, other_pk = self.kwargs["keep_pk"], self.kwargs["other_pk"]
        if keep_pk == other_pk:
            raise Http404
        found = {
            invitation.pk: invitation
            for invitation in Invitation.objects.filter(
                programme=self.programme,
                pk__in=[keep_pk, other_pk],
                invitee__neighbourhood_id=self.programme.neighbourhood_id,
            ).select_related("invitee__organisation", "programme__neighbourhood")
        }
        if len(found) != 2:
            raise Http404
        return merge.MergePair(self.programme, found[keep_pk], found[other_pk])

    def get_permission_object(self) -> merge.MergePair:
        return self.pair

    @cached_property
    def preview(self) -> merge.MergePreview:
        return merge.merge_preview(
            keep=self.pair.keep.invitee, other=self.pair.other.invitee, user=self.request.user
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "preview": self.preview}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            preview=self.preview,
            keep=self.pair.keep,
            other=self.pair.other,
            swap_url=reverse(
                "invitations:merge", args=[self.programme.pk, self.pair.other.pk, self.pair.keep.pk]
            ),
            **kwargs,
        )
        form = context["form"]
        # What the template lays out side by side: each choice with its two radio buttons (the kept
        # person's first), and each programme with both people's invitations to it.
        context["choices"] = [(detail, form[detail.choice]) for detail in self.preview.choices]
        keep, other = self.preview.keep, self.preview.other
        programmes = []
        for row in self.preview.programmes:
            field = form[row.choice_name] if row.must_choose_reply else None
            radios = list(field) if field is not None else [None, None]
            programmes.append(
                {
                    "row": row,
                    "field": field,
                    "sides": [(keep, row.keep, radios[0], True), (other, row.other, radios[1], False)],
                }
            )
        context["programmes"] = programmes
        context["same"] = [detail for detail in self.preview.details if not detail.differs]
        return context

    def form_valid(self, form: MergeForm) -> HttpResponse:
        try:
            person = merge.merge_people(
                programme=self.programme,
                keep=self.pair.keep,
                other=self.pair.other,
                by=self.request.user,
                details=form.details(),
                replies=form.replies(),
            )
        except ValidationError as error:
            form.show_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Merged into one person: %(name)s, with the replies, attendance and actions of both.")
            % {"name": person.name},
        )
        if duplicates.likely_duplicates(programme=self.programme, user=self.request.user):
            return redirect("invitations:duplicates", self.programme.pk)
        return redirect("invitations:list", self.programme.pk)
