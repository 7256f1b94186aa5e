from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Organisation, Programme, Session

from .enums import LinkState, StaffRole


def link_lifetime() -> timedelta:
    return timedelta(days=settings.STAFF_INVITE_DAYS)


class StaffInvitationQuerySet(models.QuerySet):
    def pending(self) -> "StaffInvitationQuerySet":
        """Neither accepted nor withdrawn: the person may still take it up."""
        return self.filter(accepted_at__isnull=True, withdrawn_at__isnull=True)

    def managed_by(self, user) -> "StaffInvitationQuerySet":
        """Invitations ``user`` may resend or withdraw: must agree with accounts/rules.py. A coordinator's,
        when they facilitate the school's neighbourhood; an artist's, when every session it names is of a
        programme they run (the neighbourhood's facilitators and the programme's own)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        runs = Programme.objects.filter(Q(neighbourhood__facilitators=user) | Q(facilitators=user))
        outside = StaffInvitation.sessions.through.objects.filter(staffinvitation=OuterRef("pk")).exclude(
            session__programme__in=runs.values("pk")
        )
        inside = StaffInvitation.sessions.through.objects.filter(staffinvitation=OuterRef("pk"))
        return self.filter(
            Q(role=StaffRole.COORDINATOR, school__neighbourhood__facilitators=user)
            | (Q(role=StaffRole.ARTIST) & Exists(inside) & ~Exists(outside))
        ).distinct()


class StaffInvitation(models.Model):
    """A facilitator's invitation to a colleague: a school coordinator for one school, or an artist for
    some sessions. The email carries a link whose token is minted when the email is built (only its hash
    is kept here); it works once, for STAFF_INVITE_DAYS, and each resend makes the previous one stop.
    Accepting makes the account (or finds the one with that email) and gives it the role."""

    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"))
    school = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="staff_invitations",
        verbose_name=_("school"),
    )
    sessions = models.ManyToManyField(
        Session, blank=True, related_name="staff_invitations", verbose_name=_("sessions")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    # The link in the newest email: the hash of its token, when it was made (it works STAFF_INVITE_DAYS
    # from then) and which sending it is (the outbox row's version; a resend adds one).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    link_made_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveIntegerField(default=1)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The outbox rows of its emails (core.models.Message, with this invitation as recipient).
    messages = GenericRelation(
        "core.Message",
        content_type_field="recipient_type",
        object_id_field="recipient_id",
        related_query_name="staff_invitation",
    )

    objects = StaffInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("staff invitation")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=StaffRole.COORDINATOR) | Q(school__isnull=False),
                name="coordinator_invitation_names_a_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("accounts:invitations")

    @property
    def expires_at(self) -> datetime | None:
        return self.link_made_at + link_lifetime() if self.link_made_at else None

    def state(self, now: datetime | None = None) -> LinkState:
        if self.withdrawn_at is not None:
            return LinkState.WITHDRAWN
        if self.accepted_at is not None:
            return LinkState.USED
        expires_at = self.expires_at
        if expires_at is None:
            return LinkState.NOT_SENT
        if (now or timezone.now()) >= expires_at:
            return LinkState.EXPIRED
        return LinkState.OPEN
