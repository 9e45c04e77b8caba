"""Thin django-q2 entry points. Each takes primary keys and is safe to run twice.

Enqueue with :func:`enqueue` (or :func:`enqueue_sync`) from inside a
``transaction.on_commit`` callback, never before the data is committed.
"""

from __future__ import annotations

import logging

from django_q.tasks import async_task

logger = logging.getLogger(__name__)

TASK_GROUP = "wagtail_webinars"


def enqueue(func: str, *args, **kwargs):
    """Queue ``func`` (a dotted path) on django-q2."""
    return async_task(func, *args, group=TASK_GROUP, **kwargs)


def enqueue_sync(registration_id: int):
    return enqueue("wagtail_webinars.tasks.sync_registration", registration_id)


def send_confirmation(registration_id: int) -> None:
    from . import emails
    from .models import Registration

    registration = Registration.objects.select_related("page").filter(pk=registration_id).first()
    if registration is None:
        return
    emails.send_confirmation(registration)


def sync_registration(registration_id: int) -> None:
    """Bring the provider's view of one registration in line with ours."""
    from . import sync

    sync.sync_registration(registration_id)
