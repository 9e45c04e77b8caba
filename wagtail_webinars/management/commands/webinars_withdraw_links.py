"""Withdraw every cancel and join link mailed so far for one event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_webinars import links
from wagtail_webinars.models import Registration


class Command(BaseCommand):
    help = (
        "Make every cancel and join link already mailed for an event stop working "
        "(for example after a reminder went to the wrong list). Emails sent from now "
        "on carry new links."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("event_id", type=int, help="the event page's id")

    def handle(self, *args, event_id: int, **options) -> None:
        # Registrations name their event page: no page, no registrations, nothing to do.
        if not Registration.objects.filter(page_id=event_id).exists():
            raise CommandError(_("No registrations for a page with id %(id)d.") % {"id": event_id})
        count = links.withdraw_event_links(Registration(page_id=event_id).page)
        self.stdout.write(
            _("Links withdrawn for %(count)d registrations of event %(id)d.")
            % {"count": count, "id": event_id}
        )
