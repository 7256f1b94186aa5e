"""The programme or session a page's URL names (its ``pk``), for every app's views: loaded once, with
what their pages show about it, and checked against the view's permission (the rules in each app's
rules.py take the programme, or for a few the session).

Class-based views mix in ProgrammeMixin or SessionMixin; function views pass get_programme, get_session
or get_session_programme to core.permissions.object_permission_required and call them again for the
object itself.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from rules.contrib.views import PermissionRequiredMixin

from .models import Programme, Session


def get_programme(request: HttpRequest, pk: int, **kwargs: Any) -> Programme:
    """The programme named by the URL, or 404."""
    return get_object_or_404(Programme.objects.select_related("neighbourhood"), pk=pk)


def get_session(request: HttpRequest, pk: int, **kwargs: Any) -> Session:
    """The session named by the URL, with its programme and venue, or 404."""
    return get_object_or_404(Session.objects.select_related("programme__neighbourhood", "venue"), pk=pk)


def get_session_programme(request: HttpRequest, pk: int, **kwargs: Any) -> Programme:
    """The programme of the session named by the URL: what most permissions about a session check."""
    return get_session(request, pk).programme


class ProgrammeMixin(PermissionRequiredMixin):
    """The programme named by the URL's pk, loaded once; the view's permission is checked against it. It
    is the view's object (for DetailView and UpdateView) and is in the template's context."""

    @cached_property
    def programme(self) -> Programme:
        return get_programme(self.request, self.kwargs["pk"])

    def get_permission_object(self) -> Any:
        return self.programme

    def get_object(self, queryset: Any = None) -> Any:
        return self.programme

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("programme", self.programme)
        return super().get_context_data(**kwargs)


class SessionMixin(PermissionRequiredMixin):
    """The session named by the URL's pk, loaded once; the view's permission is checked against its
    programme. The session is the view's object; it and its programme are in the template's context."""

    @cached_property
    def session(self) -> Session:
        return get_session(self.request, self.kwargs["pk"])

    @property
    def programme(self) -> Programme:
        return self.session.programme

    def get_permission_object(self) -> Any:
        return self.programme

    def get_object(self, queryset: Any = None) -> Any:
        return self.session

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("session", self.session)
        kwargs.setdefault("programme", self.programme)
        return super().get_context_data(**kwargs)
