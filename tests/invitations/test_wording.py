"""The words of the letter: worker-speak found with a plainer word, our default passing the check, the
editor page and its JSON check."""

import json

import pytest
from django.urls import reverse

from invitations.models import MAX_LETTER_CHARACTERS, LetterWording
from invitations.plain_words import WORKER_SPEAK, find_worker_speak
from invitations.services import wording

JARGON = (
    "Going forward, we will leverage multi-agency partnership working to empower stakeholders and "
    "facilitate holistic interventions, delivering key performance indicators against agreed outcomes "
    "through robust capacity building and best practice frameworks."
)


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def editor_url(world) -> str:
    return reverse("invitations:letter_wording", args=[world.programme.pk])


def check_url(world) -> str:
    return reverse("invitations:letter_wording_check", args=[world.programme.pk])


# The list of worker-speak


def test_worker_speak_list_has_at_least_forty_terms_each_with_a_plainer_word():
    assert len(WORKER_SPEAK) >= 40
    assert len({entry.term for entry in WORKER_SPEAK}) == len(WORKER_SPEAK)
    assert all(str(entry.plainer).strip() for entry in WORKER_SPEAK)


@pytest.mark.parametrize(
    "required",
    [
        "stakeholder",
        "multi-agency",
        "outcome",
        "capacity building",
        "deliverable",
        "engagement",
        "provision",
        "facilitate",
        "leverage",
        "holistic",
        "synergy",
        "empower",
        "signpost",
        "cohort",
        "intervention",
        "pathway",
        "framework",
        "key performance indicator",
        "best practice",
        "going forward",
        "touch base",
    ],
)
def test_worker_speak_list_includes_the_terms_named_in_the_issue(required):
    assert required in {entry.term for entry in WORKER_SPEAK}


def test_worker_speak_term_is_found_with_its_plainer_word():
    assert find_worker_speak("Every stakeholder is welcome.") == [("stakeholder", "people involved")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Our stakeholders", "stakeholders"),
        ("engaging parents", "engaging"),
        ("we engaged", "engaged"),
        ("She facilitates", "facilitates"),
        ("facilitated by", "facilitated"),
        ("real synergies", "synergies"),
        ("two cohorts", "cohorts"),
        ("signposting families", "signposting"),
        ("better outcomes", "outcomes"),
        ("the deliverables", "deliverables"),
        ("new pathways", "pathways"),
    ],
)
def test_worker_speak_is_found_in_its_plural_and_ing_and_ed_forms(text, found):
    assert [term for term, _ in find_worker_speak(text)] == [found]


@pytest.mark.parametrize(
    "text", ["STAKEHOLDER", "Stakeholder", "sTaKeHoLdEr", "Multi-Agency", "GOING FORWARD"]
)
def test_worker_speak_is_found_in_any_case(text):
    assert [term for term, _ in find_worker_speak(text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "disengagement",  # engagement
        "incomes and comes",  # outcome
        "provisional plans",  # provision
        "reframeworked",  # framework
        "cohortly",  # cohort
        "priority",  # prior to
        "leverages1",  # leverage, with a digit stuck on
        "unempowered",  # empower
        "a signposter",  # signpost
        "upcoming events",  # no term at all
    ],
)
def test_worker_speak_is_never_found_inside_other_words(text):
    assert find_worker_speak(text) == []


@pytest.mark.parametrize(
    ("text", "found", "plainer"),
    [
        ("with multi-agency teams", "multi-agency", "different services together"),
        ("with multi agency teams", "multi agency", "different services together"),
        ("with multiagency teams", "multiagency", "different services together"),
        ("capacity building work", "capacity building", "helping people do more"),
        ("capacity-building work", "capacity-building", "helping people do more"),
        ("key performance indicators", "key performance indicators", "how we know it is working"),
        ("our KPIs", "KPIs", "how we know it is working"),
        ("best practices", "best practices", "what works well"),
        ("let's touch base soon", "touch base", "get in touch"),
        ("touching base soon", "touching base", "get in touch"),
        ("going\nforward", "going forward", "from now on"),
        ("prior to the day", "prior to", "before"),
    ],
)
def test_worker_speak_phrases_are_found_whole(text, found, plainer):
    assert find_worker_speak(text) == [(found, plainer)]


def test_worker_speak_each_term_is_listed_once_in_the_order_it_first_appears():
    found = find_worker_speak("Outcomes, stakeholders and outcomes again; OUTCOMES.")

    assert found == [("Outcomes", "what changes"), ("stakeholders", "people involved")]


def test_worker_speak_longer_phrase_wins_over_the_word_inside_it():
    assert find_worker_speak("our key stakeholders") == [("key stakeholders", "people involved")]


# The check


def test_check_of_jargon_heavy_text_fails_with_each_term_and_its_alternative():
    check = wording.check_wording(text=JARGON)

    assert check.reading_ease < check.target == 60
    assert not check.meets_target
    assert not check.passes
    assert check.terms == [
        ("Going forward", "from now on"),
        ("leverage", "use"),
        ("multi-agency", "different services together"),
        ("partnership working", "working together"),
        ("empower", "help people take the lead"),
        ("stakeholders", "people involved"),
        ("facilitate", "help"),
        ("holistic", "whole"),
        ("interventions", "help"),
        ("key performance indicators", "how we know it is working"),
        ("outcomes", "what changes"),
        ("robust", "strong"),
        ("capacity building", "helping people do more"),
        ("best practice", "what works well"),
        ("frameworks", "plan"),
    ]


def test_check_of_plain_short_sentences_meets_the_target():
    check = wording.check_wording(text="Come and join us. We would love to see you. Bring a friend.")

    assert check.meets_target
    assert check.terms == []
    assert check.passes


def test_check_of_empty_text_does_not_pass():
    check = wording.check_wording(text="   \n ")

    assert check.reading_ease == 0
    assert not check.meets_target


def test_check_of_text_over_the_limit_is_too_long():
    check = wording.check_wording(text="Come along. " * 5000)

    assert check.too_long
    assert not check.passes


# Our default letter


def test_default_letter_passes_the_check(world):
    text = wording.default_letter_text(programme=world.programme)

    check = wording.check_wording(text=text)

    assert check.reading_ease >= check.target
    assert check.terms == []
    assert check.passes
    assert len(text) <= MAX_LETTER_CHARACTERS


def test_default_letter_says_what_the_design_asks_for(world):
    text = wording.default_letter_text(programme=world.programme)

    assert "Everyone is welcome" in text
    assert "What would help every child here thrive?" in text  # the programme's key question
    assert "\n\n" in text  # plain paragraphs


def test_default_letter_leaves_out_a_key_question_full_of_worker_speak(world):
    world.programme.key_question = "How can multi-agency provision improve outcomes for stakeholders?"

    text = wording.default_letter_text(programme=world.programme)

    assert "multi-agency" not in text
    assert wording.check_wording(text=text).passes


def test_letter_text_is_the_default_until_words_are_saved(world):
    assert wording.letter_text(programme=world.programme) == wording.default_letter_text(
        programme=world.programme
    )

    wording.save_wording(programme=world.programme, text="Come along!", user=world.user("facilitator"))

    assert wording.letter_text(programme=world.programme) == "Come along!"


# Saving


def test_save_wording_keeps_jargon_because_the_check_is_advice(world):
    saved = wording.save_wording(programme=world.programme, text=JARGON, user=world.user("facilitator"))

    assert saved.text == JARGON
    assert saved.updated_by == world.user("facilitator")


def test_save_wording_replaces_the_words_saved_before(world):
    wording.save_wording(programme=world.programme, text="First go.", user=world.user("facilitator"))
    wording.save_wording(programme=world.programme, text="Second go.", user=world.user("admin"))

    saved = LetterWording.objects.get(programme=world.programme)
    assert saved.text == "Second go."
    assert saved.updated_by == world.user("admin")


def test_save_wording_refuses_50_kb_and_saves_nothing(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        wording.save_wording(programme=world.programme, text="x" * 50_000, user=world.user("facilitator"))

    assert not LetterWording.objects.exists()


# The editor page


def test_editor_starts_from_our_default(facilitator_client, world):
    response = facilitator_client.get(editor_url(world))

    assert response.status_code == 200
    assert response.context["form"].initial["text"] == wording.default_letter_text(programme=world.programme)
    assert "60 or more is easy to read for most people" in response.content.decode()
    assert response.context["check"].passes


def test_editor_starts_from_the_saved_words(facilitator_client, world):
    wording.save_wording(programme=world.programme, text="Our own words.", user=world.user("facilitator"))

    response = facilitator_client.get(editor_url(world))

    assert response.context["form"].initial["text"] == "Our own words."
    assert "Our own words." in response.content.decode()


def test_editor_saves_and_redirects_with_a_message(facilitator_client, world):
    response = facilitator_client.post(
        editor_url(world), {"text": "Come and join us.\r\nAll welcome."}, follow=True
    )

    assert response.redirect_chain == [(editor_url(world), 302)]
    assert LetterWording.objects.get(programme=world.programme).text == "Come and join us.\nAll welcome."
    assert "The words of the letter are saved." in response.content.decode()


def test_editor_saves_jargon_and_shows_each_term_with_its_alternative(facilitator_client, world):
    response = facilitator_client.post(editor_url(world), {"text": JARGON}, follow=True)

    assert LetterWording.objects.get(programme=world.programme).text == JARGON
    page = response.content.decode()
    assert "The words are saved. The check found 15 words that could be plainer" in page
    assert "Instead of “stakeholders”, try “people involved”." in page
    assert "Instead of “capacity building”, try “helping people do more”." in page
    assert "Harder to read than we aim for" in page


def test_editor_refuses_50_kb_beside_the_field_and_saves_nothing(facilitator_client, world):
    text = ("Come along. " * 4200)[:50_000]  # 50 kB, no spaces at either end

    response = facilitator_client.post(editor_url(world), {"text": text})

    assert response.status_code == 200
    assert not LetterWording.objects.exists()
    page = response.content.decode()
    assert "The letter is too long: it has 50,000 characters and can have at most 6,000." in page
    assert 'id="text-error"' in page
    assert 'aria-invalid="true"' in page


def test_editor_refuses_empty_words(facilitator_client, world):
    response = facilitator_client.post(editor_url(world), {"text": "  "})

    assert response.status_code == 200
    assert "Please write the words of the letter." in response.content.decode()
    assert not LetterWording.objects.exists()


def test_editor_checks_without_saving(facilitator_client, world):
    response = facilitator_client.post(editor_url(world), {"text": "Our stakeholders", "check": "1"})

    assert response.status_code == 200
    assert not LetterWording.objects.exists()
    assert "Instead of “stakeholders”, try “people involved”." in response.content.decode()


def test_editor_stores_html_as_typed_and_shows_it_escaped(facilitator_client, world):
    text = '<img src="file:///etc/passwd"><style>body{display:none}</style><b>Hello</b>'

    facilitator_client.post(editor_url(world), {"text": text})
    response = facilitator_client.get(editor_url(world))

    assert LetterWording.objects.get(programme=world.programme).text == text
    page = response.content.decode()
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in page
    assert "<img src" not in page
    assert "<style>body" not in page


def test_editor_is_linked_from_the_programme_for_its_facilitators(client, world):
    client.force_login(world.user("facilitator"))
    detail = reverse("events:programme_detail", args=[world.programme.pk])

    assert editor_url(world) in client.get(detail).content.decode()

    client.force_login(world.user("coordinator"))
    assert editor_url(world) not in client.get(detail).content.decode()


# The check as JSON


def test_check_endpoint_answers_json_with_the_score_and_terms(facilitator_client, world):
    response = facilitator_client.post(check_url(world), {"text": "Stakeholder engagement"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert set(data) >= {"reading_ease", "target", "meets_target", "terms"}
    assert data["target"] == 60
    assert isinstance(data["reading_ease"], float)
    assert data["meets_target"] is False
    assert data["terms"] == [
        {"term": "Stakeholder", "plainer": "people involved"},
        {"term": "engagement", "plainer": "taking part"},
    ]


def test_check_endpoint_passes_our_default(facilitator_client, world):
    text = wording.default_letter_text(programme=world.programme)

    data = facilitator_client.post(check_url(world), {"text": text}).json()

    assert data["meets_target"] is True
    assert data["terms"] == []


def test_check_endpoint_saves_nothing(facilitator_client, world):
    facilitator_client.post(check_url(world), {"text": "Come along."})

    assert not LetterWording.objects.exists()


def test_check_endpoint_marks_text_over_the_limit(facilitator_client, world):
    data = facilitator_client.post(check_url(world), {"text": "Come along. " * 4200}).json()

    assert data["too_long"] is True


def test_check_endpoint_refuses_get(facilitator_client, world):
    assert facilitator_client.get(check_url(world)).status_code == 405


def test_check_endpoint_needs_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("facilitator"))

    assert client.post(check_url(world), {"text": "Hello"}).status_code == 403
