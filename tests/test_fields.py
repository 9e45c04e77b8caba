"""Event times are entered and shown in campus local time, whoever edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.users.models import UserProfile

from tests.page_forms import add_url, edit_url, event_page_data
from wagtail_webinars.fields import CampusDateTimeField, CampusDateTimeFormField
from wagtail_webinars.models import EventPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo_editor(staff_client, staff_user):
    profile = UserProfile.get_for_user(staff_user)
    profile.current_time_zone = "Asia/Tokyo"
    profile.save()
    return staff_client


def test_editor_in_another_zone_still_enters_campus_time(tokyo_editor, event_index):
    response = tokyo_editor.post(add_url(event_index), event_page_data("vimeo"))
    assert response.status_code == 302
    page = EventPage.objects.get()
    # 14:00 in New York (EST), not 14:00 in Tokyo (05:00 UTC).
    assert page.start == datetime(2030, 1, 15, 19, 0, tzinfo=UTC)


def test_editor_in_another_zone_sees_campus_time(tokyo_editor, make_event):
    event = make_event(
        kind="vimeo",
        start=datetime(2030, 1, 15, 19, 0, tzinfo=UTC),
        end=datetime(2030, 1, 15, 20, 0, tzinfo=UTC),
    )
    html = tokyo_editor.get(edit_url(event)).content.decode()
    assert 'value="2030-01-15 14:00"' in html
    assert 'value="2030-01-16 04:00"' not in html  # Tokyo's reading of the same instant
    assert "Campus local time (America/New_York)" in html


def test_summer_time(staff_client, event_index):
    data = event_page_data("vimeo", start="2030-07-16 14:00", end="2030-07-16 15:00")
    assert staff_client.post(add_url(event_index), data).status_code == 302
    assert EventPage.objects.get().start == datetime(2030, 7, 16, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "when",
    [
        "2030-03-10 02:30",  # skipped when clocks go forward
        "2030-11-03 01:30",  # happens twice when clocks go back
    ],
)
def test_times_dst_makes_unclear_are_refused_with_a_message(staff_client, event_index, when):
    data = event_page_data("vimeo", start=when, end="2030-11-20 10:00")
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 200
    [message] = response.context["form"].errors["start"]
    assert "America/New_York" in message
    assert not EventPage.objects.exists()


def test_just_after_the_spring_gap(staff_client, event_index):
    data = event_page_data("vimeo", start="2030-03-10 03:00", end="2030-03-10 04:00")
    assert staff_client.post(add_url(event_index), data).status_code == 302
    # 03:00 EDT = 07:00 UTC (an hour after 01:00 EST = 06:00 UTC).
    assert EventPage.objects.get().start == datetime(2030, 3, 10, 7, 0, tzinfo=UTC)


class TestFormField:
    def test_parses_in_campus_zone_whatever_is_active(self):
        field = CampusDateTimeFormField()
        with timezone.override("Asia/Tokyo"):
            value = field.clean("2030-01-15 14:00")
        assert value == datetime(2030, 1, 15, 19, 0, tzinfo=UTC)

    def test_shows_in_campus_zone_whatever_is_active(self):
        field = CampusDateTimeFormField()
        with timezone.override("Asia/Tokyo"):
            shown = field.prepare_value(datetime(2030, 1, 15, 19, 0, tzinfo=UTC))
        # Django hands the widget a naive wall-clock time in the active zone.
        assert shown == datetime(2030, 1, 15, 14, 0)

    def test_campus_zone_setting_wins_over_time_zone(self, settings):
        settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "TIME_ZONE": "Europe/London"}
        value = CampusDateTimeFormField().clean("2030-07-16 14:00")
        assert value == datetime(2030, 7, 16, 13, 0, tzinfo=UTC)

    def test_nonexistent_time(self):
        with pytest.raises(ValidationError):
            CampusDateTimeFormField().clean("2030-03-10 02:30")


class TestModelField:
    def test_formfield_is_campus_aware(self):
        assert isinstance(EventPage._meta.get_field("start").formfield(), CampusDateTimeFormField)

    def test_help_text_names_the_zone_at_render_time(self, settings):
        field = EventPage._meta.get_field("start")
        assert str(field.help_text) == "Campus local time (America/New_York)"
        settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "TIME_ZONE": "Europe/Berlin"}
        assert str(field.help_text) == "Campus local time (Europe/Berlin)"

    def test_help_text_stays_out_of_migrations(self):
        _, path, _, kwargs = CampusDateTimeField("starts").deconstruct()
        assert path == "wagtail_webinars.fields.CampusDateTimeField"
        assert "help_text" not in kwargs

    def test_stored_as_aware_datetimes(self, make_event):
        event = make_event(kind="vimeo", start=datetime(2030, 1, 15, 19, 0, tzinfo=UTC))
        event.refresh_from_db()
        assert timezone.is_aware(event.start)
        assert event.local_start.hour == 14
