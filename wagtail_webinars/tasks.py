"""Thin django-q2 task bodies. Each takes primary keys and is safe to run twice.

Queue them by name through :mod:`wagtail_webinars.jobs`; nothing in the package
imports this module, so it may import the services it runs.
"""

from __future__ import annotations

from datetime import datetime

from . import (
    checkin,
    details_refresh,
    emails,
    event_details,
    registration_effects,
    reminders,
    retention,
    sync,
)
from .models import Registration
from .webhooks import handlers as webhook_handlers
from .webhooks import retention as webhook_retention


def registration_changed(
    registration_id: int, outcome: str, needs_sync: bool, attempt: int = 1
) -> None:
    """The side effects of one committed registration change, in one task
    (see :mod:`wagtail_webinars.registration_effects`); ``attempt`` > 1 is a
    confirmation tried again."""
    registration_effects.run_after_change(registration_id, outcome, needs_sync, attempt)


def send_confirmation(registration_id: int, resend: bool = False) -> None:
    # Kept for tasks queued before registration_changed replaced it.
    row = Registration.objects.select_related("page").filter(pk=registration_id).first()
    if row is not None:
        emails.send_confirmation(row, resend=resend)


def sync_registration(registration_id: int) -> None:
    """Bring the provider's view of one registration in line with ours."""
    sync.sync_registration(registration_id)


def sync_sweep() -> dict:
    """The every-minute sync sweep (see ``schedules.SCHEDULES``)."""
    return sync.sync_sweep()


def backfill_event(event_id: int) -> int:
    """Push an event's never-pushed registrations to Zoom in batches."""
    return sync.backfill_event(event_id)


def refresh_from_zoom(event_id: int) -> bool:
    """Fill a live managed event's join link and Zoom details after it went live
    without the editor's refresh (workflow approval, scheduled go-live, code)."""
    result = event_details.refresh_live_event(event_id)
    return bool(result and result.refreshed)


def send_due_reminders() -> dict:
    """The every-minute reminder sweep (see ``schedules.SCHEDULES``)."""
    return reminders.send_due_reminders().as_dict()


def send_event_reminders(event_id: int) -> dict:
    """A helper of the sweep: send one event's due reminders on another worker."""
    return reminders.send_event_reminders(event_id).as_dict()


def resend_reminder(registration_id: int, requested_at: datetime) -> dict:
    """Staff asked to resend one registration's reminder at ``requested_at``."""
    return reminders.resend_reminder(registration_id, requested_at).as_dict()


def resend_event_reminders(event_id: int, requested_at: datetime) -> dict:
    """Staff asked to resend the reminder to everyone registered for one event."""
    return reminders.resend_event_reminders(event_id, requested_at).as_dict()


def pull_participants(pull_id: int) -> str:
    """Run one participant pull ("Check in webinar attendees"; see checkin.py)."""
    return checkin.run_pull(pull_id)


def checkin_sweep() -> dict:
    """Automatic pulls after managed events end, and retries (``schedules.SCHEDULES``)."""
    return checkin.checkin_sweep()


def cancel_deleted_registrant(removed_id: int) -> str:
    """Cancel, at the provider, the registrant of a registration that was deleted
    (see :mod:`wagtail_webinars.sync.removed`)."""
    return sync.cancel_deleted_registrant(removed_id)


def cancel_removed_registrant(
    event_id: int, registrant_id: str, email: str, meeting_id: str = ""
) -> bool:
    """Tasks queued by earlier versions (see :mod:`wagtail_webinars.registration_effects`)."""
    return registration_effects.cancel_removed_registrant(
        event_id, registrant_id, email, meeting_id
    )


def apply_retention() -> dict:
    """The daily data-retention run (scheduled only when RETENTION_DAYS is set)."""
    report = retention.apply_retention()
    return {"registrations": report.registrations, "task_results": report.task_results}


def handle_webhook(delivery_id: int) -> str:
    """One verified webhook delivery (see :mod:`wagtail_webinars.webhooks`)."""
    return webhook_handlers.handle_delivery(delivery_id)


def purge_webhook_deliveries() -> int:
    """The daily clean-up of webhook delivery records (``WEBHOOK_DELIVERY_DAYS``)."""
    return webhook_retention.purge_deliveries()


def refresh_upcoming_details() -> dict:
    """Managed events' provider details, read again while they are coming up."""
    return details_refresh.refresh_upcoming_details()
