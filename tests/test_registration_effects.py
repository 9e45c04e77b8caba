"""The effects of a committed registration change, run by the worker, and of deleting
one. A task that runs twice (its worker killed after the mail went out, django-q2
delivering it again) sends the confirmation once; deleting a registration never leaves
the person approved in Zoom."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import MEETING_ID, FakeZoom
from wagtail_webinars import registration_effects, tasks
from wagtail_webinars.registration import CREATED, REACTIVATED

STATUS = f"PUT /meetings/{MEETING_ID}/registrants/status"


@pytest.fixture
def zoom():
    with FakeZoom.running() as fake:
        fake.accepts_status()
        yield fake


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


def synced(event, **fields):
    return RegistrationFactory(
        page=event,
        email="ada@example.org",
        sync_status="synced",
        provider_registrant_id="reg-abc",
        provider_status="approved",
        **fields,
    )


def test_admin_delete_cancels_the_registrant_in_zoom(
    zoom, event, staff_client, django_capture_on_commit_callbacks
):
    registration = synced(event)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("wagtail_webinars_registrations:delete", args=(registration.pk,))
        )
    assert response.status_code == 302
    assert not type(registration).objects.filter(pk=registration.pk).exists()
    assert zoom.bodies("PUT", "registrants/status") == [
        {"action": "cancel", "registrants": [{"id": "reg-abc", "email": "ada@example.org"}]}
    ]


def test_wagtail_submissions_delete_cancels_too(
    zoom, event, staff_client, django_capture_on_commit_callbacks
):
    registration = synced(event)
    url = reverse("wagtailforms:delete_submissions", args=(event.pk,))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url + f"?selected-submissions={registration.pk}")
    assert not type(registration).objects.filter(pk=registration.pk).exists()
    assert len(zoom.calls_to("PUT", "registrants/status")) == 1


def test_nothing_to_cancel_when_zoom_never_had_them_or_has_them_cancelled(
    zoom, event, django_capture_on_commit_callbacks
):
    never_pushed = RegistrationFactory(page=event, sync_status="pending")
    cancelled = synced(event, status="cancelled")
    cancelled.provider_status = "cancelled"
    cancelled.save()
    with django_capture_on_commit_callbacks(execute=True):
        never_pushed.delete()
        cancelled.delete()
    assert zoom.calls_to("PUT") == []


def test_a_zoom_failure_is_logged_without_the_email(zoom, event, caplog):
    zoom.error("PUT", f"/meetings/{MEETING_ID}/registrants/status", 500, None, "Zoom is down")
    assert tasks.cancel_removed_registrant(event.pk, "reg-abc", "ada@example.org") is False
    assert "reg-abc" in caplog.text
    assert "ada@example.org" not in caplog.text


def test_deleted_event_means_nothing_to_do(zoom, db):
    assert tasks.cancel_removed_registrant(999999, "reg-abc", "ada@example.org") is False
    assert zoom.api_calls == []


def test_a_registrant_of_the_events_old_meeting_is_left_alone(zoom, event):
    assert (
        tasks.cancel_removed_registrant(event.pk, "reg-abc", "ada@example.org", "99999999999")
        is False
    )
    assert zoom.api_calls == []


def test_the_stored_meeting_travels_with_the_queued_cancel(
    zoom, event, django_capture_on_commit_callbacks
):
    registration = synced(event, provider_meeting_id=MEETING_ID)
    with django_capture_on_commit_callbacks(execute=True):
        registration.delete()
    assert len(zoom.calls_to("PUT", "registrants/status")) == 1


def test_a_repeated_created_task_sends_the_confirmation_once(make_event):
    row = RegistrationFactory(page=make_event(kind="vimeo"))
    registration_effects.run_after_change(row.pk, CREATED, False)
    registration_effects.run_after_change(row.pk, CREATED, False)
    assert len(mail.outbox) == 1


def test_a_reactivation_gets_its_own_confirmation_once(make_event):
    from django.utils import timezone

    row = RegistrationFactory(page=make_event(kind="vimeo"))
    registration_effects.run_after_change(row.pk, CREATED, False)
    # They cancelled and came back later: registered_at moves, a new confirmation is due.
    type(row).objects.filter(pk=row.pk).update(registered_at=timezone.now())
    registration_effects.run_after_change(row.pk, REACTIVATED, False)
    registration_effects.run_after_change(row.pk, REACTIVATED, False)
    assert len(mail.outbox) == 2


# -- a confirmation the mail server did not take -----------------------------------


@pytest.fixture
def mail_down(monkeypatch):
    """The mail server drops every connection until ``mail_down.recover()``."""
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)

    class Switch:
        @staticmethod
        def recover():
            monkeypatch.setattr(EmailBackend, "send_messages", original)

    return Switch


def queued_retries():
    import ast

    from django_q.models import Schedule

    return [
        (s.schedule_type, s.next_run, ast.literal_eval(s.args))
        for s in Schedule.objects.filter(func="wagtail_webinars.tasks.registration_changed")
    ]


def test_a_confirmation_the_mail_server_did_not_take_is_tried_again_later(make_event, mail_down):
    from datetime import timedelta

    from django.utils import timezone

    from wagtail_webinars.models import Registration

    row = RegistrationFactory(page=make_event(kind="vimeo"))
    before = timezone.now()
    registration_effects.run_after_change(row.pk, CREATED, False)
    row.refresh_from_db()
    assert row.confirmation_sent_at is None
    assert "SMTPServerDisconnected" in row.confirmation_error
    assert "We will try again at" in row.confirmation_error
    [(kind, next_run, args)] = queued_retries()
    assert kind == "O"  # once
    assert before + timedelta(minutes=1) <= next_run <= timezone.now() + timedelta(minutes=1)
    # The mail only: the provider sync is not run again by it.
    assert args == (row.pk, CREATED, False, 2)

    mail_down.recover()
    tasks.registration_changed(*args)
    assert len(mail.outbox) == 1
    row = Registration.objects.get(pk=row.pk)
    assert row.confirmation_sent_at is not None
    assert row.confirmation_error == ""


def test_the_provider_sync_runs_even_when_the_confirmation_failed(
    make_event, mail_down, monkeypatch
):
    synced_ids = []
    monkeypatch.setattr(registration_effects.sync, "sync_registration", synced_ids.append)
    row = RegistrationFactory(page=make_event(kind="vimeo"))
    registration_effects.run_after_change(row.pk, CREATED, True)
    assert synced_ids == [row.pk]
    assert len(queued_retries()) == 1


def test_a_confirmation_is_given_up_after_its_last_attempt(make_event, mail_down):
    row = RegistrationFactory(page=make_event(kind="vimeo"))
    last = len(registration_effects.CONFIRMATION_RETRY_MINUTES) + 1
    registration_effects.run_after_change(row.pk, CREATED, False, last)
    row.refresh_from_db()
    assert queued_retries() == []
    assert "SMTPServerDisconnected" in row.confirmation_error
    assert "not tried again" in row.confirmation_error


def test_a_throttled_resend_is_not_retried(make_event, mail_down):
    # "Already registered" mails are claimed before they are sent (one per quiet
    # period): the person has the first confirmation; nothing is queued again.
    from wagtail_webinars.registration import ALREADY_REGISTERED

    row = RegistrationFactory(page=make_event(kind="vimeo"))
    with pytest.raises(Exception, match="Connection unexpectedly closed"):
        registration_effects.run_after_change(row.pk, ALREADY_REGISTERED, False)
    assert queued_retries() == []
