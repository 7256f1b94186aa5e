"""core.languages.remember: the one language cookie every language switch sets (the reply page's and the
privacy notice's), with the settings' name, age and flags, read back by the middleware."""

import pytest
from django.http import HttpResponse
from django.urls import reverse

from core import languages
from events.enums import ProgrammeStatus
from invitations.services.emails import issue_reply_link
from tests.factories import InvitationFactory


def cookie_of(response, settings) -> dict:
    morsel = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    return {
        "value": morsel.value,
        "max-age": morsel["max-age"],
        "samesite": morsel["samesite"],
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "path": morsel["path"],
    }


def test_remember_sets_the_switchs_cookie_as_settings_say(settings):
    settings.LANGUAGE_COOKIE_AGE = 3600 * 24 * 365
    settings.LANGUAGE_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_SAMESITE = "Strict"
    response = HttpResponse()

    languages.remember(response, "pl")

    assert cookie_of(response, settings) == {
        "value": "pl",
        "max-age": 3600 * 24 * 365,
        "samesite": "Strict",
        "secure": True,
        "httponly": settings.LANGUAGE_COOKIE_HTTPONLY,
        "path": "/",
    }


@pytest.mark.django_db
def test_the_reply_page_and_the_privacy_notice_set_the_same_cookie(client, world, settings):
    world.programme.status = ProgrammeStatus.OPEN
    world.programme.save()
    reply_url, _unsubscribe = issue_reply_link(invitation=InvitationFactory(programme=world.programme))
    token = reply_url.rstrip("/").rsplit("/", 1)[1]

    on_reply = client.post(reverse("invitations:reply", args=[token]), {"switch_language": "pl"})
    on_privacy = client.post(reverse("privacy"), {"switch_language": "pl"})
    expected = HttpResponse()
    languages.remember(expected, "pl")

    assert cookie_of(on_reply, settings) == cookie_of(on_privacy, settings) == cookie_of(expected, settings)
    # ...and the next public page reads it.
    assert '<html lang="pl"' in client.get(reverse("privacy")).content.decode()


@pytest.mark.django_db
def test_a_language_the_site_does_not_speak_sets_no_cookie(client, settings):
    response = client.post(reverse("privacy"), {"switch_language": "tlh"})

    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
