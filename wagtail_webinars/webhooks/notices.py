"""Warnings staff see about what the provider said (the event's admin pages, the
headcount report, the dashboard panel), in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from ..models import MeetingNotice
from ..templatetags.webinars import campus_datetime


def deleted_warnings(events: Iterable) -> dict[int, str]:
    """``{event pk: warning}`` for events whose meeting the provider deleted (one query)."""
    events = {event.pk: event for event in events}
    if not events:
        return {}
    notices = MeetingNotice.objects.filter(page_id__in=events, deleted_at__isnull=False)
    warnings = {}
    for notice in notices:
        event = events[notice.page_id]
        provider = getattr(event, "provider", None)
        if provider is None or provider.external_id != notice.meeting_id:
            # The event points at another meeting since.
            continue
        warnings[notice.page_id] = _(
            "The meeting was deleted in %(provider)s on %(when)s. Registrants cannot join "
            "it: set the event up with another meeting, or cancel the event."
        ) % {
            "provider": provider.public_label or provider.label,
            "when": campus_datetime(notice.deleted_at),
        }
    return warnings


def deleted_warning(event) -> str:
    return deleted_warnings([event]).get(event.pk, "")
