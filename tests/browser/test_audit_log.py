"""The audit log's page (core.audit_views) in a real browser, at 360px and 1280px: a log with long entries
(a download narrowed by a long search, a person's long address changed, a role taken away), a search
with errors, and an empty search. Nothing scrolls sideways and axe finds nothing."""

import pytest
from auditlog.context import set_actor
from django.test import RequestFactory
from django.urls import reverse

from core import audit
from tests.factories import InvitationFactory

from .test_accessibility import _problems, _report

pytestmark = pytest.mark.browser


def test_the_audit_log_fits_a_phone_and_is_accessible(page, live_server, world, settings):
    facilitator = world.user("facilitator")
    request = RequestFactory().get("/", {"q": "Amira Khan-Rahmanova", "school": str(world.school.pk)})
    request.user = facilitator
    audit.record_download(request=request, what=audit.Download.LIST_CSV, obj=world.programme)
    audit.record_download(request=request, what=audit.sheet_download("access"), obj=world.session)
    with set_actor(facilitator):
        invitation = InvitationFactory(
            programme=world.programme,
            invitee__name="Zofia Wiśniewska-Kowalczyk",
            invitee__email="zofia.household@millbrook-community-partnership.org.uk",
            invitee__organisation=world.school,
        )
        invitation.invitee.address = (
            "Flat 12, Bridgewater-under-Lyme House, 3 Bridgewater-under-Lyme Road " * 3
        )
        invitation.invitee.save()
        world.school.coordinators.remove(world.user("coordinator"))
    log = reverse("audit:log")
    visits = [
        ("audit:log", "admin", log),
        ("audit:log (searched)", "admin", f"{log}?what=list+CSV&user=fatima"),
        ("audit:log (bad search)", "admin", f"{log}?since=2027-03-10&until=2027-03-01&what=nonsense"),
    ]

    problems = _problems(page, live_server, world, settings, visits)

    assert not problems, _report(problems)
