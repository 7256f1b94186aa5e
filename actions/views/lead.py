"""The pages an action's lead opens from their emailed link, without an account. The token rules are the
reply page's (core.tokenpages): rate-limited, never cached or indexed, the token never sent to another
site as a referrer, an unknown token is a plain 404, and opening the page (GET) never changes anything.
A link whose time is over (links.has_expired) opens a kind page saying so, and who to ask, instead."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from core.tokenpages import link_page

from ..enums import ActionStatus, UpdateSource
from ..forms import LeadUpdateForm
from ..models import LeadLink
from ..services import links, planning

# Opens the link named by the token (only a sent link works), or answers a plain 404.
lead_page = link_page(
    lambda token: links.find_lead_link(token=token),
    scope="action-links",
    language_of=lambda link: link.invitation.invitee.language,
)


def _ended(request: HttpRequest, link: LeadLink) -> HttpResponse:
    """The page for a link whose time is over: nothing on it can be changed any more."""
    programme = link.action.programme
    context = {
        "action": link.action,
        "programme": programme,
        "invitee": link.invitation.invitee,
        "facilitators": [
            person.get_full_name() or person.get_username()
            for person in programme.facilitators.order_by("first_name", "last_name", "pk")
        ],
    }
    return render(request, "actions/lead_link_ended.html", context, status=410)


def _context(link: LeadLink, token: str, form=None) -> dict:
    action = link.action
    return {
        "action": action,
        "programme": action.programme,
        "invitee": link.invitation.invitee,
        "updates": list(action.updates.order_by("-created_at", "-pk")),
        "token": token,
        "form": form,
    }


@lead_page
@require_http_methods(["GET", "HEAD", "POST"])
def lead_update(request: HttpRequest, link: LeadLink, token: str) -> HttpResponse:
    """The lead's action, its updates, and a form to say what has happened. The link opens only the action
    it was sent for: nothing here takes an action's id from the request."""
    if links.has_expired(link=link):
        return _ended(request, link)
    action = link.action
    if request.method == "POST":
        form = LeadUpdateForm(request.POST)
        if form.is_valid():
            try:
                planning.add_update(
                    action=action,
                    text=form.cleaned_data["text"],
                    status=form.cleaned_data["status"],
                    source=UpdateSource.LEAD,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("actions:lead_thanks", token)
    else:
        initial = action.status if action.status in planning.LEAD_STATUSES else ActionStatus.UNDER_WAY
        form = LeadUpdateForm(initial={"status": initial})
    return render(request, "actions/lead_update.html", _context(link, token, form))


@lead_page
@require_safe
def lead_thanks(request: HttpRequest, link: LeadLink, token: str) -> HttpResponse:
    if links.has_expired(link=link):
        return _ended(request, link)
    return render(request, "actions/lead_thanks.html", _context(link, token))
