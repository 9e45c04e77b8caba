"""Cancelling, at the provider, the registrant of a deleted registration, until it lands.

Whatever deletes a registration (the registrations admin, Wagtail's submissions
list, a deleted event page), the person must not stay approved at the provider.
The row and its registrant id are gone after the delete, so a
:class:`~wagtail_webinars.models.RemovedRegistrant` is written in the same
transaction (:func:`remember`), and the cancel is sent after commit by a task
taking its key. The cancel is a status change like any other:

* a transient failure keeps the row with a retry time (the provider's
  ``Retry-After``, else backoff) for the sync sweeper, until ``SYNC_MAX_ATTEMPTS``;
  then it is given up, with the reason kept for staff;
* it is marked write-ahead (``uncertain``) before it is sent: after a lost answer
  the next run reads the registrant's status first and sends nothing if the cancel
  landed;
* it counts against the registrant's daily status changes (:mod:`.guards`);
* a registrant that a live registration holds again (the person registered anew and
  the provider answered the add with the same registrant) is not cancelled; when a
  cancel lands just as that happens, the holder is synced again and re-approved.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail_webinars import jobs
from wagtail_webinars.models import Registration, RemovedRegistrant, get_event_page
from wagtail_webinars.providers.base import ProviderStatus
from wagtail_webinars.providers.errors import ProviderError, StatusChangesUsedUp

from .guards import lock, lock_seconds, seconds_to_utc_midnight, spend_status_change, unlock
from .state import after_failure

logger = logging.getLogger(__name__)

SyncStatus = Registration.SyncStatus


def remember(registration: Registration) -> None:
    """Keep the registrant of ``registration`` (being deleted) until the provider has it
    cancelled; the cancel is queued for after the delete commits.

    A registration whose add may have landed unseen (``sync_add_uncertain``) is kept
    too, without a registrant id: the cancel looks the email up first.
    """
    uncertain_add = registration.sync_add_uncertain and not registration.provider_registrant_id
    if not registration.provider_registrant_id and not uncertain_add:
        return
    if registration.provider_status == ProviderStatus.CANCELLED and not uncertain_add:
        return
    row = RemovedRegistrant.objects.create(
        event_id=registration.page_id,
        registration_id=registration.pk,
        registrant_id=registration.provider_registrant_id,
        email=registration.email,
        meeting_id=registration.provider_meeting_id,
        uncertain=uncertain_add,
    )
    jobs.enqueue_on_commit(jobs.CANCEL_DELETED_REGISTRANT, row.pk)


def remember_queued(event_id: int, registrant_id: str, email: str, meeting_id: str = "") -> int:
    """A cancel queued (by an older version) with the registrant's details as task
    arguments: kept like any other. Returns its key."""
    return RemovedRegistrant.objects.create(
        event_id=event_id, registrant_id=registrant_id, email=email, meeting_id=meeting_id
    ).pk


def live_holders(registrant_id: str, meeting_id: str) -> list[int]:
    """Registrations that hold ``registrant_id`` (for this meeting) again."""
    held = Registration.objects.filter(provider_registrant_id=registrant_id)
    if meeting_id:
        held = held.filter(provider_meeting_id__in=[meeting_id, ""])
    return list(held.values_list("pk", flat=True))


def cancel_deleted_registrant(removed_id: int) -> str:
    """Cancel one deleted registration's registrant at the provider; safe to run twice.

    Returns "cancelled", "dropped" (nothing to cancel any more), "held" (a live
    registration holds the registrant again), "pending" (retried later), "failed"
    (given up), "busy" or "missing".
    """
    lock_key = f"removed-{removed_id}"
    token = lock(lock_key)
    if token is None:
        return "busy"
    try:
        registration_id = (
            RemovedRegistrant.objects.filter(pk=removed_id)
            .values_list("registration_id", flat=True)
            .first()
        )
        # The deleted registration's own sync may still be talking to the provider (an
        # add in flight): wait for it, or its answer would land after our cancel.
        held = lock(registration_id) if registration_id else ""
        if held is None:
            RemovedRegistrant.objects.filter(pk=removed_id).update(
                retry_at=timezone.now() + timedelta(seconds=min(30, lock_seconds()))
            )
            return "busy"
        try:
            return _cancel(removed_id)
        finally:
            if held:
                unlock(registration_id, held)
    finally:
        unlock(lock_key, token)


def _cancel(removed_id: int) -> str:
    row = RemovedRegistrant.objects.filter(pk=removed_id).first()
    if row is None:
        return "missing"
    if row.given_up:
        return "failed"  # staff have the reason
    event = get_event_page(row.event_id)
    if (
        event is None
        or not event.is_managed
        or (row.meeting_id and row.meeting_id != event.provider.external_id)
    ):
        # The event is gone (and its meeting with it, as far as we know), or it moved
        # to another meeting: this registrant means nothing to it now.
        row.delete()
        return "dropped"
    provider = event.provider
    if not row.registrant_id:
        # An add that may have landed unseen: find the registrant by email.
        try:
            found = provider.find_registrant(row.email)
        except ProviderError as err:
            return _failed(row, provider, err, sent=False)
        if found is None or not found.registrant_id or found.status == ProviderStatus.CANCELLED:
            return _landed(row)
        row.registrant_id, row.uncertain = found.registrant_id, False
        row.save(update_fields=["registrant_id", "uncertain", "updated_at"])
    if live_holders(row.registrant_id, row.meeting_id):
        # Their registration's own sync decides this registrant's status now.
        row.delete()
        return "held"
    # An unsaved stand-in: the provider only needs the registrant's id and email.
    gone = Registration(page=event, email=row.email, provider_registrant_id=row.registrant_id)
    sent = False
    try:
        if row.uncertain:
            found = provider.fetch_registrant(row.registrant_id)
            if found is None or found.status == ProviderStatus.CANCELLED:
                return _landed(row)
        if not spend_status_change(f"registrant-{row.registrant_id}"):
            raise StatusChangesUsedUp(seconds_to_utc_midnight())
        RemovedRegistrant.objects.filter(pk=row.pk).update(uncertain=True)
        sent = True
        provider.cancel_registrant(gone)
    except ProviderError as err:
        return _failed(row, provider, err, sent)
    return _landed(row)


def _landed(row: RemovedRegistrant) -> str:
    with transaction.atomic():
        row.delete()
        if not row.registrant_id:
            return "cancelled"
        # Taken again while the cancel was in flight: that registration must not
        # believe the registrant approved. Read, and re-approve, from its own sync.
        again = live_holders(row.registrant_id, row.meeting_id)
        if again:
            Registration.objects.filter(pk__in=again).update(
                provider_status=ProviderStatus.UNKNOWN,
                sync_status=SyncStatus.PENDING,
                sync_attempts=0,
                sync_retry_at=None,
                sync_error="",
                updated_at=timezone.now(),
            )
            for pk in again:
                jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, pk)
    return "cancelled"


def _failed(row: RemovedRegistrant, provider, err: ProviderError, sent: bool) -> str:
    logger.warning(
        "cancel of deleted registration's registrant %s (event %s) failed (%s)",
        row.registrant_id,
        row.event_id,
        provider.log_detail(err),
    )
    after = after_failure(row.attempts, err, provider.describe_error(err), timezone.now())
    if sent:
        row.uncertain = provider.might_have_landed(err)
    row.attempts = after.sync_attempts
    row.error = after.sync_error
    row.given_up = after.sync_status != SyncStatus.PENDING
    row.retry_at = None if row.given_up else after.sync_retry_at
    row.save(update_fields=["uncertain", "attempts", "error", "retry_at", "given_up", "updated_at"])
    return "failed" if row.given_up else "pending"


def due(now, stale_before, limit: int) -> list[int]:
    """Keys of the removed registrants the sweeper queues now (retry time come, or a
    fresh one whose task was lost), touched so the next sweep leaves them to the task."""
    with transaction.atomic():
        pks = list(
            RemovedRegistrant.objects.select_for_update(skip_locked=True)
            .filter(given_up=False)
            .filter(Q(retry_at__lte=now) | Q(retry_at__isnull=True, updated_at__lt=stale_before))
            .order_by("retry_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        RemovedRegistrant.objects.filter(pk__in=pks).update(retry_at=None, updated_at=now)
    return pks
