"""Run one reminder sweep by hand (the django-q2 schedule runs it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wagtail_webinars import reminders


class Command(BaseCommand):
    help = (
        "Send every reminder that is due now and not sent yet (exactly once: "
        "safe to run alongside the scheduled sweep)."
    )

    def handle(self, *args, **options) -> None:
        report = reminders.send_due_reminders()
        self.stdout.write(
            _(
                "Reminders sent: %(sent)d, failed: %(failed)d "
                "(events with reminders due: %(events)d)."
            )
            % {"sent": report.sent, "failed": report.failed, "events": len(report.events)}
        )
        if report.failed:
            self.stderr.write(
                _(
                    "Failed reminders keep their error on the registration and are "
                    "retried by the next sweep."
                )
            )
