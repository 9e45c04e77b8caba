"""Managed Zoom provider operations: metadata, registrants, batches, reports, error words."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.providers.zoom_fixtures import (
    MEETING_ID,
    WEBINAR_ID,
    listed_registrant,
    participant_payload,
)
from wagtail_webinars.models import Registration
from wagtail_webinars.providers import get_provider_class
from wagtail_webinars.providers.base import BATCH_RETRY, BATCH_ROWS, BATCH_UNSUPPORTED, Metadata
from wagtail_webinars.providers.errors import (
    ProviderAPIError,
    ProviderAuthError,
    ProviderConfigurationError,
)
from wagtail_webinars.providers.zoom.client import ZoomAPIError
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider


def meeting(**kwargs):
    return ZoomMeetingProvider({"meeting_id": MEETING_ID}, **kwargs)


def webinar(**kwargs):
    return ZoomWebinarProvider({"meeting_id": WEBINAR_ID}, **kwargs)


def person(email="ada@example.org", registrant_id="", **kw) -> Registration:
    return Registration(
        email=email,
        first_name=kw.get("first_name", "Ada"),
        last_name=kw.get("last_name", "Lovelace"),
        provider_registrant_id=registrant_id,
    )


def test_lookup_by_block_name():
    assert get_provider_class("zoom_meeting") is ZoomMeetingProvider
    assert get_provider_class("zoom_webinar") is ZoomWebinarProvider
    assert ZoomMeetingProvider.can_push_registrants and ZoomMeetingProvider.can_pull_participants


def test_fetch_metadata(zoom):
    zoom.meeting(settings={"approval_type": 0})
    data = meeting().fetch_metadata()
    assert data.join_url == f"https://zoom.test/j/{MEETING_ID}?pwd=ENCRYPTED"
    assert data.password == "town1234"
    assert data.topic == "Alumni town hall"
    assert data.start_time == datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
    assert data.time_zone == "America/New_York"
    assert data.duration_minutes == 60
    assert data.registration_required is True
    assert data.config["resource"] == "meetings"
    assert data.config["id"] == MEETING_ID
    assert data.config["approval_type"] == 0
    # Never the host's start URL (it logs the host in).
    assert "start_url" not in data.config and "zak" not in repr(data.config)


def test_no_registration_in_zoom_is_reported():
    provider = meeting()
    warnings = provider.metadata_warnings(
        Metadata(registration_required=False, config={"approval_type": 2})
    )
    assert any("Registration is not required" in w for w in warnings)
    assert (
        provider.metadata_warnings(
            Metadata(registration_required=True, config={"approval_type": 1})
        )
        == []
    )


def test_automatic_approval_in_zoom_is_reported():
    # Anyone with Zoom's own registration link could register around the site.
    for provider in (meeting(), webinar()):
        (warning,) = provider.metadata_warnings(
            Metadata(registration_required=True, config={"approval_type": 0})
        )
        assert "approves registrations" in warning and "Manually approve" in warning
        assert provider.config_warnings({"approval_type": 0}) == [warning]
        assert provider.config_warnings({"approval_type": 1}) == []


def test_zoom_confirmation_emails_are_reported():
    warnings = meeting().metadata_warnings(
        Metadata(
            registration_required=True,
            config={"approval_type": 0, "registrants_confirmation_email": True},
        )
    )
    assert any("confirmation emails" in w for w in warnings)


def test_meeting_block_falls_back_to_webinar_path(zoom):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 400, 3000, "Cannot access webinar info.")
    zoom.webinar(MEETING_ID)
    provider = meeting()
    data = provider.fetch_metadata()
    assert data.config["resource"] == "webinars"
    assert provider.resolved_resource == "webinars"
    assert zoom.describe() == [f"GET /meetings/{MEETING_ID}", f"GET /webinars/{MEETING_ID}"]


def test_fallback_reports_the_meeting_error_when_not_a_webinar_either(zoom):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 400, 3000, "Cannot access meeting info.")
    zoom.error("GET", f"/webinars/{MEETING_ID}", 404, 3001, "Webinar does not exist.")
    with pytest.raises(ProviderAPIError) as caught:
        meeting().fetch_metadata()
    assert caught.value.message == "Cannot access meeting info."


def test_webinar_block_never_falls_back(zoom):
    # On the webinar path 400/3000 means "registration not enabled": no second guess.
    zoom.error("POST", f"/webinars/{WEBINAR_ID}/registrants", 400, 3000, "No registration.")
    with pytest.raises(ProviderAPIError):
        webinar().push_registrant(person())
    assert len(zoom.api_calls) == 1


def test_pinned_meeting_path_does_not_fall_back(zoom):
    class Event:
        provider_config = {"id": MEETING_ID, "resource": "meetings"}

    zoom.error("POST", f"/meetings/{MEETING_ID}/registrants", 400, 3000, "Limit reached.")
    with pytest.raises(ProviderAPIError):
        meeting(event=Event()).push_registrant(person())
    assert len(zoom.api_calls) == 1


def test_pinned_webinar_path_is_used_by_the_meeting_block(zoom):
    class Event:
        provider_config = {"id": MEETING_ID, "resource": "webinars"}

    zoom.accepts_registrants(MEETING_ID, resource="webinars")
    meeting(event=Event()).push_registrant(person())
    assert zoom.describe() == [f"POST /webinars/{MEETING_ID}/registrants"]
    assert "auto_approve" not in zoom.bodies("POST")[0]


def test_push_registrant_meeting(zoom):
    zoom.accepts_registrants()
    record = meeting().push_registrant(person())
    assert record.registrant_id == "reg0001"
    assert record.join_url.endswith("tk=reg0001")
    assert record.status == "approved"
    assert zoom.bodies("POST") == [
        {
            "email": "ada@example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "auto_approve": True,
        }
    ]


def test_push_registrant_webinar_has_no_auto_approve(zoom):
    zoom.accepts_registrants(WEBINAR_ID, resource="webinars")
    webinar().push_registrant(person())
    assert zoom.bodies("POST") == [
        {"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"}
    ]


def test_push_trims_names_to_zoom_limits(zoom):
    zoom.accepts_registrants()
    meeting().push_registrant(person(first_name="A" * 100, last_name="B" * 100))
    body = zoom.bodies("POST")[0]
    assert len(body["first_name"]) == 64 and len(body["last_name"]) == 64


def test_push_refuses_emails_zoom_would_reject(zoom):
    with pytest.raises(ProviderAPIError) as caught:
        meeting().push_registrant(person(email="a" * 120 + "@example.org"))
    assert caught.value.code == 300 and not caught.value.transient
    assert zoom.api_calls == []


def test_find_registrant_pages_and_statuses(zoom):
    zoom.lists_registrants(
        {
            "approved": [
                [listed_registrant(f"p{n}@example.org", f"a{n}") for n in range(300)],
                [listed_registrant("other@example.org", "a300")],
            ],
            "pending": [[]],
            "denied": [[listed_registrant("Ada@Example.org", "gone1", status="denied")]],
        }
    )
    record = meeting().find_registrant("ada@example.org")
    assert record.registrant_id == "gone1"
    assert record.status == "cancelled"  # Zoom lists cancelled registrants as denied
    queries = [parse_qs(urlsplit(c.request.url).query) for c in zoom.api_calls]
    assert [q["status"][0] for q in queries] == ["approved", "approved", "pending", "denied"]
    assert all(q["page_size"] == ["300"] for q in queries)


def test_find_registrant_stops_at_first_match(zoom):
    zoom.lists_registrants({"approved": [[listed_registrant("ada@example.org", "r1")]]})
    assert meeting().find_registrant("ada@example.org").registrant_id == "r1"
    assert len(zoom.api_calls) == 1


def test_find_registrant_none(zoom):
    zoom.lists_registrants({})
    assert meeting().find_registrant("ada@example.org") is None


@pytest.mark.parametrize(
    "op,action", [("cancel_registrant", "cancel"), ("approve_registrant", "approve")]
)
def test_status_updates_name_the_same_registrant(zoom, op, action):
    zoom.accepts_status()
    getattr(meeting(), op)(person(registrant_id="reg9"))
    assert zoom.describe() == [f"PUT /meetings/{MEETING_ID}/registrants/status"]
    assert zoom.bodies("PUT") == [
        {"action": action, "registrants": [{"id": "reg9", "email": "ada@example.org"}]}
    ]


def test_status_update_needs_a_registrant_id(zoom):
    with pytest.raises(ValueError):
        meeting().cancel_registrant(person())
    assert zoom.api_calls == []


def test_batch_push_in_thirties(zoom):
    zoom.accepts_batches()
    people = [person(email=f"p{n}@example.org") for n in range(65)]
    records = meeting().batch_push(people)
    bodies = zoom.bodies("POST", "batch_registrants")
    assert [len(b["registrants"]) for b in bodies] == [30, 30, 5]
    assert all(b["auto_approve"] is True for b in bodies)
    assert all(b["registrants_confirmation_email"] is False for b in bodies)
    assert len(records) == 65
    assert {r.email for r in records} == {p.email for p in people}


def test_batch_push_webinar_body(zoom):
    zoom.accepts_batches(WEBINAR_ID, resource="webinars")
    webinar().batch_push([person()])
    (body,) = zoom.bodies("POST", "batch_registrants")
    assert "registrants_confirmation_email" not in body


def test_pull_participants(zoom):
    # A meeting's report comes per instance (tests/providers/test_zoom_reports.py).
    zoom.on(
        "GET",
        f"/past_meetings/{MEETING_ID}/instances",
        json={"meetings": [{"uuid": "inst1==", "start_time": "2030-01-15T19:00:00Z"}]},
    )
    path = "/report/meetings/inst1==/participants"
    zoom.on(
        "GET",
        path,
        json={
            "page_size": 300,
            "total_records": 2,
            "next_page_token": "",
            "participants": [
                participant_payload(1, "Ada@Example.org", "reg1"),
                participant_payload(2),
            ],
        },
    )
    rows = list(meeting().pull_participants())
    assert rows[0].email == "ada@example.org"
    assert rows[0].registrant_id == "reg1"
    assert rows[0].duration_seconds == 2640
    assert rows[0].join_time == datetime(2030, 1, 15, 19, 1, tzinfo=UTC)
    assert rows[1].email == ""
    query = parse_qs(urlsplit(zoom.calls_to("GET", "/report/")[0].request.url).query)
    assert query["include_fields"] == ["registrant_id"] and query["page_size"] == ["300"]


def test_missing_meeting_id_is_a_configuration_error(zoom):
    with pytest.raises(ProviderConfigurationError):
        ZoomMeetingProvider({"meeting_id": ""}).fetch_metadata()
    assert zoom.api_calls == []


def test_find_registrant_falls_back_to_the_webinar_path(zoom):
    # A webinar ID in the meeting block, before any refresh pinned the path.
    zoom.error(
        "GET", f"/meetings/{MEETING_ID}/registrants", 400, 3000, "Cannot access webinar info."
    )
    zoom.lists_registrants(
        {"approved": [[listed_registrant("ada@example.org", "w1")]]},
        meeting_id=MEETING_ID,
        resource="webinars",
    )
    provider = meeting()
    assert provider.find_registrant("ada@example.org").registrant_id == "w1"
    assert provider.resolved_resource == "webinars"
    assert zoom.describe() == [
        f"GET /meetings/{MEETING_ID}/registrants",
        f"GET /webinars/{MEETING_ID}/registrants",
    ]


def test_pull_participants_falls_back_to_the_webinar_path(zoom):
    zoom.error(
        "GET",
        f"/past_meetings/{MEETING_ID}/instances",
        400,
        3000,
        "Cannot access webinar info.",
    )
    zoom.on(
        "GET",
        f"/past_webinars/{MEETING_ID}/instances",
        json={"webinars": [{"uuid": "w1", "start_time": "2030-01-15T19:00:00Z"}]},
    )
    zoom.on(
        "GET",
        "/report/webinars/w1/participants",
        json={
            "page_size": 300,
            "total_records": 1,
            "next_page_token": "",
            "participants": [participant_payload(1, "ada@example.org", "w1")],
        },
    )
    (row,) = list(meeting().pull_participants())
    assert row.registrant_id == "w1"
    assert zoom.describe()[-1] == "GET /report/webinars/w1/participants"


def test_registrant_not_found_is_not_taken_for_a_webinar_id(zoom):
    zoom.error(
        "PUT",
        f"/meetings/{MEETING_ID}/registrants/status",
        400,
        3000,
        "Registrant x was not found.",
    )
    with pytest.raises(ProviderAPIError):
        meeting().approve_registrant(person(registrant_id="x"))
    assert len(zoom.api_calls) == 1


def test_cancel_treats_a_gone_meeting_as_done(zoom):
    zoom.error(
        "PUT", f"/webinars/{WEBINAR_ID}/registrants/status", 404, 3001, "Webinar does not exist."
    )
    webinar().cancel_registrant(person(registrant_id="reg9"))  # no error: nothing to cancel
    zoom.error("PUT", f"/webinars/{WEBINAR_ID}/registrants/status", 503, None, "Unavailable")
    with pytest.raises(ProviderAPIError):
        webinar().cancel_registrant(person(registrant_id="reg9"))


def test_start_time_warning_comes_from_the_provider():
    class Event:
        start = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
        provider_config: dict = {}

    provider = meeting(event=Event())
    later = Metadata(
        registration_required=True,
        start_time=datetime(2030, 1, 15, 20, 30, tzinfo=UTC),
        config={"approval_type": 1, "type": 2},
    )
    (warning,) = provider.metadata_warnings(later)
    assert "Zoom says this starts" in warning
    # An instant or recurring-without-fixed-time meeting has no start to compare (the
    # latter cannot be an event at all, which is said instead).
    later.config["type"] = 1
    assert provider.metadata_warnings(later) == []
    later.config["type"] = 3
    (warning,) = provider.metadata_warnings(later)
    assert "recurs with no fixed time" in warning


def test_join_info_ignores_a_personal_link_into_another_meeting():
    provider = ZoomMeetingProvider({"meeting_id": MEETING_ID, "join_url": "https://z/j/1"})
    old = Registration(provider_join_url="https://z/w/8?tk=me", provider_meeting_id="80000000000")
    assert provider.join_info(old).url == "https://z/j/1"
    here = Registration(provider_join_url="https://z/w/1?tk=me", provider_meeting_id=MEETING_ID)
    assert provider.join_info(here).url == "https://z/w/1?tk=me"


@pytest.mark.parametrize(
    "error,scope",
    [
        (ProviderAPIError("Bad gateway", status=502, transient=True), BATCH_RETRY),
        (
            ProviderAPIError("Rate limit", status=429, code=429, transient=True),
            BATCH_RETRY,
        ),
        (
            ZoomAPIError(
                "You have exceeded the rate limit.",
                status=429,
                code=429,
                transient=True,
                rate_limit_type="Daily-limit",
            ),
            BATCH_ROWS,
        ),
        (ProviderAPIError("Host cannot register.", status=400, code=3027), BATCH_ROWS),
        (ProviderAPIError("Validation Failed.", status=400, code=300), BATCH_ROWS),
        (ProviderAPIError("Work email.", status=400, code=3034), BATCH_ROWS),
        (ProviderAPIError("Meeting is full.", status=404, code=3043), BATCH_ROWS),
        (
            ProviderAPIError(
                "You have reached the limit for the number of attendees you can add.",
                status=400,
                code=3000,
            ),
            BATCH_ROWS,
        ),
        (
            ProviderAPIError(
                "This API can only be used for scheduled meeting(meeting type: 2).",
                status=400,
                code=303,
            ),
            BATCH_UNSUPPORTED,
        ),
        (
            ProviderAPIError(
                "This API can only be used for scheduled webinars (type 5).", status=400, code=300
            ),
            BATCH_UNSUPPORTED,
        ),
        (ProviderAPIError("Registration has not been enabled", status=404, code=404), "event"),
        (ProviderAPIError("Meeting does not exist.", status=404, code=3001), "event"),
        (ProviderAPIError("No scopes.", status=401, code=4700), "event"),
        (ProviderAPIError("Webinar plan is missing.", status=400, code=200), "event"),
        (
            ProviderAPIError("Registration not enabled for this webinar", status=400, code=3000),
            "event",
        ),
        (ProviderAuthError("Invalid client_id or client_secret", status=401), "event"),
        (ProviderConfigurationError("set ZOOM_CLIENT_ID."), "event"),
    ],
)
def test_batch_error_scope(error, scope):
    assert meeting().batch_error_scope(error) == scope


def test_join_info_prefers_the_personal_link():
    provider = ZoomMeetingProvider(
        {"meeting_id": MEETING_ID, "join_url": "https://z/j/1", "password": "p"}
    )
    personal = Registration(provider_join_url="https://z/w/1?tk=me")
    assert provider.join_info(personal).url == "https://z/w/1?tk=me"
    assert provider.join_info(Registration()).url == "https://z/j/1"
    assert provider.join_info(personal).password == "p"
