from datetime import time, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from events.enums import OrganisationKind, SchoolPhase, SessionKind
from events.models import Neighbourhood, Organisation, Programme, Session, Venue


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("a-test-password")


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood

    name = factory.Sequence(lambda n: f"Neighbourhood {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.VOLUNTARY_GROUP
    contact_email = factory.LazyAttribute(lambda org: f"contact{org.name.split()[-1]}@example.org")


class SchoolFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"School {n} Primary")
    kind = OrganisationKind.SCHOOL
    school_phase = SchoolPhase.PRIMARY


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    name = factory.Sequence(lambda n: f"Community Centre {n}")
    address = "1 High Street\nTown"
    capacity = 40
    step_free_access = True


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    title = factory.Sequence(lambda n: f"Programme {n}")
    key_question = "What would help every child here thrive?"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    programme = factory.SubFactory(ProgrammeFactory)
    kind = SessionKind.HALF_DAY
    order = 1
    date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    start_time = time(9, 30)
    end_time = time(12, 0)


class InviteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invitations.Invitee"

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    name = factory.Sequence(lambda n: f"Parent Number{n}")
    category = "parent"
    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    channel = "email"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invitations.Invitation"

    programme = factory.SubFactory(ProgrammeFactory)
    invitee = factory.SubFactory(
        InviteeFactory, neighbourhood=factory.SelfAttribute("..programme.neighbourhood")
    )
