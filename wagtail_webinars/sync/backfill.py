"""Batch backfill: push an event's registrations the provider never heard of, with the
provider's batch call (Zoom: 30 per call).

For registrations made before the meeting ID was set (they were "not applicable"
then), left behind by a long outage, or held for a meeting the event left. Rows
whose add may have landed are first settled with one listing of the meeting's
registrants, never added again blindly. Each row is locked as for a single sync
(:mod:`.guards`) and claimed write-ahead before the call.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from wagtail_webinars import jobs
from wagtail_webinars.models import Registration, get_event_page
from wagtail_webinars.providers.base import (
    BATCH_RETRY,
    BATCH_ROWS,
    BATCH_UNSUPPORTED,
)
from wagtail_webinars.providers.errors import ProviderError, RegistrantTaken

from .guards import live_meeting_id, lock_rows, taken_elsewhere, unlock_rows
from .state import (
    REGISTRANT_FIELDS,
    STORED_FIELDS,
    after_failure,
    hold_registrant,
    next_step,
    not_held_for,
)

logger = logging.getLogger(__name__)

Status = Registration.SyncStatus

#: Registrations whose add may have landed that one backfill settles with one listing
#: of the meeting's registrants; more wait for the next run.
LOOKUP_LIMIT = 1000


def _due(now: datetime) -> Q:
    return Q(sync_retry_at__isnull=True) | Q(sync_retry_at__lte=now)


def never_pushed(event_id: int, meeting_id: str = "", now: datetime | None = None) -> QuerySet:
    """Active registrations of an event that meeting ``meeting_id`` has no registrant for,
    with no add in flight and no retry time still to come."""
    return Registration.objects.filter(
        not_held_for(meeting_id),
        _due(now or timezone.now()),
        page_id=event_id,
        status=Registration.Status.REGISTERED,
        sync_add_uncertain=False,
        sync_status__in=[Status.PENDING, Status.NOT_APPLICABLE],
    )


def _awaiting_lookup(event_id: int, meeting_id: str, now: datetime) -> QuerySet:
    """Registrations of an event whose add may have landed, due for a look."""
    return Registration.objects.filter(
        not_held_for(meeting_id),
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
    event = get_event_page(event_id)
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
                chunk, tokens = lock_rows(candidates, skipped)
                # Each row is tried at most once per run (one handed to a single sync
                # is still "never pushed" until that sync runs).
                skipped.update(r.pk for r in chunk)
                # Write-ahead claim, as for a single add: a crash mid-call is remembered,
                # and a later run looks these rows up instead of adding them again.
                Registration.objects.filter(pk__in=[r.pk for r in chunk]).update(
                    sync_add_uncertain=True,
                    sync_status=Status.PENDING,
                    updated_at=timezone.now(),
                    **REGISTRANT_FIELDS,
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
                unlock_rows(tokens)
    finally:
        if later or again:
            transaction.on_commit(lambda: _queue_after_backfill(event_id, later, again))
    return pushed


def _queue_after_backfill(event_id: int, singles: list[int], again: bool) -> None:
    for pk in dict.fromkeys(singles):
        jobs.enqueue(jobs.SYNC_REGISTRATION, pk)
    if again:
        jobs.enqueue(jobs.BACKFILL_EVENT, event_id)


def _settle_uncertain(event, provider, meeting_id: str, later: list[int]) -> None:
    """Registrations whose add may have landed (a batch that timed out, say): list the
    meeting's registrants once and match by email, instead of one listing per row."""
    rows, tokens = lock_rows(
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
                "backfill of event %s: registrant listing failed (%s)",
                event.pk,
                provider.log_detail(err),
            )
            _hold_back([r.pk for r in rows], err, provider.describe_error(err))
            return
        _store_found(event, meeting_id, [r.pk for r in rows], found, provider, later)
    finally:
        unlock_rows(tokens)


def _store_found(event, meeting_id: str, ids: list[int], found: dict, provider, later) -> None:
    now = timezone.now()
    with transaction.atomic():
        fresh = list(
            Registration.objects.select_for_update()
            .filter(pk__in=ids, sync_add_uncertain=True)
            .order_by("pk")
        )
        if live_meeting_id(event) != meeting_id:
            return
        taken = taken_elsewhere([r.registrant_id for r in found.values()], ids)
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
            hold_registrant(row, record, meeting_id)
            if next_step(row, meeting_id) is None:
                row.mark_synced(now)
            else:
                later.append(row.pk)
        Registration.objects.bulk_update(fresh, STORED_FIELDS)


def _store_batch(event, meeting_id: str, chunk, records, later: list[int]) -> int | None:
    """Store a batch's answer. ``None`` when the event moved to another meeting meanwhile
    (nothing stored: Zoom's answer is about the meeting it left)."""
    ids = [r.pk for r in chunk]
    by_email = {r.email.strip().lower(): r for r in records}
    now = timezone.now()
    with transaction.atomic():
        fresh = list(Registration.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if live_meeting_id(event) != meeting_id:
            for row in fresh:
                row.sync_add_uncertain = False
                row.updated_at = now
            Registration.objects.bulk_update(fresh, ["sync_add_uncertain", "updated_at"])
            return None
        taken = taken_elsewhere([r.registrant_id for r in records], ids)
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
            hold_registrant(row, record, meeting_id)
            row.sync_add_uncertain = False
            if next_step(row, meeting_id) is None:
                row.mark_synced(now)
            else:
                # Cancelled while the batch was in flight, or the provider answered with
                # a registrant that is not approved (an earlier cancelled one, manual
                # approval): the single sync settles them.
                later.append(row.pk)
        Registration.objects.bulk_update(fresh, STORED_FIELDS)
    return stored


def _batch_failed(event, provider, meeting_id: str, chunk, err: ProviderError, later) -> bool:
    """Deal with a failed batch call; True when the backfill should stop here."""
    now = timezone.now()
    ids = [r.pk for r in chunk]
    scope = provider.batch_error_scope(err)
    reason = provider.describe_error(err)
    logger.warning(
        "backfill of event %s failed (%s): %s",
        event.pk,
        provider.log_detail(err),
        scope,
    )
    if scope == BATCH_RETRY:
        _hold_back(ids, err, reason, uncertain=provider.might_have_landed(err))
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
    """A failure for several rows: each waits by its own attempt count, or fails
    (:func:`.state.after_failure`)."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(Registration.objects.select_for_update().filter(pk__in=ids))
        for row in rows:
            after_failure(row.sync_attempts, err, reason, now).apply(row)
            row.updated_at = now
            if uncertain is not None:
                row.sync_add_uncertain = uncertain
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
    transaction.on_commit(lambda: jobs.enqueue(jobs.BACKFILL_EVENT, event_id))
    return True
