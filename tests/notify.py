"""A fake GOV.UK Notify API on loopback, speaking what the official client sends.

POST /v2/notifications/sms and /v2/notifications/email create a notification; GET /v2/notifications/<id>
reports it. Every request must carry the bearer token the client makes (a JWT signed HS256 with the API
key's secret, ``iss`` its service id, ``iat`` within 30 seconds): a missing one is answered 401, a wrong
one 403, as Notify does. Every request is kept (``state.requests``), and every notification made
(``state.notifications``).

Told per number (or email address), it refuses: ``state.refuse(to, 400)`` (a BadRequestError, Notify's
JSON error shape), 429, 500 or any status; ``state.delay(to, seconds)`` answers slowly; and
``state.will_report(to, "delivered")`` makes later look-ups of that recipient's notifications say so
(``state.set_status(id, ...)`` for one notification). A new notification is "created".

``state.callback(url, token, notification, status)`` does what Notify does when a notification's status
changes and the service has a callback URL: it POSTs the notification's delivery receipt as JSON to
``url`` with ``Authorization: Bearer <token>`` (and later look-ups report that status too).
"""

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from requests import Response, post

SERVICE_ID = "7d9c0a4e-35a1-4f3e-9c1b-2f6d8e5a4b10"
SECRET = "c5e2a7b1-9f04-4d6e-8a3c-1b7f0e9d2c45"
API_KEY = f"bettertogether_test-{SERVICE_ID}-{SECRET}"
SMS_TEMPLATE_ID = "3f1b6c2a-8d47-4e9b-a5c0-6e2d9f7b1a38"
EMAIL_TEMPLATE_ID = "9a4e7c1d-2b58-4f63-8e0a-5c3d1b6f7e29"
# Notify allows a token's iat to be this many seconds away from its own clock.
TOKEN_LEEWAY_SECONDS = 30

UUID_PATH = re.compile(r"/v2/notifications/([^/?]+)")
PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")


@dataclass
class Template:
    type: str  # "sms" or "email"
    body: str
    subject: str = ""
    version: int = 1


@dataclass
class Received:
    """One request as the fake saw it, and what it answered."""

    method: str
    path: str
    body: dict[str, Any] | None
    authorised: bool
    answered: int = 0


@dataclass
class Notification:
    id: str
    type: str
    to: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    body: str
    subject: str
    created_at: str
    status: str = "created"


@dataclass
class Refusal:
    status_code: int
    error: str
    message: str


@dataclass
class FakeNotify:
    service_id: str = SERVICE_ID
    secret: str = SECRET
    base_url: str = ""
    templates: dict[str, Template] = field(
        default_factory=lambda: {
            SMS_TEMPLATE_ID: Template(type="sms", body="((body))"),
            EMAIL_TEMPLATE_ID: Template(type="email", subject="((subject))", body="((body))"),
        }
    )
    requests: list[Received] = field(default_factory=list)
    notifications: dict[str, Notification] = field(default_factory=dict)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, to: str, status_code: int, message: str | None = None) -> None:
        """Answer every send to ``to`` with ``status_code`` and Notify's error JSON for it."""
        error, default = {
            400: ("BadRequestError", f"Not a valid number: {to} cannot receive text messages"),
            403: ("AuthError", "Invalid token: service has no permission to send text messages"),
            429: ("RateLimitError", "Exceeded rate limit for key type TEAM of 3000 requests per 60 seconds"),
            500: ("Exception", "Internal server error"),
        }.get(status_code, ("Exception", HTTPStatus(status_code).phrase))
        with self.lock:
            self.refusals[to] = Refusal(status_code, error, message or default)

    def delay(self, to: str, seconds: float) -> None:
        with self.lock:
            self.delays[to] = seconds

    def will_report(self, to: str, status: str) -> None:
        """Look-ups of notifications to ``to`` (made before or after) report ``status``."""
        with self.lock:
            self.reports[to] = status

    def set_status(self, notification_id: str, status: str) -> None:
        with self.lock:
            self.notifications[notification_id].status = status

    def callback(
        self, url: str, token: str, notification: Notification, status: str, *, timeout: float = 10.0
    ) -> Response:
        """POST Notify's delivery receipt for ``notification``, now ``status``, to the service's callback
        ``url`` with ``token`` as its bearer token, as Notify does; return the answer."""
        completed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.lock:
            notification.status = status
            template = self.templates.get(notification.template_id)
        receipt = {
            "id": notification.id,
            "reference": notification.reference,
            "to": notification.to,
            "status": status,
            "created_at": notification.created_at,
            "completed_at": completed_at,
            "sent_at": notification.created_at,
            "notification_type": notification.type,
            "template_id": notification.template_id,
            "template_version": template.version if template else 1,
        }
        return post(url, json=receipt, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def sent_to(self, to: str) -> list[Notification]:
        with self.lock:
            return [n for n in self.notifications.values() if n.to == to]

    def uri(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _error(status_code: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status_code, {"status_code": status_code, "errors": [{"error": error, "message": message}]}


class Handler(BaseHTTPRequestHandler):
    server: "FakeNotifyServer"
    # HTTP/1.0: one request per connection, so a stopped server refuses the next one at once.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        authorised, refusal = self._check_token(state)
        received = Received(method=method, path=self.path, body=body, authorised=authorised)
        with state.lock:
            state.requests.append(received)
        if refusal:
            status_code, answer = refusal
        elif method == "POST" and self.path in ("/v2/notifications/sms", "/v2/notifications/email"):
            status_code, answer = self._create(state, self.path.rsplit("/", 1)[1], body)
        elif method == "GET" and (found := UUID_PATH.fullmatch(self.path)):
            status_code, answer = self._report(state, found[1])
        else:
            status_code, answer = (
                404,
                {
                    "result": "error",
                    "message": "The requested URL was not found on the server.",
                },
            )
        received.answered = status_code
        self._answer(status_code, answer)

    def _check_token(self, state: FakeNotify) -> tuple[bool, tuple[int, dict[str, Any]] | None]:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False, _error(401, "AuthError", "Unauthorized: authentication token must be provided")
        token = header.removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(
                token,
                state.secret,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            return False, _error(403, "AuthError", "Invalid token: signature, api token not found")
        if claims["iss"] != state.service_id:
            return False, _error(403, "AuthError", "Invalid token: service not found")
        if abs(time.time() - float(claims["iat"])) > TOKEN_LEEWAY_SECONDS:
            return False, _error(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        return True, None

    def _create(self, state: FakeNotify, kind: str, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return _error(400, "ValidationError", "Request body is not valid JSON")
        recipient_field = "phone_number" if kind == "sms" else "email_address"
        for required in (recipient_field, "template_id"):
            if not body.get(required):
                return _error(400, "ValidationError", f"{required} is a required property")
        to = str(body[recipient_field])
        with state.lock:
            refusal, delay = state.refusals.get(to), state.delays.get(to, 0.0)
        if delay:
            time.sleep(delay)
        if refusal:
            return _error(refusal.status_code, refusal.error, refusal.message)
        if kind == "sms" and re.search(r"[A-Za-z]", to):
            return _error(400, "ValidationError", "phone_number Must not contain letters or symbols")
        template = state.templates.get(str(body["template_id"]))
        if template is None or template.type != kind:
            return _error(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        wanted = PLACEHOLDER.findall(template.subject + template.body)
        missing = [name for name in wanted if name not in personalisation]
        if missing:
            return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda found: str(personalisation[found[1]]), text)

        notification = Notification(
            id=str(uuid.uuid4()),
            type=kind,
            to=to,
            template_id=str(body["template_id"]),
            personalisation=personalisation,
            reference=body.get("reference"),
            body=fill(template.body),
            subject=fill(template.subject),
            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        with state.lock:
            state.notifications[notification.id] = notification
        content: dict[str, Any] = {"body": notification.body}
        if kind == "sms":
            content["from_number"] = "BetterTgthr"
        else:
            content.update(
                subject=notification.subject, from_email="better.together@notifications.service.gov.uk"
            )
        return 201, {
            "id": notification.id,
            "reference": notification.reference,
            "content": content,
            "uri": state.uri(f"/v2/notifications/{notification.id}"),
            "template": {
                "id": notification.template_id,
                "version": template.version,
                "uri": state.uri(f"/services/{state.service_id}/templates/{notification.template_id}"),
            },
            "scheduled_for": None,
        }

    def _report(self, state: FakeNotify, notification_id: str) -> tuple[int, dict[str, Any]]:
        try:
            uuid.UUID(notification_id)
        except ValueError:
            return _error(400, "ValidationError", "notification_id is not a valid UUID")
        with state.lock:
            notification = state.notifications.get(notification_id)
            status = state.reports.get(notification.to) if notification else None
        if notification is None:
            return _error(404, "NoResultFound", "No result found")
        template = state.templates[notification.template_id]
        return 200, {
            "id": notification.id,
            "reference": notification.reference,
            "email_address": notification.to if notification.type == "email" else None,
            "phone_number": notification.to if notification.type == "sms" else None,
            "line_1": None,
            "line_2": None,
            "line_3": None,
            "line_4": None,
            "line_5": None,
            "line_6": None,
            "postcode": None,
            "type": notification.type,
            "status": status or notification.status,
            "template": {
                "id": notification.template_id,
                "version": template.version,
                "uri": state.uri(f"/v2/template/{notification.template_id}/version/{template.version}"),
            },
            "body": notification.body,
            "subject": notification.subject or None,
            "created_at": notification.created_at,
            "created_by_name": None,
            "sent_at": None,
            "completed_at": None,
            "scheduled_for": None,
            "one_click_unsubscribe_url": None,
        }

    def _answer(self, status_code: int, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


class FakeNotifyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeNotify) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state
        host, port = self.server_address[:2]
        state.base_url = f"http://{host!s}:{port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the port: the next request is refused."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()


def start_fake_notify() -> tuple[FakeNotifyServer, FakeNotify]:
    """A fake Notify answering on a free loopback port (its address: ``state.base_url``)."""
    state = FakeNotify()
    server = FakeNotifyServer(state)
    server.start()
    return server, state
