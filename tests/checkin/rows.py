"""Report rows and registrations for the check-in tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import Participant

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


def reg(event, **kw):
    return RegistrationFactory(page=event, **kw)


def fresh(registration):
    registration.refresh_from_db()
    return registration
