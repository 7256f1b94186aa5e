"""The numbers the "One word each" panels show on the session and programme pages, one query each."""

from django import template
from django.db.models import Count, Q

from evaluations.enums import WordState
from evaluations.models import Word

register = template.Library()


def _numbers(words) -> dict:
    return words.aggregate(
        shown=Count("pk", filter=Q(state=WordState.SHOWN)),
        waiting=Count("pk", filter=Q(state__in=[WordState.WAITING, WordState.HELD])),
    )


@register.simple_tag
def session_word_numbers(session) -> dict:
    """{"shown": …, "waiting": …} for one session."""
    return _numbers(Word.objects.filter(session=session))


@register.simple_tag
def programme_word_numbers(programme) -> dict:
    """{"shown": …, "waiting": …} for every session of a programme."""
    return _numbers(Word.objects.filter(session__programme=programme))
