"""Registrant sync with managed providers (Zoom): push, cancel, re-approve, backfill, sweep.

One function, :func:`sync_registration`, brings the provider's view of one
registration in line with ours. It looks at the row, does the one API call the
row needs, writes the answer back under a row lock, and looks again, until
nothing is left to do. So a cancellation that lands while an add is in flight
is seen on the next look and ends cancelled in Zoom.

Zoom's limits shape the rest:

* an add may only be repeated about 3 times a day per registrant, so an add is
  never retried blindly. ``sync_add_uncertain`` is set *before* the call (a
  write-ahead mark) and cleared once Zoom's answer is known. A later run that
  finds it set looks the registrant up by listing first;
* one registration is worked on by one run at a time: single syncs and batch
  backfills both take the registration's lock in the shared cache
  (``wagtail_webinars:sync:<pk>``) and leave rows they cannot lock to whoever holds them;
* a returning registrant is re-approved with the status endpoint (same Zoom
  registrant), never added again;
* a registrant ID is stored with the meeting ID it belongs to
  (``provider_meeting_id``). When the event points at another meeting, the old
  registrant means nothing there: the registration is pushed to the new one;
* transient failures (timeouts, 5xx, 429) keep the row ``pending`` with a
  ``sync_retry_at`` (exponential backoff with jitter, or Zoom's Retry-After);
  the sweeper re-queues it then. The worker never sleeps. After
  ``SYNC_MAX_ATTEMPTS`` the row is ``failed`` with a reason, and staff can Retry.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import jobs
from .conf import get_setting
from .models import Registration
from .providers.base import BATCH_RETRY, BATCH_ROWS, BATCH_UNSUPPORTED
from .providers.errors import ProviderAPIError, ProviderError, RegistrantTaken

logger = logging.getLogger(__name__)

Status = Registration.SyncStatus

ADD = "add"
LOOKUP = "lookup"
APPROVE = "approve"
CANCEL = "cancel"


#: One sync run holds the registration's lock at most this long (a dead worker's
#: lock expires; the sweeper then queues the row again).
LOCK_SECONDS = 300
#: Rounds of look-call-write in one run; each round is one API call (two for a lookup
#: across statuses). More rounds than any real sequence needs (lookup, add, cancel).
MAX_ROUNDS = 6
#: Registrations whose add may have landed that one backfill settles with one listing
#: of the meeting's registrants; more wait for the next run.
LOOKUP_LIMIT = 1000

#: The registrant as the provider knows them; cleared when it belongs to another meeting.
_REGISTRANT_FIELDS = {
    "provider_registrant_id": "",
    "provider_join_url": "",
    "provider_status": "",
    "provider_meeting_id": "",
}
_QUEUE_FIELDS = ("pk", "page_id", "status", "provider_registrant_id", "sync_add_uncertain")

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


def _not_held_for(meeting_id: str) -> Q:
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
            # An add may have reached Zoom without our seeing the answer: look first.
            return LOOKUP
        return ADD if active else None
    if active:
        return APPROVE if registration.provider_status in ("cancelled", "pending") else None
    return CANCEL if registration.provider_status != "cancelled" else None


def retry_delay(attempt: int, retry_after: float | None = None, rand=None) -> float:
    """Seconds before retry ``attempt`` (1-based): Zoom's Retry-After when it gave one,
    else exponential backoff with jitter, capped by ``SYNC_BACKOFF_MAX_SECONDS``."""
    rand = rand or _random.random
    base = float(get_setting("SYNC_BACKOFF_SECONDS"))
    if retry_after is not None:
        # A little jitter, so rows held back by one 429 do not all return at once.
        return float(retry_after) + rand() * min(base, 30.0)
    cap = float(get_setting("SYNC_BACKOFF_MAX_SECONDS"))
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay * (0.5 + rand() / 2)


# -- the per-registration lock ------------------------------------------------------------
def _lock_key(registration_id: int) -> str:
    return f"wagtail_webinars:sync:{registration_id}"


def _lock(registration_id: int) -> str | None:
    """Take the registration's lock; the token to release it, or ``None`` if taken."""
    token = uuid.uuid4().hex
    return token if cache.add(_lock_key(registration_id), token, LOCK_SECONDS) else None


def _unlock(registration_id: int, token: str) -> None:
    key = _lock_key(registration_id)
    if cache.get(key) == token:
        cache.delete(key)


# -- one registration ---------------------------------------------------------------------
def sync_registration(registration_id: int) -> str:
    """Reconcile one registration with its provider. Safe to run any number of times.

    Returns what happened: "synced", "pending" (will retry), "failed",
    "not_applicable", "busy" (another run holds it) or "missing".
    """
    token = _lock(registration_id)
    if token is None:
        _defer_busy(registration_id)
        return "busy"
    try:
        return _sync(registration_id)
    finally:
        _unlock(registration_id, token)


def _defer_busy(registration_id: int) -> None:
    # Another run is working on this row and re-reads it before it finishes, so
    # it will normally see our change. If it finished just now, this makes the
    # sweeper queue the row again shortly: the change is never lost.
    Registration.objects.filter(pk=registration_id, sync_status=Status.PENDING).update(
        sync_retry_at=timezone.now() + timedelta(seconds=30)
    )


def _sync(registration_id: int) -> str:
    for _round in range(MAX_ROUNDS):
        registration = (
            Registration.objects.select_related("page").filter(pk=registration_id).first()
        )
        if registration is None:
            return "missing"
        if registration.sync_status in (Status.NOT_APPLICABLE, Status.FAILED):
            # Failed rows wait for staff (Retry); unmanaged ones have nothing to sync.
            return str(registration.sync_status)
        event = registration.page.specific
        provider = getattr(event, "provider", None)
        if provider is None or not provider.can_push_registrants:
            Registration.objects.filter(pk=registration_id).update(
                sync_status=Status.NOT_APPLICABLE, sync_retry_at=None, sync_error=""
            )
            return "not_applicable"

        meeting_id = provider.external_id
        step = next_step(registration, meeting_id)
        if step is None:
            if _finish(registration_id, meeting_id):
                return "synced"
            continue
        if step == ADD and not _claim_add(registration_id, meeting_id):
            # The row changed since we read it (a backfill claimed it): look again.
            continue
        try:
            changes = _run(step, provider, registration, meeting_id)
        except ProviderError as err:
            outcome = _record_failure(registration, step, provider, err, event, meeting_id)
            if outcome == "changed":
                continue
            return outcome
        except ValueError as err:
            # A bug or an impossible row; leave a reason instead of crashing the worker.
            logger.exception("sync of registration %s: %s impossible", registration_id, step)
            return _record_failure(
                registration, step, provider, ProviderError(str(err)), event, meeting_id
            )
        _apply(registration_id, changes, event, meeting_id)
    # Still changing after many rounds (someone toggling fast): the sweeper comes back.
    Registration.objects.filter(pk=registration_id, sync_status=Status.PENDING).update(
        sync_retry_at=timezone.now() + timedelta(seconds=retry_delay(1))
    )
    return "pending"


def _claim_add(registration_id: int, meeting_id: str) -> bool:
    """Write-ahead mark before an add: only one worker adds, and a crash is remembered.

    A registrant held for another meeting is forgotten here: it means nothing on this one.
    """
    return bool(
        Registration.objects.filter(
            _not_held_for(meeting_id), pk=registration_id, sync_add_uncertain=False
        ).update(sync_add_uncertain=True, updated_at=timezone.now(), **_REGISTRANT_FIELDS)
    )


def _run(step: str, provider, registration: Registration, meeting_id: str) -> dict:
    """Make the provider call for ``step``; return the field changes to store."""
    if step in (ADD, LOOKUP):
        if step == ADD:
            record = provider.push_registrant(registration)
        else:
            record = provider.find_registrant(registration.email)
            if record is None or not record.registrant_id:
                # The earlier add never landed: a fresh add is safe now.
                return {"sync_add_uncertain": False}
        _check_not_taken(registration, record.registrant_id)
        return {
            "provider_registrant_id": record.registrant_id,
            "provider_join_url": record.join_url,
            "provider_status": record.status or "approved",
            "provider_meeting_id": meeting_id,
            "sync_add_uncertain": False,
        }
    if step == APPROVE:
        provider.approve_registrant(registration)
        return {"provider_status": "approved"}
    if step == CANCEL:
        provider.cancel_registrant(registration)
        return {"provider_status": "cancelled"}
    raise ValueError(f"unknown sync step {step!r}")


def _check_not_taken(registration: Registration, registrant_id: str) -> None:
    # Zoom answers an add for an address it already has with that registrant. If
    # another of our registrations (another event on the same meeting) holds it,
    # sharing it would let one cancel the other.
    taken = (
        Registration.objects.filter(provider_registrant_id=registrant_id)
        .exclude(pk=registration.pk)
        .exists()
    )
    if taken:
        raise RegistrantTaken(registrant_id)


def _live_meeting_id(event) -> str:
    """The meeting ID the event's live page points at now (it may have been republished
    while we were talking to Zoom)."""
    fresh = type(event).objects.filter(pk=event.pk).first()
    provider = getattr(fresh, "provider", None)
    return provider.external_id if provider is not None else ""


def _apply(registration_id: int, changes: dict, event, meeting_id: str) -> None:
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        if _live_meeting_id(event) != meeting_id:
            # The event now points at another meeting: Zoom's answer is about one it
            # has left. Only "the add's outcome is known" still holds.
            changes = {k: v for k, v in changes.items() if k == "sync_add_uncertain"}
            if not changes:
                return
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes, "updated_at"])


def _finish(registration_id: int, meeting_id: str) -> bool:
    """Mark synced if, under the lock, nothing is left to do. False: look again."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        if next_step(locked, meeting_id) is not None:
            return False
        fields: list[str] = []
        if locked.provider_registrant_id and not locked.provider_meeting_id and meeting_id:
            # Stored before we recorded meetings: it is this meeting's.
            locked.provider_meeting_id = meeting_id
            fields += ["provider_meeting_id", "updated_at"]
        if locked.sync_status == Status.PENDING:
            # (Otherwise already synced by a repeated run, or not ours to mark.)
            fields += locked.mark_synced()
        if fields:
            locked.save(update_fields=list(dict.fromkeys(fields)))
    return True


def _what_zoom_should_know(registration: Registration) -> tuple:
    return (
        registration.status,
        registration.provider_registrant_id,
        registration.provider_status,
        registration.provider_meeting_id,
    )


def _record_failure(
    seen: Registration, step: str, provider, err: ProviderError, event, meeting_id: str
) -> str:
    """Store a failed call: pending with a retry time, or failed with a reason.

    ``seen`` is the row as it was when the call was decided. Returns "changed"
    when it (or the event's meeting) changed meanwhile: the caller looks again
    instead of reporting a failure about a state that is gone.
    """
    registration_id = seen.pk
    transient = isinstance(err, ProviderAPIError) and err.transient
    now = timezone.now()
    status = getattr(err, "status", None)
    code = getattr(err, "code", None)
    logger.warning(
        "sync of registration %s: %s failed (%s, HTTP %s, code %s)",
        registration_id,
        step,
        "transient" if transient else "permanent",
        status,
        code,
    )
    reason = provider.describe_error(err)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        fields = ["sync_status", "sync_error", "sync_attempts", "sync_retry_at", "updated_at"]
        moved = _live_meeting_id(event) != meeting_id
        if step == ADD:
            # The add may have landed unless Zoom's answer says it did not (or it
            # was for a meeting the event has left).
            locked.sync_add_uncertain = transient and status != 429 and not moved
            fields.append("sync_add_uncertain")
        if moved or _what_zoom_should_know(locked) != _what_zoom_should_know(seen):
            locked.save(update_fields=fields)
            return "changed"
        attempts = locked.sync_attempts + 1
        locked.sync_attempts = attempts
        if transient and attempts < int(get_setting("SYNC_MAX_ATTEMPTS")):
            retry_at = now + timedelta(
                seconds=retry_delay(attempts, getattr(err, "retry_after", None))
            )
            locked.sync_status = Status.PENDING
            locked.sync_retry_at = retry_at
            locked.sync_error = _retrying(reason)
            outcome = "pending"
        else:
            locked.sync_status = Status.FAILED
            locked.sync_retry_at = None
            locked.sync_error = _gave_up(attempts, reason) if transient else reason
            outcome = "failed"
        locked.save(update_fields=fields)
    return outcome


def _retrying(reason: str) -> str:
    return _("%(reason)s We will try again automatically.") % {"reason": reason}


def _gave_up(attempts: int, reason: str) -> str:
    return _("Gave up after %(count)d attempts. %(reason)s") % {
        "count": attempts,
        "reason": reason,
    }


# -- staff actions --------------------------------------------------------------------
def retry_registration(registration: Registration) -> bool:
    """Staff's Retry on a failed sync: back to pending and queued after commit."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.sync_status != Status.FAILED:
            return False
        locked.save(update_fields=locked.mark_sync_pending())
        transaction.on_commit(lambda: _enqueue_sync(locked.pk))
    return True


def retry_failed_for_event(event_id: int) -> int:
    """Staff's "retry failed syncs" on an event: every failed row back to pending and queued."""
    now = timezone.now()
    with transaction.atomic():
        failed = list(
            Registration.objects.select_for_update()
            .filter(page_id=event_id, sync_status=Status.FAILED)
            .only(*_QUEUE_FIELDS)
        )
        fields: list[str] = []
        for row in failed:
            fields = row.mark_sync_pending()
            row.updated_at = now
        if failed:
            Registration.objects.bulk_update(failed, fields, batch_size=500)
        rows = [tuple(getattr(row, name) for name in _QUEUE_FIELDS) for row in failed]
        transaction.on_commit(lambda: _queue(rows))
    return len(rows)


def remember_meeting(event_id: int, meeting_id: str) -> int:
    """Record that the event's registrants stored without a meeting ID belong to
    ``meeting_id`` (the meeting the event is about to leave)."""
    return (
        Registration.objects.filter(page_id=event_id, provider_meeting_id="")
        .exclude(provider_registrant_id="")
        .update(provider_meeting_id=meeting_id)
    )


def meeting_changed(event_id: int, meeting_id: str) -> int:
    """The live event points at meeting ``meeting_id``: forget registrants held for
    another meeting, so everyone active is pushed to this one. Returns how many wait
    for that push.

    Call it once the new meeting is live (:func:`event_went_live`), never before: until
    then the old meeting is the one people join. Queues nothing; the caller queues
    :func:`backfill_event` after commit. Does nothing when no registrant is held for
    another meeting.
    """
    now = timezone.now()
    elsewhere = ~Q(provider_meeting_id="") & ~Q(provider_meeting_id=meeting_id)
    with transaction.atomic():
        # Locked: a sync finishing on the old meeting writes after us, or before us
        # and is then cleared here (never a lost update either way).
        rows = list(
            Registration.objects.select_for_update()
            .filter(page_id=event_id)
            .filter(elsewhere | Q(status=Registration.Status.REGISTERED, sync_status=Status.FAILED))
        )
        if not any(row.provider_meeting_id not in ("", meeting_id) for row in rows):
            return 0
        waiting = 0
        fields = {"sync_add_uncertain", "updated_at", *_REGISTRANT_FIELDS}
        for row in rows:
            if row.provider_meeting_id not in ("", meeting_id):
                for name, value in _REGISTRANT_FIELDS.items():
                    setattr(row, name, value)
            row.sync_add_uncertain = False
            row.updated_at = now
            if row.status == Registration.Status.REGISTERED:
                # A refusal by the old meeting (even a failed one) may not hold for this one.
                fields.update(row.mark_sync_pending())
                waiting += 1
            elif row.sync_status != Status.NOT_APPLICABLE:
                # Cancelled: this meeting never had them, so it agrees already.
                fields.update(row.mark_synced(now))
        Registration.objects.bulk_update(rows, sorted(fields), batch_size=500)
    logger.info("event %s moved to another meeting: %s registrations to push", event_id, waiting)
    return waiting


def event_went_live(event) -> None:
    """A managed event was published (however: the editor, a workflow approval, a
    scheduled go-live, code). Registrants held for the meeting it left are pushed to
    the one it points at now, with those Zoom never heard of, in a backfill after commit."""
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return
    meeting_id = provider.external_id
    previous_id = str((event.provider_config or {}).get("id") or "")
    if previous_id and previous_id != meeting_id:
        # Going live without the editor's refresh: the stored details name the
        # meeting it left.
        remember_meeting(event.pk, previous_id)
    meeting_changed(event.pk, meeting_id)
    queue_backfill_if_needed(event)


# -- many registrations ------------------------------------------------------------------
def _due(now: datetime) -> Q:
    return Q(sync_retry_at__isnull=True) | Q(sync_retry_at__lte=now)


def never_pushed(event_id: int, meeting_id: str = "", now: datetime | None = None) -> QuerySet:
    """Active registrations of an event that meeting ``meeting_id`` has no registrant for,
    with no add in flight and no retry time still to come."""
    return Registration.objects.filter(
        _not_held_for(meeting_id),
        _due(now or timezone.now()),
        page_id=event_id,
        status=Registration.Status.REGISTERED,
        sync_add_uncertain=False,
        sync_status__in=[Status.PENDING, Status.NOT_APPLICABLE],
    )


def _awaiting_lookup(event_id: int, meeting_id: str, now: datetime) -> QuerySet:
    """Registrations of an event whose add may have landed, due for a look."""
    return Registration.objects.filter(
        _not_held_for(meeting_id),
        _due(now),
        page_id=event_id,
        sync_add_uncertain=True,
        sync_status=Status.PENDING,
    )


def backfill_event(event_id: int) -> int:
    """Push an event's never-pushed registrations with the batch endpoint, 30 per call.

    For registrations made before the Zoom ID was set (they were "not applicable"
    then), left behind by a long outage, or held for a meeting the event left.
    Registrations whose add may have landed are first settled with one listing of
    the meeting's registrants. Returns how many Zoom took from the batches.
    """
    from wagtail.models import Page

    page = Page.objects.filter(pk=event_id).first()
    event = page.specific if page is not None else None
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return 0
    meeting_id = provider.external_id
    now = timezone.now()
    never_pushed(event_id, meeting_id, now).filter(sync_status=Status.NOT_APPLICABLE).update(
        sync_status=Status.PENDING, updated_at=now
    )
    size = provider.batch_size
    later: list[int] = []  # single syncs to queue once our locks are released
    pushed = 0
    again = False
    try:
        _settle_uncertain(event, provider, meeting_id, later)
        skipped: set[int] = set()
        while True:
            with transaction.atomic():
                candidates = list(
                    never_pushed(event_id, meeting_id)
                    .exclude(pk__in=skipped)
                    .select_for_update(skip_locked=True)
                    .order_by("pk")[:size]
                )
                chunk, tokens = _lock_rows(candidates, skipped)
                # Each row is tried at most once per run (one handed to a single sync
                # is still "never pushed" until that sync runs).
                skipped.update(r.pk for r in chunk)
                # Write-ahead claim, as for a single add: a crash mid-call is remembered,
                # and a later run looks these rows up instead of adding them again.
                Registration.objects.filter(pk__in=[r.pk for r in chunk]).update(
                    sync_add_uncertain=True,
                    sync_status=Status.PENDING,
                    updated_at=timezone.now(),
                    **_REGISTRANT_FIELDS,
                )
            if not candidates:
                break
            try:
                if not chunk:
                    continue
                try:
                    records = provider.batch_push(chunk)
                except ProviderError as err:
                    if _batch_failed(event, provider, meeting_id, chunk, err, later):
                        break
                    continue
                stored = _store_batch(event, meeting_id, chunk, records, later)
                if stored is None:
                    # The event moved to another meeting meanwhile: start over there.
                    again = True
                    break
                pushed += stored
            finally:
                for pk, token in tokens.items():
                    _unlock(pk, token)
    finally:
        if later or again:
            transaction.on_commit(lambda: _queue_after_backfill(event_id, later, again))
    return pushed


def _queue_after_backfill(event_id: int, singles: list[int], again: bool) -> None:
    for pk in dict.fromkeys(singles):
        _enqueue_sync(pk)
    if again:
        _enqueue_backfill(event_id)


def _lock_rows(
    rows: list[Registration], skipped: set[int]
) -> tuple[list[Registration], dict[int, str]]:
    """Take the per-registration lock of each row; rows someone else holds (a single
    sync at work) are left to them and noted in ``skipped``."""
    locked: list[Registration] = []
    tokens: dict[int, str] = {}
    for row in rows:
        token = _lock(row.pk)
        if token is None:
            skipped.add(row.pk)
            continue
        tokens[row.pk] = token
        locked.append(row)
    return locked, tokens


def _settle_uncertain(event, provider, meeting_id: str, later: list[int]) -> None:
    """Registrations whose add may have landed (a batch that timed out, say): list the
    meeting's registrants once and match by email, instead of one listing per row."""
    rows, tokens = _lock_rows(
        list(_awaiting_lookup(event.pk, meeting_id, timezone.now()).order_by("pk")[:LOOKUP_LIMIT]),
        set(),
    )
    if not rows:
        return
    try:
        wanted = {row.email.strip().lower() for row in rows}
        found = {}
        try:
            for record in provider.registrants():
                email = record.email.strip().lower()
                if email in wanted and record.registrant_id and email not in found:
                    found[email] = record
                    if len(found) == len(wanted):
                        break
        except ProviderError as err:
            logger.warning(
                "backfill of event %s: registrant listing failed (HTTP %s, code %s)",
                event.pk,
                getattr(err, "status", None),
                getattr(err, "code", None),
            )
            _hold_back([r.pk for r in rows], err, provider.describe_error(err))
            return
        _store_found(event, meeting_id, [r.pk for r in rows], found, provider, later)
    finally:
        for pk, token in tokens.items():
            _unlock(pk, token)


def _store_found(event, meeting_id: str, ids: list[int], found: dict, provider, later) -> None:
    now = timezone.now()
    with transaction.atomic():
        fresh = list(
            Registration.objects.select_for_update()
            .filter(pk__in=ids, sync_add_uncertain=True)
            .order_by("pk")
        )
        if _live_meeting_id(event) != meeting_id:
            return
        taken = _taken_elsewhere([r.registrant_id for r in found.values()], ids)
        for row in fresh:
            record = found.get(row.email.strip().lower())
            row.sync_add_uncertain = False
            row.updated_at = now
            if record is None:
                # The add never landed: the batch below (or a single sync) adds them.
                continue
            if record.registrant_id in taken:
                row.sync_attempts += 1
                row.sync_status = Status.FAILED
                row.sync_retry_at = None
                row.sync_error = provider.describe_error(RegistrantTaken(record.registrant_id))
                continue
            _hold_registrant(row, record, meeting_id)
            if next_step(row, meeting_id) is None:
                row.mark_synced(now)
            else:
                later.append(row.pk)
        Registration.objects.bulk_update(fresh, _STORED_FIELDS)


_STORED_FIELDS = [
    *_REGISTRANT_FIELDS,
    "sync_add_uncertain",
    "sync_status",
    "synced_at",
    "sync_error",
    "sync_attempts",
    "sync_retry_at",
    "updated_at",
]


def _hold_registrant(row: Registration, record, meeting_id: str) -> None:
    row.provider_registrant_id = record.registrant_id
    row.provider_join_url = record.join_url
    row.provider_status = record.status or "approved"
    row.provider_meeting_id = meeting_id


def _taken_elsewhere(registrant_ids: Iterable[str], ids: list[int]) -> set[str]:
    """Of ``registrant_ids``, those another of our registrations already holds."""
    return set(
        Registration.objects.filter(provider_registrant_id__in=list(registrant_ids))
        .exclude(pk__in=ids)
        .values_list("provider_registrant_id", flat=True)
    )


def _store_batch(event, meeting_id: str, chunk, records, later: list[int]) -> int | None:
    """Store a batch's answer. ``None`` when the event moved to another meeting meanwhile
    (nothing stored: Zoom's answer is about the meeting it left)."""
    ids = [r.pk for r in chunk]
    by_email = {r.email.strip().lower(): r for r in records}
    now = timezone.now()
    with transaction.atomic():
        fresh = list(Registration.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if _live_meeting_id(event) != meeting_id:
            for row in fresh:
                row.sync_add_uncertain = False
                row.updated_at = now
            Registration.objects.bulk_update(fresh, ["sync_add_uncertain", "updated_at"])
            return None
        taken = _taken_elsewhere([r.registrant_id for r in records], ids)
        stored = 0
        for row in fresh:
            record = by_email.get(row.email.strip().lower())
            row.updated_at = now
            if record is None or record.registrant_id in taken:
                # Zoom left them out (or answered with someone else's registrant):
                # a later run looks them up, then adds or explains.
                row.sync_retry_at = now
                continue
            stored += 1
            _hold_registrant(row, record, meeting_id)
            row.provider_status = "approved"
            row.sync_add_uncertain = False
            if next_step(row, meeting_id) is None:
                row.mark_synced(now)
            else:
                # Cancelled while the batch was in flight: cancel them in Zoom too.
                later.append(row.pk)
        Registration.objects.bulk_update(fresh, _STORED_FIELDS)
    return stored


def _batch_failed(event, provider, meeting_id: str, chunk, err: ProviderError, later) -> bool:
    """Deal with a failed batch call; True when the backfill should stop here."""
    now = timezone.now()
    ids = [r.pk for r in chunk]
    scope = provider.batch_error_scope(err)
    reason = provider.describe_error(err)
    logger.warning(
        "backfill of event %s failed (HTTP %s, code %s): %s",
        event.pk,
        getattr(err, "status", None),
        getattr(err, "code", None),
        scope,
    )
    if scope == BATCH_RETRY:
        # A 429 means Zoom took nothing; anything else may have landed.
        _hold_back(ids, err, reason, uncertain=getattr(err, "status", None) != 429)
        return True
    if scope in (BATCH_ROWS, BATCH_UNSUPPORTED):
        # Zoom took none of them: one add each, so each gets its own answer.
        Registration.objects.filter(pk__in=ids).update(sync_add_uncertain=False, updated_at=now)
        later.extend(ids)
        if scope == BATCH_ROWS:
            return False
        # Every later batch would be refused the same way.
        later.extend(
            never_pushed(event.pk, meeting_id).exclude(pk__in=ids).values_list("pk", flat=True)
        )
        return True
    # Nobody can be added (registration off, meeting gone, credentials): every waiting
    # row would fail the same way. Say why on each; staff retry once it is fixed.
    with transaction.atomic():
        Registration.objects.filter(pk__in=ids).update(sync_add_uncertain=False)
        waiting = Registration.objects.filter(
            Q(pk__in=ids) | Q(pk__in=never_pushed(event.pk, meeting_id).values("pk"))
        )
        rows = list(waiting.select_for_update())
        for row in rows:
            row.sync_status = Status.FAILED
            row.sync_error = reason
            row.sync_retry_at = None
            row.sync_attempts += 1
            row.updated_at = now
        Registration.objects.bulk_update(
            rows,
            ["sync_status", "sync_error", "sync_retry_at", "sync_attempts", "updated_at"],
            batch_size=500,
        )
    return True


def _hold_back(ids: list[int], err: ProviderError, reason: str, uncertain: bool | None = None):
    """Transient failure for several rows: each waits by its own attempt count (exponential
    backoff with jitter, or Zoom's Retry-After), or fails after ``SYNC_MAX_ATTEMPTS``."""
    now = timezone.now()
    transient = isinstance(err, ProviderAPIError) and err.transient
    max_attempts = int(get_setting("SYNC_MAX_ATTEMPTS"))
    with transaction.atomic():
        rows = list(Registration.objects.select_for_update().filter(pk__in=ids))
        for row in rows:
            row.sync_attempts += 1
            row.updated_at = now
            if uncertain is not None:
                row.sync_add_uncertain = uncertain
            if transient and row.sync_attempts < max_attempts:
                delay = retry_delay(row.sync_attempts, getattr(err, "retry_after", None))
                row.sync_retry_at = now + timedelta(seconds=delay)
                row.sync_error = _retrying(reason)
            else:
                row.sync_status = Status.FAILED
                row.sync_retry_at = None
                row.sync_error = _gave_up(row.sync_attempts, reason) if transient else reason
        Registration.objects.bulk_update(
            rows,
            [
                "sync_attempts",
                "sync_add_uncertain",
                "sync_status",
                "sync_retry_at",
                "sync_error",
                "updated_at",
            ],
        )


def sync_sweep(now: datetime | None = None) -> dict:
    """Re-queue pending syncs whose task vanished or whose retry time has come.

    Runs every minute (django-q2 schedule). A row is due when its ``sync_retry_at``
    has passed, or when it has no retry time and nobody touched it for
    ``SYNC_STALE_SECONDS`` (its task was lost: worker restart, broker purge).
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=int(get_setting("SYNC_STALE_SECONDS")))
    due = Registration.objects.filter(sync_status=Status.PENDING).filter(
        Q(sync_retry_at__lte=now) | Q(sync_retry_at__isnull=True, updated_at__lt=stale_before)
    )
    with transaction.atomic():
        # SKIP LOCKED (PostgreSQL): sweeps on several machines split the rows.
        rows = list(
            due.select_for_update(skip_locked=True)
            .order_by("sync_retry_at", "pk")
            .values_list(*_QUEUE_FIELDS)[: int(get_setting("SYNC_SWEEP_LIMIT"))]
        )
        # Touch them so the next sweep does not queue them again while they wait
        # for a worker; if the task is lost again they become stale again.
        Registration.objects.filter(pk__in=[r[0] for r in rows]).update(
            sync_retry_at=None, updated_at=now
        )
        counts = {"queued": len(rows)}
        transaction.on_commit(lambda: counts.update(_queue(rows)))
    return counts


def _queue(rows) -> dict:
    """Queue syncs for ``(pk, page_id, status, registrant_id, uncertain)`` rows: events
    with several registrations Zoom has no registrant for (never pushed, or whose add may
    have landed) get one backfill, which needs one listing for all of the latter; the
    rest one task each."""
    batchable: dict[int, list[int]] = defaultdict(list)
    single: list[int] = []
    for pk, page_id, status, registrant_id, uncertain in rows:
        if not registrant_id and (uncertain or status == Registration.Status.REGISTERED):
            batchable[page_id].append(pk)
        else:
            single.append(pk)
    backfills = 0
    for page_id, pks in batchable.items():
        if len(pks) > 1:
            _enqueue_backfill(page_id)
            backfills += 1
        else:
            single.extend(pks)
    for pk in single:
        _enqueue_sync(pk)
    return {"backfills": backfills, "single": len(single)}


def _enqueue_sync(registration_id: int) -> None:
    jobs.enqueue(jobs.SYNC_REGISTRATION, registration_id)


def _enqueue_backfill(event_id: int) -> None:
    jobs.enqueue(jobs.BACKFILL_EVENT, event_id)


def has_never_pushed(event_id: int, meeting_id: str = "") -> bool:
    return never_pushed(event_id, meeting_id).exists()


def queue_backfill_if_needed(event) -> bool:
    """Queue :func:`backfill_event` after commit when a managed event has registrations
    Zoom never heard of. Called after publishing and after "Refresh from Zoom"."""
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return False
    if not has_never_pushed(event.pk, provider.external_id):
        return False
    event_id = event.pk
    transaction.on_commit(lambda: _enqueue_backfill(event_id))
    return True
