"""Sync, the sweeper and staff retries."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.sync.helpers import (
    ADD,
    Sync,
    pending_row,
)
from wagtail_webinars import schedules, sync, tasks
from wagtail_webinars.models import Registration


def test_retry_failed_for_event(zoom, event, commit, queued):
    failed = [pending_row(event, sync_status=Sync.FAILED) for _ in range(3)]
    pending_row(event, sync_status=Sync.SYNCED, provider_registrant_id="x")
    with commit():
        assert sync.retry_failed_for_event(event.pk) == 3
    assert queued == [("wagtail_webinars.tasks.backfill_event", (event.pk,))]
    assert set(
        Registration.objects.filter(pk__in=[r.pk for r in failed]).values_list(
            "sync_status", flat=True
        )
    ) == {Sync.PENDING}


def test_sweep_schedule_is_registered():
    assert schedules.SCHEDULES["wagtail_webinars.sync_sweep"] == (
        "wagtail_webinars.tasks.sync_sweep",
        1,
    )


def test_sweep_requeues_due_and_lost_rows_only(event, make_event, queued, commit):
    now = timezone.now()
    due = pending_row(event, sync_retry_at=now - timedelta(seconds=1), provider_registrant_id="r1")
    later = pending_row(event, sync_retry_at=now + timedelta(minutes=5))
    lost = pending_row(event, provider_registrant_id="r2")
    fresh = pending_row(event, provider_registrant_id="r3")
    failed = pending_row(event, sync_status=Sync.FAILED)
    Registration.objects.filter(pk__in=[lost.pk, failed.pk]).update(
        updated_at=now - timedelta(minutes=10)
    )
    with commit():
        sync.sync_sweep(now)
    queued_ids = {args[0] for func, args in queued if func.endswith("sync_registration")}
    assert queued_ids == {due.pk, lost.pk}
    assert fresh.pk not in queued_ids and later.pk not in queued_ids
    # Touched, so the next sweep does not queue them again while they wait for a worker.
    queued.clear()
    with commit():
        sync.sync_sweep(now + timedelta(seconds=30))
    assert queued == []


def test_sweep_backfills_events_with_many_never_pushed(event, queued, commit):
    now = timezone.now()
    for _ in range(5):
        pending_row(event, sync_retry_at=now - timedelta(minutes=1))
    with commit():
        sync.sync_sweep(now)
    assert queued == [("wagtail_webinars.tasks.backfill_event", (event.pk,))]


def test_sweep_task_runs_the_retry(zoom, event, commit):
    zoom.accepts_registrants()
    row = pending_row(event, sync_retry_at=timezone.now() - timedelta(seconds=5))
    with commit():
        tasks.sync_sweep()
    row.refresh_from_db()
    assert row.sync_status == Sync.SYNCED
    assert zoom.describe() == [ADD]
