"""Check-in: matching report rows to registrations, merging, minimum minutes,
staff overrides, unmatched participants, idempotent reruns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars import checkin
from wagtail_webinars.checkin import merge_rows, union_seconds
from wagtail_webinars.models import Registration, UnmatchedParticipant
from wagtail_webinars.providers.base import Participant

pytestmark = pytest.mark.django_db

S = Registration.CheckinSource
M = Registration.CheckinMatch
T0 = timezone.now().replace(microsecond=0) - timedelta(hours=2)


def row(name="", email="", rid="", start=0, end=30, waiting=False, instance="i1"):
    return Participant(
        name=name,
        email=email,
        registrant_id=rid,
        join_time=T0 + timedelta(minutes=start),
        leave_time=T0 + timedelta(minutes=end),
        duration_seconds=(end - start) * 60,
        waiting_room=waiting,
        instance=instance,
    )


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting", start=T0, end=T0 + timedelta(hours=1))


def reg(event, **kw):
    return RegistrationFactory(page=event, **kw)


def fresh(registration):
    registration.refresh_from_db()
    return registration


# -- merging ---------------------------------------------------------------------------
def test_union_counts_overlaps_once():
    a = (T0, T0 + timedelta(minutes=30))
    b = (T0 + timedelta(minutes=20), T0 + timedelta(minutes=40))
    c = (T0 + timedelta(minutes=50), T0 + timedelta(minutes=55))
    assert union_seconds([c, a, b]) == 45 * 60
    assert union_seconds([]) == 0


def test_rows_of_one_person_merge_by_id_email_or_name():
    people = merge_rows(
        [
            row("Ada", "ada@x.org", "r1", 0, 10),
            row("Ada phone", "", "r1", 5, 20),  # second device, same registrant id
            row("Ada", "ADA@x.org ", "", 30, 40, instance="i2"),  # rejoin in a restart
            row("Guest", "", "", 0, 5),
            row("guest ", "", "", 10, 12),
            row("Waiting", "w@x.org", "", 0, 60, waiting=True),
            row("", "", "", 0, 60),  # nobody at all
        ]
    )
    assert len(people) == 2
    ada = next(p for p in people if "r1" in p.registrant_ids)
    assert ada.key == "rid:r1"
    assert ada.emails == {"ada@x.org"}
    assert ada.seconds == 30 * 60
    assert ada.first_join == T0 and ada.last_leave == T0 + timedelta(minutes=40)
    guest = next(p for p in people if p.key.startswith("name:"))
    assert guest.seconds == 7 * 60


# -- matching ----------------------------------------------------------------------------
def test_matching_order_and_sources(event):
    by_id = reg(event, provider_registrant_id="r1", email="one@x.org")
    by_email = reg(event, email="Two@X.org")
    by_name = reg(event, first_name="Grace", last_name="Hopper", email="grace@x.org")
    same_name_1 = reg(event, first_name="Sam", last_name="Lee")
    same_name_2 = reg(event, first_name="Sam", last_name="Lee")
    cancelled = reg(event, email="gone@x.org", status=Registration.Status.CANCELLED)
    absent = reg(event)

    result = checkin.match_participants(
        event,
        [
            row("Someone", "other@x.org", "r1"),
            row("Two", " two@x.ORG"),
            row("  grace   HOPPER "),
            row("Sam Lee"),
            row("Gone", "gone@x.org"),
            row("Walk In", "walkin@x.org"),
        ],
    )

    for registration, how in ((by_id, M.REGISTRANT_ID), (by_email, M.EMAIL), (by_name, M.NAME)):
        fresh(registration)
        assert registration.checked_in_at == T0
        assert registration.checkin_source == S.PROVIDER_REPORT
        assert registration.checkin_matched_by == how
        assert registration.attended_minutes == 30
        assert registration.attendance_mode == "online"
    assert by_name.checkin_needs_review and not by_id.checkin_needs_review
    for registration in (same_name_1, same_name_2, cancelled, absent):
        assert fresh(registration).checked_in_at is None
    assert (result.matched, result.matched_by_name, result.checked_in) == (3, 1, 3)
    unmatched = UnmatchedParticipant.objects.filter(page=event).order_by("key")
    assert [u.key for u in unmatched] == [
        "email:gone@x.org",
        "email:walkin@x.org",
        "name:sam lee",
    ]
    assert result.unmatched == 3
    walk_in = unmatched[1]
    assert (walk_in.name, walk_in.email, walk_in.minutes) == ("Walk In", "walkin@x.org", 30)
    assert walk_in.first_join == T0 and walk_in.is_open


def test_minimum_minutes_and_joined_briefly(event, settings):
    quick = reg(event, email="quick@x.org")
    long = reg(event, email="long@x.org")
    rows = [row("Q", "quick@x.org", start=0, end=1), row("L", "long@x.org", start=0, end=3)]
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ATTENDANCE_MIN_MINUTES": 1}
    event.min_attended_minutes = 2  # the event's own minimum wins
    result = checkin.match_participants(event, rows)
    assert fresh(quick).checked_in_at is None and quick.joined_briefly
    assert quick.attended_minutes == 1
    assert fresh(long).checked_in_at is not None and not long.joined_briefly
    assert result.joined_briefly == 1


def test_default_minimum_is_one_minute(event):
    seconds = reg(event, email="s@x.org")
    brief = Participant(
        name="S",
        email="s@x.org",
        join_time=T0,
        leave_time=T0 + timedelta(seconds=59),
        duration_seconds=59,
    )
    checkin.match_participants(event, [brief])
    assert fresh(seconds).joined_briefly and seconds.checked_in_at is None


def test_waiting_room_is_not_attendance(event):
    waiting = reg(event, email="w@x.org")
    result = checkin.match_participants(event, [row("W", "w@x.org", waiting=True)])
    assert fresh(waiting).checked_in_at is None and waiting.attended_minutes is None
    assert result.people == 0 and not UnmatchedParticipant.objects.exists()


def test_rerun_changes_nothing_already_right(event):
    a = reg(event, provider_registrant_id="r1")
    rows = [row("A", "", "r1", 0, 20), row("A", "", "r1", 25, 50), row("Guest", "", "", 0, 9)]
    first = checkin.match_participants(event, rows)
    before = fresh(a).updated_at
    guest = UnmatchedParticipant.objects.get()

    again = checkin.match_participants(event, rows)

    assert (first.checked_in, again.checked_in, again.updated) == (1, 0, 0)
    assert fresh(a).updated_at == before and a.attended_minutes == 45
    assert UnmatchedParticipant.objects.get().updated_at == guest.updated_at
    assert UnmatchedParticipant.objects.count() == 1


def test_later_pull_with_more_rows_updates_minutes_and_a_stronger_match(event):
    ada = reg(event, first_name="Ada", last_name="King", provider_registrant_id="r9")
    checkin.match_participants(event, [row("Ada King", "", "", 0, 10)])
    assert fresh(ada).checkin_needs_review
    checkin.match_participants(event, [row("Ada King", "", "", 0, 10), row("A", "", "r9", 30, 50)])
    fresh(ada)
    assert ada.checkin_matched_by == M.REGISTRANT_ID and not ada.checkin_needs_review
    assert ada.attended_minutes == 30 and ada.checked_in_at == T0


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


def test_pull_never_unchecks(event):
    a = reg(event, email="a@x.org")
    checkin.match_participants(event, [row("A", "a@x.org")])
    checkin.match_participants(event, [row("Other", "o@x.org")])
    assert fresh(a).checked_in_at == T0


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


# -- unmatched participants -----------------------------------------------------------
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


def test_an_open_stray_who_registers_later_is_resolved(event):
    checkin.match_participants(event, [row("Late", "late@x.org")])
    late = reg(event, email="late@x.org")
    checkin.match_participants(event, [row("Late", "late@x.org")])
    stray = UnmatchedParticipant.objects.get()
    assert stray.state == "linked" and stray.registration_id == late.pk
    assert fresh(late).checked_in_at is not None


def test_queries_do_not_grow_with_people(event):
    def run(n):
        regs = [reg(event) for _ in range(n)]
        rows = [row(r.full_name, r.email, start=0, end=20) for r in regs]
        rows += [row(f"Stray {i}", start=0, end=20) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            checkin.match_participants(event, rows)
        return len(queries)

    assert run(3) == run(30)


# -- reminder-link clicks (link-only events) ---------------------------------------------
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
