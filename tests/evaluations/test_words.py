"""Normalising, recording and counting the words: the service in evaluations/services/words.py."""

import pytest

from evaluations.enums import WordSource, WordState
from evaluations.models import Word
from evaluations.services.words import (
    AlreadyGiven,
    WordCount,
    WordRefused,
    add_word,
    count_words,
    is_rude,
    normalise_word,
    tally,
)
from tests.factories import SessionFactory

# --- Normalising ----------------------------------------------------------------------------------------


def test_normalise_word_counts_case_spacing_and_punctuation_as_one():
    assert {normalise_word("Inspiring"), normalise_word("inspiring!"), normalise_word(" INSPIRING ")} == {
        "inspiring"
    }


@pytest.mark.parametrize(
    ("said", "counted"),
    [
        ("hopes", "hope"),
        ("communities", "community"),
        ("wishes", "wish"),
        ("Friends.", "friend"),
        ("glass", "glass"),
        ("bus", "bus"),
        ("is", "is"),
        ("famous", "famous"),
        ("news", "news"),
        ("“together”", "together"),
        ("¡Hola!", "hola"),
        ("ＨＡＰＰＹ", "happy"),  # full-width letters (NFKC)
    ],
)
def test_normalise_word_makes_simple_plurals_singular_and_nothing_else(said, counted):
    assert normalise_word(said) == counted


@pytest.mark.parametrize(
    ("said", "counted"),
    [
        ("سعادة", "سعادة"),  # Arabic
        ("خوشی", "خوشی"),  # Urdu
        ("Szczęśliwy!", "szczęśliwy"),  # Polish: casefolded, no English plural rules
        ("Radość", "radość"),
        ("开心", "开心"),  # Chinese
    ],
)
def test_normalise_word_keeps_other_scripts(said, counted):
    assert normalise_word(said) == counted


def test_normalise_word_counts_an_emoji_alone_as_itself():
    assert normalise_word("😊") == "😊"
    assert normalise_word(" 😊 ") == "😊"


def test_normalise_word_drops_an_emoji_stuck_to_a_word():
    assert normalise_word("happy😊") == "happy"
    assert normalise_word("❤️love") == "love"


def test_normalise_word_of_punctuation_alone_is_empty():
    assert normalise_word("!!!") == ""
    assert normalise_word("   ") == ""


def test_is_rude_matches_whole_words_only():
    assert is_rude(normalise_word("Shit!"))
    assert is_rude(normalise_word("bull-shit"))
    assert is_rude(normalise_word("Bollocks"))
    assert not is_rude(normalise_word("Scunthorpe"))
    assert not is_rude(normalise_word("bass"))
    assert not is_rude(normalise_word("hopeful"))


# --- Recording ------------------------------------------------------------------------------------------


@pytest.fixture
def session(db):
    return SessionFactory()


def test_record_word_keeps_the_word_as_said_and_normalised(session):
    recorded = add_word(session=session, text="  Inspiring! ", source=WordSource.TYPED)
    word = Word.objects.get()
    assert (word.said, word.normalised, word.state) == ("Inspiring!", "inspiring", WordState.SHOWN)
    assert recorded.note == ""


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_record_word_refuses_an_empty_word(session, text):
    with pytest.raises(WordRefused, match="Please type one word first"):
        add_word(session=session, text=text, source=WordSource.TYPED)
    assert not Word.objects.exists()


def test_record_word_refuses_punctuation_alone(session):
    with pytest.raises(WordRefused, match="letters in any language"):
        add_word(session=session, text="?!", source=WordSource.TYPED)
    assert not Word.objects.exists()


def test_record_word_keeps_the_first_word_of_a_sentence_and_says_so(session):
    recorded = add_word(session=session, text="Happy and a bit tired", source=WordSource.TYPED)
    assert recorded.word.said == "Happy"
    assert recorded.note == "We kept the first word, ‘Happy’."


def test_record_word_refuses_500_characters_without_a_space(session):
    with pytest.raises(WordRefused, match="longer than a word"):
        add_word(session=session, text="a" * 500, source=WordSource.TYPED)
    assert not Word.objects.exists()


def test_record_word_takes_the_first_word_of_a_500_character_sentence(session):
    recorded = add_word(session=session, text="wonderful " * 50, source=WordSource.TYPED)
    assert recorded.word.said == "wonderful"
    assert "first word" in recorded.note


def test_record_word_keeps_an_emoji(session):
    word = add_word(session=session, text="🌈", source=WordSource.TYPED).word
    assert (word.said, word.normalised) == ("🌈", "🌈")


@pytest.mark.parametrize("text", ["سعادة", "خوشی", "Szczęśliwy", "开心"])
def test_record_word_keeps_other_scripts(session, text):
    word = add_word(session=session, text=text, source=WordSource.TYPED).word
    assert word.said == text
    assert count_words(sessions=[session])[0].word == text


def test_record_word_from_a_phone_waits_for_approval(session):
    word = add_word(session=session, text="hopeful", source=WordSource.PHONE, phone_hash="a" * 64).word
    assert word.state == WordState.WAITING
    assert count_words(sessions=[session]) == []


def test_record_word_from_a_phone_on_the_profanity_list_is_held(session):
    word = add_word(session=session, text="Shit", source=WordSource.PHONE, phone_hash="a" * 64).word
    assert word.state == WordState.HELD


def test_record_word_typed_by_the_facilitator_is_shown_even_if_rude(session):
    # They heard it said in the circle: what to type is their call.
    word = add_word(session=session, text="crap", source=WordSource.TYPED).word
    assert word.state == WordState.SHOWN


def test_record_word_refuses_the_same_phone_twice_kindly(session):
    add_word(session=session, text="hopeful", source=WordSource.PHONE, phone_hash="b" * 64)
    with pytest.raises(AlreadyGiven, match="already given your word"):
        add_word(session=session, text="again", source=WordSource.PHONE, phone_hash="b" * 64)
    assert Word.objects.count() == 1


def test_record_word_lets_the_same_phone_give_a_word_at_another_session(session):
    other = SessionFactory(programme=session.programme, order=2)
    add_word(session=session, text="hopeful", source=WordSource.PHONE, phone_hash="c" * 64)
    add_word(session=other, text="hopeful", source=WordSource.PHONE, phone_hash="c" * 64)
    assert Word.objects.count() == 2


# --- Counting -------------------------------------------------------------------------------------------


def test_count_words_counts_forms_together_most_said_first(session):
    for text in ["Inspiring", "inspiring!", " INSPIRING ", "hopes", "hope", "calm"]:
        add_word(session=session, text=text, source=WordSource.TYPED)
    counts = count_words(sessions=[session])
    assert counts == [
        WordCount(key="inspiring", word="Inspiring", count=3),
        WordCount(key="hope", word="hopes", count=2),
        WordCount(key="calm", word="calm", count=1),
    ]


def test_count_words_shows_the_form_said_most_often():
    rows = [("together", "Together"), ("together", "together"), ("together", "together!")]
    assert tally(rows) == [WordCount(key="together", word="together", count=3)]


def test_count_words_leaves_out_words_not_shown(session):
    add_word(session=session, text="shown", source=WordSource.TYPED)
    waiting = add_word(session=session, text="waiting", source=WordSource.PHONE, phone_hash="d" * 64).word
    rejected = add_word(session=session, text="no", source=WordSource.PHONE, phone_hash="e" * 64).word
    Word.objects.filter(pk=rejected.pk).update(state=WordState.REJECTED)
    assert [wc.key for wc in count_words(sessions=[session])] == ["shown"]
    assert waiting.state == WordState.WAITING


def test_count_words_across_sessions_is_one_query(session, django_assert_num_queries):
    other = SessionFactory(programme=session.programme, order=2)
    add_word(session=session, text="hope", source=WordSource.TYPED)
    add_word(session=other, text="hopes", source=WordSource.TYPED)
    with django_assert_num_queries(1):
        counts = count_words(sessions=[session, other])
    assert counts == [WordCount(key="hope", word="hope", count=2)]
