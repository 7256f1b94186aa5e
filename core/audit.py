"""The audit log (issue 18, part 6): who created, changed or deleted people's data, and who downloaded or
printed it, with the time and the user. A data protection officer reads it at ``audit:log``
(core/audit_views.py) or in the admin (Audit log › Log entries).

Changes are django-auditlog's: each app's ``AppConfig.ready()`` registers its models with the fields that
are kept (``auditlog.register``), and ``AuditMiddleware`` (auditlog's, with our client address) names the
signed-in user of the request as the actor. A change made without a signed-in user (a parent through their
reply link, a scheduled task) has no actor, and no address is kept for it.

Downloads are entries of auditlog's own table too (action ``ACCESS``): ``record_download`` writes one, or
the ``logs_download`` decorator and the ``LogsDownload`` mixin do it for a view, once per successful request.

``redact`` takes every personal value out of the entries about some objects (erasure keeps that a change
or a download happened, by whom and when); ``trim_log`` deletes entries older than ``AUDIT_KEEP_DAYS``,
daily in beat (core.tasks.trim_audit_log).

This module knows no model of ours: it works on whatever instances it is given.
"""

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any

from auditlog import get_logentry_model
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from .ratelimit import client_address

if TYPE_CHECKING:
    from auditlog.models import LogEntry

# What a value becomes when it is redacted.
ERASED = "[erased]"
# How long the log may be kept: at least a day, at most ten years (AUDIT_KEEP_DAYS).
KEEP_DAYS_RANGE = (1, 3650)
# Values shorter than this are not scrubbed from other objects' entries: two letters would wipe out
# unrelated words.
SHORTEST_VALUE = 3


class Download:
    """What was handed out, as the log names it. ``what`` may be any short text; these are the names the
    site's own views use, and the log page's "what" filter offers them."""

    LIST_CSV = "list CSV"
    SHEET = "sheet"  # "access needs sheet", "crèche sheet (CSV)"…: see sheet_download()
    LETTERS = "letters"
    LETTER = "one letter"
    CALL_LIST = "call list"
    CALL_LIST_CSV = "call list CSV"
    SIGN_IN_SHEET = "sign-in sheet"
    ATTENDANCE_CSV = "attendance CSV"
    WORDS_CSV = "words CSV"
    EVENT_RECORD = "event record"
    SUBJECT_ACCESS = "subject access export"


# The sheets for the day (invitations/views/sheets.py), by their kind in the URL.
SHEET_NAMES = {
    "catering": "catering sheet",
    "creche": "crèche sheet",
    "access": "access needs sheet",
    "interpreters": "interpreters sheet",
    "transport": "transport sheet",
}


def sheet_download(kind: str, *, csv: bool = False) -> str:
    """The log's name of a sheet: "access needs sheet", or "access needs sheet (CSV)"."""
    name = SHEET_NAMES.get(kind, f"{kind} sheet")
    return f"{name} (CSV)" if csv else name


KNOWN_DOWNLOADS = [
    Download.LIST_CSV,
    *SHEET_NAMES.values(),
    *(sheet_download(kind, csv=True) for kind in SHEET_NAMES),
    Download.LETTERS,
    Download.LETTER,
    Download.CALL_LIST,
    Download.CALL_LIST_CSV,
    Download.SIGN_IN_SHEET,
    Download.ATTENDANCE_CSV,
    Download.WORDS_CSV,
    Download.EVENT_RECORD,
    Download.SUBJECT_ACCESS,
]


def _signed_in(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class AuditMiddleware(AuditlogMiddleware):
    """auditlog's middleware: the request's signed-in user is the actor of every entry the request makes.
    The address is ours (core.ratelimit.client_address: X-Forwarded-For only behind our own proxy), and
    is kept only for signed-in users: a parent answering through their link leaves no address here."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if _signed_in(request) is None:
            return None
        address = client_address(request)
        # A /64 stands for an IPv6 household; the field takes a bare address.
        address = address.removesuffix("/64")
        return None if address == "unknown" else address

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None


def record_download(
    *, request: HttpRequest, what: str, obj: Model | None = None, detail: str = ""
) -> "LogEntry":
    """One entry in the audit log: the request's user downloaded or printed ``what`` ("list CSV", "sign-in
    sheet", "subject access export"…) about ``obj`` (a programme, a session, a person; None when there is
    no one object), now. ``detail`` says more (the filters of a list, how many rows). One INSERT."""
    log_entry = get_logentry_model()
    actor = _signed_in(request)
    address = AuditMiddleware._get_remote_addr(request)
    content_type = ContentType.objects.get_for_model(obj if obj is not None else log_entry)
    pk = obj.pk if obj is not None else None
    entry: LogEntry = log_entry.objects.create(
        content_type=content_type,
        object_pk="" if pk is None else str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=str(obj) if obj is not None else what,
        action=log_entry.Action.ACCESS,
        changes_text=f"{what}: {detail}" if detail else what,
        additional_data={"download": what, "detail": detail},
        actor=actor,
        actor_email=getattr(actor, "email", None) if actor is not None else None,
        remote_addr=address,
    )
    return entry


def record_bulk_change(*, request: HttpRequest, obj: Model, what: str, detail: str) -> "LogEntry":
    """One "changed" entry for a change made to many rows at once (``bulk_create`` and ``update()`` send no
    signal, so auditlog sees nothing of them): the request's user changed ``what`` of ``obj``, as
    ``detail`` says ("12 signed in, 1 taken off"). One INSERT."""
    log_entry = get_logentry_model()
    actor = _signed_in(request)
    entry: LogEntry = log_entry.objects.log_create(
        obj,
        force_log=True,
        action=log_entry.Action.UPDATE,
        changes={what: ["", detail]},
        actor=actor,
        actor_email=getattr(actor, "email", None) if actor is not None else None,
        remote_addr=AuditMiddleware._get_remote_addr(request),
    )
    return entry


def _succeeded(request: HttpRequest, response: HttpResponseBase) -> bool:
    # A HEAD hands out nothing; a redirect, a 404 or a refusal handed out nothing either.
    return request.method != "HEAD" and 200 <= response.status_code < 300


def _query_detail(request: HttpRequest) -> str:
    """The filters a download was narrowed by, as its link carried them."""
    return request.GET.urlencode()


def logs_download(
    what: str | Callable[..., str],
    *,
    obj: Callable[..., Model | None] | None = None,
    detail: Callable[..., str] = lambda request, **kwargs: _query_detail(request),
) -> Callable:
    """A function view's decorator: after a successful request (not a HEAD), ``record_download`` once.
    ``what`` is the name or a function of ``(request, **view_kwargs)``; so are ``obj`` (the object it is
    about, None by default) and ``detail`` (the query string by default). Put it below the permission
    decorator, so that only what was handed out is logged."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            if _succeeded(request, response):
                record_download(
                    request=request,
                    what=what(request, **kwargs) if callable(what) else what,
                    obj=obj(request, **kwargs) if obj is not None else None,
                    detail=detail(request, **kwargs),
                )
            return response

        return wrapped

    return decorator


class LogsDownload:
    """A class-based view's mixin (first among the bases): after a successful request (not a HEAD),
    ``record_download`` once, with ``get_audit_what()`` (``audit_what`` by default), ``get_audit_object()``
    (None) and ``get_audit_detail()`` (the query string)."""

    audit_what = ""
    request: HttpRequest

    def get_audit_what(self) -> str:
        return self.audit_what

    def get_audit_object(self) -> Model | None:
        return None

    def get_audit_detail(self) -> str:
        return _query_detail(self.request)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if _succeeded(request, response):
            record_download(
                request=request,
                what=self.get_audit_what(),
                obj=self.get_audit_object(),
                detail=self.get_audit_detail(),
            )
        return response


# --- Erasure --------------------------------------------------------------------------------------------


def _erase_value(value: Any) -> Any:
    """Every value in a change, whatever it was, becomes ERASED; the field names stay."""
    if isinstance(value, dict):
        if value.get("type") == "m2m":  # {"type": "m2m", "operation": "add", "objects": [...]}
            return {**value, "objects": [ERASED for _item in value.get("objects", [])]}
        return {key: _erase_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [None if item is None else ERASED for item in value]
    return None if value is None else ERASED


def _erase_entry(entry: "LogEntry") -> None:
    entry.object_repr = ERASED
    entry.changes = {field: _erase_value(values) for field, values in (entry.changes or {}).items()}
    entry.serialized_data = None
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    # A download's name ("list CSV") says nothing about the person; what it was narrowed by might.
    if "download" in data:
        entry.additional_data = {"download": data["download"], "detail": ""}
        entry.changes_text = str(data["download"])
    else:
        entry.additional_data = None
        entry.changes_text = ""


def _scrubbed(value: Any, patterns: list[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(ERASED, value)
        return value
    if isinstance(value, dict):
        return {key: _scrubbed(item, patterns) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item, patterns) for item in value]
    return value


SCRUBBED_FIELDS = ["object_repr", "changes_text", "changes", "serialized_data", "additional_data"]


def _scrub_entry(entry: "LogEntry", patterns: list[re.Pattern[str]]) -> bool:
    """Take the values out of any text of ``entry``; whether anything changed."""
    changed = False
    for name in SCRUBBED_FIELDS:
        before = getattr(entry, name)
        after = _scrubbed(before, patterns)
        if after != before:
            setattr(entry, name, after)
            changed = True
    return changed


def _mentioning(values: list[str]) -> Q:
    """Entries whose text may hold one of ``values``: a first sieve in the database, the same on SQLite
    and PostgreSQL (plain and JSON ``icontains``; SQLite keeps JSON with non-ASCII letters escaped, so the
    escaped spelling is looked for too). The exact test is ``_scrub_entry``'s, in Python."""
    import json

    query = Q()
    for value in values:
        spellings = {value, json.dumps(value)[1:-1]}
        for spelling in spellings:
            query |= (
                Q(object_repr__icontains=spelling)
                | Q(changes_text__icontains=spelling)
                | Q(changes__icontains=spelling)
                | Q(serialized_data__icontains=spelling)
                | Q(additional_data__icontains=spelling)
            )
    return query


def redact(*, instances: Iterable[Model], values: Iterable[str] = ()) -> int:
    """Erasure's part of the audit log: every entry about one of ``instances`` loses each personal value
    (what the object was called, every value before and after a change, what a download was narrowed by),
    and keeps its action, its user, its time and the names of the fields that changed. Then every other
    entry that mentions one of ``values`` (a person's name, email, phone: the strings erasure takes away)
    has it replaced by "[erased]" (an invitation named "Grace Obi → …", a download filtered by "Grace").

    ``values`` are matched anywhere, whatever their capitals: pass the person's own strings, not one they
    share (a group invited through its contact has the organisation's name). Values shorter than
    SHORTEST_VALUE are left out.

    Call it after erasing, in the same transaction: the entries that erasure's own saves and deletes made
    hold the old values too. The instances need their primary key: collect them before deleting (Django
    sets ``pk`` to None on the instance it deletes). Returns how many entries changed.
    """
    log_entry = get_logentry_model()
    by_type: dict[int, set[str]] = {}
    for instance in instances:
        if instance.pk is None:
            raise ValueError(f"{instance!r} has no primary key: collect the instances before deleting them.")
        content_type = ContentType.objects.get_for_model(instance)
        by_type.setdefault(content_type.pk, set()).add(str(instance.pk))

    changed: dict[int, LogEntry] = {}
    if by_type:
        own = Q()
        for content_type_id, pks in by_type.items():
            own |= Q(content_type_id=content_type_id, object_pk__in=sorted(pks))
        for entry in log_entry.objects.filter(own).iterator(chunk_size=500):
            _erase_entry(entry)
            changed[entry.pk] = entry

    wanted = sorted({value.strip() for value in values if len(value.strip()) >= SHORTEST_VALUE})
    if wanted:
        patterns = [re.compile(re.escape(value), re.IGNORECASE) for value in wanted]
        for entry in log_entry.objects.filter(_mentioning(wanted)).iterator(chunk_size=500):
            entry = changed.get(entry.pk, entry)
            if _scrub_entry(entry, patterns):
                changed[entry.pk] = entry

    log_entry.objects.bulk_update(list(changed.values()), SCRUBBED_FIELDS, batch_size=500)
    return len(changed)


# --- Retention ------------------------------------------------------------------------------------------


def keep_days() -> int:
    """AUDIT_KEEP_DAYS, checked: a value outside KEEP_DAYS_RANGE is refused rather than trimming the whole
    log (0) or keeping it for ever."""
    days = settings.AUDIT_KEEP_DAYS
    low, high = KEEP_DAYS_RANGE
    if not isinstance(days, int) or isinstance(days, bool) or not low <= days <= high:
        raise ImproperlyConfigured(f"AUDIT_KEEP_DAYS must be a whole number of days from {low} to {high}.")
    return days


def trim_log(*, now: datetime | None = None) -> int:
    """Delete the entries older than AUDIT_KEEP_DAYS (run daily by beat: core.trim_audit_log). Returns
    how many went. One DELETE; nothing else is touched."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    deleted, _per_model = get_logentry_model().objects.filter(timestamp__lt=cutoff).delete()
    return int(deleted)


@checks.register()
def check_keep_days(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        keep_days()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="core.E101")]
    return []


# --- Reading the log ------------------------------------------------------------------------------------


def entries() -> QuerySet["LogEntry"]:
    """Every entry, newest first, with what the log page shows of each in the same query."""
    found: QuerySet[LogEntry] = get_logentry_model().objects.select_related("actor", "content_type")
    return found.order_by("-timestamp", "-pk")


# --- What is kept of Django's own users ----------------------------------------------------------------


def register_users() -> None:
    """Staff roles in Django's own user model: who made someone staff, an administrator, or took it away,
    and who joined or left a group (the Artists group) or was given a permission (reading this log).
    Called by core's ready(); each app registers its own models in its ready()."""
    from auditlog.registry import auditlog
    from django.contrib.auth import get_user_model

    auditlog.register(
        get_user_model(),
        include_fields=["is_active", "is_staff", "is_superuser"],
        m2m_fields={"groups", "user_permissions"},
    )
