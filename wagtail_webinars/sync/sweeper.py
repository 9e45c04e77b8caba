"""The sync sweeper: re-queues syncs whose retry time has come or whose task was lost
(and the cancels of deleted registrations' registrants), and staff's "retry failed
syncs" for an event. Runs every minute (django-q2 schedule)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail_webinars import jobs
from wagtail_webinars.conf import get_setting
from wagtail_webinars.models import Registration

from .removed import due as removed_due

Status = Registration.SyncStatus

#: What the sweeper needs to choose between a single sync and a backfill.
_QUEUE_FIELDS = ("pk", "page_id", "status", "provider_registrant_id", "sync_add_uncertain")


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
    # Deleted registrations whose registrant still waits to be cancelled.
    cancels = removed_due(now, stale_before, int(get_setting("SYNC_SWEEP_LIMIT")))
    for pk in cancels:
        jobs.enqueue_on_commit(jobs.CANCEL_DELETED_REGISTRANT, pk)
    counts["cancels"] = len(cancels)
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
            jobs.enqueue(jobs.BACKFILL_EVENT, page_id)
            backfills += 1
        else:
            single.extend(pks)
    for pk in single:
        jobs.enqueue(jobs.SYNC_REGISTRATION, pk)
    return {"backfills": backfills, "single": len(single)}


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
