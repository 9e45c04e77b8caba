from django.apps import AppConfig


class SwappedSiteConfig(AppConfig):
    name = "tests.swapped_site"
    label = "swapped_site"
    default_auto_field = "django.db.models.BigAutoField"
