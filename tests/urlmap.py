"""Every URL name in the project, how to build it from the test world, and who may open it.

The permission matrix and the browser's accessibility scan both read this table, and a test checks it
covers every name in the URLconf, so a new URL cannot be forgotten.
"""

import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from core.images import LOGO_LIMITS, normalise_image

OK, REDIRECT, FORBIDDEN, NOT_ALLOWED = 200, 302, 403, 405


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: object = None  # a function of the world returning the URL's kwargs
    method: str = "get"
    # role -> expected status; roles not named expect `default`
    expect: dict = field(default_factory=dict)
    default: int = FORBIDDEN
    anonymous: int = REDIRECT
    page: bool = True  # an HTML page worth scanning for accessibility

    def status_for(self, role: str) -> int:
        if role == "anonymous":
            return self.anonymous
        return self.expect.get(role, self.default)


def _with_logo(world):
    if not world.school.logo:
        buffer = io.BytesIO()
        Image.new("RGB", (40, 40), "teal").save(buffer, "PNG")
        upload = ContentFile(buffer.getvalue(), name="logo.png")
        world.school.logo.save("logo.png", normalise_image(upload, limits=LOGO_LIMITS))
    return {"pk": world.school.pk}


def _cancelled_session(world):
    """The programme's last session, cancelled (to be put back on)."""
    from events.services import cancel_session

    session = world.programme.sessions.order_by("order").last()
    cancel_session(session=session)
    return {"pk": session.pk}


def _waiting_change(world):
    """A change to the programme's first session, waiting to be told."""
    from django.utils import timezone

    from invitations.models import SessionChange

    session = world.session
    change = SessionChange.objects.create(
        session=session,
        was_date=session.date,
        was_start_time=session.start_time,
        was_end_time=session.end_time,
        was_venue=session.venue,
        tell_at=timezone.now(),
    )
    return {"pk": change.pk}


def _reply_token(world):
    """A reply link for an invitation to the world's programme: it works for anyone who holds it."""
    from invitations.services.emails import issue_reply_link
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(programme=world.programme)
    reply_url, _ = issue_reply_link(invitation=invitation)
    return {"token": reply_url.rstrip("/").rsplit("/", 1)[1]}


def _replied_token(world):
    """A reply link for someone who has already answered (the thank-you page and the calendar)."""
    from invitations.services.replies import find_invitation, save_reply

    kwargs = _reply_token(world)
    invitation = find_invitation(token=kwargs["token"])
    save_reply(invitation=invitation, answers={world.session.pk: "yes"}, details={})
    return kwargs


def _school_invitation(world):
    """Someone from the coordinator's own school on the programme's list."""
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(programme=world.programme, invitee__organisation=world.school)
    return {"pk": world.programme.pk, "invitation_pk": invitation.pk}


FACILITATORS = {"facilitator": OK, "admin": OK}
SIGNED_IN = ["other_facilitator", "facilitator", "other_coordinator", "coordinator", "artist", "admin"]
EVERYONE = {role: OK for role in SIGNED_IN}

ROUTES = [
    Route("login", expect={}, default=REDIRECT, anonymous=OK),
    Route("logout", method="post", default=REDIRECT, page=False),
    Route("healthz", default=OK, anonymous=OK, page=False),
    # An email provider's webhook: no session counts, only its signature and basic auth (unset here).
    Route("email_tracking", method="post", anonymous=FORBIDDEN, page=False),
    # GOV.UK Notify's callbacks: no session counts, only its bearer token (none is sent here).
    Route("notify_callback", method="post", anonymous=FORBIDDEN, page=False),
    # The privacy notice and the accessibility statement, which every page's footer links to (core.public).
    Route("privacy", default=OK, anonymous=OK),
    Route("accessibility", default=OK, anonymous=OK),
    Route("events:dashboard", expect=EVERYONE),
    Route("events:neighbourhood_detail", lambda w: {"pk": w.neighbourhood.pk}, expect=FACILITATORS),
    Route("events:organisation_create", lambda w: {"pk": w.neighbourhood.pk}, expect=FACILITATORS),
    Route("events:organisation_update", lambda w: {"pk": w.school.pk}, expect=FACILITATORS),
    Route(
        "events:organisation_logo",
        _with_logo,
        expect={**FACILITATORS, "coordinator": OK},
        page=False,
    ),
    Route("events:venue_create", lambda w: {"pk": w.neighbourhood.pk}, expect=FACILITATORS),
    Route("events:venue_update", lambda w: {"pk": w.venue.pk}, expect=FACILITATORS),
    Route("events:programme_create", expect={**FACILITATORS, "other_facilitator": OK}),
    Route(
        "events:programme_detail",
        lambda w: {"pk": w.programme.pk},
        expect={**FACILITATORS, "coordinator": OK, "artist": OK},
    ),
    Route("events:programme_update", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route("events:programme_checklist", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route("events:session_create", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route(
        "events:session_detail",
        lambda w: {"pk": w.session.pk},
        expect={**FACILITATORS, "coordinator": OK, "artist": OK},
    ),
    Route("events:session_update", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("events:session_cancel", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route(
        "events:session_cancel",
        lambda w: {"pk": w.session.pk},
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
    Route("events:session_reinstate", _cancelled_session, expect=FACILITATORS),
    Route(
        "events:session_reinstate",
        _cancelled_session,
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
]
ROUTES += [
    Route("invitations:reply", _reply_token, default=OK, anonymous=OK),
    Route("invitations:unsubscribe", _reply_token, default=OK, anonymous=OK),
    Route("invitations:reply_thanks", _replied_token, default=OK, anonymous=OK),
    Route("invitations:reply_calendar", _replied_token, default=OK, anonymous=OK, page=False),
]
# Facilitators and admins build the whole list; a participating school's coordinator, their school's part.
LIST_BUILDERS = {**FACILITATORS, "coordinator": OK}
NOT_FOUND = 404
ROUTES += [
    Route("invitations:list", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:list_csv", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS, page=False),
    Route("invitations:add", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:staff_reply", _school_invitation, expect=LIST_BUILDERS),
    Route("invitations:reply_code", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:import", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:import_example", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS, page=False),
    Route(
        "invitations:invite_groups",
        lambda w: {"pk": w.programme.pk},
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
    Route(
        "invitations:tell_change",
        _waiting_change,
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
    # Sent mail exists only on a copy in DEBUG that keeps mail as files (tests/invitations/test_mailbox.py
    # checks who may read it then); with DEBUG off, as here, there is no such page for anyone.
    Route("invitations:mailbox", default=NOT_FOUND, anonymous=NOT_FOUND, page=False),
    Route(
        "invitations:mailbox_message",
        lambda w: {"name": "20260101-090000-000000-abcd1234.eml"},
        default=NOT_FOUND,
        anonymous=NOT_FOUND,
        page=False,
    ),
    Route(
        "invitations:mailbox_message_html",
        lambda w: {"name": "20260101-090000-000000-abcd1234.eml"},
        default=NOT_FOUND,
        anonymous=NOT_FOUND,
        page=False,
    ),
    # Sent texts likewise: only in DEBUG with texts kept as files (tests/invitations/test_sent_texts.py).
    Route("invitations:mailbox_texts", default=NOT_FOUND, anonymous=NOT_FOUND, page=False),
    Route(
        "invitations:mailbox_text",
        lambda w: {"name": "20260101-090000-000000-abcd1234.json"},
        default=NOT_FOUND,
        anonymous=NOT_FOUND,
        page=False,
    ),
]
# Who is coming and what they need: personal, so the programme's facilitators and admins only.
ROUTES += [
    Route("invitations:sheets", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route(
        "invitations:sheet",
        lambda w: {"pk": w.programme.pk, "session_pk": w.session.pk, "kind": "creche"},
        expect=FACILITATORS,
    ),
    Route(
        "invitations:sheet_csv",
        lambda w: {"pk": w.programme.pk, "session_pk": w.session.pk, "kind": "creche"},
        expect=FACILITATORS,
        page=False,
    ),
]


def _letter_batch(world):
    """A finished batch of letters for the coordinator's school."""
    from invitations.enums import LetterState
    from invitations.models import LetterBatch

    batch = LetterBatch.objects.create(
        programme=world.programme,
        school=world.school,
        fingerprint="x",
        state=LetterState.READY,
        pages_total=1,
    )
    batch.file.save("letters.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return {"pk": world.programme.pk, "batch_pk": batch.pk}


def _letter_invitation(world):
    """Someone from the coordinator's school reached by letter."""
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(
        programme=world.programme, invitee__organisation=world.school, invitee__channel="letter"
    )
    return {"pk": world.programme.pk, "invitation_pk": invitation.pk}


# Letters: the programme's facilitators for every school, a coordinator for their own school.
ROUTES += [
    Route("invitations:letters", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:letter_batch", _letter_batch, expect=LIST_BUILDERS),
    Route("invitations:letter_download", _letter_batch, expect=LIST_BUILDERS, page=False),
    Route("invitations:letter_one", _letter_invitation, expect=LIST_BUILDERS, page=False),
]
# The call list: the programme's facilitators for everyone, a coordinator for their own school
# (another school's, asked for by ?school=: 403, tests/invitations/test_reach.py).
ROUTES += [
    Route("invitations:not_reached", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:not_reached_csv", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS, page=False),
]


# The words of the letter: the programme's facilitators write them; the check is a POST that answers JSON.
ROUTES += [
    Route("invitations:letter_wording", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route(
        "invitations:letter_wording_check",
        lambda w: {"pk": w.programme.pk},
        method="post",
        expect=FACILITATORS,
        page=False,
    ),
]


def _school_invitee_not_reached(world):
    """Someone from the coordinator's school on the list whose email bounced: moved to a letter."""
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(
        programme=world.programme,
        invitee__organisation=world.school,
        invitee__channel="letter",
        invitee__email_failed="550 5.1.1 No such user",
        invitee__fell_back_from="email",
    )
    return {"pk": invitation.invitee.pk}


# Fixing an address or number: the person's neighbourhood's facilitators and their school's coordinators.
ROUTES += [Route("invitations:fix_contact", _school_invitee_not_reached, expect=LIST_BUILDERS)]


# --- One person on a list: edit, history and undo, remove and put back (invitations/views/people.py) -----


def _edited_school_invitation(world):
    """Someone from the coordinator's school whose name and address were corrected: a line of history."""
    from invitations.services.people import edit_person

    kwargs = _school_invitation(world)
    invitation = world.programme.invitations.get(pk=kwargs["invitation_pk"])
    edit_person(
        invitation=invitation,
        details={"name": "Amira Khan-Rahmanova", "address": "Flat 12, 3 Bridgewater-under-Lyme Road"},
        by=world.user("facilitator"),
    )
    return kwargs


def _change_to_undo(world):
    """That line of history, to undo."""
    kwargs = _edited_school_invitation(world)
    line = world.programme.invitations.get(pk=kwargs["invitation_pk"]).invitee.history.get()
    return {**kwargs, "change_pk": line.pk}


def _removed_school_invitation(world):
    """Someone from the coordinator's school taken off the list, with their reply kept (the history and
    the removal page show it)."""
    from invitations.services.people import remove_from_list
    from invitations.services.replies import save_reply

    kwargs = _school_invitation(world)
    invitation = world.programme.invitations.get(pk=kwargs["invitation_pk"])
    save_reply(invitation=invitation, answers={world.session.pk: "yes"}, details={})
    remove_from_list(invitation=invitation, by=world.user("facilitator"), confirmed=True)
    return kwargs


# The programme's facilitators for anyone on its list; a coordinator for their own school's people (another
# school's: 403, tests/invitations/test_people_edit.py and test_remove.py).
PEOPLE_CHANGERS = {"facilitator": REDIRECT, "admin": REDIRECT, "coordinator": REDIRECT}
ROUTES += [
    Route("invitations:edit_person", _school_invitation, expect=LIST_BUILDERS),
    Route("invitations:edit_person", _school_invitation, method="post", expect=LIST_BUILDERS, page=False),
    Route("invitations:person_history", _edited_school_invitation, expect=LIST_BUILDERS),
    Route("invitations:person_history", _removed_school_invitation, expect=LIST_BUILDERS),
    Route("invitations:undo_change", _change_to_undo, method="post", expect=PEOPLE_CHANGERS, page=False),
    Route("invitations:remove", _school_invitation, expect=LIST_BUILDERS),
    Route("invitations:remove", _removed_school_invitation, expect=LIST_BUILDERS),
    Route("invitations:remove", _school_invitation, method="post", expect=PEOPLE_CHANGERS, page=False),
    Route(
        "invitations:put_back", _removed_school_invitation, method="post", expect=PEOPLE_CHANGERS, page=False
    ),
]


def _school_pair(world):
    """Two people of the coordinator's school who look like one (the same name, accents and case
    aside), on the programme's list: the one added first kept."""
    from tests.factories import InvitationFactory

    first = InvitationFactory(
        programme=world.programme, invitee__name="Grace Obi", invitee__organisation=world.school
    )
    second = InvitationFactory(
        programme=world.programme, invitee__name="gráce OBI", invitee__organisation=world.school
    )
    return {"pk": world.programme.pk, "keep_pk": first.pk, "other_pk": second.pk}


# Likely duplicates and merging two people (issue 17, part 3): whoever builds the list; a coordinator
# only for two of their own school's people (another school's: 403, tests/invitations/test_merge.py).
# The POST without choices shows the form again with its errors, merging nothing.
ROUTES += [
    Route("invitations:duplicates", lambda w: {"pk": w.programme.pk}, expect=LIST_BUILDERS),
    Route("invitations:merge", _school_pair, expect=LIST_BUILDERS),
    Route("invitations:merge", _school_pair, method="post", expect=LIST_BUILDERS, page=False),
]

# The audit log (issue 18, part 6; core.audit_views): administrators only, not facilitators (the log names
# every member of staff's actions, their own included). tests/core/test_audit.py: a DPO's account with
# auditlog's view permission alone may read it too.
ROUTES += [Route("audit:log", expect={"admin": OK})]

# Each later app keeps its rows beside its tests; imported here, after everything they use is defined.
from tests.accounts.staff_routes import ROUTES as STAFF_ROUTES  # noqa: E402
from tests.accounts.twofactor_routes import ROUTES as TWO_FACTOR_ROUTES  # noqa: E402
from tests.actions.routes import ROUTES as ACTIONS_ROUTES  # noqa: E402
from tests.artwork.routes import ROUTES as ARTWORK_ROUTES  # noqa: E402
from tests.evaluations.routes import ROUTES as EVALUATIONS_ROUTES  # noqa: E402
from tests.records.routes import ROUTES as RECORDS_ROUTES  # noqa: E402

ROUTES += ARTWORK_ROUTES + EVALUATIONS_ROUTES + ACTIONS_ROUTES + RECORDS_ROUTES
ROUTES += STAFF_ROUTES
ROUTES += TWO_FACTOR_ROUTES  # two-factor sign-in (issue 19, part 4)
ROUTES_BY_NAME = {route.name: route for route in ROUTES}


def project_url_names() -> set[str]:
    """Every named URL in the URLconf except Django's admin, which has its own permissions."""
    names: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names
