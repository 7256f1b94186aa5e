from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from artwork.models import Artwork, Theme
from core.models import Message
from events.models import Programme, Session
from invitations.models import Invitation

from .enums import ActionStatus, LinkState, UpdateSource

MAX_TEXT = 2000


class Action(models.Model):
    """Something the group decided to do, who leads it (a participant: a parent, school staff member or
    group worker on the programme's list), and how it is going."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="actions")
    # The half-day where it was raised.
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    what = models.CharField(_("what we will do"), max_length=200)
    why = models.TextField(_("why"), max_length=MAX_TEXT, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="actions", verbose_name=_("themes"))
    artworks = models.ManyToManyField(
        Artwork, blank=True, related_name="actions", verbose_name=_("pictures it came from")
    )
    lead = models.ForeignKey(
        Invitation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_actions",
        verbose_name=_("who leads it"),
    )
    helpers = models.CharField(_("who helps"), max_length=300, blank=True)
    due = models.DateField(_("by when"), null=True, blank=True)
    first_step = models.CharField(_("first step"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.IDEA
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.what

    def get_absolute_url(self) -> str:
        return reverse("actions:detail", args=[self.pk])


class ActionUpdate(models.Model):
    """A short note on how an action is going, from the team or from its lead's link."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("what has happened"), max_length=MAX_TEXT)
    status_before = models.CharField(max_length=12, choices=ActionStatus.choices)
    status_after = models.CharField(max_length=12, choices=ActionStatus.choices)
    source = models.CharField(max_length=8, choices=UpdateSource.choices, default=UpdateSource.TEAM)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"update on {self.action}"


class LeadLink(models.Model):
    """An action's lead's update link. Only the token's hash is kept. An emailed link travels in a row of
    the one outbox (``message``: kind "lead_link", this link its topic), which mints the token just before
    the email goes; a link handed over on paper has no message and works from the moment it is made.
    It works while its person leads the action and it has not been revoked, until LEAD_LINK_GRACE_DAYS
    after the programme's last session (links.find_lead_link, links.has_expired)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="lead_links")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, blank=True)
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Switched off for good: set when the action's lead changes (links.revoke_other_leads_links), so a
    # link stays off even if this person leads the action again.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "token_hash",
                condition=~models.Q(token_hash=""),
                name="unique_lead_link_token",
            )
        ]

    def __str__(self) -> str:
        return f"link for {self.action} ({self.get_state_display()})"

    @property
    def state(self) -> str:
        """Where its email is (LinkState); a printed link is "sent" from the start."""
        return self.message.state if self.message else LinkState.SENT

    def get_state_display(self) -> str:
        return str(LinkState(self.state).label)

    @property
    def sent_at(self):
        return self.message.sent_at if self.message else self.created_at

    @property
    def last_error(self) -> str:
        return self.message.last_error if self.message else ""
