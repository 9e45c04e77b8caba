"""Capacity and one-row-per-email hold under concurrent registrations (PostgreSQL).

Each thread has its own database connection, so the database really sees the
requests interleave. SQLite serialises writers anyway and cannot show a race.
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
    results, errors = run_at_once(attempt, THREADS)

    assert errors == [None] * THREADS
    assert Registration.objects.filter(page=event).count() == 1
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count("created") == 1
    assert outcomes.count("already_registered") == THREADS - 1
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
