"""The one-word page on people's phones, opened from the QR code: no account, one word per phone."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from core.tokens import hash_token, new_token
from evaluations.enums import WordSource, WordState
from evaluations.models import Word, WordLink
from evaluations.services.words import find_word_link, issue_word_link, phone_closed
from evaluations.views.words import PHONE_COOKIE


@pytest.fixture
def token(world):
    raw, token_hash = new_token()
    WordLink.objects.create(session=world.session, token_hash=token_hash)
    return raw


def phone_url(token):
    return reverse("evaluations:phone_word", args=[token])


def test_phone_page_get_shows_one_field_and_changes_nothing(client, token):
    response = client.get(phone_url(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your one word about today" in page and page.count('name="word"') == 1
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert not Word.objects.exists() and PHONE_COOKIE not in response.cookies


def test_phone_page_post_saves_a_word_waiting_for_approval(client, world, token):
    response = client.post(phone_url(token), {"word": "Welcomed!"})
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:phone_thanks", args=[token])
    word = Word.objects.get()
    assert (word.session, word.said, word.normalised, word.source, word.state) == (
        world.session,
        "Welcomed!",
        "welcomed",
        WordSource.PHONE,
        WordState.WAITING,
    )
    cookie = response.cookies[PHONE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/w/"
    assert word.phone_hash == hash_token(cookie.value)  # only the hash is kept
    assert "We have your word" in client.get(response["Location"]).content.decode()


def test_phone_page_the_same_phone_twice_is_thanked_not_saved(client, token):
    client.post(phone_url(token), {"word": "first"})
    again = client.post(phone_url(token), {"word": "second"})
    assert "You’ve already given your word — thank you!" in again.content.decode()
    assert "You’ve already given your word" in client.get(phone_url(token)).content.decode()
    assert list(Word.objects.values_list("said", flat=True)) == ["first"]


def test_phone_page_the_same_phone_racing_itself_gets_the_kind_answer(client, world, token):
    # The page's own check passed for both; the database's constraint decides (IntegrityError path).
    client.post(phone_url(token), {"word": "first"})
    phone_hash = Word.objects.get().phone_hash
    from evaluations.services.words import AlreadyGiven, add_word

    with pytest.raises(AlreadyGiven):
        add_word(session=world.session, text="second", source=WordSource.PHONE, phone_hash=phone_hash)


def test_phone_page_a_different_phone_can_give_its_word(token):
    Client().post(phone_url(token), {"word": "one"})
    Client().post(phone_url(token), {"word": "two"})
    assert Word.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please type one word first."),
        ("x" * 500, "longer than a word"),
        ("...", "letters in any language"),
    ],
)
def test_phone_page_bad_words_are_refused_beside_the_field(client, token, text, message):
    response = client.post(phone_url(token), {"word": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Word.objects.exists() and PHONE_COOKIE not in response.cookies


def test_phone_page_a_rude_word_is_held(client, token):
    client.post(phone_url(token), {"word": "FUCK"})
    assert Word.objects.get().state == WordState.HELD


def test_phone_page_an_unknown_token_is_a_plain_404(client, token):
    assert client.get(phone_url(token + "x")).status_code == 404
    assert client.post(phone_url("nope"), {"word": "hi"}).status_code == 404


def test_phone_page_after_the_session_is_a_kind_410(client, world, token):
    session = world.session
    session.date = timezone.localdate() - timedelta(days=1)
    session.save()
    response = client.get(phone_url(token))
    assert response.status_code == 410
    assert "The time for giving your word has passed" in response.content.decode()
    assert client.post(phone_url(token), {"word": "late"}).status_code == 410
    assert not Word.objects.exists()


def test_phone_page_for_a_cancelled_session_is_a_kind_410(client, world, token):
    session = world.session
    session.cancelled_at = timezone.now()
    session.save()
    response = client.get(phone_url(token))
    assert response.status_code == 410
    assert "cancelled" in response.content.decode()


def test_phone_closed_an_hour_after_the_session_ends(world):
    session = world.session
    assert not phone_closed(session, now=session.ends_at + timedelta(minutes=59))
    assert phone_closed(session, now=session.ends_at + timedelta(minutes=61))


def test_phone_page_keeps_the_csrf_check(token):
    client = Client(enforce_csrf_checks=True)
    assert client.post(phone_url(token), {"word": "forged"}).status_code == 403
    page = client.get(phone_url(token))
    csrf = page.context["csrf_token"]
    # The browser sends the page's own Origin (Referrer-Policy: same-origin); the token is still required.
    response = client.post(
        phone_url(token), {"word": "real", "csrfmiddlewaretoken": str(csrf)}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 302
    assert (
        client.post(
            phone_url(token),
            {"word": "x", "csrfmiddlewaretoken": str(csrf)},
            HTTP_ORIGIN="https://evil.example",
        ).status_code
        == 403
    )
    assert list(Word.objects.values_list("said", flat=True)) == ["real"]


@override_settings(RATE_LIMIT_PER_MINUTE=2)
def test_phone_page_is_rate_limited(client, token):
    # A whole room shares the venue's address: five times the usual limit, then a kind 429.
    statuses = [client.get(phone_url(token)).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_a_word_link_is_found_by_its_token_and_only_its_hash_is_kept(world):
    token = issue_word_link(session=world.session)

    link = WordLink.objects.get()
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert find_word_link(token=token) == link


@pytest.mark.parametrize("bad", ["", "made-up", "x" * 101])
def test_an_unknown_or_overlong_token_finds_no_word_link(world, bad):
    issue_word_link(session=world.session)

    assert find_word_link(token=bad) is None
