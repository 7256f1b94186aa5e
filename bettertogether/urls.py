from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.twofactor import TwoFactorAdminSite, add_reset_action
from accounts.views import SignInView
from core.callbacks import notify_callback
from core.public import accessibility, privacy
from core.views import healthz
from core.webhooks import mailgun_tracking

# The admin opens only to a session that has fully signed in, two-factor included (accounts.twofactor).
admin.site.__class__ = TwoFactorAdminSite
add_reset_action(admin.site)  # "Reset two-factor sign-in" on the users' list, for a lost phone
admin.site.site_header = "Better Together administration"
admin.site.site_title = "Better Together"

urlpatterns = [
    # The sign-in page with its shared-computer box (accounts.views.SignInView).
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Colleagues' invitations and their links, a forgotten or changed password (accounts.urls).
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("hooks/email/mailgun/tracking/", mailgun_tracking, name="email_tracking"),
    path("hooks/notify/", notify_callback, name="notify_callback"),
    # Open to anyone, linked from every page's footer and from every email, letter and text (core.public).
    path("privacy/", privacy, name="privacy"),
    path("accessibility/", accessibility, name="accessibility"),
    # The audit log, for administrators and a data protection officer (core.audit_views).
    path("", include("core.audit_urls")),
    path("", include("invitations.urls")),
    path("", include("artwork.urls")),
    path("", include("evaluations.urls")),
    path("", include("actions.urls")),
    path("", include("records.urls")),
    path("", include("events.urls")),
]
