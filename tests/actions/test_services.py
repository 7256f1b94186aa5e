import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.enums import ActionStatus, UpdateSource
from actions.models import Action, ActionUpdate
from actions.services import LeadCount, leadership, programme_actions
from actions.services.planning import add_update, participants, save_action
from actions.services.reading import actions_csv, leadership_warnings
from actions.services.workshop import changes_since, is_first_half_day, previous_session
from artwork.models import Theme
from invitations.models import Reply, SessionAnswer
from tests.factories import InvitationFactory, ProgrammeFactory, SessionFactory

from .helpers import half_day, make_action, participant

pytestmark = pytest.mark.django_db


def counts_by_key(counts: list[LeadCount]) -> dict[str, int]:
    return {count.key: count.count for count in counts}


def test_leadership_counts_each_group_and_actions_without_a_lead(world):
    parent = participant(world.programme, category="parent")
    teacher = participant(world.programme, category="school_staff", staff_role="teacher")
    neighbour = participant(world.programme, category="community")
    make_action(world, lead=parent)
    make_action(world, lead=parent)
    make_action(world, lead=teacher)
    make_action(world, lead=neighbour)
    make_action(world)

    counts = leadership(programme=world.programme)

    assert [count.key for count in counts] == ["parents", "school_staff", "groups", "nobody"]
    assert counts_by_key(counts) == {"parents": 2, "school_staff": 1, "groups": 1, "nobody": 1}


def test_leadership_ignores_other_programmes(world):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    Action.objects.create(programme=other, what="Elsewhere")

    assert counts_by_key(leadership(programme=world.programme)) == {
        "parents": 0,
        "school_staff": 0,
        "groups": 0,
        "nobody": 0,
    }


def test_leadership_warnings_name_a_group_leading_nothing_or_more_than_half():
    counts = [
        LeadCount("parents", "Parents and carers", 3),
        LeadCount("school_staff", "School staff", 1),
        LeadCount("groups", "Local groups and agencies", 0),
        LeadCount("nobody", "Nobody yet", 4),
    ]

    warnings = leadership_warnings(counts)

    assert any("Local groups and agencies do not lead any action" in warning for warning in warnings)
    assert any("Parents and carers lead more than half" in warning for warning in warnings)
    assert len(warnings) == 2


def test_leadership_warnings_say_nothing_when_shared_or_when_nobody_leads_yet():
    shared = [
        LeadCount("parents", "P", 1),
        LeadCount("school_staff", "S", 1),
        LeadCount("groups", "G", 1),
        LeadCount("nobody", "N", 5),
    ]
    empty = [LeadCount(key, key, 0) for key in ("parents", "school_staff", "groups")] + [
        LeadCount("nobody", "N", 3)
    ]

    assert leadership_warnings(shared) == []
    assert leadership_warnings(empty) == []


def test_programme_actions_come_in_the_order_raised_with_everything_loaded(world, django_assert_num_queries):
    lead = participant(world.programme)
    first = make_action(world, what="First", lead=lead)
    second = make_action(world, what="Second")
    theme = Theme.objects.create(programme=world.programme, name="Play", key="play")
    second.themes.add(theme)
    add_update(action=first, text="Started")

    with django_assert_num_queries(4):  # actions + themes + artworks + updates
        actions = programme_actions(programme=world.programme)
        names = [
            (a.what, a.lead and a.lead.invitee.organisation, [t.name for t in a.themes.all()])
            for a in actions
        ]
        texts = [u.text for a in actions for u in a.updates.all()]

    assert [name for name, _org, _themes in names] == ["First", "Second"]
    assert names[1][2] == ["Play"]
    assert texts == ["Started"]


def test_participants_are_people_who_came_or_said_yes(world):
    came = participant(world.programme, name="Came")
    coming = InvitationFactory(programme=world.programme, invitee__name="Coming")
    SessionAnswer.objects.create(
        reply=Reply.objects.create(invitation=coming), session=half_day(world), answer="yes"
    )
    said_no = InvitationFactory(programme=world.programme, invitee__name="Said no")
    SessionAnswer.objects.create(
        reply=Reply.objects.create(invitation=said_no), session=half_day(world), answer="no"
    )
    InvitationFactory(programme=world.programme, invitee__name="Only invited")
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    participant(other, session=SessionFactory(programme=other), name="Elsewhere")

    assert list(participants(programme=world.programme)) == [came, coming]


def test_save_action_allows_an_idea_without_a_lead(world):
    action = save_action(programme=world.programme, session=half_day(world), what="Coffee mornings")

    assert action.pk and action.status == ActionStatus.IDEA and action.lead is None


@pytest.mark.parametrize("status", [ActionStatus.AGREED, ActionStatus.UNDER_WAY, ActionStatus.DONE])
def test_save_action_refuses_a_taken_on_action_without_a_lead(world, status):
    with pytest.raises(ValidationError) as error:
        save_action(programme=world.programme, what="Coffee mornings", status=status)

    assert "lead" in error.value.message_dict
    assert not Action.objects.exists()


def test_save_action_refuses_a_lead_from_another_programme(world):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    outsider = participant(other, session=SessionFactory(programme=other))

    with pytest.raises(ValidationError) as error:
        save_action(programme=world.programme, what="X", lead=outsider, status=ActionStatus.AGREED)

    assert "lead" in error.value.message_dict


def test_save_action_refuses_a_due_date_before_the_all_day(world):
    all_day = world.programme.sessions.get(order=1)

    with pytest.raises(ValidationError) as error:
        save_action(programme=world.programme, what="X", due=all_day.date - timedelta(days=1))

    assert "due" in error.value.message_dict
    save_action(programme=world.programme, what="On the day is fine", due=all_day.date)


def test_save_action_saves_nothing_when_a_theme_belongs_elsewhere(world):
    other = ProgrammeFactory(neighbourhood=world.neighbourhood)
    foreign = Theme.objects.create(programme=other, name="Theirs", key="theirs")
    ours = Theme.objects.create(programme=world.programme, name="Ours", key="ours")

    with pytest.raises(ValidationError):
        save_action(programme=world.programme, what="X", themes=[ours, foreign])

    assert not Action.objects.exists()


def test_save_action_refuses_text_longer_than_the_model_allows(world):
    with pytest.raises(ValidationError) as error:
        save_action(programme=world.programme, what="X", why="a" * 100_000)

    assert "why" in error.value.message_dict
    assert not Action.objects.exists()


def test_changing_the_status_in_the_form_is_recorded_as_an_update(world):
    lead = participant(world.programme)
    action = save_action(programme=world.programme, what="X")

    save_action(programme=world.programme, action=action, what="X", lead=lead, status=ActionStatus.AGREED)

    update = ActionUpdate.objects.get()
    assert (update.status_before, update.status_after) == (ActionStatus.IDEA, ActionStatus.AGREED)


def test_add_update_keeps_the_status_before_and_after(world):
    action = make_action(world, lead=participant(world.programme), status=ActionStatus.AGREED)

    update = add_update(
        action=action, text="Met the head", status=ActionStatus.UNDER_WAY, source=UpdateSource.LEAD
    )
    plain = add_update(action=action, text="Still going")

    action.refresh_from_db()
    assert action.status == ActionStatus.UNDER_WAY
    assert (update.status_before, update.status_after, update.source) == ("agreed", "under_way", "lead")
    assert (plain.status_before, plain.status_after) == ("under_way", "under_way")


def test_add_update_refuses_empty_long_or_unknown_input(world):
    action = make_action(world)

    for text, status in [("   ", ""), ("a" * 100_000, ""), ("ok", "finished"), ("ok", ActionStatus.AGREED)]:
        with pytest.raises(ValidationError):
            add_update(action=action, text=text, status=status)

    assert not ActionUpdate.objects.exists()
    action.refresh_from_db()
    assert action.status == ActionStatus.IDEA


def test_previous_session_and_first_half_day(world):
    all_day, first, second = (world.programme.sessions.get(order=n) for n in (1, 2, 3))

    assert previous_session(session=first) == all_day
    assert previous_session(session=all_day) is None
    assert is_first_half_day(session=first, previous=all_day)
    assert not is_first_half_day(session=second, previous=first)


def test_changes_since_tells_new_changed_and_unchanged_actions(world):
    first = half_day(world, 2)
    first.date = timezone.localdate() - timedelta(days=7)
    first.save()
    raised_then = make_action(world, what="Raised then", session=first)
    Action.objects.filter(pk=raised_then.pk).update(created_at=timezone.now() - timedelta(days=7))
    changed = make_action(world, what="Changed", session=first, lead=participant(world.programme))
    Action.objects.filter(pk=changed.pk).update(created_at=timezone.now() - timedelta(days=7))
    old = add_update(action=changed, text="Before the workshop")
    ActionUpdate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    add_update(action=changed, text="Since then", status=ActionStatus.UNDER_WAY)
    new = make_action(world, what="New", session=half_day(world, 3))

    changes = {
        c.action.what: c
        for c in changes_since(actions=programme_actions(programme=world.programme), previous=first)
    }

    assert changes["Raised then"].unchanged
    assert [u.text for u in changes["Changed"].updates] == ["Since then"]
    assert changes["Changed"].status_before == "Idea"
    assert changes["New"].new and new.pk


def test_actions_csv_has_every_column_and_never_a_formula(world):
    lead = participant(world.programme, name="Amina Khan", category="parent")
    action = make_action(world, what="=HYPERLINK(1)", lead=lead, status=ActionStatus.AGREED)
    action.themes.add(Theme.objects.create(programme=world.programme, name="Play", key="play"))
    add_update(action=action, text="Booked the hall")

    rows = list(csv.reader(io.StringIO(actions_csv(programme=world.programme).lstrip("\ufeff"))))

    assert rows[0][:4] == ["What", "Why", "Themes", "Who leads it"]
    assert len(rows[0]) == 11
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][2:5] == ["Play", "Amina Khan", "Parents and carers"]
    assert rows[1][8:10] == ["Agreed", "Booked the hall"]
