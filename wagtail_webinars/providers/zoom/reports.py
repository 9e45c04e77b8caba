"""Zoom's participant reports: who was in the meeting, every run of it.

Zoom quirks this module exists for:

* A numeric meeting ID gives only the latest instance's report: a host who ends
  and restarts the meeting makes several instances. We list the past instances
  (``/past_meetings/{id}/instances`` or ``/past_webinars/{id}/instances``), keep
  those starting within the event's time (with a margin: hosts open early, and a
  recurring meeting's other days must stay out), and pull each instance's report
  by UUID.
* A UUID that starts with ``/`` or contains ``//`` must be URL-encoded twice in
  the path (Zoom's documented rule); other UUIDs go as they are.
* Reports are "Heavy" calls paged by at most 300 (``next_page_token``); we ask
  for ``include_fields=registrant_id``, the strong key since Zoom hides guests'
  emails and ids.
* Right after a meeting ends there is no report yet: 404 with code 3001 (or an
  empty list of instances or participants). That is :class:`ReportNotReady`,
  retried later and never shown as a failure.
* A 429 comes up as a transient :class:`ProviderAPIError` with ``retry_after``;
  the caller reschedules (we never sleep in a worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..base import Participant
from ..errors import ProviderAPIError, ReportNotReady
from . import answers
from .meetings import parse_zoom_time

if TYPE_CHECKING:
    from .provider import ZoomProvider

#: An instance counts for the event when it starts this close to the event's time.
INSTANCE_MARGIN = timedelta(hours=2)
#: Zoom's "does not exist" code: for a just-ended meeting, "no report yet".
NOT_FOUND_CODE = 3001


def encode_uuid(uuid: str) -> str:
    """A meeting-instance UUID ready for a URL path (Zoom's double-encoding rule)."""
    if uuid.startswith("/") or "//" in uuid:
        return quote(quote(uuid, safe=""), safe="")
    return uuid


def _not_ready(err: ProviderAPIError) -> bool:
    return err.status == 404 or err.code == NOT_FOUND_CODE


def past_instances(provider: ZoomProvider) -> list[dict]:
    """Zoom's past instances of the meeting: ``[{"uuid", "start_time"}]`` (Medium/Light)."""

    def attempt(resource: str):
        return provider.client.get(f"/past_{resource}/{provider.meeting_id}/instances") or {}

    try:
        data = provider._with_fallback(attempt)
    except ProviderAPIError as err:
        if _not_ready(err):
            return []
        raise
    data = answers.obj(data)
    items = answers.objects(data.get("meetings") or data.get("webinars"))
    seen: set[str] = set()
    instances = []
    for item in items:
        uuid = answers.text(item.get("uuid"))
        if not uuid or uuid in seen:
            continue  # Zoom has been seen to list an instance twice
        seen.add(uuid)
        start = parse_zoom_time(answers.text(item.get("start_time")))
        instances.append({"uuid": uuid, "start_time": start})
    return instances


def instances_for_event(instances: list[dict], start: datetime, end: datetime) -> list[dict]:
    """The instances that belong to an event running from ``start`` to ``end``."""
    return [
        item
        for item in instances
        if item["start_time"] is not None
        and start - INSTANCE_MARGIN <= item["start_time"] <= end + INSTANCE_MARGIN
    ]


def instance_report(provider: ZoomProvider, uuid: str) -> Iterator[Participant]:
    """Every row of one instance's participant report (all pages)."""

    path = f"/report/{provider.resource_path}/{encode_uuid(uuid)}/participants"
    for item in provider.client.paginate(path, "participants", {"include_fields": "registrant_id"}):
        duration = answers.integer(item.get("duration")) or 0
        yield Participant(
            name=answers.text(item.get("name")),
            email=answers.text(item.get("user_email")).strip().lower(),
            join_time=parse_zoom_time(answers.text(item.get("join_time"))),
            leave_time=parse_zoom_time(answers.text(item.get("leave_time"))),
            duration_seconds=max(duration, 0),
            registrant_id=answers.text(item.get("registrant_id")),
            waiting_room=item.get("status") == "in_waiting_room",
            instance=uuid,
        )


class Pull:
    """The rows of every instance of the event, and what happened on the way."""

    def __init__(self, provider: ZoomProvider):
        self.provider = provider
        self.instances = 0
        self.not_ready = 0

    def rows(self) -> list[Participant]:
        event = self.provider.event
        instances = past_instances(self.provider)
        if event is not None and event.start and event.end:
            instances = instances_for_event(instances, event.start, event.end)
        if not instances:
            raise ReportNotReady("Zoom lists no past instance of this meeting yet.")
        self.instances = len(instances)
        rows: list[Participant] = []
        for item in instances:
            try:
                found = list(instance_report(self.provider, item["uuid"]))
            except ProviderAPIError as err:
                if not _not_ready(err):
                    raise
                found = []
            if not found:
                self.not_ready += 1
            rows.extend(found)
        if not rows:
            raise ReportNotReady("Zoom has no participant report for this meeting yet.")
        return rows
