from django.urls import path

from . import views, views_people, views_retention

app_name = "records"

urlpatterns: list = [
    path("sessions/<int:pk>/record/", views.session_record, name="session_record"),
    path("sessions/<int:pk>/record/pdf/", views.request_session_record, name="request_session_record"),
    path("programmes/<int:pk>/record/", views.programme_record, name="programme_record"),
    path("programmes/<int:pk>/record/pdf/", views.request_programme_record, name="request_programme_record"),
    path("records/<int:pk>/", views.record_status, name="record_status"),
    path("records/<int:pk>/download/", views.record_download, name="record_download"),
    # One person's data across every programme (issue 18): find, see and download, erase.
    path("people/", views_people.find_people, name="find_people"),
    path("people/<int:pk>/", views_people.person, name="person"),
    path("people/<int:pk>/export.pdf", views_people.person_pdf, name="person_pdf"),
    path("people/<int:pk>/export.json", views_people.person_json, name="person_json"),
    path("people/<int:pk>/erase/", views_people.erase_person, name="erase_person"),
    # A finished programme's personal data deleted now (its retention, services/retention.py).
    path(
        "programmes/<int:pk>/personal-data/delete/",
        views_retention.delete_programme_data,
        name="delete_programme_data",
    ),
]
