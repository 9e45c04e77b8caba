"""Sync, syncing one registration: push, cancel, re-approve, lookups, retries, errors, races."""

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
    KeptRegistrants,
    listed_registrant,
    timeout,
)
from tests.sync.helpers import (
    ADD,
    STATUS,
    Sync,
    cancel,
    pending_row,
    register,
    synced_row,
)
from wagtail_webinars import registration as service
from wagtail_webinars import sync
from wagtail_webinars.models import Registration


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
        provider_join_url=f"https://zoom.test/w/{MEETING_ID}?tk=reg1",
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


# -- Zoom answers with a registrant who is not approved ---------------------------------------
def test_re_adding_an_email_zoom_has_cancelled_ends_approved_with_a_personal_link(
    zoom, event, commit
):
    # Deleted in the admin (cancelled in Zoom), then registered again: Zoom answers the
    # add with the old registrant, still cancelled, and no join_url.
    kept = KeptRegistrants(zoom)
    kept.people["ada@example.org"] = {"id": "kr0009", "status": "denied"}
    registration = register(event, commit)
    assert kept.status_of("ada@example.org") == "approved"
    assert registration.provider_registrant_id == "kr0009"
    assert registration.provider_status == "approved"
    assert registration.provider_join_url == kept.join_url("kr0009")
    assert registration.sync_status == Sync.SYNCED
    assert [b["action"] for b in zoom.bodies("PUT")] == ["approve"]


def test_manual_approval_in_zoom_ends_approved_with_a_personal_link(zoom, make_event, commit):
    event = make_event(kind="zoom_webinar")
    kept = KeptRegistrants(zoom, WEBINAR_ID, "webinars")
    kept.approval_type = 1
    registration = register(event, commit)
    assert kept.status_of("ada@example.org") == "approved"
    assert registration.provider_join_url == kept.join_url(registration.provider_registrant_id)
    assert registration.sync_status == Sync.SYNCED


def test_never_synced_while_zoom_has_them_pending(zoom, make_event, commit):
    event = make_event(kind="zoom_webinar")
    kept = KeptRegistrants(zoom, WEBINAR_ID, "webinars")
    kept.approval_type = 1
    kept.faults = [("status", "500")] * 8
    registration = register(event, commit)
    assert kept.status_of("ada@example.org") == "pending"
    assert registration.sync_status == Sync.PENDING
    # The approve may have landed (a 500): read before anything else on the next run.
    assert registration.provider_status == "unknown"
    assert registration.provider_join_url == ""
