"""Sync, the cancel of a deleted registration's registrant: durable, retried by the sweeper
within Zoom's limits, settled by reading Zoom after a lost answer, and never cancelling a
registrant that a live registration holds again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.providers.zoom_fixtures import MEETING_ID, KeptRegistrants
from tests.sync.helpers import STATUS, Sync, register, synced_row
from wagtail_webinars import jobs, sync
from wagtail_webinars.models import Registration, RemovedRegistrant
from wagtail_webinars.sync import guards

GET_PREFIX = f"GET /meetings/{MEETING_ID}/registrants/"


@pytest.fixture
def kept(zoom):
    return KeptRegistrants(zoom)


def delete(row, commit):
    with commit():
        Registration.objects.get(pk=row.pk).delete()


def sweep_later(commit, seconds=4000):
    """The sync sweep run once the retry time of everything waiting has come."""
    RemovedRegistrant.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    with commit():
        sync.sync_sweep()


def test_a_failed_cancel_is_kept_and_retried_by_the_sweep(kept, event, commit):
    ada = register(event, commit)
    assert kept.status_of(ada.email) == "approved"
    kept.faults = [("status", "500")]
    delete(ada, commit)

    waiting = RemovedRegistrant.objects.get()
    assert waiting.registrant_id == ada.provider_registrant_id
    assert waiting.attempts == 1
    assert waiting.retry_at > timezone.now()
    assert "try again" in waiting.error
    assert kept.status_of(ada.email) == "approved"

    sweep_later(commit)
    assert kept.status_of(ada.email) == "denied"
    assert not RemovedRegistrant.objects.exists()


def test_the_queued_task_carries_a_key_not_the_email(kept, event, commit, monkeypatch):
    ada = register(event, commit)
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: queued.append((func, args)))
    delete(ada, commit)
    (task,) = queued
    waiting = RemovedRegistrant.objects.get()
    assert task == (jobs.CANCEL_DELETED_REGISTRANT, (waiting.pk,))


def test_a_lost_answer_is_settled_by_reading_zoom_not_by_cancelling_again(kept, event, commit):
    ada = register(event, commit)
    kept.faults = [("status", "lost")]
    delete(ada, commit)
    assert kept.status_of(ada.email) == "denied"  # it landed; the answer did not
    waiting = RemovedRegistrant.objects.get()
    assert waiting.uncertain

    updates = kept.status_updates[ada.email]
    before = len(kept.fake.api_calls)
    sweep_later(commit)
    calls = kept.fake.describe()[before:]
    assert calls == [GET_PREFIX + ada.provider_registrant_id]
    assert kept.status_updates[ada.email] == updates
    assert not RemovedRegistrant.objects.exists()


def test_a_lost_answer_that_did_not_land_is_cancelled_after_the_read(kept, event, commit):
    ada = register(event, commit)
    kept.faults = [("status", "reset")]
    delete(ada, commit)
    waiting = RemovedRegistrant.objects.get()
    # A reset before Zoom answered: it may have landed, so it is read first.
    assert waiting.uncertain
    before = len(kept.fake.api_calls)
    sweep_later(commit)
    assert kept.fake.describe()[before:] == [GET_PREFIX + ada.provider_registrant_id, STATUS]
    assert kept.status_of(ada.email) == "denied"
    assert not RemovedRegistrant.objects.exists()


def test_429_waits_for_retry_after(zoom, kept, event, commit):
    ada = register(event, commit)
    zoom.error(
        "PUT",
        f"/meetings/{MEETING_ID}/registrants/status",
        429,
        429,
        "Too many requests",
        headers={"Retry-After": "600"},
    )
    delete(ada, commit)
    waiting = RemovedRegistrant.objects.get()
    assert waiting.retry_at >= timezone.now() + timedelta(seconds=595)
    assert not waiting.uncertain  # a 429 means Zoom did nothing
    # Not due yet: the sweep leaves it alone.
    calls = len(zoom.api_calls)
    with commit():
        sync.sync_sweep()
    assert len(zoom.api_calls) == calls


def test_status_changes_used_up_waits_for_utc_midnight(kept, event, commit, monkeypatch):
    ada = register(event, commit)
    monkeypatch.setattr(guards, "STATUS_CHANGES_PER_DAY", 0)
    delete(ada, commit)
    waiting = RemovedRegistrant.objects.get()
    assert kept.status_of(ada.email) == "approved"
    assert not [c for c in kept.fake.describe() if c == STATUS]
    left = guards.seconds_to_utc_midnight()
    assert waiting.retry_at >= timezone.now() + timedelta(seconds=left - 5)


def test_gives_up_after_the_attempts_and_keeps_the_reason(kept, event, commit, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "SYNC_MAX_ATTEMPTS": 2}
    ada = register(event, commit)
    kept.faults = [("status", "500"), ("status", "500")]
    delete(ada, commit)
    sweep_later(commit)
    waiting = RemovedRegistrant.objects.get()
    assert waiting.attempts == 2
    assert waiting.given_up and waiting.retry_at is None
    assert waiting.error.startswith("Gave up after 2 attempts.")
    # A given-up cancel is not swept again.
    calls = len(kept.fake.api_calls)
    sweep_later(commit)
    assert len(kept.fake.api_calls) == calls


def test_a_registrant_held_again_by_a_live_registration_is_not_cancelled(kept, event, commit):
    ada = register(event, commit)
    registrant = ada.provider_registrant_id
    kept.faults = [("status", "500")]
    delete(ada, commit)
    # They register again before the retry: Zoom answers the add with the same registrant.
    again = register(event, commit)
    assert again.provider_registrant_id == registrant
    assert again.sync_status == Sync.SYNCED
    sweep_later(commit)
    assert kept.status_of(again.email) == "approved"
    assert not RemovedRegistrant.objects.exists()


def test_a_cancel_that_lands_after_the_registrant_was_taken_again_is_repaired(kept, event, commit):
    ada = register(event, commit)
    registrant = ada.provider_registrant_id
    kept.faults = [("status", "500")]
    delete(ada, commit)
    taken = []

    def status_call(request):
        # While the retried cancel is on its way, the person registers again and their
        # new registration is given the same registrant by Zoom.
        if not taken:
            join_url = kept.join_url(registrant)
            taken.append(synced_row(event, registrant, email=ada.email, provider_join_url=join_url))
        return kept._status(request)

    kept.fake.callback("PUT", f"/meetings/{MEETING_ID}/registrants/status", status_call)
    sweep_later(commit)
    (again,) = taken
    again.refresh_from_db()
    # The cancel landed after the holder check; the holder is re-synced and approved.
    assert kept.status_of(ada.email) == "approved"
    assert again.sync_status == Sync.SYNCED
    assert again.provider_status == "approved"
    assert not RemovedRegistrant.objects.exists()


def test_deleted_event_drops_the_cancel(kept, event, commit):
    ada = register(event, commit)
    kept.faults = [("status", "500")]
    delete(ada, commit)
    assert RemovedRegistrant.objects.count() == 1
    RemovedRegistrant.objects.update(event_id=999999)
    sweep_later(commit)
    assert not RemovedRegistrant.objects.exists()


def test_tasks_queued_before_the_upgrade_still_cancel(kept, event, commit):
    from wagtail_webinars import tasks

    ada = register(event, commit)
    Registration.objects.filter(pk=ada.pk).update(provider_status="cancelled")  # no signal
    Registration.objects.filter(pk=ada.pk).delete()
    with commit():
        tasks.cancel_removed_registrant(event.pk, ada.provider_registrant_id, ada.email, "")
    assert kept.status_of(ada.email) == "denied"
    assert not RemovedRegistrant.objects.exists()


def test_staff_see_the_waiting_cancel_and_its_reason_on_the_events_zoom_page(
    kept, event, commit, staff_client
):
    from django.urls import reverse

    from wagtail_webinars.admin.events import ZOOM_URL_NAME

    ada = register(event, commit)
    kept.faults = [("status", "500")]
    delete(ada, commit)
    html = staff_client.get(reverse(ZOOM_URL_NAME, args=[event.pk])).content.decode()
    assert "1 deleted registration is still to be cancelled in Zoom" in html
    assert "We will try again automatically." in html
    assert ada.email not in html


def test_deleted_after_an_add_whose_answer_was_lost_is_looked_up_and_cancelled(kept, event, commit):
    kept.faults = [("add", "lost")]
    ada = register(event, commit)
    assert ada.sync_add_uncertain and not ada.provider_registrant_id
    assert kept.status_of(ada.email) == "approved"  # it landed; we never saw the answer
    delete(ada, commit)
    assert kept.status_of(ada.email) == "denied"
    assert not RemovedRegistrant.objects.exists()


def test_deleted_after_an_add_that_never_landed_cancels_nothing(kept, event, commit):
    kept.faults = [("add", "reset")]
    ada = register(event, commit)
    assert ada.sync_add_uncertain
    delete(ada, commit)
    assert kept.status_of(ada.email) == ""
    assert STATUS not in kept.fake.describe()
    assert not RemovedRegistrant.objects.exists()


def test_deleted_while_its_sync_runs_waits_for_that_sync(kept, event, commit):
    ada = register(event, commit)
    token = guards.lock(ada.pk)  # its sync is at work (in another worker)
    delete(ada, commit)
    waiting = RemovedRegistrant.objects.get()
    assert kept.status_of(ada.email) == "approved"
    assert waiting.retry_at is not None
    guards.unlock(ada.pk, token)
    sweep_later(commit)
    assert kept.status_of(ada.email) == "denied"
    assert not RemovedRegistrant.objects.exists()


def test_a_sync_of_a_deleted_registration_ends_quietly(kept, event, commit):
    ada = register(event, commit)
    Registration.objects.filter(pk=ada.pk).delete()
    assert sync.sync_registration(ada.pk) == "missing"
