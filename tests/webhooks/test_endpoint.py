"""The webhook endpoint: verified deliveries are recorded once and queued; anything
else is refused with nothing processed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.webhooks import deliveries
from tests.webhooks.deliveries import URL, WEBHOOK_SECRET, signed_headers
from wagtail_webinars import jobs
from wagtail_webinars.models import WebhookDelivery

pytestmark = pytest.mark.django_db

MEETING = "81234567890"


def _joined() -> bytes:
    return deliveries.participant(MEETING, email="a@example.org", join_time="2030-01-15T19:01:00Z")


def test_url_validation_answers_the_challenge(post_delivery, queued):
    body = json.dumps(
        {
            "event": "endpoint.url_validation",
            "event_ts": 1,
            "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
        }
    ).encode()
    response = post_delivery(body)
    assert response.status_code == 200
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert queued == []


def test_url_validation_unsigned_is_refused(post_delivery):
    body = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": "x"}}).encode()
    response = post_delivery(body, headers={})
    assert response.status_code == 401
    assert "encryptedToken" not in response.content.decode()


def test_valid_delivery_is_recorded_and_queued(post_delivery, queued):
    response = post_delivery(_joined())
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == WebhookDelivery.Outcome.QUEUED
    assert delivery.event_type == "meeting.participant_joined"
    assert delivery.meeting_id == MEETING
    assert delivery.occurred_at is not None
    assert queued == [(jobs.HANDLE_WEBHOOK, (delivery.pk,))]


def test_the_same_delivery_twice_is_queued_once(post_delivery, queued):
    body = _joined()
    assert post_delivery(body).status_code == 200
    # Zoom's retry: the same body, signed again later.
    again = post_delivery(body, headers=signed_headers(body, at=int(time.time()) + 1))
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1
    assert len(queued) == 1


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param({"HTTP_X_ZM_REQUEST_TIMESTAMP": str(int(time.time()))}, id="no-signature"),
        pytest.param(
            {
                "HTTP_X_ZM_SIGNATURE": "v0=" + "0" * 64,
                "HTTP_X_ZM_REQUEST_TIMESTAMP": str(int(time.time())),
            },
            id="forged",
        ),
        pytest.param("other-secret", id="wrong-secret"),
        pytest.param("replayed", id="replayed"),
        pytest.param("future", id="future"),
        pytest.param(
            {"HTTP_X_ZM_SIGNATURE": "v0=abc", "HTTP_X_ZM_REQUEST_TIMESTAMP": "12ab"},
            id="bad-timestamp",
        ),
    ],
)
def test_refused_deliveries_process_nothing(post_delivery, queued, headers):
    body = _joined()
    if headers == "other-secret":
        headers = signed_headers(body, secret="other-secret")
    elif headers == "replayed":
        headers = signed_headers(body, at=int(time.time()) - 6 * 60)
    elif headers == "future":
        headers = signed_headers(body, at=int(time.time()) + 6 * 60)
    response = post_delivery(body, headers=headers)
    assert response.status_code == 401
    assert queued == []
    refused = WebhookDelivery.objects.get()
    assert refused.outcome == WebhookDelivery.Outcome.REFUSED
    # Nothing a stranger sent is kept.
    assert refused.payload == {} and refused.key is None and refused.event_type == ""


def test_a_body_changed_after_signing_is_refused(post_delivery, queued):
    body = _joined()
    headers = signed_headers(body)
    tampered = body.replace(b"a@example.org", b"b@example.org")
    assert post_delivery(tampered, headers=headers).status_code == 401
    assert queued == []


def test_the_raw_bytes_are_signed_not_a_reserialisation(post_delivery, queued):
    # Spaces and key order as Zoom may send them: the signature is over these bytes.
    body = (
        b'{ "event": "meeting.deleted",  "payload": {"object": {"id": 81234567890}},'
        b' "event_ts": 5 }'
    )
    assert post_delivery(body).status_code == 200
    assert len(queued) == 1


def test_without_a_secret_everything_is_refused(client, settings, queued):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_WEBHOOK_SECRET_TOKEN": None}
    body = _joined()
    # Even a delivery signed with an empty secret.
    response = client.generic(
        "POST", URL, body, content_type="application/json", **signed_headers(body, secret="")
    )
    assert response.status_code == 403
    assert queued == []
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.REFUSED


def test_the_secret_may_come_from_the_environment(client, settings, monkeypatch, queued):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_WEBHOOK_SECRET_TOKEN": None}
    monkeypatch.setenv("ZOOM_WEBHOOK_SECRET_TOKEN", "from-env")
    body = _joined()
    response = client.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        **signed_headers(body, secret="from-env"),
    )
    assert response.status_code == 200
    assert len(queued) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b'"text"',
        b'{"event": 5}',
        b'{"event": "meeting.participant_joined"}',
        b'{"event": "meeting.participant_joined", "payload": []}',
        b'{"event": "meeting.participant_joined", "payload": {"object": {"id": "x"}}}',
        b'{"event": "meeting.participant_joined",'
        b' "payload": {"object": {"id": 1, "participant": 3}}}',
        b'{"event": "endpoint.url_validation", "payload": {}}',
    ],
)
def test_garbage_is_a_400_with_nothing_processed(post_delivery, queued, body):
    response = post_delivery(body)
    assert response.status_code == 400
    assert queued == []
    assert not WebhookDelivery.objects.exclude(outcome=WebhookDelivery.Outcome.REFUSED).exists()


def test_a_huge_body_is_refused_unread(post_delivery, queued):
    body = (
        b'{"event": "meeting.updated", "payload": {"object": {"id": 1, "x": "'
        + b"a" * 70_000
        + b'"}}}'
    )
    assert post_delivery(body).status_code == 400
    assert queued == []


def test_only_post(client, webhook_secret):
    assert client.get(URL).status_code == 405


def test_unknown_provider_is_404(client, webhook_secret):
    assert (
        client.post("/events/webhooks/nobody/", b"{}", content_type="application/json").status_code
        == 404
    )


def test_events_we_do_not_act_on_are_recorded_not_queued(post_delivery, queued):
    body = deliveries.envelope("meeting.sharing_started", {"id": 1})
    assert post_delivery(body).status_code == 200
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.IGNORED
    assert queued == []


def test_secret_never_in_answers_or_records(post_delivery, caplog):
    caplog.set_level("DEBUG")
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}
    ).encode()
    response = post_delivery(body)
    post_delivery(_joined(), headers={})
    texts = [
        response.content.decode(),
        caplog.text,
        *WebhookDelivery.objects.values_list("message", flat=True),
    ]
    assert not any(WEBHOOK_SECRET in text for text in texts)


def test_no_csrf_token_needed(webhook_secret, queued):
    from django.test import Client

    body = _joined()
    response = Client(enforce_csrf_checks=True).generic(
        "POST", URL, body, content_type="application/json", **signed_headers(body)
    )
    assert response.status_code == 200
