"""Registrant sync with managed providers (Zoom): push, cancel, re-approve, backfill, sweep.

One function, :func:`sync_registration`, brings the provider's view of one
registration in line with ours. It looks at the row, does the one API call the
row needs, writes the answer back under a row lock, and looks again, until
nothing is left to do. So a cancellation that lands while an add is in flight
is seen on the next look and ends cancelled in Zoom.

Zoom's limits shape the rest:

* an add may only be repeated about 3 times a day per registrant, so an add is
  never retried blindly. ``sync_add_uncertain`` is set *before* the call (a
  write-ahead mark, which also claims the row against a concurrent backfill) and
  cleared once Zoom's answer is known. A later run that finds it set looks the
  registrant up by listing first;
* a returning registrant is re-approved with the status endpoint (same Zoom
  registrant), never added again;
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
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .conf import get_setting
from .models import Registration
from .providers.errors import ProviderAPIError, ProviderError

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
BATCH_SIZE = 30

_random = random.SystemRandom()


class _RegistrantTaken(ProviderError):
    """Zoom answered with a registrant another of our registrations already holds."""


def next_step(registration: Registration) -> str | None:
    """What the provider still has to hear about this registration, or ``None``."""
    active = registration.status == Registration.Status.REGISTERED
    if not registration.provider_registrant_id:
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


# -- one registration ---------------------------------------------------------------------
def sync_registration(registration_id: int) -> str:
    """Reconcile one registration with its provider. Safe to run any number of times.

    Returns what happened: "synced", "pending" (will retry), "failed",
    "not_applicable", "busy" (another run holds it) or "missing".
    """
    lock_key = f"wagtail_webinars:sync:{registration_id}"
    token = uuid.uuid4().hex
    if not cache.add(lock_key, token, LOCK_SECONDS):
        _defer_busy(registration_id)
        return "busy"
    try:
        return _sync(registration_id)
    finally:
        if cache.get(lock_key) == token:
            cache.delete(lock_key)


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

        step = next_step(registration)
        if step is None:
            if _finish(registration_id):
                return "synced"
            continue
        if step == ADD and not _claim_add(registration_id):
            # Someone else (a backfill) claimed the add meanwhile: look again.
            continue
        try:
            changes = _run(step, provider, registration)
        except ProviderError as err:
            outcome = _record_failure(registration, step, provider, err)
            if outcome == "changed":
                continue
            return outcome
        except ValueError as err:
            # A bug or an impossible row; leave a reason instead of crashing the worker.
            logger.exception("sync of registration %s: %s impossible", registration_id, step)
            return _record_failure(registration, step, provider, ProviderError(str(err)))
        _apply(registration_id, changes)
    # Still changing after many rounds (someone toggling fast): the sweeper comes back.
    Registration.objects.filter(pk=registration_id, sync_status=Status.PENDING).update(
        sync_retry_at=timezone.now() + timedelta(seconds=retry_delay(1))
    )
    return "pending"


def _claim_add(registration_id: int) -> bool:
    """Write-ahead mark before an add: only one worker adds, and a crash is remembered."""
    return bool(
        Registration.objects.filter(
            pk=registration_id, sync_add_uncertain=False, provider_registrant_id=""
        ).update(sync_add_uncertain=True, updated_at=timezone.now())
    )


def _run(step: str, provider, registration: Registration) -> dict:
    """Make the provider call for ``step``; return the field changes to store."""
    if step == ADD:
        record = provider.push_registrant(registration)
        _check_not_taken(registration, record.registrant_id)
        return {
            "provider_registrant_id": record.registrant_id,
            "provider_join_url": record.join_url,
            "provider_status": record.status or "approved",
            "sync_add_uncertain": False,
        }
    if step == LOOKUP:
        record = provider.find_registrant(registration.email)
        if record is None or not record.registrant_id:
            # The earlier add never landed: a fresh add is safe now.
            return {"sync_add_uncertain": False}
        _check_not_taken(registration, record.registrant_id)
        return {
            "provider_registrant_id": record.registrant_id,
            "provider_join_url": record.join_url or registration.provider_join_url,
            "provider_status": record.status or "approved",
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
        raise _RegistrantTaken(registrant_id)


def _apply(registration_id: int, changes: dict) -> None:
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes, "updated_at"])


def _finish(registration_id: int) -> bool:
    """Mark synced if, under the lock, nothing is left to do. False: look again."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        if next_step(locked) is not None:
            return False
        if locked.sync_status != Status.PENDING:
            # Already synced (a repeated run), or not ours to mark.
            return True
        locked.sync_status = Status.SYNCED
        locked.synced_at = timezone.now()
        locked.sync_error = ""
        locked.sync_attempts = 0
        locked.sync_retry_at = None
        locked.save(
            update_fields=[
                "sync_status",
                "synced_at",
                "sync_error",
                "sync_attempts",
                "sync_retry_at",
                "updated_at",
            ]
        )
    return True


def _what_zoom_should_know(registration: Registration) -> tuple:
    return (
        registration.status,
        registration.provider_registrant_id,
        registration.provider_status,
    )


def _record_failure(seen: Registration, step: str, provider, err: ProviderError) -> str:
    """Store a failed call: pending with a retry time, or failed with a reason.

    ``seen`` is the row as it was when the call was decided. Returns "changed"
    when it changed meanwhile (the caller looks again instead of reporting a
    failure about a state that is gone).
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
    if isinstance(err, _RegistrantTaken):
        reason = _already_registered_reason(provider)
    else:
        reason = provider.describe_error(err)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        fields = ["sync_status", "sync_error", "sync_attempts", "sync_retry_at", "updated_at"]
        if step == ADD:
            # The add may have landed unless Zoom's answer says it did not.
            locked.sync_add_uncertain = transient and status != 429
            fields.append("sync_add_uncertain")
        if _what_zoom_should_know(locked) != _what_zoom_should_know(seen):
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
            locked.sync_error = _("%(reason)s We will try again automatically.") % {
                "reason": reason
            }
            outcome = "pending"
        else:
            locked.sync_status = Status.FAILED
            locked.sync_retry_at = None
            locked.sync_error = (
                _("Gave up after %(count)d attempts. %(reason)s")
                % {
                    "count": attempts,
                    "reason": reason,
                }
                if transient
                else reason
            )
            outcome = "failed"
        locked.save(update_fields=fields)
    return outcome


def _already_registered_reason(provider) -> str:
    from .providers.zoom import already_registered_reason

    return already_registered_reason()


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
    with transaction.atomic():
        failed = Registration.objects.filter(page_id=event_id, sync_status=Status.FAILED)
        rows = list(
            failed.values_list(
                "pk", "page_id", "status", "provider_registrant_id", "sync_add_uncertain"
            )
        )
        Registration.objects.filter(pk__in=[r[0] for r in rows]).update(
            sync_status=Status.PENDING,
            sync_error="",
            sync_attempts=0,
            sync_retry_at=None,
            updated_at=timezone.now(),
        )
        transaction.on_commit(lambda: _queue(rows))
    return len(rows)


def meeting_changed(event_id: int) -> int:
    """The event now points at another Zoom meeting: forget the old registrants, so
    everyone active is pushed to the new one (the old IDs mean nothing there).

    Queues nothing: the caller queues :func:`backfill_event` once the event with the
    new ID is live (on publish, the page is not live yet when this runs)."""
    now = timezone.now()
    with transaction.atomic():
        Registration.objects.filter(page_id=event_id).update(
            provider_registrant_id="",
            provider_join_url="",
            provider_status="",
            sync_add_uncertain=False,
            synced_at=None,
            updated_at=now,
        )
        active = Registration.objects.filter(
            page_id=event_id, status=Registration.Status.REGISTERED
        )
        count = active.update(
            sync_status=Status.PENDING, sync_error="", sync_attempts=0, sync_retry_at=None
        )
        Registration.objects.filter(page_id=event_id).exclude(
            status=Registration.Status.REGISTERED
        ).exclude(sync_status=Status.NOT_APPLICABLE).update(
            sync_status=Status.SYNCED, sync_error="", sync_retry_at=None
        )
    return count


# -- many registrations ------------------------------------------------------------------
def never_pushed(event_id: int):
    """Active registrations of an event that Zoom has not heard of, and no add is in flight."""
    return Registration.objects.filter(
        page_id=event_id,
        status=Registration.Status.REGISTERED,
        provider_registrant_id="",
        sync_add_uncertain=False,
        sync_status__in=[Status.PENDING, Status.NOT_APPLICABLE],
    )


def backfill_event(event_id: int) -> int:
    """Push an event's never-pushed registrations with the batch endpoint, 30 per call.

    For registrations made before the Zoom ID was set (they were "not applicable"
    then) or left behind by a long outage. Returns how many Zoom took.
    """
    from wagtail.models import Page

    page = Page.objects.filter(pk=event_id).first()
    event = page.specific if page is not None else None
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return 0
    now = timezone.now()
    never_pushed(event_id).filter(sync_status=Status.NOT_APPLICABLE).update(
        sync_status=Status.PENDING, updated_at=now
    )
    pushed = 0
    while True:
        with transaction.atomic():
            chunk = list(
                never_pushed(event_id)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:BATCH_SIZE]
            )
            ids = [r.pk for r in chunk]
            # Write-ahead claim, as for a single add: a crash mid-call is remembered,
            # and single syncs of these rows look them up instead of adding again.
            Registration.objects.filter(pk__in=ids).update(
                sync_add_uncertain=True, updated_at=timezone.now()
            )
        if not chunk:
            return pushed
        try:
            records = provider.batch_push(chunk)
        except ProviderAPIError as err:
            _batch_failed(event_id, ids, provider, err)
            return pushed
        pushed += _store_batch(ids, records)


def _store_batch(ids: list[int], records) -> int:
    by_email = {r.email.strip().lower(): r for r in records}
    now = timezone.now()
    requeue: list[int] = []
    with transaction.atomic():
        fresh = list(Registration.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        taken = set(
            Registration.objects.filter(
                provider_registrant_id__in=[r.registrant_id for r in records]
            )
            .exclude(pk__in=ids)
            .values_list("provider_registrant_id", flat=True)
        )
        stored = 0
        for row in fresh:
            record = by_email.get(row.email.strip().lower())
            if record is None or record.registrant_id in taken:
                # Zoom left them out (or answered with someone else's registrant):
                # a single sync looks them up, then adds or explains.
                row.sync_retry_at = now
                continue
            stored += 1
            row.provider_registrant_id = record.registrant_id
            row.provider_join_url = record.join_url
            row.provider_status = "approved"
            row.sync_add_uncertain = False
            if next_step(row) is None:
                row.sync_status = Status.SYNCED
                row.synced_at = now
                row.sync_error = ""
                row.sync_attempts = 0
                row.sync_retry_at = None
            else:
                # Cancelled while the batch was in flight: cancel them in Zoom too.
                requeue.append(row.pk)
        Registration.objects.bulk_update(
            fresh,
            [
                "provider_registrant_id",
                "provider_join_url",
                "provider_status",
                "sync_add_uncertain",
                "sync_status",
                "synced_at",
                "sync_error",
                "sync_attempts",
                "sync_retry_at",
            ],
        )
        transaction.on_commit(lambda: [_enqueue_sync(pk) for pk in requeue])
    return stored


def _batch_failed(event_id: int, ids: list[int], provider, err: ProviderAPIError) -> None:
    now = timezone.now()
    reason = provider.describe_error(err)
    chunk = Registration.objects.filter(pk__in=ids)
    logger.warning("backfill of event %s failed (HTTP %s, code %s)", event_id, err.status, err.code)
    if err.transient:
        max_attempts = int(get_setting("SYNC_MAX_ATTEMPTS"))
        with transaction.atomic():
            chunk.update(
                # A 429 means Zoom took nothing; anything else may have landed.
                sync_add_uncertain=err.status != 429,
                sync_attempts=F("sync_attempts") + 1,
                sync_retry_at=now + timedelta(seconds=retry_delay(1, err.retry_after)),
                sync_error=_("%(reason)s We will try again automatically.") % {"reason": reason},
                updated_at=now,
            )
            chunk.filter(sync_attempts__gte=max_attempts).update(
                sync_status=Status.FAILED,
                sync_retry_at=None,
                sync_error=_("Gave up after several attempts. %(reason)s") % {"reason": reason},
            )
        return
    if err.status == 400 and err.code in (300, 303):
        # Batch registration only takes scheduled meetings (type 2) and webinars
        # (type 5): fall back to one add per registrant.
        chunk.update(sync_add_uncertain=False, updated_at=now)
        rows = list(
            never_pushed(event_id).values_list(
                "pk", "page_id", "status", "provider_registrant_id", "sync_add_uncertain"
            )
        )
        transaction.on_commit(lambda: [_enqueue_sync(r[0]) for r in rows])
        return
    # Permanent (registration off, meeting gone, credentials): every waiting row
    # would fail the same way. Say why on each; staff retry once it is fixed.
    with transaction.atomic():
        chunk.update(sync_add_uncertain=False)
        Registration.objects.filter(
            Q(pk__in=ids) | Q(pk__in=never_pushed(event_id).values("pk"))
        ).update(
            sync_status=Status.FAILED,
            sync_error=reason,
            sync_retry_at=None,
            sync_attempts=F("sync_attempts") + 1,
            updated_at=now,
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
            .values_list("pk", "page_id", "status", "provider_registrant_id", "sync_add_uncertain")[
                : int(get_setting("SYNC_SWEEP_LIMIT"))
            ]
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
    """Queue syncs for ``(pk, page_id, status, registrant_id, uncertain)`` rows:
    events with several never-pushed rows get one backfill, the rest one task each."""
    batchable: dict[int, list[int]] = defaultdict(list)
    single: list[int] = []
    for pk, page_id, status, registrant_id, uncertain in rows:
        if status == Registration.Status.REGISTERED and not registrant_id and not uncertain:
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
    from . import tasks

    tasks.enqueue_sync(registration_id)


def _enqueue_backfill(event_id: int) -> None:
    from . import tasks

    tasks.enqueue("wagtail_webinars.tasks.backfill_event", event_id)


def has_never_pushed(event_id: int) -> bool:
    return never_pushed(event_id).exists()


def queue_backfill_if_needed(event) -> bool:
    """Queue :func:`backfill_event` after commit when a managed event has registrations
    Zoom never heard of. Called after publishing and after "Refresh from Zoom"."""
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return False
    if not has_never_pushed(event.pk):
        return False
    event_id = event.pk
    transaction.on_commit(lambda: _enqueue_backfill(event_id))
    return True
