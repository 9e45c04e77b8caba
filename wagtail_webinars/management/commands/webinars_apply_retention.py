"""Anonymise or delete the registrations of past events (data retention)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_webinars import retention


class Command(BaseCommand):
    help = (
        "Anonymise (or delete) the registrations of events that ended more than "
        "RETENTION_DAYS days ago, and this app's stored task results older than that. "
        "Use --dry-run to see the counts first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help=_("Age in days after an event's end (default: the RETENTION_DAYS setting)."),
        )
        parser.add_argument(
            "--mode",
            choices=retention.MODES,
            help=_("anonymise or delete (default: the RETENTION_MODE setting)."),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Only count; change nothing."))

    def handle(self, *args, older_than=None, mode=None, dry_run=False, **options) -> None:
        try:
            report = retention.apply_retention(
                older_than_days=older_than, mode=mode, dry_run=dry_run
            )
        except (ImproperlyConfigured, ValueError) as err:
            raise CommandError(str(err)) from err
        values = {
            "events": report.events,
            "registrations": report.registrations,
            "results": report.task_results,
            "cutoff": report.cutoff.date().isoformat(),
        }
        if report.dry_run:
            line = (
                _(
                    "Dry run: would anonymise %(registrations)d registrations of %(events)d "
                    "events that ended before %(cutoff)s, and delete %(results)d task results."
                )
                if report.mode == retention.ANONYMISE
                else _(
                    "Dry run: would delete %(registrations)d registrations of %(events)d "
                    "events that ended before %(cutoff)s, and %(results)d task results."
                )
            )
        elif report.mode == retention.ANONYMISE:
            line = _(
                "Anonymised %(registrations)d registrations of %(events)d events that ended "
                "before %(cutoff)s; deleted %(results)d task results."
            )
        else:
            line = _(
                "Deleted %(registrations)d registrations of %(events)d events that ended "
                "before %(cutoff)s, and %(results)d task results."
            )
        self.stdout.write(line % values)
