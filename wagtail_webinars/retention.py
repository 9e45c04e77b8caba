"""Data retention: personal data of past events is anonymised or deleted.

Registrations of events that ended more than ``RETENTION_DAYS`` ago lose what
names a person (mode ``"anonymise"``: counts, statuses and check-ins stay for
reports) or are deleted (mode ``"delete"``). The worker's stored task results of
this package older than that are deleted too: some name a registrant's email in
their arguments. Run by ``manage.py webinars_apply_retention`` (with
``--dry-run`` to see the counts first) and, when ``RETENTION_DAYS`` is set, by a
daily schedule. See docs/data-retention.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import jobs
from .conf import get_setting
from .models import (
    ProviderRegistrant,
    Registration,
    RemovedRegistrant,
    UnmatchedParticipant,
    event_page_models,
)

ANONYMISE = "anonymise"
DELETE = "delete"
MODES = (ANONYMISE, DELETE)

#: Anonymised rows get ``removed-<id>@anonymised.invalid`` (unique per event, as the
#: one-row-per-email rule needs; ``.invalid`` can never be a real mailbox).
ANONYMISED_DOMAIN = "anonymised.invalid"


@dataclass(frozen=True)
class RetentionReport:
    mode: str
    cutoff: datetime
    dry_run: bool
    events: int
    registrations: int
    task_results: int


def old_event_ids(cutoff: datetime) -> list[int]:
    """Events (of every event page model) that ended before ``cutoff``."""
    ids: list[int] = []
    for model in event_page_models():
        ids += model.objects.filter(end__lt=cutoff).values_list("pk", flat=True)
    return ids


def _task_results(cutoff: datetime):
    from django_q.models import Task

    return Task.objects.filter(group=jobs.TASK_GROUP, stopped__lt=cutoff)


def apply_retention(
    *,
    older_than_days: int | None = None,
    mode: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """Anonymise or delete the registrations of events older than the retention age."""
    days = older_than_days if older_than_days is not None else get_setting("RETENTION_DAYS")
    mode = mode or get_setting("RETENTION_MODE")
    if days is None:
        raise ImproperlyConfigured("Set WAGTAIL_WEBINARS['RETENTION_DAYS'] or pass an age in days.")
    if mode not in MODES:
        raise ImproperlyConfigured(f"Retention mode must be one of {', '.join(MODES)}.")
    if days < 0:
        raise ValueError("The retention age cannot be negative.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    event_ids = old_event_ids(cutoff)
    registrations = Registration.objects.filter(page_id__in=event_ids)
    if mode == ANONYMISE:
        registrations = registrations.exclude(email__endswith="@" + ANONYMISED_DOMAIN)
    # Participants of the report who matched nobody: names and emails too (check-in).
    unmatched = UnmatchedParticipant.objects.filter(page_id__in=event_ids)
    results = _task_results(cutoff)
    report = RetentionReport(
        mode=mode,
        cutoff=cutoff,
        dry_run=dry_run,
        events=len(event_ids),
        registrations=registrations.count(),
        task_results=results.count(),
    )
    if dry_run:
        return report
    with transaction.atomic():
        if mode == ANONYMISE:
            registrations.update(
                email=Concat(
                    models.Value("removed-"),
                    Cast("pk", models.CharField()),
                    models.Value("@" + ANONYMISED_DOMAIN),
                ),
                first_name="",
                last_name="",
                form_data={},
                provider_join_url="",
                provider_registrant_id="",
                sync_error="",
                reminder_error="",
                confirmation_error="",
                updated_at=timezone.now(),
            )
            unmatched.update(
                key=Concat(models.Value("removed:"), Cast("pk", models.CharField())),
                name="",
                email="",
                registrant_id="",
                updated_at=timezone.now(),
            )
        else:
            # The events are over: nothing to cancel at the provider, and one call per
            # deleted row would only spend its rate limit.
            registrations.update(provider_registrant_id="")
            registrations.delete()
            unmatched.delete()
        # Registrants of deleted registrations still waiting to be cancelled (or given
        # up): the events are over, and these rows keep an email.
        RemovedRegistrant.objects.filter(event_id__in=event_ids).delete()
        # People who registered at the provider directly (listed to adopt): names, emails.
        ProviderRegistrant.objects.filter(page_id__in=event_ids).delete()
        results.delete()
    return report
