"""Live check-in (a provider's webhook said someone joined): matching and the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars import checkin
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


def test_registrant_id_wins_over_email(event):
    by_email = RegistrationFactory(page=event, email="a@example.org")
    by_rid = RegistrationFactory(page=event, email="b@example.org", provider_registrant_id="r1")
    found = checkin.find_registration(event, registrant_id="r1", email="a@example.org")
    assert found == by_rid != by_email


def test_cancelled_registrations_are_not_checked_in(event):
    RegistrationFactory(page=event, provider_registrant_id="r1", status="cancelled")
    result = checkin.check_in_live(event, registrant_id="r1", email="", joined_at=timezone.now())
    assert result.registration_id is None


def test_the_report_pull_completes_the_minutes_of_a_live_check_in(event):
    row = RegistrationFactory(page=event, provider_registrant_id="rid-1")
    start = event.start
    assert checkin.check_in_live(event, registrant_id="rid-1", email="", joined_at=start).checked_in
    checkin.match_participants(
        event,
        [
            Participant(
                name="Pat",
                email="",
                registrant_id="rid-1",
                join_time=start,
                leave_time=start + timedelta(minutes=42),
            )
        ],
    )
    row.refresh_from_db()
    assert row.attended_minutes == 42
    assert row.checkin_source == Registration.CheckinSource.PROVIDER_LIVE
    assert row.checked_in_at == start
