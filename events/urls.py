from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("neighbourhoods/<int:pk>/", views.NeighbourhoodDetailView.as_view(), name="neighbourhood_detail"),
    path(
        "neighbourhoods/<int:pk>/organisations/add/",
        views.OrganisationCreateView.as_view(),
        name="organisation_create",
    ),
    path("organisations/<int:pk>/edit/", views.OrganisationUpdateView.as_view(), name="organisation_update"),
    path("organisations/<int:pk>/logo/", views.organisation_logo, name="organisation_logo"),
    path("neighbourhoods/<int:pk>/venues/add/", views.VenueCreateView.as_view(), name="venue_create"),
    path("venues/<int:pk>/edit/", views.VenueUpdateView.as_view(), name="venue_update"),
    path("programmes/add/", views.ProgrammeCreateView.as_view(), name="programme_create"),
    path("programmes/<int:pk>/", views.ProgrammeDetailView.as_view(), name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.ProgrammeUpdateView.as_view(), name="programme_update"),
    path("programmes/<int:pk>/checklist/", views.ChecklistView.as_view(), name="programme_checklist"),
    path("programmes/<int:pk>/sessions/add/", views.SessionCreateView.as_view(), name="session_create"),
    path("sessions/<int:pk>/", views.SessionDetailView.as_view(), name="session_detail"),
    path("sessions/<int:pk>/edit/", views.SessionUpdateView.as_view(), name="session_update"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/reinstate/", views.session_reinstate, name="session_reinstate"),
]
