"""The reminder sweep: timing, exactly-once claims, failures, moved events, the email."""

from __future__ import annotations

import re
import threading
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django_q.exceptions import TimeoutException
from icalendar import Calendar

from tests.factories import RegistrationFactory
from wagtail_webinars import links, mail_batches, reminders
from wagtail_webinars.models import EmailBrandingSettings, Registration, event_page_models
from wagtail_webinars.schedules import SCHEDULES, ensure_schedules

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = zoneinfo.ZoneInfo("UTC")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def webinar_settings(settings):
    """Change WAGTAIL_WEBINARS keys for one test: ``webinar_settings(REMINDER_BATCH_SIZE=5)``."""

    def change(**values):
        settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, **values}

    return change


def register(event, n=1, **fields):
    return RegistrationFactory.create_batch(n, page=event, **fields)


def outbox_to() -> list[str]:
    return [parseaddr(m.to[0])[1] for m in mail.outbox]


# -- timing ----------------------------------------------------------------------------


def test_sends_inside_lead_time_exactly_once(make_event):
    with time_machine.travel(ny(2026, 6, 10, 12, 0), tick=False):
        event = make_event(start=ny(2026, 6, 10, 13, 30))  # 90 minutes away
        active = register(event, 3)
        register(event, status=Registration.Status.CANCELLED)

        report = reminders.send_due_reminders()
        assert (report.sent, report.failed) == (3, 0)
        assert report.events == [event.pk]
        assert sorted(outbox_to()) == sorted(r.email for r in active)

        again = reminders.send_due_reminders()
        assert (again.sent, again.failed) == (0, 0)
        assert len(mail.outbox) == 3

    for row in Registration.objects.filter(page=event, status="registered"):
        assert row.reminder_sent_for == event.start
        assert row.reminder_sent_at == ny(2026, 6, 10, 12, 0)
        assert row.reminder_claimed_for is None and row.reminder_claimed_at is None
        assert row.reminder_error == ""


@pytest.mark.parametrize(
    ("now", "sent"),
    [
        (ny(2026, 6, 10, 11, 59, 59), 0),  # one second before the 2 hour lead
        (ny(2026, 6, 10, 12, 0), 1),  # exactly at the lead time
        (ny(2026, 6, 10, 14, 0), 1),  # at the start: it says the event has started
        (ny(2026, 6, 10, 14, 59, 59), 1),  # last second of the event
        (ny(2026, 6, 10, 15, 0), 0),  # the end: the attendance window is closed
    ],
)
def test_window_edges(make_event, now, sent):
    with time_machine.travel(ny(2026, 6, 1, 9, 0), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0), end=ny(2026, 6, 10, 15, 0))
        register(event)
    with time_machine.travel(now, tick=False):
        assert reminders.send_due_reminders().sent == sent
    assert len(mail.outbox) == sent


def test_reminder_after_start_says_it_has_started(make_event):
    with time_machine.travel(ny(2026, 6, 10, 14, 10), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0), end=ny(2026, 6, 10, 15, 0))
        register(event)
        reminders.send_due_reminders()
    assert "has started" in mail.outbox[0].body


def test_attendance_close_setting_extends_sending(make_event, webinar_settings):
    webinar_settings(ATTENDANCE_CLOSES_MINUTES_AFTER=10)
    with time_machine.travel(ny(2026, 6, 10, 15, 5), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0), end=ny(2026, 6, 10, 15, 0))
        register(event)
        assert reminders.send_due_reminders().sent == 1


def test_site_default_lead_time(make_event, webinar_settings):
    webinar_settings(REMINDER_LEAD_MINUTES=30)
    with time_machine.travel(ny(2026, 6, 10, 13, 0), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event)
        assert reminders.send_due_reminders().sent == 0
    with time_machine.travel(ny(2026, 6, 10, 13, 30), tick=False):
        assert reminders.send_due_reminders().sent == 1


def test_event_lead_time_overrides_default(make_event):
    with time_machine.travel(ny(2026, 6, 9, 14, 0), tick=False):
        early = make_event(start=ny(2026, 6, 10, 14, 0), reminder_lead_minutes=24 * 60)
        late = make_event(start=ny(2026, 6, 9, 15, 30), reminder_lead_minutes=15)
        register(early)
        register(late)
        report = reminders.send_due_reminders()
    # 24 hours ahead is due; 15 minutes before a start 90 minutes away is not,
    # although the site default (2 hours) would have been.
    assert report.events == [early.pk]
    assert report.sent == 1


def test_registration_after_window_opened_gets_reminder_next_sweep(make_event):
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event)
        assert reminders.send_due_reminders().sent == 1
    with time_machine.travel(ny(2026, 6, 10, 13, 0), tick=False):
        (late,) = register(event)
        assert reminders.send_due_reminders().sent == 1
    assert mail.outbox[-1].to == [late.email]


def test_unpublished_event_gets_no_reminders(make_event):
    with time_machine.travel(ny(2026, 6, 10, 13, 0), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event)
        event.unpublish()
        assert reminders.send_due_reminders().sent == 0


def test_dst_spring_forward_day(make_event):
    # 8 March 2026: clocks jump from 02:00 EST to 03:00 EDT. An event at 03:30 EDT
    # (07:30 UTC) is due two real hours earlier, 05:30 UTC, which is 00:30 EST on the
    # wall clock (three wall-clock hours, two real ones).
    start = ny(2026, 3, 8, 3, 30)
    assert start.utcoffset() == timedelta(hours=-4)
    with time_machine.travel(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), tick=False):
        event = make_event(start=start, title="Spring forward")
        register(event)
    with time_machine.travel(datetime(2026, 3, 8, 5, 29, 59, tzinfo=UTC), tick=False):
        assert reminders.send_due_reminders().sent == 0
    with time_machine.travel(datetime(2026, 3, 8, 5, 30, tzinfo=UTC), tick=False):
        assert reminders.send_due_reminders().sent == 1
    message = mail.outbox[0]
    assert "Sunday 8 March 2026, 03:30 EDT" in message.subject
    assert "03:30 EDT (America/New_York)" in message.body


def test_dst_fall_back_day_names_the_right_offset(make_event):
    # 1 November 2026: 01:30 happens twice. 06:30 UTC is the second one, 01:30 EST.
    start = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 1, 4, 30, tzinfo=UTC), tick=False):
        event = make_event(start=start, title="Fall back")
        register(event)
        assert reminders.send_due_reminders().sent == 1
    assert "Sunday 1 November 2026, 01:30 EST" in mail.outbox[0].subject


# -- moved events ----------------------------------------------------------------------------


def test_moved_event_gets_a_new_reminder_for_the_new_time(make_event):
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0), end=ny(2026, 6, 10, 15, 0))
        register(event, 2)
        assert reminders.send_due_reminders().sent == 2
        assert "14:00 EDT" in mail.outbox[0].subject

        # An editor moves it half an hour later and publishes.
        event.start = ny(2026, 6, 10, 14, 30)
        event.end = ny(2026, 6, 10, 15, 30)
        event.save_revision().publish()

        assert reminders.send_due_reminders().sent == 2
        assert reminders.send_due_reminders().sent == 0
    assert len(mail.outbox) == 4
    assert all("14:30 EDT" in m.subject for m in mail.outbox[2:])
    assert set(
        Registration.objects.filter(page=event).values_list("reminder_sent_for", flat=True)
    ) == {ny(2026, 6, 10, 14, 30)}


def test_moved_far_away_waits_for_new_lead_time(make_event):
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event)
        reminders.send_due_reminders()
        event.start = ny(2026, 6, 17, 14, 0)
        event.end = ny(2026, 6, 17, 15, 0)
        event.save_revision().publish()
        assert reminders.send_due_reminders().sent == 0
    with time_machine.travel(ny(2026, 6, 17, 12, 0), tick=False):
        assert reminders.send_due_reminders().sent == 1


# -- exactly once ------------------------------------------------------------------------------


def test_rows_claimed_by_another_sweep_are_left_alone(make_event):
    """Worker A has claimed a batch (and is sending it); worker B's sweep skips those rows."""
    with time_machine.travel(ny(2026, 6, 10, 13, 0), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        regs = register(event, 5)
        due = Registration.objects.active().filter(page_id=event.pk)
        batch, _stamp = mail_batches.claim_batch(
            due,
            Q(reminder_claimed_at__isnull=True),
            0,
            2,
            lambda at: {"reminder_claimed_for": event.start, "reminder_claimed_at": at},
            "reminder_claimed_at",
        )
        assert [r.pk for r in batch] == [regs[0].pk, regs[1].pk]

        report = reminders.send_due_reminders()
    assert report.sent == 3
    assert sorted(outbox_to()) == sorted(r.email for r in regs[2:])


def test_crash_after_claiming_loses_nobody(make_event, monkeypatch, webinar_settings):
    webinar_settings(REMINDER_BATCH_SIZE=2, REMINDER_CLAIM_TIMEOUT_SECONDS=300)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        regs = register(event, 5)

        real_deliver = mail_batches.deliver
        calls = []

        def killed_on_second_batch(prepared, batch, **kwargs):
            calls.append([r.pk for r in batch])
            if len(calls) == 2:
                raise SystemExit("worker killed")  # before the batch's first message
            return real_deliver(prepared, batch, **kwargs)

        monkeypatch.setattr(mail_batches, "deliver", killed_on_second_batch)
        with pytest.raises(SystemExit):
            reminders.send_due_reminders()
        monkeypatch.setattr(mail_batches, "deliver", real_deliver)

        assert len(mail.outbox) == 2  # the first batch went out
        stranded = Registration.objects.filter(reminder_claimed_at__isnull=False)
        assert set(stranded.values_list("pk", flat=True)) == set(calls[1])

        # The claims are fresh: the next sweep sends only the never-claimed row.
        assert reminders.send_due_reminders().sent == 1

    with time_machine.travel(ny(2026, 6, 10, 12, 34, 59), tick=False):
        assert reminders.send_due_reminders().sent == 0  # claims not yet stale
    with time_machine.travel(ny(2026, 6, 10, 12, 35, 1), tick=False):
        assert reminders.send_due_reminders().sent == 2  # taken over
        assert reminders.send_due_reminders().sent == 0
    assert sorted(outbox_to()) == sorted(r.email for r in regs)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent sweeps need PostgreSQL: row locks (FOR UPDATE SKIP LOCKED) and "
    "parallel connections; SQLite serialises every writer",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sweeps_send_each_reminder_once(make_event, webinar_settings):
    from django.db import connections

    webinar_settings(REMINDER_BATCH_SIZE=7)
    event = make_event(start=timezone.now() + timedelta(minutes=60))
    regs = register(event, 150)
    workers = 6
    barrier = threading.Barrier(workers)
    reports, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            reports.append(reminders.send_due_reminders())
        except Exception as err:  # surfaced below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(r.sent for r in reports) == 150
    assert sorted(outbox_to()) == sorted(r.email for r in regs)
    assert Registration.objects.filter(page=event, reminder_sent_for=event.start).count() == 150
    # More than one worker really took part (otherwise this proves nothing).
    assert sum(1 for r in reports if r.sent) > 1


# -- failures ----------------------------------------------------------------------------------


class RefusingBackend(LocmemBackend):
    """Refuses mail to addresses starting with "bounce"; sends the rest to the outbox."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("bounce"):
                raise ConnectionResetError("421 try again later")
        return super().send_messages(messages)


class DownBackend(LocmemBackend):
    def open(self):
        raise OSError("connection refused")


def test_smtp_failure_is_recorded_and_retried(make_event, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        ok = register(event, 2)
        (bounce,) = register(event, email="bounce@example.org")
        report = reminders.send_due_reminders()
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(outbox_to()) == sorted(r.email for r in ok)
    bounce.refresh_from_db()
    assert bounce.reminder_sent_for is None
    assert bounce.reminder_claimed_at is None  # released for the next sweep
    assert "ConnectionResetError: 421 try again later" in bounce.reminder_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(ny(2026, 6, 10, 12, 31), tick=False):
        report = reminders.send_due_reminders()
    assert (report.sent, report.failed) == (1, 0)
    assert outbox_to()[-1] == "bounce@example.org"
    bounce.refresh_from_db()
    assert bounce.reminder_sent_for == event.start
    assert bounce.reminder_error == ""


def test_mail_server_down_fails_the_batch_and_keeps_everyone_due(make_event, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.DownBackend"
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 3)
        report = reminders.send_due_reminders()
    assert (report.sent, report.failed) == (0, 3)
    rows = Registration.objects.filter(page=event)
    assert all(r.reminder_error == "OSError: connection refused" for r in rows)
    assert not rows.filter(reminder_claimed_at__isnull=False).exists()
    assert not rows.filter(reminder_sent_for__isnull=False).exists()


def test_one_mail_connection_per_batch(make_event, settings, webinar_settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    RefusingBackend.opened = 0
    webinar_settings(REMINDER_BATCH_SIZE=4)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 10)
        assert reminders.send_due_reminders().sent == 10
    assert RefusingBackend.opened == 3  # batches of 4, 4 and 2


def test_queries_are_bounded_by_batches_not_registrants(
    make_event, webinar_settings, django_assert_max_num_queries
):
    webinar_settings(REMINDER_BATCH_SIZE=100)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        events = [
            make_event(
                start=ny(2026, 6, 10, 14, 0),
                description='<p>See <a linktype="page" id="2">home</a> and more.</p>',
            )
            for _ in range(2)
        ]
        for event in events:
            register(event, 450)
        batches = 2 * 5
        # Per batch: the claim (savepoint, select, update, release) and the "sent"
        # updates (one per RECORD_EVERY messages); per event: site, branding, the
        # final empty claim; one query per event page model for the due events.
        per_batch = 4 + -(-100 // mail_batches.RECORD_EVERY)
        with django_assert_max_num_queries(per_batch * batches + 2 * 10 + len(event_page_models())):
            report = reminders.send_due_reminders()
    assert report.sent == 900


# -- the email ---------------------------------------------------------------------------------


@pytest.fixture
def unmanaged_event(make_event):
    return make_event(
        kind="zoom_meeting_link",
        title="Career coffee chat",
        start=ny(2026, 6, 10, 14, 0),
        reply_to="careers@example.edu",
        description=(
            '<p>Bring <b>questions</b>. <a href="/events/">All events</a>.</p>'
            "<script>alert('desc')</script>"
        ),
    )


JOIN_LINK = re.compile(r"http://testserver/events/join/([^/\s\"<]+)/")


def send_one(event, **fields):
    (registration,) = register(event, **fields)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        assert reminders.send_due_reminders().sent == 1
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    return registration, message, html


def test_email_content(unmanaged_event, site):
    branding = EmailBrandingSettings.for_site(site)
    branding.header_colour = "#aa3300"
    branding.organisation_name = "Example University"
    branding.save()
    registration, message, html = send_one(unmanaged_event, first_name="Ada")

    assert message.subject == "Reminder: Career coffee chat, Wednesday 10 June 2026, 14:00 EDT"
    assert message.reply_to == ["careers@example.edu"]
    (token,) = set(JOIN_LINK.findall(message.body))
    assert links.read_token(token, links.JOIN) == registration
    join_url = f"http://testserver/events/join/{token}/"
    for body in (message.body, html):
        assert "Hello Ada" in body
        assert "Wednesday 10 June 2026, 14:00 EDT (America/New_York)" in body
        assert set(JOIN_LINK.findall(body)) == {token}
        assert join_url in body
        assert "abc123" in body  # the meeting password
        # The meeting's own URL is reached only through our tracked link.
        assert "example.zoom.us" not in body
    assert "Bring <b>questions</b>" in html
    assert '<a href="http://testserver/events/">All events</a>' in html  # made absolute
    assert "<script" not in html
    assert "background:#aa3300" in html
    assert "Example University" in html
    assert "Bring questions. All events (/events/)." in message.body

    ((name, content, mimetype),) = message.attachments
    assert mimetype.startswith("text/calendar")
    assert name == "event.ics"
    vevent = Calendar.from_ical(content).walk("VEVENT")[0]
    # The event page is the calendar entry's URL; the join link is where it happens.
    assert str(vevent["url"]) == f"http://testserver{unmanaged_event.url}"
    assert str(vevent["location"]) == join_url
    assert join_url in str(vevent["description"])
    assert vevent.decoded("dtstart") == unmanaged_event.start
    assert str(vevent["uid"]) == f"registration-{registration.uid}@testserver"


def test_names_are_escaped_in_html(unmanaged_event):
    _registration, message, html = send_one(
        unmanaged_event, first_name="<script>alert(1)</script>", last_name="O'Neil & Co"
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Plain text is not HTML: the name is shown as typed.
    assert "Hello <script>alert(1)</script>," in message.body


def test_title_is_escaped_in_html(make_event):
    event = make_event(start=ny(2026, 6, 10, 14, 0), title="Q&A <live>")
    _registration, message, html = send_one(event)
    assert "Q&amp;A &lt;live&gt;" in html
    assert "<live>" not in html
    assert message.subject.startswith("Reminder: Q&A <live>, ")


def test_vimeo_has_no_password_line(make_event):
    event = make_event(kind="vimeo", start=ny(2026, 6, 10, 14, 0))
    _registration, message, html = send_one(event)
    assert "password" not in message.body.lower()
    assert "password" not in html.lower()


def test_managed_zoom_password_from_meeting_settings(make_event):
    event = make_event(
        kind="zoom_webinar",
        start=ny(2026, 6, 10, 14, 0),
        location={
            "meeting_id": "91234567890",
            "join_url": "https://zoom.test/w/9",
            "password": "pw9",
        },
    )
    _registration, message, _html = send_one(
        event, provider_join_url="https://zoom.test/w/9?tk=personal"
    )
    assert "Meeting password: pw9" in message.body
    assert "zoom.test" not in message.body  # the link is ours; joins.py picks the personal one


# -- schedule and task ----------------------------------------------------------------------


def test_schedule_is_created_once(db):
    from django_q.models import Schedule

    assert SCHEDULES["wagtail_webinars.reminder_sweep"] == (
        "wagtail_webinars.tasks.send_due_reminders",
        1,
    )
    ensure_schedules()
    ensure_schedules()
    rows = Schedule.objects.filter(name="wagtail_webinars.reminder_sweep")
    assert rows.count() == 1
    row = rows.get()
    assert row.func == "wagtail_webinars.tasks.send_due_reminders"
    assert (row.schedule_type, row.minutes, row.repeats) == (Schedule.MINUTES, 1, -1)


def test_task_runs_one_sweep(make_event):
    from wagtail_webinars import tasks

    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 2)
        assert tasks.send_due_reminders() == {
            "sent": 2,
            "failed": 0,
            "events": [event.pk],
            "out_of_time": False,
        }


# -- killed or slow sweeps: no duplicates ------------------------------------------------------


class DyingBackend(LocmemBackend):
    """Hands ``die_after`` messages to the outbox, then the worker dies in the next send.

    django-q2 ends a task that outlives Q_CLUSTER["timeout"] by raising its
    TimeoutException (a SystemExit) wherever the task happens to be.
    """

    die_after: int | None = None
    kill: BaseException = SystemExit("worker killed")
    handed_over = 0

    def send_messages(self, messages):
        if self.die_after is not None and type(self).handed_over >= self.die_after:
            raise self.kill
        type(self).handed_over += len(messages)
        return super().send_messages(messages)


@pytest.fixture
def dying_backend(settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.DyingBackend"
    DyingBackend.handed_over = 0

    def arm(die_after, kill=None):
        DyingBackend.die_after = die_after
        DyingBackend.kill = kill or SystemExit("worker killed")

    yield arm
    DyingBackend.die_after = None


@pytest.mark.parametrize(
    "kill",
    [SystemExit("worker killed"), TimeoutException("Task exceeded maximum timeout value (60)")],
    ids=["SystemExit", "django-q2 timeout"],
)
def test_sweep_killed_mid_batch_sends_each_reminder_once(make_event, dying_backend, kill):
    dying_backend(die_after=50, kill=kill)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        regs = register(event, 200)  # one batch (REMINDER_BATCH_SIZE 200)
        with pytest.raises(SystemExit):
            reminders.send_due_reminders()
    assert len(mail.outbox) == 50
    recorded = Registration.objects.filter(page=event, reminder_sent_for=event.start)
    assert sorted(recorded.values_list("email", flat=True)) == sorted(outbox_to())

    dying_backend(die_after=None)
    # Past REMINDER_CLAIM_TIMEOUT_SECONDS (300): anything still claimed is taken over.
    with time_machine.travel(ny(2026, 6, 10, 12, 35, 1), tick=False):
        assert reminders.send_due_reminders().sent == 150
        assert reminders.send_due_reminders().sent == 0
    assert Counter(outbox_to()) == Counter({r.email: 1 for r in regs})


def test_graceful_kill_releases_what_it_did_not_send(make_event, dying_backend):
    dying_backend(die_after=50)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 200)
        with pytest.raises(SystemExit):
            reminders.send_due_reminders()
        assert not Registration.objects.filter(reminder_claimed_at__isnull=False).exists()
        dying_backend(die_after=None)
        # The next minute's sweep carries on; it need not wait for the claims to go stale.
    with time_machine.travel(ny(2026, 6, 10, 12, 31), tick=False):
        assert reminders.send_due_reminders().sent == 150
    assert len(mail.outbox) == 200


class WatchedBackend(LocmemBackend):
    """Before each send, notes how many handed-over messages are not yet recorded:
    what a worker killed outright (SIGKILL, lost machine) at that moment would send again."""

    clock = None  # a FakeClock, advanced per message (a slow mail relay)
    seconds_per_message = 0.0
    unrecorded: list[int] = []

    def send_messages(self, messages):
        recorded = Registration.objects.filter(reminder_sent_for__isnull=False).count()
        type(self).unrecorded.append(len(mail.outbox) - recorded)
        if self.clock is not None:
            self.clock.advance(self.seconds_per_message)
        return super().send_messages(messages)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(mail_batches, "_clock", clock)
    return clock


@pytest.mark.parametrize(
    ("seconds_per_message", "most_unrecorded"),
    [
        (0.0, None),  # a fast relay: recorded every RECORD_EVERY messages
        (0.4, 3),  # 2.5 messages a second: recorded at least every RECORD_INTERVAL (1 s)
    ],
)
def test_sends_are_recorded_while_the_batch_goes_out(
    make_event, settings, fake_clock, seconds_per_message, most_unrecorded
):
    settings.EMAIL_BACKEND = "tests.test_reminders.WatchedBackend"
    WatchedBackend.unrecorded = []
    WatchedBackend.clock = fake_clock
    WatchedBackend.seconds_per_message = seconds_per_message
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 60)  # one batch of 60, well inside the time budget
        assert reminders.send_due_reminders().sent == 60
    assert len(WatchedBackend.unrecorded) == 60
    assert 0 < max(WatchedBackend.unrecorded) <= (most_unrecorded or mail_batches.RECORD_EVERY)


class SlowBackend(LocmemBackend):
    """Each message takes a second (a slow relay), on the fake clock."""

    clock = None

    def send_messages(self, messages):
        self.clock.advance(1)
        return super().send_messages(messages)


@pytest.mark.parametrize("batch_size", [10, 200])
def test_sweep_stops_within_its_time_budget(
    make_event, settings, webinar_settings, fake_clock, batch_size
):
    # Q_CLUSTER["timeout"] is 60 in the test settings: a sweep sends for 30 s at most.
    assert mail_batches.time_budget() == 30
    settings.EMAIL_BACKEND = "tests.test_reminders.SlowBackend"
    SlowBackend.clock = fake_clock
    webinar_settings(REMINDER_BATCH_SIZE=batch_size)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        regs = register(event, 100)
        first = reminders.send_due_reminders()
        assert (first.sent, first.failed, first.out_of_time) == (30, 0, True)
        # Nothing is left claimed: the next sweep takes the rest at once.
        assert not Registration.objects.filter(reminder_claimed_at__isnull=False).exists()
        assert Registration.objects.filter(reminder_sent_for=event.start).count() == 30
        later = [reminders.send_due_reminders() for _ in range(4)]
    assert [r.sent for r in later] == [30, 30, 10, 0]
    assert [r.out_of_time for r in later] == [True, True, False, False]
    assert Counter(outbox_to()) == Counter({r.email: 1 for r in regs})


@pytest.mark.parametrize(
    ("q_timeout", "claim_timeout", "budget"),
    [
        (60, 300, 30),  # the documented configuration
        (600, 300, 150),  # a long task timeout: the claim timeout decides
        (None, 300, 150),  # no task timeout at all (or a sweep run by hand)
    ],
)
def test_time_budget(settings, webinar_settings, q_timeout, claim_timeout, budget):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": q_timeout}
    webinar_settings(REMINDER_CLAIM_TIMEOUT_SECONDS=claim_timeout)
    assert mail_batches.time_budget() == budget


# -- a host project's own event pages ------------------------------------------------------------


def test_host_project_event_pages_get_reminders(make_event, event_index):
    from tests.host_site.factories import make_host_event
    from tests.host_site.models import CampusEventPage, SeminarPage

    start = ny(2026, 6, 10, 14, 0)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        ours = make_event(start=start)
        campus = make_host_event(CampusEventPage, event_index, start=start, title="Campus day")
        seminar = make_host_event(SeminarPage, event_index, start=start, title="Seminar")
        later = make_host_event(CampusEventPage, event_index, start=start + timedelta(days=1))
        for page in (ours, campus, seminar, later):
            register(page, 2)
        report = reminders.send_due_reminders()
        # Each event once, though a seminar is also an EventPage.
        assert sorted(report.events) == sorted([ours.pk, campus.pk, seminar.pk])
        assert report.sent == 6
        assert reminders.send_due_reminders().sent == 0
    subjects = sorted({m.subject.split(",")[0] for m in mail.outbox})
    assert subjects == ["Reminder: Campus day", f"Reminder: {ours.title}", "Reminder: Seminar"]


def test_due_events_loads_only_due_events(make_event, event_index, django_assert_num_queries):
    """The due time is worked out by the database: events with their own lead
    time that are not due yet are never loaded, however many there are."""
    from django.db.models.signals import post_init

    from tests.host_site.factories import make_host_event
    from tests.host_site.models import CampusEventPage

    now = ny(2026, 6, 10, 12, 0)
    with time_machine.travel(ny(2026, 6, 1, 9, 0), tick=False):
        due = [
            make_event(start=ny(2026, 6, 10, 13, 0)),  # site default lead (2 hours)
            make_event(start=ny(2026, 6, 11, 11, 0), reminder_lead_minutes=24 * 60),
            make_host_event(
                CampusEventPage,
                event_index,
                start=ny(2026, 6, 10, 12, 30),
                reminder_lead_minutes=30,
            ),
            # Started, still inside the attendance window.
            make_event(start=ny(2026, 6, 10, 11, 30), end=ny(2026, 6, 10, 12, 30)),
        ]
        for n in range(12):
            make_event(start=ny(2026, 6, 10, 13, 0), reminder_lead_minutes=30 + n)  # not yet
            make_host_event(
                CampusEventPage, event_index, start=ny(2026, 6, 12, 9, 0), reminder_lead_minutes=60
            )
        make_event(start=ny(2026, 6, 10, 10, 0), end=ny(2026, 6, 10, 11, 0))  # over
        make_event(start=ny(2026, 6, 10, 8, 0), reminder_lead_minutes=24 * 60)  # over

    loaded = []

    def count(sender, instance, **kwargs):
        loaded.append(instance.pk)

    post_init.connect(count)
    try:
        with django_assert_num_queries(len(event_page_models())):
            found = reminders.due_events(now)
    finally:
        post_init.disconnect(count)
    assert sorted(e.pk for e in found) == sorted(e.pk for e in due)
    assert sorted(loaded) == sorted(e.pk for e in due)
    assert [e.start for e in found] == sorted(e.start for e in due)  # soonest first


def test_a_spent_budget_still_makes_progress(make_event, settings, fake_clock):
    """However short the budget, each run sends something: the sweep never stalls and
    a resend's chain of continuations ends."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 1}  # half a second to send
    settings.EMAIL_BACKEND = "tests.test_reminders.SlowBackend"
    SlowBackend.clock = fake_clock  # a second per message
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        first = make_event(start=ny(2026, 6, 10, 14, 0))
        second = make_event(start=ny(2026, 6, 10, 14, 30))
        regs = register(first, 2) + register(second, 1)
        reports = [reminders.send_due_reminders() for _ in range(4)]
    assert [r.sent for r in reports] == [1, 1, 1, 0]
    # The third stopped at its budget too; only the fourth could tell it was done.
    assert [r.out_of_time for r in reports] == [True, True, True, False]
    assert Counter(outbox_to()) == Counter({r.email: 1 for r in regs})

    mail.outbox = []
    report = reminders.resend_event_reminders(first.pk, timezone.now())
    assert (report.sent, report.out_of_time) == (1, True)  # the continuation sent the other
    assert sorted(outbox_to()) == sorted(r.email for r in regs[:2])


# -- several senders for one event (issue 13: reminders scale with workers) ---------------


def test_sweep_queues_helpers_for_a_big_event(make_event, webinar_settings, monkeypatch):
    from wagtail_webinars import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: queued.append((name, *args)))
    webinar_settings(REMINDER_BATCH_SIZE=2, REMINDER_SEND_TASKS=3)
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        big = make_event(start=ny(2026, 6, 10, 14, 0))
        small = make_event(start=ny(2026, 6, 10, 14, 0))
        regs = register(big, 10) + register(small, 2)
        report = reminders.send_due_reminders()
        # Two helpers for the event of five batches; none for the one-batch event.
        assert queued == [(jobs.SEND_EVENT_REMINDERS, big.pk)] * 2
        assert report.sent == 12
        # A helper that comes late finds everything sent: nobody gets it twice.
        assert reminders.send_event_reminders(big.pk).sent == 0
    assert sorted(outbox_to()) == sorted(r.email for r in regs)


def test_one_sender_by_default_queues_nothing(make_event, monkeypatch):
    from wagtail_webinars import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: queued.append((name, *args)))
    with time_machine.travel(ny(2026, 6, 10, 12, 30), tick=False):
        register(make_event(start=ny(2026, 6, 10, 14, 0)), 3)
        assert reminders.send_due_reminders().sent == 3
    assert queued == []


def test_helper_for_an_event_no_longer_due_sends_nothing(make_event):
    with time_machine.travel(ny(2026, 6, 10, 10, 0), tick=False):  # before the lead time
        event = make_event(start=ny(2026, 6, 10, 14, 0))
        register(event, 2)
        assert reminders.send_event_reminders(event.pk).sent == 0
        assert reminders.send_event_reminders(999_999).sent == 0
    assert mail.outbox == []


class RelayBackend(LocmemBackend):
    """A relay that takes a few real milliseconds a message, so senders overlap."""

    def send_messages(self, messages):
        import time

        time.sleep(0.005)
        return super().send_messages(messages)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel senders need PostgreSQL: row locks (FOR UPDATE SKIP LOCKED) and "
    "parallel connections; SQLite serialises every writer",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sweep_and_helpers_on_several_workers_send_each_reminder_once(
    make_event, webinar_settings, monkeypatch, settings
):
    """The sweep queues helpers; each runs on its own worker (here a thread with its
    own connection) and mail connection. Each reminder goes out once, and the
    helpers really share the work."""
    from django.db import connections

    from wagtail_webinars import jobs, tasks

    settings.EMAIL_BACKEND = "tests.test_reminders.RelayBackend"
    webinar_settings(REMINDER_BATCH_SIZE=5, REMINDER_SEND_TASKS=4)
    event = make_event(start=timezone.now() + timedelta(minutes=60))
    regs = register(event, 120)
    threads, reports, errors = [], [], []

    def worker(name, *args):
        try:
            reports.append(getattr(tasks, name.rsplit(".", 1)[1])(*args))
        except Exception as err:  # surfaced below
            errors.append(err)
        finally:
            connections.close_all()

    def enqueue(name, *args):
        thread = threading.Thread(target=worker, args=(name, *args))
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    sweep = reminders.send_due_reminders()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(threads) == 3  # three helpers beside the sweep
    assert sweep.sent + sum(r["sent"] for r in reports) == 120
    assert sorted(outbox_to()) == sorted(r.email for r in regs)  # each exactly once
    assert Registration.objects.filter(page=event, reminder_sent_for=event.start).count() == 120
    assert sum(1 for r in reports if r["sent"]) >= 1 and sweep.sent < 120
