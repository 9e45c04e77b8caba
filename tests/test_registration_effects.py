"""The effects of a committed registration change, run by the worker: a task that runs
twice (its worker killed after the mail went out, django-q2 delivering it again) sends
the confirmation once."""

from __future__ import annotations

from django.core import mail

from tests.factories import RegistrationFactory
from wagtail_webinars import registration_effects
from wagtail_webinars.registration import CREATED, REACTIVATED


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
