"""Create an invented neighbourhood to try the site with. Running it again changes nothing."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from events import services
from events.enums import OrganisationKind, ProgrammeStatus, SchoolPhase, SessionKind
from events.forms import ARTISTS_GROUP
from events.models import Neighbourhood, Organisation, Programme, Venue
from invitations.enums import Category, Channel, StaffRole
from invitations.services import invitees

DEMO_PASSWORD = "together-demo-2026"  # noqa: S105 -- published on purpose, DEBUG only
NEIGHBOURHOOD = "Millbrook and Riverside"
PROGRAMME_TITLE = "Better Together in Millbrook"
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
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready: {neighbourhood} with the programme “{programme}”.")
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
