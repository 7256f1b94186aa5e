import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from events.models import Programme, Session

from .enums import ImageState, Visibility

MAX_DESCRIPTION = 2000


def _random_name(folder: str, extension: str) -> str:
    # Random names: the file name says nothing about the picture and cannot be guessed.
    return f"artwork/{folder}/{secrets.token_hex(16)}.{extension}"


def original_upload_to(instance: "Artwork", filename: str) -> str:
    return _random_name("originals", filename.rsplit(".", 1)[-1].lower())


def display_upload_to(instance: "Artwork", filename: str) -> str:
    return _random_name("display", "jpg")


def thumbnail_upload_to(instance: "Artwork", filename: str) -> str:
    return _random_name("thumbnails", "jpg")


class Theme(models.Model):
    """A free tag on a programme's artwork ("play space", "feeling listened to"). Kept per programme so
    later uploads can suggest the earlier ones, and so actions can say which themes they came from."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("theme"), max_length=60)
    # Lower-cased, single-spaced name: "Play  Space" and "play space" are one theme.
    key = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("programme", "key", name="one_theme_per_name")]

    def __str__(self) -> str:
        return self.name


class ArtworkQuerySet(models.QuerySet):
    def in_gallery_order(self) -> "ArtworkQuerySet":
        return self.order_by("-pinned", "position", "created_at", "pk")

    def beyond_the_team(self, visibility: str) -> "ArtworkQuerySet":
        """Artwork that may be shown to people outside the team: ready, described, shared at least as
        widely as ``visibility``, and never a picture of people who have not agreed."""
        wider = (
            [Visibility.EVERYONE]
            if visibility == Visibility.EVERYONE
            else [
                Visibility.PARTICIPANTS,
                Visibility.EVERYONE,
            ]
        )
        return (
            self.filter(state=ImageState.READY, visibility__in=wider)
            .exclude(description="")
            .exclude(shows_people=True, people_agreed=False)
        )


class Artwork(models.Model):
    """A picture drawn at a session: the record of what people said. ``description`` is what it shows in
    words, and is its alternative text; artwork without one is kept for the team until it is described."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="artworks")
    artist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="artworks",
        verbose_name=_("artist"),
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    description = models.TextField(
        _("what it shows"),
        max_length=MAX_DESCRIPTION,
        blank=True,
        help_text=_(
            "The key points in the picture, in words, for anyone who cannot see it. "
            "This is read out by screen readers and printed in the record."
        ),
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="artworks", verbose_name=_("themes"))
    shows_people = models.BooleanField(_("people can be recognised in it"), default=False)
    people_agreed = models.BooleanField(_("they agreed to it being shared"), default=False)
    visibility = models.CharField(
        _("who may see it"), max_length=16, choices=Visibility.choices, default=Visibility.TEAM
    )
    pinned = models.BooleanField(_("pinned to the top"), default=False)
    position = models.PositiveIntegerField(default=0)

    # The original as uploaded (re-encoded, so without metadata), for the team; the display size and
    # thumbnail are made from it by a task.
    original = models.ImageField(upload_to=original_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    display = models.ImageField(upload_to=display_upload_to, blank=True)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True)
    state = models.CharField(max_length=12, choices=ImageState.choices, default=ImageState.PROCESSING)
    original_name = models.CharField(max_length=255, blank=True)
    # Set by the browser for each file, so a retried upload whose answer was lost is not saved twice. It
    # is the uploader's own: the same key from someone else (or another session) is another picture.
    upload_key = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArtworkQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "position", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "session",
                "uploaded_by",
                "upload_key",
                condition=~Q(upload_key=""),
                name="one_artwork_per_uploaders_key",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.original_name or f"artwork {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("artwork:detail", args=[self.pk])

    @property
    def is_described(self) -> bool:
        return bool(self.description.strip())

    @property
    def may_leave_the_team(self) -> bool:
        return self.is_described and not (self.shows_people and not self.people_agreed)
