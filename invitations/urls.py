from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("r/<str:token>/", views.reply, name="reply"),
    path("r/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("programmes/<int:pk>/invitations/", views.InvitationListView.as_view(), name="list"),
    path("programmes/<int:pk>/invitations/list.csv", views.invitation_list_csv, name="list_csv"),
    path("programmes/<int:pk>/invitations/add/", views.InvitationCreateView.as_view(), name="add"),
    path("programmes/<int:pk>/invitations/import/", views.ImportView.as_view(), name="import"),
    path("programmes/<int:pk>/invitations/import/example.csv", views.import_example, name="import_example"),
    path("programmes/<int:pk>/invitations/invite-groups/", views.invite_groups, name="invite_groups"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<str:name>/", views.mailbox_message, name="mailbox_message"),
]
