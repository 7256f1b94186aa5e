"""In a real browser, on a phone: the list says two people may be one, the facilitator compares them,
is told to choose between their two different replies, chooses, and merges them into one; and at the
door, a walk-in called Grace Obi is asked about ("Is this Grace Obi from Millbrook Primary?") and signed
in as the Grace on the list. axe and the 360 px check on every page and state on the way."""

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.models import Attendance
from invitations.enums import Answer
from invitations.models import Invitation, Invitee
from invitations.services.replies import save_reply
from tests.factories import InvitationFactory

from .conftest import PHONE, assert_accessible, sign_in


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def checked(page) -> None:
    fits_the_phone(page)
    assert_accessible(page)


def test_the_list_leads_to_comparing_and_merging_a_duplicate(page, live_server, world):
    first = world.programme.sessions.order_by("order").first()
    grace = InvitationFactory(
        programme=world.programme,
        invitee__name="Grace Obi",
        invitee__organisation=world.school,
        invitee__email="grace.obi.household@millbrook-community-partnership.org.uk",
    )
    again = InvitationFactory(
        programme=world.programme,
        invitee__name="gráce OBI",
        invitee__organisation=world.school,
        invitee__email="g.obi@example.org",
        invitee__mobile="+447700900123",
        invitee__texts_agreed=True,
    )
    InvitationFactory(programme=world.programme, invitee__name="Ben Ade", invitee__organisation=world.school)
    save_reply(invitation=grace, answers={first.pk: Answer.YES}, details={})
    save_reply(
        invitation=again,
        answers={first.pk: Answer.NO},
        details={"access_needs": "Step-free access, please", "needs_agreed": True},
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))

    link = page.get_by_role("link", name="2 people may be on the list twice — compare them")
    expect(link).to_be_visible()
    checked(page)
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("People who may be on the list twice")
    pair = page.locator("#duplicates li").first
    expect(pair).to_contain_text("Why they look alike: the same name at the same organisation.")
    expect(pair).not_to_contain_text("Ben Ade")
    checked(page)
    pair.get_by_role("link", name="Compare and merge").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Compare and merge Grace Obi and gráce OBI")
    # The two replies side by side, and nothing chosen between them yet.
    replies = page.get_by_role("group", name="They replied differently: which reply should stay?")
    expect(replies).to_contain_text("Coming")
    expect(replies).to_contain_text("Can't come")
    expect(replies).to_contain_text("Step-free access, please")
    expect(replies.get_by_role("radio", checked=True)).to_have_count(0)
    checked(page)

    page.get_by_role("group", name="Email address").get_by_label("g.obi@example.org").check()
    page.get_by_role("button", name="Merge them into one person").click()

    expect(page.locator("#merge-errors")).to_contain_text("Nothing has been merged yet.")
    expect(replies).to_contain_text("They replied differently: choose which reply to keep.")
    assert Invitee.objects.filter(pk=again.invitee_id).exists()
    checked(page)

    replies.get_by_label("Keep this reply (gráce OBI's)").check()
    page.get_by_role("button", name="Merge them into one person").click()

    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("Merged into one person: Grace Obi")
    expect(page.get_by_text("may be on the list twice")).to_have_count(0)
    checked(page)
    person = Invitee.objects.get(pk=grace.invitee_id)
    assert (person.email, person.mobile) == ("g.obi@example.org", "+447700900123")
    assert not Invitee.objects.filter(pk=again.invitee_id).exists()
    kept = Invitation.objects.get(pk=grace.pk)
    assert kept.reply.answers.get().answer == Answer.NO


def test_a_walk_in_with_a_known_name_is_asked_about_at_the_door(page, live_server, world):
    shift = world.session.date - timezone.localdate()
    for session in world.programme.sessions.all():
        session.date -= shift
        session.save()
    grace = InvitationFactory(
        programme=world.programme, invitee__name="Grace Obi", invitee__organisation=world.school
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("evaluations:signin", args=[world.session.pk]))

    page.get_by_label("Name", exact=True).fill("grace obi")
    page.get_by_label("Parent or carer").check()
    page.get_by_role("button", name="Add and sign in").click()

    expect(page.get_by_role("heading", name="Is this Grace Obi from Millbrook Primary?")).to_be_visible()
    checked(page)
    assert not Attendance.objects.exists()
    page.get_by_role("button", name="Yes, sign them in").click()

    expect(page.locator(".alert-success")).to_have_text("Grace Obi is signed in.")
    expect(page.locator(f"#person-{grace.pk}")).to_contain_text("Signed in")
    assert Invitee.objects.count() == 1
    assert Attendance.objects.get().invitation == grace
