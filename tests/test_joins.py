"""The join-link service: the attendance window, opens, clicks and implied check-in."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import pytest
import time_machine

from tests.factories import RegistrationFactory
from wagtail_webinars import joins
from wagtail_webinars.models import Registration

NY = zoneinfo.ZoneInfo("America/New_York")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


START = ny(2026, 6, 10, 14, 0)
END = ny(2026, 6, 10, 15, 0)


@pytest.fixture
def link_event(make_event):
    return make_event(kind="zoom_meeting_link", start=START, end=END)


@pytest.fixture
def managed_event(make_event):
    return make_event(
        kind="zoom_meeting",
        start=START,
        end=END,
        location={
            "meeting_id": "81234567890",
            "join_url": "https://zoom.test/j/81234567890",
            "password": "pw",
        },
    )


def fresh(registration):
    return Registration.objects.select_related("page").get(pk=registration.pk)


def click(registration, at):
    return joins.record_click(fresh(registration), now=at)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (ny(2026, 6, 10, 13, 44, 59), joins.EARLY),
        (ny(2026, 6, 10, 13, 45), joins.OPEN),
        (ny(2026, 6, 10, 14, 59, 59), joins.OPEN),
        (ny(2026, 6, 10, 15, 0), joins.OVER),
    ],
)
def test_window_edges_by_default(link_event, now, state):
    assert joins.window_state(link_event, now) == state


def test_window_follows_settings(link_event, settings):
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "ATTENDANCE_OPENS_MINUTES_BEFORE": 30,
        "ATTENDANCE_CLOSES_MINUTES_AFTER": 10,
    }
    assert joins.attendance_window(link_event) == (ny(2026, 6, 10, 13, 30), ny(2026, 6, 10, 15, 10))
    assert joins.window_state(link_event, ny(2026, 6, 10, 13, 30)) == joins.OPEN
    assert joins.window_state(link_event, ny(2026, 6, 10, 15, 9)) == joins.OPEN
    assert joins.window_state(link_event, ny(2026, 6, 10, 15, 10)) == joins.OVER


def test_window_on_dst_change_counts_real_minutes(make_event):
    # 8 March 2026, 03:10 EDT: 15 real minutes before is 01:55 EST, not 02:55.
    event = make_event(start=ny(2026, 3, 8, 3, 10), end=ny(2026, 3, 8, 4, 0))
    opens, _closes = joins.attendance_window(event)
    assert opens == ny(2026, 3, 8, 1, 55)
    assert opens.astimezone(NY).strftime("%H:%M %Z") == "01:55 EST"


def test_open_is_recorded_once_and_is_not_a_click(link_event):
    registration = RegistrationFactory(page=link_event)
    assert joins.record_open(fresh(registration), now=ny(2026, 6, 10, 12, 0)) is True
    assert joins.record_open(fresh(registration), now=ny(2026, 6, 10, 14, 0)) is False
    row = fresh(registration)
    assert row.join_opened_at == ny(2026, 6, 10, 12, 0)
    assert row.join_click_count == 0
    assert row.join_clicked_at is None
    assert row.checked_in_at is None


def test_open_of_cancelled_registration_is_not_recorded(link_event):
    registration = RegistrationFactory(page=link_event, status="cancelled")
    assert joins.record_open(fresh(registration)) is False
    assert fresh(registration).join_opened_at is None


def test_unmanaged_click_inside_window_checks_in(link_event):
    registration = RegistrationFactory(page=link_event)
    at = ny(2026, 6, 10, 13, 50)
    result = click(registration, at)
    assert result == joins.ClickResult(
        counted=True,
        attendance=True,
        checked_in=True,
        join_url="https://example.zoom.us/j/85512345678?pwd=abc",
    )
    row = fresh(registration)
    assert row.checked_in_at == at
    assert row.checkin_source == Registration.CheckinSource.EMAIL_CLICK
    assert row.join_clicked_at == at
    assert row.join_click_count == 1

    # A second click counts, but the first click's times stand.
    later = ny(2026, 6, 10, 14, 20)
    assert click(registration, later).checked_in is False
    row = fresh(registration)
    assert (row.checked_in_at, row.join_clicked_at, row.join_click_count) == (at, at, 2)


def test_unmanaged_click_before_window_is_a_click_but_not_attendance(link_event):
    registration = RegistrationFactory(page=link_event)
    result = click(registration, ny(2026, 6, 10, 13, 44))
    assert result.counted and not result.attendance and not result.checked_in
    assert result.join_url  # they are still sent to the meeting
    row = fresh(registration)
    assert row.join_click_count == 1
    assert row.join_clicked_at is None
    assert row.checked_in_at is None
    assert row.checkin_source == ""


def test_click_after_window_records_nothing_and_sends_nowhere(link_event):
    registration = RegistrationFactory(page=link_event)
    assert click(registration, END) == joins.NOT_COUNTED
    row = fresh(registration)
    assert (row.join_click_count, row.join_clicked_at, row.checked_in_at) == (0, None, None)


def test_click_keeps_an_earlier_staff_check_in(link_event):
    staff_time = ny(2026, 6, 10, 13, 0)
    registration = RegistrationFactory(
        page=link_event, checked_in_at=staff_time, checkin_source="staff"
    )
    result = click(registration, ny(2026, 6, 10, 14, 5))
    assert result.attendance and not result.checked_in
    row = fresh(registration)
    assert (row.checked_in_at, row.checkin_source) == (staff_time, "staff")
    assert row.join_clicked_at == ny(2026, 6, 10, 14, 5)


def test_cancelled_registration_click_is_not_counted(link_event):
    registration = RegistrationFactory(page=link_event, status="cancelled")
    assert click(registration, ny(2026, 6, 10, 14, 0)) == joins.NOT_COUNTED
    row = fresh(registration)
    assert (row.join_click_count, row.checked_in_at) == (0, None)


def test_click_racing_a_cancellation_is_not_counted(link_event):
    registration = RegistrationFactory(page=link_event)
    stale = fresh(registration)  # read while active ...
    Registration.objects.filter(pk=registration.pk).update(status="cancelled")  # ... then cancelled
    assert joins.record_click(stale, now=ny(2026, 6, 10, 14, 0)) == joins.NOT_COUNTED
    assert fresh(registration).checked_in_at is None


def test_managed_click_is_likely_participation_only(managed_event):
    registration = RegistrationFactory(
        page=managed_event, provider_join_url="https://zoom.test/j/81234567890?tk=personal"
    )
    at = ny(2026, 6, 10, 14, 2)
    result = click(registration, at)
    assert result.attendance and not result.checked_in
    assert result.join_url == "https://zoom.test/j/81234567890?tk=personal"
    row = fresh(registration)
    assert row.join_clicked_at == at
    assert row.checked_in_at is None  # the provider's report decides
    assert row.checkin_source == ""


def test_managed_without_personal_link_uses_the_meeting_link(managed_event):
    registration = RegistrationFactory(page=managed_event)
    state = joins.join_state(fresh(registration), ny(2026, 6, 10, 14, 0))
    assert state.join_url == "https://zoom.test/j/81234567890"
    assert state.password == "pw"


def test_no_link_means_nothing_to_click(make_event):
    event = make_event(
        kind="zoom_meeting",
        start=START,
        end=END,
        location={"meeting_id": "81234567890", "join_url": "", "password": ""},
    )
    registration = RegistrationFactory(page=event)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        assert not joins.join_state(fresh(registration)).can_join
        assert joins.record_click(fresh(registration)) == joins.NOT_COUNTED


def test_click_before_window_records_its_time(link_event):
    """Issue 7 #14: an early click is on record with its time, not only in the count."""
    registration = RegistrationFactory(page=link_event)
    click(registration, ny(2026, 6, 10, 13, 0))
    click(registration, ny(2026, 6, 10, 13, 30))
    row = fresh(registration)
    assert row.join_early_clicked_at == ny(2026, 6, 10, 13, 0)  # the first one
    assert row.join_clicked_at is None
    assert row.get_join_clicked_at_display() == (
        "Wednesday 10 June 2026, 13:00 EDT (before the window)"
    )
    click(registration, ny(2026, 6, 10, 14, 1))
    row = fresh(registration)
    assert row.join_clicked_at == ny(2026, 6, 10, 14, 1)
    assert row.get_join_clicked_at_display() == "Wednesday 10 June 2026, 14:01 EDT"


def test_click_display_without_clicks(link_event):
    assert RegistrationFactory(page=link_event).get_join_clicked_at_display() == "—"


def test_the_providers_check_in_method_decides_not_whether_it_is_managed(make_event, monkeypatch):
    from wagtail_webinars.providers.base import CHECKIN_PROVIDER_REPORT
    from wagtail_webinars.providers.unmanaged import VimeoProvider

    # A link-only provider that checks people in from its own report: a click is
    # attendance, but the report decides who was there.
    monkeypatch.setattr(VimeoProvider, "checkin_method", CHECKIN_PROVIDER_REPORT)
    event = make_event(kind="vimeo", start=START, end=END)
    registration = RegistrationFactory(page=event)
    result = click(registration, ny(2026, 6, 10, 14, 2))
    assert result.attendance and not result.checked_in
    assert fresh(registration).checked_in_at is None
