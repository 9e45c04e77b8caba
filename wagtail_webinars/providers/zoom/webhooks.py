"""Zoom's webhooks (event subscriptions): signature, URL validation, payloads.

What is Zoom's here and nowhere else:

* every delivery carries ``x-zm-request-timestamp`` (Unix seconds) and
  ``x-zm-signature`` = ``"v0=" + hex(HMAC-SHA256(secret token,
  "v0:{timestamp}:{raw body}"))``. We hash the raw bytes as they arrived (a
  re-serialised body would not match) and compare in constant time;
* a timestamp more than :data:`MAX_SKEW` away from now is a replay and refused;
* ``endpoint.url_validation`` carries ``payload.plainToken``; the answer is
  ``{"plainToken", "encryptedToken": hex(HMAC-SHA256(secret token, plainToken))}``.
  Zoom signs that request too, and we check it like any other;
* the envelope is ``{"event", "event_ts" (milliseconds), "payload": {"object"}}``,
  and ``object.id`` is a number in some events and a string in others.

The secret token (``WAGTAIL_WEBINARS["ZOOM_WEBHOOK_SECRET_TOKEN"]`` or the
environment variable of that name) never goes into a log line, an error or a page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from wagtail_webinars.conf import get_setting

from ..base import (
    EVENT_CHALLENGE,
    EVENT_MEETING_DELETED,
    EVENT_MEETING_ENDED,
    EVENT_MEETING_UPDATED,
    EVENT_PARTICIPANT_JOINED,
    EVENT_PARTICIPANT_LEFT,
    EVENT_REGISTRATION_CANCELLED,
    EVENT_REGISTRATION_CREATED,
    ProviderEvent,
)
from ..errors import WebhookRefused
from .meetings import parse_zoom_time

SECRET_SETTING = "ZOOM_WEBHOOK_SECRET_TOKEN"
SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
#: Deliveries signed further from now than this are refused (replays).
MAX_SKEW = timedelta(minutes=5)

#: Zoom's event names (meeting and webinar alike) -> what they mean for us.
EVENT_KINDS = {
    "participant_joined": EVENT_PARTICIPANT_JOINED,
    "participant_left": EVENT_PARTICIPANT_LEFT,
    "registration_cancelled": EVENT_REGISTRATION_CANCELLED,
    "registration_created": EVENT_REGISTRATION_CREATED,
    "updated": EVENT_MEETING_UPDATED,
    "deleted": EVENT_MEETING_DELETED,
    "ended": EVENT_MEETING_ENDED,
}
VALIDATION_EVENT = "endpoint.url_validation"


def secret() -> bytes | None:
    value = get_setting(SECRET_SETTING)
    return str(value).encode() if value else None


def sign(secret_token: bytes, timestamp: str, body: bytes) -> str:
    """The ``x-zm-signature`` Zoom sends for ``body`` signed at ``timestamp``."""
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret_token, message, hashlib.sha256).hexdigest()


def verify(headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Raise :class:`WebhookRefused` unless ``body`` is signed with our secret token,
    recently. Fails closed: without a configured secret nothing is accepted."""
    token = secret()
    if not token:
        raise WebhookRefused(403, "no webhook secret token is configured")
    signature = headers.get(SIGNATURE_HEADER) or ""
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    if not signature or not timestamp:
        raise WebhookRefused(401, "unsigned delivery")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefused(401, "unreadable signature timestamp")
    signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    if abs(now - signed_at) > MAX_SKEW:
        raise WebhookRefused(401, "signature timestamp too far from now")
    expected = sign(token, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise WebhookRefused(401, "wrong signature")


def challenge_answer(event: ProviderEvent) -> dict[str, str]:
    """The answer to ``endpoint.url_validation`` (only after :func:`verify`)."""
    token = secret() or b""
    plain = event.challenge
    encrypted = hmac.new(token, plain.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain, "encryptedToken": encrypted}


def parse(body: bytes) -> ProviderEvent:
    """A verified delivery as a :class:`ProviderEvent`; :class:`WebhookRefused` (400)
    when it is not one Zoom would send."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise WebhookRefused(400, "not JSON") from err
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise WebhookRefused(400, "no event name")
    name = data["event"][:64]
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "no payload")
    occurred_at = _event_time(data.get("event_ts"))
    if name == VALIDATION_EVENT:
        plain = payload.get("plainToken")
        if not isinstance(plain, str) or not plain or len(plain) > 256:
            raise WebhookRefused(400, "no plainToken")
        return ProviderEvent(kind=EVENT_CHALLENGE, name=name, challenge=plain)
    resource, _dot, action = name.partition(".")
    kind = EVENT_KINDS.get(action, "") if resource in ("meeting", "webinar") else ""
    obj = payload.get("object")
    if not isinstance(obj, dict):
        if kind:
            raise WebhookRefused(400, "no payload object")
        obj = {}
    meeting_id = str(obj.get("id") or "").strip()
    if kind and not meeting_id.isdigit():
        raise WebhookRefused(400, "no meeting or webinar id")
    event = ProviderEvent(
        kind=kind,
        name=name,
        meeting_id=meeting_id[:20],
        occurred_at=occurred_at,
        resource="webinars" if resource == "webinar" else "meetings",
    )
    person = (
        obj.get("participant")
        if kind in (EVENT_PARTICIPANT_JOINED, EVENT_PARTICIPANT_LEFT)
        else None
    )
    if kind in (EVENT_REGISTRATION_CANCELLED, EVENT_REGISTRATION_CREATED):
        person = obj.get("registrant")
    if kind and person is not None and not isinstance(person, dict):
        raise WebhookRefused(400, "unreadable participant or registrant")
    if person:
        _read_person(event, person)
    return event


def _read_person(event: ProviderEvent, person: dict[str, Any]) -> None:
    def text(key: str, limit: int) -> str:
        value = person.get(key)
        return str(value).strip()[:limit] if isinstance(value, str | int) else ""

    if event.kind in (EVENT_REGISTRATION_CANCELLED, EVENT_REGISTRATION_CREATED):
        event.registrant_id = text("id", 128)
        event.first_name = text("first_name", 150)
        event.last_name = text("last_name", 150)
        event.join_url = text("join_url", 1024)
    else:
        event.registrant_id = text("registrant_id", 128)
        event.join_time = parse_zoom_time(text("join_time", 40))
        event.leave_time = parse_zoom_time(text("leave_time", 40))
    event.email = text("email", 254)


def _event_time(value: Any) -> datetime | None:
    # ``event_ts`` is in milliseconds.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
