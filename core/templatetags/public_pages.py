"""The privacy notice's address in what we send: ``{% privacy_url %}`` in an email or a text (the full
address), ``{% privacy_url bare=True %}`` on paper (as people type it, without "https://")."""

from django import template

from core.public import privacy_address
from core.public import privacy_url as full_privacy_url

register = template.Library()


@register.simple_tag
def privacy_url(*, bare: bool = False) -> str:
    return privacy_address() if bare else full_privacy_url()
