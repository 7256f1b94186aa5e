from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import Session
from invitations.models import Invitation

from .enums import ArrivalSource, WordSource, WordState

# The words people say are short; anything longer is refused or trimmed to its first word by the service.
MAX_WORD_LENGTH = 40


class Attendance(models.Model):
    """Someone on the programme's list who came to a session. Walk-ins are added to the list first
    (an Invitation with ``met_on_the_day``), so everyone who came is one kind of row."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="attendances")
    source = models.CharField(max_length=16, choices=ArrivalSource.choices, default=ArrivalSource.ON_THE_DAY)
    arrived_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["arrived_at"]
        constraints = [models.UniqueConstraint("session", "invitation", name="arrive_once_per_session")]

    def __str__(self) -> str:
        return f"{self.invitation.invitee} at {self.session}"


class WordQuerySet(models.QuerySet):
    def shown(self) -> "WordQuerySet":
        return self.filter(state=WordState.SHOWN)


class Word(models.Model):
    """The one word someone said at the end of a session: as said, and normalised for counting."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="words")
    said = models.CharField(_("word"), max_length=MAX_WORD_LENGTH)
    normalised = models.CharField(max_length=MAX_WORD_LENGTH, db_index=True)
    # The speaker's balance group (parents / school_staff / groups, as invitations.enums.BALANCE_GROUPS),
    # or empty when not tagged.
    group = models.CharField(_("group"), max_length=16, blank=True)
    source = models.CharField(max_length=8, choices=WordSource.choices, default=WordSource.TYPED)
    state = models.CharField(max_length=10, choices=WordState.choices, default=WordState.SHOWN)
    # Phones: a hash of the cookie the phone page sets, so each phone gives one word per session.
    phone_hash = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WordQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "session", "phone_hash", condition=~Q(phone_hash=""), name="one_word_per_phone_per_session"
            )
        ]

    def __str__(self) -> str:
        return self.said


class WordLink(models.Model):
    """The link behind the QR code shown on screen, which opens the one-word page on people's phones.
    Only the hash of its token is kept."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="word_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"word link for {self.session}"
