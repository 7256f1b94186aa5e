import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.jobs import PdfJob
from events.models import Programme, Session


def record_upload_to(instance: "EventRecord", filename: str) -> str:
    # A random name: the file's address says nothing about the programme and cannot be guessed.
    return f"records/{instance.programme_id}/{secrets.token_hex(16)}.pdf"


class EventRecord(PdfJob):
    """One PDF of the event record: of one session, or (``session`` empty) of the whole programme. Made
    through the one PDF job lifecycle (core.jobs: fingerprint, state, claim, file, error, times).

    ``fingerprint`` is a hash of everything printed (pictures, descriptions, themes, numbers, words,
    actions): when it no longer matches, the PDF is out of date and the next request makes a fresh one."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="event_records")
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, null=True, blank=True, related_name="event_records"
    )
    file = models.FileField(upload_to=record_upload_to, blank=True)
    pages = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(PdfJob.Meta):
        verbose_name = _("event record")

    def __str__(self) -> str:
        about = self.session or self.programme
        return f"Record of {about} ({self.get_state_display()})"
