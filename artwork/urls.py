from django.urls import path  # noqa: F401

app_name = "artwork"

urlpatterns: list = []
