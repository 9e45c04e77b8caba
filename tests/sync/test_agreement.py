"""Zoom agrees with us after any sequence of register / cancel / delete / re-register and
Zoom faults (lost answers, 500s, resets, 429s): for every registration, Zoom has it
approved with the personal link we store, or cancelled; no email is added more than 3
times, nor has its status changed more than 10 times, in a day."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from tests.providers.zoom_fixtures import KeptRegistrants
from tests.sync.helpers import Sync
from wagtail_webinars import registration as service
from wagtail_webinars import sync
from wagtail_webinars.models import Registration, RemovedRegistrant

EMAILS = ["ada@example.org", "bob@example.org", "cy@example.org"]
CALLS = ["add", "batch", "status", "get", "list"]
FAULTS = ["lost", "500", "reset", "429", "401", "malformed"]


class Agreement(RuleBasedStateMachine):
    #: Set by the test: the event, Zoom, and django_capture_on_commit_callbacks.
    event = None
    kept: KeptRegistrants | None = None
    capture = None

    def __init__(self):
        super().__init__()
        Registration.objects.filter(page=self.event).delete()
        RemovedRegistrant.objects.all().delete()
        cache.clear()
        kept = self.kept
        kept.people, kept.adds, kept.status_updates, kept.faults = {}, {}, {}, []
        #: How often each email got a new registration (each may cost one add in Zoom).
        self.new_rows = dict.fromkeys(EMAILS, 0)

    def row(self, email):
        return Registration.objects.filter(page=self.event, email=email).first()

    @rule(email=st.sampled_from(EMAILS))
    def register(self, email):
        if self.row(email) is None:
            self.new_rows[email] += 1
        with self.capture(execute=True):
            service.register(self.event, email=email, first_name="Pat", last_name="Person")

    @rule(email=st.sampled_from(EMAILS))
    def cancel(self, email):
        row = self.row(email)
        if row is not None and row.status == Registration.Status.REGISTERED:
            with self.capture(execute=True):
                service.cancel(row)

    @rule(email=st.sampled_from(EMAILS))
    def delete(self, email):
        row = self.row(email)
        # People register anew at most 3 times a day (Zoom's limit of adds per email).
        if row is not None and self.new_rows[email] < 3:
            # Faults included: the cancel of a deleted registrant is retried too.
            with self.capture(execute=True):
                row.delete()

    @rule(call=st.sampled_from(CALLS), kind=st.sampled_from(FAULTS))
    def zoom_fault(self, call, kind):
        self.kept.faults.append((call, kind))

    @rule()
    def time_passes(self):
        self._sweep()

    @rule()
    def backfill(self):
        with self.capture(execute=True):
            sync.backfill_event(self.event.pk)

    def _sweep(self):
        # Every waiting row is due, as if its retry time had come.
        Registration.objects.filter(page=self.event, sync_status=Sync.PENDING).update(
            sync_retry_at=timezone.now()
        )
        RemovedRegistrant.objects.filter(given_up=False).update(retry_at=timezone.now())
        with self.capture(execute=True):
            sync.sync_sweep()

    def teardown(self):
        self.kept.faults = []
        for _ in range(6):
            if not (
                Registration.objects.filter(page=self.event, sync_status=Sync.PENDING).exists()
                or RemovedRegistrant.objects.exists()
            ):
                break
            self._sweep()
        kept = self.kept
        assert not RemovedRegistrant.objects.exists()
        for row in Registration.objects.filter(page=self.event):
            assert row.sync_status == Sync.SYNCED, (row.email, row.sync_status, row.sync_error)
            zoom_has = kept.status_of(row.email)
            if row.status == Registration.Status.REGISTERED:
                assert zoom_has == "approved"
                assert row.provider_status == "approved"
                assert row.provider_join_url == kept.join_url(kept.people[row.email]["id"])
            else:
                assert zoom_has in ("", "denied")
        for email in EMAILS:
            if self.row(email) is None:
                assert kept.status_of(email) in ("", "denied")
            # Never added again blindly: at most once per new registration.
            assert kept.adds.get(email, 0) <= self.new_rows[email] <= 3
            assert kept.status_updates.get(email, 0) <= 10


@pytest.mark.django_db
def test_zoom_agrees_with_us_after_any_sequence(
    zoom, make_event, django_capture_on_commit_callbacks
):
    Agreement.event = make_event(kind="zoom_meeting")
    Agreement.kept = KeptRegistrants(zoom)
    Agreement.capture = staticmethod(django_capture_on_commit_callbacks)
    run_state_machine_as_test(
        Agreement,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
