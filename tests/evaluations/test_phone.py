"""The one-word page on people's phones, opened from the QR code: no account, one word per phone."""

from datetime import time, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from core.tokens import hash_token, new_token
from evaluations.enums import WordSource, WordState
from evaluations.models import Word, WordLink
from evaluations.services.words import (
    PHONE_WORDS_PER_ADDRESS,
    UNKNOWN_PHONE_WORDS_PER_ADDRESS,
    find_word_link,
    issue_word_link,
    phone_closed,
    word_code,
)
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


# --- The short code, for a phone that cannot scan the QR code ----------------------------------------------


def on_the_day(world):
    """The world's first session, moved to today: its code opens its phone page."""
    session = world.session
    session.date = timezone.localdate()
    session.start_time, session.end_time = time(0, 0), time(23, 59)
    session.save()
    return session


def code_url():
    return reverse("evaluations:phone_code")


def test_phone_code_page_is_a_short_address_with_one_box(client):
    assert code_url() == "/w/"
    response = client.get("/w")  # as written on the screen: no slash needed
    assert response.status_code == 301 and response["Location"] == "/w/"
    response = client.get(code_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('name="code"') == 1 and 'inputmode="numeric"' in page
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("typed", ["{code}", "{half1}-{half2}", " {half1} {half2} ", "{arabic}"])
def test_phone_code_leads_to_the_phone_page_where_the_word_waits(client, world, typed):
    session = on_the_day(world)
    code = word_code(session)
    arabic = "".join(chr(0x0660 + int(digit)) for digit in code)  # ٤٨٢١… on an Arabic keyboard
    text = typed.format(code=code, half1=code[:4], half2=code[4:], arabic=arabic)

    response = client.post(code_url(), {"code": text})

    assert response.status_code == 302
    token = response["Location"].split("/w/", 1)[1].split("/", 1)[0]
    assert find_word_link(token=token).session == session
    assert "Your one word about today" in client.get(response["Location"]).content.decode()
    client.post(response["Location"], {"word": "Welcomed"})
    assert Word.objects.get().state == WordState.WAITING


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please type the number you can see on the screen."),
        ("1234", "The number on the screen has 8 digits."),
        ("12a45678", "The number on the screen has 8 digits."),
        ("00000000", "That number doesn’t match a workshop today."),
    ],
)
def test_phone_code_a_wrong_number_gets_a_kind_answer(client, world, typed, message):
    on_the_day(world)
    response = client.post(code_url(), {"code": typed})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WordLink.objects.exists()


def test_phone_code_does_not_work_before_the_day(client, world):
    session = world.session  # five weeks from today
    response = client.post(code_url(), {"code": word_code(session)})
    # The same answer as a wrong number: a code seen early cannot even be checked.
    assert response.status_code == 400
    assert "That number doesn’t match a workshop today." in response.content.decode()
    assert not WordLink.objects.exists()


def test_phone_code_after_the_session_is_the_kind_410(client, world):
    session = world.session
    session.date = timezone.localdate() - timedelta(days=1)
    session.save()
    response = client.post(code_url(), {"code": word_code(session)})
    assert response.status_code == 410
    assert "The time for giving your word has passed" in response.content.decode()


def test_phone_code_is_one_per_session(world):
    codes = {word_code(session) for session in world.programme.sessions.all()}
    assert len(codes) == 4 and all(len(code) == 8 and code.isdigit() for code in codes)
    assert word_code(world.session) == word_code(world.session)  # the same every time it is shown


@override_settings(RATE_LIMIT_PER_MINUTE=2)
def test_phone_code_is_rate_limited_per_address(client, world):
    # Twice the usual limit (a room on one Wi-Fi), then a kind 429, whatever is typed.
    session = on_the_day(world)
    statuses = [client.post(code_url(), {"code": "00000000"}).status_code for _ in range(4)]
    assert statuses == [400] * 4
    assert client.post(code_url(), {"code": word_code(session)}).status_code == 429
    assert not WordLink.objects.exists()


def test_phone_code_keeps_the_csrf_check(world):
    session = on_the_day(world)
    assert Client(enforce_csrf_checks=True).post(code_url(), {"code": word_code(session)}).status_code == 403


# --- How many words one phone and one connection may give ---------------------------------------------------


def test_twenty_posts_from_one_address_without_cookies_are_cut_off_kindly(token):
    # One phone that keeps no cookie, sending again and again (every post from 127.0.0.1).
    answers = [Client().post(phone_url(token), {"word": f"word{n}"}) for n in range(20)]

    statuses = [answer.status_code for answer in answers]
    assert statuses == [302] * UNKNOWN_PHONE_WORDS_PER_ADDRESS + [429] * (
        20 - UNKNOWN_PHONE_WORDS_PER_ADDRESS
    )
    assert Word.objects.count() == UNKNOWN_PHONE_WORDS_PER_ADDRESS
    page = answers[-1].content.decode()
    assert "We’ve had lots of words from this connection already" in page
    assert "please tell the facilitator: they’ll add it for you" in page
    assert 'name="word"' not in page

    # Someone else in the room, on the same Wi-Fi, opens the page and gives their word as usual.
    other = Client()
    form = other.get(phone_url(token)).content.decode()
    phone = form.split('name="phone" value="', 1)[1].split('"', 1)[0]
    assert other.post(phone_url(token), {"word": "belonging", "phone": phone}).status_code == 302
    assert Word.objects.filter(said="belonging").exists()


def test_a_phone_that_loads_the_page_afresh_each_time_stops_at_the_address_limit(token):
    # Each time a new page, so a new phone id, and no cookie kept: like a whole room on one Wi-Fi.
    def give(word):
        phone = Client()
        page = phone.get(phone_url(token)).content.decode()
        phone_id = page.split('name="phone" value="', 1)[1].split('"', 1)[0]
        return phone.post(phone_url(token), {"word": word, "phone": phone_id})

    statuses = [give(f"word{n}").status_code for n in range(PHONE_WORDS_PER_ADDRESS + 3)]

    assert PHONE_WORDS_PER_ADDRESS >= 30  # a full room of 30 on the venue's Wi-Fi gets through
    assert statuses == [302] * PHONE_WORDS_PER_ADDRESS + [429] * 3
    assert Word.objects.count() == PHONE_WORDS_PER_ADDRESS


def test_the_same_page_sent_twice_is_one_phone_even_without_its_cookie(token):
    phone = Client()
    page = phone.get(phone_url(token)).content.decode()
    phone_id = page.split('name="phone" value="', 1)[1].split('"', 1)[0]
    assert phone.post(phone_url(token), {"word": "first", "phone": phone_id}).status_code == 302
    again = Client().post(phone_url(token), {"word": "second", "phone": phone_id})  # the cookie was dropped
    assert "You’ve already given your word — thank you!" in again.content.decode()
    assert list(Word.objects.values_list("said", flat=True)) == ["first"]


def test_a_made_up_phone_id_or_cookie_counts_as_no_id(token):
    def forged(n):
        phone = Client()
        phone.cookies[PHONE_COOKIE] = f"made-up-cookie-{n:030d}"
        return phone.post(phone_url(token), {"word": f"w{n}", "phone": f"made-up-id-{n:030d}"})

    statuses = [forged(n).status_code for n in range(UNKNOWN_PHONE_WORDS_PER_ADDRESS + 1)]

    assert statuses == [302] * UNKNOWN_PHONE_WORDS_PER_ADDRESS + [429]
    assert Word.objects.count() == UNKNOWN_PHONE_WORDS_PER_ADDRESS


def test_the_limits_are_per_session(world, token):
    for n in range(UNKNOWN_PHONE_WORDS_PER_ADDRESS):
        Client().post(phone_url(token), {"word": f"w{n}"})
    other_session = world.programme.sessions.order_by("order")[1]
    other_token = issue_word_link(session=other_session)
    assert Client().post(phone_url(other_token), {"word": "next time"}).status_code == 302
