"""The Zoom HTTP client: token, cache, retries on 401, errors, Retry-After, paging, secrets."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
import time_machine
from django.core.cache import cache

from tests.providers.zoom_fixtures import (
    ACCESS_TOKEN,
    API,
    MEETING_ID,
    OAUTH,
    SECRET,
    participant_payload,
    timeout,
)
from wagtail_webinars import __version__
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.errors import (
    ProviderAPIError,
    ProviderAuthError,
    ProviderConfigurationError,
)
from wagtail_webinars.providers.zoom.client import (
    MESSAGE_MAX,
    ZoomClient,
    parse_retry_after,
    scrub,
)
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider


def meeting_provider(**kwargs) -> ZoomMeetingProvider:
    return ZoomMeetingProvider({"meeting_id": MEETING_ID}, **kwargs)


def person(n: int) -> Registration:
    return Registration(email=f"p{n}@example.org", first_name="Pat", last_name=f"P{n}")


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch):
    """The worker must never sleep on a 429 (or anywhere else in these paths)."""

    def refuse(seconds):
        raise AssertionError(f"slept {seconds}s")

    monkeypatch.setattr("time.sleep", refuse)


def test_token_request_is_server_to_server_oauth(zoom):
    zoom.meeting()
    ZoomClient().get(f"/meetings/{MEETING_ID}")
    (token_call,) = zoom.token_calls
    request = token_call.request
    assert request.method == "POST"
    assert parse_qs(request.body) == {
        "grant_type": ["account_credentials"],
        "account_id": ["test-account"],
    }
    expected = base64.b64encode(f"test-client:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    (api_call,) = zoom.api_calls
    assert api_call.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert api_call.request.headers["User-Agent"] == f"wagtail-webinars/{__version__}"


def test_every_call_has_connect_and_read_timeouts(zoom, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_TIMEOUT": (3, 12)}
    zoom.meeting()
    ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert [c.request.req_kwargs["timeout"] for c in zoom.mock.calls] == [(3, 12), (3, 12)]


def test_one_session_for_every_client(zoom):
    assert ZoomClient().session is ZoomClient().session


def test_token_cache_1000_pushes_one_token_request(zoom):
    zoom.accepts_registrants()
    for n in range(1000):
        # A new provider (and client) each time, as each task builds its own.
        meeting_provider().push_registrant(person(n))
    assert len(zoom.token_calls) == 1
    assert len(zoom.calls_to("POST", "/registrants")) == 1000


def test_token_renewed_shortly_before_expiry(zoom):
    zoom.meeting()
    with time_machine.travel(datetime(2030, 1, 1, 12, 0, tzinfo=UTC), tick=False) as clock:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
        clock.shift(timedelta(seconds=3600 - 200))
        ZoomClient().get(f"/meetings/{MEETING_ID}")
        assert len(zoom.token_calls) == 1
        # Within the safety margin of expiry: a new token, not a 401 first.
        clock.shift(timedelta(seconds=100))
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert len(zoom.token_calls) == 2
    assert all(c.response.status_code == 200 for c in zoom.api_calls)


def test_api_url_from_token_response_is_used_with_v2(zoom):
    zoom.token(api_url="https://eu01api.zoom.test")
    zoom.mock.get(f"https://eu01api.zoom.test/v2/meetings/{MEETING_ID}", json={"id": 1})
    assert ZoomClient().get(f"/meetings/{MEETING_ID}") == {"id": 1}
    assert zoom.api_calls[0].request.url.startswith("https://eu01api.zoom.test/v2/meetings/")


def test_expired_token_refreshes_once_and_retries_once(zoom):
    url = f"{API}/meetings/{MEETING_ID}"
    zoom.mock.get(url, json={"code": 124, "message": "Access token is expired."}, status=401)
    zoom.mock.get(url, json={"id": int(MEETING_ID)}, status=200)
    assert ZoomClient().get(f"/meetings/{MEETING_ID}") == {"id": int(MEETING_ID)}
    assert len(zoom.token_calls) == 2
    assert len(zoom.api_calls) == 2


def test_second_401_is_credentials_rejected_without_more_calls(zoom):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 401, 124, "Invalid access token.")
    with pytest.raises(ProviderAuthError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert not caught.value.transient
    assert caught.value.code == 124
    assert len(zoom.token_calls) == 2
    assert len(zoom.api_calls) == 2


def test_refresh_keeps_a_token_another_process_already_replaced(zoom):
    client = ZoomClient()
    cache.set(client._cache_key, {"access_token": "newer", "api_base": API}, 600)
    assert client._token(stale="older") == ("newer", API)
    assert zoom.token_calls == []


@pytest.mark.parametrize(
    "status,body",
    [
        (401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
        (400, {"code": 4702, "message": "Invalid client_id or client_secret"}),
        (400, {"code": 4704, "message": "Invalid client secret"}),
        (400, {"code": 4706, "message": "Client ID or client secret is missing"}),
    ],
)
def test_token_endpoint_rejection_is_an_auth_error(zoom, status, body):
    zoom.token_error(status, body)
    with pytest.raises(ProviderAuthError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert not caught.value.transient
    assert caught.value.status == status
    assert zoom.api_calls == []


def test_missing_credentials_name_the_settings(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "ZOOM_CLIENT_ID": "",
        "ZOOM_CLIENT_SECRET": "",
    }
    with pytest.raises(ProviderConfigurationError) as caught:
        ZoomClient()
    message = str(caught.value)
    assert "ZOOM_CLIENT_ID" in message and "ZOOM_CLIENT_SECRET" in message
    assert "ZOOM_ACCOUNT_ID" not in message
    assert "test-account" not in message


def test_waits_for_another_process_refreshing_instead_of_asking_twice(zoom):
    waits = []

    def wait(seconds):
        waits.append(seconds)
        if len(waits) == 3:
            cache.set(client._cache_key, {"access_token": "theirs", "api_base": API}, 600)

    client = ZoomClient(wait=wait)
    cache.add(client._cache_key + ":lock", "1", 30)
    assert client._token() == ("theirs", API)
    assert zoom.token_calls == []
    assert len(waits) == 3


def test_gives_up_waiting_and_fetches_its_own_token(zoom):
    waits = []
    client = ZoomClient(wait=waits.append)
    cache.add(client._cache_key + ":lock", "1", 30)
    token, _base = client._token()
    assert token == ACCESS_TOKEN
    assert len(zoom.token_calls) == 1
    assert 0 < sum(waits) <= 3.1


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2030-01-01T12:05:00Z"}, 300.0),
        ({"Retry-After": "Tue, 01 Jan 2030 12:01:00 GMT"}, 60.0),
        ({"X-RateLimit-Type": "Daily-limit"}, 12 * 3600.0),
        ({"X-RateLimit-Type": "QPS"}, 1.0),
        ({}, None),
    ],
)
def test_parse_retry_after(headers, expected):
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(headers, now) == expected


def test_429_is_transient_with_retry_after_and_no_sleep(zoom):
    zoom.error(
        "GET",
        f"/meetings/{MEETING_ID}",
        429,
        429,
        "You have reached the maximum per-second rate limit for this API. Try again later.",
        headers={"Retry-After": "12", "X-RateLimit-Type": "QPS"},
    )
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert caught.value.transient
    assert caught.value.retry_after == 12.0
    assert caught.value.rate_limit_type == "QPS"
    assert len(zoom.api_calls) == 1  # rescheduled by the caller, not retried here


def test_429_says_when_it_is_a_daily_limit(zoom):
    # Told apart from a per-second limit: a batch refused for one registrant's daily
    # limit is retried one by one, not held back until midnight as a whole.
    zoom.error(
        "POST",
        f"/meetings/{MEETING_ID}/batch_registrants",
        429,
        429,
        "You have exceeded the daily rate limit.",
        headers={"X-RateLimit-Type": "Daily-limit"},
    )
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().request("POST", f"/meetings/{MEETING_ID}/batch_registrants", json={})
    assert caught.value.rate_limit_type == "Daily-limit"
    assert caught.value.retry_after > 0  # until midnight UTC


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(zoom, status):
    zoom.error("GET", f"/meetings/{MEETING_ID}", status, None, "Server error")
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert caught.value.transient and caught.value.status == status


@pytest.mark.parametrize("exc", [timeout(), requests.ConnectionError("connection reset by peer")])
def test_timeouts_and_resets_are_transient(zoom, exc):
    zoom.raise_("GET", f"/meetings/{MEETING_ID}", exc)
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    assert caught.value.transient and caught.value.status is None


def test_client_errors_carry_status_code_and_message(zoom):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 404, 3001, "Meeting does not exist: 1.")
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    err = caught.value
    assert (err.status, err.code, err.message, err.transient) == (
        404,
        3001,
        "Meeting does not exist: 1.",
        False,
    )


def test_pagination_follows_next_page_token_with_largest_pages(zoom):
    path = f"/report/meetings/{MEETING_ID}/participants"
    pages = {
        "": ([participant_payload(1), participant_payload(2)], "tok-2"),
        "tok-2": ([participant_payload(3)], "tok-3"),
        "tok-3": ([participant_payload(4)], ""),
    }

    def reply(request):
        import json

        query = parse_qs(urlsplit(request.url).query)
        items, following = pages[query.get("next_page_token", [""])[0]]
        body = {"page_size": 300, "total_records": 4, "next_page_token": following}
        return 200, {}, json.dumps({**body, "participants": items})

    zoom.callback("GET", path, reply)
    items = list(ZoomClient().paginate(path, "participants", {"include_fields": "registrant_id"}))
    assert [i["name"] for i in items] == ["Person 1", "Person 2", "Person 3", "Person 4"]
    queries = [parse_qs(urlsplit(c.request.url).query) for c in zoom.api_calls]
    assert all(q["page_size"] == ["300"] for q in queries)
    assert [q.get("next_page_token") for q in queries] == [None, ["tok-2"], ["tok-3"]]


def test_secrets_never_in_logs_or_errors(zoom, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    # An error body that (absurdly) echoes the secret is scrubbed too.
    zoom.error("GET", f"/meetings/{MEETING_ID}", 400, 300, f"Bad request {SECRET}")
    zoom.error("GET", "/meetings/2", 401, 124, "Invalid access token.")
    zoom.error("GET", "/meetings/3", 500, None, "boom")
    for path in (f"/meetings/{MEETING_ID}", "/meetings/2", "/meetings/3"):
        with pytest.raises(ProviderAPIError) as caught:
            ZoomClient().get(path)
        errors.append(caught.value)
    cache.clear()
    zoom.token_error(401)
    with pytest.raises(ProviderAuthError) as caught:
        ZoomClient().get("/meetings/4")
    errors.append(caught.value)
    assert "zoom GET" in caplog.text  # we did log, just not secrets
    for text in [caplog.text, *map(str, errors), *(repr(e.__dict__) for e in errors)]:
        assert SECRET not in text
        assert ACCESS_TOKEN not in text
    assert repr(ZoomClient().credentials).count(SECRET) == 0


# -- what an error keeps: Zoom's code and message, never credentials ------------------------------
def test_error_text_never_keeps_credentials_zoom_echoes(zoom):
    def echo_headers(request):
        body = {
            "code": 300,
            "message": f"Bad request; headers were {dict(request.headers)!r}",
            "debug": "raw body we must not keep",
        }
        return 400, {}, json.dumps(body)

    zoom.callback("GET", f"/meetings/{MEETING_ID}", echo_headers)
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    text = ZoomMeetingProvider({"meeting_id": MEETING_ID}).describe_error(caught.value)
    for leaked in (ACCESS_TOKEN, "Bearer", "raw body"):
        assert leaked not in text and leaked not in str(caught.value)
    assert "code 300" in text


def test_sign_in_error_never_keeps_basic_credentials(zoom):
    def echo_auth(request):
        body = {"reason": f"Invalid client: Authorization: {request.headers['Authorization']}"}
        return 401, {}, json.dumps(body)

    zoom.mock.remove(responses.POST, OAUTH)
    zoom.mock.add_callback(responses.POST, OAUTH, callback=echo_auth)
    with pytest.raises(ProviderAuthError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    text = ZoomMeetingProvider({"meeting_id": MEETING_ID}).describe_error(caught.value)
    basic = base64.b64encode(b"test-client:" + SECRET.encode()).decode()
    for leaked in (basic, SECRET, "Basic "):
        assert leaked not in text and leaked not in caught.value.message


def test_scrub_cuts_long_bodies_and_credential_shapes():
    assert scrub("x" * 1000).endswith("…") and len(scrub("x" * 1000)) == MESSAGE_MAX
    assert "abc.def" not in scrub('{"authorization": "Bearer abc.def"}')
    assert "dXNlcjpwdw==" not in scrub("Basic dXNlcjpwdw==")
    assert scrub("Registration has not been enabled") == "Registration has not been enabled"


# -- one voice ------------------------------------------------------------------------------------
def test_no_answer_is_said_once(zoom):
    zoom.raise_("GET", f"/meetings/{MEETING_ID}", requests.ConnectionError("reset"))
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    text = ZoomMeetingProvider({"meeting_id": MEETING_ID}).describe_error(caught.value)
    assert text == "Zoom could not be reached: the connection failed (ConnectionError)."


def test_an_answer_we_could_not_read_is_not_put_in_zooms_mouth(zoom):
    zoom.on("GET", f"/meetings/{MEETING_ID}", body="<html>not json</html>", status=200)
    with pytest.raises(ProviderAPIError) as caught:
        ZoomClient().get(f"/meetings/{MEETING_ID}")
    text = ZoomMeetingProvider({"meeting_id": MEETING_ID}).describe_error(caught.value)
    assert text == "Zoom sent an answer we could not read."
    assert "Zoom said" not in text
