"""The stand-in's webhooks: signed deliveries to the demo site, as Zoom's event
subscription sends them, so the demo shows live check-in, Zoom-side cancellations
and meeting changes offline.

Where they go: ``settings.ZOOM_STANDIN_WEBHOOK_URL`` (the example site sets it to
its own ``/events/webhooks/zoom/`` when it uses the stand-in; unset: nothing is
sent). The secret token is the one the site verifies with
(``WAGTAIL_WEBINARS["ZOOM_WEBHOOK_SECRET_TOKEN"]``), as the Zoom app and the site
share it. Deliveries are sent after the stand-in's own writes commit; a failure
is logged and forgotten (Zoom would retry; the demo does not need to).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import requests
from django.conf import settings
from django.db import transaction

from wagtail_webinars.conf import get_setting

from .models import Meeting, Participant, Registrant

logger = logging.getLogger(__name__)

TIMEOUT = (2, 10)


def zoom_time(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(body: bytes, secret: str, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": "v0=" + digest.hexdigest(),
    }


def send(event: str, obj: dict, **payload) -> bool:
    """Queue one delivery (sent once the current transaction commits)."""
    url = getattr(settings, "ZOOM_STANDIN_WEBHOOK_URL", None)
    secret = get_setting("ZOOM_WEBHOOK_SECRET_TOKEN")
    if not url or not secret:
        return False
    body = json.dumps(
        {
            "event": event,
            "event_ts": int(time.time() * 1000),
            "payload": {"account_id": "standinAccount", "object": obj, **payload},
        }
    ).encode()
    transaction.on_commit(lambda: _post(url, body, str(secret), event))
    return True


def _post(url: str, body: bytes, secret: str, event: str) -> None:
    try:
        response = requests.post(url, data=body, headers=signed(body, secret), timeout=TIMEOUT)
    except requests.RequestException as err:
        logger.warning("stand-in webhook %s not delivered: %s", event, type(err).__name__)
        return
    if response.status_code >= 300:
        logger.warning("stand-in webhook %s answered %s", event, response.status_code)


def _meeting_object(meeting: Meeting) -> dict:
    return {
        "id": meeting.zoom_id,
        "uuid": f"standin-{meeting.zoom_id}",
        "host_id": meeting.host_id,
        "topic": meeting.topic,
        "type": meeting.type,
        "start_time": zoom_time(meeting.start_time),
        "timezone": meeting.timezone,
        "duration": meeting.duration,
    }


def _prefix(meeting: Meeting) -> str:
    return "webinar" if meeting.kind == Meeting.WEBINAR else "meeting"


def participant_joined(meeting: Meeting, row: Participant) -> bool:
    person = {
        "user_id": str(row.pk),
        "user_name": row.name,
        "id": "",
        "participant_uuid": f"standin-participant-{row.pk}",
        "join_time": zoom_time(row.join_time),
        "email": row.user_email,
        "participant_user_id": "",
    }
    if row.registrant_id:
        person["registrant_id"] = row.registrant_id
    obj = {**_meeting_object(meeting), "id": str(meeting.zoom_id), "participant": person}
    return send(f"{_prefix(meeting)}.participant_joined", obj)


def participants_joined(meeting: Meeting, rows: list[Participant]) -> int:
    """One ``participant_joined`` per person (their first join), as Zoom sends on entry."""
    first: dict[str, Participant] = {}
    for row in sorted(rows, key=lambda r: r.join_time):
        first.setdefault(row.registrant_id or row.user_email or row.name, row)
    return sum(participant_joined(meeting, row) for row in first.values())


def registration_event(
    meeting: Meeting, registrant: Registrant, action: str, join_url: str = ""
) -> bool:
    person = {
        "id": registrant.registrant_id,
        "first_name": registrant.first_name,
        "last_name": registrant.last_name,
        "email": registrant.email,
    }
    if action == "created":
        person["join_url"] = join_url
    obj = {**_meeting_object(meeting), "registrant": person}
    return send(f"{_prefix(meeting)}.registration_{action}", obj, operator=meeting.host_email)


def meeting_updated(meeting: Meeting, changed: dict) -> bool:
    obj = {"id": meeting.zoom_id, "uuid": f"standin-{meeting.zoom_id}", **changed}
    return send(
        f"{_prefix(meeting)}.updated",
        obj,
        operator=meeting.host_email,
        time_stamp=int(time.time() * 1000),
        old_object={"id": meeting.zoom_id},
    )
