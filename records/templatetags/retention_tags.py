"""The programme page's retention section (templates/records/_retention_panel.html): events shows it
without importing the apps above it."""

from django import template

from events.models import Programme

from ..services.retention import RetentionPlan, plan_for

register = template.Library()


@register.simple_tag
def retention_plan(programme: Programme) -> RetentionPlan:
    """What the programme's retention deletes, and when (two queries)."""
    return plan_for(programme=programme)
