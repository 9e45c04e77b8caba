"""Live check-in: the provider says, as it happens, that someone joined the meeting
(Zoom's ``participant_joined`` webhook, see :mod:`wagtail_webinars.webhooks`).

Matched as the participant report is, minus the name guess: the provider's
registrant id, then the email (only for a registration holding no other
registrant). The check-in keeps the time they joined and says how it was known;
the minutes come with the report pull later. Staff's check-in or undo stands, an
earlier check-in keeps its time: a repeated or late delivery changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from ..models import Registration
from .attendance import normalise_email
from .matching import WRITTEN_FIELDS

logger = logging.getLogger(__name__)

S = Registration.CheckinSource
M = Registration.CheckinMatch


@dataclass(frozen=True)
class LiveCheckIn:
    #: The registration the participant is (``None``: nobody; the pull lists them).
    registration_id: int | None
    #: Whether this checked them in (false: already checked in, or staff decided).
    checked_in: bool = False


def find_registration(event, *, registrant_id: str, email: str, active_only: bool = True):
    """The event's registration a provider's person is: by registrant id, else by
    email when the registration holds no other registrant. One query."""
    wanted = normalise_email(email)
    keys = Q()
    if registrant_id:
        keys |= Q(provider_registrant_id=registrant_id)
    if wanted:
        keys |= Q(email__iexact=wanted)
    if not keys:
        return None
    rows = Registration.objects.filter(keys, page_id=event.pk)
    if active_only:
        rows = rows.filter(status=Registration.Status.REGISTERED)
    candidates = list(rows[:20])
    for row in candidates:
        if registrant_id and row.provider_registrant_id == registrant_id:
            return row
    for row in candidates:
        held_for_another = (
            registrant_id
            and row.provider_registrant_id
            and row.provider_registrant_id != registrant_id
        )
        if normalise_email(row.email) == wanted and not held_for_another:
            return row
    return None


def check_in_live(event, *, registrant_id: str, email: str, joined_at: datetime) -> LiveCheckIn:
    """Check in the registration of ``event`` the participant is, as of ``joined_at``."""
    found = find_registration(event, registrant_id=registrant_id, email=email)
    if found is None:
        return LiveCheckIn(None)
    matched_by = (
        M.REGISTRANT_ID
        if registrant_id and found.provider_registrant_id == registrant_id
        else M.EMAIL
    )
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=found.pk)
        if not locked.is_active or locked.checkin_by_staff or locked.checked_in_at is not None:
            return LiveCheckIn(locked.pk)
        locked.checked_in_at = joined_at
        locked.checkin_source = S.PROVIDER_LIVE
        locked.checkin_matched_by = matched_by
        locked.checkin_needs_review = False
        locked.attendance_mode = Registration.Attendance.ONLINE
        locked.joined_briefly = False
        locked.attended_first_join = locked.attended_first_join or joined_at
        locked.save(update_fields=WRITTEN_FIELDS)
    logger.info("registration %s checked in live (%s)", locked.pk, matched_by)
    return LiveCheckIn(locked.pk, checked_in=True)
