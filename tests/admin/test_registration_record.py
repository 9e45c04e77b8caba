"""The registration record (the registrations viewset's inspect view): grouped
facts, a timeline in campus time, and the actions as buttons."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def inspect_url(reg) -> str:
    return reverse("wagtail_webinars_registrations:inspect", args=[reg.pk])


def check_in_url(reg) -> str:
    return reverse("wagtail_webinars_headcount:registration_check_in", args=[reg.page_id, reg.pk])


def section(html: str, key: str) -> str:
    match = re.search(rf'data-record-section="{key}">(.*?)</section>', html, re.S)
    assert match, key
    return re.sub(r"\s+", " ", match.group(1))


def messages_of(response) -> list[str]:
    return [str(m).split("<", 1)[0].strip() for m in response.context["messages"]]


def test_groups_what_we_know(staff_client, make_event):
    event = make_event(kind="zoom_meeting")
    RegistrationFormField.objects.create(
        page=event, label="Department", field_type="singleline", clean_name="department"
    )
    reg = RegistrationFactory(
        page=event,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        form_data={"email": "ada@example.org", "department": "Mathematics"},
        sync_status=Registration.SyncStatus.FAILED,
        sync_error="Registration is not enabled in Zoom for this meeting.",
        provider_join_url="https://example.zoom.us/w/1?tk=abc",
        reminder_sent_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        join_click_count=2,
        checked_in_at=datetime(2026, 12, 1, 19, 5, tzinfo=UTC),
        checkin_source=Registration.CheckinSource.PROVIDER_REPORT,
        checkin_matched_by=Registration.CheckinMatch.EMAIL,
        attendance_mode=Registration.Attendance.ONLINE,
        attended_minutes=47,
    )
    html = staff_client.get(inspect_url(reg)).content.decode()
    person = section(html, "person")
    assert "Ada Lovelace" in person and "ada@example.org" in person
    assert "Department</dt> <dd>Mathematics" in person
    zoom = section(html, "zoom")
    assert "Sync failed" in zoom
    assert "Registration is not enabled in Zoom" in zoom
    assert 'href="https://example.zoom.us/w/1?tk=abc"' in zoom
    reminder = section(html, "reminder")
    assert "Tuesday 1 December 2026, 12:00 EST" in reminder  # campus time
    assert "Only before the attendance window" in reminder
    attendance = section(html, "attendance")
    assert "Tuesday 1 December 2026, 14:05 EST" in attendance
    assert "Provider participant report — matched by email" in attendance
    assert "47" in attendance


def test_link_only_event_has_no_zoom_section(staff_client, make_event):
    reg = RegistrationFactory(page=make_event(kind="vimeo"))
    html = staff_client.get(inspect_url(reg)).content.decode()
    assert 'data-record-section="zoom"' not in html
    assert 'data-record-section="attendance"' in html


def test_timeline_in_campus_time_oldest_first(staff_client, make_event):
    reg = RegistrationFactory(
        page=make_event(kind="vimeo"),
        reminder_sent_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        join_opened_at=datetime(2026, 12, 1, 17, 1, tzinfo=UTC),
        join_clicked_at=datetime(2026, 12, 1, 18, 58, tzinfo=UTC),
        checked_in_at=datetime(2026, 12, 1, 18, 58, tzinfo=UTC),
        checkin_source=Registration.CheckinSource.EMAIL_CLICK,
    )
    Registration.objects.filter(pk=reg.pk).update(
        registered_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    )
    html = staff_client.get(inspect_url(reg)).content.decode()
    timeline = re.search(r"data-record-timeline>(.*?)</section>", html, re.S).group(1)
    items = [
        " ".join(re.sub(r"<[^>]+>", " ", li).split())
        for li in re.findall(r"<li>(.*?)</li>", timeline, re.S)
    ]
    assert items == [
        "Friday 20 November 2026, 10:00 EST — Registered (Event page)",
        "Tuesday 1 December 2026, 12:00 EST — Reminder sent",
        "Tuesday 1 December 2026, 12:01 EST — Join link opened",
        "Tuesday 1 December 2026, 13:58 EST — Join link clicked inside the attendance window",
        "Tuesday 1 December 2026, 13:58 EST — Checked in: Reminder link click",
    ]


def test_actions_are_buttons_including_check_in_and_undo(staff_client, make_event):
    reg = RegistrationFactory(page=make_event(kind="vimeo"))
    html = staff_client.get(inspect_url(reg)).content.decode()
    actions = re.search(r"data-record-actions>(.*?)</div>", html, re.S).group(1)
    for label in ("Cancel registration", "Resend reminder", "Check in"):
        assert label in actions
    assert "Undo check-in" not in actions

    response = staff_client.post(check_in_url(reg), {"action": "check_in"}, follow=True)
    assert messages_of(response) == ["Checked in."]
    reg.refresh_from_db()
    assert reg.checked_in_at is not None
    assert reg.checkin_source == Registration.CheckinSource.STAFF
    assert "Undo check-in" in response.content.decode()

    response = staff_client.post(check_in_url(reg), {"action": "undo"}, follow=True)
    assert messages_of(response) == ["Check-in undone."]
    reg.refresh_from_db()
    assert reg.checked_in_at is None
    again = staff_client.post(check_in_url(reg), {"action": "undo"}, follow=True)
    assert messages_of(again) == ["That action does not apply to this registration now."]


def test_cancelled_registration_offers_re_register_not_check_in(staff_client, make_event):
    reg = RegistrationFactory(
        page=make_event(kind="vimeo"),
        status=Registration.Status.CANCELLED,
        cancelled_at=timezone.now() - timedelta(hours=1),
    )
    html = staff_client.get(inspect_url(reg)).content.decode()
    actions = re.search(r"data-record-actions>(.*?)</div>", html, re.S).group(1)
    assert "Re-register" in actions
    assert check_in_url(reg) not in html
    staff_client.post(check_in_url(reg), {"action": "check_in"})
    reg.refresh_from_db()
    assert reg.checked_in_at is None


def test_view_only_user_sees_no_buttons_and_cannot_check_in(client, make_staff, make_event):
    event = make_event(kind="vimeo")
    reg = RegistrationFactory(page=event, email="seen@example.org")
    client.force_login(make_staff("view_registration", pages=[event]))
    html = client.get(inspect_url(reg)).content.decode()
    assert "seen@example.org" in html
    assert "data-record-actions" not in html
    response = client.post(check_in_url(reg), {"action": "check_in"})
    assert response.status_code in (302, 403)
    reg.refresh_from_db()
    assert reg.checked_in_at is None


def test_check_in_of_a_registration_of_another_event_is_404(staff_client, make_event):
    reg = RegistrationFactory(page=make_event(kind="vimeo"))
    other = make_event(kind="vimeo")
    url = reverse("wagtail_webinars_headcount:registration_check_in", args=[other.pk, reg.pk])
    assert staff_client.post(url, {"action": "check_in"}).status_code == 404


def test_staff_confirm_a_name_match(staff_client, make_event):
    reg = RegistrationFactory(
        page=make_event(kind="vimeo"),
        checked_in_at=timezone.now(),
        checkin_source=Registration.CheckinSource.PROVIDER_REPORT,
        checkin_matched_by=Registration.CheckinMatch.NAME,
        checkin_needs_review=True,
    )
    html = staff_client.get(inspect_url(reg)).content.decode()
    assert "Matched by name only" in section(html, "attendance")
    response = staff_client.post(check_in_url(reg), {"action": "confirm"}, follow=True)
    assert messages_of(response) == ["Name match confirmed."]
    reg.refresh_from_db()
    assert not reg.checkin_needs_review
    assert reg.checked_in_at is not None


def test_a_confirmation_the_mail_server_did_not_take_is_shown(staff_client, make_event):
    reg = RegistrationFactory(
        page=make_event(kind="vimeo"),
        confirmation_error="The mail server did not take it (SMTPServerDisconnected: "
        "Connection unexpectedly closed). We will try again at 14:05 EST.",
    )
    person = section(staff_client.get(inspect_url(reg)).content.decode(), "person")
    assert "Confirmation email problem" in person
    assert "We will try again at 14:05 EST." in person
    reg.confirmation_error = ""
    reg.save()
    person = section(staff_client.get(inspect_url(reg)).content.decode(), "person")
    assert "Confirmation email problem" not in person
