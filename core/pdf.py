"""Safe PDF rendering for every PDF the site makes (letters, sign-in sheets, event records).

WeasyPrint loads images and stylesheets through a restricted fetcher: data: addresses, our own static
files and files under MEDIA_ROOT, read from disk. It never reads other files (file:// is refused, and so
is ``..``) and never touches the network.
"""

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

if TYPE_CHECKING:  # WeasyPrint is imported lazily (it is slow to import); it ships no type information.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

MASK = 2  # the QR code's mask pattern


def qr_svg(url: str) -> str:
    """An address as a QR code: inline SVG, one path, sized by the page's CSS."""
    import segno

    # A fixed mask: choosing the "best" of eight costs more than the rest of a letter, and any mask
    # scans (tests/invitations/test_letters.py decodes them).
    return segno.make_qr(url, error="m", mask=MASK).svg_inline(scale=1, border=2, omitsize=True, dark="#000")


def _fetcher_class() -> type["URLFetcher"]:
    from weasyprint import urls

    class RestrictedFetcher(urls.URLFetcher):
        """Serves data: addresses, the project's own static files and files under MEDIA_ROOT, all read
        from disk (never over the network); refuses file://, every other host and scheme."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "http", "https"), allow_redirects=False)

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> "URLFetcherResponse":
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            path = resolve_local(url)
            mime, _encoding = mimetypes.guess_type(path.name)
            return urls.URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": mime or "application/octet-stream"}
            )

    return RestrictedFetcher


class RefusedURL(ValueError):
    """An address the letters may not load."""


def resolve_local(url: str) -> Path:
    """The file on disk that an address under SITE_URL's static or media URL names, or RefusedURL."""
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if parts.scheme not in ("http", "https") or parts.netloc != site.netloc or parts.scheme != site.scheme:
        raise RefusedURL(f"Refused to fetch {url!r}.")
    path = unquote(parts.path)
    if path.startswith(settings.STATIC_URL):
        relative = path[len(settings.STATIC_URL) :]
        if ".." in Path(relative).parts:
            raise RefusedURL(f"Refused to fetch {url!r}.")
        found = finders.find(relative)
        if not found and settings.STATIC_ROOT:
            candidate = (Path(settings.STATIC_ROOT) / relative).resolve()
            if candidate.is_relative_to(Path(settings.STATIC_ROOT).resolve()) and candidate.is_file():
                found = str(candidate)
        if not found:
            raise RefusedURL(f"No such static file: {url!r}.")
        return Path(found if isinstance(found, str) else found[0])
    if path.startswith(settings.MEDIA_URL):
        root = Path(settings.MEDIA_ROOT).resolve()
        candidate = (root / path[len(settings.MEDIA_URL) :]).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            raise RefusedURL(f"Refused to fetch {url!r}.")
        return candidate
    raise RefusedURL(f"Refused to fetch {url!r}.")


def url_fetcher() -> "URLFetcher":
    """A fresh restricted fetcher for one render."""
    return _fetcher_class()()


def render_pdf(html: str, *, fetcher: "URLFetcher | None" = None) -> bytes:
    """The PDF of an HTML document, resolving relative addresses against SITE_URL through the
    restricted fetcher."""
    from weasyprint import HTML

    pdf: bytes = HTML(
        string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher or url_fetcher()
    ).write_pdf()
    return pdf
