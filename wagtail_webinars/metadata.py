"""Fill a managed event's auto-populated fields from Zoom (the seed's "re-save" rule).

On publish (and from the "Refresh from Zoom" admin action) we read the meeting or
webinar: join link, passcode, start time and zone, topic, registration
settings. The join link and passcode go into the location block, the rest into
``EventPage.provider_config``. Anything the editor should fix comes back as a
warning; nothing here raises for a Zoom problem, so publishing never fails on it.

Values must land in both the live page and its revision: Wagtail builds the edit
form from the latest revision, so a value saved only on the live row would be
lost on the next publish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .providers.base import Metadata
from .providers.errors import ProviderAPIError, ProviderError

if TYPE_CHECKING:
    from wagtail.models import Revision

    from .models import EventPage

logger = logging.getLogger(__name__)

#: Start times closer than this count as the same (Zoom rounds to the minute).
START_TOLERANCE = timedelta(minutes=1)
FIXED_TIME_TYPES = {2, 5, 8, 9}


@dataclass
class RefreshResult:
    #: Sentences for the editor (admin messages).
    warnings: list[str] = field(default_factory=list)
    #: Zoom answered and the values were applied.
    refreshed: bool = False
    #: The event points at another Zoom ID than the one we last read.
    meeting_changed: bool = False


def is_managed_event(page) -> bool:
    from .models import EventPageMixin

    return isinstance(page, EventPageMixin) and bool(page.location_block) and page.is_managed


def refresh_event(event: EventPage) -> RefreshResult:
    """Read the event's meeting from Zoom and set the values on ``event`` (not saved)."""
    result = RefreshResult()
    if not is_managed_event(event):
        return result
    provider = event.provider
    current_id = provider.external_id
    previous_id = str((event.provider_config or {}).get("id") or "")
    if previous_id and previous_id != current_id:
        # Another meeting: the old link and passcode would send people to the wrong place.
        result.meeting_changed = True
        _set_location_values(event, join_url="", password="")
        event.provider_config = {"id": current_id}
    try:
        metadata = provider.fetch_metadata()
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
    event.provider_config = metadata.config
    event.provider_checked_at = timezone.now()
    result.refreshed = True
    result.warnings += provider.metadata_warnings(metadata)
    start_warning = _start_warning(event, metadata)
    if start_warning:
        result.warnings.append(start_warning)
    return result


def refresh_before_publish(page) -> RefreshResult:
    """For Wagtail's ``before_publish_page`` hook: the revision about to be published
    has just been saved; refresh ``page`` and write the values into that revision,
    so publishing copies them to the live page."""
    result = refresh_event(page)
    if not is_managed_event(page):
        return result
    revision = page.latest_revision
    if revision is not None:
        revision.content = page.serializable_data()
        revision.save(update_fields=["content"])
    if result.meeting_changed:
        from . import sync

        sync.meeting_changed(page.pk)
    return result


def refresh_and_save(event: EventPage) -> RefreshResult:
    """The "Refresh from Zoom" action: refresh the live event and store the values on the
    live row and on its live and latest revisions (those for the same Zoom ID)."""
    result = refresh_event(event)
    if not (result.refreshed or result.meeting_changed):
        return result
    with transaction.atomic():
        type(event).objects.filter(pk=event.pk).update(
            location=event.location,
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
            from . import sync

            sync.meeting_changed(event.pk)
    return result


def _copy_into_revision(event: EventPage, revision: Revision) -> None:
    draft = revision.as_object()
    if not is_managed_event(draft) or (
        draft.location_kind != event.location_kind
        or draft.provider.external_id != event.provider.external_id
    ):
        # A draft for another meeting keeps its own values until it is published.
        return
    block = event.location_block.value
    _set_location_values(
        draft, join_url=block.get("join_url") or "", password=block.get("password") or ""
    )
    draft.provider_config = event.provider_config
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
        return _(
            "Zoom could not be reached just now, so the join link and passcode were not "
            "refreshed. Publish again later, or use “Refresh from Zoom”. (%(reason)s)"
        ) % {"reason": provider.describe_error(err)}
    return _("Could not read this event's meeting from Zoom. %(reason)s") % {
        "reason": provider.describe_error(err)
    }


def _start_warning(event: EventPage, metadata: Metadata) -> str | None:
    from .providers.zoom import parse_zoom_time
    from .templatetags.webinars import campus_datetime

    if metadata.start_time is None or event.start is None:
        return None
    if metadata.config.get("type") not in FIXED_TIME_TYPES:
        return None
    candidates = [metadata.start_time]
    candidates += [
        t for t in (parse_zoom_time(s) for s in metadata.config.get("occurrences") or []) if t
    ]
    if any(abs(c - event.start) < START_TOLERANCE for c in candidates):
        return None
    return _(
        "Zoom says this starts %(zoom)s, but this page says %(page)s. Change one so they "
        "match: reminders and calendars follow the page."
    ) % {"zoom": campus_datetime(metadata.start_time), "page": campus_datetime(event.start)}
