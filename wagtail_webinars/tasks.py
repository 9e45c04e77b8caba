"""Thin django-q2 entry points. Each takes primary keys and is safe to run twice.

Enqueue with :func:`enqueue` (or :func:`enqueue_sync`) from inside a
``transaction.on_commit`` callback, never before the data is committed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django_q.tasks import async_task

logger = logging.getLogger(__name__)

TASK_GROUP = "wagtail_webinars"


def enqueue(func: str, *args, **kwargs):
    """Queue ``func`` (a dotted path) on django-q2."""
    return async_task(func, *args, group=TASK_GROUP, **kwargs)


def enqueue_sync(registration_id: int):
    return enqueue("wagtail_webinars.tasks.sync_registration", registration_id)


def send_confirmation(registration_id: int, resend: bool = False) -> None:
    from . import emails
    from .models import Registration

    registration = Registration.objects.select_related("page").filter(pk=registration_id).first()
    if registration is None:
        return
    emails.send_confirmation(registration, resend=resend)


def sync_registration(registration_id: int) -> None:
    """Bring the provider's view of one registration in line with ours."""
    from . import sync

    sync.sync_registration(registration_id)


def sync_sweep() -> dict:
    """The every-minute sync sweep (see ``schedules.SCHEDULES``)."""
    from . import sync

    return sync.sync_sweep()


def backfill_event(event_id: int) -> int:
    """Push an event's never-pushed registrations to Zoom in batches."""
    from . import sync

    return sync.backfill_event(event_id)


def refresh_from_zoom(event_id: int) -> bool:
    """Fill a live managed event's join link and Zoom details after it went live
    without the editor's refresh (workflow approval, scheduled go-live, code)."""
    from . import metadata

    result = metadata.refresh_live_event(event_id)
    return bool(result and result.refreshed)


def send_due_reminders() -> dict:
    """The every-minute reminder sweep (see ``schedules.SCHEDULES``)."""
    from . import reminders

    return reminders.send_due_reminders().as_dict()


def resend_reminder(registration_id: int, requested_at: datetime) -> dict:
    """Staff asked to resend one registration's reminder at ``requested_at``."""
    from . import reminders

    return reminders.resend_reminder(registration_id, requested_at).as_dict()


def resend_event_reminders(event_id: int, requested_at: datetime) -> dict:
    """Staff asked to resend the reminder to everyone registered for one event."""
    from . import reminders

    return reminders.resend_event_reminders(event_id, requested_at).as_dict()


def cancel_removed_registrant(
    event_id: int, registrant_id: str, email: str, meeting_id: str = ""
) -> bool:
    """Cancel, at the provider, the registrant of a registration that was deleted.

    Takes the registrant's id and email rather than a key: the row is gone. When the
    event itself was deleted there is nothing left to tell us which meeting it was.
    """
    from wagtail.models import Page

    from .models import EventPageMixin, Registration
    from .providers.errors import ProviderError

    page = Page.objects.filter(pk=event_id).first()
    event = page.specific if page is not None else None
    if not isinstance(event, EventPageMixin) or not event.is_managed:
        return False
    if meeting_id and meeting_id != event.provider.external_id:
        # The event moved to another meeting; this registrant belongs to the old one.
        return False
    # An unsaved stand-in: the provider only needs the registrant's id and email.
    gone = Registration(page=event, email=email, provider_registrant_id=registrant_id)
    try:
        event.provider.cancel_registrant(gone)
    except ProviderError as err:
        logger.warning(
            "could not cancel deleted registrant %s of event %s at the provider: %s",
            registrant_id,
            event_id,
            err,
        )
        return False
    return True
