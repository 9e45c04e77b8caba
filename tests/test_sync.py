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
    registrant_payload,
    timeout,
)
from wagtail_webinars import jobs, schedules, sync, tasks
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration

Sync = Registration.SyncStatus
ADD = f"POST /meetings/{MEETING_ID}/registrants"
STATUS = f"PUT /meetings/{MEETING_ID}/registrants/status"
BATCH = f"POST /meetings/{MEETING_ID}/batch_registrants"
LIST = f"GET /meetings/{MEETING_ID}/registrants"
#: The meeting an event is moved to.
NEW_ID = "89999999999"
NEW_ADD = f"POST /meetings/{NEW_ID}/registrants"
NEW_BATCH = f"POST /meetings/{NEW_ID}/batch_registrants"


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
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
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


def synced_row(event, registrant_id: str, meeting_id: str = MEETING_ID, **fields):
    """A registration Zoom has as ``registrant_id`` on ``meeting_id``."""
    values = {
        "sync_status": Sync.SYNCED,
        "provider_registrant_id": registrant_id,
        "provider_status": "approved",
        "provider_meeting_id": meeting_id,
        "provider_join_url": f"https://zoom.test/w/{meeting_id}?tk={registrant_id}",
        **fields,
    }
    return RegistrationFactory(page=event, **values)


def moved(event, meeting_id: str) -> EventPage:
    """The event (fresh from the database) pointed at another meeting, not saved."""
    event = EventPage.objects.get(pk=event.pk)
    event.location = [("zoom_meeting", {"meeting_id": meeting_id, "join_url": "", "password": ""})]
    return event


def statuses(event) -> set[str]:
    return set(Registration.objects.filter(page=event).values_list("sync_status", flat=True))


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
    # The registrant ID means something only on this meeting.
    assert registration.provider_meeting_id == MEETING_ID
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


def test_meeting_changed_forgets_old_registrants(zoom, event, queued, commit):
    old = {"provider_meeting_id": "80000000000", "sync_status": Sync.SYNCED}
    active = RegistrationFactory(
        page=event, provider_registrant_id="old1", provider_status="approved", **old
    )
    gone = RegistrationFactory(
        page=event,
        status=Registration.Status.CANCELLED,
        provider_registrant_id="old2",
        provider_status="cancelled",
        **old,
    )
    refused = RegistrationFactory(page=event, sync_status=Sync.FAILED, sync_attempts=1)
    here = RegistrationFactory(
        page=event,
        provider_registrant_id="new1",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
        sync_status=Sync.SYNCED,
    )
    with commit():
        assert sync.meeting_changed(event.pk, MEETING_ID) == 2
    active.refresh_from_db()
    gone.refresh_from_db()
    refused.refresh_from_db()
    here.refresh_from_db()
    assert (active.provider_registrant_id, active.provider_join_url) == ("", "")
    assert (active.provider_meeting_id, active.sync_status) == ("", Sync.PENDING)
    assert (gone.provider_registrant_id, gone.sync_status) == ("", Sync.SYNCED)
    # Refused by the old meeting: the new one gets its own chance.
    assert (refused.sync_status, refused.sync_attempts) == (Sync.PENDING, 0)
    assert (here.provider_registrant_id, here.sync_status) == ("new1", Sync.SYNCED)
    assert sync.has_never_pushed(event.pk, MEETING_ID)
    assert queued == []  # the caller queues the backfill
    # Nothing held for another meeting: nothing to do.
    assert sync.meeting_changed(event.pk, MEETING_ID) == 0


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


# -- the event moves to another meeting -----------------------------------------------------
def test_next_step_ignores_a_registrant_of_another_meeting():
    r = Registration(
        status="registered",
        provider_registrant_id="x",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
    )
    assert sync.next_step(r, MEETING_ID) is None
    assert sync.next_step(r, NEW_ID) == sync.ADD
    r.sync_add_uncertain = True
    assert sync.next_step(r, NEW_ID) == sync.LOOKUP
    r.sync_add_uncertain, r.status = False, "cancelled"
    assert sync.next_step(r, MEETING_ID) == sync.CANCEL
    assert sync.next_step(r, NEW_ID) is None  # the new meeting never had them
    # Stored before meetings were recorded: taken as the current meeting's.
    r.status, r.provider_meeting_id = "registered", ""
    assert sync.next_step(r, NEW_ID) is None


def test_going_live_without_the_editor_moves_registrants_to_the_new_meeting(zoom, event, commit):
    # A workflow approval, a scheduled go-live or code: no admin hook runs.
    ada = synced_row(event, "regA")
    bob = synced_row(event, "regB")
    gone = synced_row(
        event, "regC", status=Registration.Status.CANCELLED, provider_status="cancelled"
    )
    zoom.meeting(NEW_ID, join_url=f"https://zoom.test/j/{NEW_ID}")
    zoom.accepts_batches(NEW_ID)
    with commit():
        moved(event, NEW_ID).save_revision().publish()
    assert sorted(zoom.describe()) == sorted([NEW_BATCH, f"GET /meetings/{NEW_ID}"])
    (body,) = zoom.bodies("POST", "batch_registrants")
    assert {p["email"] for p in body["registrants"]} == {ada.email, bob.email}
    for row in (ada, bob):
        row.refresh_from_db()
        assert row.sync_status == Sync.SYNCED
        assert row.provider_meeting_id == NEW_ID
        assert row.provider_registrant_id not in ("regA", "regB", "")
        assert NEW_ID in row.provider_join_url
    gone.refresh_from_db()
    assert (gone.sync_status, gone.provider_registrant_id) == (Sync.SYNCED, "")
    # And the join link of the live page was read from Zoom for the new meeting.
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == f"https://zoom.test/j/{NEW_ID}"
    assert live.provider_config["id"] == NEW_ID


def test_registrants_stored_before_meetings_were_recorded_move_too(zoom, event):
    event.provider_config = {"id": MEETING_ID}
    event.save_revision().publish()
    reg = synced_row(event, "regA", meeting_id="")
    moved(event, NEW_ID).save_revision().publish()
    zoom.accepts_registrants(NEW_ID)
    assert sync.sync_registration(reg.pk) == "synced"
    reg.refresh_from_db()
    assert zoom.describe() == [NEW_ADD]
    assert (reg.provider_registrant_id, reg.provider_meeting_id) == ("reg0001", NEW_ID)


def test_an_add_in_flight_when_the_event_moves_is_not_kept(zoom, event):
    registration = pending_row(event)
    zoom.accepts_registrants(NEW_ID)

    def add_while_the_event_moves(request):
        moved(event, NEW_ID).save_revision().publish()
        answer = registrant_payload("meetings", MEETING_ID, "old1", "https://z/old")
        return 201, {}, json.dumps(answer)

    zoom.callback("POST", f"/meetings/{MEETING_ID}/registrants", add_while_the_event_moves)
    assert sync.sync_registration(registration.pk) == "synced"
    registration.refresh_from_db()
    assert zoom.describe() == [ADD, NEW_ADD]
    assert registration.provider_registrant_id == "reg0001"
    assert registration.provider_meeting_id == NEW_ID
    assert not registration.sync_add_uncertain


def test_a_batch_in_flight_when_the_event_moves_is_pushed_again(zoom, event, commit):
    RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    zoom.meeting(NEW_ID)
    zoom.accepts_batches(NEW_ID)

    def batch_while_the_event_moves(request):
        moved(event, NEW_ID).save_revision().publish()
        people = json.loads(request.body)["registrants"]
        answered = [
            {"email": p["email"], "join_url": "https://z/old", "registrant_id": f"old{n}"}
            for n, p in enumerate(people)
        ]
        return 201, {}, json.dumps({"registrants": answered})

    zoom.callback("POST", f"/meetings/{MEETING_ID}/batch_registrants", batch_while_the_event_moves)
    with commit():
        assert sync.backfill_event(event.pk) == 0
    assert BATCH in zoom.describe() and NEW_BATCH in zoom.describe()
    rows = Registration.objects.filter(page=event)
    assert statuses(event) == {Sync.SYNCED}
    assert set(rows.values_list("provider_meeting_id", flat=True)) == {NEW_ID}
    assert not rows.filter(provider_registrant_id__startswith="old").exists()


def test_personal_link_into_a_meeting_the_event_left_is_not_offered(event):
    row = synced_row(event, "regA", meeting_id="80000000000")
    assert event.provider.join_info(row).url != row.provider_join_url


# -- cancelling where nothing is left to cancel ------------------------------------------------
@pytest.mark.parametrize(
    "status,code,message",
    [
        (404, 3001, "Meeting does not exist: 81234567890."),
        (400, 3038, "Meeting is over, you can not register now."),
        (400, 3000, "Registrant reg1 was not found."),
    ],
)
def test_cancel_with_nothing_left_to_cancel_is_done(zoom, event, status, code, message):
    row = synced_row(event, "reg1", sync_status=Sync.PENDING, status=Registration.Status.CANCELLED)
    zoom.error("PUT", f"/meetings/{MEETING_ID}/registrants/status", status, code, message)
    assert sync.sync_registration(row.pk) == "synced"
    row.refresh_from_db()
    assert (row.provider_status, row.sync_status, row.sync_error) == ("cancelled", Sync.SYNCED, "")
    assert zoom.describe() == [STATUS]  # no webinar-path guess for a missing registrant


def test_reapproval_of_a_registrant_of_a_deleted_meeting_fails_with_reason(zoom, event):
    row = synced_row(event, "reg1", sync_status=Sync.PENDING, provider_status="cancelled")
    zoom.error(
        "PUT", f"/meetings/{MEETING_ID}/registrants/status", 404, 3001, "Meeting does not exist."
    )
    assert sync.sync_registration(row.pk) == "failed"
    row.refresh_from_db()
    assert "Zoom has no meeting with ID" in row.sync_error


def test_mark_synced_and_mark_sync_pending_agree():
    row = Registration(sync_status=Sync.FAILED, sync_error="x", sync_attempts=3)
    fields = row.mark_synced()
    assert (row.sync_status, row.sync_error, row.sync_attempts) == (Sync.SYNCED, "", 0)
    assert row.synced_at is not None and row.sync_retry_at is None
    assert set(row.mark_sync_pending()) <= set(fields)
    assert row.sync_status == Sync.PENDING


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
