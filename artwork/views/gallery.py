"""Galleries, the picture pages, saying what a picture shows, arranging the gallery, and the image files
themselves (MEDIA_ROOT is not served by the web server: every image goes through a view here, which checks
who is asking)."""

import mimetypes
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import FormView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from core.downloads import file_response
from core.permissions import object_permission_required
from core.tokenpages import link_page
from events.mixins import ProgrammeMixin, SessionMixin, get_programme
from events.models import Programme, Session
from invitations.models import Invitation
from invitations.services.replies import find_invitation

from ..enums import ImageState, Visibility
from ..forms import DescribeArtworkForm
from ..models import Artwork
from ..services import gallery
from ..services import themes as theme_services

SIZES = ("original", "display", "thumbnail")
SHARED_SIZES = ("display", "thumbnail")
# A gallery page asks for one image per picture: images opened with a token get a larger allowance than
# pages, and are counted apart from them, so a long gallery does not lock anyone out of their reply link.
IMAGES_PER_PAGE_ALLOWANCE = 10


def _artwork(pk: int) -> Artwork:
    return get_object_or_404(
        Artwork.objects.select_related("session__programme__neighbourhood", "artist", "uploaded_by"), pk=pk
    )


def _image_urls(artworks: list[Artwork], image_url: Callable[[Artwork, str], str]) -> list[Artwork]:
    for artwork in artworks:
        artwork.is_ready = artwork.state == ImageState.READY and bool(artwork.thumbnail and artwork.display)
        artwork.thumbnail_url = image_url(artwork, "thumbnail") if artwork.is_ready else ""
        artwork.display_url = image_url(artwork, "display") if artwork.is_ready else ""
    return artworks


def _team_image_url(artwork: Artwork, size: str) -> str:
    return reverse("artwork:image", args=[artwork.pk, size])


# --- The team's galleries -------------------------------------------------------------------------------


class TeamGalleryMixin:
    """A gallery for the programme's team (artwork.view_gallery): every picture, with what still needs
    doing, and the buttons to arrange them for those who may. Mixed in before events' SessionMixin or
    ProgrammeMixin, which give the session (or none) and the programme, and check the permission."""

    permission_required = "artwork.view_gallery"
    template_name = "artwork/gallery.html"

    programme: Programme
    session: Session | None

    def get_context_data(self, **kwargs):
        user = self.request.user
        theme = self.request.GET.get("theme", "").strip()[: theme_services.MAX_THEME_LENGTH]
        everything = gallery.team_gallery(programme=self.programme, session=self.session)
        artworks = list(gallery.team_gallery(programme=self.programme, session=self.session, theme=theme))
        _image_urls(artworks, _team_image_url)
        editable = gallery.editable_ids(user=user, programme=self.programme, artworks=artworks)
        for artwork in artworks:
            artwork.can_change = artwork.pk in editable
        themes = gallery.gallery_themes(everything)
        return super().get_context_data(
            programme=self.programme,
            session=self.session,
            artworks=artworks,
            themes=themes,
            theme=theme,
            theme_name=next((t.name for t in themes if t.key == theme), theme),
            can_arrange=user.has_perm("artwork.arrange_gallery", self.programme),
            can_add=self.session is not None and user.has_perm("artwork.add_artwork", self.session),
            here=self.request.get_full_path(),
            **kwargs,
        )


class SessionGalleryView(TeamGalleryMixin, SessionMixin, TemplateView):
    pass


class ProgrammeGalleryView(TeamGalleryMixin, ProgrammeMixin, TemplateView):
    session = None


class ArtworkMixin(PermissionRequiredMixin):
    @cached_property
    def artwork(self) -> Artwork:
        return _artwork(self.kwargs["pk"])

    def get_permission_object(self):
        return self.artwork


class ArtworkDetailView(ArtworkMixin, TemplateView):
    """One picture on its own page: the way to see it without JavaScript, with the pictures before and
    after it in the programme's gallery."""

    permission_required = "artwork.view_artwork"
    template_name = "artwork/detail.html"

    def get_context_data(self, **kwargs):
        artwork = self.artwork
        programme = artwork.session.programme
        _image_urls([artwork], _team_image_url)
        user = self.request.user
        return super().get_context_data(
            artwork=artwork,
            programme=programme,
            session=artwork.session,
            themes=list(artwork.themes.all()),
            around=gallery.neighbours(artwork=artwork, artworks=gallery.team_gallery(programme=programme)),
            can_change=user.has_perm("artwork.change_artwork", artwork),
            can_delete=user.has_perm("artwork.delete_artwork", artwork),
            **kwargs,
        )


class ArtworkEditView(ArtworkMixin, FormView):
    """Say what a picture shows, its themes, and who may see it."""

    permission_required = "artwork.change_artwork"
    template_name = "artwork/edit.html"
    form_class = DescribeArtworkForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "artwork": self.artwork}

    def get_context_data(self, **kwargs):
        artwork = self.artwork
        _image_urls([artwork], _team_image_url)
        return super().get_context_data(
            artwork=artwork,
            programme=artwork.session.programme,
            session=artwork.session,
            suggestions=theme_services.programme_theme_names(programme=artwork.session.programme),
            can_delete=self.request.user.has_perm("artwork.delete_artwork", artwork),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            gallery.describe_artwork(
                artwork=self.artwork,
                title=data["title"],
                description=data["description"],
                themes=data["themes"],
                shows_people=data["shows_people"],
                people_agreed=data["people_agreed"],
                visibility=data["visibility"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved. Thank you for saying what the picture shows."))
        return redirect(
            f"{reverse('artwork:session_gallery', args=[self.artwork.session_id])}#artwork-{self.artwork.pk}"
        )


class ArtworkDeleteView(ArtworkMixin, TemplateView):
    """Asks first; the POST deletes the picture and its files."""

    permission_required = "artwork.delete_artwork"
    template_name = "artwork/delete.html"
    http_method_names = ["get", "head", "post"]

    def get_context_data(self, **kwargs):
        _image_urls([self.artwork], _team_image_url)
        return super().get_context_data(
            artwork=self.artwork, programme=self.artwork.session.programme, **kwargs
        )

    def post(self, request, *args, **kwargs):
        session_id = self.artwork.session_id
        gallery.delete_artwork(artwork=self.artwork)
        messages.success(request, _("The picture has been deleted."))
        return redirect("artwork:session_gallery", session_id)


# --- Arranging: order and pins ------------------------------------------------------------------------


def _programme_of_artwork(request: HttpRequest, pk: int) -> Programme:
    return _artwork(pk).session.programme


def _back_to_gallery(request: HttpRequest, artwork: Artwork) -> HttpResponse:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("artwork:session_gallery", args=[artwork.session_id])
    return redirect(f"{back.split('#')[0]}#artwork-{artwork.pk}")


@require_POST
@object_permission_required("artwork.arrange_gallery", _programme_of_artwork)
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a picture one place earlier ("up") or later ("down") in its session's gallery."""
    artwork = _artwork(pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        messages.error(request, _("Please choose whether to move the picture earlier or later."))
    elif not gallery.move_artwork(artwork=artwork, direction=direction):
        if direction == "up":
            messages.info(request, _("That picture is already as early as it can go."))
        else:
            messages.info(request, _("That picture is already as late as it can go."))
    return _back_to_gallery(request, artwork)


@require_POST
@object_permission_required("artwork.arrange_gallery", _programme_of_artwork)
def pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin a picture to the top of its gallery (``pinned=1``), unpin it (``pinned=0``), or swap."""
    artwork = _artwork(pk)
    wanted = request.POST.get("pinned")
    pinned = not artwork.pinned if wanted not in ("0", "1") else wanted == "1"
    gallery.pin_artwork(artwork=artwork, pinned=pinned)
    if pinned:
        messages.success(request, _("Pinned to the top of the gallery."))
    else:
        messages.success(request, _("No longer pinned."))
    return _back_to_gallery(request, artwork)


# --- The image files ---------------------------------------------------------------------------------


def _file_response(artwork: Artwork, size: str) -> HttpResponse:
    """The image file itself, or 404 if that size does not exist (yet)."""
    if size not in SIZES or artwork.state != ImageState.READY:
        raise Http404
    field = getattr(artwork, size)
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    response = file_response(handle, content_type=content_type, inline=True)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=3600)
    return response


def _viewable_artwork(request: HttpRequest, pk: int, size: str) -> Artwork:
    return _artwork(pk)


@require_safe
@object_permission_required("artwork.view_artwork", _viewable_artwork)
def image(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    """A picture for the team, in any size (the original too)."""
    return _file_response(_artwork(pk), size)


def _shared_artwork(*, programme_id: int, pk: int, visibility: str) -> Artwork:
    found = (
        Artwork.objects.filter(session__programme_id=programme_id, pk=pk).beyond_the_team(visibility).first()
    )
    if found is None:
        raise Http404
    return found


@require_safe
def public_image(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    """A picture shared with everyone: display size or thumbnail, never the original."""
    if size not in SHARED_SIZES:
        raise Http404
    artwork = Artwork.objects.filter(pk=pk).beyond_the_team(Visibility.EVERYONE).first()
    if artwork is None:
        raise Http404
    return _file_response(artwork, size)


# --- Beyond the team: people taking part (from their reply link) and everyone ----------------------------


def _theme_filter(request: HttpRequest) -> str:
    return request.GET.get("theme", "").strip()[: theme_services.MAX_THEME_LENGTH]


def _shared_gallery_context(
    *, programme: Programme, visibility: str, theme: str, image_url: Callable[[Artwork, str], str]
) -> dict:
    everything = gallery.shared_gallery(programme=programme, visibility=visibility)
    artworks = list(gallery.shared_gallery(programme=programme, visibility=visibility, theme=theme))
    _image_urls(artworks, image_url)
    themes = gallery.gallery_themes(everything)
    return {
        "programme": programme,
        "artworks": artworks,
        "themes": themes,
        "theme": theme,
        "theme_name": next((t.name for t in themes if t.key == theme), theme),
    }


@link_page(
    lambda token: find_invitation(token=token),
    scope="reply-links",
    csrf=False,
    language_of=lambda invitation: invitation.invitee.language,
)
@require_safe
def participant_gallery(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """The pictures shared with the people taking part, opened from a reply link (no account)."""
    context = _shared_gallery_context(
        programme=invitation.programme,
        visibility=Visibility.PARTICIPANTS,
        theme=_theme_filter(request),
        image_url=lambda artwork, size: reverse("artwork:participant_image", args=[token, artwork.pk, size]),
    )
    return render(
        request, "artwork/shared_gallery.html", {**context, "token": token, "for_participants": True}
    )


@link_page(
    lambda token: find_invitation(token=token),
    scope="reply-link-pictures",
    csrf=False,
    factor=IMAGES_PER_PAGE_ALLOWANCE,
)
@require_safe
def participant_image(
    request: HttpRequest, invitation: Invitation, token: str, pk: int, size: str
) -> HttpResponse:
    """A picture shared with the people taking part, for whoever holds a reply link to its programme."""
    if size not in SHARED_SIZES:
        raise Http404
    artwork = _shared_artwork(programme_id=invitation.programme_id, pk=pk, visibility=Visibility.PARTICIPANTS)
    return _file_response(artwork, size)


@require_safe
def public_gallery(request: HttpRequest, pk: int) -> HttpResponse:
    """The programme's pictures shared with everyone: no sign-in needed."""
    programme = get_programme(request, pk)
    context = _shared_gallery_context(
        programme=programme,
        visibility=Visibility.EVERYONE,
        theme=_theme_filter(request),
        image_url=lambda artwork, size: reverse("artwork:public_image", args=[artwork.pk, size]),
    )
    return render(request, "artwork/shared_gallery.html", {**context, "for_participants": False})
