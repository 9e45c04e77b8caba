"""The state rules of one registration's provider sync: what to do next, and what a
failed call means for the row.

Pure rules, no provider calls and no locks: the single sync
(:mod:`.single`) and the batch backfill (:mod:`.backfill`) both decide with
these, so a row reads the same whichever path touched it last.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from wagtail_webinars.conf import get_setting
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import ProviderStatus, RegistrantRecord
from wagtail_webinars.providers.errors import ProviderAPIError, ProviderError

SyncStatus = Registration.SyncStatus

#: The one provider call a row needs next (see :func:`next_step`).
ADD = "add"
LOOKUP = "lookup"
APPROVE = "approve"
CANCEL = "cancel"
#: Read the registrant's status (and personal link) from the provider.
READ = "read"

#: The registrant as the provider knows them; cleared when it belongs to another meeting.
REGISTRANT_FIELDS = {
    "provider_registrant_id": "",
    "provider_join_url": "",
    "provider_status": "",
    "provider_meeting_id": "",
}
#: Everything a sync may write on a row (for ``bulk_update``).
STORED_FIELDS = [
    *REGISTRANT_FIELDS,
    "sync_add_uncertain",
    "sync_status",
    "synced_at",
    "sync_error",
    "sync_attempts",
    "sync_retry_at",
    "updated_at",
]

_random = random.SystemRandom()


def holds_registrant_for(registration: Registration, meeting_id: str) -> bool:
    """Whether the stored registrant belongs to meeting ``meeting_id``.

    A registrant stored without a meeting ID (before we recorded it) counts as the
    current meeting's; publishing a change of meeting records the old one first.
    """
    if not registration.provider_registrant_id:
        return False
    held_for = registration.provider_meeting_id
    return not (meeting_id and held_for and held_for != meeting_id)


def not_held_for(meeting_id: str) -> Q:
    """Rows with no registrant for meeting ``meeting_id`` (the SQL twin of the above)."""
    condition = Q(provider_registrant_id="")
    if meeting_id:
        condition |= ~Q(provider_meeting_id="") & ~Q(provider_meeting_id=meeting_id)
    return condition


def next_step(registration: Registration, meeting_id: str = "") -> str | None:
    """What the provider still has to hear about this registration, or ``None``.

    ``meeting_id`` is the meeting the event points at now; a registrant held for
    another meeting counts as none.
    """
    active = registration.status == Registration.Status.REGISTERED
    if not holds_registrant_for(registration, meeting_id):
        if registration.sync_add_uncertain:
            # An add may have reached the provider without our seeing the answer: look first.
            return LOOKUP
        return ADD if active else None
    status = registration.provider_status
    if status == ProviderStatus.UNKNOWN:
        # A status change (or an add answered without a status) may or may not have
        # landed: read what the provider has before deciding anything else.
        return READ
    if active:
        if status in (ProviderStatus.CANCELLED, ProviderStatus.PENDING):
            return APPROVE
        # Approved, but without the personal link the reminder must carry.
        return READ if not registration.provider_join_url else None
    return CANCEL if status != ProviderStatus.CANCELLED else None


def hold_registrant(row: Registration, record: RegistrantRecord, meeting_id: str) -> None:
    """Store the provider's registrant for meeting ``meeting_id`` on ``row`` (not saved)."""
    row.provider_registrant_id = record.registrant_id
    row.provider_join_url = record.join_url
    row.provider_status = record.status or ProviderStatus.UNKNOWN
    row.provider_meeting_id = meeting_id


def retry_delay(attempt: int, retry_after: float | None = None, rand=None) -> float:
    """Seconds before retry ``attempt`` (1-based): the provider's Retry-After when it gave
    one, else exponential backoff with jitter, capped by ``SYNC_BACKOFF_MAX_SECONDS``."""
    rand = rand or _random.random
    base = float(get_setting("SYNC_BACKOFF_SECONDS"))
    if retry_after is not None:
        # A little jitter, so rows held back by one 429 do not all return at once.
        return float(retry_after) + rand() * min(base, 30.0)
    cap = float(get_setting("SYNC_BACKOFF_MAX_SECONDS"))
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay * (0.5 + rand() / 2)


@dataclass(frozen=True)
class AfterFailure:
    """What a failed call leaves on the row."""

    sync_status: str
    sync_attempts: int
    sync_retry_at: datetime | None
    sync_error: str

    def apply(self, row: Registration) -> None:
        row.sync_status = self.sync_status
        row.sync_attempts = self.sync_attempts
        row.sync_retry_at = self.sync_retry_at
        row.sync_error = self.sync_error


def after_failure(attempts_before: int, err: ProviderError, reason: str, now) -> AfterFailure:
    """Retry later, or fail: the one place this is decided.

    Transient failures wait (the provider's Retry-After, else backoff) until
    ``SYNC_MAX_ATTEMPTS``; anything else fails at once with ``reason`` for staff.
    """
    attempts = attempts_before + 1
    transient = isinstance(err, ProviderAPIError) and err.transient
    if transient and attempts < int(get_setting("SYNC_MAX_ATTEMPTS")):
        delay = retry_delay(attempts, getattr(err, "retry_after", None))
        return AfterFailure(
            SyncStatus.PENDING,
            attempts,
            now + timedelta(seconds=delay),
            _("%(reason)s We will try again automatically.") % {"reason": reason},
        )
    if transient:
        reason = _("Gave up after %(count)d attempts. %(reason)s") % {
            "count": attempts,
            "reason": reason,
        }
    return AfterFailure(SyncStatus.FAILED, attempts, None, reason)
