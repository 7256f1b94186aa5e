"""The records app's rows of the URL table in tests/urlmap.py (which reads them in at its end)."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route

ROUTES: list[Route] = []

# The record is the team's: the programme's facilitators, its schools' coordinators and its artists.
TEAM = {**FACILITATORS, "coordinator": OK, "artist": OK}
TEAM_POSTING = {role: REDIRECT for role in TEAM}


def _record(world, *, ready: bool):
    """A record of the world's first session: ready with a (tiny) PDF, or still waiting."""
    from django.core.files.base import ContentFile

    from records.enums import RecordState
    from records.models import EventRecord

    record = EventRecord.objects.create(programme=world.programme, session=world.session, fingerprint="x")
    if ready:
        record.file.save("record.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        record.state, record.pages = RecordState.READY, 1
        record.save()
    return {"pk": record.pk}


ROUTES += [
    Route("records:session_record", lambda w: {"pk": w.session.pk}, expect=TEAM),
    Route("records:programme_record", lambda w: {"pk": w.programme.pk}, expect=TEAM),
    Route(
        "records:request_session_record",
        lambda w: {"pk": w.session.pk},
        method="post",
        expect=TEAM_POSTING,
        page=False,
    ),
    Route(
        "records:request_programme_record",
        lambda w: {"pk": w.programme.pk},
        method="post",
        expect=TEAM_POSTING,
        page=False,
    ),
    Route("records:record_status", lambda w: _record(w, ready=False), expect=TEAM),
    Route("records:record_download", lambda w: _record(w, ready=True), expect=TEAM, page=False),
]
