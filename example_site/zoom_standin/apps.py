from django.apps import AppConfig


class ZoomStandinConfig(AppConfig):
    name = "example_site.zoom_standin"
    label = "zoom_standin"
    verbose_name = "Zoom stand-in"
    default_auto_field = "django.db.models.BigAutoField"
