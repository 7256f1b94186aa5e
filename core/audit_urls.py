"""The audit log's page (core.audit_views), for administrators: ``audit:log``."""

from django.urls import path

from .audit_views import AuditLogView

app_name = "audit"

urlpatterns = [path("audit/", AuditLogView.as_view(), name="log")]
