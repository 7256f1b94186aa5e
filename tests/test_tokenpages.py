"""The guard every token page shares: rate limit (with a factor for rooms behind one address), private
headers on every answer, and the token-page CSRF check on POSTs."""

from django.http import HttpResponse
from django.test import RequestFactory

from bettertogether.tokenpages import guard_token_page


def _view(request, token):
    return HttpResponse(f"hello {token}")


def _get(view, address="192.0.2.10"):
    return view(RequestFactory().get("/x/", REMOTE_ADDR=address), token="t")


def test_a_factor_multiplies_the_limit_per_address(settings):
    settings.RATE_LIMIT_PER_MINUTE = 2
    plain = guard_token_page(_view, scope="plain")
    roomy = guard_token_page(_view, scope="roomy", factor=3)

    assert [_get(plain).status_code for _ in range(3)] == [200, 200, 429]
    assert [_get(roomy).status_code for _ in range(7)] == [200] * 6 + [429]
    # Another address has its own count.
    assert _get(plain, address="192.0.2.11").status_code == 200


def test_every_answer_is_private_even_a_refusal(settings):
    settings.RATE_LIMIT_PER_MINUTE = 1
    view = guard_token_page(_view, scope="private")

    for response in (_get(view), _get(view)):
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_post_without_the_csrf_token_is_refused():
    view = guard_token_page(_view, scope="csrf")
    request = RequestFactory().post("/x/", {"word": "hope"}, REMOTE_ADDR="192.0.2.12")

    assert view(request, token="t").status_code == 403
