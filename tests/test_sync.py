"""Registrant sync: push, cancel, re-approve, retries, errors, races, backfill, sweeper."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import (
    MEETING_ID,
    WEBINAR_ID,
    FakeZoom,
    listed_registrant,
    timeout,
)
from wagtail_webinars import registration as service
from wagtail_webinars import schedules, sync, tasks
from wagtail_webinars.models import Registration

Sync = Registration.SyncStatus
ADD = f"POST /meetings/{MEETING_ID}/registrants"
STATUS = f"PUT /meetings/{MEETING_ID}/registrants/status"
BATCH = f"POST /meetings/{MEETING_ID}/batch_registrants"


@pytest.fixture
def zoom():
    with FakeZoom.running() as fake:
        yield fake


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what would run after the transaction commits (tasks run inline in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued(monkeypatch):
    """Record enqueued tasks instead of running them."""
    calls = []
    monkeypatch.setattr(tasks, "enqueue", lambda func, *args, **kw: calls.append((func, args)))
    return calls


def register(event, commit, email="ada@example.org", **kw) -> Registration:
    with commit():
        result = service.register(
            event,
            email=email,
            first_name=kw.get("first_name", "Ada"),
            last_name=kw.get("last_name", "Lovelace"),
        )
    return Registration.objects.get(pk=result.registration.pk)


def cancel(registration, commit) -> Registration:
    with commit():
        service.cancel(registration)
    return Registration.objects.get(pk=registration.pk)


def pending_row(event, **fields) -> Registration:
    return RegistrationFactory(page=event, **{"sync_status": Sync.PENDING, **fields})


# -- the happy paths --------------------------------------------------------------------
def test_push_after_commit_stores_registrant_and_personal_link(zoom, event, commit):
    zoom.accepts_registrants()
    with commit() as callbacks:
        result = service.register(
            event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
        )
        # Nothing reaches Zoom before the transaction commits.
        assert zoom.api_calls == []
    assert callbacks
    registration = Registration.objects.get(pk=result.registration.pk)
    assert zoom.describe() == [ADD]
    assert registration.sync_status == Sync.SYNCED
    assert registration.provider_registrant_id == "reg0001"
    assert registration.provider_join_url == f"https://zoom.test/w/{MEETING_ID}?tk=reg0001"
    assert registration.provider_status == "approved"
    assert registration.synced_at is not None
    assert not registration.sync_add_uncertain
    assert registration.sync_error == ""


def test_webinar_push_uses_webinar_path(zoom, make_event, commit):
    webinar = make_event(kind="zoom_webinar")
    zoom.accepts_registrants(WEBINAR_ID, resource="webinars")
    registration = register(webinar, commit)
    assert registration.sync_status == Sync.SYNCED
    assert zoom.describe() == [f"POST /webinars/{WEBINAR_ID}/registrants"]


def test_sync_is_idempotent(zoom, event, commit):
    zoom.accepts_registrants()
    registration = register(event, commit)
    synced_at = registration.synced_at
    assert sync.sync_registration(registration.pk) == "synced"
    assert sync.sync_registration(registration.pk) == "synced"
    assert zoom.describe() == [ADD]
    assert Registration.objects.get(pk=registration.pk).synced_at == synced_at


def test_duplicate_registration_pushes_once(zoom, event, commit):
    zoom.accepts_registrants()
    register(event, commit)
    register(event, commit)  # "already registered": nothing to sync
    assert zoom.describe() == [ADD]


def test_cancel_marks_the_registrant_cancelled(zoom, event, commit):
    zoom.accepts_registrants()
    zoom.accepts_status()
    registration = cancel(register(event, commit), commit)
    assert zoom.describe() == [ADD, STATUS]
    assert zoom.bodies("PUT") == [
        {"action": "cancel", "registrants": [{"id": "reg0001", "email": "ada@example.org"}]}
    ]
    assert registration.provider_status == "cancelled"
    assert registration.sync_status == Sync.SYNCED


def test_returning_registrant_is_reapproved_not_added_again(zoom, event, commit):
    zoom.accepts_registrants()
    zoom.accepts_status()
    registration = cancel(register(event, commit), commit)
    again = register(event, commit)
    assert again.pk == registration.pk
    assert zoom.describe() == [ADD, STATUS, STATUS]
    assert [b["action"] for b in zoom.bodies("PUT")] == ["cancel", "approve"]
    assert zoom.bodies("PUT")[1]["registrants"] == [{"id": "reg0001", "email": "ada@example.org"}]
    assert again.provider_registrant_id == "reg0001"
    assert again.provider_status == "approved"
    assert again.sync_status == Sync.SYNCED
    assert len(zoom.calls_to("POST", "/registrants")) == 1


def test_cancel_before_any_push_needs_no_zoom_call(zoom, event, commit):
    registration = pending_row(event, status=Registration.Status.CANCELLED)
    assert sync.sync_registration(registration.pk) == "synced"
    assert zoom.api_calls == []


def test_cancel_racing_a_push_ends_cancelled_in_zoom(zoom, event, commit):
    zoom.accepts_status()
    registration = pending_row(event)

    def add_while_someone_cancels(request):
        # The visitor cancels while our add is on the wire.
        service.cancel(Registration.objects.get(pk=registration.pk))
        answer = {"id": int(MEETING_ID), "registrant_id": "reg1", "join_url": "https://z/w/1"}
        return 201, {}, json.dumps(answer)

    zoom.callback("POST", f"/meetings/{MEETING_ID}/registrants", add_while_someone_cancels)
    assert sync.sync_registration(registration.pk) == "synced"
    registration.refresh_from_db()
    assert zoom.describe() == [ADD, STATUS]
    assert zoom.bodies("PUT")[0]["action"] == "cancel"
    assert registration.status == Registration.Status.CANCELLED
    assert registration.provider_status == "cancelled"
    assert registration.provider_registrant_id == "reg1"
    assert registration.sync_status == Sync.SYNCED


def test_reregistration_racing_a_cancel_ends_approved(zoom, event, commit):
    registration = pending_row(
        event,
        status=Registration.Status.CANCELLED,
        provider_registrant_id="reg1",
        provider_status="approved",
    )

    def cancel_while_they_come_back(request):
        row = Registration.objects.get(pk=registration.pk)
        if json.loads(request.body)["action"] == "cancel":
            service.register(
                row.page.specific, email=row.email, first_name="Pat", last_name="Again"
            )
        return 204, {}, ""

    zoom.callback("PUT", f"/meetings/{MEETING_ID}/registrants/status", cancel_while_they_come_back)
    sync.sync_registration(registration.pk)
    registration.refresh_from_db()
    assert [b["action"] for b in zoom.bodies("PUT")] == ["cancel", "approve"]
    assert registration.provider_status == "approved"
    assert registration.sync_status == Sync.SYNCED


def test_a_concurrent_run_backs_off_and_leaves_the_row_for_the_sweeper(zoom, event):
    registration = pending_row(event)
    cache.add(f"wagtail_webinars:sync:{registration.pk}", "other-worker", 300)
    assert sync.sync_registration(registration.pk) == "busy"
    registration.refresh_from_db()
    assert zoom.api_calls == []
    assert registration.sync_status == Sync.PENDING
    assert registration.sync_retry_at is not None


# -- adds whose answer we never saw ------------------------------------------------------
def test_timed_out_add_is_looked_up_before_adding_again(zoom, event, commit):
    zoom.raise_("POST", f"/meetings/{MEETING_ID}/registrants", timeout())
    registration = register(event, commit)
    assert registration.sync_status == Sync.PENDING
    assert registration.sync_add_uncertain
    assert registration.sync_retry_at is not None
    assert "could not be reached" in registration.sync_error

    # It did land in Zoom: the next run finds it by listing and never adds again.
    zoom.lists_registrants({"approved": [[listed_registrant("ada@example.org", "landed1")]]})
    assert sync.sync_registration(registration.pk) == "synced"
    registration.refresh_from_db()
    assert registration.provider_registrant_id == "landed1"
    assert not registration.sync_add_uncertain
    assert len(zoom.calls_to("POST", "/registrants")) == 1


def test_timed_out_add_that_never_landed_is_added_once(zoom, event, commit):
    zoom.raise_("POST", f"/meetings/{MEETING_ID}/registrants", timeout())
    registration = register(event, commit)
    zoom.lists_registrants({})
    zoom.accepts_registrants()
    assert sync.sync_registration(registration.pk) == "synced"
    assert zoom.describe()[-4:] == [
        f"GET /meetings/{MEETING_ID}/registrants",
        f"GET /meetings/{MEETING_ID}/registrants",
        f"GET /meetings/{MEETING_ID}/registrants",
        ADD,
    ]
    assert len(zoom.calls_to("POST", "/registrants")) == 2  # the lost one, then this one


def test_worker_dying_mid_add_is_remembered(zoom, event):
    # The write-ahead mark stays set if the process dies during the call.
    registration = pending_row(event, sync_add_uncertain=True)
    zoom.lists_registrants({"approved": [[listed_registrant("x@example.org", "r9")]]})
    zoom.accepts_registrants()
    sync.sync_registration(registration.pk)
    assert zoom.describe()[0] == f"GET /meetings/{MEETING_ID}/registrants"


def test_a_429_on_add_means_nothing_landed(zoom, event, commit):
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/registrants",
        429,
        429,
        "You have reached the maximum per-second rate limit for this API.",
        headers={"Retry-After": "120"},
    )
    before = timezone.now()
    registration = register(event, commit)
    assert registration.sync_status == Sync.PENDING
    assert not registration.sync_add_uncertain
    # Retry-After honoured (plus a little jitter), never sooner.
    assert before + timedelta(seconds=120) <= registration.sync_retry_at
    assert registration.sync_retry_at <= timezone.now() + timedelta(seconds=151)


def test_daily_limit_429_waits_until_zoom_resets(zoom, event, commit):
    reset = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/registrants",
        429,
        429,
        "You have exceeded the daily rate limit.",
        headers={
            "Retry-After": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "X-RateLimit-Type": "Daily-limit",
        },
    )
    registration = register(event, commit)
    assert registration.sync_retry_at >= reset - timedelta(seconds=1)


# -- backoff ------------------------------------------------------------------------------
def test_exponential_backoff_with_jitter_then_failed(zoom, event, settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "SYNC_MAX_ATTEMPTS": 4,
        "SYNC_BACKOFF_SECONDS": 10,
    }
    zoom.error("POST", f"/meetings/{MEETING_ID}/registrants", 503, None, "Service unavailable")
    registration = pending_row(event)
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert sync.sync_registration(registration.pk) == "pending"
        registration.refresh_from_db()
        delay = 10 * 2 ** (attempt - 1)
        assert registration.sync_attempts == attempt
        assert before + timedelta(seconds=delay / 2) <= registration.sync_retry_at
        assert registration.sync_retry_at <= timezone.now() + timedelta(seconds=delay)
        assert registration.sync_add_uncertain  # a 503 may have landed
        zoom.lists_registrants({})
    assert sync.sync_registration(registration.pk) == "failed"
    registration.refresh_from_db()
    assert registration.sync_status == Sync.FAILED
    assert registration.sync_retry_at is None
    assert registration.sync_error.startswith("Gave up after 4 attempts.")


def test_retry_delay_bounds(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "SYNC_BACKOFF_SECONDS": 30,
        "SYNC_BACKOFF_MAX_SECONDS": 600,
    }
    assert sync.retry_delay(1, rand=lambda: 0.0) == 15
    assert sync.retry_delay(1, rand=lambda: 1.0) == 30
    assert sync.retry_delay(3, rand=lambda: 1.0) == 120
    assert sync.retry_delay(20, rand=lambda: 1.0) == 600  # capped
    assert sync.retry_delay(2, retry_after=90, rand=lambda: 0.0) == 90
    assert 90 <= sync.retry_delay(2, retry_after=90) <= 120


# -- errors staff can act on -----------------------------------------------------------
@pytest.mark.parametrize(
    "status,code,message,phrase",
    [
        (400, 3027, "Host cannot register", "host of this Zoom meeting cannot also register"),
        (
            404,
            404,
            "Registration has not been enabled for this meeting: 81234567890.",
            "Registration is not turned on",
        ),
        (404, 3001, "Meeting does not exist: 81234567890.", "Zoom has no meeting with ID"),
        (
            401,
            4700,
            "Invalid access token, does not contain scopes: [meeting:write:admin]",
            "missing a permission (scope)",
        ),
        (401, 124, "Invalid access token.", "rejected this site's credentials"),
        (400, 300, "Validation Failed.", "did not accept this person's details"),
    ],
)
def test_permanent_errors_fail_with_a_reason(zoom, event, commit, status, code, message, phrase):
    zoom.error("POST", f"/meetings/{MEETING_ID}/registrants", status, code, message)
    registration = register(event, commit)
    assert registration.sync_status == Sync.FAILED
    assert phrase in registration.sync_error
    assert registration.sync_attempts == 1
    assert registration.sync_retry_at is None
    assert not registration.sync_add_uncertain
    if status != 401:
        assert len(zoom.calls_to("POST", "/registrants")) == 1


def test_webinar_without_registration_fails_with_reason(zoom, make_event, commit):
    webinar = make_event(kind="zoom_webinar")
    zoom.error(
        "POST",
        f"/webinars/{WEBINAR_ID}/registrants",
        400,
        3000,
        "Webinar does not have registration as required.",
    )
    registration = register(webinar, commit)
    assert registration.sync_status == Sync.FAILED
    assert "Registration is not turned on for this Zoom webinar" in registration.sync_error


def test_rejected_credentials_fail_with_reason(zoom, event, commit):
    zoom.token_error(401)
    registration = register(event, commit)
    assert registration.sync_status == Sync.FAILED
    assert "rejected this site's credentials" in registration.sync_error
    assert zoom.api_calls == []


def test_missing_credentials_fail_with_the_setting_names(
    zoom, event, commit, settings, monkeypatch
):
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings.WAGTAIL_WEBINARS = {
        k: v for k, v in settings.WAGTAIL_WEBINARS.items() if not k.startswith("ZOOM_C")
    }
    registration = register(event, commit)
    assert registration.sync_status == Sync.FAILED
    assert "ZOOM_CLIENT_ID" in registration.sync_error
    assert "ZOOM_CLIENT_SECRET" in registration.sync_error
    assert len(zoom.mock.calls) == 0


def test_email_held_by_another_registration_fails_with_reason(zoom, event, make_event, commit):
    # Another event on the same Zoom meeting already holds this person's registrant.
    other = make_event(kind="zoom_meeting")
    RegistrationFactory(
        page=other,
        email="ada@example.org",
        provider_registrant_id="reg0001",
        sync_status=Sync.SYNCED,
    )
    zoom.accepts_registrants()
    zoom.registrants["ada@example.org"] = "reg0001"
    registration = register(event, commit)
    assert registration.sync_status == Sync.FAILED
    assert "already has this email address" in registration.sync_error
    assert registration.provider_registrant_id == ""


def test_secrets_never_reach_the_sync_error_or_logs(zoom, event, commit, caplog):
    caplog.set_level("DEBUG")
    zoom.error("POST", f"/meetings/{MEETING_ID}/registrants", 401, 124, "Invalid access token.")
    registration = register(event, commit, email="private.person@example.org")
    assert "test-secret-value" not in registration.sync_error
    assert "test-secret-value" not in caplog.text
    assert "access-token-123" not in caplog.text + registration.sync_error
    # Registrants' addresses stay out of the log lines we write.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("wagtail_webinars")]
    assert ours and not any("private.person" in line for line in ours)


def test_unmanaged_switch_marks_not_applicable(zoom, event):
    registration = pending_row(event)
    event.location = [("vimeo", {"join_url": "https://vimeo.com/event/1"})]
    event.save_revision().publish()
    assert sync.sync_registration(registration.pk) == "not_applicable"
    assert zoom.api_calls == []


# -- staff retry -------------------------------------------------------------------------
def test_retry_registration(zoom, event, commit):
    zoom.error("POST", f"/meetings/{MEETING_ID}/registrants", 400, 3027, "Host cannot register")
    registration = register(event, commit, email="host@example.edu")
    assert registration.sync_status == Sync.FAILED
    zoom.accepts_registrants()  # say the host changed in Zoom
    with commit():
        assert sync.retry_registration(registration)
    registration.refresh_from_db()
    assert registration.sync_status == Sync.SYNCED
    assert not sync.retry_registration(registration)  # nothing failed now


def test_failed_rows_are_left_alone_until_staff_retry(zoom, event):
    registration = pending_row(event, sync_status=Sync.FAILED)
    assert sync.sync_registration(registration.pk) == "failed"
    assert zoom.api_calls == []


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


# -- backfill ------------------------------------------------------------------------------
def test_backfill_300_registrations_in_10_batch_calls(zoom, event, django_assert_max_num_queries):
    zoom.accepts_batches()
    # Made before the Zoom ID was set: "not applicable" then.
    rows = RegistrationFactory.create_batch(300, page=event, sync_status=Sync.NOT_APPLICABLE)
    with django_assert_max_num_queries(10 * 9 + 10):
        assert sync.backfill_event(event.pk) == 300
    assert zoom.describe() == [BATCH] * 10
    assert all(len(b["registrants"]) <= 30 for b in zoom.bodies("POST", "batch_registrants"))
    assert len(zoom.token_calls) == 1
    stored = Registration.objects.filter(pk__in=[r.pk for r in rows])
    assert set(stored.values_list("sync_status", flat=True)) == {Sync.SYNCED}
    assert stored.exclude(provider_registrant_id="").count() == 300
    assert stored.filter(sync_add_uncertain=True).count() == 0
    assert len(set(stored.values_list("provider_registrant_id", flat=True))) == 300


def test_backfill_queries_do_not_grow_per_row(zoom, event, django_assert_max_num_queries):
    zoom.accepts_batches()
    RegistrationFactory.create_batch(30, page=event, sync_status=Sync.PENDING)
    with django_assert_max_num_queries(16):
        sync.backfill_event(event.pk)


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
    RegistrationFactory(page=event, sync_status=Sync.PENDING, status=Registration.Status.CANCELLED)
    RegistrationFactory(page=event, sync_status=Sync.FAILED)
    RegistrationFactory(page=event, sync_status=Sync.SYNCED, provider_registrant_id="r1")
    RegistrationFactory(page=event, sync_status=Sync.PENDING, sync_add_uncertain=True)
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


def test_meeting_changed_forgets_old_registrants(zoom, event, queued, commit):
    active = RegistrationFactory(
        page=event,
        sync_status=Sync.SYNCED,
        provider_registrant_id="old1",
        provider_status="approved",
    )
    gone = RegistrationFactory(
        page=event,
        status=Registration.Status.CANCELLED,
        sync_status=Sync.SYNCED,
        provider_registrant_id="old2",
        provider_status="cancelled",
    )
    with commit():
        assert sync.meeting_changed(event.pk) == 1
    active.refresh_from_db()
    gone.refresh_from_db()
    assert (active.provider_registrant_id, active.sync_status) == ("", Sync.PENDING)
    assert (gone.provider_registrant_id, gone.sync_status) == ("", Sync.SYNCED)
    assert sync.has_never_pushed(event.pk)


# -- sweeper ---------------------------------------------------------------------------------
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


def test_next_step():
    r = Registration(status="registered")
    assert sync.next_step(r) == sync.ADD
    r.sync_add_uncertain = True
    assert sync.next_step(r) == sync.LOOKUP
    r.provider_registrant_id, r.provider_status = "x", "approved"
    assert sync.next_step(r) is None
    r.provider_status = "cancelled"
    assert sync.next_step(r) == sync.APPROVE
    r.status = "cancelled"
    assert sync.next_step(r) is None
    r.provider_status = "approved"
    assert sync.next_step(r) == sync.CANCEL
