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


# --- One person's data (issue 18: subject access and erasure; records/views_people.py) -------------------
# The search: administrators, facilitators (their neighbourhood's people) and school coordinators (their
# own school's); artists have no such search. A person's pages: the person's neighbourhood's facilitators
# and their school's coordinators (another school's person: 403, tests/records/test_subject_access.py).
FINDERS = {**FACILITATORS, "other_facilitator": OK, "coordinator": OK, "other_coordinator": OK}
LOOKS_AFTER = {**FACILITATORS, "coordinator": OK}


def _school_person(world):
    """Someone from the coordinator's school on the programme's list, with a reply and needs."""
    from invitations.models import Invitation
    from invitations.services.replies import save_reply
    from tests.factories import InvitationFactory

    email = "amira.khan-rahmanova@millbrook-community-partnership.org.uk"
    made = Invitation.objects.filter(programme=world.programme, invitee__email=email).first()
    if made is not None:  # the accessibility scan builds every row in one world
        return {"pk": made.invitee_id}
    invitation = InvitationFactory(
        programme=world.programme,
        invitee__name="Amira Khan-Rahmanova",
        invitee__email=email,
        invitee__phone="0161 496 0000",
        invitee__organisation=world.school,
    )
    save_reply(
        invitation=invitation,
        answers={world.session.pk: "yes"},
        details={"needs_agreed": True, "food_needs": "Halal, and no nuts please", "childcare_children": 1},
    )
    return {"pk": invitation.invitee_id}


ROUTES += [
    Route("records:find_people", expect=FINDERS),
    Route("records:person", _school_person, expect=LOOKS_AFTER),
    Route("records:person_pdf", _school_person, expect=LOOKS_AFTER, page=False),
    Route("records:person_json", _school_person, expect=LOOKS_AFTER, page=False),
    Route("records:erase_person", _school_person, expect=LOOKS_AFTER),
    Route(
        "records:erase_person",
        _school_person,
        method="post",
        expect={role: REDIRECT for role in LOOKS_AFTER},
        page=False,
    ),
]


# --- A programme's personal data deleted now (records/views_retention.py) ------------------------------
# Its facilitators. The world's programme is still to come: the POST is refused with a message (302).
ROUTES += [
    Route("records:delete_programme_data", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route(
        "records:delete_programme_data",
        lambda w: {"pk": w.programme.pk},
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
]
