"""The planning checklist's page refuses a form that names items it did not show: another programme's, an
unknown one, the same one twice, one too many. Nothing is created or changed, and the page says why."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.enums import ChecklistKey
from events.models import ChecklistItem

from ..factories import UserFactory

REFUSED = "This checklist does not match the programme&#x27;s items, so nothing was saved."


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


@pytest.fixture
def other_programme(world):
    return services.create_programme(
        neighbourhood=world.other_neighbourhood,
        title="Elsewhere",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=50),
        created_by=UserFactory(),
    )


def checklist_form(programme, **ticks):
    """The checklist as the page posts it, every item ticked off with a note unless ``ticks`` says."""
    items = list(programme.checklist.in_order())
    data = {
        "form-TOTAL_FORMS": len(items),
        "form-INITIAL_FORMS": len(items),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 1000,
    }
    for index, item in enumerate(items):
        done, note = ticks.get(item.key, (True, "Arranged"))
        data[f"form-{index}-id"] = item.pk
        if done:
            data[f"form-{index}-done"] = "on"
        data[f"form-{index}-note"] = note
    return data


def snapshot():
    return sorted(ChecklistItem.objects.values_list("pk", "programme_id", "key", "done", "note"))


def post(client, programme, data):
    return client.post(reverse("events:programme_checklist", args=[programme.pk]), data)


def test_checklist_saves_the_items_it_showed(facilitator_client, world):
    response = post(facilitator_client, world.programme, checklist_form(world.programme))

    assert response.status_code == 302
    assert world.programme.checklist.count() == len(ChecklistKey.values)
    assert not world.programme.checklist.filter(done=False).exists()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda data, other: {"form-0-id": other.checklist.first().pk}, id="another-programmes-item"
        ),
        pytest.param(lambda data, other: {"form-0-id": 999_999}, id="an-item-that-does-not-exist"),
        pytest.param(lambda data, other: {"form-0-id": "venue"}, id="not-a-number"),
        pytest.param(lambda data, other: {"form-0-id": ""}, id="no-id"),
        pytest.param(lambda data, other: {"form-1-id": data["form-0-id"]}, id="the-same-item-twice"),
        pytest.param(
            lambda data, other: {
                "form-TOTAL_FORMS": data["form-TOTAL_FORMS"] + 1,
                f"form-{data['form-TOTAL_FORMS']}-done": "on",
                f"form-{data['form-TOTAL_FORMS']}-note": "A new item",
            },
            id="one-more-than-shown",
        ),
        pytest.param(
            lambda data, other: {
                "form-TOTAL_FORMS": data["form-TOTAL_FORMS"] + 1,
                "form-INITIAL_FORMS": data["form-INITIAL_FORMS"] + 1,
                f"form-{data['form-TOTAL_FORMS']}-id": other.checklist.first().pk,
                f"form-{data['form-TOTAL_FORMS']}-done": "on",
            },
            id="another-programmes-item-added",
        ),
    ],
)
def test_checklist_refuses_items_it_did_not_show(facilitator_client, world, other_programme, forge):
    data = checklist_form(world.programme)
    data.update(forge(data, other_programme))
    before = snapshot()

    response = post(facilitator_client, world.programme, data)

    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert snapshot() == before
    assert not ChecklistItem.objects.filter(key="").exists()


def test_a_refused_checklist_is_shown_again_as_the_programme_has_it(
    facilitator_client, world, other_programme
):
    data = checklist_form(world.programme)
    data["form-0-id"] = other_programme.checklist.first().pk

    response = post(facilitator_client, world.programme, data)

    html = response.content.decode()
    formset = response.context["formset"]
    assert [form.instance.pk for form in formset] == list(
        world.programme.checklist.in_order().values_list("pk", flat=True)
    )
    assert all(str(label) in html for label in ChecklistKey.labels)
