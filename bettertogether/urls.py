from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.callbacks import notify_callback
from core.views import healthz
from core.webhooks import mailgun_tracking

admin.site.site_header = "Better Together administration"
admin.site.site_title = "Better Together"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("hooks/email/mailgun/tracking/", mailgun_tracking, name="email_tracking"),
    path("hooks/notify/", notify_callback, name="notify_callback"),
    path("", include("invitations.urls")),
    path("", include("artwork.urls")),
    path("", include("evaluations.urls")),
    path("", include("actions.urls")),
    path("", include("records.urls")),
    path("", include("events.urls")),
]
