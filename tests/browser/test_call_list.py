"""The call list with people on it (the table the scan of every page in tests/urlmap.py does not see
before any invitation is due): it fits a 360px phone, axe finds nothing, and its print button, shown by
a static script, opens the browser's Print."""

import pytest
from django.urls import reverse

from invitations.enums import Channel, MessageState
from tests.invitations.test_reach import invitations_due, person, row

from .test_accessibility import _problems, _report


@pytest.fixture
def due(world):
    return invitations_due(world)


def _call_list(world):
    for index, name in enumerate(["Amira Khan-Rahmanova", "Zofia Wiśniewska-Kowalczyk", "Chidinma Okonkwo"]):
        person(
            world,
            name,
            email="",
            mobile=f"+44770090012{index}",
            language="pl" if index else "ur",
            interpreter=True,
            school=world.group,
        )
    lena = person(world, "Helen Carter-Montgomery", email="", channel=Channel.LETTER, phone="0161 496 0000")
    row(lena, Channel.LETTER, state=MessageState.SCHEDULED)
    bounced = person(
        world, "Sam Ode", email_failed="550 5.1.1 <s.ode@millbrook-community.org.uk>: no such user"
    )
    row(bounced, Channel.EMAIL, delivery="permanent-failure")
    return reverse("invitations:not_reached", args=[world.programme.pk])


def test_the_call_list_with_people_on_it_fits_a_phone_and_is_accessible(page, live_server, due, settings):
    url = _call_list(due)
    visits = [
        ("invitations:not_reached", "facilitator", url),
        ("invitations:not_reached (one school)", "coordinator", f"{url}?school={due.school.pk}"),
    ]

    problems = _problems(page, live_server, due, settings, visits)

    assert not problems, _report(problems)


def test_the_print_button_opens_the_browsers_print(page, live_server, due, client):
    url = _call_list(due)
    client.force_login(due.user("facilitator"))
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    page.goto(live_server.url + url)

    button = page.get_by_role("button", name="Print the call list")
    button.click()

    assert page.evaluate("window.printed") == 1
