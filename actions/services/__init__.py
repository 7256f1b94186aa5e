"""Action planning at the half-day workshops.

- ``reading``: reading a programme's actions, who leads them, the CSV (``programme_actions`` and
  ``leadership`` are what the event record reads);
- ``workshop``: what a workshop starts from (the all-day's themes and words, what changed since the last);
- ``planning``: who may lead, saving actions and updates;
- ``links``: the emailed update links for leads without accounts.

Nothing here is imported by events, invitations, artwork or evaluations.
"""

from .reading import LeadCount, leadership, programme_actions

__all__ = ["LeadCount", "leadership", "programme_actions"]
