"""What staff do: check in and undo (never overwritten by a pull), confirm a name match,
link, register, dismiss and reopen unmatched participants; clicks after staff's word
(wagtail_webinars/checkin/staff.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.checkin.rows import T0, M, S, fresh, reg, row
from wagtail_webinars import checkin
from wagtail_webinars.models import Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db


def test_staff_check_in_and_undo_are_never_overwritten(event, staff_user):
    undone = reg(event, email="undone@x.org")
    door = reg(event, email="door@x.org")
    checkin.undo_check_in(undone, by=staff_user)
    checkin.check_in(door, S.STAFF, by=staff_user, in_person=True)
    door_time = fresh(door).checked_in_at

    checkin.match_participants(event, [row("U", "undone@x.org"), row("D", "door@x.org")])

    fresh(undone)
    assert undone.checked_in_at is None and undone.checkin_by_staff
    assert undone.attended_minutes == 30  # the facts are still recorded
    fresh(door)
    assert door.checkin_source == S.STAFF and door.attendance_mode == "in_person"
    assert door.checked_in_at == door_time and door.checked_in_by == staff_user


def test_staff_actions(event, staff_user):
    a = reg(event)
    checkin.check_in(a, S.STAFF, minutes=12, by=staff_user)
    fresh(a)
    assert (a.checkin_source, a.attended_minutes, a.attendance_mode) == (S.STAFF, 12, "online")
    # A webhook or click after staff changes nothing.
    checkin.check_in(a, S.PROVIDER_REPORT)
    assert fresh(a).checkin_source == S.STAFF
    checkin.undo_check_in(a, by=staff_user)
    assert fresh(a).checked_in_at is None and a.checkin_source == ""
    gone = reg(event, status=Registration.Status.CANCELLED)
    with pytest.raises(checkin.CheckInRefused):
        checkin.check_in(gone, S.STAFF, by=staff_user)
    with pytest.raises(ValueError):
        checkin.check_in(a, "nonsense")


def test_confirm_name_match(event, staff_user):
    grace = reg(event, first_name="Grace", last_name="Hopper")
    checkin.match_participants(event, [row("Grace Hopper")])
    checkin.confirm_match(grace, by=staff_user)
    assert not fresh(grace).checkin_needs_review and grace.checked_in_at is not None


def test_link_participant_checks_in_and_sticks(event, staff_user):
    alias = reg(event, email="work@x.org")
    rows = [row("Nick Name", "home@x.org", start=5, end=40)]
    checkin.match_participants(event, rows)
    stray = UnmatchedParticipant.objects.get()

    checkin.link_participant(stray, alias, by=staff_user)

    fresh(alias)
    assert alias.checked_in_at == T0 + timedelta(minutes=5)
    assert alias.checkin_matched_by == M.LINKED and alias.attended_minutes == 35
    stray.refresh_from_db()
    assert stray.state == "linked" and stray.registration == alias
    # The next pull knows who this is.
    again = checkin.match_participants(event, rows)
    assert again.unmatched == 0 and again.matched == 1
    assert fresh(alias).checked_in_at == T0 + timedelta(minutes=5)


def test_link_refuses_another_event_or_a_cancelled_registration(event, make_event, staff_user):
    checkin.match_participants(event, [row("X", "x@x.org")])
    stray = UnmatchedParticipant.objects.get()
    other = reg(make_event(kind="zoom_meeting"))
    with pytest.raises(checkin.CheckInRefused):
        checkin.link_participant(stray, other, by=staff_user)
    gone = reg(event, status=Registration.Status.CANCELLED)
    with pytest.raises(checkin.CheckInRefused):
        checkin.link_participant(stray, gone, by=staff_user)
    stray.refresh_from_db()
    assert stray.is_open


def test_register_participant(event, staff_user):
    checkin.match_participants(
        event, [row("Walk In Person", "walkin@x.org"), row("No Email Guest")]
    )
    walk_in = UnmatchedParticipant.objects.get(email="walkin@x.org")
    created = checkin.register_participant(walk_in, by=staff_user)
    assert created.email == "walkin@x.org" and created.source == Registration.Source.ADMIN
    assert (created.first_name, created.last_name) == ("Walk", "In Person")
    assert created.checked_in_at == T0 and created.is_active
    walk_in.refresh_from_db()
    assert walk_in.state == "registered" and walk_in.registration == created

    guest = UnmatchedParticipant.objects.get(email="")
    with pytest.raises(ValidationError):
        checkin.register_participant(guest, by=staff_user)
    with pytest.raises(ValidationError):
        checkin.register_participant(guest, by=staff_user, email="not-an-email")
    assert Registration.objects.filter(page=event).count() == 1
    guest.refresh_from_db()
    assert guest.is_open
    made = checkin.register_participant(
        guest, by=staff_user, email="guest@x.org", first_name="Gus", last_name="Guest"
    )
    assert made.checked_in_at is not None and made.full_name == "Gus Guest"


def test_dismiss_and_reopen(event, staff_user):
    checkin.match_participants(event, [row("Host Phone")])
    stray = UnmatchedParticipant.objects.get()
    checkin.dismiss_participant(stray, by=staff_user)
    stray.refresh_from_db()
    assert stray.state == "dismissed" and stray.handled_by == staff_user
    # A later pull keeps it dismissed.
    result = checkin.match_participants(event, [row("Host Phone", end=50)])
    stray.refresh_from_db()
    assert stray.state == "dismissed" and stray.minutes == 50 and result.unmatched == 0
    checkin.reopen_participant(stray, by=staff_user)
    stray.refresh_from_db()
    assert stray.is_open


def test_click_after_a_staff_undo_does_not_check_in_again(make_event, staff_user):
    from wagtail_webinars import joins

    start = timezone.now() + timedelta(minutes=5)
    event = make_event(kind="zoom_meeting_link", start=start, end=start + timedelta(hours=1))
    registration = reg(event)
    checkin.undo_check_in(registration, by=staff_user)

    result = joins.record_click(
        Registration.objects.select_related("page").get(pk=registration.pk), now=start
    )

    assert result.attendance and not result.checked_in
    fresh(registration)
    assert registration.checked_in_at is None and registration.join_clicked_at == start


def test_click_check_in_is_online(make_event):
    from wagtail_webinars import joins

    start = timezone.now() + timedelta(minutes=5)
    event = make_event(kind="vimeo", start=start, end=start + timedelta(hours=1))
    registration = reg(event)
    joins.record_click(
        Registration.objects.select_related("page").get(pk=registration.pk), now=start
    )
    fresh(registration)
    assert registration.checkin_source == S.EMAIL_CLICK
    assert registration.attendance_mode == "online"
