"""Property tests: whatever JSON comes back where Zoom's answers go, the Zoom provider
either reads it into values of the right types or raises a typed provider error; it
never crashes with anything else, and a sync never stores half an answer."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import MEETING_ID, OAUTH, FakeZoom
from wagtail_webinars import sync
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import Metadata, Participant, RegistrantRecord
from wagtail_webinars.providers.errors import ProviderError

#: The keys Zoom's answers have, so generated objects often look nearly right.
KEYS = [
    "access_token",
    "api_url",
    "expires_in",
    "registrant_id",
    "id",
    "join_url",
    "email",
    "status",
    "registrants",
    "next_page_token",
    "settings",
    "approval_type",
    "occurrences",
    "start_time",
    "password",
    "topic",
    "duration",
    "type",
    "meetings",
    "webinars",
    "uuid",
    "participants",
    "user_email",
    "name",
    "join_time",
    "leave_time",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["approved", "pending", "denied", "2030-01-15T19:00:00Z", "inst-1"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=12,
)
BODIES = JSON.map(json.dumps) | st.sampled_from(["", "<html>502</html>", "{", "null", "[]"])

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def event(make_event):
    start = datetime.now(UTC) - timedelta(hours=3)
    return make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))


def _answering(zoom, method, path, body):
    zoom.mock.upsert(method, zoom.url(path), status=200, body=body)


def _typed(value, kind) -> bool:
    return isinstance(value, kind)


def check_record(record):
    assert isinstance(record, RegistrantRecord)
    for name in ("registrant_id", "email", "join_url", "status"):
        assert isinstance(getattr(record, name), str), (name, record)


def run(operation):
    """The operation's result, or ``None`` when it raised a typed provider error."""
    try:
        return operation()
    except ProviderError:
        return None


@SETTINGS
@given(body=BODIES)
def test_add_answers(event, body):
    with FakeZoom.running() as zoom:
        _answering(zoom, "POST", f"/meetings/{MEETING_ID}/registrants", body)
        row = RegistrationFactory.build(page=event, email="ada@example.org")
        record = run(lambda: event.provider.push_registrant(row))
        if record is not None:
            check_record(record)
            assert record.registrant_id


@SETTINGS
@given(body=BODIES)
def test_registrant_answers(event, body):
    with FakeZoom.running() as zoom:
        _answering(zoom, "GET", f"/meetings/{MEETING_ID}/registrants/zr1", body)
        record = run(lambda: event.provider.fetch_registrant("zr1"))
        if record is not None:
            check_record(record)


@SETTINGS
@given(body=BODIES)
def test_registrant_list_answers(event, body):
    with FakeZoom.running() as zoom:
        _answering(zoom, "GET", f"/meetings/{MEETING_ID}/registrants", body)
        records = run(lambda: list(event.provider.registrants()))
        for record in records or []:
            check_record(record)
        run(lambda: event.provider.find_registrant("ada@example.org"))


@SETTINGS
@given(body=BODIES)
def test_batch_answers(event, body):
    with FakeZoom.running() as zoom:
        _answering(zoom, "POST", f"/meetings/{MEETING_ID}/batch_registrants", body)
        rows = [RegistrationFactory.build(page=event, email=f"p{i}@example.org") for i in range(2)]
        for record in run(lambda: event.provider.batch_push(rows)) or []:
            check_record(record)


@SETTINGS
@given(body=BODIES)
def test_meeting_answers(event, body):
    with FakeZoom.running() as zoom:
        _answering(zoom, "GET", f"/meetings/{MEETING_ID}", body)
        metadata = run(event.provider.fetch_metadata)
        if metadata is not None:
            assert isinstance(metadata, Metadata)
            for name in ("join_url", "password", "topic", "time_zone"):
                assert isinstance(getattr(metadata, name), str), name
            assert metadata.start_time is None or isinstance(metadata.start_time, datetime)
            assert metadata.duration_minutes is None or isinstance(metadata.duration_minutes, int)
            json.dumps(metadata.config)  # stored in a JSONField
            event.provider.metadata_warnings(metadata)
            event.provider.config_warnings(metadata.config)


@SETTINGS
@given(instances=BODIES, report=BODIES)
def test_report_answers(event, instances, report):
    with FakeZoom.running() as zoom:
        _answering(zoom, "GET", f"/past_meetings/{MEETING_ID}/instances", instances)
        zoom.mock.upsert(
            "GET",
            zoom.url("/report/meetings/inst-1/participants"),
            status=200,
            body=report,
        )
        for row in run(lambda: list(event.provider.pull_participants())) or []:
            assert isinstance(row, Participant)
            assert isinstance(row.name, str) and isinstance(row.email, str)
            assert isinstance(row.registrant_id, str) and isinstance(row.instance, str)
            assert isinstance(row.duration_seconds, int) and math.isfinite(row.duration_seconds)
            for when in (row.join_time, row.leave_time):
                assert when is None or isinstance(when, datetime)


@SETTINGS
@given(body=BODIES)
def test_token_answers(event, body):
    from django.core.cache import cache

    cache.clear()
    with FakeZoom.running(token=False) as zoom:
        zoom.mock.upsert("POST", OAUTH, status=200, body=body)
        zoom.on("GET", f"/meetings/{MEETING_ID}", json={"id": int(MEETING_ID)})
        run(event.provider.fetch_metadata)


@SETTINGS
@given(body=BODIES)
def test_a_sync_never_stores_half_an_answer(event, body):
    """The add's answer, whatever it is: the row is synced with a whole registrant, or
    waits (or failed) with a reason and no registrant; the sync never raises."""
    with FakeZoom.running() as zoom:
        _answering(zoom, "POST", f"/meetings/{MEETING_ID}/registrants", body)
        zoom.on("GET", f"/meetings/{MEETING_ID}/registrants", json={"registrants": []})
        Registration.objects.filter(page=event).delete()
        row = RegistrationFactory(
            page=event, email="ada@example.org", sync_status=Registration.SyncStatus.PENDING
        )
        sync.sync_registration(row.pk)
        row.refresh_from_db()
        if row.sync_status == Registration.SyncStatus.SYNCED:
            assert row.provider_registrant_id and row.provider_join_url
            assert row.provider_status == "approved"
        else:
            assert row.sync_error
            assert row.sync_status in (
                Registration.SyncStatus.PENDING,
                Registration.SyncStatus.FAILED,
            )
            assert not row.provider_registrant_id or row.sync_add_uncertain is False
