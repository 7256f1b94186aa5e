"""Staff accounts: inviting a colleague and the link they open, taking access away, signing in (with the
shared-computer box), a forgotten or changed password.

The invitation link's page is a token page (core.tokenpages): rate-limited, never cached or indexed, the
token never sent to another site; an unknown or replaced token is a plain 404. So is the password reset
link's, whose token stays in the address rather than in the session (the session is in the database).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import FormView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from core.models import Message
from core.permissions import object_permission_required
from core.ratelimit import rate_limit
from core.tokenpages import guard_token_page, link_page
from core.users import User
from events.mixins import get_programme
from events.models import Organisation, Programme, Session
from events.templatetags.friendly import person

from .enums import LinkState, StaffRole
from .forms import ChoosePasswordForm, InviteColleagueForm, OutboxPasswordResetForm, SignInForm
from .models import StaffInvitation
from .services import invitations as staff_invitations

# --- Signing in ---------------------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's sign-in page; on a shared computer the session ends when the browser closes."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.cleaned_data.get("shared_computer"):
            self.request.session.set_expiry(0)
        return response


# --- A forgotten password ---------------------------------------------------------------------------------

# Asking for a reset is limited per address like the token pages: nobody can send form after form.
password_reset = rate_limit("password-reset")(
    auth_views.PasswordResetView.as_view(
        form_class=OutboxPasswordResetForm,
        template_name="registration/password_reset_form.html",
        success_url=reverse_lazy("password_reset_done"),
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page for choosing a new password from the emailed link, except that the token stays in
    the address instead of going into the session for a redirect: sessions are kept in the database, and
    a copy of it must hold no working link. The referrer policy of token pages (same-origin) already keeps
    the address from other sites, which is what Django's redirect is for."""

    template_name = "registration/password_reset_confirm.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = False

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        self.validlink = False
        self.user = self.get_user(kwargs["uidb64"])
        if self.user is not None and self.token_generator.check_token(self.user, kwargs["token"]):
            self.validlink = True
            # FormView's dispatch: the form, for this account.
            return super(auth_views.PasswordResetConfirmView, self).dispatch(request, *args, **kwargs)
        return self.render_to_response(self.get_context_data())

    def form_valid(self, form):
        # The new password changes the account's session hash: every other session of theirs ends.
        form.save()
        return HttpResponseRedirect(self.get_success_url())


password_reset_confirm = guard_token_page(ResetConfirmView.as_view(), scope="password-reset-links")


# --- Changing one's password ------------------------------------------------------------------------------

# Django's view keeps this session (update_session_auth_hash); every other one of the account ends.
password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change_form.html", success_url=reverse_lazy("password_change_done")
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)


# --- Colleagues: the list, inviting, resending, withdrawing, removing access -----------------------------


def _artists_by_programme(programmes) -> list[dict]:
    """Each programme with the artists of its sessions, each artist with the sessions they draw at."""
    rows = []
    for programme in programmes:
        artists: dict[int, dict] = {}
        for session in programme.sessions.all():
            for artist in session.artists.all():
                artists.setdefault(artist.pk, {"user": artist, "sessions": []})["sessions"].append(session)
        rows.append(
            {"programme": programme, "artists": sorted(artists.values(), key=lambda a: person(a["user"]))}
        )
    return rows


class InvitationsView(PermissionRequiredMixin, TemplateView):
    """Who has not accepted yet (with resend and withdraw), and who has access now (with remove): the
    coordinators of the user's neighbourhoods' schools and the artists of their programmes' sessions."""

    permission_required = "accounts.invite_colleague"
    template_name = "accounts/invitations.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        waiting = list(
            StaffInvitation.objects.managed_by(user)
            .pending()
            .select_related("school", "invited_by")
            .prefetch_related(
                Prefetch("sessions", queryset=Session.objects.select_related("programme")),
                Prefetch("messages", queryset=Message.objects.order_by("-version"), to_attr="emails"),
            )
        )
        pending = [
            {
                "invitation": invitation,
                "state": invitation.state(now),
                "email": invitation.emails[0] if invitation.emails else None,
            }
            for invitation in waiting
        ]
        schools = staff_invitations.schools_for(user).prefetch_related(
            Prefetch("coordinators", queryset=User.objects.order_by("first_name", "last_name", "username"))
        )
        programmes = (
            staff_invitations.programmes_run_by(user)
            .select_related("neighbourhood")
            .prefetch_related(
                Prefetch("sessions", queryset=Session.objects.order_by("order", "date")),
                Prefetch("sessions__artists", queryset=User.objects.order_by("first_name", "username")),
            )
            .order_by("title", "pk")
        )
        return super().get_context_data(
            pending=pending,
            schools=list(schools),
            programmes=_artists_by_programme(programmes),
            states=LinkState,
            **kwargs,
        )


class InviteView(PermissionRequiredMixin, FormView):
    permission_required = "accounts.invite_colleague"
    form_class = InviteColleagueForm
    template_name = "accounts/invite.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(days=settings.STAFF_INVITE_DAYS, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            invitation = staff_invitations.invite_colleague(
                by=self.request.user,
                name=data["name"],
                email=data["email"],
                role=data["role"],
                school=data.get("school"),
                sessions=data.get("sessions") or [],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("We are emailing %(name)s an invitation. The link in it works for %(days)s days.")
            % {"name": invitation.name, "days": settings.STAFF_INVITE_DAYS},
        )
        return redirect("accounts:invitations")


def get_invitation(request: HttpRequest, pk: int, **kwargs) -> StaffInvitation:
    return get_object_or_404(StaffInvitation, pk=pk)


@require_POST
@object_permission_required("accounts.manage_invitation", get_invitation)
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_invitation(request, pk)
    try:
        staff_invitations.resend_invitation(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("We are emailing %(name)s a new link. The one in the earlier email no longer works.")
            % {"name": invitation.name},
        )
    return redirect("accounts:invitations")


@require_POST
@object_permission_required("accounts.manage_invitation", get_invitation)
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_invitation(request, pk)
    try:
        staff_invitations.withdraw_invitation(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(name)s is withdrawn: its link no longer works.")
            % {"name": invitation.name},
        )
    return redirect("accounts:invitations")


def get_organisation(request: HttpRequest, pk: int, **kwargs) -> Organisation:
    return get_object_or_404(Organisation, pk=pk)


@require_POST
@object_permission_required("accounts.remove_coordinator", get_organisation)
def remove_coordinator(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    school = get_organisation(request, pk)
    colleague = get_object_or_404(User, pk=user_pk)
    if staff_invitations.remove_coordinator(school=school, user=colleague):
        messages.success(
            request,
            _("%(name)s is no longer a coordinator for %(school)s.")
            % {"name": person(colleague), "school": school},
        )
    else:
        messages.info(
            request,
            _("%(name)s was not a coordinator for %(school)s.")
            % {"name": person(colleague), "school": school},
        )
    return redirect("accounts:invitations")


@require_POST
@object_permission_required("accounts.remove_artist", get_programme)
def remove_artist(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    programme: Programme = get_programme(request, pk)
    colleague = get_object_or_404(User, pk=user_pk)
    if staff_invitations.remove_artist(programme=programme, user=colleague):
        messages.success(
            request,
            _("%(name)s is no longer an artist for %(programme)s.")
            % {"name": person(colleague), "programme": programme.title},
        )
    else:
        messages.info(
            request,
            _("%(name)s was not an artist for %(programme)s.")
            % {"name": person(colleague), "programme": programme.title},
        )
    return redirect("accounts:invitations")


# --- The invitation's link --------------------------------------------------------------------------------

accept_page = link_page(lambda token: staff_invitations.find_invitation(token=token), scope="staff-invites")


def _role_words(invitation: StaffInvitation) -> dict:
    return {
        "invitation": invitation,
        "inviter": invitation.invited_by,
        "sessions": list(invitation.sessions.all()),
        "is_coordinator": invitation.role == StaffRole.COORDINATOR,
    }


def _closed(request: HttpRequest, invitation: StaffInvitation, state: str) -> HttpResponse:
    """The link has been used, has expired or was withdrawn (or replaced by a newer one)."""
    return render(
        request,
        "accounts/invite_closed.html",
        {**_role_words(invitation), "state": state, "states": LinkState, "days": settings.STAFF_INVITE_DAYS},
        status=410,
    )


@accept_page
@require_http_methods(["GET", "HEAD", "POST"])
def accept(request: HttpRequest, invitation: StaffInvitation, token: str) -> HttpResponse:
    """Someone new chooses a password and is signed in; someone with an account already (that email) takes
    the role on it and signs in as usual, as does someone whose account was made while this page was
    open (accept_invitation says the account is not new: only an account it made is signed in here).
    Opened while signed in as anyone else: refused, sign out first."""
    state = invitation.state()
    if state != LinkState.OPEN:
        return _closed(request, invitation, state)
    context = _role_words(invitation)
    try:
        account = staff_invitations.existing_account(invitation=invitation)
    except staff_invitations.AccountUnclear:
        return render(request, "accounts/invite_unclear.html", context, status=409)
    if request.user.is_authenticated and request.user != account:
        return render(
            request, "accounts/invite_signed_in.html", {**context, "path": request.path}, status=403
        )
    if account is None:
        candidate = staff_invitations.new_account(invitation=invitation)
        form = ChoosePasswordForm(candidate, data=request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                accepted = staff_invitations.accept_invitation(
                    invitation=invitation, token=token, password=form.cleaned_data["new_password1"]
                )
            except staff_invitations.InvitationClosed as closed:
                return _closed(request, invitation, closed.state)
            except staff_invitations.AccountUnclear:
                return render(request, "accounts/invite_unclear.html", context, status=409)
            messages.success(request, _welcome(invitation, accepted.user))
            if accepted.created:
                login(request, accepted.user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(settings.LOGIN_REDIRECT_URL)
            # An account with this email was made after this page looked: the role is on it, but the
            # password typed here is not, so signing in is for whoever holds that account.
            return _sign_in_as_usual(request, accepted.user)
        return render(
            request, "accounts/accept.html", {**context, "form": form, "username": candidate.username}
        )
    if request.method == "POST":
        try:
            accepted = staff_invitations.accept_invitation(invitation=invitation, token=token)
        except staff_invitations.InvitationClosed as closed:
            return _closed(request, invitation, closed.state)
        except staff_invitations.AccountUnclear:
            return render(request, "accounts/invite_unclear.html", context, status=409)
        messages.success(request, _welcome(invitation, accepted.user))
        if request.user.is_authenticated and request.user == accepted.user:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return _sign_in_as_usual(request, accepted.user)
    return render(request, "accounts/accept_existing.html", {**context, "account": account})


def _sign_in_as_usual(request: HttpRequest, account: User) -> HttpResponse:
    messages.info(
        request, _("Sign in as usual, with your user name %(username)s.") % {"username": account.username}
    )
    return redirect(reverse("login"))


def _welcome(invitation: StaffInvitation, user: User) -> str:
    if invitation.role == StaffRole.COORDINATOR:
        return _("Welcome, %(name)s. You are now a school coordinator for %(school)s.") % {
            "name": user.first_name or user.username,
            "school": invitation.school,
        }
    return _("Welcome, %(name)s. You are now an artist for the sessions you were invited to.") % {
        "name": user.first_name or user.username
    }
