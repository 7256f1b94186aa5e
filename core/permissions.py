"""Permission checks for function views, matching the class-based PermissionRequiredMixin:
someone not signed in is sent to sign in; someone signed in without the permission gets a 403."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest


def object_permission_required(perm: str, get_object: Callable[..., Model]) -> Callable:
    """Check ``perm`` against the object that ``get_object(request, **kwargs)`` returns."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm, get_object(request, *args, **kwargs)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
