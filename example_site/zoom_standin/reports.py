"""The stand-in's past instances and per-instance participant reports, and a
"simulate attendance" control, so the demo reaches check-in offline.

How the stand-in models instances without a table of its own: a meeting's
report rows are grouped into runs that overlap in time; a gap where nobody is
in the meeting means the host ended it and started again (a new instance). Each
instance's UUID is derived from the meeting and the instance's start, so it is
stable across requests; like Zoom's, it is base64 and may contain ``/``.

Zoom's habits copied here:

* ``GET /past_meetings/{id}/instances`` -> ``{"meetings": [{uuid, start_time}]}``
  (``/past_webinars/...`` -> ``{"webinars": [...]}``), empty before anyone joined.
* ``GET /report/{meetings|webinars}/{uuid}/participants``: the UUID double-encoded
  when it starts with ``/`` or contains ``//``; paged by ``next_page_token``;
  ``registrant_id`` only with ``include_fields=registrant_id``; 404 code 3001
  while the report is "not ready yet" (see ``control/meetings/{id}/report``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import unquote

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import recurring, webhooks
from .models import Meeting, Participant, Registrant
from .views import (
    _control_reply,
    _find,
    _page_envelope,
    _page_params,
    report_item,
    zoom_api,
    zoom_error,
    zoom_time,
)


def _not_ready_key(zoom_id: int) -> str:
    return f"zoom-standin:report-not-ready:{zoom_id}"


def instance_uuid(meeting: Meeting, start) -> str:
    digest = hashlib.sha256(f"{meeting.zoom_id}:{start.isoformat()}".encode()).digest()
    return base64.b64encode(digest[:16]).decode()


def instances_of(meeting: Meeting) -> list[dict]:
    """``[{"uuid", "start_time", "rows"}]``: runs of overlapping report rows."""
    runs: list[dict] = []
    for row in Participant.objects.filter(meeting=meeting).order_by("join_time", "pk"):
        if runs and row.join_time <= runs[-1]["end"]:
            runs[-1]["rows"].append(row)
            runs[-1]["end"] = max(runs[-1]["end"], row.leave_time)
        else:
            runs.append({"start_time": row.join_time, "end": row.leave_time, "rows": [row]})
    for run in runs:
        run["uuid"] = instance_uuid(meeting, run["start_time"])
    return runs


@zoom_api
@require_GET
def past_instances(request: HttpRequest, kind: str, zoom_id: int) -> JsonResponse:
    meeting = _find(kind, zoom_id)
    if isinstance(meeting, JsonResponse):
        return meeting
    key = "meetings" if kind == Meeting.MEETING else "webinars"
    items = [
        {"uuid": run["uuid"], "start_time": zoom_time(run["start_time"])}
        for run in instances_of(meeting)
    ]
    return JsonResponse({key: items})


@zoom_api
@require_GET
def instance_report(request: HttpRequest, kind: str, uuid: str) -> JsonResponse:
    # Django decoded the path once; a double-encoded UUID still has one layer left.
    uuid = unquote(uuid)
    found = None
    for meeting in Meeting.objects.filter(kind=kind, participants__isnull=False).distinct():
        for run in instances_of(meeting):
            if run["uuid"] == uuid:
                found = (meeting, run)
    if found is None:
        noun = "Meeting" if kind == Meeting.MEETING else "Webinar"
        return zoom_error(404, 3001, f"{noun} does not exist: {uuid}.")
    meeting, run = found
    if cache.get(_not_ready_key(meeting.zoom_id)):
        return zoom_error(404, 3001, "Meeting does not exist.")
    paging = _page_params(request)
    if isinstance(paging, JsonResponse):
        return paging
    size, offset = paging
    with_registrant = request.GET.get("include_fields") == "registrant_id"
    items = [report_item(p, with_registrant) for p in run["rows"][offset : offset + size]]
    envelope = _page_envelope(len(run["rows"]), size, offset)
    return JsonResponse({**envelope, "participants": items})


@csrf_exempt
@require_POST
def control_report(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """``ready=0``: the meeting's reports answer "not ready" (404 code 3001), as Zoom's
    do right after a meeting ends; ``ready=1``: they answer again."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    ready = request.POST.get("ready", "1") != "0"
    if ready:
        cache.delete(_not_ready_key(meeting.zoom_id))
    else:
        cache.set(_not_ready_key(meeting.zoom_id), True, timeout=24 * 3600)
    return _control_reply(request, {"id": meeting.zoom_id, "ready": ready})


@csrf_exempt
@require_POST
def control_simulate(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """Simulate a realistic session: most approved registrants attend (the last one
    stays away), the first drops out and rejoins on a second device, the host ends
    and restarts the meeting (a second instance), one registrant joins for under a
    minute, a guest dials in without an email, and someone who never registered
    comes along. Replaces the meeting's earlier report rows (with ``occurrence_id``:
    that date of a recurring meeting, replacing only that occurrence's rows)."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    # ``occurrence_id``: that date of a recurring meeting (its own instance).
    start = recurring.start_of(meeting, request.POST.get("occurrence_id", ""))
    if start is None:
        return JsonResponse({"error": "no such occurrence"}, status=400)
    minutes = max(meeting.duration, 40)
    half = minutes // 2

    def at(m: float):
        return start + timedelta(minutes=m)

    people = list(meeting.registrants.filter(status=Registrant.APPROVED).order_by("pk"))
    attending = people[:-1] if len(people) > 2 else people
    rows = []
    for n, r in enumerate(attending):
        name = f"{r.first_name} {r.last_name}".strip()
        common = {"meeting": meeting, "name": name, "user_email": r.email}
        rid = r.registrant_id
        if n == 0:
            # Drops out, rejoins on the laptop while the phone is still in.
            rows += [
                Participant(**common, registrant_id=rid, join_time=at(0), leave_time=at(10)),
                Participant(**common, registrant_id=rid, join_time=at(12), leave_time=at(half)),
                Participant(**common, registrant_id="", join_time=at(15), leave_time=at(19)),
            ]
        elif n == 1 and len(attending) > 3:
            rows.append(
                Participant(
                    **common, registrant_id=rid, join_time=at(2), leave_time=at(2.5)
                )  # joined briefly
            )
            continue
        else:
            rows.append(
                Participant(**common, registrant_id=rid, join_time=at(1), leave_time=at(half))
            )
        if n % 2 == 0:
            # Back after the host restarted the meeting.
            rows.append(
                Participant(
                    **common, registrant_id=rid, join_time=at(half + 5), leave_time=at(minutes)
                )
            )
    rows += [
        Participant(
            meeting=meeting,
            name="Guest phone",
            user_email="",
            join_time=at(3),
            leave_time=at(half - 2),
        ),
        Participant(
            meeting=meeting,
            name="Visitor Without Registration",
            user_email="walk.in@example.org",
            join_time=at(half + 6),
            leave_time=at(minutes - 5),
        ),
    ]
    earlier = Participant.objects.filter(meeting=meeting)
    if request.POST.get("occurrence_id"):
        # Only this occurrence's rows go: the other dates keep their instances.
        earlier = earlier.filter(join_time__gte=start, join_time__lte=at(minutes))
    earlier.delete()
    Participant.objects.bulk_create(rows)
    cache.delete(_not_ready_key(meeting.zoom_id))
    # As people come in, Zoom tells the site (participant_joined): live check-in.
    webhooks.participants_joined(meeting, rows)
    return _control_reply(
        request,
        {
            "participants": len(rows),
            "instances": len(instances_of(meeting)),
        },
    )
