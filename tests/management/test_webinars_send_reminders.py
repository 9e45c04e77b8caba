"""The management command runs one sweep and says what it did."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command

from tests.factories import RegistrationFactory

NY = zoneinfo.ZoneInfo("America/New_York")


def run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("webinars_send_reminders", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sends_due_reminders_once(make_event):
    with time_machine.travel(datetime(2026, 6, 10, 12, 30, tzinfo=NY), tick=False):
        due = make_event(start=datetime(2026, 6, 10, 14, 0, tzinfo=NY))
        later = make_event(start=datetime(2026, 6, 11, 14, 0, tzinfo=NY))
        RegistrationFactory.create_batch(2, page=due)
        RegistrationFactory(page=later)
        out, err = run()
        assert out.strip() == "Reminders sent: 2, failed: 0 (events with reminders due: 1)."
        assert err == ""
        out, _err = run()
        assert out.strip() == "Reminders sent: 0, failed: 0 (events with reminders due: 1)."
    assert len(mail.outbox) == 2


def test_reports_failures(make_event, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.DownBackend"
    with time_machine.travel(datetime(2026, 6, 10, 12, 30, tzinfo=NY), tick=False):
        event = make_event(start=datetime(2026, 6, 10, 14, 0, tzinfo=NY))
        RegistrationFactory(page=event)
        out, err = run()
    assert out.strip() == "Reminders sent: 0, failed: 1 (events with reminders due: 1)."
    assert "retried by the next sweep" in err


def test_nothing_due(db):
    out, _err = run()
    assert out.strip() == "Reminders sent: 0, failed: 0 (events with reminders due: 0)."
