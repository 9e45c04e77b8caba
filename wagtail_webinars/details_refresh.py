"""Keeping managed events' provider details current, so nobody re-saves an event
when the meeting changes at the provider.

The join link, passcode, time and registration settings are read again:

* on publish (:mod:`wagtail_webinars.event_details`, as before);
* when the provider says the meeting changed (a webhook,
  :mod:`wagtail_webinars.webhooks.handlers`), through :func:`refresh_event_details`;
* by :func:`refresh_upcoming_details`, a django-q2 schedule every few minutes:
  each live managed event starting within ``DETAILS_REFRESH_HOURS_AHEAD`` hours
  about hourly, and those whose reminder goes out within the next minutes just
  before it, so the reminder carries the current link and passcode.

Events whose details did not change get only their "last read" time, in one
update per event page model; only changed ones are written with their revisions.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from . import event_details
from .conf import get_setting
from .models import event_page_models, is_managed_event
from .reminders import due_at_expression

logger = logging.getLogger(__name__)

#: Events refresh about this often while they are coming up.
EVERY = timedelta(hours=1)
#: Reminders going out this soon get their event refreshed first ...
REMINDER_AHEAD = timedelta(minutes=10)
#: ... unless it was read this recently.
REMINDER_FRESH = timedelta(minutes=15)
#: At most this many events are read per run (the rest come with the next run).
LIMIT = 100


def _snapshot(event) -> tuple:
    block = event.location_block.value if event.location_block else {}
    return (block.get("join_url") or "", block.get("password") or "", event.provider_config)


def refresh_event_details(event) -> event_details.RefreshResult:
    """Read one live managed event's details from its provider and store what changed."""
    result = event_details.refresh_event(event)
    event_details.save_refreshed(event, result)
    return result


def due_for_refresh(now: datetime) -> list:
    """Live managed events whose details are due to be read again, soonest first."""
    soon = now + timedelta(hours=get_setting("DETAILS_REFRESH_HOURS_AHEAD"))
    stale = Q(provider_checked_at__isnull=True) | Q(provider_checked_at__lt=now - EVERY)
    before_reminder = Q(
        due_at__lte=now + REMINDER_AHEAD, provider_checked_at__lt=now - REMINDER_FRESH
    )
    events = []
    for model in event_page_models():
        events += (
            model.objects.live()
            .filter(end__gt=now, start__lte=soon)
            .alias(due_at=due_at_expression())
            .filter(stale | before_reminder)
            .order_by("start", "pk")[:LIMIT]
        )
    events = [e for e in events if is_managed_event(e)]
    events.sort(key=lambda e: (e.start, e.pk))
    return events[:LIMIT]


def refresh_upcoming_details(now: datetime | None = None) -> dict:
    """The schedule's task: refresh what is due; returns counts."""
    now = now or timezone.now()
    unchanged: dict[type, list[int]] = {}
    changed = failed = 0
    for event in due_for_refresh(now):
        before = _snapshot(event)
        result = event_details.refresh_event(event)
        if not result.refreshed:
            failed += 1
            continue
        if _snapshot(event) == before and not result.meeting_changed:
            unchanged.setdefault(type(event), []).append(event.pk)
            continue
        event_details.save_refreshed(event, result)
        changed += 1
    checked = timezone.now()
    for model, ids in unchanged.items():
        model.objects.filter(pk__in=ids).update(provider_checked_at=checked)
    count = sum(len(ids) for ids in unchanged.values())
    if changed or failed:
        logger.info(
            "details refresh: %s changed, %s unchanged, %s not read", changed, count, failed
        )
    return {"changed": changed, "unchanged": count, "failed": failed}
