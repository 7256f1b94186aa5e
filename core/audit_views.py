"""The audit log's page for a data protection officer (``audit:log``): every entry, newest first, 50 a page,
searched by user, by what (a kind of download, or changes to one kind of record), by date and by the
words of what it was about. Administrators only (``core.view_audit_log`` in core/rules.py): the log
names every member of staff's actions, facilitators' own included, so it is not theirs to read; an
administrator may also give a DPO's account the single permission "auditlog | log entry | Can view log
entry" in the admin.

The admin's own page (Audit log › Log entries) stays, read-only, searchable and filterable by action and
kind of record; this one reads more plainly and filters downloads by what was handed out.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from auditlog.registry import auditlog
from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import audit

PAGE_SIZE = 50
# A changed value longer than this is cut on the page (the entry keeps it whole).
SHOWN_VALUE_LENGTH = 140
MODEL_PREFIX = "model:"
ALL_DOWNLOADS = "downloads"
ALL_CHANGES = "changes"


def _model_label(content_type: ContentType) -> str:
    model = content_type.model_class()
    return str(capfirst(model._meta.verbose_name)) if model is not None else content_type.model


def what_choices() -> list[tuple[Any, Any]]:
    """The "what" filter: every download the site names, then the changes to each kind of record the log
    keeps (the models registered with auditlog, whatever app they are in)."""
    models = sorted(auditlog.get_models(), key=lambda model: str(model._meta.verbose_name_plural))
    return [
        ("", _("Everything")),
        (ALL_DOWNLOADS, _("Every download or printout")),
        (_("Downloads and printouts"), [(what, capfirst(what)) for what in audit.KNOWN_DOWNLOADS]),
        (ALL_CHANGES, _("Every change")),
        (
            _("Changes to"),
            [
                (f"{MODEL_PREFIX}{model._meta.label_lower}", capfirst(model._meta.verbose_name_plural))
                for model in models
            ],
        ),
    ]


class AuditSearchForm(forms.Form):
    user = forms.CharField(
        label=_("By whom"),
        required=False,
        max_length=150,
        help_text=_("Part of a user name, name or email address."),
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "autocomplete": "off"}),
    )
    what = forms.ChoiceField(
        label=_("What"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    about = forms.CharField(
        label=_("About"),
        required=False,
        max_length=150,
        help_text=_("Words of what it was about: a programme, a session, a person's name."),
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "autocomplete": "off"}),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        what = self.fields["what"]
        assert isinstance(what, forms.ChoiceField)
        what.choices = what_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("Choose a day on or after the first day."))
        return cleaned


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search(entries: QuerySet, cleaned: dict[str, Any]) -> QuerySet:
    """``entries`` narrowed by the form's cleaned values. Plain lookups only (``icontains`` and a JSON
    key's exact value), the same on SQLite and PostgreSQL."""
    log_entry = entries.model
    if user := cleaned.get("user"):
        entries = entries.filter(
            Q(actor__username__icontains=user)
            | Q(actor__first_name__icontains=user)
            | Q(actor__last_name__icontains=user)
            | Q(actor_email__icontains=user)
        )
    what = cleaned.get("what") or ""
    if what == ALL_DOWNLOADS:
        entries = entries.filter(action=log_entry.Action.ACCESS)
    elif what == ALL_CHANGES:
        entries = entries.exclude(action=log_entry.Action.ACCESS)
    elif what.startswith(MODEL_PREFIX):
        app_label, _dot, model = what.removeprefix(MODEL_PREFIX).partition(".")
        entries = entries.filter(content_type__app_label=app_label, content_type__model=model).exclude(
            action=log_entry.Action.ACCESS
        )
    elif what:
        entries = entries.filter(action=log_entry.Action.ACCESS, additional_data__download=what)
    if about := cleaned.get("about"):
        entries = entries.filter(Q(object_repr__icontains=about) | Q(changes_text__icontains=about))
    if since := cleaned.get("since"):
        entries = entries.filter(timestamp__gte=_start_of(since))
    if until := cleaned.get("until"):
        entries = entries.filter(timestamp__lt=_start_of(until + timedelta(days=1)))
    return entries


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    entry: Any
    verb: str
    what: str
    changes: list[Change]
    detail: str

    @property
    def who(self) -> str:
        actor = self.entry.actor
        if actor is not None:
            name = actor.get_full_name() or actor.get_username()
            return f"{name} ({actor.email})" if actor.email else name
        if self.entry.actor_email:
            return str(_("%(email)s (account since deleted)") % {"email": self.entry.actor_email})
        return str(_("nobody signed in: a reply link, or the site's own tasks"))


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 1] + "…"


def _field_label(model: Any, name: str) -> str:
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name)) if model else name
    except FieldDoesNotExist:
        return name


def _changes(entry: Any) -> list[Change]:
    """The fields an entry changed, with their values as stored (a related row by its number): no lookup
    of related rows, so a page of 50 costs the same queries whatever the entries hold. A new row shows
    what it was made with, a deleted one what it had."""
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes or {}).items():
        label = _field_label(model, name)
        if isinstance(values, dict) and values.get("type") == "m2m":
            objects = ", ".join(str(item) for item in values.get("objects", []))
            if values.get("operation") == "add":
                changes.append(Change(label, "", str(_("added: %(objects)s") % {"objects": _short(objects)})))
            else:
                changes.append(
                    Change(label, "", str(_("removed: %(objects)s") % {"objects": _short(objects)}))
                )
        elif isinstance(values, list | tuple) and len(values) == 2:
            before, after = (_stored(value) for value in values)
            if before == after:
                continue  # auditlog's "None" against an empty value: nothing changed
            if entry.action == entry.Action.CREATE:
                before = ""  # what it was made with
            elif entry.action == entry.Action.DELETE:
                before, after = "", before  # what it had when it went
            if before or after:
                changes.append(Change(label, _short(before), _short(after)))
    return changes


def _stored(value: Any) -> str:
    """A value as auditlog stored it, with its spellings of "nothing" as nothing."""
    return "" if value is None or value == "None" else str(value)


VERBS = {0: _("Created"), 1: _("Changed"), 2: _("Deleted"), 3: _("Downloaded or printed")}


def line_of(entry: Any) -> Line:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    if entry.action == entry.Action.ACCESS:
        return Line(
            entry=entry,
            verb=str(VERBS[entry.action]),
            what=str(data.get("download") or entry.changes_text),
            changes=[],
            detail=str(data.get("detail") or ""),
        )
    return Line(
        entry=entry,
        verb=str(VERBS.get(entry.action, _("Logged"))),
        what=_model_label(entry.content_type).lower(),
        changes=_changes(entry),
        detail="",
    )


class AuditLogView(PermissionRequiredMixin, TemplateView):
    permission_required = "core.view_audit_log"
    template_name = "core/audit_log.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = AuditSearchForm(self.request.GET or None)
        entries = audit.entries()
        if form.is_bound and form.is_valid():
            entries = search(entries, form.cleaned_data)
        elif form.is_bound:
            entries = entries.none()
        page = Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = {key: str(value) for key, value in self.request.GET.items() if key != "page" and value}

        def page_url(number: int) -> str:
            return "?" + urlencode({**query, "page": str(number)})

        return super().get_context_data(
            form=form,
            page=page,
            lines=[line_of(entry) for entry in page.object_list],
            newer_url=page_url(page.previous_page_number()) if page.has_previous() else "",
            older_url=page_url(page.next_page_number()) if page.has_next() else "",
            keep_days=audit.keep_days(),
            searched=bool(query),
            **kwargs,
        )
