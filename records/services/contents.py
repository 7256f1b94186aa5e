"""The record's contents: everything a session (or a whole programme) left behind — the pictures the team
may see and what each shows, the themes, who came in numbers per group, the one-word summary and, for a
programme, the actions and who leads them — gathered into plain data (reads only), and its fingerprint."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from actions.services import leadership, programme_actions
from actions.services.reading import leadership_warnings
from artwork.enums import ImageState
from artwork.models import Artwork
from evaluations.services.attendance import programme_numbers, session_numbers
from evaluations.services.cloud import cloud_svg
from evaluations.services.words import count_words
from events.models import Programme, Session
from invitations.models import Invitation

# A picture at least this many times as wide as it is tall is printed across the page (Picture.wide).
WIDE = 1.8
# The printed layout (templates/records/pdf/record.html): one more whenever it changes how a record
# looks, so that a PDF made with the old layout is made again.
LAYOUT = 2


@dataclass
class Picture:
    pk: int
    title: str
    description: str  # "" when nobody has said yet what it shows
    themes: list[str]
    artist: str
    session_label: str
    # The display-size image as the PDF fetches it (SITE_URL + MEDIA_URL + name), "" when its file is gone.
    pdf_url: str
    width: int
    height: int
    # People can be recognised in it and have not agreed to it being shared beyond the team.
    team_only_people: bool

    @property
    def is_described(self) -> bool:
        return bool(self.description.strip())

    @property
    def landscape(self) -> bool:
        return self.width >= self.height

    @property
    def wide(self) -> bool:
        """Much wider than tall (a panorama): printed across the page rather than beside its words."""
        return self.height > 0 and self.width >= WIDE * self.height


@dataclass
class PictureGroup:
    label: str
    pictures: list[Picture]


@dataclass
class ThemeCount:
    name: str
    count: int


@dataclass
class ActionLine:
    what: str
    why: str
    status: str
    status_key: str
    lead: str  # "" when nobody leads it yet
    lead_group: str
    helpers: str
    due: date | None
    themes: list[str]
    latest_update: str
    latest_update_on: date | None


@dataclass
class Record:
    """Everything one record prints. ``session`` is None for the whole programme's record."""

    programme: Programme
    session: Session | None
    sessions: list[Session]
    pictures: list[Picture]
    themes: list[ThemeCount]
    numbers: list = field(default_factory=list)  # evaluations SessionNumbers, one per session
    words: list = field(default_factory=list)  # evaluations WordCount
    cloud_title: str = ""
    actions: list[ActionLine] = field(default_factory=list)
    leadership: list = field(default_factory=list)  # actions LeadCount
    leadership_warnings: list[str] = field(default_factory=list)

    @cached_property
    def cloud(self) -> SafeString:
        """The word cloud as inline SVG, for the page (drawn only when asked for)."""
        return _svg(self.words, title=self.cloud_title)

    @property
    def title(self) -> str:
        if self.session is None:
            return _("The record of %(title)s") % {"title": self.programme.title}
        return _("The record of the %(kind)s on %(date)s") % {
            "kind": self.session.get_kind_display().lower(),
            "date": date_format(self.session.date, "j F Y"),
        }

    @property
    def picture_groups(self) -> list[PictureGroup]:
        """The pictures session by session (only sessions with pictures), in the sessions' order."""
        groups: dict[str, list[Picture]] = {}
        for picture in self.pictures:
            groups.setdefault(picture.session_label, []).append(picture)
        return [PictureGroup(label=label, pictures=pictures) for label, pictures in groups.items()]

    @property
    def described(self) -> list[Picture]:
        return [picture for picture in self.pictures if picture.is_described]

    @property
    def not_described(self) -> list[Picture]:
        return [picture for picture in self.pictures if not picture.is_described]

    @property
    def words_total(self) -> int:
        return sum(word.count for word in self.words)

    @property
    def leads_total(self) -> int:
        return sum(lead.count for lead in self.leadership)

    @property
    def people_total(self) -> int:
        return sum(numbers.total for numbers in self.numbers)

    @property
    def fingerprint(self) -> str:
        return fingerprint(record=self)


def _artist_name(artwork: Artwork) -> str:
    if artwork.artist is None:
        return ""
    return artwork.artist.get_full_name() or artwork.artist.get_username()


def _session_label(session: Session) -> str:
    return f"{session.get_kind_display()}, {date_format(session.date, 'j F Y')}"


def _file_exists(field_file: FieldFile) -> bool:
    name = field_file.name
    if not name:
        return False
    try:
        return bool(field_file.storage.exists(name))
    except (OSError, ValueError):  # a name the storage refuses is as good as missing
        return False


def record_pictures(*, sessions: list[Session]) -> list[Picture]:
    """The pictures of ``sessions`` the team may see, in gallery order (session by session for more than
    one): ready ones only — pictures still being prepared, or that failed, are left out. A picture whose
    display file is missing is kept, with no address, so the record can say it could not be included."""
    by_session = {session.pk: session for session in sessions}
    artworks = (
        Artwork.objects.filter(session__in=sessions, state=ImageState.READY)
        .select_related("artist")
        .prefetch_related("themes")
        .in_gallery_order()
    )
    order = {session.pk: index for index, session in enumerate(sessions)}
    pictures = []
    for artwork in sorted(
        artworks, key=lambda artwork: order[artwork.session_id]
    ):  # stable: keeps gallery order
        exists = _file_exists(artwork.display)
        pictures.append(
            Picture(
                pk=artwork.pk,
                title=artwork.title,
                description=artwork.description.strip(),
                themes=sorted((theme.name for theme in artwork.themes.all()), key=str.casefold),
                artist=_artist_name(artwork),
                session_label=_session_label(by_session[artwork.session_id]),
                pdf_url=settings.SITE_URL + artwork.display.url if exists else "",
                width=artwork.width,
                height=artwork.height,
                team_only_people=artwork.shows_people and not artwork.people_agreed,
            )
        )
    return pictures


def theme_counts(pictures: list[Picture]) -> list[ThemeCount]:
    """How many of the pictures carry each theme, most first, then by name."""
    counts = Counter(theme for picture in pictures for theme in picture.themes)
    return [
        ThemeCount(name=name, count=count)
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    ]


def _numbers(sessions: list[Session], *, programme: Programme | None = None) -> list:
    """Who came to each of ``sessions`` by group (evaluations' SessionNumbers); for a whole programme,
    read in one go."""
    if programme is None:
        return [session_numbers(session=session) for session in sessions]
    wanted = {session.pk for session in sessions}
    return [numbers for numbers in programme_numbers(programme=programme) if numbers.session.pk in wanted]


def _svg(words: list, *, title: str) -> SafeString:
    """The words' cloud as inline SVG (for the page)."""
    if not words:
        return mark_safe("")
    svg = cloud_svg(words, title=title)
    # Inlined in the page: whatever comes before the <svg> element (an XML declaration, a doctype) goes.
    # cloud_svg escapes the words it draws, so its output is trusted as markup.
    start = svg.find("<svg")
    return mark_safe(svg[start:] if start >= 0 else "")  # noqa: S308


def _lead_group(invitation: Invitation) -> str:
    return invitation.invitee.balance_group_label


def action_lines(*, programme: Programme) -> tuple[list[ActionLine], list]:
    """The programme's actions as the record prints them, and how many are led by each group."""
    lines = []
    for action in programme_actions(programme=programme):
        updates = list(action.updates.all())
        latest = max(updates, key=lambda update: (update.created_at, update.pk)) if updates else None
        lead = action.lead
        lines.append(
            ActionLine(
                what=action.what,
                why=action.why.strip(),
                status=action.get_status_display(),
                status_key=action.status,
                lead=lead.invitee.name if lead else "",
                lead_group=_lead_group(lead) if lead else "",
                helpers=action.helpers,
                due=action.due,
                themes=sorted((theme.name for theme in action.themes.all()), key=str.casefold),
                latest_update=latest.text.strip() if latest else "",
                latest_update_on=timezone.localdate(latest.created_at) if latest else None,
            )
        )
    return lines, list(leadership(programme=programme))


def _leadership_warnings(leads: list) -> list[str]:
    return leadership_warnings(leads)


def _programme(programme: Programme) -> Programme:
    found: Programme = Programme.objects.select_related("neighbourhood").get(pk=programme.pk)
    return found


def session_record(*, session: Session) -> Record:
    """Everything the record of one session prints (reads only)."""
    session = Session.objects.select_related("programme__neighbourhood", "venue").get(pk=session.pk)
    pictures = record_pictures(sessions=[session])
    cloud_title = _("The words people chose at the end of the day")
    words = count_words(sessions=[session])
    return Record(
        programme=session.programme,
        session=session,
        sessions=[session],
        pictures=pictures,
        themes=theme_counts(pictures),
        numbers=_numbers([session]),
        words=words,
        cloud_title=cloud_title,
    )


def programme_record(*, programme: Programme) -> Record:
    """Everything the record of a whole programme prints: every session that was not cancelled, and the
    programme's actions (reads only)."""
    programme = _programme(programme)
    sessions = list(
        programme.sessions.filter(cancelled_at__isnull=True).select_related("venue").order_by("order", "date")
    )
    pictures = record_pictures(sessions=sessions)
    cloud_title = _("The words people chose at the end of each session")
    words = count_words(sessions=sessions)
    actions, leads = action_lines(programme=programme)
    return Record(
        programme=programme,
        session=None,
        sessions=sessions,
        pictures=pictures,
        themes=theme_counts(pictures),
        numbers=_numbers(sessions, programme=programme),
        words=words,
        cloud_title=cloud_title,
        actions=actions,
        leadership=leads,
        leadership_warnings=_leadership_warnings(leads),
    )


def record_for(*, programme: Programme, session: Session | None) -> Record:
    return session_record(session=session) if session is not None else programme_record(programme=programme)


def fingerprint(*, record: Record) -> str:
    """A sha256 of everything the record prints: when any of it changes, a PDF made earlier is out of
    date."""
    programme = record.programme
    data = {
        "layout": LAYOUT,
        "programme": [
            programme.pk,
            programme.title,
            programme.key_question,
            programme.neighbourhood.name,
        ],
        "session": record.session.pk if record.session else None,
        "sessions": [
            [
                s.pk,
                s.kind,
                s.date.isoformat(),
                str(s.start_time),
                str(s.end_time),
                s.venue.name if s.venue else "",
                s.venue.address if s.venue else "",
                s.purpose,
            ]
            for s in record.sessions
        ],
        "pictures": [
            [
                p.pk,
                p.title,
                p.description,
                p.themes,
                p.artist,
                p.pdf_url,
                p.width,
                p.height,
                p.team_only_people,
            ]
            for p in record.pictures
        ],
        "numbers": [
            [n.session.pk, n.total, n.walk_ins, [[g.key, g.came, g.aim, g.low] for g in n.groups]]
            for n in record.numbers
        ],
        "words": [[w.key, w.word, w.count] for w in record.words],
        "actions": [
            [
                a.what,
                a.why,
                a.status_key,
                a.lead,
                a.lead_group,
                a.helpers,
                a.due,
                a.themes,
                a.latest_update,
                a.latest_update_on,
            ]
            for a in record.actions
        ],
        "leadership": [[lead.key, lead.count] for lead in record.leadership],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
