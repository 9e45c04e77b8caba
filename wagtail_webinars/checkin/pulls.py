"""Pulling the provider's participant report: "Check in webinar attendees", the task
that runs one pull, and the schedule of automatic pulls after a managed event ends.

"No report yet" is *waiting for Zoom* and tried again later; a 429 or an outage is
retried after ``Retry-After`` or a backoff; anything else fails with a message staff
understand. Counts only in messages and logs, never personal data.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import jobs
from ..conf import get_setting
from ..models import ParticipantPull, event_page_models, get_event_page
from ..providers.errors import ProviderAPIError, ProviderError, ReportNotReady
from ..sync.state import retry_delay
from .matching import MatchResult, match_participants
from .staff import CheckInRefused

logger = logging.getLogger(__name__)


def can_check_in(event) -> bool:
    """Whether the event's provider has a participant report to pull."""
    provider = getattr(event, "provider", None)
    return bool(provider and provider.can_pull_participants)


def start_check_in(
    event,
    by=None,
    trigger: str = ParticipantPull.Trigger.STAFF,
    *,
    run_now: bool = False,
) -> ParticipantPull:
    """ "Check in webinar attendees": the one service behind the admin button, GraphQL
    and the management command. Returns the pull (a new one, or the one already
    queued or running: pressing twice starts nothing twice).

    The pull runs in the django-q2 worker after commit (``run_now``: here and now,
    for the management command). Raises :class:`CheckInRefused` when the event's
    provider has no participant report.
    """
    if not can_check_in(event):
        raise CheckInRefused(_("This event's video provider has no participant report to pull."))
    with transaction.atomic():
        busy = (
            ParticipantPull.objects.select_for_update()
            .filter(
                page_id=event.pk,
                state__in=[ParticipantPull.State.QUEUED, ParticipantPull.State.RUNNING],
            )
            .first()
        )
        if busy is not None and not run_now:
            return busy
        pull = ParticipantPull.objects.create(page_id=event.pk, trigger=trigger, requested_by=by)
        if not run_now:
            transaction.on_commit(lambda: _enqueue_pull(pull.pk))
    if run_now:
        run_pull(pull.pk)
        pull.refresh_from_db()
    return pull


def _enqueue_pull(pull_id: int) -> None:
    jobs.enqueue(jobs.PULL_PARTICIPANTS, pull_id)


def run_pull(pull_id: int, now: datetime | None = None) -> str:
    """Run one pull (the task body). Safe to run twice: a pull that is not queued or
    waiting is left alone. Returns the pull's new state."""
    now = now or timezone.now()
    claimed = ParticipantPull.objects.filter(
        pk=pull_id, state__in=[ParticipantPull.State.QUEUED, ParticipantPull.State.WAITING]
    ).update(state=ParticipantPull.State.RUNNING, started_at=now, retry_at=None)
    if not claimed:
        return ""
    pull = ParticipantPull.objects.get(pk=pull_id)
    pull.attempts += 1
    event = get_event_page(pull.page_id)
    if event is None or not can_check_in(event):
        return _finish(
            pull, ParticipantPull.State.FAILED, _("This event has no participant report to pull.")
        )
    try:
        rows = list(event.provider.pull_participants())
    except ReportNotReady:
        return _wait(pull, now)
    except ProviderAPIError as err:
        if err.transient and pull.attempts < get_setting("CHECKIN_MAX_ATTEMPTS"):
            return _retry(pull, now, err)
        return _finish(pull, ParticipantPull.State.FAILED, event.provider.describe_error(err))
    except ProviderError as err:
        return _finish(pull, ParticipantPull.State.FAILED, event.provider.describe_error(err))

    result = match_participants(event, rows, pull)
    for name in (
        "instances",
        "rows",
        "people",
        "checked_in",
        "matched",
        "matched_by_name",
        "joined_briefly",
        "unmatched",
    ):
        setattr(pull, name, getattr(result, name))
    logger.info(
        "participant pull %s of event %s: %s rows, %s people, %s newly checked in, %s unmatched",
        pull.pk,
        event.pk,
        result.rows,
        result.people,
        result.checked_in,
        result.unmatched,
    )
    return _finish(pull, ParticipantPull.State.DONE, describe_result(result))


def describe_result(result: MatchResult) -> str:
    parts = [
        ngettext("%(n)d person in Zoom's report", "%(n)d people in Zoom's report", result.people)
        % {"n": result.people},
        ngettext("%(n)d newly checked in", "%(n)d newly checked in", result.checked_in)
        % {"n": result.checked_in},
    ]
    if result.matched_by_name:
        parts.append(
            ngettext(
                "%(n)d matched by name: please review",
                "%(n)d matched by name: please review",
                result.matched_by_name,
            )
            % {"n": result.matched_by_name}
        )
    if result.joined_briefly:
        parts.append(
            ngettext("%(n)d joined briefly", "%(n)d joined briefly", result.joined_briefly)
            % {"n": result.joined_briefly}
        )
    parts.append(
        ngettext("%(n)d unmatched", "%(n)d unmatched", result.unmatched) % {"n": result.unmatched}
    )
    return ", ".join(parts) + "."


def _finish(pull: ParticipantPull, state: str, message: str) -> str:
    pull.state = state
    pull.message = message
    pull.finished_at = timezone.now()
    pull.retry_at = None
    pull.save()
    return state


def _wait(pull: ParticipantPull, now: datetime) -> str:
    pull.state = ParticipantPull.State.WAITING
    pull.finished_at = None
    if pull.attempts < get_setting("CHECKIN_MAX_ATTEMPTS"):
        pull.retry_at = now + timedelta(minutes=get_setting("CHECKIN_RETRY_MINUTES"))
        pull.message = _("Zoom has no participant report yet. Trying again later.")
    else:
        # Still not a failure: the automatic pulls after the event keep asking.
        pull.retry_at = None
        pull.message = _("Zoom has no participant report yet.")
    pull.save()
    return pull.state


def _retry(pull: ParticipantPull, now: datetime, err: ProviderAPIError) -> str:
    pull.state = ParticipantPull.State.QUEUED
    pull.retry_at = now + timedelta(seconds=retry_delay(pull.attempts, err.retry_after))
    pull.message = _("Zoom is busy or unreachable. Trying again shortly.")
    pull.save()
    return pull.state


def checkin_sweep(now: datetime | None = None) -> dict:
    """Every few minutes (django-q2 schedule): queue pulls whose retry time came, and
    the automatic pulls after a managed event ends (``CHECKIN_PULL_AFTER_MINUTES``).

    Queries: one per event page model plus a constant few, however many events.
    """
    now = now or timezone.now()
    queued = 0
    due = list(
        ParticipantPull.objects.filter(
            Q(state=ParticipantPull.State.QUEUED) | Q(state=ParticipantPull.State.WAITING),
            retry_at__lte=now,
        ).values_list("pk", flat=True)[:100]
    )
    for pk in due:
        _enqueue_pull(pk)
        queued += 1

    offsets = sorted(get_setting("CHECKIN_PULL_AFTER_MINUTES"))
    if not offsets:
        return {"retried": queued, "automatic": 0}
    earliest_end = now - timedelta(minutes=offsets[-1] + 60)
    latest_end = now - timedelta(minutes=offsets[0])
    events = []
    for model in event_page_models():
        events += list(model.objects.live().filter(end__gte=earliest_end, end__lte=latest_end))
    events = [event for event in events if can_check_in(event)]
    if not events:
        return {"retried": queued, "automatic": 0}
    pulls = defaultdict(list)
    for page_id, state, trigger in ParticipantPull.objects.filter(
        page_id__in=[e.pk for e in events]
    ).values_list("page_id", "state", "trigger"):
        pulls[page_id].append((state, trigger))
    started = 0
    for event in events:
        mine = pulls[event.pk]
        if any(
            state in (ParticipantPull.State.QUEUED, ParticipantPull.State.RUNNING)
            for state, _t in mine
        ):
            continue
        done = sum(1 for _s, trigger in mine if trigger == ParticipantPull.Trigger.AUTOMATIC)
        passed = sum(1 for minutes in offsets if now >= event.end + timedelta(minutes=minutes))
        if done < passed:
            start_check_in(event, trigger=ParticipantPull.Trigger.AUTOMATIC)
            started += 1
    return {"retried": queued, "automatic": started}
