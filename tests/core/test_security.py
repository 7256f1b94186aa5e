"""Security headers (core.security, django-csp): the Permissions-Policy turns off what we never use, and
only the artists' upload page may use the camera."""

from django.urls import reverse

from core.security import TURNED_OFF, permissions_policy


def _policy(response) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))


def test_a_staff_page_turns_off_the_camera_and_everything_we_never_use(client, world):
    client.force_login(world.user("facilitator"))
    policy = _policy(client.get(reverse("events:programme_detail", args=[world.programme.pk])))
    assert policy["camera"] == "()"
    for feature in TURNED_OFF:
        assert policy[feature] == "()", feature


def test_the_artists_upload_page_may_use_the_camera(client, world):
    client.force_login(world.user("artist"))
    response = client.get(reverse("artwork:upload", args=[world.session.pk]))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["camera"] == "(self)"
    assert policy["microphone"] == "()" and policy["geolocation"] == "()"


def test_the_login_page_has_the_strict_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert _policy(response)["camera"] == "()"


def test_permissions_policy_names_each_feature_once():
    names = [part.split("=")[0].strip() for part in permissions_policy().split(",")]
    assert len(names) == len(set(names)) and "camera" in names
