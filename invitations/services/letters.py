"""Printed letters for parents reached through school: the reply codes on their slips, one HTML page per
person, the PDF made from it by WeasyPrint (fetching only our own static and media files), and the
batches a school coordinator asks for and downloads.

Three letters: the invitation, a reminder of one session, and a change to one session (services.changes:
a told change's notices by letter wait in the outbox, "scheduled", for the school). A change batch prints
the school's people whose change letter is still to print. Downloading a batch marks its rows printed
(mark_printed; one person's letter, mark_one_printed), so the letters page, the invitation list
(services.status) and the call list (services.reach) then say so."""

import base64
import hashlib
import io
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import jobs, languages
from core.mail import render_plain
from core.models import Message
from core.pdf import qr_svg, render_pdf, url_fetcher  # noqa: F401 (tests use them from here)
from core.queue import enqueue
from core.users import User
from events.models import Organisation, Programme, Session
from events.services import Contact, parent_contact, signing_name

from ..enums import LETTER_KINDS, Answer, Channel, LetterState, MessageKind, MessageState
from ..models import Invitation, LetterBatch, SessionAnswer, SessionChange
from ..questions import HINTS, QUESTIONS
from .changes import describe, notice_context
from .emails import issue_reply_link
from .status import current_changes, unprinted_change_letters
from .wording import letter_text

# No characters that are easily confused when read aloud or typed from paper: no 0/O, 1/I/L, 2/Z, 5/S,
# 8/B (nor G/6, Q).
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
CODE_LENGTH = 6
CODE_ATTEMPTS = 20


# The tasks that make a batch (invitations.tasks), enqueued by name (core.queue).
RENDER_TASK = "invitations.render_letters"
CHUNK_TASK = "invitations.render_letter_chunk"


class NoLetterInvitees(Exception):
    """The school has nobody reached by letter on this programme's list: there is nothing to print."""


def new_reply_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped_code(code: str) -> str:
    """A reply code as printed and read aloud: two groups of three, "ACD 479"."""
    return f"{code[:3]} {code[3:]}" if len(code) == CODE_LENGTH else code


def ensure_reply_code(invitation: Invitation) -> str:
    """Give the invitation its short reply code if it has none yet (saved at once); return the code.

    Codes are random (``secrets``) and unique: a collision is retried with a fresh code."""
    if existing := invitation.reply_code:
        return existing
    for _attempt in range(CODE_ATTEMPTS):
        code = new_reply_code()
        if Invitation.objects.filter(reply_code=code).exists():
            continue
        try:
            with transaction.atomic():
                updated = Invitation.objects.filter(pk=invitation.pk, reply_code__isnull=True).update(
                    reply_code=code
                )
        except IntegrityError:  # someone else took the same code at the same moment
            continue
        if not updated:  # given a code meanwhile by another request
            invitation.refresh_from_db(fields=["reply_code"])
            assert invitation.reply_code is not None  # the other request has just saved one
            return invitation.reply_code
        invitation.reply_code = code
        return code
    raise RuntimeError("Could not find a free reply code.")


def letter_invitations(*, programme: Programme, school: Organisation) -> QuerySet[Invitation]:
    """The school's people on the programme's list who are reached by letter and still want to hear
    (not opted out, not removed from the list)."""
    return (
        programme.invitations.filter(
            invitee__organisation=school,
            invitee__channel=Channel.LETTER,
            opted_out_at__isnull=True,
            removed_at__isnull=True,
        )
        .select_related("invitee", "invitee__organisation")
        .order_by("invitee__name", "pk")
    )


def change_letter_invitations(*, change: SessionChange, school: Organisation) -> QuerySet[Invitation]:
    """The school's people whose letter about ``change`` is still to print: its row in the outbox is still
    "scheduled" (downloading their batch marks it printed) and they still want to hear. These, not the
    school's whole letter list: the change was told to those who had heard of the programme, each once."""
    rows = unprinted_change_letters().filter(session_change=change)
    return (
        Invitation.objects.filter(
            pk__in=rows.values("recipient_id"),
            programme=change.session.programme_id,
            invitee__organisation=school,
        )
        .select_related("invitee", "invitee__organisation")
        .order_by("invitee__name", "pk")
    )


def letter_schools(*, programme: Programme, user: User) -> list[Organisation]:
    """The participating schools whose letters this user may print: all of them for the programme's
    facilitators, only their own for a school coordinator."""
    schools = programme.schools.order_by("name")
    if not user.has_perm("events.change_programme", programme):
        schools = schools.filter(coordinators=user)
    return list(schools)


def letter_words(
    *, programme: Programme, kind: str, session: Session | None, language: str = settings.LANGUAGE_CODE
) -> str:
    """The words in the middle of a letter of ``kind``, in ``language``: a reminder's own, or the
    programme's letter words for that language (services.wording.letter_text)."""
    with translation.override(language):
        if kind == MessageKind.REMINDER:
            return reminder_words(session=reminder_session(session))
        return letter_text(programme=programme, language=language)


def reminder_words(*, session: Session) -> str:
    return _(
        "Just a friendly reminder: the next Better Together workshop is coming up soon, and we are "
        "looking forward to seeing you there. If you have not told us yet whether you can come, the slip "
        "at the bottom of this letter is the easiest way."
    )


def reminder_session(session: Session | None) -> Session:
    """The session a reminder letter is about; ValueError if there is none."""
    if session is None:
        raise ValueError("A reminder letter is about one session.")
    return session


def letter_sessions(*, programme: Programme, kind: str, session: Session | None) -> list[Session]:
    """The sessions a letter lists: every session still to come, or the one a reminder is about."""
    if kind == MessageKind.REMINDER:
        return [reminder_session(session)]
    return list(programme.sessions.upcoming().select_related("venue"))


def fingerprint(
    *,
    words: str,
    invitations: list[Invitation],
    sessions: list[Session],
    school: Organisation,
    kind: str,
    contact: Contact | None = None,
    change: SessionChange | None = None,
    notes: dict[int, str] | None = None,
) -> str:
    """A sha256 of everything a batch prints: when any of it changes, the PDF is out of date. A change
    letter adds the change and each person's own line (what they had answered): a new change, or a new
    answer, makes a new PDF."""
    data: dict[str, object] = {
        "kind": str(kind),
        "words": words,
        "people": [[i.pk, i.invitee.name, i.reply_code, i.invitee.language] for i in invitations],
        "sessions": [
            [
                s.pk,
                s.date.isoformat(),
                str(s.start_time),
                str(s.end_time),
                s.get_kind_display(),
                s.provided,
                s.venue.name if s.venue else "",
                s.venue.address if s.venue else "",
                s.venue.access_features if s.venue else [],
                s.venue.public_transport if s.venue else "",
            ]
            for s in sessions
        ],
        "school": [school.name, school.logo.name if school.logo else ""],
        "contact": [contact.name, contact.phone, contact.email, contact.place] if contact else None,
    }
    if change is not None:  # only then, so the fingerprints of other letters stay as they were
        data["change"] = change.pk
        data["notes"] = [(notes or {}).get(i.pk, "") for i in invitations]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def logo_data_uri(school: Organisation) -> str:
    """The school's logo as a data: address, or "" when it has none or the file is not an image."""
    if not school.logo:
        return ""
    from PIL import Image, UnidentifiedImageError

    try:
        with school.logo.open("rb") as handle:
            content = handle.read()
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            kind = (image.format or "").lower()
    except (OSError, UnidentifiedImageError, ValueError):
        return ""
    if kind not in ("png", "jpeg", "gif", "webp"):
        return ""
    return f"data:image/{kind};base64,{base64.b64encode(content).decode()}"


@dataclass
class Letter:
    invitation: Invitation
    code: str
    reply_url: str
    qr: str

    @property
    def name(self) -> str:
        return self.invitation.invitee.name


# Change letters ---------------------------------------------------------------------------------------


def told_change(change: SessionChange | None) -> SessionChange:
    """The change a change letter is about; ValueError if there is none or it has not been told."""
    if change is None or change.after is None:
        raise ValueError("A change letter is about one change that was told.")
    return change


def change_headline(*, change: SessionChange) -> str:
    """What changed, in one line: the change email's subject ("New date: the get-together on 8 January is
    now on Thursday 15 January"), for the letter's heading and the letters page."""
    after = told_change(change).after
    assert after is not None  # told_change
    return " ".join(
        render_plain("emails/change_subject.txt", describe(before=change.before, after=after)).split()
    )


@dataclass
class ChangeText:
    """What every letter about one change says alike."""

    headline: str
    context: dict  # services.changes.notice_context without the person: was/now, flags, others…
    sessions: list[Session]  # the slip's: the session, or for a cancelled one the others going ahead
    closing: str

    @property
    def venues(self) -> list:
        if self.context["cancelled"]:
            return sorted({s.venue for s in self.sessions if s.venue}, key=lambda venue: venue.name)
        venue = self.context["now"]["venue"]
        return [venue] if venue else []


def change_text(*, change: SessionChange, invitation: Invitation) -> ChangeText:
    """The shared words of a change letter: the change email's (services.changes.notice_context, here
    without anything of ``invitation``'s, which it only needs to be called)."""
    after = told_change(change).after
    assert after is not None  # told_change
    session = change.session
    facts = describe(before=change.before, after=after)
    context = notice_context(invitation=invitation, session=session, facts=facts, answer="", reply_url="")
    for personal in ("invitee", "said_coming", "said_no", "reply_url", "unsubscribe_url"):
        context.pop(personal, None)
    name = signing_name(programme=session.programme)
    return ChangeText(
        headline=change_headline(change=change),
        context=context,
        sessions=list(context["others"]) if facts["cancelled"] else [session],
        closing=(
            _("With warm wishes, %(name)s") % {"name": name}
            if name
            else _("With warm wishes, the Better Together team")
        ),
    )


def change_notes(*, change: SessionChange, invitations: list[Invitation]) -> dict[int, str]:
    """Each person's own line in a change letter, by invitation id: the change email's, from what they had
    answered for the session ("You told us you were coming. Can you still come?"). One query."""
    after = told_change(change).after
    assert after is not None  # told_change
    before = change.before
    moved = before.moved(after)
    reinstated = before.cancelled and not after.cancelled
    cancelled = after.cancelled and not before.cancelled
    answers = dict(
        SessionAnswer.objects.filter(
            session=change.session_id, reply__invitation__in=[i.pk for i in invitations]
        ).values_list("reply__invitation_id", "answer")
    )
    notes = {}
    for invitation in invitations:
        answer = answers.get(invitation.pk, "")
        if cancelled:
            note = _(
                "If you have any questions, or want to change your answers, you can tell us on the slip "
                "below."
            )
        elif answer == Answer.NO and moved:
            note = _(
                "You told us you couldn't come before. If the new time suits you better, you would be very "
                "welcome: you can change your answer on the slip below."
            )
        elif answer in (Answer.YES, Answer.CHANGED) and (moved or reinstated):
            note = _(
                "You told us you were coming. Can you still come? Please tell us on the slip below, it "
                "only takes a minute."
            )
        else:
            note = _("You can tell us whether you can come, or change your answer, on the slip below.")
        notes[invitation.pk] = note
    return notes


def _paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]


@dataclass
class Page:
    """One printed page: a letter in one language, with its slip, or the English side of a bilingual
    letter without it; or (``letter`` None) the blank back of an English letter in a bilingual batch."""

    letter: Letter | None
    language: str
    parts: dict  # what every page in this language says alike (letter_parts), its type size included
    note: str = ""
    slip: bool = True

    @property
    def rtl(self) -> bool:
        return bool(translation.get_language_info(self.language)["bidi"])


def letter_parts(
    *,
    programme: Programme,
    school: Organisation,
    kind: str,
    session: Session | None,
    words: str | None,
    sessions: list[Session] | None,
    change: SessionChange | None,
    someone: Invitation,
) -> dict:
    """What every letter of a batch says alike, rendered once, in the language active now."""
    told = change_text(change=told_change(change), invitation=someone) if kind == MessageKind.CHANGE else None
    if told is not None:
        sessions, words = told.sessions, ""
    if sessions is None:
        sessions = letter_sessions(programme=programme, kind=kind, session=session)
    if words is None:
        words = letter_words(
            programme=programme, kind=kind, session=session, language=translation.get_language()
        )
    shared = {
        "paragraphs": _paragraphs(words),
        "sessions": sessions,
        "venues": told.venues
        if told
        else sorted({s.venue for s in sessions if s.venue}, key=lambda venue: venue.name),
        "is_reminder": kind == MessageKind.REMINDER,
        "is_change": told is not None,
        "headline": told.headline if told else "",
        "closing": told.closing if told else "",
        "childcare": any(s.childcare for s in sessions),
        "contact": parent_contact(programme=programme, organisation=school),
        # The slip asks what the reply page asks, in the same words.
        "questions": QUESTIONS,
        "hints": HINTS,
    }
    return {
        **shared,
        "body": render_to_string("letters/_change.html", {**shared, **told.context})
        if told
        else render_to_string("letters/_body.html", shared),
        "reply": render_to_string("letters/_reply.html", shared),
        "slip": render_to_string("letters/_slip.html", shared),
        "size": "",
    }


def render_letters_html(
    *,
    programme: Programme,
    school: Organisation,
    invitations: list[Invitation],
    kind: str = MessageKind.INVITATION,
    session: Session | None = None,
    words: str | None = None,
    sessions: list[Session] | None = None,
    change: SessionChange | None = None,
    bilingual: bool = False,
) -> str:
    """One HTML document with one A4 page per invitation, each in its person's language
    (core.languages.for_person: their recorded language when we print it, else English), right to left
    where that language is written so. With ``bilingual``, a letter not in English is followed by the
    same letter in English without its slip, for the back of the sheet (an English letter gets a blank
    back, so that double-sided printing stays in step). Issues a fresh reply link (token) for each
    person and gives anyone without one a reply code; everything typed by people is escaped. A change
    letter (``kind`` CHANGE) says what ``change`` told, with a line for each person (change_notes).
    ``words``, when given, are printed in every language instead of the letter's own (previews, tests)."""
    if kind == MessageKind.CHANGE and not invitations:
        raise ValueError("A change letter is to someone.")
    letters = []
    with transaction.atomic():  # one commit for every person's new reply token, not one each
        for invitation in invitations:
            code = ensure_reply_code(invitation)
            reply_url, _unsubscribe = issue_reply_link(invitation=invitation)
            letters.append(
                Letter(
                    invitation=invitation, code=grouped_code(code), reply_url=reply_url, qr=qr_svg(reply_url)
                )
            )
    english = settings.LANGUAGE_CODE
    home = {
        letter.invitation.pk: languages.for_person(letter.invitation.invitee.language) for letter in letters
    }
    needed = list(dict.fromkeys([*home.values(), *([english] if bilingual else [])]))
    parts: dict[str, dict] = {}
    notes: dict[tuple[str, int], str] = {}
    for language in needed:
        with translation.override(language):
            parts[language] = letter_parts(
                programme=programme,
                school=school,
                kind=kind,
                session=session,
                words=words,
                sessions=sessions,
                change=change,
                someone=invitations[0],
            )
            if kind == MessageKind.CHANGE:
                readers = [i for i in invitations if home[i.pk] == language or bilingual]
                for pk, note in change_notes(change=told_change(change), invitations=readers).items():
                    notes[language, pk] = note
    pages = []
    for letter in letters:
        own = home[letter.invitation.pk]
        pages.append(
            Page(
                letter=letter, language=own, parts=parts[own], note=notes.get((own, letter.invitation.pk), "")
            )
        )
        if bilingual and own != english:
            note = notes.get((english, letter.invitation.pk), "")
            pages.append(Page(letter=letter, language=english, parts=parts[english], note=note, slip=False))
        elif bilingual:
            pages.append(Page(letter=None, language=english, parts=parts[english]))
    for language, shared in parts.items():
        shared["size"] = fitting_size(
            school, [page for page in pages if page.language == language and page.letter]
        )
    return render_to_string("letters/letters.html", letters_context(school=school, kind=kind, pages=pages))


def letters_context(*, school: Organisation, kind: str, pages: list[Page]) -> dict:
    return {
        "pages": pages,
        "school": school,
        "logo": logo_data_uri(school),
        "is_change": kind == MessageKind.CHANGE,
        "is_reminder": kind == MessageKind.REMINDER,
    }


# The letter's type, largest first: the words, dates, slip and all on one page is what matters most.
SIZES = ("", "long", "longer", "longest")


def fitting_size(school: Organisation, pages: list[Page]) -> str:
    """The largest type (SIZES) at which the letters of one language fit one A4 page each, tried on a
    page with its slip, to the person with the longest name (and own line: a change letter's note); the
    smallest if none does. Long words, many sessions or venues, a long school name or a long contact all take room, so
    the page itself is measured (one trial PDF per size tried). No side effects: the trial letter uses no
    one's token."""
    if not pages:
        return SIZES[0]
    # A page with its slip is the longest whatever the name (issue 18: the slip asks about keeping needs).
    longest = max(
        pages, key=lambda page: (page.slip, len(page.letter.name if page.letter else "") + len(page.note))
    )
    assert longest.letter is not None
    letter = longest.letter
    trial_letter = Letter(invitation=letter.invitation, code=letter.code, reply_url="", qr=letter.qr)
    for size in SIZES[:-1]:
        trial = Page(
            letter=trial_letter,
            language=longest.language,
            parts={**longest.parts, "size": size},
            note=longest.note,
            slip=longest.slip,
        )
        html = render_to_string(
            "letters/letters.html", letters_context(school=school, kind="", pages=[trial])
        )
        if _page_count(render_pdf(html)) == 1:
            return size
    return SIZES[-1]


def _page_count(pdf: bytes) -> int:
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


# Batches ---------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    invitations: list[Invitation]
    sessions: list[Session]
    words: str
    fingerprint: str


def words_in_each_language(
    *,
    programme: Programme,
    kind: str,
    session: Session | None,
    invitations: list[Invitation],
    bilingual: bool,
) -> str:
    """The letter's words in every language the batch prints, for its fingerprint."""
    codes = {languages.for_person(i.invitee.language) for i in invitations} | (
        {settings.LANGUAGE_CODE} if bilingual else set()
    )
    words = [
        f"[{code}] {letter_words(programme=programme, kind=kind, session=session, language=code)}"
        for code in sorted(codes)
    ]
    return "\n\n".join(words) + ("\n\n[bilingual]" if bilingual else "")


def prepare(
    *,
    programme: Programme,
    school: Organisation,
    kind: str,
    session: Session | None,
    change: SessionChange | None = None,
    bilingual: bool = False,
) -> Prepared:
    """Everything a batch prints, with reply codes given to anyone without one, and its fingerprint."""
    if kind == MessageKind.CHANGE:
        return _prepare_change(
            programme=programme, school=school, change=told_change(change), bilingual=bilingual
        )
    invitations = list(letter_invitations(programme=programme, school=school))
    for invitation in invitations:
        ensure_reply_code(invitation)
    sessions = letter_sessions(programme=programme, kind=kind, session=session)
    words = words_in_each_language(
        programme=programme, kind=kind, session=session, invitations=invitations, bilingual=bilingual
    )
    return Prepared(
        invitations=invitations,
        sessions=sessions,
        words=words,
        fingerprint=fingerprint(
            words=words,
            invitations=invitations,
            sessions=sessions,
            school=school,
            kind=kind,
            contact=parent_contact(programme=programme, organisation=school),
        ),
    )


def _prepare_change(
    *, programme: Programme, school: Organisation, change: SessionChange, bilingual: bool = False
) -> Prepared:
    invitations = list(change_letter_invitations(change=change, school=school))
    if not invitations:
        return Prepared(invitations=[], sessions=[], words="", fingerprint="")
    for invitation in invitations:
        ensure_reply_code(invitation)
    told = change_text(change=change, invitation=invitations[0])
    # The words printed are the rendered change, so anything it says (a venue's address…) is in the hash.
    words = told.headline + render_to_string("letters/_change.html", told.context) + told.closing
    words += "\n\n".join(sorted({i.invitee.language for i in invitations})) + (
        "[bilingual]" if bilingual else ""
    )
    return Prepared(
        invitations=invitations,
        sessions=told.sessions,
        words=words,
        fingerprint=fingerprint(
            words=words,
            invitations=invitations,
            sessions=told.sessions,
            school=school,
            kind=MessageKind.CHANGE,
            contact=parent_contact(programme=programme, organisation=school),
            change=change,
            notes=change_notes(change=change, invitations=invitations),
        ),
    )


def no_change_letters(*, change: SessionChange, school: Organisation) -> str:
    """Why a school has no letters about a change to print: all printed, or nobody of theirs to tell."""
    printed = Message.objects.filter(
        session_change=change,
        channel=Channel.LETTER,
        state=MessageState.SENT,
        invitation__invitee__organisation=school,
    ).exists()
    if printed:
        return _("The letters about this change for %(school)s have all been printed already.") % {
            "school": school.name
        }
    return _(
        "Nobody from %(school)s is to hear of this change by letter, so there are no letters about it "
        "to print."
    ) % {"school": school.name}


def request_letters(
    *,
    programme: Programme,
    school: Organisation,
    kind: str = MessageKind.INVITATION,
    session: Session | None = None,
    change: SessionChange | None = None,
    user: User | None = None,
    bilingual: bool = False,
) -> LetterBatch:
    """The batch of letters for a school: the newest one if nothing printed on it has changed and it is
    ready or still being made; otherwise a new batch, queued, and the task that renders it enqueued
    once the transaction commits. A batch still waiting or being made after PDF_JOB_STUCK_AFTER_SECONDS
    (a worker died with it) is given up (failed) and a fresh one made. Requests for one programme are
    taken one at a time (core.jobs.reuse_or_create), so two clicks make one batch. Raises
    NoLetterInvitees when there is nobody to write to.

    A change letter (``kind`` CHANGE) is about ``change``, a told change to one of the programme's
    sessions (ValueError otherwise), and prints the school's people whose letter about it is still to
    print (change_letter_invitations)."""
    if kind not in LETTER_KINDS:
        raise ValueError(f"Letters are invitations, reminders or changes, not {kind!r}.")
    if kind == MessageKind.CHANGE:
        change = told_change(change)
        if change.session.programme_id != programme.pk:
            raise ValueError("That change is to another programme's session.")
        session = change.session
    elif change is not None:
        raise ValueError("Only a change letter is about a change.")
    prepared = prepare(
        programme=programme, school=school, kind=kind, session=session, change=change, bilingual=bilingual
    )
    if not prepared.invitations:
        if change is not None:
            raise NoLetterInvitees(no_change_letters(change=change, school=school))
        raise NoLetterInvitees(
            _("Nobody from %(school)s is reached by letter yet, so there are no letters to print.")
            % {"school": school.name}
        )
    return jobs.reuse_or_create(
        model=LetterBatch,
        scope={
            "programme": programme,
            "school": school,
            "kind": kind,
            "session": session,
            "change": change,
            "bilingual": bilingual,
        },
        fingerprint=prepared.fingerprint,
        lock=programme,
        task_name=RENDER_TASK,
        stuck_error=_("Making the letters took far too long, so it was stopped. Please try again."),
        defaults={
            "pages_total": len(prepared.invitations),
            "created_by": user if user is not None and user.is_authenticated else None,
        },
    )


# Big batches are rendered in chunks of this many letters, each by its own task, so that the worker's
# processes share the work; the last chunk to finish merges the parts (pypdf).
CHUNK_PAGES = 50


def render_batch(*, batch: LetterBatch) -> LetterBatch:
    """Make a queued batch's PDF and store it: rendering → ready, or failed with a plain message.
    Claims the batch first (core.jobs.claim), so a task delivered twice renders once. A batch of more
    than CHUNK_PAGES letters is split: one ``invitations.render_letter_chunk`` task per chunk, enqueued
    here at once (this runs in a task, outside any transaction)."""
    if not jobs.claim(job=batch):
        batch.refresh_from_db()
        return batch
    try:
        prepared = prepare(
            programme=batch.programme,
            school=batch.school,
            kind=batch.kind,
            session=batch.session,
            change=batch.change,
            bilingual=batch.bilingual,
        )
        total = len(prepared.invitations)
        printed = [invitation.pk for invitation in prepared.invitations]
        jobs.while_claimed(job=batch).update(pages_total=total, pages_done=0, printed=printed)
        if total > CHUNK_PAGES:
            ids = [invitation.pk for invitation in prepared.invitations]
            chunks = [ids[start : start + CHUNK_PAGES] for start in range(0, total, CHUNK_PAGES)]
        else:
            html = render_letters_html(
                programme=batch.programme,
                school=batch.school,
                invitations=prepared.invitations,
                kind=batch.kind,
                session=batch.session,
                sessions=prepared.sessions,
                change=batch.change,
                bilingual=batch.bilingual,
            )
            _store(batch=batch, pdf=render_pdf(html), pages=total)
            batch.refresh_from_db()
            return batch
    except Exception as error:
        mark_failed(batch=batch, error=error)
        raise
    for index, chunk in enumerate(chunks):
        enqueue(CHUNK_TASK, batch.pk, index, len(chunks), chunk)
    batch.refresh_from_db()
    return batch


def _part_name(batch: LetterBatch, index: int) -> str:
    return f"letters/{batch.programme_id}/parts/{batch.pk}-{index:04d}.pdf"


def render_chunk(*, batch: LetterBatch, index: int, count: int, invitation_ids: list[int]) -> LetterBatch:
    """Render one chunk of a batch's letters to a part file and count its pages done; the chunk that
    completes the batch merges the parts into the batch's file (ready). Nothing happens for a batch that
    is no longer rendering under the claim it had when this chunk was loaded (it failed, or was given up
    as stuck, meanwhile)."""
    if batch.state != LetterState.RENDERING:
        return batch
    try:
        found = Invitation.objects.select_related("invitee", "invitee__organisation").in_bulk(invitation_ids)
        invitations = [found[pk] for pk in invitation_ids if pk in found]
        html = render_letters_html(
            programme=batch.programme,
            school=batch.school,
            invitations=invitations,
            kind=batch.kind,
            session=batch.session,
            change=batch.change,
            bilingual=batch.bilingual,
        )
        pdf = render_pdf(html)
        name = _part_name(batch, index)
        default_storage.delete(name)
        default_storage.save(name, ContentFile(pdf))
    except Exception as error:
        mark_failed(batch=batch, error=error)
        raise
    jobs.while_claimed(job=batch).update(pages_done=F("pages_done") + len(invitation_ids))
    # Exactly one chunk claims the merge: the one whose update finds every page done and no finish yet.
    last = (
        jobs.while_claimed(job=batch)
        .filter(pages_done=F("pages_total"), finished_at__isnull=True)
        .update(finished_at=timezone.now())
    )
    if last:
        try:
            merge_parts(batch=batch, count=count)
        except Exception as error:
            mark_failed(batch=batch, error=error)
            raise
    batch.refresh_from_db()
    return batch


def merge_parts(*, batch: LetterBatch, count: int) -> None:
    """Join a batch's part files, in order, into its PDF; delete the parts; mark it ready."""
    import pypdf

    writer = pypdf.PdfWriter()
    names = [_part_name(batch, index) for index in range(count)]
    for name in names:
        with default_storage.open(name, "rb") as part:
            writer.append(io.BytesIO(part.read()))
    output = io.BytesIO()
    writer.write(output)
    batch.refresh_from_db(fields=["pages_total"])
    _store(batch=batch, pdf=output.getvalue(), pages=batch.pages_total)
    for name in names:
        default_storage.delete(name)


def _store(*, batch: LetterBatch, pdf: bytes, pages: int) -> bool:
    """Store the batch's PDF and mark it ready — only while it is still this renderer's (core.jobs.store):
    a renderer that finishes after its batch was given up as stuck keeps nothing. Returns whether stored."""
    return jobs.store(
        job=batch, name=f"letters-{batch.pk}.pdf", content=pdf, pages_done=pages, pages_total=pages
    )


def mark_failed(*, batch: LetterBatch, error: BaseException | None = None) -> None:
    """Mark a batch that could not be made as failed, with a plain message (``error``, the cause, is not
    shown to anyone). A batch given up meanwhile, or claimed again, is left as it is."""
    jobs.mark_failed(
        job=batch,
        error=_("The letters could not be made. Please try again, or ask the facilitator for help."),
    )


# The letters page's change letters, and printing them -----------------------------------------------------


@dataclass
class ChangeLetters:
    """One change's letters at one school: who still needs one, and how many were printed, when."""

    change: SessionChange
    headline: str
    to_print: list[str] = field(default_factory=list)  # the people's names
    printed: int = 0
    printed_at: datetime | None = None  # the latest
    batch: LetterBatch | None = None  # the latest ready batch, to download again

    @property
    def choice(self) -> str:
        """Its value in LetterRequestForm's ``letter``."""
        return f"change-{self.change.pk}"


def letter_changes(*, programme: Programme, today: date | None = None) -> QuerySet[SessionChange]:
    """The programme's told changes whose letters are still worth printing (services.status), newest
    first."""
    return (
        current_changes(today=today)
        .filter(session__programme=programme)
        .select_related("session__programme")
        .order_by("-told_at", "-pk")
    )


def change_letters(
    *, programme: Programme, schools: list[Organisation], today: date | None = None
) -> dict[int, list[ChangeLetters]]:
    """For each school (by pk), the programme's current changes (letter_changes) that have letters for
    its people: still to print, or printed. A change no longer current (its day has passed, or the session
    changed again) is left out, printed or not. Queries: one when there is none, else three and one per
    current change (its venues, for its headline)."""
    result: dict[int, list[ChangeLetters]] = {school.pk: [] for school in schools}
    changes = list(letter_changes(programme=programme, today=today))
    if not changes or not schools:
        return result
    entries = {
        (school.pk, change.pk): ChangeLetters(change=change, headline=headline)
        for change, headline in ((change, change_headline(change=change)) for change in changes)
        for school in schools
    }
    rows = (
        Message.objects.filter(
            Q(
                state=MessageState.SCHEDULED,
                invitation__opted_out_at__isnull=True,
                invitation__removed_at__isnull=True,
            )
            | Q(state=MessageState.SENT),
            session_change__in=changes,
            channel=Channel.LETTER,
            invitation__invitee__organisation__in=schools,
        )
        .values_list(
            "topic_id", "state", "sent_at", "invitation__invitee__organisation", "invitation__invitee__name"
        )
        .order_by("invitation__invitee__name", "recipient_id")
    )
    for change_id, state, sent_at, school_id, name in rows:
        entry = entries[(school_id, change_id)]
        if state == MessageState.SCHEDULED:
            entry.to_print.append(name)
        else:
            entry.printed += 1
            if sent_at and (entry.printed_at is None or sent_at > entry.printed_at):
                entry.printed_at = sent_at
    for batch in LetterBatch.objects.filter(
        change__in=changes, school__in=schools, state=LetterState.READY
    ).order_by("created_at", "pk"):
        assert batch.change_id is not None  # filtered on
        entries[(batch.school_id, batch.change_id)].batch = batch
    for (school_id, _change_id), entry in entries.items():
        if entry.to_print or entry.printed:
            result[school_id].append(entry)
    return result


def mark_printed(*, batch: LetterBatch, now: datetime | None = None) -> int:
    """A batch downloaded is printed: its people's letter rows of its kind are marked sent (printed)
    now, so the letters page, the invitation list and the call list (services.reach) say so — with a
    conditional update, only rows still "scheduled", so downloading again marks nothing and is never an
    error. Only the batch's school, and only its kind: a change batch, the rows about its change made
    before it; an invitation or a reminder batch, the invitation rows (or the reminder rows of its
    session) of the people it printed (``batch.printed``, kept when it was made). Email and text rows are never touched. Returns how many were
    marked."""
    sent_at = now or timezone.now()
    if batch.kind == MessageKind.CHANGE:
        if batch.change_id is None:
            return 0
        return (
            unprinted_change_letters()
            .filter(
                session_change=batch.change_id,
                invitation__programme=batch.programme_id,
                invitation__invitee__organisation=batch.school_id,
                scheduled_for__lte=batch.created_at,
            )
            .update(state=MessageState.SENT, sent_at=sent_at)
        )
    rows = Message.objects.filter(
        kind=batch.kind,
        channel=Channel.LETTER,
        state=MessageState.SCHEDULED,
        invitation__in=batch.printed,
        invitation__programme=batch.programme_id,
        invitation__invitee__organisation=batch.school_id,
    )
    if batch.kind == MessageKind.REMINDER:
        if batch.session_id is None:
            return 0
        rows = rows.filter(session=batch.session_id)
    else:
        rows = rows.filter(topic_id__isnull=True)
    return rows.update(state=MessageState.SENT, sent_at=sent_at)


def mark_one_printed(*, invitation: Invitation, now: datetime | None = None) -> int:
    """One person's invitation letter downloaded (letter_one: a lost letter, or someone added after the
    school's batch) is printed: their invitation's letter row, if still "scheduled", is marked sent."""
    return Message.objects.filter(
        invitation=invitation,
        kind=MessageKind.INVITATION,
        channel=Channel.LETTER,
        state=MessageState.SCHEDULED,
        topic_id__isnull=True,
    ).update(state=MessageState.SENT, sent_at=now or timezone.now())


def one_letter_pdf(
    *, invitation: Invitation, kind: str = MessageKind.INVITATION, session: Session | None = None
) -> bytes:
    """One person's letter as a one-page PDF, made now."""
    school = invitation.invitee.organisation
    if school is None:
        raise ValueError("Letters go through a school: this person has none.")
    html = render_letters_html(
        programme=invitation.programme, school=school, invitations=[invitation], kind=kind, session=session
    )
    return render_pdf(html)
