"""The two-factor pages (accounts/twofactor.py): the page in someone's account that says where they stand,
setting up an authenticator app (a QR code and the typed key, confirmed with a code), the recovery codes
shown once, the code asked for after the password, new recovery codes, and turning it off for someone who
need not use it. Everyone signed in manages their own (accounts.use_two_factor, rules.py)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from core.permissions import object_permission_required

from . import twofactor

# The recovery codes just made, kept in the session only until the page that shows them has been opened.
CODES_KEY = "_two_factor_codes"
NEXT_KEY = "_two_factor_next"


def _own_account(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
    return request.user


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go once signed in: ``candidate`` if it is a page of this site, else the dashboard."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class AppCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        help_text=gettext_lazy("The 6 digits your app shows now for Better Together."),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TwoFactorView(PermissionRequiredMixin, TemplateView):
    """Where someone stands: two-factor on or off, required or not, recovery codes left."""

    permission_required = "accounts.use_two_factor"
    template_name = "accounts/twofactor/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        set_up = twofactor.is_set_up(user)
        return super().get_context_data(
            set_up=set_up,
            required=twofactor.is_required(user),
            codes_left=twofactor.recovery_codes_left(user) if set_up else 0,
            **kwargs,
        )


class SetupView(PermissionRequiredMixin, FormView):
    """The QR code and the typed key of a new app device, and a code from the app to confirm it. For
    someone who has two-factor already, this sets up a new phone (their session has been verified: the
    middleware sends them to the code page otherwise)."""

    permission_required = "accounts.use_two_factor"
    template_name = "accounts/twofactor/setup.html"
    form_class = AppCodeForm

    @cached_property
    def device(self) -> Any:
        return twofactor.start_setup(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return super().get_context_data(
            qr_code=twofactor.qr_code_svg(
                self.device, title=_("QR code to scan with your authenticator app")
            ),
            typed_key=twofactor.typed_key(self.device),
            account_name=user.get_username(),
            replacing=twofactor.is_set_up(user),
            required=twofactor.is_required(user),
            next=self.request.GET.get("next", ""),
            **kwargs,
        )

    def form_valid(self, form: AppCodeForm) -> HttpResponse:
        allowed, why = self.device.verify_is_allowed()
        if not allowed:
            seconds = twofactor.recovery_time_left((why or {}).get("locked_until"))
            form.add_error("code", _wait_message(seconds))
            return self.form_invalid(form)
        codes = twofactor.confirm_setup(
            user=self.request.user, device=self.device, code=form.cleaned_data["code"]
        )
        if codes is None:
            form.add_error(
                "code",
                _(
                    "That code did not work. Type the 6 digits the app shows now (they change every 30 "
                    "seconds), and check that the time on your phone is set automatically."
                ),
            )
            return self.form_invalid(form)
        twofactor.sign_in_with(self.request, self.device)
        self.request.session[CODES_KEY] = codes
        self.request.session[NEXT_KEY] = safe_next(self.request, self.request.GET.get("next"))
        messages.success(self.request, _("Two-factor sign-in is on."))
        return redirect("accounts:two_factor_codes")


class RecoveryCodesView(PermissionRequiredMixin, TemplateView):
    """The recovery codes just made, shown this once (they are not kept where the page could show them
    again)."""

    permission_required = "accounts.use_two_factor"
    template_name = "accounts/twofactor/codes.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        codes = request.session.pop(CODES_KEY, None)
        if not codes:
            messages.info(
                request, _("Recovery codes are shown only once. You can make new ones here if you need them.")
            )
            return redirect("accounts:two_factor")
        next_url = request.session.pop(NEXT_KEY, None) or reverse("accounts:two_factor")
        shown = [f"{code[:4]}-{code[4:]}" for code in codes]
        return self.render_to_response(self.get_context_data(codes=shown, next_url=next_url))


class VerifyView(PermissionRequiredMixin, FormView):
    """After the password: a code from the app, or a recovery code. Until it is given, the session can
    open no other page (twofactor.TwoFactorMiddleware)."""

    permission_required = "accounts.use_two_factor"
    template_name = "accounts/twofactor/verify.html"
    form_class = CodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and (twofactor.is_verified(request) or not twofactor.is_set_up(user)):
            if not twofactor.is_verified(request) and twofactor.is_required(user):
                return redirect("accounts:two_factor_setup")
            return redirect(safe_next(request, request.GET.get("next")))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: CodeForm) -> HttpResponse:
        user = self.request.user
        check = twofactor.check_code(user=user, code=form.cleaned_data["code"])
        if check.device is None:
            if check.wait_until is not None:
                form.add_error("code", _wait_message(twofactor.recovery_time_left(check.wait_until)))
            else:
                form.add_error(
                    "code",
                    _(
                        "That code did not work. Type the 6 digits your app shows now, or one of your "
                        "recovery codes (each works once)."
                    ),
                )
            return self.form_invalid(form)
        twofactor.sign_in_with(self.request, check.device)
        if check.recovery:
            left = twofactor.recovery_codes_left(user)
            messages.warning(
                self.request,
                ngettext(
                    "You used a recovery code: %(left)d is left. If you have lost your phone, set up the "
                    "app on your new one now from your two-factor page.",
                    "You used a recovery code: %(left)d are left. If you have lost your phone, set up the "
                    "app on your new one now from your two-factor page.",
                    left,
                )
                % {"left": left},
            )
        return redirect(safe_next(self.request, self.request.GET.get("next")))


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many codes that did not work. Please wait %(seconds)d second and try again.",
        "Too many codes that did not work. Please wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


@require_POST
@object_permission_required("accounts.use_two_factor", _own_account)
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes, shown once; the old ones stop working."""
    if not twofactor.is_set_up(request.user):
        messages.error(request, _("Set up two-factor sign-in first."))
        return redirect("accounts:two_factor")
    request.session[CODES_KEY] = twofactor.make_new_recovery_codes(user=request.user)
    request.session[NEXT_KEY] = reverse("accounts:two_factor")
    messages.success(request, _("New recovery codes made: the old ones no longer work."))
    return redirect("accounts:two_factor_codes")


@require_POST
@object_permission_required("accounts.turn_off_two_factor", _own_account)
def turn_off(request: HttpRequest) -> HttpResponse:
    """Two-factor off, for someone who need not use it (an administrator or facilitator: 403)."""
    twofactor.turn_off(user=request.user)
    messages.success(request, _("Two-factor sign-in is off: signing in needs only your password now."))
    return redirect("accounts:two_factor")
