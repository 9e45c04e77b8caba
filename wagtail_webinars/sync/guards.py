"""What keeps a sync from writing a wrong answer: the per-registration lock (one run
per registration at a time), and the checks made under the row lock before an
answer is stored (is the event still on that meeting? does another registration
already hold that registrant?)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache

from wagtail_webinars.models import Registration

#: Without a django-q2 task timeout, one sync run holds the registration's lock at
#: most this long (a dead worker's lock expires; the sweeper then queues the row again).
LOCK_SECONDS = 300
#: Status changes (approve, cancel) we allow ourselves per registrant and UTC day:
#: Zoom allows 10, and a few are left for staff working in Zoom itself.
STATUS_CHANGES_PER_DAY = 8


def _lock_key(registration_id: int) -> str:
    return f"wagtail_webinars:sync:{registration_id}"


def lock_seconds() -> int:
    """How long one sync run holds its registration: twice django-q2's task timeout
    (``Q_CLUSTER["timeout"]``), since django-q2 ends a task at its timeout; so the rows
    of a worker killed outright are free again soon after. :data:`LOCK_SECONDS`
    without a timeout."""
    timeout = (getattr(settings, "Q_CLUSTER", None) or {}).get("timeout")
    return int(timeout) * 2 if timeout else LOCK_SECONDS


def lock(registration_id: int | str) -> str | None:
    """Take the registration's lock; the token to release it, or ``None`` if taken."""
    token = uuid.uuid4().hex
    return token if cache.add(_lock_key(registration_id), token, lock_seconds()) else None


def unlock(registration_id: int | str, token: str) -> None:
    key = _lock_key(registration_id)
    if cache.get(key) == token:
        cache.delete(key)


def lock_rows(
    rows: list[Registration], skipped: set[int]
) -> tuple[list[Registration], dict[int, str]]:
    """Take the per-registration lock of each row; rows someone else holds (a single
    sync at work) are left to them and noted in ``skipped``."""
    locked: list[Registration] = []
    tokens: dict[int, str] = {}
    for row in rows:
        token = lock(row.pk)
        if token is None:
            skipped.add(row.pk)
            continue
        tokens[row.pk] = token
        locked.append(row)
    return locked, tokens


def unlock_rows(tokens: dict[int, str]) -> None:
    for pk, token in tokens.items():
        unlock(pk, token)


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    """When providers reset their per-day counters (Zoom: midnight UTC)."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def spend_status_change(registration_id: int | str) -> bool:
    """Count one status change (approve, cancel) of this registration today; False when
    today's allowance (:data:`STATUS_CHANGES_PER_DAY`) is spent.

    Counted in the shared cache, so every worker sees the same count.
    """
    key = f"wagtail_webinars:sync:status:{registration_id}:{datetime.now(UTC).date()}"
    cache.add(key, 0, 60 * 60 * 25)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 60 * 60 * 25)
        count = 1
    return count <= STATUS_CHANGES_PER_DAY


def live_meeting_id(event) -> str:
    """The meeting ID the event's live page points at now (it may have been republished
    while we were talking to the provider)."""
    fresh = type(event).objects.filter(pk=event.pk).first()
    provider = getattr(fresh, "provider", None)
    return provider.external_id if provider is not None else ""


def taken_elsewhere(registrant_ids: Iterable[str], ids: list[int]) -> set[str]:
    """Of ``registrant_ids``, those a registration other than ``ids`` already holds.

    The provider answers an add for an address it already has with that registrant. If
    another of our registrations (another event on the same meeting) holds it, sharing
    it would let one cancel the other.
    """
    return set(
        Registration.objects.filter(provider_registrant_id__in=list(registrant_ids))
        .exclude(pk__in=ids)
        .values_list("provider_registrant_id", flat=True)
    )
