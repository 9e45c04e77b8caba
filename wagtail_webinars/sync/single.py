"""Syncing one registration: :func:`sync_registration` brings the provider's view of one
registration in line with ours.

It looks at the row, makes the one provider call the row needs
(:func:`.state.next_step`), writes the answer back under a row lock, and looks
again, until nothing is left to do. So a cancellation that lands while an add is
in flight is seen on the next look and ends cancelled at the provider.

* An add may only be repeated a few times a day per registrant (Zoom: about 3), so
  it is never retried blindly: ``sync_add_uncertain`` is set *before* the call (a
  write-ahead mark) and cleared once the answer is known. A later run that finds it
  set looks the registrant up first.
* One registration is worked on by one run at a time (:mod:`.guards`); rows a run
  cannot lock are left to whoever holds them.
* A returning registrant is re-approved (same registrant), never added again.
* Transient failures keep the row ``pending`` with a ``sync_retry_at``; the sweeper
  (:mod:`.sweeper`) re-queues it then. The worker never sleeps.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from wagtail_webinars import jobs
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import ProviderStatus
from wagtail_webinars.providers.errors import (
    MissingJoinLink,
    ProviderError,
    RegistrantTaken,
    StatusChangesUsedUp,
)

from .guards import (
    live_meeting_id,
    lock,
    lock_seconds,
    seconds_to_utc_midnight,
    spend_status_change,
    taken_elsewhere,
    unlock,
)
from .state import (
    ADD,
    APPROVE,
    CANCEL,
    LOOKUP,
    READ,
    REGISTRANT_FIELDS,
    after_failure,
    next_step,
    not_held_for,
    retry_delay,
)

logger = logging.getLogger(__name__)

Status = Registration.SyncStatus

#: Rounds of look-call-write in one run; each round is one API call (two for a lookup
#: across statuses). More rounds than any real sequence needs (lookup, add, cancel).
MAX_ROUNDS = 6


def sync_registration(registration_id: int) -> str:
    """Reconcile one registration with its provider. Safe to run any number of times.

    Returns what happened: "synced", "pending" (will retry), "failed",
    "not_applicable", "busy" (another run holds it) or "missing".
    """
    token = lock(registration_id)
    if token is None:
        _defer_busy(registration_id)
        return "busy"
    try:
        return _sync(registration_id)
    except Registration.DoesNotExist:
        # Deleted while we worked; its registrant is cancelled by sync.removed.
        return "missing"
    finally:
        unlock(registration_id, token)


def _defer_busy(registration_id: int) -> None:
    # Another run is working on this row and re-reads it before it finishes, so
    # it will normally see our change. If it finished just now, this makes the
    # sweeper queue the row again shortly: the change is never lost.
    # (At the latest when its lock must have gone: the holder may be a killed worker.)
    Registration.objects.filter(pk=registration_id, sync_status=Status.PENDING).update(
        sync_retry_at=timezone.now() + timedelta(seconds=min(30, lock_seconds()))
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
        before = registration.provider_status
        try:
            if step in (APPROVE, CANCEL):
                if not spend_status_change(registration_id):
                    raise StatusChangesUsedUp(seconds_to_utc_midnight())
                if not _claim_status_change(registration):
                    continue
            changes = _run(step, provider, registration, meeting_id)
        except ProviderError as err:
            outcome = _record_failure(registration, step, provider, err, event, meeting_id, before)
            if outcome == "changed":
                continue
            return outcome
        except ValueError as err:
            # A bug or an impossible row; leave a reason instead of crashing the worker.
            logger.exception("sync of registration %s: %s impossible", registration_id, step)
            return _record_failure(
                registration, step, provider, ProviderError(str(err)), event, meeting_id, before
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
            not_held_for(meeting_id), pk=registration_id, sync_add_uncertain=False
        ).update(sync_add_uncertain=True, updated_at=timezone.now(), **REGISTRANT_FIELDS)
    )


def _claim_status_change(registration: Registration) -> bool:
    """Write-ahead mark before a status change, as for an add: until the answer is
    known, the provider's status is unknown, and a run that finds it so (after a lost
    answer or a crash) reads the registrant before deciding anything else.

    False when the row changed since it was read: the caller looks again.
    """
    claimed = Registration.objects.filter(
        pk=registration.pk,
        status=registration.status,
        provider_registrant_id=registration.provider_registrant_id,
        provider_status=registration.provider_status,
    ).update(provider_status=ProviderStatus.UNKNOWN, updated_at=timezone.now())
    if claimed:
        registration.provider_status = ProviderStatus.UNKNOWN
    return bool(claimed)


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
        if taken_elsewhere([record.registrant_id], [registration.pk]):
            raise RegistrantTaken(record.registrant_id)
        return {
            "provider_registrant_id": record.registrant_id,
            "provider_join_url": record.join_url,
            "provider_status": record.status or ProviderStatus.UNKNOWN,
            "provider_meeting_id": meeting_id,
            "sync_add_uncertain": False,
        }
    if step == READ:
        found = provider.fetch_registrant(registration.provider_registrant_id)
        if found is None:
            # The provider no longer has them (deleted there): add them again if active.
            return dict(REGISTRANT_FIELDS)
        join_url = found.join_url or registration.provider_join_url
        active = registration.status == Registration.Status.REGISTERED
        if active and found.status == ProviderStatus.APPROVED and not join_url:
            raise MissingJoinLink()
        return {"provider_status": found.status, "provider_join_url": join_url}
    if step == APPROVE:
        provider.approve_registrant(registration)
        return {"provider_status": ProviderStatus.APPROVED}
    if step == CANCEL:
        provider.cancel_registrant(registration)
        return {"provider_status": ProviderStatus.CANCELLED}
    raise ValueError(f"unknown sync step {step!r}")


def _apply(registration_id: int, changes: dict, event, meeting_id: str) -> None:
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        if live_meeting_id(event) != meeting_id:
            # The event now points at another meeting: the answer is about one it has
            # left. Only "the add's outcome is known" still holds.
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


def _what_the_provider_should_know(registration: Registration) -> tuple:
    return (
        registration.status,
        registration.provider_registrant_id,
        registration.provider_status,
        registration.provider_meeting_id,
    )


def _record_failure(
    seen: Registration,
    step: str,
    provider,
    err: ProviderError,
    event,
    meeting_id: str,
    status_before: str,
) -> str:
    """Store a failed call: pending with a retry time, or failed with a reason.

    ``seen`` is the row as it was when the call was made (``status_before``: the
    provider's status before a status change was marked). Returns "changed"
    when it (or the event's meeting) changed meanwhile: the caller looks again
    instead of reporting a failure about a state that is gone.
    """
    registration_id = seen.pk
    logger.warning(
        "sync of registration %s: %s failed (%s)",
        registration_id,
        step,
        provider.log_detail(err),
    )
    reason = provider.describe_error(err)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration_id)
        fields = ["sync_status", "sync_error", "sync_attempts", "sync_retry_at", "updated_at"]
        moved = live_meeting_id(event) != meeting_id
        if step == ADD:
            # The add may have landed unless the answer says it did not (or it was for
            # a meeting the event has left).
            locked.sync_add_uncertain = provider.might_have_landed(err) and not moved
            fields.append("sync_add_uncertain")
        if (
            step in (APPROVE, CANCEL)
            and locked.provider_status == ProviderStatus.UNKNOWN == seen.provider_status
            and not provider.might_have_landed(err)
        ):
            # The change certainly did not happen: the provider's status is what it was.
            locked.provider_status = seen.provider_status = status_before
            fields.append("provider_status")
        if moved or _what_the_provider_should_know(locked) != _what_the_provider_should_know(seen):
            locked.save(update_fields=fields)
            return "changed"
        after = after_failure(locked.sync_attempts, err, reason, timezone.now())
        after.apply(locked)
        locked.save(update_fields=fields)
    return "pending" if after.sync_status == Status.PENDING else "failed"


def retry_registration(registration: Registration) -> bool:
    """Staff's Retry on a failed sync: back to pending and queued after commit."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.sync_status != Status.FAILED:
            return False
        locked.save(update_fields=locked.mark_sync_pending())
        transaction.on_commit(lambda: jobs.enqueue(jobs.SYNC_REGISTRATION, locked.pk))
    return True
