"""Fill a managed event's details (join link, passcode, start, registration settings)
from its provider, on publish and on "Refresh from Zoom".

On publish (and from the "Refresh from Zoom" admin action) we read the meeting or
webinar: join link, passcode, start time and zone, topic, registration
settings. The join link and passcode go into the location block, the rest into
``EventPage.provider_config``. Anything the editor should fix comes back as a
warning; nothing here raises for a Zoom problem, so publishing never fails on it.

Values must land in both the live page and its revision: Wagtail builds the edit
form from the latest revision, so a value saved only on the live row would be
lost on the next publish.

Two moments of publishing matter. The editor's Publish button runs Wagtail's
``before_publish_page`` hook (:func:`refresh_before_publish`), so the values are in
the revision that goes live and warnings reach the editor. But a page also goes
live through a workflow approval, a scheduled go-live or code, with no hook; and a
scheduled publish runs the hook long before the page goes live. So what depends on
the page *being* live (registrants moving to another meeting, the backfill, a refresh
the hook could not do) hangs off Wagtail's ``page_published`` signal
(:func:`on_page_published`), sent however and whenever the page goes live.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import jobs, sync
from .models import get_event_page, is_managed_event
from .providers.errors import ProviderAPIError, ProviderError

if TYPE_CHECKING:
    from wagtail.models import Revision

    from .models import EventPage

logger = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    #: Sentences for the editor (admin messages).
    warnings: list[str] = field(default_factory=list)
    #: Zoom answered and the values were applied.
    refreshed: bool = False
    #: The event points at another Zoom ID than the one we last read.
    meeting_changed: bool = False
    #: The Zoom ID it pointed at before, when known.
    previous_id: str = ""


def refresh_event(event: EventPage) -> RefreshResult:
    """Read the event's meeting from Zoom and set the values on ``event`` (not saved)."""
    result = RefreshResult()
    if not is_managed_event(event):
        return result
    provider = event.provider
    current_id = provider.external_id
    previous_id = sync.meeting_left(event, current_id)
    if previous_id and previous_id != current_id:
        # Another meeting: the old link and passcode would send people to the wrong place.
        result.meeting_changed = True
        result.previous_id = previous_id
        _set_location_values(event, join_url="", password="")
        event.provider_config = {"id": current_id}
    from .publishing import checked_answer

    try:
        # The page form's check before this publish has just read it (publishing.py).
        checked = checked_answer(event, event.location_kind, current_id)
        if checked is not None and checked.error is not None:
            raise checked.error
        metadata = checked.metadata if checked and checked.metadata else provider.fetch_metadata()
    except ProviderError as err:
        result.warnings.append(_fetch_warning(provider, err))
        return result
    except (KeyError, TypeError, ValueError):
        logger.exception("zoom metadata for event %s could not be read", event.pk)
        result.warnings.append(
            _("Zoom sent an answer we could not read; the join link was not refreshed.")
        )
        return result
    _set_location_values(event, join_url=metadata.join_url, password=metadata.password)
    _take_start(event, metadata, result)
    event.provider_config = metadata.config
    event.provider_checked_at = timezone.now()
    result.refreshed = True
    # (The provider compares Zoom's start with ``event.start``, the page being refreshed.)
    result.warnings += provider.metadata_warnings(metadata)
    return result


def _take_start(event: EventPage, metadata, result: RefreshResult) -> None:
    """An occurrence of a recurring meeting is the event: the page takes its start (and
    length), so reminders, calendars and the report pull follow that date."""
    start = metadata.start_time
    if not metadata.start_is_the_event or start is None or start == event.start:
        return
    length = event.end - event.start if event.start and event.end else None
    if metadata.duration_minutes:
        length = timedelta(minutes=int(metadata.duration_minutes))
    event.start = start
    if length:
        event.end = start + length
    from .templatetags.webinars import campus_datetime

    result.warnings.append(
        _("The start time was set from Zoom's occurrence: %(when)s.")
        % {"when": campus_datetime(start)}
    )


def refresh_before_publish(page) -> RefreshResult:
    """For Wagtail's ``before_publish_page`` hook: the revision about to be published
    has just been saved; refresh ``page`` and write the values into that revision,
    so publishing copies them to the live page.

    Registrations are left alone: the page may go live only later (a scheduled
    publish), and until then its old meeting is the one people join.
    :func:`on_page_published` moves them when it does go live."""
    result = refresh_event(page)
    if not is_managed_event(page):
        return result
    revision = page.latest_revision
    if revision is not None:
        revision.content = page.serializable_data()
        revision.save(update_fields=["content"])
    if result.meeting_changed:
        # Those stored without a meeting ID belong to the one the event is leaving;
        # the stored Zoom details will name the new one by the time it goes live.
        sync.remember_meeting(page.pk, result.previous_id)
    return result


def refresh_and_save(event: EventPage) -> RefreshResult:
    """The "Refresh from Zoom" action: refresh the live event and store the values on the
    live row and on its live and latest revisions (those for the same Zoom ID)."""
    result = refresh_event(event)
    save_refreshed(event, result)
    return result


def save_refreshed(event: EventPage, result: RefreshResult) -> None:
    """Store what :func:`refresh_event` set on the live ``event`` (live row, live and
    latest revisions); nothing when Zoom was not read."""
    if not (result.refreshed or result.meeting_changed):
        return
    with transaction.atomic():
        type(event).objects.filter(pk=event.pk).update(
            location=event.location,
            start=event.start,
            end=event.end,
            provider_config=event.provider_config,
            provider_checked_at=event.provider_checked_at,
        )
        seen = set()
        for revision in (event.live_revision, event.latest_revision):
            if revision is None or revision.pk in seen:
                continue
            seen.add(revision.pk)
            _copy_into_revision(event, revision)
        if result.meeting_changed:
            # The live event already points at the new meeting.
            sync.remember_meeting(event.pk, result.previous_id)
            sync.meeting_changed(event.pk, event.provider.external_id)


def on_page_published(sender, instance, **kwargs) -> None:
    """Wagtail's ``page_published`` signal (connected in ``AppConfig.ready``): a page
    went live, by the editor's Publish button, a workflow approval, a scheduled
    go-live or code.

    For a managed event: registrants held for a meeting it left are pushed to its
    meeting, with those Zoom never heard of (:func:`sync.event_went_live`); and
    when its stored Zoom details are not about that meeting (no editor's refresh
    ran for it), Zoom is read after commit (:func:`refresh_live_event`).
    """
    if not getattr(instance, "live", False) or not is_managed_event(instance):
        return
    sync.event_went_live(instance)
    if str((instance.provider_config or {}).get("id") or "") != instance.provider.external_id:
        jobs.enqueue_on_commit(jobs.REFRESH_FROM_ZOOM, instance.pk)


def refresh_live_event(event_id: int) -> RefreshResult | None:
    """Refresh a live managed event from Zoom and store the values (a task, queued by
    :func:`on_page_published`). Warnings go to the log: no editor is waiting for them."""
    event = get_event_page(event_id)
    if event is None or not event.live or not is_managed_event(event):
        return None
    result = refresh_and_save(event)
    for warning in result.warnings:
        logger.info("zoom refresh of event %s after publishing: %s", event_id, warning)
    return result


def _copy_into_revision(event: EventPage, revision: Revision) -> None:
    draft = revision.as_object()
    if not is_managed_event(draft) or (
        draft.location_kind != event.location_kind
        or draft.provider.external_id != event.provider.external_id
        or draft.location_block.value.get("occurrence_id")
        != event.location_block.value.get("occurrence_id")
    ):
        # A draft for another meeting keeps its own values until it is published.
        return
    block = event.location_block.value
    _set_location_values(
        draft, join_url=block.get("join_url") or "", password=block.get("password") or ""
    )
    draft.provider_config = event.provider_config
    draft.start, draft.end = event.start, event.end
    draft.provider_checked_at = event.provider_checked_at
    revision.content = draft.serializable_data()
    revision.save(update_fields=["content"])


def _set_location_values(event: EventPage, *, join_url: str, password: str) -> None:
    child = event.location_block
    if child is None:
        return
    value = {**dict(child.value), "join_url": join_url, "password": password}
    event.location[0] = (child.block_type, child.block.normalize(value), child.id)
    # The provider was built from the old block value.
    event.__dict__.pop("provider", None)


def _fetch_warning(provider, err: ProviderError) -> str:
    if isinstance(err, ProviderAPIError) and err.transient:
        # No answer at all: say what happened once, not "could not be reached" twice.
        reason = err.message if err.status is None else provider.describe_error(err)
        return _(
            "Zoom could not be reached just now, so the join link and passcode were not "
            "refreshed. Publish again later, or use “Refresh from Zoom”. (%(reason)s)"
        ) % {"reason": reason.rstrip(".")}
    return _("Could not read this event's meeting from Zoom. %(reason)s") % {
        "reason": provider.describe_error(err)
    }
