"""A provider added from settings alone: the host project's Google Meet provider
(tests/host_site/providers.py) works end to end with no change to the app."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import pytest
from django.core import mail

from tests.page_forms import add_url, event_page_data
from wagtail_webinars import joins
from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
MEET_LINK = "https://meet.google.com/abc-defg-hij"


@pytest.fixture
def google_meet(settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "PROVIDERS": {"google_meet": "tests.host_site.providers.GoogleMeetProvider"},
    }


def location_block():
    return EventPage._meta.get_field("location").stream_block.child_blocks["google_meet"]


def test_the_setting_adds_a_block_next_to_the_built_in_ones(google_meet):
    offered = list(EventPage._meta.get_field("location").stream_block.child_blocks)
    assert offered[-1] == "google_meet"
    assert {"zoom_meeting", "vimeo", "microsoft_teams"} <= set(offered)
    assert str(location_block().label) == "Google Meet (link only)"
    assert location_block().child_blocks["join_url"].required


def test_without_the_setting_the_block_is_not_offered():
    assert "google_meet" not in EventPage._meta.get_field("location").stream_block.child_blocks


def test_editor_creates_a_google_meet_event_in_the_admin(google_meet, staff_client, event_index):
    data = event_page_data("google_meet", location={"join_url": MEET_LINK})
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 302, response.context["form"].errors
    page = EventPage.objects.get()
    assert page.location_kind == "google_meet"
    assert page.provider.join_info().url == MEET_LINK
    assert not page.is_managed


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("", "Google Meet needs the meeting link"),
        (
            "https://meet.google.com/landing",
            "This is not a Google Meet link (it looks like https://meet.google.com/abc-defg-hij).",
        ),
        (
            "https://zoom.us/j/85512345678",
            "This is not a Google Meet link (it looks like https://meet.google.com/abc-defg-hij).",
        ),
    ],
)
def test_the_providers_own_link_rules_and_wording(
    google_meet, staff_client, event_index, link, message
):
    data = event_page_data("google_meet", location={"join_url": link})
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 200
    error = response.context["form"].errors["location"].as_data()[0]
    child_errors = error.block_errors[0].block_errors
    assert list(child_errors["join_url"].messages) == [message]
    assert not EventPage.objects.exists()


def test_registration_reminder_link_and_click_check_in(
    google_meet, make_event, django_capture_on_commit_callbacks
):
    start = datetime(2030, 3, 4, 14, 0, tzinfo=NY)
    event = make_event(kind="google_meet", location={"join_url": MEET_LINK}, start=start)
    with django_capture_on_commit_callbacks(execute=True):
        result = service.register(
            event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
        )
    registration = Registration.objects.select_related("page").get(pk=result.registration.pk)
    # Nothing to push: a link-only provider.
    assert registration.sync_status == Registration.SyncStatus.NOT_APPLICABLE
    assert len(mail.outbox) == 1  # the confirmation
    # Inside the attendance window, a click on the reminder's link checks the person in
    # and sends them to the Meet link: the provider's check-in method is the click.
    click = joins.record_click(registration, now=datetime(2030, 3, 4, 13, 55, tzinfo=NY))
    assert click.checked_in
    assert click.join_url == MEET_LINK
    assert Registration.objects.get(pk=registration.pk).checked_in_at is not None
