"""Create an invented neighbourhood to try the site with. Running it again changes nothing."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from actions.enums import ActionStatus
from actions.services.planning import add_update, save_action
from artwork.enums import Visibility
from artwork.services.gallery import describe_artwork
from artwork.services.uploads import make_sizes, save_artwork
from core.enums import SENT_CHANNELS, MessageState
from core.mailbox import BOUNCE_DOMAIN
from core.models import Message
from demo.pictures import drawing
from evaluations.enums import WordSource
from evaluations.services.attendance import add_walk_in, mark_arrived
from evaluations.services.words import add_word
from events import services
from events.enums import OrganisationKind, ProgrammeStatus, SchoolPhase, SessionKind
from events.forms import ARTISTS_GROUP
from events.models import Neighbourhood, Organisation, Programme, Session, Venue
from invitations.enums import Category, Channel, StaffRole
from invitations.models import Invitation
from invitations.services import invitees
from invitations.services.schedule import send_time, sync_schedule

DEMO_PASSWORD = "together-demo-2026"  # noqa: S105 -- published on purpose, DEBUG only
NEIGHBOURHOOD = "Millbrook and Riverside"
PROGRAMME_TITLE = "Better Together in Millbrook"
# A second programme whose all-day workshop has happened: pictures, who came, words, and the first
# half-day (this week) where the actions are planned.
PAST_PROGRAMME_TITLE = "Better Together in Riverside"
# heading, key points (the bubbles), what it shows in words, themes, who may see it
PICTURES = [
    (
        "What is good about Riverside",
        [
            "The park by the river",
            "Neighbours who look out for each other",
            "The food pantry",
            "Saturday school",
        ],
        "What people love about Riverside: the park by the river, neighbours who look out for each other, "
        "the food pantry and the Polish Saturday school.",
        ["Good things here", "Play space"],
        Visibility.EVERYONE,
    ),
    (
        "What gets in the way",
        [
            "Nowhere safe to play after school",
            "Not knowing who to ask",
            "Letters full of jargon",
            "Bus fares",
        ],
        "What makes life harder for families: nowhere safe to play after school, not knowing who to ask, "
        "school letters full of jargon, and the cost of the bus.",
        ["Play space", "Feeling listened to"],
        Visibility.PARTICIPANTS,
    ),
    (
        "If we worked together",
        ["A play street once a month", "Parents running a coffee morning", "One noticeboard for everything"],
        "Ideas for working together: a play street once a month, a coffee morning run by parents, and one "
        "noticeboard for everything that is on.",
        ["Play space", "Knowing what is on"],
        Visibility.PARTICIPANTS,
    ),
]
WORDS = [
    "Hopeful", "Inspired", "Welcomed", "hopeful", "Together", "Listened", "Energised", "Hopeful!",
    "Connected", "Inspired", "Nadzieja", "Proud", "Together", "Surprised", "Community", "Warm",
]  # fmt: skip
SCHOOLS = [
    ("Millbrook Primary School", SchoolPhase.PRIMARY),
    ("St Anne's CE Primary School", SchoolPhase.PRIMARY),
    ("Riverside Nursery School", SchoolPhase.NURSERY),
]
OTHERS = [
    ("Millbrook Children's Centre", OrganisationKind.CHILDRENS_CENTRE),
    ("Riverside Tenants' Association", OrganisationKind.VOLUNTARY_GROUP),
    ("Millbrook Food Pantry", OrganisationKind.VOLUNTARY_GROUP),
    ("Polish Saturday School", OrganisationKind.VOLUNTARY_GROUP),
    ("Riverside Youth Club", OrganisationKind.VOLUNTARY_GROUP),
    ("Al-Noor Mosque Women's Group", OrganisationKind.FAITH_GROUP),
    ("Health Visiting Team", OrganisationKind.STATUTORY_AGENCY),
]
# name, category, staff role, school (index into SCHOOLS, or None), email, language
PEOPLE = [
    ("Amira Khan", Category.PARENT, "", 0, "amira.khan@example.org", "en"),
    ("Jake Thompson", Category.PARENT, "", 1, "jake.thompson@example.org", "en"),
    ("Agnieszka Nowak", Category.PARENT, "", 0, "", "pl"),
    ("Shabana Begum", Category.PARENT, "", 1, "", "bn"),
    ("Tomasz Wiśniewski", Category.PARENT, "", 2, "tomasz.w@example.org", "pl"),
    ("Grace Mensah", Category.PARENT, "", 2, "grace.mensah@example.org", "en"),
    ("Nasreen Akhtar", Category.PARENT, "", 0, "nasreen.akhtar@example.org", "ur"),
    ("Hodan Warsame", Category.PARENT, "", 1, "", "so"),
    ("Helen Carter", Category.SCHOOL_STAFF, StaffRole.TEACHER, 0, "h.carter@millbrook-primary.example", "en"),
    ("Daniel Okoye", Category.SCHOOL_STAFF, StaffRole.LEADER, 0, "d.okoye@millbrook-primary.example", "en"),
    ("Imran Ali", Category.SCHOOL_STAFF, StaffRole.SUPPORT_STAFF, 1, "i.ali@st-annes.example", "en"),
    ("Sophie Clarke", Category.SCHOOL_STAFF, StaffRole.TEACHER, 1, "s.clarke@st-annes.example", "en"),
    ("Ruth Bennett", Category.SCHOOL_STAFF, StaffRole.GOVERNOR, 2, "ruth.bennett@example.org", "en"),
]
USERS = [
    # username, first name, last name, role
    ("facilitator", "Fatima", "Hussain", "facilitator"),
    ("coordinator", "Colin", "Edwards", "coordinator"),
    ("artist", "Aisha", "Okafor", "artist"),
    ("admin", "Ada", "Admin", "admin"),
]


def next_wednesday(day: date) -> date:
    """Workshops fall on a school day: the first Wednesday on or after ``day``."""
    return day + timedelta(days=(2 - day.weekday()) % 7)


def slug_email(name: str) -> str:
    letters = "".join(ch for ch in name.lower() if ch.isalnum() or ch == " ")
    return f"hello@{letters.replace(' ', '-')}.example"


class Command(BaseCommand):
    help = "Create an invented neighbourhood, organisations, a venue, demo users and a programme."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even though DEBUG is off. The demo accounts share one published password.",
        )

    @transaction.atomic
    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it only runs with DEBUG=1 "
                "(or --allow-production)."
            )
        users = {role: self.demo_user(username, first, last, role) for username, first, last, role in USERS}
        neighbourhood, _ = Neighbourhood.objects.get_or_create(
            name=NEIGHBOURHOOD,
            defaults={"description": "An invented neighbourhood for trying Better Together."},
        )
        neighbourhood.facilitators.add(users["facilitator"])
        schools = [
            Organisation.objects.get_or_create(
                neighbourhood=neighbourhood,
                name=name,
                defaults={
                    "kind": OrganisationKind.SCHOOL,
                    "school_phase": phase,
                    "contact_email": slug_email(name),
                    "address": f"{name}, Millbrook",
                },
            )[0]
            for name, phase in SCHOOLS
        ]
        schools[0].coordinators.add(users["coordinator"])
        for name, kind in OTHERS:
            Organisation.objects.get_or_create(
                neighbourhood=neighbourhood,
                name=name,
                defaults={"kind": kind, "contact_email": slug_email(name), "address": "Millbrook"},
            )
        venue, _ = Venue.objects.get_or_create(
            neighbourhood=neighbourhood,
            name="Millbrook Community Centre",
            defaults={
                "address": "12 Station Road\nMillbrook\nMB1 2AB",
                "capacity": 40,
                "step_free_access": True,
                "accessible_toilet": True,
                "hearing_loop": True,
                "parking": True,
                "public_transport": "Buses 12 and 47 stop outside. Five minutes' walk from Millbrook station.",
            },
        )
        programme = Programme.objects.filter(neighbourhood=neighbourhood, title=PROGRAMME_TITLE).first()
        if programme is None:
            programme = services.create_programme(
                neighbourhood=neighbourhood,
                title=PROGRAMME_TITLE,
                key_question=(
                    "What would make Millbrook a place where every child can thrive, "
                    "and what could we do about it together?"
                ),
                first_date=next_wednesday(timezone.localdate() + timedelta(days=26)),
                venue=venue,
                schools=schools,
                created_by=users["facilitator"],
            )
            programme.sessions.get(kind=SessionKind.ALL_DAY).artists.add(users["artist"])
            programme.status = ProgrammeStatus.OPEN
            programme.save(update_fields=["status"])
            self.invite_people(programme, schools, users["facilitator"])
        past = Programme.objects.filter(neighbourhood=neighbourhood, title=PAST_PROGRAMME_TITLE).first()
        if past is None:
            past = self.past_programme(neighbourhood, venue, schools, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {neighbourhood} with the programmes “{programme}” (invitations open) and "
                f"“{past}” (the all-day has happened; the first half-day is this week)."
            )
        )
        self.stdout.write(f"Sign in at {settings.SITE_URL}/accounts/login/ with password {DEMO_PASSWORD} as:")
        for username, first, last, role in USERS:
            self.stdout.write(f"  {username:<12} {first} {last} ({role})")

    def invite_people(self, programme: Programme, schools: list[Organisation], facilitator) -> None:
        """Parents, school staff and every local group: a balanced list, some reached by letter."""
        for name, category, role, school, email, language in PEOPLE:
            invitees.add_invitation(
                programme=programme,
                user=facilitator,
                cleaned={
                    "name": name,
                    "category": category,
                    "staff_role": role,
                    "organisation": schools[school],
                    "email": email,
                    "phone": "",
                    "language": language,
                    "channel": Channel.EMAIL if email else Channel.LETTER,
                },
            )
        invitees.invite_organisations(programme=programme, user=facilitator)

    def past_programme(self, neighbourhood, venue, schools, users) -> Programme:
        """A programme whose all-day workshop was last week or the week before: who came, their words,
        the artist's pictures described and tagged, and one action already agreed with a parent leading."""
        facilitator = users["facilitator"]
        today = timezone.localdate()
        # The Wednesday 8 to 14 days ago, so the first half-day (a fortnight later) is this week.
        all_day_date = next_wednesday(today - timedelta(days=14))
        programme = services.create_programme(
            neighbourhood=neighbourhood,
            title=PAST_PROGRAMME_TITLE,
            key_question="How can Riverside's families, schools and groups make the most of what is here?",
            first_date=all_day_date,
            venue=venue,
            schools=schools,
            created_by=facilitator,
        )
        all_day = programme.sessions.get(kind=SessionKind.ALL_DAY)
        all_day.artists.add(users["artist"])
        programme.status = ProgrammeStatus.OPEN
        programme.save(update_fields=["status"])
        self.invite_people(programme, schools, facilitator)
        self.live_through_the_weeks_before(programme)
        self.stage_the_all_day(all_day, users)
        self.add_late_people(programme, schools, facilitator)
        return programme

    def add_late_people(self, programme: Programme, schools: list[Organisation], facilitator) -> None:
        """Two parents added this week, whose invitations go at the dispatcher's next run: Joy has only a
        mobile (her invitation comes as a text, between 9am and 7pm), and Amina's email address is one
        the pretend mail provider refuses (core.mailbox.BOUNCE_DOMAIN), so the bounce moves her to a
        letter through her school and onto the letters to print."""
        late = [
            ("Joy Adeyemi", 0, "", "+447700900461", Channel.SMS),
            ("Amina Yusuf", 1, f"amina.yusuf@{BOUNCE_DOMAIN}", "", Channel.EMAIL),
        ]
        for name, school, email, mobile, channel in late:
            invitees.add_invitation(
                programme=programme,
                user=facilitator,
                cleaned={
                    "name": name,
                    "category": Category.PARENT,
                    "staff_role": "",
                    "organisation": schools[school],
                    "email": email,
                    "phone": "",
                    "mobile": mobile,
                    "texts_agreed": bool(mobile),
                    "language": "en",
                    "channel": channel,
                },
            )

    def live_through_the_weeks_before(self, programme: Programme) -> None:
        """Make the past really past: the list was drawn up a week before the invitations were due, and
        every email the worker would have sent since then is recorded as sent at its time, day by day as
        the schedule would have had it (nothing is emailed now). Letters wait for the schools to print
        them, as they always do. The first dispatcher run then sends only what a real site would today."""
        first = programme.sessions.order_by("date", "start_time").first()
        assert first is not None
        drawn_up = send_time(first.date - timedelta(days=programme.invitation_lead_days + 7))
        programme.invitations.update(created_at=drawn_up)
        now = timezone.now()
        day = drawn_up.date()
        while (moment := send_time(day)) < now:
            sync_schedule(programme=programme, now=moment)
            Message.objects.filter(
                invitation__programme=programme,
                state=MessageState.SCHEDULED,
                channel__in=SENT_CHANNELS,
                scheduled_for__lte=moment,
            ).update(state=MessageState.SENT, sent_at=F("scheduled_for"), attempts=1)
            day += timedelta(days=1)
        sync_schedule(programme=programme, now=now)

    def stage_the_all_day(self, all_day: Session, users) -> None:
        facilitator = users["facilitator"]
        invitations = list(Invitation.objects.filter(programme=all_day.programme).select_related("invitee"))
        came = [invitation for index, invitation in enumerate(invitations) if index % 3 != 2]
        for invitation in came:
            # As the facilitator did on the day itself: live sign-in is open only then.
            mark_arrived(session=all_day, invitation=invitation, by=facilitator, today=all_day.date)
        add_walk_in(
            session=all_day,
            name="Bev Morris",
            category=Category.COMMUNITY,
            email="",
            by=facilitator,
            today=all_day.date,
        )
        for text in WORDS:
            add_word(session=all_day, text=text, source=WordSource.TYPED, by=facilitator)
        for number, text in enumerate(["Listened", "Welcome"]):
            add_word(session=all_day, text=text, source=WordSource.PHONE, phone_hash=f"demo-phone-{number}")
        for number, (heading, bubbles, description, themes, visibility) in enumerate(PICTURES):
            upload = SimpleUploadedFile(
                f"drawing-{number + 1}.jpg",
                drawing(heading=heading, bubbles=bubbles, seed=number),
                content_type="image/jpeg",
            )
            artwork = save_artwork(
                session=all_day, upload=upload, artist=users["artist"], uploaded_by=users["artist"]
            )
            make_sizes(artwork=artwork)
            describe_artwork(
                artwork=artwork,
                title=heading,
                description=description,
                themes=themes,
                shows_people=False,
                people_agreed=False,
                visibility=visibility,
                by=facilitator,
            )
        lead = next(invitation for invitation in came if invitation.invitee.category == Category.PARENT)
        first_half_day = all_day.programme.sessions.filter(kind=SessionKind.HALF_DAY).order_by("date").first()
        action = save_action(
            programme=all_day.programme,
            session=first_half_day,
            what="A play street on Mill Lane once a month",
            why="Nowhere safe to play after school came up again and again at the all-day.",
            themes=all_day.programme.themes.filter(key="play space"),
            lead=lead,
            helpers="Riverside Tenants' Association; Helen from Millbrook Primary",
            first_step="Ask the council how to close the road for an afternoon",
            status=ActionStatus.AGREED,
            user=facilitator,
        )
        add_update(
            action=action,
            text="The council sent the form for a road closure; we need three neighbours to sign it.",
            status=ActionStatus.UNDER_WAY,
            author=facilitator,
        )

    def demo_user(self, username: str, first: str, last: str, role: str):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@bettertogether.example",
                "is_staff": role == "admin",
                "is_superuser": role == "admin",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if role == "artist":
            user.groups.add(Group.objects.get_or_create(name=ARTISTS_GROUP)[0])
        return user
