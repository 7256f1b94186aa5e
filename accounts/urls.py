"""Under /accounts/. Django's password pages keep their own names (no namespace: Django's views and
templates reverse them so); the colleagues' pages are in the "accounts" namespace."""

from django.urls import include, path

from . import views, views_twofactor

colleagues = (
    [
        path("colleagues/", views.InvitationsView.as_view(), name="invitations"),
        path("colleagues/invite/", views.InviteView.as_view(), name="invite"),
        path("colleagues/invitations/<int:pk>/resend/", views.resend, name="resend"),
        path("colleagues/invitations/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
        path(
            "colleagues/schools/<int:pk>/coordinators/<int:user_pk>/remove/",
            views.remove_coordinator,
            name="remove_coordinator",
        ),
        path(
            "colleagues/programmes/<int:pk>/artists/<int:user_pk>/remove/",
            views.remove_artist,
            name="remove_artist",
        ),
        path("welcome/<str:token>/", views.accept, name="accept"),
        # Two-factor sign-in (issue 19, part 4): accounts/views_twofactor.py.
        path("two-factor/", views_twofactor.TwoFactorView.as_view(), name="two_factor"),
        path("two-factor/set-up/", views_twofactor.SetupView.as_view(), name="two_factor_setup"),
        path(
            "two-factor/recovery-codes/", views_twofactor.RecoveryCodesView.as_view(), name="two_factor_codes"
        ),
        path(
            "two-factor/recovery-codes/new/", views_twofactor.new_recovery_codes, name="two_factor_new_codes"
        ),
        path("two-factor/turn-off/", views_twofactor.turn_off, name="two_factor_disable"),
        path("two-factor/code/", views_twofactor.VerifyView.as_view(), name="two_factor_verify"),
    ],
    "accounts",
)

urlpatterns = [
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("password/", views.password_change, name="password_change"),
    path("password/changed/", views.password_change_done, name="password_change_done"),
    path("", include(colleagues)),
]
