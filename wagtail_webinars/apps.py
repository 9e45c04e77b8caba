from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailWebinarsConfig(AppConfig):
    name = "wagtail_webinars"
    label = "wagtail_webinars"
    verbose_name = _("Webinars")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self)
