"""Races on PostgreSQL: capacity and one row per email under concurrent registrations,
a cancel racing the push to Zoom, a participant pull racing staff's check-ins.

Each thread has its own database connection, so the database really sees the
requests interleave. SQLite serialises writers anyway and cannot show a race.
(Concurrent reminder sweeps: tests/test_reminders.py.)
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from wagtail_webinars import registration as service
from wagtail_webinars.models import EventPage, Registration

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so no race can happen there",
    ),
]

THREADS = 20
#: One email submitted this many times at once.
DUPLICATES = 50


def run_at_once(target, n):
    """Run ``target(i)`` in ``n`` threads released together; return results and errors."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, [None] * n

    def worker(i):
        try:
            event = EventPage.objects.get(pk=target.event_pk)  # this thread's connection
            barrier.wait(timeout=30)
            results[i] = target(event, i)
        except Exception as err:  # collected here, asserted on by the test
            errors[i] = err
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a registration hung"
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_capacity_n_with_3n_at_once_gives_exactly_n(make_event):
    capacity = 10
    event = make_event(kind="vimeo", capacity=capacity)

    def attempt(event, i):
        return service.register(event, email=f"p{i}@example.org", first_name="P", last_name="L")

    attempt.event_pk = event.pk
    results, errors = run_at_once(attempt, 3 * capacity)
    assert sum(r is not None for r in results) == capacity
    assert all(e is None or isinstance(e, service.RegistrationRefused) for e in errors), errors
    assert Registration.objects.filter(page=event, status="registered").count() == capacity


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_capacity_is_never_oversold(make_event):
    event = make_event(kind="vimeo", capacity=5)

    def attempt(event, i):
        return service.register(
            event, email=f"person{i}@example.org", first_name="P", last_name=str(i)
        )

    attempt.event_pk = event.pk
    results, errors = run_at_once(attempt, THREADS)

    created = [r for r in results if r is not None]
    refused = [e for e in errors if e is not None]
    assert len(created) == 5
    assert all(r.created for r in created)
    assert len(refused) == THREADS - 5
    assert all(isinstance(e, service.RegistrationRefused) for e in refused), refused
    assert {e.code for e in refused} == {"full"}
    assert Registration.objects.filter(page=event, status="registered").count() == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_make_one_row(make_event):
    event = make_event(kind="vimeo")

    def attempt(event, i):
        # Same person, spelled differently, pressing the button many times at once.
        email = "Ada@Example.org" if i % 2 else " ada@example.ORG"
        return service.register(event, email=email, first_name="Ada", last_name="L")

    attempt.event_pk = event.pk
    results, errors = run_at_once(attempt, DUPLICATES)

    assert errors == [None] * DUPLICATES
    assert Registration.objects.filter(page=event).count() == 1
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count("created") == 1
    assert outcomes.count("already_registered") == DUPLICATES - 1
    assert len({r.registration.pk for r in results}) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_reactivation_respects_capacity(make_event):
    event = make_event(kind="vimeo", capacity=3)
    people = [
        service.register(event, email=f"p{i}@example.org", first_name="P", last_name=str(i))
        for i in range(3)
    ]
    for result in people:
        service.cancel(result.registration)

    def attempt(event, i):
        # The three who cancelled come back while newcomers try to take their places.
        email = f"p{i}@example.org" if i < 3 else f"new{i}@example.org"
        return service.register(event, email=email, first_name="P", last_name=str(i))

    attempt.event_pk = event.pk
    results, errors = run_at_once(attempt, 12)

    assert all(e is None or isinstance(e, service.RegistrationRefused) for e in errors), errors
    assert Registration.objects.filter(page=event, status="registered").count() == 3
    assert sum(r is not None for r in results) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cancel_racing_the_push_ends_cancelled_in_zoom(make_event, zoom):
    from tests.factories import RegistrationFactory
    from tests.providers.zoom_fixtures import MEETING_ID, KeptRegistrants
    from wagtail_webinars import sync

    kept = KeptRegistrants(zoom)
    event = make_event(kind="zoom_meeting")
    row = RegistrationFactory(page=event, email="ada@example.org", sync_status="pending")
    adding, cancelled = threading.Event(), threading.Event()

    def slow_add(request):
        adding.set()
        # Zoom takes its time; the person cancels meanwhile.
        assert cancelled.wait(timeout=20)
        return kept._add(request)

    zoom.callback("POST", f"/meetings/{MEETING_ID}/registrants", slow_add)
    errors = []

    def push():
        try:
            sync.sync_registration(row.pk)
        except Exception as err:  # asserted below
            errors.append(err)
        finally:
            connections.close_all()

    def cancel():
        try:
            assert adding.wait(timeout=20)
            # Commits; its after-commit sync finds the push at work and leaves it to it.
            service.cancel(Registration.objects.get(pk=row.pk))
        except Exception as err:
            errors.append(err)
        finally:
            cancelled.set()
            connections.close_all()

    threads = [threading.Thread(target=push), threading.Thread(target=cancel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    row.refresh_from_db()
    assert row.status == "cancelled"
    assert kept.status_of("ada@example.org") == "denied"
    assert row.provider_status == "cancelled"
    assert row.sync_status == Registration.SyncStatus.SYNCED
    assert kept.adds == {"ada@example.org": 1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pull_racing_staff_check_ins_keeps_what_staff_did(make_event, zoom):
    from datetime import UTC, timedelta

    from django.utils import timezone

    from tests.factories import RegistrationFactory
    from tests.providers.zoom_fixtures import participant_payload
    from wagtail_webinars import checkin

    start = timezone.now() - timedelta(hours=3)
    event = make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))
    rows = [
        RegistrationFactory(
            page=event,
            email=f"p{i}@example.org",
            provider_registrant_id=f"zr{i}",
            provider_status="approved",
            sync_status="synced",
        )
        for i in range(20)
    ]
    # Zoom's report says all twenty attended; staff say the first ten did not.
    report = [participant_payload(i, registrant_id=f"zr{i}") for i in range(20)]
    zoom.serves_instances(
        {"inst-1": [report]},
        start_times={"inst-1": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    fetched = threading.Event()
    from wagtail_webinars.providers.zoom import reports

    fetch = reports.instance_report

    def signalling(provider, uuid):
        yield from fetch(provider, uuid)
        fetched.set()  # the pull now matches and writes, while staff act

    reports.instance_report = signalling
    errors = []

    def pull():
        try:
            checkin.start_check_in(event, run_now=True)
        except Exception as err:
            errors.append(err)
        finally:
            fetched.set()
            connections.close_all()

    def staff(i):
        try:
            assert fetched.wait(timeout=20)
            checkin.undo_check_in(Registration.objects.get(pk=rows[i].pk))
        except Exception as err:
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pull)] + [
        threading.Thread(target=staff, args=(i,)) for i in range(10)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        reports.instance_report = fetch
    assert not errors, errors
    after = {r.email: r for r in Registration.objects.filter(page=event)}
    for i in range(20):
        row = after[f"p{i}@example.org"]
        if i < 10:
            assert row.checked_in_at is None and row.checkin_by_staff, i
        else:
            assert row.checked_in_at is not None and not row.checkin_by_staff, i
