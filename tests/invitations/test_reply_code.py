"""The school office types the reply code from a letter's slip and records the boxes ticked on it.

A code is looked up only among the invitations this person may see for this programme: a code from
another programme or another school is "not found", with exactly the same page as a code that exists
nowhere.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services as events_services
from events.enums import ProgrammeStatus
from invitations.enums import ReplySource
from invitations.models import Reply
from invitations.services import replies
from invitations.views.codes import NOT_FOUND, normalise_code
from tests.factories import InvitationFactory

CODE = "ACD479"


@pytest.fixture
def programme(world):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    return world.programme


def invite(programme, *, code: str, **invitee):
    """Someone on the list with a reply code written straight on the invitation, as a letter would."""
    invitee = {"name": "Amira Khan", "email": "", "channel": "letter", **invitee}
    invitation = InvitationFactory(programme=programme, **{f"invitee__{k}": v for k, v in invitee.items()})
    invitation.reply_code = code
    invitation.save(update_fields=["reply_code"])
    return invitation


@pytest.fixture
def invitation(world, programme):
    return invite(programme, code=CODE, organisation=world.school)


def code_url(programme) -> str:
    return reverse("invitations:reply_code", args=[programme.pk])


def record_url(programme, invitation) -> str:
    return reverse("invitations:staff_reply", args=[programme.pk, invitation.pk])


def sessions(programme):
    return list(programme.sessions.active().order_by("date", "start_time"))


def error_html(response) -> str:
    """The message shown beside the field (fails if there is none)."""
    match = re.search(r'<p class="[^"]*" id="code-error">(.*?)</p>', response.content.decode(), re.S)
    assert match, "no error beside the code field"
    return match.group(1)


def without_noise(response, typed: str) -> str:
    """The page with what differs between any two requests taken out: the CSRF token and the echo of
    what was typed."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(f'value="{typed}"', "")


# --- Normalising what is typed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ACD 479", "ACD479"),
        ("acd479", "ACD479"),
        ("acd-479", "ACD479"),
        ("  a c d  4-7-9 \t", "ACD479"),
        ("ACD\u2013479", "ACD479"),  # an en dash, as word processors make of a hyphen
        ("ACD\u00a0479", "ACD479"),  # a non-breaking space, pasted from a document
    ],
)
def test_normalise_code_drops_case_spaces_and_hyphens(typed, expected):
    assert normalise_code(typed) == expected


@pytest.mark.parametrize("typed", ["ACDO79", "ACD4I9", "ACD0479", "ACDS79", "acd l79"])
def test_normalise_code_never_guesses_at_look_alikes(typed):
    # A guess (O→D? 0→D? I→1→7?) could land on someone else's real code; the office re-reads the slip.
    assert normalise_code(typed) == typed.replace(" ", "").upper()


# --- Found ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["ACD479", "ACD 479", "acd 479", "acd-479", " Acd - 479 "])
@pytest.mark.parametrize("role", ["facilitator", "coordinator", "admin"])
def test_a_typed_code_opens_the_record_form_with_reply_slip_chosen(
    client, world, programme, invitation, role, typed
):
    client.force_login(world.user(role))

    response = client.post(code_url(programme), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == record_url(programme, invitation) + "?source=paper"
    form = client.get(response["Location"]).context["form"]
    assert form["source"].value() == ReplySource.PAPER


def test_the_slip_chooses_reply_slip_even_over_an_earlier_phone_answer(client, world, programme, invitation):
    replies.save_reply(invitation=invitation, answers={}, details={}, source=ReplySource.PHONE)
    client.force_login(world.user("coordinator"))

    response = client.get(record_url(programme, invitation) + "?source=paper")

    assert response.context["form"]["source"].value() == ReplySource.PAPER
    assert re.search(r'value="paper"[^>]*checked', response.content.decode())


def test_the_record_form_opened_from_the_list_chooses_nothing(client, world, programme, invitation):
    client.force_login(world.user("coordinator"))

    response = client.get(record_url(programme, invitation))

    assert response.context["form"]["source"].value() is None


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_has_one_large_field_ready_to_type_in(client, world, programme):
    client.force_login(world.user("coordinator"))

    response = client.get(code_url(programme))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Reply code from the slip" in html
    field = re.search(r'<input type="text" name="code"[^>]*>', html).group(0)
    for attribute in (
        "autofocus",
        'autocomplete="off"',
        'inputmode="text"',
        'autocapitalize="characters"',
        "form-control-lg",
        'aria-describedby="code-hint"',
    ):
        assert attribute in field, attribute
    assert "scan the QR code" in html
    assert 'id="code-error"' not in html


def test_the_list_links_to_the_slip_page(client, world, programme):
    client.force_login(world.user("coordinator"))

    html = client.get(reverse("invitations:list", args=[programme.pk])).content.decode()

    assert f'href="{code_url(programme)}"' in html and "Type in a reply slip" in html


# --- Not found, and other bad input --------------------------------------------------------------------


def test_a_mistyped_code_is_not_found_with_a_helpful_message(client, world, programme, invitation):
    client.force_login(world.user("coordinator"))

    response = client.post(code_url(programme), {"code": "ACD 476"})

    assert response.status_code == 200
    assert error_html(response) == str(NOT_FOUND).replace("'", "&#x27;")
    assert "the codes never use the letters O, I, L, S, Z or B" in response.content.decode()
    field = re.search(r'<input type="text" name="code"[^>]*>', response.content.decode()).group(0)
    assert 'aria-describedby="code-hint code-error"' in field and 'aria-invalid="true"' in field
    assert 'value="ACD 476"' in field  # what they typed, to check against the slip
    assert not Reply.objects.exists()


def test_a_look_alike_is_not_guessed_into_a_code(client, world, programme):
    invite(programme, code="ACD4D9", organisation=world.school)
    client.force_login(world.user("coordinator"))

    response = client.post(code_url(programme), {"code": "ACD 4O9"})

    assert response.status_code == 200 and error_html(response)


def test_a_code_from_another_programme_is_not_found(client, world, programme, invitation):
    other = events_services.create_programme(
        neighbourhood=world.neighbourhood,
        title="Another",
        key_question="?",
        first_date=timezone.localdate() + timedelta(days=60),
        schools=[world.school],
        created_by=world.user("facilitator"),
    )
    invite(other, code="FHJ634", organisation=world.school)
    client.force_login(world.user("facilitator"))

    elsewhere = client.post(code_url(programme), {"code": "FHJ 634"})
    nowhere = client.post(code_url(programme), {"code": "FHJ 637"})

    assert elsewhere.status_code == nowhere.status_code == 200
    assert error_html(elsewhere) == error_html(nowhere)
    assert without_noise(elsewhere, "FHJ 634") == without_noise(nowhere, "FHJ 637")
    # The same code does work under its own programme.
    assert client.post(code_url(other), {"code": "FHJ 634"}).status_code == 302


def test_another_schools_code_is_not_found_for_a_coordinator(client, world, programme, invitation):
    programme.schools.add(world.other_school)
    theirs = invite(programme, code="KMN796", name="Ben Lowe", organisation=world.other_school)
    client.force_login(world.user("coordinator"))

    elsewhere = client.post(code_url(programme), {"code": "KMN 796"})
    nowhere = client.post(code_url(programme), {"code": "KMN 797"})

    assert elsewhere.status_code == nowhere.status_code == 200
    assert error_html(elsewhere) == error_html(nowhere)
    assert without_noise(elsewhere, "KMN 796") == without_noise(nowhere, "KMN 797")
    assert "Ben Lowe" not in elsewhere.content.decode()
    # The other school's coordinator, and the facilitator, find it.
    for role in ("other_coordinator", "facilitator"):
        client.force_login(world.user(role))
        found = client.post(code_url(programme), {"code": "KMN 796"})
        assert found["Location"] == record_url(programme, theirs) + "?source=paper"


@pytest.mark.parametrize("typed", ["", "   ", " - - "])
def test_an_empty_code_asks_for_one(client, world, programme, typed):
    client.force_login(world.user("coordinator"))

    response = client.post(code_url(programme), {"code": typed})

    assert response.status_code == 200
    assert error_html(response) == "Please type the reply code from the slip."


@pytest.mark.parametrize(
    "typed",
    [
        "A" * 50_000,  # far too long: the same message, and no lookup of it
        "ACD4799",  # one character too many for any code
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "ACD%479",
        "ÄCD479",
    ],
)
def test_anything_else_is_simply_not_found(client, world, programme, invitation, typed):
    client.force_login(world.user("coordinator"))

    response = client.post(code_url(programme), {"code": typed})

    assert response.status_code == 200
    assert error_html(response) == str(NOT_FOUND).replace("'", "&#x27;")
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_code_is_never_looked_up_from_the_address(client, world, programme, invitation):
    client.force_login(world.user("coordinator"))

    response = client.get(code_url(programme), {"code": CODE})

    assert response.status_code == 200 and 'id="code-error"' not in response.content.decode()


# --- Who may --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["artist", "other_facilitator", "other_coordinator"])
def test_others_cannot_use_a_code(client, world, programme, invitation, role):
    client.force_login(world.user(role))

    assert client.post(code_url(programme), {"code": CODE}).status_code == 403


def test_someone_not_signed_in_is_sent_to_sign_in(client, programme, invitation):
    response = client.post(code_url(programme), {"code": CODE})

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- End to end -----------------------------------------------------------------------------------------


def test_the_office_types_a_slip_and_the_reply_is_saved_as_a_reply_slip(client, world, programme, invitation):
    coordinator = world.user("coordinator")
    client.force_login(coordinator)
    first, second, third, fourth = sessions(programme)

    found = client.post(code_url(programme), {"code": "acd 479"})
    form_page = client.get(found["Location"])
    assert "Record a reply from Amira Khan" in form_page.content.decode()
    saved = client.post(
        found["Location"],
        {
            "source": form_page.context["form"]["source"].value(),
            f"session_{first.pk}": "yes",
            f"session_{second.pk}": "yes",
            f"session_{third.pk}": "no",
            f"session_{fourth.pk}": "no",
            "childcare_children": "1",
            "needs_agreed": "yes",  # the slip's box: they agreed we may keep their needs
        },
    )

    # Back to the slip page, ready for the next one.
    assert saved.status_code == 302 and saved["Location"] == code_url(programme)
    next_page = client.get(saved["Location"]).content.decode()
    assert "Saved the reply from Amira Khan." in next_page
    reply = Reply.objects.get(invitation=invitation)
    assert (reply.source, reply.recorded_by, reply.childcare_children) == (ReplySource.PAPER, coordinator, 1)
    assert {a.session_id: a.answer for a in reply.answers.all()} == {
        first.pk: "yes",
        second.pk: "yes",
        third.pk: "no",
        fourth.pk: "no",
    }


def test_every_help_on_a_slip_typed_in_by_the_office_reaches_its_sheet(client, world, programme, invitation):
    """What the slip asks (the reply page's questions), typed in from a returned slip, is on the sheets
    for the day: catering, crèche, access, interpreters and transport."""
    client.force_login(world.user("coordinator"))
    first, second, third, fourth = sessions(programme)
    found = client.post(code_url(programme), {"code": CODE})
    saved = client.post(
        found["Location"],
        {
            "source": ReplySource.PAPER,
            f"session_{first.pk}": "yes",
            f"session_{second.pk}": "no",
            f"session_{third.pk}": "no",
            f"session_{fourth.pk}": "no",
            "childcare_children": "2",
            "childcare_ages": "3, 5",
            "food_needs": "Halal, please",
            "access_needs": "A seat near the door",
            "interpreter": "on",
            "interpreter_language": "Bengali",
            "transport_help": "on",
            "extra_places": "1",
            "needs_agreed": "yes",  # the slip's box: they agreed we may keep their needs
        },
    )
    assert saved.status_code == 302 and saved["Location"] == code_url(programme)

    client.force_login(world.user("facilitator"))

    def sheet(kind: str) -> str:
        response = client.get(reverse("invitations:sheet", args=[programme.pk, first.pk, kind]))
        assert response.status_code == 200
        return response.content.decode()

    catering = sheet("catering")
    assert "Lunch for <strong>2</strong> people" in catering  # Amira and the person she brings
    assert "Halal, please" in catering and "Amira Khan" in catering
    assert "It does not count the 2 children in the crèche." in catering
    creche = sheet("creche")
    assert (
        "<strong>2</strong> children coming" in creche and '<td class="ages text-break">3, 5</td>' in creche
    )
    assert "A seat near the door" in sheet("access")
    interpreters = sheet("interpreters")
    assert '<th scope="row">Bengali</th>' in interpreters and "Amira Khan" in interpreters
    assert "Amira Khan" in sheet("transport")


# --- "Keep me in touch" on a slip typed in (issue 18) ------------------------------------------------------


def box_ticked(html: str) -> bool:
    [box] = re.findall(r'<input type="checkbox" name="keep_in_touch"[^>]*>', html)
    return " checked" in box


def as_left(page, programme) -> dict:
    """What the record form sends back when the office types the slip's answers and leaves "keep in
    touch" as the page showed it, as a browser would: a ticked box sends "on", an unticked one nothing."""
    data = {"source": page.context["form"]["source"].value()}
    data |= {f"session_{session.pk}": "yes" for session in sessions(programme)}
    return data | ({"keep_in_touch": "on"} if box_ticked(page.content.decode()) else {})


@pytest.mark.parametrize("replied_before", [False, True], ids=["first reply", "changed reply"])
@pytest.mark.parametrize("kept", [True, False], ids=["kept in touch", "not kept in touch"])
def test_a_slip_saved_without_touching_keep_in_touch_leaves_it_as_it_was(
    client, world, programme, invitation, kept, replied_before
):
    invitation.invitee.keep_in_touch = kept
    invitation.invitee.save(update_fields=["keep_in_touch"])
    if replied_before:
        replies.save_reply(invitation=invitation, answers={}, details={}, source=ReplySource.PHONE)
    client.force_login(world.user("coordinator"))
    found = client.post(code_url(programme), {"code": CODE})

    page = client.get(found["Location"])
    saved = client.post(found["Location"], as_left(page, programme))

    assert page.context["form"]["source"].value() == ReplySource.PAPER  # the slip's path
    assert box_ticked(page.content.decode()) is kept
    assert saved.status_code == 302 and saved["Location"] == code_url(programme)
    invitation.invitee.refresh_from_db()
    assert invitation.invitee.keep_in_touch is kept
    assert Reply.objects.get(invitation=invitation).source == ReplySource.PAPER


def test_the_record_form_from_the_list_shows_keep_in_touch_as_we_have_it(
    client, world, programme, invitation
):
    invitation.invitee.keep_in_touch = True
    invitation.invitee.save(update_fields=["keep_in_touch"])
    client.force_login(world.user("coordinator"))

    page = client.get(record_url(programme, invitation))

    assert box_ticked(page.content.decode())


def test_unticking_keep_in_touch_on_a_slip_stops_it(client, world, programme, invitation):
    invitation.invitee.keep_in_touch = True
    invitation.invitee.save(update_fields=["keep_in_touch"])
    client.force_login(world.user("coordinator"))
    found = client.post(code_url(programme), {"code": CODE})
    page = client.get(found["Location"])

    unticked = {key: value for key, value in as_left(page, programme).items() if key != "keep_in_touch"}
    client.post(found["Location"], unticked)

    invitation.invitee.refresh_from_db()
    assert invitation.invitee.keep_in_touch is False
