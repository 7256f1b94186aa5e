"""The facilitator's pages for one word each: the circle, approving, the QR code, clouds and exports."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tokens import hash_token
from evaluations.enums import WordSource, WordState
from evaluations.models import Word, WordLink
from evaluations.services.words import add_word
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
    token = page.split("/w/", 1)[1].split("/", 1)[0]
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert "<svg" in page
    assert "no-store" in response["Cache-Control"]


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


def test_programme_words_show_how_the_words_changed(facilitator, world):
    sessions = list(world.programme.sessions.order_by("order"))
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
