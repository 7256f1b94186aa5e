from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .services import replies


def _private(response: HttpResponse) -> HttpResponse:
    """Pages opened with a token: never cached, never indexed, and the token never leaks as a referrer."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invitation_or_404(token: str):
    invitation = replies.find_invitation(token=token)
    if invitation is None:
        raise Http404
    return invitation


@require_http_methods(["GET"])
def reply(request: HttpRequest, token: str) -> HttpResponse:
    """Where the link in an invitation leads. Opening it never changes anything."""
    invitation = _invitation_or_404(token)
    return _private(render(request, "invitations/reply.html", {"invitation": invitation, "token": token}))


# Mail programs send the one-click unsubscribe (RFC 8058) as a POST with no CSRF token; the unguessable
# token in the address is what authorises it, and a GET only shows the button.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_or_404(token)
    if request.method == "POST":
        replies.opt_out(invitation=invitation)
    return _private(
        render(
            request,
            "invitations/unsubscribe.html",
            {"invitation": invitation, "token": token, "done": invitation.opted_out_at is not None},
        )
    )
