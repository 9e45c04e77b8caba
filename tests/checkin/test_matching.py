"""Matching a report to registrations: order and sources, minimum minutes, waiting room,
idempotent reruns, unmatched participants, queries that do not grow with people
(wagtail_webinars/checkin/matching.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.checkin.rows import T0, M, S, fresh, reg, row
from wagtail_webinars import checkin
from wagtail_webinars.checkin import matching
from wagtail_webinars.models import Registration, UnmatchedParticipant
from wagtail_webinars.providers.base import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["values", "copy"])
def save_path(request, monkeypatch):
    """Every test twice on PostgreSQL: saved with UPDATE ... FROM VALUES, and through
    COPY (what thousands of rows take there; here from the first row on)."""
    if request.param == "copy":
        if connection.vendor != "postgresql":
            pytest.skip("COPY is PostgreSQL's; SQLite saves with UPDATE ... FROM VALUES")
        monkeypatch.setattr(matching, "COPY_FROM", 0)
    return request.param


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


def test_pull_never_unchecks(event):
    a = reg(event, email="a@x.org")
    checkin.match_participants(event, [row("A", "a@x.org")])
    checkin.match_participants(event, [row("Other", "o@x.org")])
    assert fresh(a).checked_in_at == T0


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
