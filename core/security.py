"""Security headers of our own: a Permissions-Policy that turns off what the site never uses.

(The Content-Security-Policy is django-csp's, configured in settings.CONTENT_SECURITY_POLICY.)
The artists' upload page may use the camera (``allow_camera``); no page uses the microphone, location,
payment, USB, serial ports, Bluetooth, MIDI, sensors or screen capture.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase

TURNED_OFF = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "bluetooth",
    "browsing-topics",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)


def permissions_policy(*, camera: bool = False) -> str:
    allowed = {"camera": "(self)" if camera else "()"}
    return ", ".join(
        [f"{name}={value}" for name, value in allowed.items()] + [f"{name}=()" for name in TURNED_OFF]
    )


View = Callable[..., HttpResponseBase]


def allow_camera(view: View) -> View:
    """The page may use the camera (the artists' upload page: a picture taken on the tablet)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Permissions-Policy"] = permissions_policy(camera=True)
        return response

    return wrapped


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", permissions_policy())
        return response
