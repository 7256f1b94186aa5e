import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.enums import ActionStatus, LinkState
from actions.models import Action, ActionUpdate, LeadLink
from actions.services.planning import add_update
from artwork.models import Theme
from evaluations.models import Word
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory

from .helpers import half_day, make_action, participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(client, world):
    client.force_login(world.user("facilitator"))
    return client


def form_data(**changes) -> dict:
    data = {
        "what": "A walking bus to school",
        "why": "Parents said the road feels unsafe",
        "helpers": "Year 6 parents",
        "due": "",
        "first_step": "Ask the school about a start point",
        "status": "idea",
        "lead": "",
    }
    data.update(changes)
    return data


def create_url(world, order: int = 2) -> str:
    return reverse("actions:create", args=[half_day(world, order).pk])


def test_first_half_day_lists_the_all_days_themes_and_words(facilitator, world):
    theme = Theme.objects.create(programme=world.programme, name="Safe streets", key="safe streets")
    all_day = world.programme.sessions.get(order=1)
    for said in ["Hopeful", "hopeful", "Tired"]:
        Word.objects.create(session=all_day, said=said, normalised=said.lower())

    html = facilitator.get(reverse("actions:session_actions", args=[half_day(world).pk])).content.decode()

    assert "What the all-day raised" in html
    assert "Safe streets" in html
    assert f"?theme={theme.pk}" in html
    assert "Turn into an action" in html
    assert "× 2" in html and "Tired" in html


def test_coordinators_see_the_page_without_the_buttons_to_change_it(client, world):
    Theme.objects.create(programme=world.programme, name="Safe streets", key="safe streets")
    client.force_login(world.user("coordinator"))

    html = client.get(reverse("actions:session_actions", args=[half_day(world).pk])).content.decode()

    assert "Safe streets" in html
    assert "Turn into an action" not in html


def test_turn_a_theme_into_an_action(facilitator, world):
    theme = Theme.objects.create(programme=world.programme, name="Safe streets", key="safe streets")
    url = create_url(world) + f"?theme={theme.pk}"

    page = facilitator.get(url).content.decode()
    response = facilitator.post(url, form_data(themes=[theme.pk]))

    assert f'value="{theme.pk}"' in page and "checked" in page
    assert response.status_code == 302
    action = Action.objects.get()
    assert list(action.themes.all()) == [theme]
    assert action.session == half_day(world)
    assert action.created_by == world.user("facilitator")


def test_a_theme_of_another_programme_is_not_pre_ticked(facilitator, world):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    theme = Theme.objects.create(programme=other, name="Theirs", key="theirs")

    page = facilitator.get(create_url(world) + f"?theme={theme.pk}").content.decode()

    assert "Theirs" not in page


def test_an_agreed_action_needs_a_lead(facilitator, world):
    response = facilitator.post(create_url(world), form_data(status="agreed"))

    assert response.status_code == 200
    assert "lead" in response.context["form"].errors
    assert "once it is agreed someone needs to lead it" in response.content.decode()
    assert not Action.objects.exists()


def test_an_idea_can_wait_for_a_lead(facilitator, world):
    response = facilitator.post(create_url(world), form_data(status="idea"))

    assert response.status_code == 302
    assert Action.objects.get().lead is None


def test_a_lead_from_another_programme_is_refused(facilitator, world):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    outsider = participant(other, session=SessionFactory(programme=other))

    response = facilitator.post(create_url(world), form_data(status="agreed", lead=outsider.pk))

    assert "lead" in response.context["form"].errors
    assert "Choose someone taking part in this programme" in response.content.decode()
    assert not Action.objects.exists()


def test_someone_on_the_list_who_neither_came_nor_said_yes_cannot_lead(facilitator, world):
    invited = InvitationFactory(programme=world.programme)

    response = facilitator.post(create_url(world), form_data(status="agreed", lead=invited.pk))

    assert "lead" in response.context["form"].errors
    assert not Action.objects.exists()


def test_the_lead_list_labels_each_participant_with_their_group(facilitator, world):
    participant(world.programme, name="Amina Khan", category="parent")
    participant(world.programme, name="Mr Jones", category="school_staff", staff_role="teacher")
    participant(world.programme, name="Sam Ode", category="group_worker")

    html = facilitator.get(create_url(world)).content.decode()

    assert "Amina Khan — Parent" in html
    assert "Mr Jones — School staff" in html
    assert "Sam Ode — Local group" in html


def test_a_due_date_before_the_all_day_is_refused(facilitator, world):
    all_day = world.programme.sessions.get(order=1)
    lead = participant(world.programme)

    response = facilitator.post(
        create_url(world),
        form_data(status="agreed", lead=lead.pk, due=(all_day.date - timedelta(days=1)).isoformat()),
    )

    assert "due" in response.context["form"].errors
    assert not Action.objects.exists()


@pytest.mark.parametrize("field", ["what", "why", "helpers", "first_step"])
def test_100_kb_of_text_is_refused_beside_the_field(facilitator, world, field):
    response = facilitator.post(create_url(world), form_data(**{field: "a" * 100_000}))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "at most" in response.context["form"].errors[field][0]
    assert not Action.objects.exists()


def test_the_form_says_how_long_the_text_may_be(facilitator, world):
    html = facilitator.get(create_url(world)).content.decode()

    assert "Up to 2000 characters" in html
    assert "Up to 200 characters" in html


def test_nothing_is_saved_half_way_when_editing_fails(facilitator, world):
    theme = Theme.objects.create(programme=world.programme, name="Safe streets", key="safe streets")
    action = make_action(world)
    action.themes.add(theme)
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    outsider = participant(other, session=SessionFactory(programme=other))

    response = facilitator.post(
        reverse("actions:edit", args=[action.pk]),
        form_data(what="Changed", themes=[], status="agreed", lead=outsider.pk),
    )

    assert response.status_code == 200
    action.refresh_from_db()
    assert action.what == "A walking bus to school"
    assert list(action.themes.all()) == [theme]


def test_editing_an_action_saves_it_and_records_the_status_change(facilitator, world):
    lead = participant(world.programme)
    action = make_action(world)

    response = facilitator.post(
        reverse("actions:edit", args=[action.pk]), form_data(what="Changed", status="agreed", lead=lead.pk)
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.what, action.status, action.lead) == ("Changed", "agreed", lead)
    assert ActionUpdate.objects.get().status_after == "agreed"


def test_posting_an_update_records_status_before_and_after(facilitator, world):
    action = make_action(world, lead=participant(world.programme), status=ActionStatus.AGREED)

    response = facilitator.post(
        reverse("actions:update", args=[action.pk]), {"text": "Met the head", "status": "under_way"}
    )

    assert response.status_code == 302
    update = ActionUpdate.objects.get()
    assert (update.status_before, update.status_after, update.author) == (
        "agreed",
        "under_way",
        world.user("facilitator"),
    )


def test_an_update_of_100_kb_is_refused_beside_the_field(facilitator, world):
    action = make_action(world)

    response = facilitator.post(reverse("actions:update", args=[action.pk]), {"text": "a" * 100_000})

    assert "text" in response.context["form"].errors
    assert not ActionUpdate.objects.exists()


def test_an_update_cannot_make_an_action_without_a_lead_agreed(facilitator, world):
    action = make_action(world)

    response = facilitator.post(
        reverse("actions:update", args=[action.pk]), {"text": "Yes!", "status": "agreed"}
    )

    assert "Choose who leads it first" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "idea" and not ActionUpdate.objects.exists()


def test_the_next_half_day_shows_what_changed_since_the_last_workshop(facilitator, world):
    world.programme.sessions.filter(order=1).update(date=timezone.localdate() - timedelta(days=28))
    first = half_day(world, 2)
    first.date = timezone.localdate() - timedelta(days=14)
    first.save()
    quiet = make_action(world, what="Quiet one", session=first)
    moving = make_action(world, what="Moving one", session=first, lead=participant(world.programme))
    Action.objects.filter(pk__in=[quiet.pk, moving.pk]).update(created_at=timezone.now() - timedelta(days=14))
    add_update(action=moving, text="Booked the hall", status=ActionStatus.UNDER_WAY)
    make_action(world, what="Fresh one", session=half_day(world, 3))

    html = facilitator.get(reverse("actions:session_actions", args=[half_day(world, 3).pk])).content.decode()

    assert "What changed since the last workshop" in html
    assert "Booked the hall" in html
    assert "Was “Idea”, now “Under way”" in html
    assert html.count("No change yet") == 1
    assert html.count("New since then") == 1


def test_sending_the_link_puts_one_email_in_the_outbox(
    facilitator, world, django_capture_on_commit_callbacks
):
    action = make_action(world, lead=participant(world.programme), status=ActionStatus.AGREED)

    with django_capture_on_commit_callbacks() as callbacks:
        response = facilitator.post(reverse("actions:send_link", args=[action.pk]))

    assert response.status_code == 302
    link = LeadLink.objects.get()
    assert (link.action, link.invitation, link.state, link.token_hash) == (
        action,
        action.lead,
        LinkState.SCHEDULED,
        "",
    )
    assert len(callbacks) == 1


def test_sending_the_link_says_it_will_be_with_them_in_a_minute_or_so(facilitator, world):
    lead = participant(world.programme, name="Amina Khan")
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)

    response = facilitator.post(reverse("actions:send_link", args=[action.pk]), follow=True)

    assert "The link is on its way to Amina Khan. It should be with them in a minute or so." in (
        response.content.decode()
    )


def test_a_lead_without_email_gets_a_note_instead_of_the_button(facilitator, world):
    lead = participant(world.programme, email="", channel="letter", organisation=world.school)
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)

    html = facilitator.get(reverse("actions:detail", args=[action.pk])).content.decode()
    response = facilitator.post(reverse("actions:send_link", args=[action.pk]), follow=True)

    assert "We have no working email address or mobile number" in html
    assert "Email the lead their link" not in html
    assert "nobody to send it to" in response.content.decode()
    assert not LeadLink.objects.exists()


def test_programme_actions_page_shows_who_leads_and_warns(facilitator, world):
    make_action(world, what="Parents lead", lead=participant(world.programme, category="parent"))
    make_action(world, what="Nobody leads")

    html = facilitator.get(reverse("actions:programme_actions", args=[world.programme.pk])).content.decode()

    assert "Parents lead" in html and "Nobody leads" in html
    assert "School staff do not lead any action yet" in html
    assert "Parents and carers lead more than half" in html


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def many_actions(world, number: int) -> None:
    theme, _created = Theme.objects.get_or_create(
        programme=world.programme, key="play", defaults={"name": "Play"}
    )
    for index in range(number):
        lead = participant(world.programme, category=["parent", "community"][index % 2])
        action = make_action(world, what=f"Action {index}", lead=lead, status=ActionStatus.AGREED)
        action.themes.add(theme)
        add_update(action=action, text="Going")


def test_programme_actions_page_query_count_does_not_grow_with_actions(facilitator, world):
    url = reverse("actions:programme_actions", args=[world.programme.pk])
    many_actions(world, 1)
    one = count_queries(facilitator, url)

    many_actions(world, 19)

    assert count_queries(facilitator, url) == one


def test_next_half_day_page_query_count_does_not_grow_with_actions(facilitator, world):
    url = reverse("actions:session_actions", args=[half_day(world, 3).pk])
    many_actions(world, 1)
    one = count_queries(facilitator, url)

    many_actions(world, 19)

    assert count_queries(facilitator, url) == one


def test_actions_csv_is_a_download(facilitator, world):
    make_action(world, what="Walking bus")

    response = facilitator.get(reverse("actions:actions_csv", args=[world.programme.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "Walking bus" in response.content.decode()


def test_session_panel_links_a_half_day_to_its_actions(facilitator, world):
    make_action(world)

    half = facilitator.get(reverse("events:session_detail", args=[half_day(world).pk])).content.decode()
    all_day = facilitator.get(reverse("events:session_detail", args=[world.session.pk])).content.decode()

    assert reverse("actions:session_actions", args=[half_day(world).pk]) in half
    assert "1 action raised at this workshop" in half
    assert "Plan and follow actions" not in all_day


def test_programme_panel_says_who_leads_in_one_line(facilitator, world):
    make_action(world, lead=participant(world.programme, category="parent"))
    make_action(world)

    html = facilitator.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()

    assert "2 actions." in html
    assert "parents and carers: 1" in html
    assert "1 without a lead yet" in html
    assert reverse("actions:programme_actions", args=[world.programme.pk]) in html


def test_themes_show_a_thumbnail_or_two_of_their_described_pictures(facilitator, world):
    from artwork.enums import ImageState
    from artwork.models import Artwork

    theme = Theme.objects.create(programme=world.programme, name="Safe streets", key="safe streets")
    pictures = [
        Artwork.objects.create(
            session=world.session,
            original=f"artwork/originals/{n}.jpg",
            thumbnail=f"artwork/thumbnails/{n}.jpg",
            width=10,
            height=10,
            state=ImageState.READY,
            description=f"A map of the streets, number {n}",
        )
        for n in range(3)
    ]
    for picture in pictures:
        picture.themes.add(theme)

    html = facilitator.get(reverse("actions:session_actions", args=[half_day(world).pk])).content.decode()

    assert "3 pictures" in html
    assert html.count('alt="A map of the streets') == 2
    assert reverse("artwork:image", kwargs={"pk": pictures[0].pk, "size": "thumbnail"}) in html


def test_a_printed_link_for_a_lead_without_email_opens_their_page(facilitator, client, world):
    lead = participant(world.programme, email="", channel="letter", organisation=world.school)
    action = make_action(world, lead=lead, status=ActionStatus.AGREED)

    response = facilitator.post(reverse("actions:printed_link", args=[action.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "<svg" in html
    address = re.search(r'id="link-address">([^<]+)<', html).group(1)
    link = LeadLink.objects.get()
    assert link.state == LinkState.SENT and link.token_hash and link.token_hash not in html
    token = address.rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("actions:lead_update", args=[token])).status_code == 200


def test_a_printed_link_needs_a_lead(facilitator, world):
    action = make_action(world)

    response = facilitator.post(reverse("actions:printed_link", args=[action.pk]), follow=True)

    assert "Choose who leads this action first" in response.content.decode()
    assert not LeadLink.objects.exists()
