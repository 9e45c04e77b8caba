"""Check in an event's attendees from its provider's participant report, by hand.

The same service as the headcount report's "Check in webinar attendees" button
(:func:`wagtail_webinars.checkin.start_check_in`); it runs here and now unless
``--queue`` hands it to the django-q2 worker.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_webinars import checkin
from wagtail_webinars.models import ParticipantPull, get_event_page


class Command(BaseCommand):
    help = "Pull the participant report of one event (page id) and check its attendees in."

    def add_arguments(self, parser):
        parser.add_argument("event_id", type=int, help="The event page's id.")
        parser.add_argument(
            "--queue", action="store_true", help="Queue the pull for the worker instead."
        )

    def handle(self, *args, event_id: int, queue: bool, **options) -> None:
        event = get_event_page(event_id)
        if event is None:
            raise CommandError(_("No event page with id %(id)s.") % {"id": event_id})
        try:
            pull = checkin.start_check_in(
                event, trigger=ParticipantPull.Trigger.COMMAND, run_now=not queue
            )
        except checkin.CheckInRefused as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(
            _("Pull %(id)s: %(state)s. %(message)s")
            % {"id": pull.pk, "state": pull.get_state_display(), "message": pull.message}
        )
        if pull.state == ParticipantPull.State.FAILED:
            raise CommandError(pull.message)
