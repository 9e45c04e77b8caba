"""End to end over real HTTP: our real Zoom client against the stand-in on a live server.

Nothing is mocked: the token is fetched from the stand-in's OAuth endpoint,
registrants travel over a socket, and the stand-in keeps them in its tables.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from example_site.zoom_standin import seed
from example_site.zoom_standin.models import FailureMode, Participant, Registrant
from wagtail_webinars import event_details, sync
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration

# serialized_rollback: flushing after each test would drop the Wagtail root page that
# migrations create, which the next test builds its site on.
pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Sync = Registration.SyncStatus


@pytest.fixture
def meeting_event(make_event):
    return make_event(kind="zoom_meeting", location={"meeting_id": str(seed.DEMO_MEETING_ID)})


def register(event, email, first="Ada", last="Lovelace") -> Registration:
    # A real commit: the after-commit task runs (inline, Q_CLUSTER sync) and calls the stand-in.
    result = service.register(event, email=email, first_name=first, last_name=last)
    return Registration.objects.get(pk=result.registration.pk)


def in_standin(email: str) -> Registrant:
    return Registrant.objects.get(meeting__zoom_id=seed.DEMO_MEETING_ID, email=email)


def test_managed_meeting_over_http(standin, meeting_event):
    result = event_details.refresh_and_save(meeting_event)
    assert result.refreshed, result.warnings
    event = EventPage.objects.get(pk=meeting_event.pk)
    assert event.location_block.value["join_url"].startswith(standin + "/j/")
    assert event.location_block.value["password"] == "town1234"

    # Register -> synced, with a personal join link from "Zoom".
    ada = register(event, "ada@example.org")
    assert ada.sync_status == Sync.SYNCED, ada.sync_error
    zoom_ada = in_standin("ada@example.org")
    assert ada.provider_registrant_id == zoom_ada.registrant_id
    assert ada.provider_join_url == f"{standin}/j/{seed.DEMO_MEETING_ID}?tk={zoom_ada.join_token}"
    assert event.provider.join_info(ada).url == ada.provider_join_url

    # Cancel -> cancelled in Zoom.
    service.cancel(ada)
    ada.refresh_from_db()
    assert ada.sync_status == Sync.SYNCED
    assert in_standin("ada@example.org").status == "cancelled"

    # Register again -> the same Zoom registrant approved again, never a second add.
    again = register(event, "ada@example.org")
    assert again.pk == ada.pk and again.sync_status == Sync.SYNCED
    zoom_ada = in_standin("ada@example.org")
    assert zoom_ada.status == "approved"
    assert zoom_ada.registrant_id == ada.provider_registrant_id
    assert zoom_ada.add_requests == 1

    # The host -> a clear failure, and Retry fails the same way until fixed.
    host = register(event, seed.DEMO_HOST_EMAIL, "Hal", "Host")
    assert host.sync_status == Sync.FAILED
    assert "host of this Zoom meeting cannot also register" in host.sync_error
    assert sync.retry_registration(host)
    host.refresh_from_db()
    assert host.sync_status == Sync.FAILED

    # The participant report comes back over HTTP, paged, per instance of the
    # meeting held at the event's time.
    meeting = zoom_ada.meeting
    Participant.objects.create(
        meeting=meeting,
        name="Ada Lovelace",
        user_email="ada@example.org",
        registrant_id=zoom_ada.registrant_id,
        join_time=event.start,
        leave_time=event.start + timedelta(minutes=50),
    )
    (row,) = list(event.provider.pull_participants())
    assert (row.email, row.registrant_id, row.duration_seconds) == (
        "ada@example.org",
        zoom_ada.registrant_id,
        3000,
    )


def test_outage_then_recovery_over_http(standin, meeting_event):
    FailureMode.objects.create(mode=FailureMode.ERROR_500, remaining=1)
    ada = register(meeting_event, "ada@example.org")
    assert ada.sync_status == Sync.PENDING
    assert ada.sync_retry_at is not None
    assert ada.sync_add_uncertain  # a 500 may have landed: look before adding again
    # The sweeper, once the retry time has come, brings it in line (lookup, then add).
    sync.sync_sweep(now=ada.sync_retry_at + timedelta(seconds=1))
    ada.refresh_from_db()
    assert ada.sync_status == Sync.SYNCED
    assert in_standin("ada@example.org").add_requests == 1


def test_backfill_over_http(standin, make_event):
    event = make_event(kind="vimeo")
    for n in range(35):
        register(event, f"p{n}@example.org", "Pat", str(n))
    event.location = [("zoom_meeting", {"meeting_id": str(seed.DEMO_MEETING_ID)})]
    # Published in code (no editor, no admin hook): going live is enough to backfill
    # the registrations made before the Zoom ID was set, and to read the meeting.
    event.save_revision().publish()
    assert Registrant.objects.filter(meeting__zoom_id=seed.DEMO_MEETING_ID).count() == 35
    rows = Registration.objects.filter(page=event)
    assert set(rows.values_list("sync_status", flat=True)) == {Sync.SYNCED}
    assert set(rows.values_list("provider_meeting_id", flat=True)) == {str(seed.DEMO_MEETING_ID)}
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"].startswith(standin + "/j/")
    # Nothing is left for a second run, and nobody was added twice.
    assert sync.backfill_event(event.pk) == 0
    assert set(
        Registrant.objects.filter(meeting__zoom_id=seed.DEMO_MEETING_ID).values_list(
            "add_requests", flat=True
        )
    ) == {1}


def test_credentials_rejected_over_http(standin, meeting_event, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_CLIENT_SECRET": "wrong"}
    # Publishing the event read Zoom with the right secret; that token would still be
    # good for an hour. Start without it, as after a restart with the wrong secret.
    cache.clear()
    result = event_details.refresh_event(meeting_event)
    assert any("rejected this site's credentials" in w for w in result.warnings)
    assert not any("wrong" in w for w in result.warnings)
    ada = register(meeting_event, "ada@example.org")
    assert ada.sync_status == Sync.FAILED
    assert "rejected this site's credentials" in ada.sync_error
    assert timezone.now() - ada.updated_at < timedelta(minutes=1)
