"""Sync guards: how long a sync run holds its registration."""

from __future__ import annotations

from wagtail_webinars.sync import guards


def test_a_run_holds_its_registration_twice_the_task_timeout(settings):
    # django-q2 ends a task at its timeout: a killed worker's rows are free again soon
    # after, not only after five minutes.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 60}
    assert guards.lock_seconds() == 120
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 4}
    assert guards.lock_seconds() == 8


def test_without_a_task_timeout_five_minutes(settings):
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "timeout"}
    assert guards.lock_seconds() == 300
