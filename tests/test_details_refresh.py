"""Managed events' details are read again while they are coming up and just before
their reminders, in bulk; no re-save needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.providers.zoom_fixtures import MEETING_ID
from wagtail_webinars import details_refresh, schedules

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(zoom, make_event):
    zoom.meeting()
    event = make_event(
        kind="zoom_meeting",
        location={"meeting_id": MEETING_ID},
        start=timezone.now() + timedelta(hours=5),
    )
    details_refresh.refresh_event_details(event)
    event.refresh_from_db()
    return event


def test_a_changed_passcode_reaches_the_event_without_a_re_save(soon, zoom):
    zoom.meeting(password="changed-in-zoom")
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert details_refresh.refresh_upcoming_details(later) == {
        "changed": 1,
        "unchanged": 0,
        "failed": 0,
    }
    soon.refresh_from_db()
    assert soon.location_block.value["password"] == "changed-in-zoom"
    assert soon.latest_revision.as_object().location_block.value["password"] == "changed-in-zoom"


def test_fresh_details_are_not_read_again(soon, zoom):
    calls = len(zoom.api_calls)
    assert details_refresh.due_for_refresh(timezone.now() + timedelta(minutes=10)) == []
    details_refresh.refresh_upcoming_details(timezone.now() + timedelta(minutes=10))
    assert len(zoom.api_calls) == calls


def test_unchanged_details_only_move_the_last_read_time(soon, zoom):
    before = soon.provider_checked_at
    later = timezone.now() + timedelta(hours=1, minutes=1)
    result = details_refresh.refresh_upcoming_details(later)
    assert result["unchanged"] == 1
    soon.refresh_from_db()
    assert soon.provider_checked_at > before


def test_just_before_the_reminder_the_event_is_read_again(soon, zoom):
    # The reminder (2 hours before) goes out in 5 minutes; read 20 minutes ago.
    at = soon.start - timedelta(hours=2, minutes=5)
    type(soon).objects.filter(pk=soon.pk).update(provider_checked_at=at - timedelta(minutes=20))
    assert [e.pk for e in details_refresh.due_for_refresh(at)] == [soon.pk]


def test_far_events_and_link_only_events_are_left_alone(zoom, make_event):
    make_event(
        kind="zoom_meeting",
        location={"meeting_id": MEETING_ID},
        start=timezone.now() + timedelta(days=5),
    )
    make_event(kind="vimeo", start=timezone.now() + timedelta(hours=3))
    assert details_refresh.due_for_refresh(timezone.now()) == []


def test_the_refresh_is_scheduled():
    assert "wagtail_webinars.details_refresh" in schedules.SCHEDULES
    assert "wagtail_webinars.webhook_deliveries_purge" in schedules.SCHEDULES
