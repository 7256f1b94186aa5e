"""The evaluations app's rows of the URL table in tests/urlmap.py (which reads them in at its end)."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route  # noqa: F401

ROUTES: list[Route] = []


def _session_invitation(world):
    """Someone on the programme's list, at the programme's first session."""
    from tests.factories import InvitationFactory

    invitation = InvitationFactory(programme=world.programme, invitee__name="Amina Yusuf")
    return {"pk": world.session.pk, "invitation_pk": invitation.pk}


# Signing in on the day, and who came: the programme's facilitators and admins only.
_RUN = {"facilitator": REDIRECT, "admin": REDIRECT}
ROUTES += [
    Route("evaluations:signin", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:arrive", _session_invitation, method="post", expect=_RUN, page=False),
    Route("evaluations:unarrive", _session_invitation, method="post", expect=_RUN, page=False),
    Route("evaluations:walk_in", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:signin_sheet", lambda w: {"pk": w.session.pk}, expect=FACILITATORS, page=False),
    Route("evaluations:paper_sheet", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:who_came", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:programme_attendance", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS),
    Route("evaluations:attendance_csv", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS, page=False),
]


# One word each. Typing, approving and the QR code: the programme's facilitators and admins. The clouds:
# everyone who may see the programme's words (its coordinators and artists too). The phone page: anyone
# holding a word link; the page where the screen's short code is typed: anyone.
_WORDS_VIEWERS = {**FACILITATORS, "coordinator": OK, "artist": OK}


def _typed_word(world):
    from evaluations.enums import WordSource
    from evaluations.services.words import add_word

    word = add_word(session=world.session, text="hopeful", source=WordSource.TYPED).word
    return {"pk": world.session.pk, "word_pk": word.pk}


def _word_link(world):
    from core.tokens import new_token
    from evaluations.models import WordLink

    token, token_hash = new_token()
    WordLink.objects.create(session=world.session, token_hash=token_hash)
    return {"token": token}


ROUTES += [
    Route("evaluations:words", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:word_remove", _typed_word, method="post", expect=_RUN, page=False),
    Route("evaluations:approve", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:approve_all", lambda w: {"pk": w.session.pk}, method="post", expect=_RUN, page=False),
    Route("evaluations:word_qr", lambda w: {"pk": w.session.pk}, expect=FACILITATORS),
    Route("evaluations:cloud", lambda w: {"pk": w.session.pk}, expect=_WORDS_VIEWERS),
    Route("evaluations:cloud_partial", lambda w: {"pk": w.session.pk}, expect=_WORDS_VIEWERS, page=False),
    Route("evaluations:cloud_png", lambda w: {"pk": w.session.pk}, expect=_WORDS_VIEWERS, page=False),
    Route("evaluations:programme_words", lambda w: {"pk": w.programme.pk}, expect=_WORDS_VIEWERS),
    Route(
        "evaluations:programme_cloud_png", lambda w: {"pk": w.programme.pk}, expect=_WORDS_VIEWERS, page=False
    ),
    Route("evaluations:words_csv", lambda w: {"pk": w.programme.pk}, expect=FACILITATORS, page=False),
    Route("evaluations:neighbourhood_words", lambda w: {"pk": w.neighbourhood.pk}, expect=FACILITATORS),
    Route("evaluations:phone_code", default=OK, anonymous=OK),
    Route("evaluations:phone_word", _word_link, default=OK, anonymous=OK),
    Route("evaluations:phone_thanks", _word_link, default=OK, anonymous=OK),
]
