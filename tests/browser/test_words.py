"""One word each, in a real browser: the facilitator types the circle's words from the keyboard alone, the
room screen shows them, a participant gives a word on a 360 px phone by typing the short code the screen
shows, and the facilitator approves the waiting words at once."""

import time
from collections import Counter
from datetime import time as clock
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.enums import WordSource, WordState
from evaluations.models import Word
from evaluations.services.words import add_word

from .conftest import PHONE, assert_accessible, sign_in

# 25 words as a circle might say them: some the same in different forms, two tagged with a group key
# ("1 " parents, "2 " school staff), one in Urdu and one in Polish.
CIRCLE = [
    "Hopeful",
    "together",
    "hopeful!",
    "1 inspired",
    "Together",
    "welcomed",
    "HOPEFUL",
    "listened",
    "2 inspired",
    "proud",
    "hopes",
    "community",
    "together.",
    "calm",
    "communities",
    "tired",
    "خوشی",
    "Szczęśliwy",
    "energised",
    "hopeful",
    "heard",
    "connected",
    "welcomed",
    "inspired",
    "motivated",
]
EXPECTED = {
    "hopeful": 4,  # Hopeful, hopeful!, HOPEFUL, hopeful
    "hopes": 1,  # counted as "hope": a different word
    "together": 3,
    "inspired": 3,
    "welcomed": 2,
    "community": 2,
    "proud": 1,
    "خوشی": 1,
    "Szczęśliwy": 1,
}
DELAY_MS = 40  # between key presses: a brisk typist


def test_facilitator_types_25_words_from_the_keyboard_and_the_cloud_counts_them(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    session = world.session
    page.goto(live_server.url + reverse("evaluations:words", args=[session.pk]))
    field = page.get_by_label("Their word")
    expect(field).to_be_focused()  # autofocus: no click needed
    items = page.locator("#typed-words > li")

    started = time.monotonic()
    for number, word in enumerate(CIRCLE, start=1):
        page.keyboard.type(word, delay=DELAY_MS)
        if word.startswith("1 "):
            expect(page.locator("#word-tag")).to_have_text("Group: Parents and carers")
        page.keyboard.press("Enter")
        expect(field).to_have_value("")
        expect(field).to_be_focused()
        expect(items).to_have_count(number)
    elapsed = time.monotonic() - started

    typed_ms = sum(len(word) + 1 for word in CIRCLE) * DELAY_MS
    assert typed_ms < 60_000 and elapsed < 60, f"{typed_ms} ms of typing, {elapsed:.1f} s in all"
    expect(page.locator("#word-status")).to_have_text("Saved ‘motivated’.")
    assert Word.objects.filter(session=session).count() == 25
    assert set(Word.objects.filter(session=session).exclude(group="").values_list("said", "group")) == {
        ("inspired", "parents"),
        ("inspired", "school_staff"),
    }
    assert_accessible(page)

    # A mistake: remove the last word with its button, from the keyboard, then type it again.
    page.locator("#typed-words > li").first.get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(items).to_have_count(24)
    expect(field).to_be_focused()
    page.keyboard.type("motivated", delay=DELAY_MS)
    page.keyboard.press("Enter")
    expect(items).to_have_count(25)

    page.goto(live_server.url + reverse("evaluations:cloud", args=[session.pk]))
    rows = page.locator("#cloud-live table tbody tr")
    counted = {
        row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(1).inner_text())
        for row in rows.all()
    }
    for word, count in EXPECTED.items():
        assert counted.get(word) == count, (word, counted)
    assert sum(counted.values()) == 25
    cloud_words = page.locator("#cloud-live svg text").all_text_contents()
    assert sorted(cloud_words) == sorted(counted)
    assert_accessible(page)


def test_room_screen_shows_new_words_and_can_pause(page, live_server, world, settings):
    settings.WORDS_POLL_SECONDS = 1  # the screen asks every second, so waiting a few polls is quick
    sign_in(page, live_server, world.user("facilitator"))
    session = world.session
    add_word(session=session, text="hopeful", source=WordSource.TYPED)
    page.goto(live_server.url + reverse("evaluations:cloud", args=[session.pk]))
    table = page.locator("#cloud-live table")
    expect(table).to_contain_text("hopeful")

    add_word(session=session, text="together", source=WordSource.TYPED)
    expect(table).to_contain_text("together", timeout=12_000)

    pause = page.get_by_role("button", name="Pause updates")
    pause.press("Enter")
    expect(pause).to_have_attribute("aria-pressed", "true")
    add_word(session=session, text="proud", source=WordSource.TYPED)
    page.wait_for_timeout(2_500)  # two and a half polls: a refresh would have shown it by now
    expect(table).not_to_contain_text("proud")
    pause.press("Enter")
    expect(table).to_contain_text("proud", timeout=12_000)


def test_circle_works_without_javascript(browser, live_server, world):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, world.user("facilitator"))
        page.goto(live_server.url + reverse("evaluations:words", args=[world.session.pk]))
        # The box has autofocus; wait for it before typing, or the first keys can land nowhere.
        expect(page.get_by_label("Their word")).to_be_focused()
        page.keyboard.type("Welcomed and happy")
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text(
            "We kept the first word, ‘Welcomed’. Saved ‘Welcomed’."
        )
        expect(page.get_by_label("Their word")).to_be_focused()
        page.keyboard.press("Enter")  # an empty word
        expect(page.locator("#word-error")).to_have_text("Please type one word first.")
    finally:
        context.close()


def test_participant_gives_a_word_on_a_phone_from_the_short_code(browser, page, live_server, world):
    # Today is the session's day (all day long, so its phone page is open whenever this runs).
    session = world.session
    session.date = timezone.localdate()
    session.start_time, session.end_time = clock(0, 0), clock(23, 59)
    session.save()
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("evaluations:word_qr", args=[session.pk]))
    expect(page.locator(".word-qr svg")).to_be_visible()
    assert_accessible(page)
    short_address, code = page.locator("#word-code .word-address").all_inner_texts()
    assert short_address == live_server.url.split("://", 1)[1] + "/w"
    assert len(code) == 9 and code[4] == "-"

    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    phone = context.new_page()

    def type_the_code(typed):
        phone.goto("http://" + short_address)  # as typed from the screen: no https, no slash
        box = phone.get_by_label("The number on the screen")
        expect(box).to_have_attribute("inputmode", "numeric")
        box.fill(typed)
        phone.get_by_role("button", name="Next").tap()

    try:
        type_the_code("1234 5678")
        expect(phone.locator("#code-error")).to_contain_text("doesn’t match a workshop today")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_accessible(phone)
        type_the_code(code.replace("-", " "))
        expect(phone.get_by_role("heading", level=1)).to_have_text("One word about today")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_accessible(phone)
        phone.get_by_role("button", name="Send my word").tap()  # nothing typed
        expect(phone.locator("#phone-error")).to_have_text("Please type one word first.")
        assert_accessible(phone)
        phone.get_by_label("Your one word about today").fill("Belonging")
        phone.get_by_role("button", name="Send my word").tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you!")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_accessible(phone)
        type_the_code(code)  # the same phone again
        expect(phone.locator("#already")).to_have_text("You’ve already given your word — thank you!")
    finally:
        context.close()

    # It waits for the facilitator, who approves it from the circle page.
    page.goto(live_server.url + reverse("evaluations:words", args=[session.pk]))
    queue = page.locator("#word-queue")
    expect(queue).to_contain_text("Belonging")
    assert_accessible(page)
    queue.get_by_role("button", name="Show it ‘Belonging’", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("‘Belonging’ is on the screen now.")
    page.goto(live_server.url + reverse("evaluations:cloud", args=[session.pk]))
    expect(page.locator("#cloud-live table")).to_contain_text("Belonging")
    assert Counter(Word.objects.values_list("source", flat=True)) == {WordSource.PHONE: 1}


def test_programme_words_page_is_accessible_with_words(page, live_server, world):
    # The series has taken place: the last half-day was yesterday.
    sessions = list(world.programme.sessions.order_by("order"))
    shift = sessions[-1].date - (timezone.localdate() - timedelta(days=1))
    for session in sessions:
        session.date -= shift
        session.save()
    for text in ["nervous", "hopeful", "خوشی"]:
        add_word(session=sessions[0], text=text, source=WordSource.TYPED)
    for text in ["hopeful", "together", "开心"]:
        add_word(session=sessions[-1], text=text, source=WordSource.TYPED)
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("evaluations:programme_words", args=[world.programme.pk]))
    expect(page.locator("#words-new")).to_contain_text("together")
    assert_accessible(page)
    page.goto(live_server.url + reverse("evaluations:neighbourhood_words", args=[world.neighbourhood.pk]))
    assert_accessible(page)


def test_words_from_phones_appear_on_the_circle_page_without_a_reload(page, live_server, world):
    sign_in(page, live_server, world.user("facilitator"))
    session = world.session
    page.goto(live_server.url + reverse("evaluations:words", args=[session.pk]))
    expect(page.get_by_text("None waiting.")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    add_word(session=session, text="Brave", source=WordSource.PHONE, phone_hash="phone-1")

    queue = page.locator("#word-queue")
    expect(queue).to_contain_text("Brave", timeout=12_000)
    expect(page.locator("#queue-status")).to_have_text("Words from phones (1)")
    assert page.evaluate("window.stillTheSamePage === true")
    assert_accessible(page)

    page.get_by_role("button", name="Show it ‘Brave’", exact=True).click()
    expect(page.get_by_text("None waiting.")).to_be_visible()
    assert Word.objects.get(said="Brave").state == WordState.SHOWN


def test_facilitator_shows_every_waiting_word_at_once_but_not_the_rude_one(page, live_server, world):
    session = world.session
    for number, text in enumerate(["Brave", "Welcome", "shit"]):
        add_word(session=session, text=text, source=WordSource.PHONE, phone_hash=f"phone-{number}")
    sign_in(page, live_server, world.user("facilitator"))
    page.goto(live_server.url + reverse("evaluations:words", args=[session.pk]))
    queue = page.locator("#word-queue")
    expect(queue.locator("li")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("button", name="Show all 2 waiting words").click()

    expect(page.locator(".messages")).to_have_text(
        "2 words are on the screen now. 1 that may be rude is still waiting for you to decide."
    )
    expect(queue.locator("li")).to_have_count(1)
    expect(queue).to_contain_text("may be rude")
    expect(page.get_by_role("button", name="Show all 2 waiting words")).to_have_count(0)
    assert set(Word.objects.filter(state=WordState.SHOWN).values_list("said", flat=True)) == {
        "Brave",
        "Welcome",
    }
    assert_accessible(page)
