"""What happens when an event points at another meeting: the registrants held for the
meeting it left mean nothing on the new one, so everyone active is pushed there.

Called when the new meeting goes live (by whatever route: the editor's Publish, a
workflow approval, a scheduled go-live, code) and by "Refresh from Zoom", never
before: until then the old meeting is the one people join.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail_webinars.models import Registration, is_managed_event

from .backfill import queue_backfill_if_needed
from .state import REGISTRANT_FIELDS

logger = logging.getLogger(__name__)

Status = Registration.SyncStatus


def meeting_left(event, current_id: str) -> str:
    """The meeting ID ``event`` pointed at before ``current_id``, or ``""`` when it did
    not point elsewhere (``event`` may be the draft about to be published).

    Known from the details we last read from the provider; when those were never read
    (a first publish while the provider was down or credentials were missing), from
    the live page and then from the meeting the registrants are held for, since the
    page may have been live, with registrants pushed, since.
    """
    previous_id = str((event.provider_config or {}).get("id") or "")
    if previous_id or event.pk is None:
        return previous_id if previous_id != current_id else ""
    live = type(event).objects.filter(pk=event.pk, live=True).first()
    if live is not None and is_managed_event(live) and live.provider.external_id != current_id:
        return live.provider.external_id
    return (
        Registration.objects.filter(page_id=event.pk)
        .exclude(provider_meeting_id="")
        .exclude(provider_meeting_id=current_id)
        .values_list("provider_meeting_id", flat=True)
        .first()
        or ""
    )


def remember_meeting(event_id: int, meeting_id: str) -> int:
    """Record that the event's registrants stored without a meeting ID belong to
    ``meeting_id`` (the meeting the event is about to leave)."""
    return (
        Registration.objects.filter(page_id=event_id, provider_meeting_id="")
        .exclude(provider_registrant_id="")
        .update(provider_meeting_id=meeting_id)
    )


def meeting_changed(event_id: int, meeting_id: str) -> int:
    """The live event points at meeting ``meeting_id``: forget registrants held for
    another meeting, so everyone active is pushed to this one. Returns how many wait
    for that push.

    Call it once the new meeting is live (:func:`event_went_live`), never before: until
    then the old meeting is the one people join. Queues nothing; the caller queues
    :func:`backfill_event` after commit. Does nothing when no registrant is held for
    another meeting.
    """
    now = timezone.now()
    elsewhere = ~Q(provider_meeting_id="") & ~Q(provider_meeting_id=meeting_id)
    with transaction.atomic():
        # Locked: a sync finishing on the old meeting writes after us, or before us
        # and is then cleared here (never a lost update either way).
        rows = list(
            Registration.objects.select_for_update()
            .filter(page_id=event_id)
            .filter(elsewhere | Q(status=Registration.Status.REGISTERED, sync_status=Status.FAILED))
        )
        if not any(row.provider_meeting_id not in ("", meeting_id) for row in rows):
            return 0
        waiting = 0
        fields = {"sync_add_uncertain", "updated_at", *REGISTRANT_FIELDS}
        for row in rows:
            if row.provider_meeting_id not in ("", meeting_id):
                for name, value in REGISTRANT_FIELDS.items():
                    setattr(row, name, value)
            row.sync_add_uncertain = False
            row.updated_at = now
            if row.status == Registration.Status.REGISTERED:
                # A refusal by the old meeting (even a failed one) may not hold for this one.
                fields.update(row.mark_sync_pending())
                waiting += 1
            elif row.sync_status != Status.NOT_APPLICABLE:
                # Cancelled: this meeting never had them, so it agrees already.
                fields.update(row.mark_synced(now))
        Registration.objects.bulk_update(rows, sorted(fields), batch_size=500)
    logger.info("event %s moved to another meeting: %s registrations to push", event_id, waiting)
    return waiting


def event_went_live(event) -> None:
    """A managed event was published (however: the editor, a workflow approval, a
    scheduled go-live, code). Registrants held for the meeting it left are pushed to
    the one it points at now, with those Zoom never heard of, in a backfill after commit."""
    provider = getattr(event, "provider", None)
    if provider is None or not provider.can_push_registrants:
        return
    meeting_id = provider.external_id
    previous_id = str((event.provider_config or {}).get("id") or "")
    if previous_id and previous_id != meeting_id:
        # Going live without the editor's refresh: the stored details name the
        # meeting it left.
        remember_meeting(event.pk, previous_id)
    meeting_changed(event.pk, meeting_id)
    queue_backfill_if_needed(event)
