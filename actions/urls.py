from django.urls import path

from .views import lead, planning

app_name = "actions"

urlpatterns = [
    path("sessions/<int:pk>/actions/", planning.SessionActionsView.as_view(), name="session_actions"),
    path("sessions/<int:pk>/actions/add/", planning.ActionCreateView.as_view(), name="create"),
    path("actions/<int:pk>/", planning.ActionDetailView.as_view(), name="detail"),
    path("actions/<int:pk>/edit/", planning.ActionEditView.as_view(), name="edit"),
    path("actions/<int:pk>/update/", planning.add_update, name="update"),
    path("actions/<int:pk>/send-link/", planning.send_link, name="send_link"),
    path("actions/<int:pk>/printed-link/", planning.printed_link, name="printed_link"),
    path("programmes/<int:pk>/actions/", planning.ProgrammeActionsView.as_view(), name="programme_actions"),
    path("programmes/<int:pk>/actions.csv", planning.actions_csv, name="actions_csv"),
    path("a/<str:token>/", lead.lead_update, name="lead_update"),
    path("a/<str:token>/thanks/", lead.lead_thanks, name="lead_thanks"),
]
