"""The permission matrix: every URL × every role gives the expected answer."""

import pytest
from django.urls import reverse

from .conftest import ROLES
from .urlmap import NOT_ALLOWED, ROUTES, ROUTES_BY_NAME, project_url_names


def test_matrix_covers_every_url_in_the_urlconf():
    assert project_url_names() == set(ROUTES_BY_NAME)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_permission_matrix(client, world, route, role):
    if role != "anonymous":
        client.force_login(world.user(role))
    url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)

    response = getattr(client, route.method)(url)

    assert response.status_code == route.status_for(role), f"{role} {route.method.upper()} {url}"
    # Every answer of every route, refusals and redirects too, carries the site's security headers.
    assert_security_headers(response, url)


# The Content-Security-Policy issue 19 asks for (settings.CONTENT_SECURITY_POLICY, django-csp).
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
)


def assert_security_headers(response, url: str) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = {part.strip() for part in policy.split(";")}
    missing = [directive for directive in POLICY if directive not in directives]
    assert not missing, f"{url}: the policy lacks {missing}: {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert "microphone=()" in response.get("Permissions-Policy", ""), url


PAGES = {route.name for route in ROUTES if route.method == "get"}


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.method == "post" and r.name not in PAGES], ids=lambda route: route.name
)
def test_post_only_urls_refuse_get(client, world, route):
    client.force_login(world.user("admin"))
    url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)

    assert client.get(url).status_code == NOT_ALLOWED


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("facilitator", 302), ("coordinator", 302), ("admin", 200)],
)
def test_admin_site_is_for_administrators_only(client, world, role, expected):
    if role != "anonymous":
        client.force_login(world.user(role))

    assert client.get(reverse("admin:index")).status_code == expected
