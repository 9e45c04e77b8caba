"""Zoom's webhook contract: signature over the raw bytes, replay window, URL
validation, payload parsing (meeting and webinar, ids as numbers or strings)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from wagtail_webinars.providers import base
from wagtail_webinars.providers.errors import UnsupportedOperation, WebhookRefused
from wagtail_webinars.providers.unmanaged import VimeoProvider
from wagtail_webinars.providers.zoom import webhooks
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider

SECRET = "zoom-secret-token"
NOW = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))


@pytest.fixture(autouse=True)
def secret(settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET}


def headers(body: bytes, ts: str = TS, secret: str = SECRET) -> dict:
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"x-zm-signature": "v0=" + digest.hexdigest(), "x-zm-request-timestamp": ts}


def test_sign_matches_zooms_recipe():
    body = b'{"event":"meeting.ended"}'
    expected = hmac.new(SECRET.encode(), f"v0:{TS}:".encode() + body, hashlib.sha256).hexdigest()
    assert webhooks.sign(SECRET.encode(), TS, body) == "v0=" + expected


def test_verify_accepts_a_fresh_signature():
    body = b'{"event":"meeting.ended"}'
    webhooks.verify(headers(body), body, NOW + timedelta(minutes=4))


@pytest.mark.parametrize("minutes", [-6, 6])
def test_verify_refuses_timestamps_outside_five_minutes(minutes):
    body = b"{}"
    with pytest.raises(WebhookRefused) as err:
        webhooks.verify(headers(body), body, NOW + timedelta(minutes=minutes))
    assert err.value.status == 401


def test_verify_fails_closed_without_a_secret(settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_WEBHOOK_SECRET_TOKEN": ""}
    body = b"{}"
    with pytest.raises(WebhookRefused) as err:
        webhooks.verify(headers(body, secret=""), body, NOW)
    assert err.value.status == 403


def test_verify_is_over_the_raw_bytes():
    body = b'{"a": 1}'
    with pytest.raises(WebhookRefused):
        webhooks.verify(headers(b'{"a":1}'), body, NOW)


def test_challenge_answer():
    event = webhooks.parse(b'{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}')
    assert event.kind == base.EVENT_CHALLENGE
    answer = webhooks.challenge_answer(event)
    assert answer == {
        "plainToken": "abc",
        "encryptedToken": hmac.new(SECRET.encode(), b"abc", hashlib.sha256).hexdigest(),
    }


def test_parse_participant_joined_webinar_with_string_id():
    body = (
        b'{"event":"webinar.participant_joined","event_ts":1894302000000,"payload":{'
        b'"account_id":"x","object":{"id":"91234567890","uuid":"u","participant":{'
        b'"user_name":"Pat","email":"pat@example.org","registrant_id":"r1",'
        b'"join_time":"2030-01-15T19:01:00Z","participant_uuid":"p1"}}}}'
    )
    event = webhooks.parse(body)
    assert event.kind == base.EVENT_PARTICIPANT_JOINED
    assert event.resource == "webinars"
    assert event.meeting_id == "91234567890"
    assert (event.registrant_id, event.email) == ("r1", "pat@example.org")
    assert event.join_time == datetime(2030, 1, 15, 19, 1, tzinfo=UTC)
    assert event.occurred_at == datetime.fromtimestamp(1894302000, tz=UTC)
    # Survives being stored with the delivery and read back by the task.
    assert base.ProviderEvent.from_dict(event.as_dict()) == event


def test_parse_registration_cancelled_with_number_id():
    body = (
        b'{"event":"meeting.registration_cancelled","event_ts":1,"payload":{"object":{'
        b'"id":81234567890,"registrant":{"id":"r9","email":"a@example.org",'
        b'"first_name":"A","last_name":"B"}}}}'
    )
    event = webhooks.parse(body)
    assert event.kind == base.EVENT_REGISTRATION_CANCELLED
    assert (event.meeting_id, event.registrant_id, event.first_name) == ("81234567890", "r9", "A")


def test_unhandled_events_parse_to_no_kind():
    assert webhooks.parse(b'{"event":"recording.completed","payload":{}}').kind == ""


def test_both_zoom_providers_share_one_webhook():
    assert ZoomMeetingProvider.webhook_name == ZoomWebinarProvider.webhook_name == "zoom"


def test_providers_without_webhooks_say_so():
    assert VimeoProvider.webhook_name == ""
    with pytest.raises(UnsupportedOperation, match="VimeoProvider does not support verify"):
        VimeoProvider.verify_webhook({}, b"", NOW)
