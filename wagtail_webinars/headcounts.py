"""The figures of an event: who registered, was reminded, clicked, and came.

One definition, read by the admin's Event headcount report, the dashboard panel
and GraphQL, so they never disagree.

* :func:`headcount_for_event` (one event) and :func:`headcounts_for_events`
  (``{event_id: Headcount}``) cost **three queries whatever the number of events
  or registrations**: one aggregate over registrations grouped by event, one
  over unmatched participants, one for each event's latest participant pull.
* Counts are of people (registrations), not of clicks, except ``clicks``.
* "Checked in" counts active registrations with a check-in; a cancelled
  registration is never matched by a pull (see :mod:`wagtail_webinars.checkin`).

No names or emails here: a headcount is safe to show to anyone who may see the
event; the lists of people go through the registration permission policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, IntegerField, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ParticipantPull, Registration, UnmatchedParticipant

_ACTIVE = Q(status=Registration.Status.REGISTERED)
_CHECKED_IN = _ACTIVE & Q(checked_in_at__isnull=False)
_S = Registration.CheckinSource
_M = Registration.CheckinMatch
_A = Registration.Attendance


@dataclass
class Headcount:
    """The figures of one event (all zero for an event nobody registered for)."""

    event_id: int
    #: Every registration row, active or cancelled.
    registered: int = 0
    active: int = 0
    cancelled: int = 0
    #: Active registrations whose reminder went out.
    reminders_sent: int = 0
    #: Active registrations whose join link was opened (a GET: scanners too).
    links_opened: int = 0
    #: Active registrations with a click inside the attendance window.
    clicked: int = 0
    #: Every counted click (before and inside the window), summed.
    clicks: int = 0
    checked_in: int = 0
    #: ``{source: count}`` for :class:`Registration.CheckinSource` values.
    checked_in_by_source: dict[str, int] = field(default_factory=dict)
    #: Provider-report check-ins by how they were matched (``Registration.CheckinMatch``).
    checked_in_by_match: dict[str, int] = field(default_factory=dict)
    #: Checked in and matched by name only: staff should review them.
    needs_review: int = 0
    in_person: int = 0
    online: int = 0
    #: In the report for fewer minutes than the minimum: not checked in.
    joined_briefly: int = 0
    #: Participants matching no registration, still to review (open).
    unmatched: int = 0
    #: The latest participant pull (``None``: never pulled).
    last_pull: ParticipantPull | None = None
    #: Whether the event has ended (no-shows only mean something then).
    ended: bool = False

    @property
    def not_checked_in(self) -> int:
        return max(self.active - self.checked_in, 0)

    @property
    def no_shows(self) -> int:
        """Active registrations without a check-in, once the event has ended (else 0)."""
        return self.not_checked_in if self.ended else 0

    @property
    def attendance_rate(self) -> float | None:
        """Checked in / active, between 0 and 1; ``None`` with nobody registered."""
        if not self.active:
            return None
        return self.checked_in / self.active

    @property
    def last_pull_state(self) -> str:
        """The latest pull's state (``ParticipantPull.State``) or ``""``."""
        return self.last_pull.state if self.last_pull else ""

    @property
    def last_pull_at(self) -> datetime | None:
        if self.last_pull is None:
            return None
        return self.last_pull.finished_at or self.last_pull.requested_at


def _registration_aggregates() -> dict:
    aggregates = {
        "registered": Count("pk"),
        "active": Count("pk", filter=_ACTIVE),
        "cancelled": Count("pk", filter=Q(status=Registration.Status.CANCELLED)),
        "reminders_sent": Count("pk", filter=_ACTIVE & Q(reminder_sent_at__isnull=False)),
        "links_opened": Count("pk", filter=_ACTIVE & Q(join_opened_at__isnull=False)),
        "clicked": Count("pk", filter=_ACTIVE & Q(join_clicked_at__isnull=False)),
        "clicks": Coalesce(Sum("join_click_count", filter=_ACTIVE), 0, output_field=IntegerField()),
        "checked_in": Count("pk", filter=_CHECKED_IN),
        "needs_review": Count("pk", filter=_CHECKED_IN & Q(checkin_needs_review=True)),
        # Online unless staff said in person: a click or a report row is online.
        "in_person": Count("pk", filter=_CHECKED_IN & Q(attendance_mode=_A.IN_PERSON)),
        "joined_briefly": Count(
            "pk", filter=_ACTIVE & Q(checked_in_at__isnull=True, joined_briefly=True)
        ),
    }
    for source in _S.values:
        aggregates[f"source_{source}"] = Count("pk", filter=_CHECKED_IN & Q(checkin_source=source))
    for match in _M.values:
        aggregates[f"match_{match}"] = Count("pk", filter=_CHECKED_IN & Q(checkin_matched_by=match))
    return aggregates


def headcounts_for_events(events: Iterable) -> dict[int, Headcount]:
    """``{event_id: Headcount}`` for these events (pages or primary keys), in 3 queries."""
    events = list(events)
    ids = [getattr(event, "pk", event) for event in events]
    now = timezone.now()
    ends = {event.pk: getattr(event, "end", None) for event in events if hasattr(event, "pk")}
    result = {
        pk: Headcount(event_id=pk, ended=bool(ends.get(pk) and ends[pk] <= now)) for pk in ids
    }
    if not ids:
        return result

    rows = (
        Registration.objects.filter(page_id__in=ids)
        .values("page_id")
        .annotate(**_registration_aggregates())
    )
    for row in rows:
        headcount = result[row["page_id"]]
        for name in (
            "registered",
            "active",
            "cancelled",
            "reminders_sent",
            "links_opened",
            "clicked",
            "clicks",
            "checked_in",
            "needs_review",
            "in_person",
            "joined_briefly",
        ):
            setattr(headcount, name, row[name] or 0)
        headcount.online = headcount.checked_in - headcount.in_person
        headcount.checked_in_by_source = {s: row[f"source_{s}"] for s in _S.values}
        headcount.checked_in_by_match = {m: row[f"match_{m}"] for m in _M.values}

    unmatched = (
        UnmatchedParticipant.objects.filter(page_id__in=ids, state=UnmatchedParticipant.State.OPEN)
        .values("page_id")
        .annotate(n=Count("pk"))
    )
    for row in unmatched:
        result[row["page_id"]].unmatched = row["n"]

    latest = (
        ParticipantPull.objects.filter(page_id__in=ids)
        .values("page_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    for pull in ParticipantPull.objects.filter(pk__in=latest):
        result[pull.page_id].last_pull = pull
    return result


def headcount_for_event(event) -> Headcount:
    """The :class:`Headcount` of one event (a page or its primary key), in 3 queries."""
    pk = getattr(event, "pk", event)
    return headcounts_for_events([event])[pk]
