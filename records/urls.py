from django.urls import path

from . import views

app_name = "records"

urlpatterns: list = [
    path("sessions/<int:pk>/record/", views.session_record, name="session_record"),
    path("sessions/<int:pk>/record/pdf/", views.request_session_record, name="request_session_record"),
    path("programmes/<int:pk>/record/", views.programme_record, name="programme_record"),
    path("programmes/<int:pk>/record/pdf/", views.request_programme_record, name="request_programme_record"),
    path("records/<int:pk>/", views.record_status, name="record_status"),
    path("records/<int:pk>/download/", views.record_download, name="record_download"),
]
