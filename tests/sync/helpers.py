"""Shared helpers of the sync tests: Zoom paths, registering through the service, rows."""

from __future__ import annotations

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import (
    MEETING_ID,
)
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration

Sync = Registration.SyncStatus
ADD = f"POST /meetings/{MEETING_ID}/registrants"
STATUS = f"PUT /meetings/{MEETING_ID}/registrants/status"
BATCH = f"POST /meetings/{MEETING_ID}/batch_registrants"
LIST = f"GET /meetings/{MEETING_ID}/registrants"
#: The meeting an event is moved to.
NEW_ID = "89999999999"
NEW_ADD = f"POST /meetings/{NEW_ID}/registrants"
NEW_BATCH = f"POST /meetings/{NEW_ID}/batch_registrants"


def register(event, commit, email="ada@example.org", **kw) -> Registration:
    with commit():
        result = service.register(
            event,
            email=email,
            first_name=kw.get("first_name", "Ada"),
            last_name=kw.get("last_name", "Lovelace"),
        )
    return Registration.objects.get(pk=result.registration.pk)


def cancel(registration, commit) -> Registration:
    with commit():
        service.cancel(registration)
    return Registration.objects.get(pk=registration.pk)


def pending_row(event, **fields) -> Registration:
    return RegistrationFactory(page=event, **{"sync_status": Sync.PENDING, **fields})


def synced_row(event, registrant_id: str, meeting_id: str = MEETING_ID, **fields):
    """A registration Zoom has as ``registrant_id`` on ``meeting_id``."""
    values = {
        "sync_status": Sync.SYNCED,
        "provider_registrant_id": registrant_id,
        "provider_status": "approved",
        "provider_meeting_id": meeting_id,
        "provider_join_url": f"https://zoom.test/w/{meeting_id}?tk={registrant_id}",
        **fields,
    }
    return RegistrationFactory(page=event, **values)


def moved(event, meeting_id: str) -> EventPage:
    """The event (fresh from the database) pointed at another meeting, not saved."""
    event = EventPage.objects.get(pk=event.pk)
    event.location = [("zoom_meeting", {"meeting_id": meeting_id, "join_url": "", "password": ""})]
    return event


def statuses(event) -> set[str]:
    return set(Registration.objects.filter(page=event).values_list("sync_status", flat=True))


# -- the happy paths --------------------------------------------------------------------
