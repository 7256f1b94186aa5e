"""An email provider's word on the mail it took, through django-anymail's tracking webhooks.

The provider posts an event (delivered, bounced, complained…) to a URL of ours. django-anymail's own
view checks it (the provider's signature and the basic authentication its URL carries) and turns it
into an ``AnymailTrackingEvent``; ``record_event`` below, connected to anymail's ``tracking`` signal,
finds the outbox row it is about and records it through core.delivery, which is idempotent and keeps
time's order (the same event twice, or an old one after a newer one, changes nothing).

``tracking_webhook(view_class, needs=...)`` wraps anymail's view so that every answer is one a provider
understands and no odd body is an error of ours:

- 403 when the request is not the provider's: the basic authentication (``ANYMAIL["WEBHOOK_SECRET"]``)
  is missing or wrong, the signature is missing or wrong, or the secrets are not set up here (then
  nothing could be checked, so nothing is believed);
- 400 when it is, but its body cannot be read as events (malformed JSON, the wrong shapes);
- 200 otherwise, for events we act on and events we ignore (opened, clicked, a message we never sent).

A failure of ours while recording (the database away) is left to answer 500, so the provider tries
again later and nothing genuine is lost.

**Adding an email provider** other than Mailgun is one more path line in bettertogether/urls.py, with
its anymail tracking view (and the ESP's own ANYMAIL settings it must have, if it signs its events)::

    path("hooks/email/postmark/tracking/", tracking_webhook(PostmarkTrackingWebhookView),
         name="email_tracking_postmark"),

then its keys in settings.ANYMAIL (and .env.example). The receiver below already maps every provider's
events, as anymail names them.
"""

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailWebhookValidationFailure,
)
from anymail.signals import AnymailTrackingEvent, EventType, tracking
from anymail.utils import get_anymail_setting
from anymail.webhooks.base import AnymailBasicAuthMixin, AnymailCoreWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from .delivery import find_message, record_delivery
from .enums import Delivery, MessageChannel

logger = logging.getLogger(__name__)

# What anymail calls an event, and what it means to us. A temporary bounce comes as "deferred" (anymail
# reads Mailgun's "failed" with severity "temporary" so); only a permanent one is "bounced". "rejected":
# the provider would not send it at all (its suppression list: the address bounced before). The rest
# (queued, sent, opened, clicked, unsubscribed, unknown…) say nothing of whether it arrived.
DELIVERY_OF_EVENT = {
    EventType.DELIVERED: Delivery.DELIVERED,
    EventType.BOUNCED: Delivery.PERMANENT_FAILURE,
    EventType.REJECTED: Delivery.PERMANENT_FAILURE,
    EventType.DEFERRED: Delivery.TEMPORARY_FAILURE,
    EventType.COMPLAINED: Delivery.COMPLAINT,
}

# The provider's words kept on the row: enough to say why, short enough for a column on the list.
SAID_LIMIT = 200

# What a body that is not the events it claims to be raises inside anymail's parsing (a JSON object where
# a string was expected, a timestamp out of range, nesting past Python's limit, a broken form post).
ODD_BODY = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    OSError,
    RecursionError,
    MultiPartParserError,
    AnymailConfigurationError,
    AnymailError,
)


class _Refused(Exception):
    """Not the provider's request: answered 403."""


def tracking_webhook(
    view_class: type[AnymailCoreWebhookView], *, needs: Sequence[str] = ()
) -> Callable[..., HttpResponse]:
    """A view taking ``view_class``'s events (an anymail tracking webhook view), answering 403 to anything
    not the provider's and 400 to a body that cannot be read. ``needs``: the ESP's own ANYMAIL settings
    that must be set (for Mailgun, its webhook signing key); basic authentication is always needed."""
    esp_name: str = getattr(view_class, "esp_name", view_class.__name__)

    class Guarded(view_class):
        def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                self._check(request)
            except _Refused as refusal:
                logger.warning("%s webhook refused: %s", esp_name, refusal)
                return HttpResponseForbidden()
            except ODD_BODY as error:
                logger.warning("%s webhook: a body that is not events (%s)", esp_name, type(error).__name__)
                return HttpResponseBadRequest()
            try:
                events = self.parse_events(request)
            except ODD_BODY as error:
                logger.warning("%s webhook: events that cannot be read (%s)", esp_name, type(error).__name__)
                return HttpResponseBadRequest()
            for event in events:
                self.signal.send(sender=view_class, event=event, esp_name=esp_name)
            return HttpResponse()

        def _check(self, request: HttpRequest) -> None:
            """The basic authentication first (without it, nothing about the body is said), then the
            body's form, then the provider's own checks (its signature). Raises _Refused or an ODD_BODY
            error."""
            wanted = [("webhook_secret", None), *((need, esp_name) for need in needs)]
            missing = [
                _setting_name(name, esp)
                for name, esp in wanted
                if not get_anymail_setting(name, esp_name=esp, default="")
            ]
            if missing:
                raise _Refused(f"not set up here ({', '.join(missing)})")
            try:
                AnymailBasicAuthMixin.validate_request(self, request)
            except AnymailWebhookValidationFailure:
                raise _Refused("missing or wrong basic authentication") from None
            if request.content_type == "application/json":
                body = json.loads(request.body.decode("utf-8"))
                if not isinstance(body, dict):
                    raise TypeError("not a JSON object")
            try:
                self.run_validators(request)
            except AnymailWebhookValidationFailure:
                raise _Refused("missing or wrong signature") from None

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{view_class.__name__}"
    view = Guarded.as_view()

    @csrf_exempt
    def webhook(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except AnymailConfigurationError as error:
            # anymail's view could not be made from the settings: nothing could be checked.
            logger.warning("%s webhook refused: not set up here (%s)", esp_name, type(error).__name__)
            return HttpResponseForbidden()
        return response

    return webhook


def _setting_name(name: str, esp_name: str | None) -> str:
    """How anymail names a setting in settings.ANYMAIL: 'ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]'."""
    prefix = f"{esp_name.upper().replace(' ', '_')}_" if esp_name else ""
    return f'ANYMAIL["{prefix}{name.upper()}"]'


# Mailgun, with its webhook signing key (Sending → Webhooks in Mailgun's control panel).
mailgun_tracking = tracking_webhook(MailgunTrackingWebhookView, needs=("webhook_signing_key",))


@receiver(tracking, dispatch_uid="core.webhooks.record_event")
def record_event(sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Record what an email provider said of one of our emails (anymail's ``tracking`` signal).

    Events that say nothing of delivery are ignored; so is an event for a message we never sent (logged,
    without the address or the message's id). Side effects: core.delivery.record_delivery, which runs
    the kind's on_bounce at the first permanent failure."""
    status = DELIVERY_OF_EVENT.get(event.event_type)
    if status is None:
        return
    message_id = event.message_id if isinstance(event.message_id, str) else ""
    message = find_message(provider_id=message_id, reference=message_id) if message_id else None
    if message is None or message.channel != MessageChannel.EMAIL:
        logger.info("%s %s event for a message we did not send: ignored", esp_name, event.event_type)
        return
    record_delivery(message, status=status, said=_said(esp_name, event), at=event.timestamp)


def _said(esp_name: str, event: AnymailTrackingEvent) -> str:
    """'Mailgun: 550 5.1.1 The email account that you tried to reach does not exist.', on one line."""
    words = ""
    for candidate in (event.description, event.mta_response):
        if isinstance(candidate, str) and candidate.strip():
            words = candidate
            break
    words = re.sub(r"\s+", " ", words).strip() or str(event.event_type)
    said = f"{esp_name}: {words}"
    return said if len(said) <= SAID_LIMIT else said[: SAID_LIMIT - 1] + "…"
