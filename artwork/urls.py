from django.urls import path

from .views import gallery, upload

app_name = "artwork"

urlpatterns = [
    # Uploading on the day
    path("sessions/<int:pk>/pictures/add/", upload.upload, name="upload"),
    path("sessions/<int:pk>/pictures/add/one/", upload.upload_file, name="upload_file"),
    # The team's galleries, each picture, and arranging them
    path("sessions/<int:pk>/pictures/", gallery.SessionGalleryView.as_view(), name="session_gallery"),
    path("programmes/<int:pk>/pictures/", gallery.ProgrammeGalleryView.as_view(), name="programme_gallery"),
    path("pictures/<int:pk>/", gallery.ArtworkDetailView.as_view(), name="detail"),
    path("pictures/<int:pk>/edit/", gallery.ArtworkEditView.as_view(), name="edit"),
    path("pictures/<int:pk>/delete/", gallery.ArtworkDeleteView.as_view(), name="delete"),
    path("pictures/<int:pk>/move/", gallery.move, name="move"),
    path("pictures/<int:pk>/pin/", gallery.pin, name="pin"),
    path("pictures/<int:pk>/<str:size>/", gallery.image, name="image"),
    # Beyond the team: everyone, and people taking part (from their reply link)
    path("programmes/<int:pk>/shared-pictures/", gallery.public_gallery, name="public_gallery"),
    path("shared-pictures/<int:pk>/<str:size>/", gallery.public_image, name="public_image"),
    path("r/<str:token>/pictures/", gallery.participant_gallery, name="participant_gallery"),
    path("r/<str:token>/pictures/<int:pk>/<str:size>/", gallery.participant_image, name="participant_image"),
]
