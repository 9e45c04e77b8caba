"""Sync, the rules of one row: next step, retry delay, mark synced."""

from __future__ import annotations

from tests.providers.zoom_fixtures import (
    MEETING_ID,
)
from tests.sync.helpers import (
    NEW_ID,
    Sync,
)
from wagtail_webinars.models import Registration
from wagtail_webinars.sync import state


def test_retry_delay_bounds(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "SYNC_BACKOFF_SECONDS": 30,
        "SYNC_BACKOFF_MAX_SECONDS": 600,
    }
    assert state.retry_delay(1, rand=lambda: 0.0) == 15
    assert state.retry_delay(1, rand=lambda: 1.0) == 30
    assert state.retry_delay(3, rand=lambda: 1.0) == 120
    assert state.retry_delay(20, rand=lambda: 1.0) == 600  # capped
    assert state.retry_delay(2, retry_after=90, rand=lambda: 0.0) == 90
    assert 90 <= state.retry_delay(2, retry_after=90) <= 120


def test_next_step_ignores_a_registrant_of_another_meeting():
    r = Registration(
        status="registered",
        provider_registrant_id="x",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
        provider_join_url="https://zoom.test/w/1?tk=x",
    )
    assert state.next_step(r, MEETING_ID) is None
    assert state.next_step(r, NEW_ID) == state.ADD
    r.sync_add_uncertain = True
    assert state.next_step(r, NEW_ID) == state.LOOKUP
    r.sync_add_uncertain, r.status = False, "cancelled"
    assert state.next_step(r, MEETING_ID) == state.CANCEL
    assert state.next_step(r, NEW_ID) is None  # the new meeting never had them
    # Stored before meetings were recorded: taken as the current meeting's.
    r.status, r.provider_meeting_id = "registered", ""
    assert state.next_step(r, NEW_ID) is None


def test_mark_synced_and_mark_sync_pending_agree():
    row = Registration(sync_status=Sync.FAILED, sync_error="x", sync_attempts=3)
    fields = row.mark_synced()
    assert (row.sync_status, row.sync_error, row.sync_attempts) == (Sync.SYNCED, "", 0)
    assert row.synced_at is not None and row.sync_retry_at is None
    assert set(row.mark_sync_pending()) <= set(fields)
    assert row.sync_status == Sync.PENDING


def test_next_step():
    r = Registration(status="registered", provider_join_url="https://zoom.test/w/1?tk=x")
    assert state.next_step(r) == state.ADD
    r.sync_add_uncertain = True
    assert state.next_step(r) == state.LOOKUP
    r.provider_registrant_id, r.provider_status = "x", "approved"
    assert state.next_step(r) is None
    r.provider_status = "cancelled"
    assert state.next_step(r) == state.APPROVE
    r.status = "cancelled"
    assert state.next_step(r) is None
    r.provider_status = "approved"
    assert state.next_step(r) == state.CANCEL


def test_next_step_reads_what_the_provider_has_when_it_is_not_known():
    # An add answered without a status, or a status change whose answer was lost.
    r = Registration(status="registered", provider_registrant_id="x", provider_status="unknown")
    assert state.next_step(r) == state.READ
    r.status = "cancelled"
    assert state.next_step(r) == state.READ


def test_approved_without_a_personal_link_is_not_done():
    r = Registration(status="registered", provider_registrant_id="x", provider_status="approved")
    assert state.next_step(r) == state.READ
    r.provider_join_url = "https://zoom.test/w/1?tk=x"
    assert state.next_step(r) is None
    r.provider_status = "pending"  # manual approval in Zoom
    assert state.next_step(r) == state.APPROVE
