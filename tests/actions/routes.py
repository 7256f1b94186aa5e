"""The actions app's rows of the URL table in tests/urlmap.py (which reads them in at its end)."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route

# Coordinators of a school in the programme and its artists may follow the actions; facilitators plan them.
FOLLOWERS = {**FACILITATORS, "coordinator": OK, "artist": OK}


def _half_day(world):
    return {"pk": world.programme.sessions.get(order=2).pk}


def _action(world):
    from tests.actions.helpers import make_action

    return {"pk": make_action(world).pk}


def _led_action(world):
    """An action led by someone with no email address: sending the link only says so."""
    from tests.actions.helpers import make_action, participant

    lead = participant(world.programme, email="", channel="letter", organisation=world.school)
    return {"pk": make_action(world, lead=lead, status="agreed").pk}


def _lead_token(world):
    from tests.actions.helpers import make_action, participant, sent_link

    lead = participant(world.programme)
    return {"token": sent_link(make_action(world, lead=lead, status="agreed"))}


ROUTES: list[Route] = [
    Route("actions:session_actions", _half_day, expect=FOLLOWERS),
    Route("actions:create", _half_day, expect=FACILITATORS),
    Route("actions:detail", _action, expect=FOLLOWERS),
    Route("actions:edit", _action, expect=FACILITATORS),
    # An empty update is shown again with its error.
    Route("actions:update", _action, method="post", expect=FACILITATORS, page=False),
    Route(
        "actions:send_link",
        _led_action,
        method="post",
        expect={"facilitator": REDIRECT, "admin": REDIRECT},
        page=False,
    ),
    # The page to print is the answer to a POST (it makes the link), so it is scanned in test_views.
    Route("actions:printed_link", _led_action, method="post", expect=FACILITATORS, page=False),
    Route("actions:programme_actions", lambda w: {"pk": w.programme.pk}, expect=FOLLOWERS),
    Route("actions:actions_csv", lambda w: {"pk": w.programme.pk}, expect=FOLLOWERS, page=False),
    Route("actions:lead_update", _lead_token, default=OK, anonymous=OK),
    Route("actions:lead_thanks", _lead_token, default=OK, anonymous=OK),
]
