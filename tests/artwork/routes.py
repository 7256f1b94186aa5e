"""The artwork app's rows of the URL table in tests/urlmap.py (which reads them in at its end)."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route  # noqa: F401

ROUTES: list[Route] = []

# Uploading: the programme's facilitators, admins and the session's own artists. The one-file endpoint
# answers an empty POST with a 400 naming what is missing.
UPLOADERS = {**FACILITATORS, "artist": OK}
ROUTES += [
    Route("artwork:upload", lambda w: {"pk": w.session.pk}, expect=UPLOADERS),
    Route(
        "artwork:upload_file",
        lambda w: {"pk": w.session.pk},
        method="post",
        expect={role: 400 for role in UPLOADERS},
        page=False,
    ),
]

# Galleries, pictures and their images (the gallery helper's part).
TEAM = {**FACILITATORS, "coordinator": OK, "artist": OK}
EVERYBODY = {
    role: OK
    for role in ("facilitator", "other_facilitator", "coordinator", "other_coordinator", "artist", "admin")
}
CHANGERS = {**FACILITATORS, "artist": OK}  # admins, the programme's facilitators, and whoever drew it
ARRANGERS = {"facilitator": REDIRECT, "admin": REDIRECT}


def _picture(world):
    """A ready picture by the world's artist, shared with everyone."""
    from tests.artwork.pictures import make_artwork

    return make_artwork(world.session, artist=world.user("artist"))


def _picture_pk(world):
    return {"pk": _picture(world).pk}


def _picture_size(world):
    return {"pk": _picture(world).pk, "size": "thumbnail"}


def _participant_picture(world):
    from tests.urlmap import _reply_token

    return {**_reply_token(world), "pk": _picture(world).pk, "size": "thumbnail"}


def _participant_token(world):
    from tests.urlmap import _reply_token

    _picture(world)
    return _reply_token(world)


ROUTES += [
    Route("artwork:session_gallery", lambda w: {"pk": _picture(w).session_id}, expect=TEAM),
    Route("artwork:programme_gallery", lambda w: {"pk": _picture(w).session.programme_id}, expect=TEAM),
    Route("artwork:detail", _picture_pk, expect=TEAM),
    Route("artwork:edit", _picture_pk, expect=CHANGERS),
    Route("artwork:delete", _picture_pk, expect=CHANGERS),
    Route("artwork:move", _picture_pk, method="post", expect=ARRANGERS, page=False),
    Route("artwork:pin", _picture_pk, method="post", expect=ARRANGERS, page=False),
    Route("artwork:image", _picture_size, expect=TEAM, page=False),
    # Beyond the team: no sign-in, only what is shared.
    Route(
        "artwork:public_gallery",
        lambda w: {"pk": _picture(w).session.programme_id},
        expect=EVERYBODY,
        anonymous=OK,
    ),
    Route("artwork:public_image", _picture_size, expect=EVERYBODY, anonymous=OK, page=False),
    Route("artwork:participant_gallery", _participant_token, expect=EVERYBODY, anonymous=OK),
    Route("artwork:participant_image", _participant_picture, expect=EVERYBODY, anonymous=OK, page=False),
]
