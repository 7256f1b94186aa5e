from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("r/<str:token>/", views.reply, name="reply"),
    path("r/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
