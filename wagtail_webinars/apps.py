from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailWebinarsConfig(AppConfig):
    name = "wagtail_webinars"
    label = "wagtail_webinars"
    verbose_name = _("Webinars")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_delete

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            permissions,
            registration_effects,
        )
        from .schedules import ensure_schedules

        # Before any admin viewset would make Wagtail's fallback policy for it.
        permissions.register()
        post_migrate.connect(ensure_schedules, sender=self)
        pre_delete.connect(
            registration_effects.cancel_at_provider_before_delete,
            sender=self.get_model("Registration"),
            dispatch_uid="wagtail_webinars.cancel_at_provider_before_delete",
        )
        # However a page goes live (editor, workflow, scheduled go-live, code):
        # registrants follow a managed event to its meeting.
        from wagtail.signals import page_published

        from .event_details import on_page_published

        page_published.connect(on_page_published, dispatch_uid="wagtail_webinars.on_page_published")
