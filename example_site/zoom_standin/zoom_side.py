"""What people do in Zoom itself, from the stand-in's dashboard, each followed by the
webhook Zoom would send (see :mod:`.webhooks`): cancel a registrant, register
directly with Zoom's own registration link, change the meeting."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import webhooks
from .models import Meeting, Registrant
from .views import _control_reply, _join_url, _new_registrant


@csrf_exempt
@require_POST
def cancel_registrant(request: HttpRequest, registrant_id: str) -> HttpResponse:
    """The registrant (or the host) cancels the registration in Zoom."""
    registrant = get_object_or_404(Registrant, registrant_id=registrant_id)
    registrant.status = Registrant.CANCELLED
    registrant.save(update_fields=["status"])
    sent = webhooks.registration_event(registrant.meeting, registrant, "cancelled")
    return _control_reply(request, {"id": registrant.registrant_id, "webhook": sent})


@csrf_exempt
@require_POST
def register_directly(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """Someone registers with Zoom's own registration link (not on the site)."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    email = request.POST.get("email", "").strip().lower()
    if "@" not in email or len(email) > 128:
        return JsonResponse({"error": "an email address is needed"}, status=400)
    registrant = Registrant.objects.filter(meeting=meeting, email=email).first()
    if registrant is None:
        registrant = _new_registrant(
            meeting,
            email,
            request.POST.get("first_name", "").strip()[:64] or "Zoom",
            request.POST.get("last_name", "").strip()[:64],
            approve=meeting.approval_type == 0,
        )
    sent = webhooks.registration_event(
        meeting, registrant, "created", join_url=_join_url(request, meeting, registrant)
    )
    return _control_reply(request, {"id": registrant.registrant_id, "webhook": sent})


@csrf_exempt
@require_POST
def change_meeting(request: HttpRequest, zoom_id: int) -> HttpResponse:
    """The host changes the meeting in Zoom: ``password``, ``start_time`` (ISO),
    ``duration`` (minutes)."""
    meeting = get_object_or_404(Meeting, zoom_id=zoom_id)
    changed = {}
    try:
        if request.POST.get("password"):
            meeting.password = request.POST["password"].strip()[:10]
            changed["password"] = meeting.password
        if request.POST.get("start_time"):
            meeting.start_time = datetime.fromisoformat(
                request.POST["start_time"].replace("Z", "+00:00")
            )
            changed["start_time"] = webhooks.zoom_time(meeting.start_time)
        if request.POST.get("duration"):
            meeting.duration = max(int(request.POST["duration"]), 1)
            changed["duration"] = meeting.duration
    except ValueError as err:
        return JsonResponse({"error": str(err)}, status=400)
    meeting.save()
    sent = webhooks.meeting_updated(meeting, changed) if changed else False
    return _control_reply(request, {"id": meeting.zoom_id, "webhook": sent})
