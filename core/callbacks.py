"""GOV.UK Notify's delivery-status callbacks: POST /hooks/notify/ (``notify_callback``).

Notify posts one JSON object per notification when it knows what became of it — ``{"id", "reference",
"to", "status", "created_at", "completed_at", "sent_at", "notification_type"}`` — with the header
``Authorization: Bearer <NOTIFY_CALLBACK_TOKEN>``, the token given to Notify with the callback URL
(the service's API integration settings, for text messages and for emails).

- The token is compared in constant time; a missing or wrong one, or none set here, is answered 403.
  Wrong tokens are counted per client address (core.ratelimit): after RATE_LIMIT_PER_MINUTE of them in a
  minute that address is answered 429, while callbacks with the right token are never limited, so a
  flood cannot push genuine words out.
- A body that is not a JSON object with a notification id (and, if given, a string status and
  reference) is answered 400 with a short reason; no body, however odd, is a 500.
- The notification is found by Notify's id, else our reference ("outbox-123"). One we do not know is
  answered 200, so that Notify stops retrying, and logged without anything about the person.
- Its word is recorded (core.delivery.record_delivery): delivered, temporary or permanent failure, with
  Notify's words and its completed_at. "created" and "sending" are not a word yet. The same callback
  twice changes nothing.
"""

import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .delivery import find_message, record_delivery
from .notify import NotifyWord, parse_notify_time
from .ratelimit import client_address, hit

logger = logging.getLogger(__name__)

RATE_LIMIT_SCOPE = "notify-callback"
# A callback is a few hundred bytes; anything much bigger is not one.
MAX_BODY_BYTES = 64 * 1024


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def bearer_token(request: HttpRequest) -> str:
    """The token in the request's ``Authorization: Bearer …`` header, blank if there is none."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_is_right(given: str) -> bool:
    """Whether ``given`` is NOTIFY_CALLBACK_TOKEN, compared in constant time. Never, when none is set."""
    expected = getattr(settings, "NOTIFY_CALLBACK_TOKEN", "") or ""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class NotACallback(ValueError):
    """The body is not a callback; the message says why, shortly and plainly."""


def read_callback(body: bytes) -> tuple[str, str, NotifyWord]:
    """Notify's id, our reference (blank if none) and Notify's word, from a callback's body. Raises
    NotACallback for anything that is not one."""
    if len(body) > MAX_BODY_BYTES:
        raise NotACallback("The body is too large to be a callback.")
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past any real callback
        raise NotACallback("The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise NotACallback("The body is not a JSON object.")
    notification_id, status = payload.get("id"), payload.get("status")
    reference, kind = payload.get("reference"), payload.get("notification_type")
    if not isinstance(notification_id, str) or not notification_id.strip():
        raise NotACallback("The callback has no notification id.")
    if len(notification_id) > 100:
        raise NotACallback("The notification id is too long.")
    if not isinstance(status, str) or not status.strip():
        raise NotACallback("The callback has no status.")
    if reference is not None and not isinstance(reference, str):
        raise NotACallback("The reference is not a string.")
    word = NotifyWord(
        status=status.strip()[:50],
        notification_type=kind if isinstance(kind, str) else "",
        completed_at=parse_notify_time(payload.get("completed_at")),
    )
    return notification_id.strip(), (reference or "").strip()[:100], word


@csrf_exempt
@require_POST
def notify_callback(request: HttpRequest) -> HttpResponse:
    """Record what Notify says of a notification we sent (see the module's docstring)."""
    if not token_is_right(bearer_token(request)):
        limit = settings.RATE_LIMIT_PER_MINUTE
        if limit > 0:
            retry_after = hit(scope=RATE_LIMIT_SCOPE, address=client_address(request), limit=limit)
            if retry_after:
                response = _plain("Too many requests.", 429)
                response["Retry-After"] = str(retry_after)
                return response
        logger.info("notify callback refused: no token or the wrong one")
        return _plain("Forbidden.", 403)
    try:
        notification_id, reference, word = read_callback(request.body)
    except RequestDataTooBig:
        return _plain("The body is too large to be a callback.", 400)
    except NotACallback as error:
        return _plain(str(error), 400)
    message = find_message(provider_id=notification_id, reference=reference)
    if message is None:
        # Nothing about the person (the "to" field): Notify's id names the notification well enough.
        logger.warning(
            "notify callback for a notification we do not know: %r (%r)", notification_id, word.status
        )
        return _plain("Unknown notification; nothing recorded.", 200)
    if word.delivery is None:
        return _plain("No word yet; nothing recorded.", 200)
    record_delivery(message, status=word.delivery, said=word.said, at=word.at(timezone.now()))
    return _plain("Recorded.", 200)
