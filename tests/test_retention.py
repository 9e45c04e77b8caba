"""Data retention: registrations of past events are anonymised or deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_q.models import Task

from tests.factories import RegistrationFactory
from wagtail_webinars import jobs, retention
from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_event):
    now = timezone.now()
    return {
        "old": make_event(kind="zoom_meeting", start=now - timedelta(days=400)),
        "recent": make_event(kind="vimeo", start=now - timedelta(days=10)),
    }


@pytest.fixture
def rows(events):
    old = RegistrationFactory(
        page=events["old"],
        email="ada@example.org",
        first_name="Ada",
        last_name="Lovelace",
        form_data={"email": "ada@example.org", "diet": "vegan"},
        provider_registrant_id="reg-1",
        provider_status="approved",
        provider_join_url="https://zoom.us/w/1?tk=secret",
        checked_in_at=timezone.now() - timedelta(days=399),
    )
    recent = RegistrationFactory(page=events["recent"], email="bob@example.org")
    return old, recent


def task_result(name, days_ago, group=jobs.TASK_GROUP):
    now = timezone.now() - timedelta(days=days_ago)
    return Task.objects.create(
        id=f"{name}{days_ago}",
        name=f"{name}{days_ago}",
        func=jobs.CANCEL_REMOVED_REGISTRANT,
        args=(1, "reg-1", "ada@example.org"),
        started=now,
        stopped=now,
        success=True,
        group=group,
    )


def test_dry_run_counts_and_changes_nothing(rows):
    task_result("old", 400)
    report = retention.apply_retention(older_than_days=365, dry_run=True)
    assert (report.events, report.registrations, report.task_results) == (1, 1, 1)
    assert Registration.objects.get(pk=rows[0].pk).email == "ada@example.org"
    assert Task.objects.count() == 1


def test_anonymise_keeps_counts_and_check_ins_and_drops_what_names_a_person(
    rows, django_capture_on_commit_callbacks
):
    old, recent = rows
    task_result("old", 400)
    kept = task_result("new", 3)
    other_app = task_result("other", 400, group="someone-else")
    # A mail server's refusal can quote the address.
    refused = "SMTPRecipientsRefused: {'ada@example.org': (550, b'No such user')}"
    Registration.objects.filter(pk=old.pk).update(
        sync_error=refused, reminder_error=refused, confirmation_error=refused
    )
    with django_capture_on_commit_callbacks() as callbacks:
        report = retention.apply_retention(older_than_days=365, mode="anonymise")
    assert (report.registrations, report.task_results) == (1, 1)
    row = Registration.objects.get(pk=old.pk)
    assert row.email == f"removed-{old.pk}@anonymised.invalid"
    assert (row.first_name, row.last_name, row.form_data) == ("", "", {})
    assert row.provider_join_url == "" and row.provider_registrant_id == ""
    assert (row.sync_error, row.reminder_error, row.confirmation_error) == ("", "", "")
    assert row.checked_in_at is not None and row.status == old.status
    assert Registration.objects.get(pk=recent.pk).email == "bob@example.org"
    assert set(Task.objects.values_list("pk", flat=True)) == {kept.pk, other_app.pk}
    assert callbacks == []  # nothing queued for Zoom
    # Running again finds nothing left to do.
    assert retention.apply_retention(older_than_days=365).registrations == 0


def test_delete_mode_deletes_without_calling_zoom(rows, django_capture_on_commit_callbacks):
    old, recent = rows
    with django_capture_on_commit_callbacks() as callbacks:
        report = retention.apply_retention(older_than_days=365, mode="delete")
    assert report.registrations == 1
    assert not Registration.objects.filter(pk=old.pk).exists()
    assert Registration.objects.filter(pk=recent.pk).exists()
    assert callbacks == []


def test_age_from_settings(rows, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "RETENTION_DAYS": 5}
    assert retention.apply_retention(dry_run=True).registrations == 2


def test_without_an_age_it_refuses(rows):
    with pytest.raises(ImproperlyConfigured):
        retention.apply_retention()


def test_daily_schedule_only_while_an_age_is_set(settings):
    from django_q.models import Schedule

    from wagtail_webinars import schedules

    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "RETENTION_DAYS": 365}
    schedules.ensure_schedules()
    schedule = Schedule.objects.get(name=schedules.RETENTION_SCHEDULE)
    assert (schedule.func, schedule.minutes) == (jobs.APPLY_RETENTION, 24 * 60)
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "RETENTION_DAYS": None}
    schedules.ensure_schedules()
    assert not Schedule.objects.filter(name=schedules.RETENTION_SCHEDULE).exists()


def test_the_task_runs_it(rows, settings):
    from wagtail_webinars import tasks

    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "RETENTION_DAYS": 365}
    assert tasks.apply_retention() == {"registrations": 1, "task_results": 0}


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_unmatched_participants_of_old_events_lose_their_names(events, mode):
    from wagtail_webinars.models import UnmatchedParticipant

    old = UnmatchedParticipant.objects.create(
        page=events["old"],
        key="email:walkin@example.org",
        name="Walk In",
        email="walkin@example.org",
        registrant_id="zr1",
        minutes=40,
    )
    recent = UnmatchedParticipant.objects.create(
        page=events["recent"], key="name:guest", name="Guest", minutes=5
    )
    retention.apply_retention(older_than_days=365, mode=mode)
    left = UnmatchedParticipant.objects.filter(pk=old.pk).first()
    if mode == "delete":
        assert left is None
    else:
        assert (left.name, left.email, left.registrant_id) == ("", "", "")
        assert "walkin" not in left.key and left.minutes == 40
    assert UnmatchedParticipant.objects.get(pk=recent.pk).name == "Guest"


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_waiting_cancels_of_old_events_deleted_registrations_go(events, mode):
    from wagtail_webinars.models import RemovedRegistrant

    old = RemovedRegistrant.objects.create(
        event_id=events["old"].pk, registrant_id="zr1", email="gone@example.org", given_up=True
    )
    recent = RemovedRegistrant.objects.create(
        event_id=events["recent"].pk, registrant_id="zr2", email="later@example.org"
    )
    retention.apply_retention(older_than_days=365, mode=mode)
    assert not RemovedRegistrant.objects.filter(pk=old.pk).exists()
    assert RemovedRegistrant.objects.filter(pk=recent.pk).exists()


def test_people_registered_at_the_provider_directly_go_with_old_events(events):
    from wagtail_webinars.models import ProviderRegistrant

    for key in ("old", "recent"):
        ProviderRegistrant.objects.create(
            page=events[key], registrant_id=f"zr-{key}", email=f"{key}@example.org"
        )
    retention.apply_retention(older_than_days=365)
    assert list(ProviderRegistrant.objects.values_list("registrant_id", flat=True)) == ["zr-recent"]
