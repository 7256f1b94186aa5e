"""For the facilitator: who is coming from each group, and the sheets for the day, on screen, on paper and
as CSV. Parents' needs are personal, so only the people who run the programme see these pages."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core import audit
from core.downloads import csv_response
from events.mixins import ProgrammeMixin
from events.models import Session

from ..services import sheets


class SheetsView(ProgrammeMixin, TemplateView):
    """The numbers by group for every session, against the even split, with links to each sheet."""

    permission_required = "invitations.view_sheets"
    template_name = "invitations/sheets.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            programme=self.programme,
            attendance=sheets.attendance(programme=self.programme),
            kinds=[(kind, title) for kind, (_function, title) in sheets.SHEETS.items()],
            **kwargs,
        )


class SheetView(audit.LogsDownload, ProgrammeMixin, TemplateView):
    """One sheet for one session, ready to print. Each one shown is in the audit log (core.audit)."""

    permission_required = "invitations.view_sheets"

    def get_audit_what(self) -> str:
        return audit.sheet_download(self.kind)

    def get_audit_object(self) -> Session:
        return self.session

    @cached_property
    def kind(self) -> str:
        if self.kwargs["kind"] not in sheets.SHEETS:
            raise Http404
        return self.kwargs["kind"]

    @cached_property
    def session(self) -> Session:
        # Only an active session of this programme: any other number is "not found".
        return get_object_or_404(
            self.programme.sessions.active().select_related("venue"), pk=self.kwargs["session_pk"]
        )

    @cached_property
    def sheet(self):
        function, _title = sheets.SHEETS[self.kind]
        return function(session=self.session)

    def get_template_names(self) -> list[str]:
        return [f"invitations/sheets_{self.kind}.html"]

    def get_context_data(self, **kwargs):
        args = [self.programme.pk, self.session.pk]
        # The URL's own kwargs (pk, session_pk, kind) arrive here too; these replace them.
        kwargs.update(
            programme=self.programme,
            session=self.session,
            sheet=self.sheet,
            kind=self.kind,
            title=sheets.SHEETS[self.kind][1],
            csv_url=reverse("invitations:sheet_csv", args=[*args, self.kind]),
            other_sheets=[
                (title, reverse("invitations:sheet", args=[*args, kind]))
                for kind, (_function, title) in sheets.SHEETS.items()
                if kind != self.kind
            ],
        )
        return super().get_context_data(**kwargs)


def _answer(person: sheets.Person) -> str:
    return person.answer_label


def _catering_table(sheet: sheets.CateringSheet) -> tuple[list[str], list[list[object]]]:
    # Everyone coming or not sure, so the places add up to the number to cater for.
    header = [_("name"), _("group"), _("organisation"), _("answer"), _("places"), _("food needs")]
    rows = [
        [
            person.name,
            person.group,
            person.organisation,
            _answer(person),
            person.places,
            person.reply.food_needs,
        ]
        for person in sheet.people
    ]
    return header, rows


def _creche_table(sheet: sheets.CrecheSheet) -> tuple[list[str], list[list[object]]]:
    header = [_("parent or carer"), _("answer"), _("children"), _("ages")]
    rows = [
        [
            request.person.name,
            _answer(request.person),
            request.children,
            ", ".join(str(age) for age in request.ages) or request.ages_text,
        ]
        for request in sheet.requests
    ]
    return header, rows


def _access_table(sheet: sheets.AccessSheet) -> tuple[list[str], list[list[object]]]:
    header = [_("name"), _("answer"), _("access needs")]
    return header, [[person.name, _answer(person), person.reply.access_needs] for person in sheet.people]


def _interpreters_table(sheet: sheets.InterpretersSheet) -> tuple[list[str], list[list[object]]]:
    header = [_("language"), _("name"), _("answer")]
    return header, [[language.name, person.name, _answer(person)] for language, person in sheet.people]


def _transport_table(sheet: sheets.TransportSheet) -> tuple[list[str], list[list[object]]]:
    header = [_("name"), _("answer"), _("places"), _("phone"), _("email")]
    rows = [
        [person.name, _answer(person), person.places, person.invitee.phone, person.invitee.email]
        for person in sheet.people
    ]
    return header, rows


CSV_TABLES: dict[str, Callable] = {
    "catering": _catering_table,
    "creche": _creche_table,
    "access": _access_table,
    "interpreters": _interpreters_table,
    "transport": _transport_table,
}


class SheetCsvView(SheetView):
    """The same sheet as a spreadsheet. No cell is ever a formula, whatever people typed."""

    def get_audit_what(self) -> str:
        return audit.sheet_download(self.kind, csv=True)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        header, rows = CSV_TABLES[self.kind](self.sheet)
        title = slugify(self.programme.title) or str(self.programme.pk)
        filename = f"{self.kind}-{title}-session-{self.session.order}-{self.session.date:%Y-%m-%d}.csv"
        return csv_response(filename, header, rows)
