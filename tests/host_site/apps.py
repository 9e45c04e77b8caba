from django.apps import AppConfig


class HostSiteConfig(AppConfig):
    name = "tests.host_site"
    label = "host_site"
    default_auto_field = "django.db.models.BigAutoField"
