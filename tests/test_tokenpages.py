"""The guard every token page shares: rate limit (with a factor for rooms behind one address), private
headers on every answer, and Django's CSRF check on POSTs."""

from django.http import Http404, HttpResponse
from django.test import RequestFactory

from core.tokenpages import guard_token_page


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
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_post_without_the_csrf_token_is_refused():
    view = guard_token_page(_view, scope="csrf")
    request = RequestFactory().post("/x/", {"word": "hope"}, REMOTE_ADDR="192.0.2.12")

    assert view(request, token="t").status_code == 403


def _missing(request, token):
    raise Http404


def test_a_not_found_raised_by_the_view_is_a_private_404():
    view = guard_token_page(_missing, scope="missing")

    response = _get(view, address="192.0.2.13")

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_a_post_with_the_csrf_token_from_the_same_origin_is_taken():
    view = guard_token_page(_view, scope="csrf-ok")
    request = RequestFactory().post(
        "/x/",
        {"csrfmiddlewaretoken": "x" * 32},
        REMOTE_ADDR="192.0.2.15",
        HTTP_ORIGIN="http://testserver",
    )
    request.COOKIES["csrftoken"] = "x" * 32  # the cookie's secret; the form sends the same, unmasked

    assert view(request, token="t").status_code == 200


def test_the_one_click_unsubscribe_kind_of_page_takes_a_post_without_a_token():
    view = guard_token_page(_view, scope="no-csrf", csrf=False)
    request = RequestFactory().post("/x/", REMOTE_ADDR="192.0.2.16", HTTP_ORIGIN="null")

    assert view(request, token="t").status_code == 200
