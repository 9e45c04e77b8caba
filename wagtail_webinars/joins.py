"""Tracked join links: what opening and clicking the reminder's join link records.

The link in the reminder points at our own URL with a signed token. Corporate
mail scanners fetch every link in a message within seconds of delivery, so a
GET is recorded as "opened" and nothing more. The page a GET returns forwards
a person to the meeting with a POST (a button, submitted automatically by a
few lines of script), and only that POST is a click.

What a click means depends on when it happens (the attendance window, from
``ATTENDANCE_OPENS_MINUTES_BEFORE`` before the start to
``ATTENDANCE_CLOSES_MINUTES_AFTER`` after the end):

* before the window: counted in ``join_click_count`` and the first such click's
  time kept in ``join_early_clicked_at``; the visitor goes to the meeting, but it
  is not attendance;
* inside the window: also likely participation, ``join_clicked_at`` records the
  first such click; for unmanaged providers (no participant report) it checks
  the registrant in, source "email click", unless they are already checked in;
* after the window: the event is over; nothing is recorded, nobody is sent on.

The views in :mod:`wagtail_webinars.views` only call :func:`join_state`,
:func:`record_open` and :func:`record_click`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import checkin
from .conf import get_setting
from .models import EventPage, Registration
from .providers.base import CHECKIN_EMAIL_CLICK

logger = logging.getLogger(__name__)

#: Where ``now`` falls relative to the attendance window.
EARLY = "early"
OPEN = "open"
OVER = "over"


def attendance_window(event: EventPage) -> tuple[datetime, datetime]:
    """``(opens, closes)``: a click in ``opens <= t < closes`` counts as attendance."""
    opens = event.start - timedelta(minutes=get_setting("ATTENDANCE_OPENS_MINUTES_BEFORE"))
    closes = event.end + timedelta(minutes=get_setting("ATTENDANCE_CLOSES_MINUTES_AFTER"))
    return opens, closes


def window_state(event: EventPage, now: datetime | None = None) -> str:
    """:data:`EARLY`, :data:`OPEN` or :data:`OVER`."""
    now = now or timezone.now()
    opens, closes = attendance_window(event)
    if now < opens:
        return EARLY
    if now < closes:
        return OPEN
    return OVER


@dataclass(frozen=True)
class JoinState:
    """Everything the join page shows for one registration at one moment."""

    registration: Registration
    event: EventPage
    #: :data:`EARLY`, :data:`OPEN` or :data:`OVER`.
    window: str
    #: Where the meeting is (the personal Zoom link for managed Zoom), or "".
    join_url: str
    password: str

    @property
    def cancelled(self) -> bool:
        return not self.registration.is_active

    @property
    def can_join(self) -> bool:
        return not self.cancelled and self.window != OVER and bool(self.join_url)


def join_state(registration: Registration, now: datetime | None = None) -> JoinState:
    event = registration.page.specific
    provider = event.provider
    info = provider.join_info(registration) if provider is not None else None
    return JoinState(
        registration=registration,
        event=event,
        window=window_state(event, now),
        join_url=info.url if info else "",
        password=info.password if info else "",
    )


def record_open(registration: Registration, now: datetime | None = None) -> bool:
    """Note that the link was opened (the first time only). Returns whether it was new.

    An open proves nothing about a person: scanners open links too.
    """
    now = now or timezone.now()
    updated = Registration.objects.filter(
        pk=registration.pk,
        status=Registration.Status.REGISTERED,
        join_opened_at__isnull=True,
    ).update(join_opened_at=now)
    if updated:
        registration.join_opened_at = now
    return bool(updated)


@dataclass(frozen=True)
class ClickResult:
    #: The click was recorded (the registration is active and the event not over).
    counted: bool
    #: The click fell inside the attendance window.
    attendance: bool
    #: This click checked the registrant in (unmanaged providers only).
    checked_in: bool
    #: Where to send the visitor; "" means nowhere (cancelled, over, no link).
    join_url: str


NOT_COUNTED = ClickResult(counted=False, attendance=False, checked_in=False, join_url="")


def record_click(registration: Registration, now: datetime | None = None) -> ClickResult:
    """Record a click (a POST from the join page) and say where to send the visitor.

    One conditional UPDATE, so a click racing a cancellation or another click
    never double-counts or checks in a cancelled registration.
    """
    now = now or timezone.now()
    state = join_state(registration, now)
    if not state.can_join:
        return NOT_COUNTED

    changes: dict = {"join_click_count": F("join_click_count") + 1}
    attendance = state.window == OPEN
    # A click is the check-in only where the provider says so (link-only providers);
    # the others check people in from what the provider reports.
    provider = state.event.provider
    check_in = (
        attendance and provider is not None and provider.checkin_method == CHECKIN_EMAIL_CLICK
    )
    if attendance:
        changes["join_clicked_at"] = Coalesce(F("join_clicked_at"), Value(now))
    elif state.window == EARLY:
        changes["join_early_clicked_at"] = Coalesce(F("join_early_clicked_at"), Value(now))
    if check_in:
        # checkin.py decides what a click may change (never staff's check-in or undo).
        changes.update(checkin.click_check_in_changes(now))

    rows = Registration.objects.filter(pk=registration.pk, status=Registration.Status.REGISTERED)
    if not rows.update(**changes):
        return NOT_COUNTED
    # From the row as the caller read it; only for the caller's message and the log.
    checked_in_now = (
        check_in and registration.checked_in_at is None and not registration.checkin_by_staff
    )
    logger.info(
        "join click on registration %s (attendance=%s, checked_in=%s)",
        registration.pk,
        attendance,
        checked_in_now,
    )
    return ClickResult(
        counted=True, attendance=attendance, checked_in=checked_in_now, join_url=state.join_url
    )
