"""Zoom webhook deliveries as Zoom sends them: envelope, signature headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

WEBHOOK_SECRET = "whsec-test-token-do-not-log"
URL = "/events/webhooks/zoom/"


def signed_headers(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict:
    timestamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256
    ).hexdigest()
    return {
        "HTTP_X_ZM_SIGNATURE": f"v0={digest}",
        "HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp,
    }


def envelope(event: str, obj: dict, *, event_ts: int | None = None, **payload) -> bytes:
    data = {
        "event": event,
        "event_ts": int(time.time() * 1000) if event_ts is None else event_ts,
        "payload": {"account_id": "AAAbbbCCC", "object": obj, **payload},
    }
    return json.dumps(data, separators=(",", ":")).encode()


def participant(
    meeting_id: str,
    *,
    email: str = "",
    registrant_id: str = "",
    join_time: str,
    resource: str = "meeting",
    left: bool = False,
    event_ts=None,
) -> bytes:
    person = {
        "user_id": "16778240",
        "user_name": "Pat Person",
        "id": "",
        "participant_uuid": "A1B2C3",
        "join_time": join_time,
        "email": email,
        "participant_user_id": "",
    }
    if registrant_id:
        person["registrant_id"] = registrant_id
    if left:
        person["leave_time"] = join_time
        person["leave_reason"] = "left the meeting"
    name = f"{resource}.participant_{'left' if left else 'joined'}"
    return envelope(
        name,
        {
            "id": str(meeting_id),
            "uuid": "4444AAAiAAAAAiAiAiiAii==",
            "host_id": "x1yCzABCDEfg23HiJKl4mN",
            "topic": "Alumni town hall",
            "type": 2,
            "start_time": join_time,
            "timezone": "America/New_York",
            "duration": 60,
            "participant": person,
        },
        event_ts=event_ts,
    )


def registration(
    meeting_id: str,
    action: str,
    *,
    registrant_id: str,
    email: str,
    first_name: str = "Robin",
    last_name: str = "Zoomer",
    event_ts=None,
    resource: str = "meeting",
) -> bytes:
    return envelope(
        f"{resource}.registration_{action}",
        {
            "id": int(meeting_id),
            "uuid": "4444AAAiAAAAAiAiAiiAii==",
            "host_id": "x1yCzABCDEfg23HiJKl4mN",
            "topic": "Alumni town hall",
            "type": 2,
            "start_time": "2030-01-15T19:00:00Z",
            "duration": 60,
            "timezone": "America/New_York",
            "registrant": {
                "id": registrant_id,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "join_url": f"https://zoom.test/w/{meeting_id}?tk={registrant_id}",
            },
        },
        event_ts=event_ts,
        operator="host@example.edu",
    )


def meeting(meeting_id: str, action: str, *, event_ts=None, resource: str = "meeting") -> bytes:
    return envelope(
        f"{resource}.{action}",
        {"id": int(meeting_id), "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "x1y"},
        event_ts=event_ts,
        operator="host@example.edu",
    )
