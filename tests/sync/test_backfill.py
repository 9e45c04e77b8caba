"""Sync, batch backfill: batches, per-row outcomes, lookups after a lost batch, locks."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import (
    MEETING_ID,
    KeptRegistrants,
    listed_registrant,
    registrant_payload,
)
from tests.sync.helpers import (
    ADD,
    BATCH,
    LIST,
    STATUS,
    Sync,
    pending_row,
    statuses,
)
from wagtail_webinars import registration as service
from wagtail_webinars import sync
from wagtail_webinars.models import Registration


def test_backfill_300_registrations_in_10_batch_calls(zoom, event, django_assert_max_num_queries):
    zoom.accepts_batches()
    # Made before the Zoom ID was set: "not applicable" then.
    rows = RegistrationFactory.create_batch(300, page=event, sync_status=Sync.NOT_APPLICABLE)
    # A constant ten queries per batch of 30 (claim, then store under the row locks
    # after checking the event still points at this meeting), never per row.
    with django_assert_max_num_queries(10 * 10 + 10):
        assert sync.backfill_event(event.pk) == 300
    assert zoom.describe() == [BATCH] * 10
    assert all(len(b["registrants"]) <= 30 for b in zoom.bodies("POST", "batch_registrants"))
    assert len(zoom.token_calls) == 1
    stored = Registration.objects.filter(pk__in=[r.pk for r in rows])
    assert set(stored.values_list("sync_status", flat=True)) == {Sync.SYNCED}
    assert stored.exclude(provider_registrant_id="").count() == 300
    assert stored.filter(sync_add_uncertain=True).count() == 0
    assert len(set(stored.values_list("provider_registrant_id", flat=True))) == 300


def test_backfill_queries_do_not_grow_per_row(zoom, make_event):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    zoom.accepts_batches()
    counts = []
    for size in (2, 30):
        event = make_event(kind="zoom_meeting")
        RegistrationFactory.create_batch(size, page=event, sync_status=Sync.PENDING)
        with CaptureQueriesContext(connection) as queries:
            assert sync.backfill_event(event.pk) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_backfill_twice_never_adds_twice(zoom, event):
    zoom.accepts_batches()
    RegistrationFactory.create_batch(40, page=event, sync_status=Sync.PENDING)
    assert sync.backfill_event(event.pk) == 40
    assert sync.backfill_event(event.pk) == 0
    assert zoom.describe() == [BATCH, BATCH]
    # And single syncs of backfilled rows have nothing left to do.
    for pk in Registration.objects.filter(page=event).values_list("pk", flat=True)[:5]:
        assert sync.sync_registration(pk) == "synced"
    assert zoom.describe() == [BATCH, BATCH]


def test_backfill_skips_cancelled_failed_and_pushed_rows(zoom, event):
    zoom.accepts_batches()
    later = timezone.now() + timedelta(minutes=5)
    RegistrationFactory(page=event, sync_status=Sync.PENDING, status=Registration.Status.CANCELLED)
    RegistrationFactory(page=event, sync_status=Sync.FAILED)
    RegistrationFactory(
        page=event,
        sync_status=Sync.SYNCED,
        provider_registrant_id="r1",
        provider_meeting_id=MEETING_ID,
    )
    # An add that may have landed, not yet due for its look-up.
    RegistrationFactory(
        page=event, sync_status=Sync.PENDING, sync_add_uncertain=True, sync_retry_at=later
    )
    assert sync.backfill_event(event.pk) == 0
    assert zoom.api_calls == []


def test_backfill_row_cancelled_during_the_batch_is_cancelled_in_zoom(zoom, event, commit):
    rows = RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    zoom.accepts_status()

    def batch_while_one_cancels(request):
        service.cancel(Registration.objects.get(pk=rows[0].pk))
        people = json.loads(request.body)["registrants"]
        answered = [
            {"email": p["email"], "join_url": f"https://z/w/{n}", "registrant_id": f"b{n}"}
            for n, p in enumerate(people)
        ]
        return 200, {}, json.dumps({"registrants": answered})

    zoom.callback("POST", f"/meetings/{MEETING_ID}/batch_registrants", batch_while_one_cancels)
    with commit():
        sync.backfill_event(event.pk)
    first = Registration.objects.get(pk=rows[0].pk)
    assert first.provider_status == "cancelled"
    assert first.sync_status == Sync.SYNCED
    assert zoom.bodies("PUT") == [
        {"action": "cancel", "registrants": [{"id": "b0", "email": first.email}]}
    ]


def test_backfill_row_zoom_left_out_goes_through_a_lookup(zoom, event):
    rows = RegistrationFactory.create_batch(2, page=event, sync_status=Sync.PENDING)
    zoom.accepts_batches(skip={rows[1].email})
    assert sync.backfill_event(event.pk) == 1
    left_out = Registration.objects.get(pk=rows[1].pk)
    assert left_out.sync_status == Sync.PENDING
    assert left_out.sync_add_uncertain
    assert left_out.sync_retry_at is not None


def test_backfill_transient_failure_retries_later(zoom, event):
    RegistrationFactory.create_batch(40, page=event, sync_status=Sync.PENDING)
    zoom.error("POST", f"/meetings/{MEETING_ID}/batch_registrants", 502, None, "Bad gateway")
    assert sync.backfill_event(event.pk) == 0
    assert zoom.describe() == [BATCH]
    claimed = Registration.objects.filter(page=event, sync_add_uncertain=True)
    assert claimed.count() == 30
    assert all(r.sync_retry_at and r.sync_status == Sync.PENDING for r in claimed)
    assert Registration.objects.filter(page=event, sync_status=Sync.FAILED).count() == 0


def test_backfill_permanent_failure_fails_everyone_with_reason(zoom, event):
    RegistrationFactory.create_batch(40, page=event, sync_status=Sync.PENDING)
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/batch_registrants",
        404,
        404,
        "Registration has not been enabled for this meeting.",
    )
    sync.backfill_event(event.pk)
    assert zoom.describe() == [BATCH]
    rows = Registration.objects.filter(page=event)
    assert set(rows.values_list("sync_status", flat=True)) == {Sync.FAILED}
    assert all("Registration is not turned on" in r.sync_error for r in rows)
    assert rows.filter(sync_add_uncertain=True).count() == 0


def test_backfill_falls_back_to_single_adds_for_recurring_meetings(zoom, event, commit):
    RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/batch_registrants",
        400,
        303,
        "This API can only be used for scheduled meeting(meeting type: 2).",
    )
    zoom.accepts_registrants()
    with commit():
        sync.backfill_event(event.pk)
    assert zoom.describe() == [BATCH, ADD, ADD, ADD]
    assert set(Registration.objects.filter(page=event).values_list("sync_status", flat=True)) == {
        Sync.SYNCED
    }


def test_backfill_respects_each_rows_retry_time(zoom, event):
    # Held back until Zoom's daily limit resets: a backfill must not add it meanwhile.
    RegistrationFactory(
        page=event,
        sync_status=Sync.PENDING,
        email="capped@example.org",
        sync_retry_at=timezone.now() + timedelta(hours=10),
    )
    ready = pending_row(event, sync_retry_at=timezone.now() - timedelta(seconds=1))
    zoom.accepts_batches()
    assert sync.backfill_event(event.pk) == 1
    (body,) = zoom.bodies("POST", "batch_registrants")
    assert [p["email"] for p in body["registrants"]] == [ready.email]
    capped = Registration.objects.get(email="capped@example.org")
    assert (capped.sync_status, capped.provider_registrant_id) == (Sync.PENDING, "")


def test_one_host_address_in_a_batch_does_not_fail_the_others(zoom, event, commit):
    rows = RegistrationFactory.create_batch(40, page=event, sync_status=Sync.PENDING)
    host = pending_row(event, email="host@example.edu")
    host_says = {"code": 3027, "message": "Host cannot register."}

    def batch(request):
        people = json.loads(request.body)["registrants"]
        if any(p["email"] == host.email for p in people):
            return 400, {}, json.dumps(host_says)
        answered = [
            {"email": p["email"], "join_url": "https://z/w/1", "registrant_id": f"b-{p['email']}"}
            for p in people
        ]
        return 201, {}, json.dumps({"registrants": answered})

    def add(request):
        email = json.loads(request.body)["email"]
        if email == host.email:
            return 400, {}, json.dumps(host_says)
        answer = registrant_payload("meetings", MEETING_ID, f"s-{email}", "https://z/w/2")
        return 201, {}, json.dumps(answer)

    zoom.callback("POST", f"/meetings/{MEETING_ID}/batch_registrants", batch)
    zoom.callback("POST", f"/meetings/{MEETING_ID}/registrants", add)
    with commit():
        assert sync.backfill_event(event.pk) == 30
    # The batch holding the host falls back to one add each: only the host is refused.
    assert zoom.describe() == [BATCH, BATCH] + [ADD] * 11
    host.refresh_from_db()
    assert host.sync_status == Sync.FAILED
    assert "cannot also register" in host.sync_error
    others = Registration.objects.filter(pk__in=[r.pk for r in rows])
    assert set(others.values_list("sync_status", flat=True)) == {Sync.SYNCED}
    assert others.filter(provider_registrant_id="").count() == 0
    assert others.filter(sync_add_uncertain=True).count() == 0


def test_daily_limit_on_a_batch_falls_back_to_single_adds(zoom, event, commit):
    # One registrant over Zoom's 3 adds a day refuses the whole batch until midnight UTC;
    # the others need not wait for that.
    RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/batch_registrants",
        429,
        429,
        'You have exceeded the daily rate limit of "3" for Add meeting registrant API requests '
        'for the registrant "x@example.org". You can resume these API requests at GMT 00:00:00.',
        headers={"X-RateLimit-Type": "Daily-limit"},
    )
    zoom.accepts_registrants()
    with commit():
        sync.backfill_event(event.pk)
    assert zoom.describe() == [BATCH, ADD, ADD, ADD]
    assert statuses(event) == {Sync.SYNCED}


def test_transient_batch_failure_backs_off_by_each_rows_attempts(zoom, event, settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "SYNC_BACKOFF_SECONDS": 10,
        "SYNC_BACKOFF_MAX_SECONDS": 3600,
        "SYNC_MAX_ATTEMPTS": 8,
    }
    fresh = pending_row(event)
    tried = pending_row(event, sync_attempts=3)
    last = pending_row(event, sync_attempts=7)
    zoom.error("POST", f"/meetings/{MEETING_ID}/batch_registrants", 502, None, "Bad gateway")
    before = timezone.now()
    sync.backfill_event(event.pk)
    for row in (fresh, tried, last):
        row.refresh_from_db()
    assert fresh.sync_attempts == 1
    assert (
        before + timedelta(seconds=5)
        <= fresh.sync_retry_at
        <= timezone.now() + timedelta(seconds=10)
    )
    assert tried.sync_attempts == 4  # 10 s x 2^3, with jitter
    assert (
        before + timedelta(seconds=40)
        <= tried.sync_retry_at
        <= timezone.now() + timedelta(seconds=80)
    )
    assert fresh.sync_add_uncertain and tried.sync_add_uncertain  # a 502 may have landed
    assert (last.sync_status, last.sync_retry_at) == (Sync.FAILED, None)
    assert last.sync_error.startswith("Gave up after 8 attempts.")


def test_backfill_leaves_rows_a_single_sync_is_working_on(zoom, event):
    rows = RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    cache.add(f"wagtail_webinars:sync:{rows[0].pk}", "single-sync-worker", 300)
    zoom.accepts_batches()
    assert sync.backfill_event(event.pk) == 2
    (body,) = zoom.bodies("POST", "batch_registrants")
    assert {p["email"] for p in body["registrants"]} == {rows[1].email, rows[2].email}
    held = Registration.objects.get(pk=rows[0].pk)
    # Untouched: its own sync adds it (and would not find an add "in flight" to look up).
    assert (held.sync_add_uncertain, held.provider_registrant_id) == (False, "")


def test_a_single_sync_keeps_away_from_a_batch_in_flight(zoom, event):
    rows = RegistrationFactory.create_batch(2, page=event, sync_status=Sync.PENDING)
    meanwhile = []

    def batch(request):
        # The sweeper queued a single sync of a row this batch is adding.
        meanwhile.append(sync.sync_registration(rows[0].pk))
        people = json.loads(request.body)["registrants"]
        answered = [
            {"email": p["email"], "join_url": f"https://z/w/{n}", "registrant_id": f"b{n}"}
            for n, p in enumerate(people)
        ]
        return 201, {}, json.dumps({"registrants": answered})

    zoom.callback("POST", f"/meetings/{MEETING_ID}/batch_registrants", batch)
    assert sync.backfill_event(event.pk) == 2
    # Without the lock it would see the add mark, list registrants, find nobody yet
    # and add the person a second time.
    assert meanwhile == ["busy"]
    assert zoom.describe() == [BATCH]
    assert statuses(event) == {Sync.SYNCED}


def test_after_a_lost_batch_one_listing_settles_every_row(zoom, event, commit):
    rows = RegistrationFactory.create_batch(30, page=event, sync_status=Sync.PENDING)
    zoom.error("POST", f"/meetings/{MEETING_ID}/batch_registrants", 504, None, "Gateway timeout")
    sync.backfill_event(event.pk)
    assert Registration.objects.filter(page=event, sync_add_uncertain=True).count() == 30
    # The batch did land for 20 of them before the gateway gave up.
    landed = {r.email: f"landed{n}" for n, r in enumerate(rows[:20])}
    zoom.lists_registrants(
        {"approved": [[listed_registrant(email, rid) for email, rid in landed.items()]]}
    )
    zoom.accepts_batches()
    zoom.accepts_registrants()
    seen = len(zoom.api_calls)
    due = max(Registration.objects.filter(page=event).values_list("sync_retry_at", flat=True))
    with commit():
        sync.sync_sweep(now=due + timedelta(seconds=1))
    calls = zoom.describe()[seen:]
    # One pass over the list (approved, pending, cancelled), not one per registration;
    # the 10 that never landed go in one batch.
    assert calls == [LIST, LIST, LIST, BATCH], calls
    assert len(zoom.bodies("POST", "batch_registrants")[-1]["registrants"]) == 10
    assert statuses(event) == {Sync.SYNCED}
    for row in Registration.objects.filter(email__in=landed):
        assert row.provider_registrant_id == landed[row.email]
        assert row.provider_meeting_id == MEETING_ID


def test_backfill_settles_a_cancelled_row_whose_add_landed(zoom, event, commit):
    row = pending_row(event, status=Registration.Status.CANCELLED, sync_add_uncertain=True)
    other = pending_row(event, sync_add_uncertain=True)
    zoom.lists_registrants(
        {"approved": [[listed_registrant(row.email, "r1"), listed_registrant(other.email, "r2")]]}
    )
    zoom.accepts_status()
    with commit():
        sync.backfill_event(event.pk)
    assert zoom.describe() == [LIST, STATUS]
    assert zoom.bodies("PUT") == [
        {"action": "cancel", "registrants": [{"id": "r1", "email": row.email}]}
    ]
    row.refresh_from_db()
    assert (row.provider_status, row.sync_status) == ("cancelled", Sync.SYNCED)


def test_backfill_of_an_email_zoom_has_cancelled_ends_approved_with_a_personal_link(
    zoom, event, commit
):
    kept = KeptRegistrants(zoom)
    kept.people["ada@example.org"] = {"id": "kr0009", "status": "denied"}
    old = pending_row(event, email="ada@example.org")
    new = pending_row(event, email="bob@example.org")
    with commit():
        sync.backfill_event(event.pk)
    old.refresh_from_db()
    new.refresh_from_db()
    assert kept.status_of("ada@example.org") == kept.status_of("bob@example.org") == "approved"
    for row in (old, new):
        assert row.sync_status == Sync.SYNCED
        assert row.provider_status == "approved"
        assert row.provider_join_url == kept.join_url(row.provider_registrant_id)
