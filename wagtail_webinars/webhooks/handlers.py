"""The webhook task: what a verified delivery means for our events (the task body
of ``jobs.HANDLE_WEBHOOK``, taking the delivery's primary key).

* a participant joined (or left): checked in live, matched as the participant
  report is (the provider's registrant id, then the email); the minutes come with
  the report pull later. Staff check-ins and undos stand;
* a registration cancelled at the provider: cancelled here through the
  registration service, without telling the provider again, and the person is
  emailed. A cancellation older than the person's latest registration is stale;
* a registration created at the provider for someone we do not have: listed for
  staff to adopt (:mod:`.adoption`);
* the meeting changed: its details are read again from the provider, unless what
  we have is newer than the change; deleted: a warning on the event; ended: the
  first participant pull is started.

Each delivery is handled at most once (claimed by a conditional update); its
content is emptied afterwards, leaving the event, times, outcome and a message
without personal data. Queries are per event of the meeting, never per registrant.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import checkin, details_refresh, registration
from ..models import (
    MeetingNotice,
    ParticipantPull,
    ProviderRegistrant,
    WebhookDelivery,
    event_page_models,
)
from ..providers import base
from ..providers.base import ProviderEvent

logger = logging.getLogger(__name__)

Outcome = WebhookDelivery.Outcome
#: How far outside the event's time a join still counts as coming to it.
JOIN_MARGIN = timedelta(hours=1)
#: The provider's times are to the millisecond and its clock is not ours: closer than
#: this, a registration and a cancellation count as simultaneous (the cancellation wins).
CLOCK_TOLERANCE = timedelta(seconds=2)


def handle_delivery(delivery_id: int) -> str:
    """Handle one recorded delivery (safe to run twice: the second does nothing)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, outcome=Outcome.QUEUED, processed_at__isnull=True
    ).update(processed_at=now)
    if not claimed:
        return ""
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    try:
        event = ProviderEvent.from_dict(delivery.payload)
        outcome, message = handle(delivery.provider, event, now)
    except Exception as err:
        logger.error("webhook delivery %s failed: %s", delivery_id, type(err).__name__)
        outcome, message = (
            Outcome.FAILED,
            _("Could not be handled (%(error)s).") % {"error": type(err).__name__},
        )
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        outcome=outcome, message=message[:300], payload={}
    )
    return outcome


def handle(provider_name: str, event: ProviderEvent, now: datetime) -> tuple[str, str]:
    events = events_for_meeting(provider_name, event.meeting_id)
    if not events:
        return Outcome.IGNORED, _("No live event uses this meeting.")
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return Outcome.IGNORED, _("Not an event this site acts on.")
    messages = [handler(page, event, now) for page in events]
    done = [text for changed, text in messages if changed]
    if not done:
        return Outcome.IGNORED, " ".join(text for _c, text in messages)
    return Outcome.PROCESSED, " ".join(done)


def events_for_meeting(provider_name: str, meeting_id: str) -> list:
    """The live managed events of this provider that use the meeting, one query per
    event page model: the meeting ID is looked for in the location block's stored
    text (whether or not Zoom was ever read for the event), then checked exactly."""
    if not meeting_id:
        return []
    found = []
    for model in event_page_models():
        candidates = (
            model.objects.live()
            .annotate(location_text=Cast("location", TextField()))
            .filter(location_text__contains=meeting_id)
        )
        for page in candidates:
            provider = page.provider
            if (
                page.is_managed
                and provider is not None
                and provider.webhook_name == provider_name
                and provider.external_id == meeting_id
            ):
                found.append(page)
    return found


def _find_registration(page, event: ProviderEvent, *, active_only: bool):
    return checkin.find_registration(
        page, registrant_id=event.registrant_id, email=event.email, active_only=active_only
    )


# -- the handlers: (event page, provider event, now) -> (changed anything, message) --------
def participant_arrived(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    if not checkin.can_check_in(page):
        return False, _("This event's provider has no check-in.")
    when = event.join_time or event.leave_time or event.occurred_at or now
    if not (page.start - JOIN_MARGIN <= when <= page.end + JOIN_MARGIN):
        return False, _("The participant joined outside the event's time.")
    result = checkin.check_in_live(
        page, registrant_id=event.registrant_id, email=event.email, joined_at=when
    )
    if result.registration_id is None:
        return False, _("The participant matches no registration; the report pull lists them.")
    if not result.checked_in:
        return False, _("Registration %(id)s was checked in already (or by staff).") % {
            "id": result.registration_id
        }
    return True, _("Registration %(id)s checked in live.") % {"id": result.registration_id}


def registration_cancelled(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    found = _find_registration(page, event, active_only=False)
    if found is None:
        return _cancel_provider_registrant(page, event)
    if not found.is_active:
        return False, _("Registration %(id)s was cancelled already.") % {"id": found.pk}
    if (
        event.occurred_at
        and found.registered_at
        and found.registered_at > event.occurred_at + CLOCK_TOLERANCE
    ):
        # They registered (again) after this cancellation: a late delivery.
        return False, _("Registration %(id)s is newer than this cancellation.") % {"id": found.pk}
    registration.cancel(found, now=now, by_provider=True)
    return True, _("Registration %(id)s cancelled at the provider's request.") % {"id": found.pk}


def _cancel_provider_registrant(page, event: ProviderEvent) -> tuple[bool, str]:
    changed = ProviderRegistrant.objects.filter(
        page_id=page.pk, registrant_id=event.registrant_id, state=ProviderRegistrant.State.OPEN
    ).update(state=ProviderRegistrant.State.CANCELLED, changed_at=event.occurred_at)
    if changed:
        return True, _("A registrant at the provider cancelled before being adopted.")
    return False, _("The cancelled registrant matches no registration.")


def registration_created(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    if not event.registrant_id or not event.email:
        return False, _("The registrant has no id or email.")
    found = _find_registration(page, event, active_only=True)
    if found is not None:
        # Ours (the sync added them), or someone we have under that address.
        return False, _("Registration %(id)s is this registrant.") % {"id": found.pk}
    row, created = ProviderRegistrant.objects.get_or_create(
        page_id=page.pk,
        registrant_id=event.registrant_id,
        defaults=_registrant_values(event),
    )
    if created:
        return True, _("Someone registered in the provider directly: listed to adopt.")
    if row.state in (ProviderRegistrant.State.ADOPTED, ProviderRegistrant.State.DISMISSED):
        return False, _("This registrant was adopted or dismissed already.")
    if row.changed_at and event.occurred_at and row.changed_at >= event.occurred_at:
        return False, _("What we have about this registrant is newer.")
    for name, value in _registrant_values(event).items():
        setattr(row, name, value)
    row.save()
    return True, _("Someone registered in the provider directly: listed to adopt.")


def _registrant_values(event: ProviderEvent) -> dict:
    return {
        "meeting_id": event.meeting_id,
        "email": event.email,
        "first_name": event.first_name,
        "last_name": event.last_name,
        "join_url": event.join_url,
        "state": ProviderRegistrant.State.OPEN,
        "changed_at": event.occurred_at,
    }


def _notice(page, event: ProviderEvent) -> MeetingNotice:
    notice, _created = MeetingNotice.objects.get_or_create(
        page_id=page.pk, defaults={"meeting_id": event.meeting_id}
    )
    if notice.meeting_id != event.meeting_id:
        # The event points at another meeting now: what we knew was about the old one.
        notice.meeting_id = event.meeting_id
        notice.deleted_at = notice.changed_at = notice.ended_at = None
    return notice


def meeting_updated(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    notice = _notice(page, event)
    happened = event.occurred_at or now
    newest = max((t for t in (notice.changed_at, page.provider_checked_at) if t), default=None)
    if newest and newest >= happened:
        notice.save()
        return False, _("The event's details are newer than this change.")
    result = details_refresh.refresh_event_details(page)
    notice.changed_at = happened
    if result.refreshed:
        # The provider showed the meeting again: it is not deleted.
        notice.deleted_at = None
    notice.save()
    if not result.refreshed:
        return False, _("The change was noted, but the provider could not be read just now.")
    return True, _("The event's details were refreshed from the provider.")


def meeting_deleted(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    notice = _notice(page, event)
    if notice.deleted_at is not None:
        notice.save()
        return False, _("The meeting was known to be deleted.")
    happened = event.occurred_at or now
    if notice.changed_at and notice.changed_at > happened:
        notice.save()
        return False, _("The meeting changed after this deletion.")
    notice.deleted_at = happened
    notice.save()
    logger.warning("the meeting of event %s was deleted at the provider", page.pk)
    return True, _("The meeting was deleted at the provider: the event shows a warning.")


def meeting_ended(page, event: ProviderEvent, now: datetime) -> tuple[bool, str]:
    notice = _notice(page, event)
    happened = event.occurred_at or now
    if notice.ended_at and notice.ended_at >= happened:
        notice.save()
        return False, _("This end was handled already.")
    notice.ended_at = happened
    notice.save()
    if not checkin.can_check_in(page):
        return False, _("This event's provider has no participant report.")
    pull = checkin.start_check_in(page, trigger=ParticipantPull.Trigger.AUTOMATIC)
    return True, _("Participant pull %(id)s started.") % {"id": pull.pk}


HANDLERS = {
    base.EVENT_PARTICIPANT_JOINED: participant_arrived,
    base.EVENT_PARTICIPANT_LEFT: participant_arrived,
    base.EVENT_REGISTRATION_CANCELLED: registration_cancelled,
    base.EVENT_REGISTRATION_CREATED: registration_created,
    base.EVENT_MEETING_UPDATED: meeting_updated,
    base.EVENT_MEETING_DELETED: meeting_deleted,
    base.EVENT_MEETING_ENDED: meeting_ended,
}
