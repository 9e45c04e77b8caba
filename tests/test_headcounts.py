"""Headcounts: the figures of the report, the dashboard and GraphQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.headcounts import headcount_for_event, headcounts_for_events
from wagtail_webinars.models import ParticipantPull, Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db

S = Registration.CheckinSource
M = Registration.CheckinMatch


def _past_event(make_event, **kw):
    start = timezone.now() - timedelta(hours=3)
    return make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1), **kw)


def test_every_figure(make_event):
    event = _past_event(make_event)
    now = timezone.now()
    RegistrationFactory(page=event, reminder_sent_at=now, join_opened_at=now)
    RegistrationFactory(
        page=event,
        reminder_sent_at=now,
        join_opened_at=now,
        join_clicked_at=now,
        join_click_count=3,
        checked_in_at=now,
        checkin_source=S.PROVIDER_REPORT,
        checkin_matched_by=M.REGISTRANT_ID,
        attendance_mode="online",
    )
    RegistrationFactory(
        page=event,
        checked_in_at=now,
        checkin_source=S.PROVIDER_REPORT,
        checkin_matched_by=M.NAME,
        checkin_needs_review=True,
        attendance_mode="online",
    )
    RegistrationFactory(
        page=event, checked_in_at=now, checkin_source=S.STAFF, attendance_mode="in_person"
    )
    RegistrationFactory(page=event, joined_briefly=True, attended_minutes=0)
    RegistrationFactory(page=event, status=Registration.Status.CANCELLED, join_click_count=5)
    UnmatchedParticipant.objects.create(page=event, key="name:a", name="A")
    UnmatchedParticipant.objects.create(page=event, key="name:b", name="B", state="dismissed")
    ParticipantPull.objects.create(page=event, state="failed")
    last = ParticipantPull.objects.create(page=event, state="waiting")

    h = headcount_for_event(event)

    assert (h.registered, h.active, h.cancelled) == (6, 5, 1)
    assert (h.reminders_sent, h.links_opened, h.clicked, h.clicks) == (2, 2, 1, 3)
    assert h.checked_in == 3
    assert h.checked_in_by_source == {
        S.EMAIL_CLICK: 0,
        S.PROVIDER_REPORT: 2,
        S.PROVIDER_LIVE: 0,
        S.STAFF: 1,
    }
    assert h.checked_in_by_match[M.REGISTRANT_ID] == 1
    assert h.checked_in_by_match[M.NAME] == 1
    assert h.needs_review == 1
    assert (h.in_person, h.online) == (1, 2)
    assert h.joined_briefly == 1
    assert h.ended and h.no_shows == 2
    assert h.attendance_rate == pytest.approx(3 / 5)
    assert h.unmatched == 1
    assert h.last_pull == last and h.last_pull_state == "waiting"


def test_empty_and_upcoming_event(make_event):
    event = make_event(kind="vimeo")
    h = headcount_for_event(event.pk)
    assert h.registered == 0 and h.attendance_rate is None and h.last_pull is None
    RegistrationFactory(page=event)
    h = headcount_for_event(event)
    assert not h.ended and h.no_shows == 0 and h.not_checked_in == 1


def test_constant_queries_for_many_events(make_event):
    events = [_past_event(make_event) for _ in range(2)]
    with CaptureQueriesContext(connection) as few:
        headcounts_for_events(events[:1])
    more = [_past_event(make_event) for _ in range(3)]
    for event in events + more:
        RegistrationFactory.create_batch(3, page=event)
        ParticipantPull.objects.create(page=event)
        UnmatchedParticipant.objects.create(page=event, key="name:x")
    with CaptureQueriesContext(connection) as many:
        result = headcounts_for_events(events + more)
    assert len(many) == len(few) == 3
    assert {h.active for h in result.values()} == {3}
    assert all(h.last_pull is not None and h.unmatched == 1 for h in result.values())
