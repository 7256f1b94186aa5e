"""The invitation list at school size in a real browser (issue 17, part 7): searching, filtering and
paging by hand on a 360px phone, with no script needed; and the list in each of its states (searched,
filtered, a page further on, the removed, a value not offered) and "Who is coming" with its links fit a
phone and a desktop, and axe finds nothing on them."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from events.enums import ProgrammeStatus
from tests.invitations.test_list_filters import crowd, many  # noqa: F401 - crowd is a fixture

from .conftest import PHONE, sign_in
from .test_accessibility import _problems, _report


def test_the_list_in_every_state_fits_a_phone_and_is_accessible(page, live_server, world, crowd, settings):  # noqa: F811
    many(world, 60)
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    url = reverse("invitations:list", args=[world.programme.pk])
    session = world.programme.sessions.get(order=1)
    visits = [
        ("list", "facilitator", url),
        ("list, searched", "facilitator", f"{url}?q=07700+900123"),
        ("list, filtered", "facilitator", f"{url}?group=parents&reply=none&need=any&problem=any"),
        ("list, one session's replies", "facilitator", f"{url}?reply=coming&session={session.pk}"),
        ("list, page 2", "facilitator", f"{url}?page=2"),
        ("list, the removed", "facilitator", f"{url}?removed=1"),
        ("list, nobody matching", "facilitator", f"{url}?q=nobody+at+all"),
        ("list, a value not offered", "coordinator", f"{url}?school=999999&reply=everyone"),
        (
            "who is coming, with its links",
            "facilitator",
            reverse("invitations:sheets", args=[world.programme.pk]),
        ),
    ]

    problems = _problems(page, live_server, world, settings, visits)

    assert not problems, _report(problems)


def rows(page) -> list[str]:
    return [name.strip().split("\n")[0] for name in page.locator("#invitations tbody th").all_inner_texts()]


def test_search_filter_and_page_on_a_phone(page, live_server, world, crowd):  # noqa: F811
    many(world, 60)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:list", args=[world.programme.pk]))
    expect(page.locator("#list-showing")).to_have_text("Showing 1–50 of 68")

    # A mobile number typed the way people say it.
    page.get_by_label("Name, email or phone").fill("07700 900123")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#list-showing")).to_have_text("Showing 1–1 of 1 matching")
    assert rows(page) == ["Chidi Okafor"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A name without its accents, then a filter instead.
    page.get_by_label("Name, email or phone").fill("zoe odegard")
    page.get_by_role("button", name="Show", exact=True).click()
    assert rows(page) == ["Zoë Ødegård"]
    page.get_by_label("Name, email or phone").fill("")
    filters = page.locator("#list-more-filters")
    expect(filters.get_by_label("Group", exact=True)).to_be_hidden()  # folded away until wanted
    filters.locator("summary").click()
    page.get_by_label("Group", exact=True).select_option(label="School staff")
    page.get_by_role("button", name="Show", exact=True).click()
    assert rows(page) == ["Dana Price"]
    expect(filters.get_by_label("Group", exact=True)).to_be_visible()  # open while a filter is chosen

    # No reply yet, over two pages: the next page keeps the filter.
    page.get_by_label("Group", exact=True).select_option(label="Every group")
    page.get_by_label("Reply", exact=True).select_option(label="No reply yet")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#list-showing")).to_have_text("Showing 1–50 of 63 matching")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#list-showing")).to_have_text("Showing 51–63 of 63 matching")
    assert re.search(r"reply=none.*page=2", page.url)
    assert rows(page)[-1] == "Person 059" and "Hal Nobody" not in rows(page)
    expect(page.get_by_label("Reply", exact=True)).to_have_value("none")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The download carries the same filters.
    href = page.locator("#list-csv-link").get_attribute("href")
    assert href.endswith("list.csv?reply=none")


def test_who_is_coming_leads_to_the_names(page, live_server, world, crowd):  # noqa: F811
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("invitations:sheets", args=[world.programme.pk]))

    page.locator("#programme-total tfoot").get_by_role("link", name=re.compile("no reply yet")).click()

    expect(page.locator("#list-showing")).to_have_text("Showing 1–3 of 3 matching")
    assert rows(page) == ["Ben Lowe", "Dana Price", "Hal Nobody"]
    expect(page.locator("#invitations")).to_contain_text("Letter through school")
