"""Queueing work for the django-q2 worker.

Callers anywhere in the package queue a task by its name here; the task bodies
live in :mod:`wagtail_webinars.tasks`, which imports the services. This module
imports nothing else of the package, so queueing never pulls the services (or
their imports) into a loop.

Queue from inside ``transaction.on_commit`` (or :func:`enqueue_on_commit`),
never before the data the task reads is committed. Tasks take primary keys.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django_q.conf import Conf
from django_q.tasks import async_task, schedule

#: django-q2 group of every task this package queues (the admin filters by it).
TASK_GROUP = "wagtail_webinars"

_PREFIX = "wagtail_webinars.tasks."

#: One task per registration change: its confirmation and its provider sync.
REGISTRATION_CHANGED = _PREFIX + "registration_changed"
SEND_CONFIRMATION = _PREFIX + "send_confirmation"
SYNC_REGISTRATION = _PREFIX + "sync_registration"
SYNC_SWEEP = _PREFIX + "sync_sweep"
BACKFILL_EVENT = _PREFIX + "backfill_event"
REFRESH_FROM_ZOOM = _PREFIX + "refresh_from_zoom"
SEND_DUE_REMINDERS = _PREFIX + "send_due_reminders"
SEND_EVENT_REMINDERS = _PREFIX + "send_event_reminders"
RESEND_REMINDER = _PREFIX + "resend_reminder"
RESEND_EVENT_REMINDERS = _PREFIX + "resend_event_reminders"
#: Cancel a deleted registration's registrant (takes the RemovedRegistrant key).
CANCEL_DELETED_REGISTRANT = _PREFIX + "cancel_deleted_registrant"
#: The same, as queued by earlier versions (with the registrant's details).
CANCEL_REMOVED_REGISTRANT = _PREFIX + "cancel_removed_registrant"
APPLY_RETENTION = _PREFIX + "apply_retention"
#: Check-in: one participant pull, and the sweep of automatic pulls and retries.
PULL_PARTICIPANTS = _PREFIX + "pull_participants"
CHECKIN_SWEEP = _PREFIX + "checkin_sweep"
#: Webhooks: one verified delivery, and the daily clean-up of old delivery records.
HANDLE_WEBHOOK = _PREFIX + "handle_webhook"
PURGE_WEBHOOK_DELIVERIES = _PREFIX + "purge_webhook_deliveries"
#: Provider details (join link, passcode, time) of events starting soon.
REFRESH_UPCOMING_DETAILS = _PREFIX + "refresh_upcoming_details"


def enqueue(task_name: str, *args):
    """Queue the task ``task_name`` (one of the names above) with ``args``."""
    return async_task(task_name, *args, group=TASK_GROUP)


def enqueue_at(task_name: str, at: datetime, *args) -> None:
    """Queue ``task_name`` with ``args`` to run at ``at``: a django-q2 schedule run
    once, a row of the database until then, whichever broker the cluster uses."""
    schedule(task_name, *args, next_run=at, q_options={"group": TASK_GROUP})


def enqueue_on_commit(task_name: str, *args) -> None:
    """Queue ``task_name`` once the current transaction commits (at once outside one).

    With django-q2's ORM broker on the transaction's own database the task's row is
    written inside the transaction instead: the worker cannot see it before the
    data it reads is committed (it commits with them, or not at all), and the
    request saves a commit of its own (a round trip and a log flush on PostgreSQL).
    """
    if _orm_broker() and not transaction.get_autocommit(using=Conf.ORM):
        enqueue(task_name, *args)
    else:
        transaction.on_commit(lambda: enqueue(task_name, *args))


def _orm_broker() -> bool:
    # The brokers django-q2 prefers to its ORM broker (django_q.brokers.get_broker),
    # and sync mode, which runs the task at once: those wait for the commit.
    return bool(Conf.ORM) and not (
        Conf.SYNC or Conf.BROKER_CLASS or Conf.IRON_MQ or isinstance(Conf.SQS, dict)
    )
