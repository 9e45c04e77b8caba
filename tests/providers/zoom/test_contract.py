"""Contract tests against Zoom's own OpenAPI description.

Every request body our client sends, every query it makes, every answer the
example site's Zoom stand-in gives, and the canned answers our ``responses``
fixtures give, must match Zoom's spec (with no undeclared properties).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from example_site.zoom_standin import seed
from example_site.zoom_standin.models import Meeting, Participant
from tests.providers import zoom_fixtures as fx
from tests.providers.zoom_spec import (
    parameter_schema,
    request_schema,
    require_spec,
    response_schema,
    validate,
)
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider


@pytest.fixture(autouse=True)
def _spec():
    require_spec()


API_PATH = urlsplit(fx.API).path  # "/v2"


def v2_path(url: str) -> str:
    return urlsplit(url).path.removeprefix(API_PATH)


def person(n: int = 0, registrant_id: str = "") -> Registration:
    return Registration(
        email=f"person{n}@example.org",
        first_name="Pat",
        last_name=f"Person {n}",
        provider_registrant_id=registrant_id,
    )


def check_sent(zoom) -> int:
    """Validate every API request recorded by ``zoom`` (bodies and query parameters)."""
    checked = 0
    for call in zoom.api_calls:
        method, path = call.request.method, v2_path(call.request.url)
        if call.request.body:
            validate(
                json.loads(call.request.body), request_schema(method, path), f"{method} {path}"
            )
            checked += 1
        for name, values in parse_qs(urlsplit(call.request.url).query).items():
            schema = parameter_schema(method, path, name)
            value = int(values[0]) if schema.get("type") == "integer" else values[0]
            validate(value, schema, f"{method} {path} ?{name}")
            checked += 1
    return checked


# -- what our client sends ------------------------------------------------------------------
@pytest.mark.parametrize(
    "provider_class,zoom_id,resource",
    [
        (ZoomMeetingProvider, fx.MEETING_ID, "meetings"),
        (ZoomWebinarProvider, fx.WEBINAR_ID, "webinars"),
    ],
)
def test_our_requests_match_zoom(zoom, provider_class, zoom_id, resource):
    provider = provider_class({"meeting_id": zoom_id})
    zoom.on(
        "GET",
        f"/{resource}/{zoom_id}",
        json=fx.meeting_payload(zoom_id) if resource == "meetings" else fx.webinar_payload(zoom_id),
    )
    zoom.accepts_registrants(zoom_id, resource)
    zoom.accepts_status(zoom_id, resource)
    zoom.accepts_batches(zoom_id, resource)
    zoom.lists_registrants({}, zoom_id, resource)
    zoom.on(
        "GET",
        f"/past_{resource}/{zoom_id}/instances",
        json={resource: [{"uuid": "inst1==", "start_time": "2030-01-15T19:00:00Z"}]},
    )
    zoom.on(
        "GET",
        f"/report/{resource}/inst1==/participants",
        json={
            "page_size": 300,
            "total_records": 1,
            "next_page_token": "",
            "participants": [fx.participant_payload(1)],
        },
    )

    provider.fetch_metadata()
    provider.push_registrant(person())
    provider.approve_registrant(person(registrant_id="r1"))
    provider.cancel_registrant(person(registrant_id="r1"))
    provider.batch_push([person(n) for n in range(31)])
    provider.find_registrant("nobody@example.org")
    list(provider.pull_participants())

    sent = {f"{c.request.method} {v2_path(c.request.url)}" for c in zoom.api_calls}
    assert sent == {
        f"GET /{resource}/{zoom_id}",
        f"POST /{resource}/{zoom_id}/registrants",
        f"PUT /{resource}/{zoom_id}/registrants/status",
        f"POST /{resource}/{zoom_id}/batch_registrants",
        f"GET /{resource}/{zoom_id}/registrants",
        f"GET /past_{resource}/{zoom_id}/instances",
        f"GET /report/{resource}/inst1==/participants",
    }
    assert check_sent(zoom) >= 10


def test_validation_catches_an_undeclared_field():
    body = {"email": "a@example.org", "first_name": "A", "nickname": "not in Zoom's API"}
    with pytest.raises(AssertionError, match="nickname"):
        validate(body, request_schema("POST", f"/meetings/{fx.MEETING_ID}/registrants"))
    with pytest.raises(AssertionError, match="auto_approve"):
        # Only the meeting endpoint documents auto_approve.
        validate(
            {"email": "a@example.org", "first_name": "A", "auto_approve": True},
            request_schema("POST", f"/webinars/{fx.WEBINAR_ID}/registrants"),
        )


# -- what our test fixtures answer ---------------------------------------------------------
@pytest.mark.parametrize(
    "method,path,status,payload",
    [
        ("GET", f"/meetings/{fx.MEETING_ID}", 200, fx.meeting_payload()),
        ("GET", f"/webinars/{fx.WEBINAR_ID}", 200, fx.webinar_payload()),
        (
            "POST",
            f"/meetings/{fx.MEETING_ID}/registrants",
            201,
            fx.registrant_payload("meetings", fx.MEETING_ID, "r1", "https://zoom.test/w/1"),
        ),
        (
            "POST",
            f"/webinars/{fx.WEBINAR_ID}/registrants",
            201,
            fx.registrant_payload("webinars", fx.WEBINAR_ID, "r1", "https://zoom.test/w/1"),
        ),
        (
            "GET",
            f"/meetings/{fx.MEETING_ID}/registrants",
            200,
            fx.list_payload([fx.listed_registrant("a@example.org", "r1")], "tok"),
        ),
        (
            "GET",
            f"/report/meetings/{fx.MEETING_ID}/participants",
            200,
            {
                "page_count": 1,
                "page_size": 300,
                "total_records": 1,
                "next_page_token": "",
                "participants": [fx.participant_payload(1, "a@example.org", "r1")],
            },
        ),
    ],
)
def test_fixture_payloads_match_zoom(method, path, status, payload):
    validate(payload, response_schema(method, path, status), f"fixture {method} {path}")


# -- what the stand-in answers -------------------------------------------------------------
@pytest.fixture
def standin(client, db):
    """The Django test client signed in to the stand-in as our client would be."""
    seed.seed_demo()
    basic = base64.b64encode(b"demo-client:demo-secret").decode()
    answer = client.post(
        reverse("zoom_standin:oauth_token"),
        {"grant_type": "account_credentials", "account_id": "demo-account"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert answer.status_code == 200
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {answer.json()['access_token']}"
    return client


def call(client, method: str, path: str, body=None, **query):
    url = "/zoom-standin/v2" + path
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def check_answer(response, method: str, path: str) -> None:
    schema = response_schema(method, path, response.status_code)
    if schema is None:
        assert response.content == b""
        return
    validate(response.json(), schema, f"stand-in {method} {path} -> {response.status_code}")


@pytest.mark.parametrize(
    "resource,zoom_id",
    [("meetings", seed.DEMO_MEETING_ID), ("webinars", seed.DEMO_WEBINAR_ID)],
)
def test_standin_answers_match_zoom(standin, resource, zoom_id):
    base = f"/{resource}/{zoom_id}"
    exchanges = []

    def do(method, path, body=None, expect=200, **query):
        response = call(standin, method, path, body, **query)
        assert response.status_code == expect, response.content
        check_answer(response, method, path)
        exchanges.append((method, path))
        return response

    do("GET", base)
    add_body = {"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"}
    if resource == "meetings":
        add_body["auto_approve"] = True
    registrant = do("POST", base + "/registrants", add_body, expect=201).json()
    batch = {
        "auto_approve": True,
        "registrants": [
            {"email": f"p{n}@example.org", "first_name": "Pat", "last_name": str(n)}
            for n in range(30)
        ],
    }
    do("POST", base + "/batch_registrants", batch)
    do("GET", base + "/registrants", page_size=10, status="approved")
    status = {
        "action": "cancel",
        "registrants": [{"id": registrant["registrant_id"], "email": "ada@example.org"}],
    }
    do("PUT", base + "/registrants/status", status, expect=204)
    do("GET", base + "/registrants", status="denied")
    meeting = Meeting.objects.get(zoom_id=zoom_id)
    Participant.objects.create(
        meeting=meeting,
        name="Ada Lovelace",
        user_email="ada@example.org",
        registrant_id=registrant["registrant_id"],
        join_time=meeting.start_time,
        leave_time=meeting.start_time,
    )
    Participant.objects.create(
        meeting=meeting,
        name="Guest",
        join_time=meeting.start_time,
        leave_time=meeting.start_time,
    )
    do("GET", f"/report/{resource}/{zoom_id}/participants", include_fields="registrant_id")
    do("GET", f"/report/{resource}/{zoom_id}/participants", page_size=1)
    assert len(exchanges) == 8


def test_standin_rejects_what_zoom_rejects(standin):
    base = f"/meetings/{seed.DEMO_MEETING_ID}"
    assert (
        call(standin, "POST", base + "/registrants", {"email": "x@example.org"}).status_code == 400
    )
    too_many = {"registrants": [{"email": f"p{n}@e.org", "first_name": "P"} for n in range(31)]}
    assert call(standin, "POST", base + "/batch_registrants", too_many).status_code == 400


def test_standin_recurring_meeting_answers_match_zoom(standin):
    base = f"/meetings/{seed.DEMO_RECURRING_ID}"
    meeting = call(standin, "GET", base)
    check_answer(meeting, "GET", base)
    occurrences = meeting.json()["occurrences"]
    assert len(occurrences) == 4 and meeting.json()["type"] == 8
    second = occurrences[1]["occurrence_id"]
    body = {"email": "ada@example.org", "first_name": "Ada", "auto_approve": True}
    added = call(standin, "POST", base + "/registrants", body, occurrence_ids=second)
    assert added.status_code == 201, added.content
    check_answer(added, "POST", base + "/registrants")
    assert [o["occurrence_id"] for o in added.json()["occurrences"]] == [second]
    listed = call(standin, "GET", base + "/registrants", occurrence_id=second)
    check_answer(listed, "GET", base + "/registrants")
    assert [r["email"] for r in listed.json()["registrants"]] == ["ada@example.org"]
    others = call(
        standin, "GET", base + "/registrants", occurrence_id=occurrences[0]["occurrence_id"]
    )
    assert others.json()["registrants"] == []
    status = {"action": "cancel", "registrants": [{"id": added.json()["registrant_id"]}]}
    assert (
        call(standin, "PUT", base + "/registrants/status", status, occurrence_id=second).status_code
        == 204
    )
    # An occurrence the meeting does not have is refused.
    refused = call(standin, "POST", base + "/registrants", body, occurrence_ids="123")
    assert refused.status_code == 400
