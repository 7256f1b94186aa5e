from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArtworkConfig(AppConfig):
    name = "artwork"
    verbose_name = _("Artwork")
