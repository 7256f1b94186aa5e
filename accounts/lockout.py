"""Lockout after repeated failed sign-ins, with django-axes (issue 19, part 3).

Both sign-in pages (``/accounts/login/`` and ``/admin/login/``) authenticate through Django's
``authenticate()``, where axes' backend comes first (settings.AUTHENTICATION_BACKENDS): it refuses a locked
user name or address before any password is checked, and its signal handler records each failure.

Two limits in the same 15 minutes (settings.AXES_COOLOFF_TIME):

- 5 failures for one user name (settings.AXES_FAILURE_LIMIT) lock that name, wherever the tries come from;
- 20 failures from one client address (settings.LOCKOUT_ADDRESS_FAILURE_LIMIT), whatever names were
  tried, lock that address: one school office behind one address can mistype a few times without
  locking each other out, but nobody can try name after name.

Axes counts the failures per lockout parameter (``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]``)
but compares them all with one limit; its documented way to change how failures are counted is a handler
of our own (``AXES_HANDLER``), a subclass of its database handler, which is ``LockoutHandler`` below.
A callable ``AXES_FAILURE_LIMIT`` cannot do it: it is asked for one limit per request and is not told
which parameter's count it is being compared with.

The client address is the one the rate limit of the token pages uses (``core.ratelimit.client_address``:
behind our proxy, the last X-Forwarded-For hop; an IPv6 client's /64 block, kept as the block's first
address). A refused sign-in gets ``locked_out``: a page of ours
saying plainly when to try again, with the link to choose a new password.
"""

import ipaddress
from datetime import datetime, timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.ratelimit import client_address as ratelimit_client_address


def client_address(request: HttpRequest) -> str | None:
    """axes' AXES_CLIENT_IP_CALLABLE: the same address as the token pages' rate limit, as a plain address,
    because axes keeps it in a GenericIPAddressField (an inet column on PostgreSQL, which refuses anything
    else). An IPv6 client counts per /64 there, as "2001:db8:1:2::/64"; here that block is its first
    address, "2001:db8:1:2::", so that every address of one block still shares one count. An address that
    cannot be read is None (axes keeps it as no address) rather than "unknown"; all such requests then
    share one count, as they share one in the rate limit."""
    address = ratelimit_client_address(request)
    if address == "unknown":
        return None
    return str(ipaddress.ip_network(address, strict=False).network_address)


def username_tried(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """axes' AXES_USERNAME_CALLABLE: the user name a sign-in is for, as the lockout counts it: without
    surrounding spaces and in lower case, so that "Fatima@School.org " and "fatima@school.org" (an invited
    colleague's user name is their email address) share one count."""
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))  # axes.conf sets it
    value = credentials.get(field) if credentials else getattr(request, "POST", {}).get(field)
    if value is None:
        return None
    return str(value).strip().lower()


def _address(request: HttpRequest) -> str | None:
    """The client address axes put on the request (client_address above) when it looked at it."""
    return getattr(request, "axes_ip_address", None)


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per user name and another, higher one, per address."""

    def _recent(self, request: HttpRequest) -> QuerySet[AccessAttempt]:
        recent: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(
            attempt_time__gte=get_cool_off_threshold(request)
        )
        return recent

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures that count against the user name being tried; once the address has reached its
        own limit, at least the user name's limit, so that every name from that address is refused.
        (axes compares this number with AXES_FAILURE_LIMIT, both when a failure is recorded and before
        a password is checked.)"""
        recent = self._recent(request)
        for_name = _failures(recent.filter(username=get_client_username(request, credentials)))
        for_address = _failures(recent.filter(ip_address=_address(request)))
        if for_address >= settings.LOCKOUT_ADDRESS_FAILURE_LIMIT:
            return max(for_name, int(get_failure_limit(request, credentials)))
        return for_name

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful sign-in (AXES_RESET_ON_SUCCESS) forget the failures of that user name only.
        axes' own would forget the address's too, so anyone with an account could clear the count of the
        names they had been trying from there by signing in as themselves."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(count)


def locked_until(request: HttpRequest, credentials: dict | None = None) -> datetime | None:
    """When the lockout that refused this request ends: the cool-off after the latest failure counted
    for the user name or the address."""
    username = get_client_username(request, credentials)
    cool_off = get_cool_off(request) or timedelta(0)
    latest = (
        AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        .filter(Q(username=username) | Q(ip_address=_address(request)))
        .aggregate(latest=Max("attempt_time"))["latest"]
    )
    return latest + cool_off if latest else None


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """axes' AXES_LOCKOUT_CALLABLE: a plain page of ours, on either sign-in page, with the time to try
    again and the link to choose a new password (429 Too Many Requests, with Retry-After)."""
    until = locked_until(request, credentials)
    cool_off = get_cool_off(request) or timedelta(0)
    wait = max(until - timezone.now(), timedelta(0)) if until else cool_off
    response = render(
        request,
        "accounts/lockout/locked_out.html",
        {"until": until, "minutes": max(1, round(wait.total_seconds() / 60))},
        status=429,
    )
    response["Retry-After"] = str(max(1, int(wait.total_seconds())))
    return response
