"""Two-factor sign-in with django-otp: a code from an authenticator app (TOTP) after the password, and
ten recovery codes for a lost phone (issue 19, part 4).

Who must use it: administrators (staff and superusers) and facilitators (of a neighbourhood, or named on
a programme), when settings.TWO_FACTOR_REQUIRED says so (on by default when SECURE=1). Coordinators and
artists may turn it on from their two-factor page. Anyone who has turned it on is asked for a code
at every sign-in, required or not.

``TwoFactorMiddleware`` (after django-otp's OTPMiddleware, which says whether this session was verified
by one of the user's devices) holds a signed-in session that is not verified to the pages that finish
signing in: the code page for someone with two-factor set up, the setup page for someone who must set
it up; and signing out, the privacy notice and the accessibility statement. Everything else redirects
there. The admin site checks the same on its own (``TwoFactorAdminSite``), so that it stays closed to
an unverified administrator even without the middleware.

Devices: one confirmed ``TOTPDevice`` (the app) and one ``StaticDevice`` holding the recovery codes
still unused. django-otp verifies with the row locked, refuses a TOTP code at or before the last one
accepted (``last_t``: a code works once) or outside one 30-second step either side, deletes a recovery
code once used, and slows down guessing (each failure doubles the wait before the next try).
"""

import re
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.users import User

from .rules import facilitates_anything

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
CODES_DEVICE_NAME = "Recovery codes"

# What a signed-in session that has not finished signing in may still open (URL names).
OPEN_WHILE_SIGNING_IN = {"logout", "privacy", "accessibility", "healthz"}
VERIFY_PAGE = "accounts:two_factor_verify"
SETUP_PAGE = "accounts:two_factor_setup"


# --- who, and where they are -----------------------------------------------------------------------


def is_required(user: User) -> bool:
    """Must this user sign in with two-factor? Administrators and facilitators (of a neighbourhood or
    named on a programme: accounts.rules.facilitates_anything), when the setting is on."""
    if not settings.TWO_FACTOR_REQUIRED:
        return False
    return bool(user.is_staff or user.is_superuser or facilitates_anything(user))


def is_set_up(user: User) -> bool:
    """Has this user an authenticator app confirmed with a code?"""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def is_verified(request: HttpRequest) -> bool:
    """Did this session give a code (from the app or a recovery code) after the password?"""
    return bool(getattr(request.user, "is_verified", lambda: False)())


def fully_signed_in(request: HttpRequest) -> bool:
    """Signed in, and by two factors wherever the user has two-factor or must have it."""
    user = request.user
    if not user.is_authenticated:
        return False
    if is_verified(request):
        return True
    return not is_set_up(user) and not is_required(user)


# --- setting it up -----------------------------------------------------------------------------------


def start_setup(*, user: User) -> TOTPDevice:
    """The app device being set up for this user: not confirmed until a code from it is given. The same
    one each time the setup page is opened (the QR code someone has scanned stays right), until it is
    confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def typed_key(device: TOTPDevice) -> str:
    """The device's secret as people type it into an app: base32, in groups of four."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code (no data: address, no style attribute),
    named for screen readers by ``title``."""
    import segno

    svg = segno.make_qr(device.config_url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code", lineclass=None
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 -- segno's own markup


def confirm_setup(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app being set up with a code from it. On success it becomes the user's app (any
    earlier one is removed: a new phone), new recovery codes replace any old ones, and the codes are
    returned to be shown once; None if the code is wrong, or the device is not this user's one being
    set up."""
    token = normalise(code)
    if not re.fullmatch(r"\d{6}", token):
        return None
    with transaction.atomic():
        locked = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        )
        if locked is None or not locked.verify_token(token):
            return None
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
        codes = _new_recovery_codes(user)
    device.refresh_from_db()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    holder = StaticDevice.objects.create(user=user, name=CODES_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=holder, token=code) for code in codes)
    return codes


def make_new_recovery_codes(*, user: User) -> list[str]:
    """Ten new recovery codes for someone who has set up two-factor; the old ones stop working."""
    if not is_set_up(user):
        raise ValueError("two-factor is not set up")
    with transaction.atomic():
        return _new_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def turn_off(*, user: User) -> None:
    """Remove the user's app and recovery codes (someone who need not use two-factor). Also an
    administrator's reset for someone who lost their phone: they set it up again at their next sign-in,
    if they must."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


# --- signing in with a code ----------------------------------------------------------------------


def normalise(code: str) -> str:
    """What people type, as we compare it: without spaces or hyphens, in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None  # the device that accepted the code, or None
    wait_until: datetime | None = None  # too many wrong codes: the next try is allowed from then
    recovery: bool = False  # a recovery code was used (one fewer left)


def check_code(*, user: User, code: str) -> CodeCheck:
    """Check a code given after the password: six digits against the app, anything else against the
    recovery codes. Verified with the device's row locked, so that two requests cannot both use one code;
    a wrong code makes the next try wait (1, 2, 4 … seconds); a used recovery code is deleted."""
    token = normalise(code)
    app = re.fullmatch(r"\d{6}", token) is not None
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if app else StaticDevice
    if not token or len(token) > 16:
        return CodeCheck(device=None)
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            return CodeCheck(device=None)
        allowed, why = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(device=None, wait_until=(why or {}).get("locked_until"))
        if device.verify_token(token):
            return CodeCheck(device=device, recovery=not app)
    return CodeCheck(device=None)


def sign_in_with(request: HttpRequest, device: Device) -> None:
    """Mark this session as verified by ``device`` (the second factor), under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()


# --- holding an unfinished sign-in to the pages that finish it ----------------------------------


def _url_name(request: HttpRequest) -> str | None:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.view_name


def _redirect_with_next(request: HttpRequest, name: str) -> HttpResponse:
    url = reverse(name)
    if request.method == "GET":
        url += "?next=" + quote(request.get_full_path())
    return redirect(url)


class TwoFactorMiddleware:
    """A session that has not finished signing in reaches only the code page (two-factor set up) or the
    setup pages (must set it up), and signing out, the privacy notice and the accessibility statement.
    Static files are served before this (WhiteNoise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or is_verified(request):
            return self.get_response(request)
        name = _url_name(request)
        if name in OPEN_WHILE_SIGNING_IN:
            return self.get_response(request)
        if is_set_up(user):
            if name == VERIFY_PAGE:
                return self.get_response(request)
            return _redirect_with_next(request, VERIFY_PAGE)
        if is_required(user):
            if name == SETUP_PAGE:
                return self.get_response(request)
            return _redirect_with_next(request, SETUP_PAGE)
        return self.get_response(request)


class TwoFactorAdminSite(admin.AdminSite):
    """Django's admin site, open only to a session that has fully signed in (two factors where the
    administrator has two-factor or must have it). bettertogether/urls.py sets it as admin.site's class,
    as django-otp does with its OTPAdminSite, so every app's registrations stay."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and fully_signed_in(request)


@admin.action(
    description="Reset two-factor sign-in (lost phone): remove the app and recovery codes",
    permissions=["change"],
)
def reset_two_factor(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    """The admin action on the users' list, for administrators who may change users (one who may only
    view them neither sees nor can run it): each chosen user's devices removed, and the change logged in
    the admin's history. Someone who must use two-factor sets it up again at their next sign-in; their
    sessions verified with the removed devices are no longer verified.

    Left alone, and said so: a superuser, unless a superuser asks (someone who may change users must not
    be able to strip a superuser's second factor), and the administrator themselves (their own phone is
    changed on their two-factor page, after giving a code)."""
    reset, refused, own = 0, [], False
    for user in queryset:
        if user.pk == request.user.pk:
            own = True
            continue
        if user.is_superuser and not request.user.is_superuser:
            refused.append(user.get_username())
            continue
        turn_off(user=user)
        modeladmin.log_change(request, user, "Reset two-factor sign-in.")
        reset += 1
    modeladmin.message_user(request, f"Two-factor sign-in reset for {reset} user(s).")
    if refused:
        modeladmin.message_user(
            request,
            "Not reset, because only a superuser may reset a superuser's: " + ", ".join(refused) + ".",
            level=messages.WARNING,
        )
    if own:
        modeladmin.message_user(
            request,
            "Your own two-factor sign-in was not reset: change your phone on your two-factor page.",
            level=messages.WARNING,
        )


def add_reset_action(site: admin.AdminSite) -> None:
    """Put ``reset_two_factor`` among the users' admin actions, whichever ModelAdmin shows them (called
    by bettertogether/urls.py once every app's admin is registered)."""
    user_admin = site._registry.get(User)
    if user_admin is not None and reset_two_factor not in (user_admin.actions or ()):
        user_admin.actions = [*(user_admin.actions or ()), reset_two_factor]


def recovery_time_left(wait_until: datetime | None) -> int:
    """Whole seconds until the next code may be tried (at least 1)."""
    if wait_until is None:
        return 1
    return max(1, int((wait_until - timezone.now()).total_seconds() + 0.999))
