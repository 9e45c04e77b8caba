"""The stand-in's demo meeting and webinar (the IDs ``load_demo`` puts on the demo events)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

DEMO_MEETING_ID = 81234567890
DEMO_WEBINAR_ID = 91234567890
#: A weekly meeting (type 8) with four occurrences, the first a week from now.
DEMO_RECURRING_ID = 81234567891
#: Registering with this address shows Zoom's "host cannot register" failure.
DEMO_HOST_EMAIL = "host@example.edu"


def demo_meetings(now=None) -> list[dict]:
    # Same start times as the demo events in ``load_demo`` (tomorrow, in a week, on the hour).
    now = now or timezone.now()
    tomorrow = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    week = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    return [
        {
            "zoom_id": DEMO_MEETING_ID,
            "kind": "meeting",
            "type": 2,
            "topic": "Alumni town hall",
            "start_time": tomorrow,
            "password": "town1234",
            "encrypted_password": "c3RhbmRpbi10b3duLWhhbGw",
        },
        {
            "zoom_id": DEMO_WEBINAR_ID,
            "kind": "webinar",
            "type": 5,
            "topic": "Research showcase",
            "start_time": week,
            "password": "show1234",
            "encrypted_password": "c3RhbmRpbi1zaG93Y2FzZQ",
        },
    ]


def recurring_meeting(now=None) -> dict:
    now = now or timezone.now()
    first = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    return {
        "zoom_id": DEMO_RECURRING_ID,
        "kind": "meeting",
        "type": 8,
        "topic": "Weekly office hours",
        "start_time": first,
        "password": "office12",
        "encrypted_password": "c3RhbmRpbi1vZmZpY2UtaG91cnM",
        "occurrence_count": 4,
        "repeat_days": 7,
    }


def seed_demo(meeting_model=None, now=None, recurring: bool = True) -> int:
    """Create the demo meeting and webinar (and, with ``recurring``, the weekly meeting)
    if missing; returns how many were created."""
    if meeting_model is None:
        from .models import Meeting as meeting_model
    created = 0
    specs = demo_meetings(now) + ([recurring_meeting(now)] if recurring else [])
    for spec in specs:
        _obj, was_created = meeting_model.objects.get_or_create(
            zoom_id=spec["zoom_id"],
            defaults={
                **spec,
                "duration": 60,
                "timezone": "America/New_York",
                "host_email": DEMO_HOST_EMAIL,
                "approval_type": 0,
                "registrants_confirmation_email": False,
            },
        )
        created += was_created
    return created
