"""Recurring meetings in the stand-in: occurrences, registrations for them, attendance.

Zoom's habits copied here (its OpenAPI description, ZOOM_API.md):

* a meeting of type 8 (webinar 9) lists ``occurrences[]`` in ``GET /meetings/{id}``:
  ``occurrence_id`` is the start in epoch milliseconds, as a string, with
  ``start_time``, ``duration`` and ``status`` "available";
* ``POST .../registrants?occurrence_ids=a,b`` registers for those occurrences and
  answers with them in ``occurrences[]``; an ID the meeting does not have is refused
  (the stand-in answers 400 code 300, "Invalid occurrence_ids": Zoom's exact answer
  is not documented);
* status updates and registrant lists take ``occurrence_id``;
* batch registration takes only types 2 and 5 (400 code 303 for a meeting).

Each occurrence that someone attended is a past instance of its own (reports.py
groups the report rows by time), so a pull can pick that occurrence's instance.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest, JsonResponse

from .models import Meeting, Registrant

RECURRING_TYPES = (8, 9)


def occurrence_id_of(start: datetime) -> str:
    return str(int(start.timestamp() * 1000))


def occurrences(meeting: Meeting) -> list[dict]:
    """``[{"occurrence_id", "start_time" (datetime), "duration", "status"}]``."""
    if meeting.type not in RECURRING_TYPES:
        return []
    found = []
    for n in range(meeting.occurrence_count):
        start = meeting.start_time + timedelta(days=meeting.repeat_days * n)
        found.append(
            {
                "occurrence_id": occurrence_id_of(start),
                "start_time": start,
                "duration": meeting.duration,
                "status": "available",
            }
        )
    return found


def find(meeting: Meeting, occurrence_id: str) -> dict | None:
    return next((o for o in occurrences(meeting) if o["occurrence_id"] == occurrence_id), None)


def payload(items: list[dict]) -> list[dict]:
    from .views import zoom_time

    return [{**o, "start_time": zoom_time(o["start_time"])} for o in items]


def requested(request: HttpRequest, meeting: Meeting, name: str) -> list[str] | JsonResponse:
    """The occurrence IDs named in the query (``occurrence_ids`` or ``occurrence_id``),
    or Zoom-style refusal when the meeting has no such occurrence."""
    from .views import zoom_error

    wanted = [v.strip() for v in (request.GET.get(name) or "").split(",") if v.strip()]
    known = {o["occurrence_id"] for o in occurrences(meeting)}
    if any(v not in known for v in wanted):
        return zoom_error(400, 300, f"Invalid {name}.")
    return wanted


def remember(registrant: Registrant, wanted: list[str]) -> None:
    """Add the occurrences someone registered for (Zoom's "choose occurrences")."""
    if not wanted:
        return
    have = [v for v in registrant.occurrence_ids.split(",") if v]
    merged = have + [v for v in wanted if v not in have]
    if merged != have:
        registrant.occurrence_ids = ",".join(merged)
        registrant.save(update_fields=["occurrence_ids"])


def registered_for(registrant: Registrant, occurrence_id: str) -> bool:
    ids = [v for v in registrant.occurrence_ids.split(",") if v]
    return not ids or occurrence_id in ids


def start_of(meeting: Meeting, occurrence_id: str) -> datetime | None:
    """Where the controls put attendance: the occurrence's start (``None``: unknown);
    the meeting's own start without one."""
    if not occurrence_id:
        return meeting.start_time
    found = find(meeting, occurrence_id)
    return found["start_time"] if found else None
