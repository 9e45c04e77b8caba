"""Every Zoom call the product makes, under every kind of fault: a table of call x fault.

The calls: add, batch add, status update (cancel and re-approve), registrant GET,
registrant list (the lookup after a lost add), the token, the meeting GET (refresh
from Zoom) and the participant report with its past instances (check-in). The
faults: 500, connection reset, read timeout after Zoom did the work ("lost"), 429
with Retry-After, an expired token (401 code 124), an answer that is not JSON, and
for reports "not ready yet".

For each: while failing, the reason is on the row for staff and the retry waits at
least Zoom's Retry-After; an expired token costs exactly one new token and the call
goes through in the same run; once Zoom behaves, nothing is lost or duplicated and
Zoom's state equals ours (tests/sync/test_agreement.py runs random sequences of the
same faults).
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
import requests
from django.utils import timezone

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import (
    MEETING_ID,
    OAUTH,
    KeptRegistrants,
    meeting_payload,
    participant_payload,
)
from wagtail_webinars import checkin, event_details, sync
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, ParticipantPull, Registration
from wagtail_webinars.providers.zoom.reports import encode_uuid

Sync = Registration.SyncStatus
RETRY_AFTER = 90
FAULTS = ["500", "reset", "lost", "429", "401", "malformed"]
SYNC_CALLS = ["add", "batch", "cancel", "approve", "get", "list"]
EMAILS = ["ada@example.org", "bob@example.org", "cy@example.org"]


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


@pytest.fixture
def kept(zoom):
    kept = KeptRegistrants(zoom)
    kept.retry_after = RETRY_AFTER
    return kept


def _register(event, commit, email, **kwargs):
    with commit():
        service.register(event, email=email, first_name="Pat", last_name="Person", **kwargs)


def _row(event, email="ada@example.org") -> Registration:
    return Registration.objects.get(page=event, email=email)


def _sweep(event, commit) -> None:
    """The sync sweeper once everything waiting is due."""
    Registration.objects.filter(page=event, sync_status=Sync.PENDING).update(
        sync_retry_at=timezone.now() - timedelta(seconds=1)
    )
    with commit():
        sync.sync_sweep()


def _scenario(call, kind, event, kept, commit):
    """Set up ``call`` to meet ``kind``, make it, and return the emails involved."""
    if call == "add":
        kept.faults = [("add", kind)]
        _register(event, commit, "ada@example.org")
        return ["ada@example.org"]
    if call == "batch":
        for email in EMAILS:
            RegistrationFactory(page=event, email=email, sync_status=Sync.PENDING)
        kept.faults = [("batch", kind)]
        with commit():
            sync.backfill_event(event.pk)
        return EMAILS
    if call == "cancel":
        _register(event, commit, "ada@example.org")
        kept.faults = [("status", kind)]
        with commit():
            service.cancel(_row(event))
        return ["ada@example.org"]
    if call == "approve":
        _register(event, commit, "ada@example.org")
        with commit():
            service.cancel(_row(event))
        kept.faults = [("status", kind)]
        # Staff re-register them: the same Zoom registrant is approved again.
        _register(event, commit, "ada@example.org", source=Registration.Source.ADMIN)
        return ["ada@example.org"]
    if call == "get":
        _register(event, commit, "ada@example.org")
        # A cancel whose answer was lost: the next run reads the registrant first.
        kept.faults = [("status", "lost"), ("get", kind)]
        with commit():
            service.cancel(_row(event))
        _sweep(event, commit)
        return ["ada@example.org"]
    if call == "list":
        # An add whose answer was lost: the next run looks the email up first.
        kept.faults = [("add", "lost"), ("list", kind)]
        _register(event, commit, "ada@example.org")
        _sweep(event, commit)
        return ["ada@example.org"]
    raise AssertionError(call)


def assert_zoom_agrees(event, kept, emails):
    rows = list(Registration.objects.filter(page=event))
    assert sorted(r.email for r in rows) == sorted(emails)  # nobody lost, nobody doubled
    for row in rows:
        assert row.sync_status == Sync.SYNCED, (row.email, row.sync_status, row.sync_error)
        assert not row.sync_add_uncertain
        if row.status == Registration.Status.REGISTERED:
            assert kept.status_of(row.email) == "approved"
            assert row.provider_status == "approved"
            assert row.provider_join_url == kept.join_url(kept.people[row.email]["id"])
        else:
            assert kept.status_of(row.email) == "denied"
    for email in emails:
        assert kept.adds.get(email, 0) == 1, (email, kept.adds)  # never added twice
        assert kept.status_updates.get(email, 0) <= 10


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("call", SYNC_CALLS)
def test_sync_call_under_fault(call, kind, event, kept, zoom, commit):
    started = timezone.now()
    emails = _scenario(call, kind, event, kept, commit)
    assert ("status", kind) not in kept.faults and (call, kind) not in kept.faults, "not hit"
    rows = list(Registration.objects.filter(page=event))

    if kind == "401":
        # The first token, then one new token: the call retried with it, in the same run.
        assert len(zoom.token_calls) == 2
        assert {r.sync_status for r in rows} == {Sync.SYNCED}
    else:
        waiting = [r for r in rows if r.sync_status != Sync.SYNCED]
        assert waiting, "a fault that changed nothing"
        for row in waiting:
            # Staff see why, and that it will be retried.
            assert row.sync_status == Sync.PENDING
            assert row.sync_error.endswith("We will try again automatically."), row.sync_error
            assert row.sync_retry_at is not None
            if kind == "429":
                assert row.sync_retry_at >= started + timedelta(seconds=RETRY_AFTER)

    for _ in range(6):
        if not Registration.objects.filter(page=event, sync_status=Sync.PENDING).exists():
            break
        _sweep(event, commit)
    assert_zoom_agrees(event, kept, emails)


# -- the token ---------------------------------------------------------------------------------


TOKEN_FAULTS = {
    "500": {"status": 500, "json": {"reason": "Internal error"}},
    "reset": {"body": requests.ConnectionError("connection reset by peer")},
    "timeout": {"body": requests.ReadTimeout("read timed out")},
    "429": {"status": 429, "json": {"reason": "Too many"}, "headers": {"Retry-After": "90"}},
    "malformed": {"status": 200, "body": "<html>502</html>"},
}


@pytest.mark.parametrize("kind", list(TOKEN_FAULTS))
def test_token_call_under_fault(kind, event, kept, zoom, commit):
    started = timezone.now()
    zoom.mock.upsert("POST", OAUTH, **TOKEN_FAULTS[kind])
    _register(event, commit, "ada@example.org")
    row = _row(event)
    assert kept.adds == {}  # nothing reached the API without a token
    assert row.sync_status == Sync.PENDING
    assert row.sync_error.endswith("We will try again automatically."), row.sync_error
    assert "test-secret-value" not in row.sync_error
    if kind == "429":
        assert row.sync_retry_at >= started + timedelta(seconds=RETRY_AFTER)

    zoom.token()  # Zoom's sign-in works again
    _sweep(event, commit)
    assert_zoom_agrees(event, kept, ["ada@example.org"])
    assert len(zoom.token_calls) == 2  # the failed one, then one token for everything


# -- the meeting GET (refresh from Zoom) ----------------------------------------------------


@pytest.mark.parametrize("kind", FAULTS)
def test_meeting_read_under_fault(kind, event, zoom):
    path = f"/meetings/{MEETING_ID}"
    before = EventPage.objects.get(pk=event.pk)
    if kind == "401":
        _expired_once(zoom, path, meeting_payload())
    else:
        zoom.mock.upsert("GET", zoom.url(path), **_fault_answer(kind))

    result = event_details.refresh_and_save(EventPage.objects.get(pk=event.pk))
    after = EventPage.objects.get(pk=event.pk)
    if kind == "401":
        assert result.refreshed
        assert len(zoom.token_calls) == 2  # the first token, then one new one
        assert after.location_block.value["password"] == "town1234"
        return
    # Staff are told, and nothing was half-saved on the page.
    assert not result.refreshed
    assert result.warnings and all(w.strip() for w in result.warnings)
    assert after.location == before.location
    assert after.provider_config == before.provider_config
    assert after.provider_checked_at == before.provider_checked_at


def _expired_once(zoom, path: str, then: dict) -> None:
    """``path`` answers 401 code 124 (the token expired) once, then ``then``."""
    answers = [(401, {}, json.dumps({"code": 124, "message": "Invalid access token."}))]

    def reply(request):
        return answers.pop(0) if answers else (200, {}, json.dumps(then))

    zoom.callback("GET", path, reply)


def _fault_answer(kind: str) -> dict:
    if kind == "500":
        return {"status": 500, "json": {"message": "Internal error"}}
    if kind == "reset":
        return {"body": requests.ConnectionError("connection reset by peer")}
    if kind == "lost":
        return {"body": requests.ReadTimeout("read timed out")}
    if kind == "429":
        return {
            "status": 429,
            "json": {"code": 429, "message": "Slow down"},
            "headers": {"Retry-After": str(RETRY_AFTER)},
        }
    if kind == "malformed":
        return {"status": 200, "body": "<html>502</html>"}
    raise AssertionError(kind)


# -- the participant report and its past instances (check-in) -------------------------------


@pytest.fixture
def ended(make_event):
    start = timezone.now() - timedelta(hours=3)
    return make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))


def _zoom_time(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _report_ready(zoom, ended):
    zoom.serves_instances(
        {"inst-1": [[participant_payload(1, registrant_id="zr1")]]},
        start_times={"inst-1": _zoom_time(ended.start)},
    )


@pytest.mark.parametrize("kind", [*FAULTS, "not-ready"])
@pytest.mark.parametrize("call", ["instances", "report"])
def test_report_under_fault(call, kind, ended, zoom):
    attendee = RegistrationFactory(
        page=ended,
        email="ada@example.org",
        sync_status=Sync.SYNCED,
        provider_registrant_id="zr1",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
    )
    _report_ready(zoom, ended)
    if call == "instances":
        path = f"/past_meetings/{MEETING_ID}/instances"
        good = {"meetings": [{"uuid": "inst-1", "start_time": _zoom_time(ended.start)}]}
    else:
        path = f"/report/meetings/{encode_uuid('inst-1')}/participants"
        good = {
            "page_count": 1,
            "page_size": 300,
            "total_records": 1,
            "next_page_token": "",
            "participants": [participant_payload(1, registrant_id="zr1")],
        }
    if kind == "not-ready":
        answer = {"status": 404, "json": {"code": 3001, "message": "Meeting does not exist."}}
        zoom.mock.upsert("GET", zoom.url(path), **answer)
    elif kind == "401":
        _expired_once(zoom, path, good)
    else:
        zoom.mock.upsert("GET", zoom.url(path), **_fault_answer(kind))

    started = timezone.now()
    pull = checkin.start_check_in(ended, run_now=True)
    attendee.refresh_from_db()
    if kind == "401":
        assert pull.state == ParticipantPull.State.DONE, pull.message
        assert len(zoom.token_calls) == 2  # the first token, then one new one
        assert attendee.checked_in_at is not None
        return
    # While failing: a reason for staff, a retry later, nobody half checked in.
    assert pull.state in (ParticipantPull.State.QUEUED, ParticipantPull.State.WAITING)
    assert pull.message
    assert pull.retry_at is not None
    if kind == "429":
        assert pull.retry_at >= started + timedelta(seconds=RETRY_AFTER)
    assert attendee.checked_in_at is None
    assert not ParticipantPull.objects.filter(pk=pull.pk, people__gt=0).exists()

    # Zoom answers again: the retried pull checks them in, once.
    _report_ready(zoom, ended)
    ParticipantPull.objects.filter(pk=pull.pk).update(retry_at=timezone.now())
    checkin.checkin_sweep()
    pull.refresh_from_db()
    attendee.refresh_from_db()
    assert pull.state == ParticipantPull.State.DONE, pull.message
    assert attendee.checked_in_at is not None
    assert Registration.objects.filter(page=ended).count() == 1
