"""The facilitator's pages for one word each: the circle, approving, the QR code, clouds and exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.tokens import hash_token
from evaluations.enums import WordSource, WordState
from evaluations.models import Word, WordLink
from evaluations.services.words import add_word, show_code, word_code
from events.enums import SessionKind
from tests.factories import SessionFactory

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def facilitator(client, world):
    client.force_login(world.user("facilitator"))
    return client


def words_url(world):
    return reverse("evaluations:words", args=[world.session.pk])


def test_circle_post_saves_the_word_and_redirects_back(facilitator, world):
    response = facilitator.post(words_url(world), {"word": "Hopeful"})
    assert response.status_code == 302 and response["Location"] == words_url(world)
    word = Word.objects.get()
    assert (word.said, word.source, word.state, word.recorded_by) == (
        "Hopeful",
        WordSource.TYPED,
        WordState.SHOWN,
        world.user("facilitator"),
    )
    page = facilitator.get(words_url(world)).content.decode()
    assert "Saved ‘Hopeful’." in page
    assert 'name="word"' in page and "autofocus" in page


def test_circle_post_by_fetch_answers_json(facilitator, world):
    response = facilitator.post(words_url(world), {"word": "together!"}, **JSON)
    body = response.json()
    assert response.status_code == 200
    assert body["message"] == "Saved ‘together’."
    assert body["word"]["said"] == "together!"
    assert body["word"]["remove_url"] == reverse(
        "evaluations:word_remove", args=[world.session.pk, Word.objects.get().pk]
    )


@pytest.mark.parametrize(
    ("typed", "group", "said"),
    [
        ("1 hopeful", "parents", "hopeful"),
        ("2 tired", "school_staff", "tired"),
        ("3 proud", "groups", "proud"),
    ],
)
def test_circle_group_key_tags_the_speaker(facilitator, world, typed, group, said):
    body = facilitator.post(words_url(world), {"word": typed}, **JSON).json()
    word = Word.objects.get()
    assert (word.said, word.group) == (said, group)
    assert body["word"]["group"]


def test_circle_a_number_alone_is_a_word_not_a_group(facilitator, world):
    facilitator.post(words_url(world), {"word": "1"}, **JSON)
    assert (Word.objects.get().said, Word.objects.get().group) == ("1", "")


def test_circle_empty_word_is_refused_beside_the_field(facilitator, world):
    response = facilitator.post(words_url(world), {"word": "  "})
    assert response.status_code == 400
    assert "Please type one word first." in response.content.decode()
    assert not Word.objects.exists()
    body = facilitator.post(words_url(world), {"word": ""}, **JSON)
    assert body.status_code == 400 and body.json()["error"] == "Please type one word first."


def test_circle_sentence_keeps_the_first_word_and_says_so(facilitator, world):
    body = facilitator.post(words_url(world), {"word": "Happy and tired"}, **JSON).json()
    assert body["message"] == "We kept the first word, ‘Happy’. Saved ‘Happy’."


def test_circle_500_characters_are_refused(facilitator, world):
    response = facilitator.post(words_url(world), {"word": "x" * 500})
    assert response.status_code == 400
    assert "longer than a word" in response.content.decode()
    assert not Word.objects.exists()


def test_circle_more_than_500_characters_by_fetch_get_a_json_answer(facilitator, world):
    response = facilitator.post(words_url(world), {"word": "x" * 501}, **JSON)
    assert response.status_code == 400 and "at most 500 characters" in response.json()["error"]
    assert not Word.objects.exists()


def test_circle_remove_undoes_a_mistake(facilitator, world):
    word = add_word(session=world.session, text="oops", source=WordSource.TYPED).word
    url = reverse("evaluations:word_remove", args=[world.session.pk, word.pk])
    assert facilitator.post(url, **JSON).json()["message"] == "Removed ‘oops’."
    assert not Word.objects.exists()


def test_circle_remove_refuses_a_word_of_another_session(facilitator, world):
    other = SessionFactory(programme=world.programme, order=9)
    word = add_word(session=other, text="keep", source=WordSource.TYPED).word
    url = reverse("evaluations:word_remove", args=[world.session.pk, word.pk])
    assert facilitator.post(url).status_code == 404
    assert Word.objects.exists()


def test_circle_is_not_for_another_neighbourhoods_facilitator(client, world):
    client.force_login(world.user("other_facilitator"))
    assert client.post(words_url(world), {"word": "sneaky"}).status_code == 403
    assert not Word.objects.exists()


def _phone_word(world, text, n):
    return add_word(session=world.session, text=text, source=WordSource.PHONE, phone_hash=str(n) * 64).word


def test_approve_shows_a_waiting_word(facilitator, world):
    word = _phone_word(world, "kind", 1)
    url = reverse("evaluations:approve", args=[world.session.pk])
    response = facilitator.post(url, {"word": word.pk, "decision": "approve", "back": "words"})
    assert response["Location"] == words_url(world)
    word.refresh_from_db()
    assert word.state == WordState.SHOWN


def test_approve_can_refuse_a_held_word_marked_may_be_rude(facilitator, world):
    word = _phone_word(world, "shit", 2)
    url = reverse("evaluations:approve", args=[world.session.pk])
    assert "may be rude" in facilitator.get(url).content.decode()
    facilitator.post(url, {"word": word.pk, "decision": "reject"})
    word.refresh_from_db()
    assert word.state == WordState.REJECTED


def test_approve_refuses_a_word_already_decided(facilitator, world):
    word = add_word(session=world.session, text="typed", source=WordSource.TYPED).word
    url = reverse("evaluations:approve", args=[world.session.pk])
    assert facilitator.post(url, {"word": word.pk, "decision": "reject"}).status_code == 404
    assert facilitator.post(url, {"word": "nonsense", "decision": "reject"}).status_code == 404


def test_word_qr_makes_a_fresh_link_and_keeps_only_its_hash(facilitator, world):
    response = facilitator.get(reverse("evaluations:word_qr", args=[world.session.pk]))
    page = response.content.decode()
    link = WordLink.objects.get()
    # The link is in the QR code only (the screen shows a short code to type instead).
    token = response.context["address"].split("/w/", 1)[1].split("/", 1)[0]
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert "<svg" in page
    assert "no-store" in response["Cache-Control"]


def test_word_qr_shows_a_short_address_and_the_sessions_code(facilitator, world):
    page = facilitator.get(reverse("evaluations:word_qr", args=[world.session.pk])).content.decode()
    code = show_code(word_code(world.session))
    assert len(code) == 9 and code[4] == "-" and code.replace("-", "").isdigit()
    assert "Can’t scan the code? Go to" in page
    assert '<strong class="word-address">testserver/w</strong>' in page
    assert f'<strong class="word-address">{code}</strong>' in page
    # Five weeks early, the screen says the number only works on the day.
    assert 'id="code-later"' in page


def test_cloud_page_shows_the_words_and_the_table(facilitator, world):
    for text in ["Hope", "hope", "calm"]:
        add_word(session=world.session, text=text, source=WordSource.TYPED)
    _phone_word(world, "waiting", 3)
    page = facilitator.get(reverse("evaluations:cloud", args=[world.session.pk])).content.decode()
    assert '<tr><td>Hope</td><td class="text-end">2</td></tr>' in page
    assert '<tr><td>calm</td><td class="text-end">1</td></tr>' in page
    assert "waiting" not in page.split('id="cloud-live"')[1]
    partial = facilitator.get(reverse("evaluations:cloud_partial", args=[world.session.pk])).content.decode()
    assert "<svg" in partial and "<html" not in partial


def test_the_circle_and_the_room_screen_ask_as_often_as_the_setting_says(facilitator, world, settings):
    settings.WORDS_POLL_SECONDS = 7

    circle = facilitator.get(words_url(world)).content.decode()
    screen = facilitator.get(reverse("evaluations:cloud", args=[world.session.pk])).content.decode()

    assert '<div id="word-queue-region" data-poll-seconds="7">' in circle
    assert 'data-poll-seconds="7"' in screen.split('id="cloud-live"')[1].split(">", 1)[0]


def test_cloud_png_is_an_image(facilitator, world):
    add_word(session=world.session, text="hope", source=WordSource.TYPED)
    response = facilitator.get(reverse("evaluations:cloud_png", args=[world.session.pk]))
    assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")
    response = facilitator.get(reverse("evaluations:programme_cloud_png", args=[world.programme.pk]))
    assert response.content.startswith(b"\x89PNG")


def move_series(world, *, last_on):
    """Move the programme's sessions together so that the last one is on ``last_on``."""
    sessions = list(world.programme.sessions.order_by("order"))
    shift = sessions[-1].date - last_on
    for moved in sessions:
        moved.date -= shift
        moved.save()
    return sessions


def test_programme_words_show_how_the_words_changed(facilitator, world):
    # The whole series has taken place: the last half-day was yesterday.
    sessions = move_series(world, last_on=timezone.localdate() - timedelta(days=1))
    all_day, last = sessions[0], sessions[-1]
    assert all_day.kind == SessionKind.ALL_DAY and last.kind == SessionKind.HALF_DAY
    for text in ["nervous", "hopeful", "curious"]:
        add_word(session=all_day, text=text, source=WordSource.TYPED)
    for text in ["hopeful", "together", "proud"]:
        add_word(session=last, text=text, source=WordSource.TYPED)
    page = facilitator.get(reverse("evaluations:programme_words", args=[world.programme.pk])).content.decode()
    new = page.split('id="words-new"')[1].split("</ul>")[0]
    gone = page.split('id="words-gone"')[1].split("</ul>")[0]
    assert "together" in new and "proud" in new and "hopeful" not in new
    assert "nervous" in gone and "curious" in gone and "hopeful" not in gone
    assert page.count("<svg") == 3


def test_programme_words_compare_only_sessions_that_have_taken_place(facilitator, world):
    # The all-day was yesterday; the half-days are still to come (one has a word typed in by mistake).
    sessions = move_series(world, last_on=timezone.localdate() + timedelta(days=30))
    all_day = sessions[0]
    all_day.date = timezone.localdate() - timedelta(days=1)
    all_day.save()
    for text in ["nervous", "hopeful"]:
        add_word(session=all_day, text=text, source=WordSource.TYPED)
    add_word(session=sessions[-1], text="early", source=WordSource.TYPED)

    page = facilitator.get(reverse("evaluations:programme_words", args=[world.programme.pk])).content.decode()

    change = page.split('id="change-heading"')[1]
    assert "Only the all-day has happened so far: the comparison appears after the next workshop." in change
    assert 'id="words-gone"' not in change and 'id="words-new"' not in change
    assert "<svg" not in change
    assert page.count("<svg") == 1  # every session together, only


def test_programme_words_compare_with_the_last_half_day_that_happened_and_has_words(facilitator, world):
    sessions = move_series(world, last_on=timezone.localdate() - timedelta(days=1))
    all_day, first_half, second_half, third_half = sessions
    add_word(session=all_day, text="nervous", source=WordSource.TYPED)
    add_word(session=first_half, text="together", source=WordSource.TYPED)
    add_word(session=second_half, text="proud", source=WordSource.TYPED)
    second_half.cancelled_at = timezone.now()  # cancelled: its words are not compared
    second_half.save()
    # The third half-day took place, but nobody's words were kept.

    page = facilitator.get(reverse("evaluations:programme_words", args=[world.programme.pk])).content.decode()

    new = page.split('id="words-new"')[1].split("</ul>")[0]
    assert "together" in new and "proud" not in new
    assert f"to the last half-day ({first_half})" in page


def test_programme_words_when_a_half_day_has_happened_without_words(facilitator, world):
    sessions = move_series(world, last_on=timezone.localdate() - timedelta(days=1))
    add_word(session=sessions[0], text="nervous", source=WordSource.TYPED)
    page = facilitator.get(reverse("evaluations:programme_words", args=[world.programme.pk])).content.decode()
    assert "Only the all-day has words so far" in page
    assert 'id="words-gone"' not in page


# --- Approving every waiting word at once -----------------------------------------------------------------


def test_approve_all_shows_every_waiting_word_but_not_the_held_ones(facilitator, world):
    waiting = [_phone_word(world, text, n) for n, text in enumerate(["kind", "brave", "warm"], start=1)]
    rude = _phone_word(world, "shit", 4)
    circle = facilitator.get(words_url(world)).content.decode()
    form = circle.split('id="approve-all"')[1].split("</form>")[0]
    assert "Show all 3 waiting words" in form
    assert f'name="up_to" value="{waiting[-1].pk}"' in form

    response = facilitator.post(
        reverse("evaluations:approve_all", args=[world.session.pk]),
        {"up_to": waiting[-1].pk, "back": "words"},
    )

    assert response.status_code == 302 and response["Location"] == words_url(world)
    assert set(Word.objects.filter(state=WordState.SHOWN)) == set(waiting)
    rude.refresh_from_db()
    assert rude.state == WordState.HELD  # left for a person to look at
    page = facilitator.get(words_url(world)).content.decode()
    assert "3 words are on the screen now. 1 that may be rude is still waiting for you to decide." in page
    assert 'id="approve-all"' not in page  # only the held one is left: no "show all" for it


def test_approve_all_leaves_a_word_that_came_after_the_page_was_shown(facilitator, world):
    seen = _phone_word(world, "kind", 1)
    later = _phone_word(world, "later", 2)
    facilitator.post(reverse("evaluations:approve_all", args=[world.session.pk]), {"up_to": seen.pk})
    seen.refresh_from_db()
    later.refresh_from_db()
    assert (seen.state, later.state) == (WordState.SHOWN, WordState.WAITING)
    page = facilitator.get(reverse("evaluations:approve", args=[world.session.pk])).content.decode()
    assert "1 word is on the screen now. 1 more came in just now and is waiting." in page


def test_approve_all_is_a_checked_post_for_the_programmes_facilitators(client, world):
    word = _phone_word(world, "kind", 1)
    url = reverse("evaluations:approve_all", args=[world.session.pk])
    client.force_login(world.user("other_facilitator"))
    assert client.post(url, {"up_to": word.pk}).status_code == 403
    client.force_login(world.user("coordinator"))
    assert client.post(url, {"up_to": word.pk}).status_code == 403
    client.force_login(world.user("facilitator"))
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.user("facilitator"))
    assert strict.post(url, {"up_to": word.pk}).status_code == 403
    word.refresh_from_db()
    assert word.state == WordState.WAITING


def test_approve_all_leaves_other_sessions_words_alone(facilitator, world):
    other = SessionFactory(programme=world.programme, order=9)
    elsewhere = add_word(session=other, text="elsewhere", source=WordSource.PHONE, phone_hash="e" * 64).word
    facilitator.post(reverse("evaluations:approve_all", args=[world.session.pk]))
    elsewhere.refresh_from_db()
    assert elsewhere.state == WordState.WAITING


def test_words_csv_has_every_word_as_said_and_counted(facilitator, world):
    add_word(session=world.session, text="1 Hopes!", source=WordSource.TYPED)  # a service call: no group key
    add_word(session=world.session, text="=SUM(A1)", source=WordSource.TYPED)
    _phone_word(world, "waiting", 4)
    response = facilitator.get(reverse("evaluations:words_csv", args=[world.programme.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows[0] == ["Session", "Word as said", "Counted as", "Group", "How given", "Shown", "Time"]
    assert [row[1:3] for row in rows[1:]] == [["1", "1"], ["'=SUM(A1)", "sum(a1"], ["waiting", "waiting"]]
    assert rows[3][4:6] == ["From a phone", "Waiting for approval"]


def test_neighbourhood_words_count_every_programme_together(facilitator, world):
    add_word(session=world.session, text="hope", source=WordSource.TYPED)
    page = facilitator.get(reverse("evaluations:neighbourhood_words", args=[world.neighbourhood.pk]))
    assert "<tr><td>hope</td>" in page.content.decode()


def test_session_page_panel_counts_words_and_waiting(facilitator, world):
    add_word(session=world.session, text="hope", source=WordSource.TYPED)
    _phone_word(world, "waiting", 5)
    page = facilitator.get(reverse("events:session_detail", args=[world.session.pk])).content.decode()
    assert "1 word so far." in page
    assert "1 word from a phone is waiting for you to approve it." in page
    assert reverse("evaluations:word_qr", args=[world.session.pk]) in page


def test_session_page_panel_hides_typing_from_coordinators(client, world):
    client.force_login(world.user("coordinator"))
    page = client.get(reverse("events:session_detail", args=[world.session.pk])).content.decode()
    assert reverse("evaluations:cloud", args=[world.session.pk]) in page
    assert f'href="{reverse("evaluations:words", args=[world.session.pk])}"' not in page


def test_programme_page_panel_links_to_the_words(facilitator, world):
    add_word(session=world.session, text="hope", source=WordSource.TYPED)
    page = facilitator.get(reverse("events:programme_detail", args=[world.programme.pk])).content.decode()
    assert reverse("evaluations:programme_words", args=[world.programme.pk]) in page
    assert "1 word from every session so far." in page


def test_word_qr_warns_when_the_session_is_over(facilitator, world):
    session = world.session
    session.cancelled_at = timezone.now()
    session.save()
    page = facilitator.get(reverse("evaluations:word_qr", args=[session.pk])).content.decode()
    assert 'id="qr-closed"' in page
