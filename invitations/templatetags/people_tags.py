"""What the invitation list shows about its people without the list view knowing: how many may be on
it twice (templates/invitations/_duplicates_link.html)."""

from django import template

from ..services import duplicates

register = template.Library()


@register.simple_tag(takes_context=True)
def possible_duplicates(context) -> int:
    """How many people on ``context["programme"]``'s list, among those the signed-in user may see, look
    like someone else on it (services.duplicates). One query for the people, and the permission check;
    0 without a programme or a user."""
    programme = context.get("programme")
    request = context.get("request")
    user = getattr(request, "user", None)
    if programme is None or user is None or not user.is_authenticated:
        return 0
    return duplicates.people_in_pairs(duplicates.likely_duplicates(programme=programme, user=user))
