"""Adding pictures to a session: a plain multi-file form that works without JavaScript, and a one-file
JSON endpoint that static/js/upload.js calls once per file (retrying on a flaky connection)."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from core.images import ARTWORK_LIMITS, accepted_formats_text
from core.permissions import object_permission_required
from core.security import allow_camera
from events.mixins import get_session
from events.models import Session

from ..services.uploads import find_upload, save_artwork

ACCEPT = "image/jpeg,image/png,image/webp"


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file as usual, but stops keeping bytes once a file passes the
    artwork size limit: the rest is read from the connection and thrown away, and the file is handed on
    with its true size so save_artwork refuses it by name, with a clear message, without ever opening it.
    A 60 MB picture therefore costs 25 MB of temporary disk, not 60, and never a 400/413 page."""

    def __init__(self, request=None, *, limit: int = ARTWORK_LIMITS.max_bytes) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received - len(raw_data) > self.limit:
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int):
        upload = super().file_complete(file_size)
        if upload is not None:
            upload.size = self.received
        return upload


def _with_capped_uploads(view):
    """Upload handlers can only be swapped before the body is read, so CSRF is checked after that."""
    protected = csrf_protect(view)

    @csrf_exempt
    def wrapped(request: HttpRequest, *args, **kwargs):
        handlers: list[FileUploadHandler] = [CappedUploadHandler(request)]
        request.upload_handlers = handlers
        return protected(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class ArtistForm(forms.Form):
    artist = forms.ModelChoiceField(
        label=gettext_lazy("Who drew them"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Not said (drawn by people taking part)"),
    )

    def __init__(self, *args, session: Session, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        artists = session.artists.order_by("first_name", "last_name", "username")
        field = self.fields["artist"]
        field.queryset = artists
        field.label_from_instance = lambda person: person.get_full_name() or person.username
        if not self.is_bound and artists.filter(pk=user.pk).exists():
            self.initial["artist"] = user.pk


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


@allow_camera
@_with_capped_uploads
@require_http_methods(["GET", "POST"])
@object_permission_required("artwork.add_artwork", get_session)
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload page. Without JavaScript its form posts every chosen file at once: each good one is
    saved, each bad one is named with what is wrong, and the page shows both."""
    session = get_session(request, pk)
    saved: list[str] = []
    refused: list[str] = []
    no_files = False
    if request.method == "POST":
        form = ArtistForm(request.POST, session=session, user=request.user)
        files = request.FILES.getlist("images")
        no_files = not files
        if form.is_valid() and files:
            artist = form.cleaned_data["artist"]
            for upload_file in files:
                try:
                    artwork = save_artwork(
                        session=session, upload=upload_file, artist=artist, uploaded_by=request.user
                    )
                except ValidationError as error:
                    refused.append(_refusal(error))
                else:
                    saved.append(artwork.original_name)
                finally:
                    upload_file.close()
    else:
        form = ArtistForm(session=session, user=request.user)
    return render(
        request,
        "artwork/upload.html",
        {
            "session": session,
            "programme": session.programme,
            "form": form,
            "saved": saved,
            "refused": refused,
            "no_files": no_files,
            "accept": ACCEPT,
            "formats": accepted_formats_text(),
            "max_bytes": ARTWORK_LIMITS.max_bytes,
            "max_megapixels": ARTWORK_LIMITS.max_pixels // 1_000_000,
            "gallery_url": reverse("artwork:session_gallery", args=[session.pk]),
            "upload_file_url": reverse("artwork:upload_file", args=[session.pk]),
        },
    )


@_with_capped_uploads
@require_POST
@object_permission_required("artwork.add_artwork", get_session)
def upload_file(request: HttpRequest, pk: int) -> JsonResponse:
    """One file from upload.js: 201 with the new artwork's id (200 if this upload_key was saved already),
    400 with a message naming the file if it cannot be used."""
    session = get_session(request, pk)
    upload_one = request.FILES.get("image")
    if upload_one is None:
        return JsonResponse({"ok": False, "message": _("No picture arrived. Please try again.")}, status=400)
    form = ArtistForm(request.POST, session=session, user=request.user)
    if not form.is_valid():
        return JsonResponse(
            {"ok": False, "message": _("Please choose who drew it from the list.")}, status=400
        )
    key = request.POST.get("upload_key", "")[:64]
    # Only to answer 200 rather than 201: save_artwork itself makes sure a key is saved once.
    seen_before = find_upload(session=session, uploaded_by=request.user, upload_key=key) is not None
    try:
        artwork = save_artwork(
            session=session,
            upload=upload_one,
            artist=form.cleaned_data["artist"],
            uploaded_by=request.user,
            upload_key=key,
        )
    except ValidationError as error:
        return JsonResponse({"ok": False, "name": upload_one.name, "message": _refusal(error)}, status=400)
    finally:
        upload_one.close()
    return JsonResponse(
        {
            "ok": True,
            "id": artwork.pk,
            "name": artwork.original_name,
            "message": _("%(name)s is saved.") % {"name": artwork.original_name},
        },
        status=200 if seen_before else 201,
    )
