"""Staff resend the reminder: to one registration, and to everyone registered for an event."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from tests.factories import RegistrationFactory, page_permission
from wagtail_webinars import mail_batches, reminders
from wagtail_webinars.models import Registration

NY = zoneinfo.ZoneInfo("America/New_York")
START = datetime(2026, 6, 10, 14, 0, tzinfo=NY)
NOW = datetime(2026, 6, 9, 10, 0, tzinfo=NY)  # the day before: no reminder due yet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting_link", title="Coffee chat", start=START)


def inspect_url(registration):
    return reverse("wagtail_webinars_registrations:inspect", args=(registration.pk,))


def action_url(registration, action="resend_reminder"):
    return reverse("wagtail_webinars_registrations:action", args=(registration.pk, action))


def resend_all_url(event):
    return reverse("wagtail_webinars_events:resend_reminders", args=(event.pk,))


def messages_of(response) -> list[str]:
    return [str(m).split("<", 1)[0].strip() for m in response.context["messages"]]


def assert_refused(response):
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def row(registration):
    return Registration.objects.get(pk=registration.pk)


@pytest.fixture
def limited_client(client, django_user_model):
    """Admin access and permission to *view* registrations, not to change them."""

    def make(*codenames):
        user = django_user_model.objects.create_user("editor", "editor@example.edu", "pw")
        group = Group.objects.create(name="Event editors")
        group.permissions.add(
            Permission.objects.get(codename="access_admin"),
            *Permission.objects.filter(codename__in=codenames),
        )
        user.groups.add(group)
        client.force_login(user)
        return client

    return make


# -- one registration ------------------------------------------------------------------------


def test_inspect_offers_resend_for_active_registrations_only(staff_client, event):
    active = RegistrationFactory(page=event)
    cancelled = RegistrationFactory(page=event, status="cancelled")
    assert action_url(active) in staff_client.get(inspect_url(active)).content.decode()
    assert action_url(cancelled) not in staff_client.get(inspect_url(cancelled)).content.decode()


def test_resend_one_is_queued_sent_and_recorded(
    staff_client, event, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(page=event, email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(action_url(registration))
    assert response.status_code == 302
    followed = staff_client.get(response["Location"])
    assert messages_of(followed) == ["The reminder is on its way to ada@example.org again."]

    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject.startswith("Reminder: Coffee chat, Wednesday 10 June 2026, 14:00 EDT")
    saved = row(registration)
    assert saved.reminder_resend_count == 1
    assert saved.reminder_resent_at == NOW
    # The sweep's bookkeeping is untouched: the scheduled reminder still goes out.
    assert saved.reminder_sent_for is None
    assert saved.reminder_claimed_at is None
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert reminders.send_due_reminders().sent == 1
    assert len(mail.outbox) == 2


def test_resend_after_the_sweep_leaves_the_sweep_record_alone(
    staff_client, event, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(page=event)
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert reminders.send_due_reminders().sent == 1
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(action_url(registration))
        assert reminders.send_due_reminders().sent == 0
    saved = row(registration)
    assert len(mail.outbox) == 2
    assert saved.reminder_sent_for == START
    assert saved.reminder_sent_at == START - timedelta(hours=1)
    assert saved.reminder_resend_count == 1


def test_resend_task_run_twice_sends_once(event):
    registration = RegistrationFactory(page=event)
    requested_at = NOW - timedelta(seconds=1)
    assert reminders.resend_reminder(registration.pk, requested_at).sent == 1
    assert reminders.resend_reminder(registration.pk, requested_at).sent == 0  # a retry
    assert len(mail.outbox) == 1
    assert row(registration).reminder_resend_count == 1
    # A later request is a new resend.
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert reminders.resend_reminder(registration.pk, NOW + timedelta(minutes=5)).sent == 1
    assert row(registration).reminder_resend_count == 2


def test_resend_to_cancelled_or_missing_registration_sends_nothing(event):
    cancelled = RegistrationFactory(page=event, status="cancelled")
    assert reminders.resend_reminder(cancelled.pk, NOW).sent == 0
    assert reminders.resend_reminder(999_999, NOW).sent == 0
    assert mail.outbox == []


def test_failed_resend_is_recorded_and_not_counted(event, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    registration = RegistrationFactory(page=event, email="bounce@example.org")
    report = reminders.resend_reminder(registration.pk, NOW)
    assert (report.sent, report.failed) == (0, 1)
    saved = row(registration)
    assert saved.reminder_resend_count == 0
    assert saved.reminder_resent_at is None
    assert "421 try again later" in saved.reminder_error


def test_resend_action_needs_change_permission(limited_client, event):
    client = limited_client("view_registration")
    registration = RegistrationFactory(page=event)
    assert_refused(client.post(action_url(registration)))
    assert row(registration).reminder_resend_count == 0
    assert mail.outbox == []


# -- everyone registered for an event ---------------------------------------------------------


def test_confirmation_page_shows_the_count(staff_client, event):
    RegistrationFactory.create_batch(3, page=event)
    RegistrationFactory(page=event, status="cancelled")
    response = staff_client.get(resend_all_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert "again to all 3 people registered now?" in html
    assert "Coffee chat" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert mail.outbox == []  # a GET only asks


def test_resend_all_sends_to_active_registrants_in_batches(
    staff_client, event, settings, django_capture_on_commit_callbacks
):
    from tests.test_reminders import RefusingBackend

    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "REMINDER_BATCH_SIZE": 4}
    RefusingBackend.opened = 0
    active = RegistrationFactory.create_batch(10, page=event)
    RegistrationFactory(page=event, status="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(resend_all_url(event))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=(event.pk,))
    followed = staff_client.get(response["Location"])
    assert "The reminder for “Coffee chat” is being sent again to 10 registrants." in messages_of(
        followed
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in active)
    assert RefusingBackend.opened == 3  # 4 + 4 + 2, one connection each
    rows = Registration.objects.filter(page=event, status="registered")
    assert set(rows.values_list("reminder_resend_count", flat=True)) == {1}
    assert not rows.filter(reminder_sent_for__isnull=False).exists()


def test_resend_all_task_queries_are_bounded(event, settings, django_assert_max_num_queries):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "REMINDER_BATCH_SIZE": 50}
    RegistrationFactory.create_batch(200, page=event)
    with django_assert_max_num_queries(6 * 4 + 12):
        report = reminders.resend_event_reminders(event.pk, NOW)
    assert report.sent == 200


def test_resend_all_failures_roll_back_only_the_failed(event, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingBackend"
    ok = RegistrationFactory(
        page=event, reminder_resend_count=2, reminder_resent_at=NOW - timedelta(days=1)
    )
    bounce = RegistrationFactory(
        page=event,
        email="bounce@example.org",
        reminder_resend_count=2,
        reminder_resent_at=NOW - timedelta(days=1),
    )
    report = reminders.resend_event_reminders(event.pk, NOW)
    assert (report.sent, report.failed) == (1, 1)
    assert (row(ok).reminder_resend_count, row(ok).reminder_resent_at) == (3, NOW)
    saved = row(bounce)
    assert (saved.reminder_resend_count, saved.reminder_resent_at) == (2, NOW - timedelta(days=1))
    assert "421" in saved.reminder_error


def test_resend_all_with_nobody_registered(staff_client, event):
    response = staff_client.get(resend_all_url(event))
    assert "there is no one to remind" in response.content.decode()
    response = staff_client.post(resend_all_url(event))
    assert messages_of(staff_client.get(response["Location"])) == [
        "Nobody is registered for this event, so nothing was sent."
    ]


def test_resend_all_needs_change_permission(limited_client, event):
    client = limited_client("view_registration")
    RegistrationFactory(page=event)
    assert_refused(client.get(resend_all_url(event)))
    assert_refused(client.post(resend_all_url(event)))
    assert mail.outbox == []


def test_resend_all_allowed_with_change_permission(
    limited_client, event, django_capture_on_commit_callbacks
):
    from wagtail.models import GroupPagePermission

    client = limited_client("view_registration", "change_registration")
    # The registration permission counts on the events whose page they may edit.
    GroupPagePermission.objects.create(
        group=Group.objects.get(name="Event editors"),
        page=event,
        permission=page_permission("change"),
    )
    RegistrationFactory(page=event)
    assert client.get(resend_all_url(event)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(resend_all_url(event)).status_code == 302
    assert len(mail.outbox) == 1


def test_resend_all_for_a_page_that_is_not_an_event(staff_client, event):
    response = staff_client.get(
        reverse("wagtail_webinars_events:resend_reminders", args=(event.get_parent().pk,))
    )
    assert response.status_code == 404


def test_next_url_must_be_on_this_site(staff_client, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(resend_all_url(event), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=(event.pk,))
    explore = reverse("wagtailadmin_explore", args=(event.get_parent().pk,))
    response = staff_client.post(resend_all_url(event), {"next": explore})
    assert response["Location"] == explore


def test_event_edit_view_has_the_resend_button(staff_client, event):
    html = staff_client.get(reverse("wagtailadmin_pages:edit", args=(event.pk,))).content.decode()
    assert resend_all_url(event) in html
    assert "Resend reminder to all" in html


def test_listing_has_the_resend_button_for_events_only(staff_client, event):
    index = event.get_parent()
    html = staff_client.get(reverse("wagtailadmin_explore", args=(index.pk,))).content.decode()
    assert resend_all_url(event) in html
    assert reverse("wagtail_webinars_events:resend_reminders", args=(index.pk,)) not in html


def test_no_button_without_permission(limited_client, event):
    from wagtail.models import GroupPagePermission

    client = limited_client("view_registration")
    index = event.get_parent()
    GroupPagePermission.objects.create(
        group=Group.objects.get(name="Event editors"),
        page=index,
        permission=page_permission("change"),
    )
    listing = client.get(reverse("wagtailadmin_explore", args=(index.pk,))).content.decode()
    edit = client.get(reverse("wagtailadmin_pages:edit", args=(event.pk,))).content.decode()
    # The editor sees and edits the event, but may not mail its registrants.
    assert reverse("wagtailadmin_pages:edit", args=(event.pk,)) in listing
    assert "Coffee chat" in edit
    assert resend_all_url(event) not in listing
    assert resend_all_url(event) not in edit


# -- a host project's own event pages ------------------------------------------------------------


@pytest.fixture(params=["CampusEventPage", "SeminarPage"])
def host_event(request, event_index):
    from tests.host_site import models
    from tests.host_site.factories import make_host_event

    return make_host_event(
        getattr(models, request.param), event_index, start=START, title="Host seminar"
    )


def test_resend_all_for_a_host_project_event_page(
    staff_client, host_event, django_capture_on_commit_callbacks
):
    active = RegistrationFactory.create_batch(2, page=host_event)
    response = staff_client.get(resend_all_url(host_event))
    assert response.status_code == 200
    assert "again to all 2 people registered now?" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(resend_all_url(host_event))
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in active)
    assert all(m.subject.startswith("Reminder: Host seminar, ") for m in mail.outbox)


def test_host_project_event_pages_have_the_resend_buttons(staff_client, host_event):
    edit = staff_client.get(reverse("wagtailadmin_pages:edit", args=(host_event.pk,)))
    assert resend_all_url(host_event) in edit.content.decode()
    index = host_event.get_parent()
    listing = staff_client.get(reverse("wagtailadmin_explore", args=(index.pk,)))
    assert resend_all_url(host_event) in listing.content.decode()


def test_resend_all_for_a_missing_page(staff_client, db):
    assert staff_client.get(resend_all_url_for(999_999)).status_code == 404
    assert staff_client.post(resend_all_url_for(999_999)).status_code == 404


def resend_all_url_for(page_id):
    return reverse("wagtail_webinars_events:resend_reminders", args=(page_id,))


# -- long resends: the task timeout --------------------------------------------------------------


def test_resend_all_out_of_time_continues_in_a_new_task(event, settings, monkeypatch):
    from tests.test_reminders import FakeClock, SlowBackend

    clock = FakeClock()
    monkeypatch.setattr(mail_batches, "_clock", clock)
    settings.EMAIL_BACKEND = "tests.test_reminders.SlowBackend"
    SlowBackend.clock = clock  # a second per message; a task sends for 30 s
    active = RegistrationFactory.create_batch(70, page=event)
    # The test settings run queued tasks at once (Q_CLUSTER sync), so the
    # continuations run inside this call.
    report = reminders.resend_event_reminders(event.pk, NOW)
    assert (report.sent, report.out_of_time) == (30, True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in active)
    rows = Registration.objects.filter(page=event)
    assert set(rows.values_list("reminder_resend_count", flat=True)) == {1}
    assert not rows.filter(reminder_resent_at__isnull=True).exists()


@pytest.fixture
def dying_mail(settings):
    """The worker is stopped (django-q2's timeout: a SystemExit) after ``die_after`` sends."""
    from tests.test_reminders import DyingBackend

    settings.EMAIL_BACKEND = "tests.test_reminders.DyingBackend"
    DyingBackend.handed_over = 0
    DyingBackend.kill = SystemExit("worker killed")
    yield DyingBackend
    DyingBackend.die_after = None


def test_resend_all_stopped_mid_batch_gives_back_what_it_did_not_send(event, dying_mail):
    regs = RegistrationFactory.create_batch(10, page=event)
    dying_mail.die_after = 3
    with pytest.raises(SystemExit):
        reminders.resend_event_reminders(event.pk, NOW)
    rows = Registration.objects.filter(page=event)
    sent_to = {m.to[0] for m in mail.outbox}
    assert len(sent_to) == 3
    assert set(rows.filter(email__in=sent_to).values_list("reminder_resend_count", flat=True)) == {
        1
    }
    # Not resent, so not counted: running the task again sends to them.
    rest = rows.exclude(email__in=sent_to)
    assert set(rest.values_list("reminder_resend_count", "reminder_resent_at")) == {(0, None)}
    dying_mail.die_after = None
    assert reminders.resend_event_reminders(event.pk, NOW).sent == 7
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in regs)
