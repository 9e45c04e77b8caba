"""Zoom's participant reports: instances, UUID encoding, pages, not ready, 429."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.providers.zoom_fixtures import MEETING_ID, WEBINAR_ID, participant_payload
from wagtail_webinars.providers.errors import ProviderAPIError, ReportNotReady
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider
from wagtail_webinars.providers.zoom.reports import encode_uuid

START = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
END = datetime(2030, 1, 15, 20, 0, tzinfo=UTC)
EVENT = SimpleNamespace(start=START, end=END, provider_config={})


def meeting(event=EVENT):
    return ZoomMeetingProvider({"meeting_id": MEETING_ID}, event=event)


def instances(zoom, items, resource="meetings", meeting_id=MEETING_ID):
    key = "meetings" if resource == "meetings" else "webinars"
    zoom.on("GET", f"/past_{resource}/{meeting_id}/instances", json={key: items})


def report(zoom, uuid, pages, resource="meetings"):
    zoom.serves_report(uuid, pages, resource)


def test_encode_uuid_doubles_only_when_zoom_says():
    assert encode_uuid("4444AAAiAAAAAiAiAiiAii==") == "4444AAAiAAAAAiAiAiiAii=="
    assert encode_uuid("/ajXp112QmuoKj4854875==") == "%252FajXp112QmuoKj4854875%253D%253D"
    assert encode_uuid("ab//cd") == "ab%252F%252Fcd"


def test_every_instance_in_the_event_every_page(zoom):
    instances(
        zoom,
        [
            {"uuid": "first==", "start_time": "2030-01-15T18:55:00Z"},
            {"uuid": "/restarted==", "start_time": "2030-01-15T19:30:00Z"},
            {"uuid": "first==", "start_time": "2030-01-15T18:55:00Z"},  # listed twice
            {"uuid": "yesterday==", "start_time": "2030-01-14T19:00:00Z"},  # another day
        ],
    )
    report(
        zoom,
        "first==",
        [[participant_payload(n) for n in range(300)], [participant_payload(300, "a@x.org")]],
    )
    report(zoom, "/restarted==", [[participant_payload(1, "", "reg1")]])

    rows = list(meeting().pull_participants())

    assert len(rows) == 302
    assert {row.instance for row in rows} == {"first==", "/restarted=="}
    assert rows[300].email == "a@x.org" and rows[301].registrant_id == "reg1"
    assert not any("yesterday" in call.request.url for call in zoom.api_calls)
    reports = zoom.calls_to("GET", "/report/")
    assert len(reports) == 3
    for call in reports:
        query = parse_qs(urlsplit(call.request.url).query)
        assert query["include_fields"] == ["registrant_id"] and query["page_size"] == ["300"]
    assert "next_page_token" in reports[1].request.url


def test_waiting_room_rows_are_marked(zoom):
    instances(zoom, [{"uuid": "u1", "start_time": "2030-01-15T19:00:00Z"}])
    waiting = {**participant_payload(2), "status": "in_waiting_room"}
    report(zoom, "u1", [[participant_payload(1), waiting]])
    rows = list(meeting().pull_participants())
    assert [row.waiting_room for row in rows] == [False, True]


def test_webinar_paths(zoom):
    provider = ZoomWebinarProvider({"meeting_id": WEBINAR_ID}, event=EVENT)
    instances(
        zoom,
        [{"uuid": "w1", "start_time": "2030-01-15T19:00:00Z"}],
        resource="webinars",
        meeting_id=WEBINAR_ID,
    )
    report(zoom, "w1", [[participant_payload(1)]], resource="webinars")
    assert len(list(provider.pull_participants())) == 1
    assert zoom.describe() == [
        f"GET /past_webinars/{WEBINAR_ID}/instances",
        "GET /report/webinars/w1/participants",
    ]


@pytest.mark.parametrize(
    "setup",
    [
        # Zoom's "does not exist" for a meeting that just ended.
        lambda zoom: zoom.error(
            "GET", f"/past_meetings/{MEETING_ID}/instances", 404, 3001, "Meeting does not exist."
        ),
        lambda zoom: instances(zoom, []),
        lambda zoom: (
            instances(zoom, [{"uuid": "u1", "start_time": "2030-01-15T19:00:00Z"}]),
            zoom.error("GET", "/report/meetings/u1/participants", 404, 3001, "No report."),
        ),
        lambda zoom: (
            instances(zoom, [{"uuid": "u1", "start_time": "2030-01-15T19:00:00Z"}]),
            report(zoom, "u1", [[]]),
        ),
    ],
    ids=["instances-404", "no-instances", "report-404", "empty-report"],
)
def test_not_ready_yet(zoom, setup):
    setup(zoom)
    with pytest.raises(ReportNotReady):
        list(meeting().pull_participants())


def test_one_instance_not_ready_keeps_the_others(zoom):
    instances(
        zoom,
        [
            {"uuid": "u1", "start_time": "2030-01-15T19:00:00Z"},
            {"uuid": "u2", "start_time": "2030-01-15T19:40:00Z"},
        ],
    )
    report(zoom, "u1", [[participant_payload(1)]])
    zoom.error("GET", "/report/meetings/u2/participants", 404, 3001, "No report.")
    assert len(list(meeting().pull_participants())) == 1


def test_rate_limit_is_transient_with_retry_after(zoom):
    instances(zoom, [{"uuid": "u1", "start_time": "2030-01-15T19:00:00Z"}])
    zoom.error(
        "GET",
        "/report/meetings/u1/participants",
        429,
        429,
        "You have reached the maximum per-second rate limit for this API.",
        headers={"Retry-After": "7", "X-RateLimit-Type": "QPS"},
    )
    with pytest.raises(ProviderAPIError) as caught:
        list(meeting().pull_participants())
    assert caught.value.transient and caught.value.retry_after == 7


def test_other_errors_are_raised(zoom):
    zoom.error("GET", f"/past_meetings/{MEETING_ID}/instances", 400, 12702, "Too old.")
    with pytest.raises(ProviderAPIError) as caught:
        list(meeting().pull_participants())
    assert not caught.value.transient and caught.value.code == 12702
