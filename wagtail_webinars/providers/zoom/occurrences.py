"""Recurring Zoom meetings and webinars: one event page is one occurrence.

Zoom's facts this module exists for (ZOOM_API.md, the 2023 OpenAPI description):

* Types 8 (meeting) and 9 (webinar) recur at fixed times; ``GET /meetings/{id}``
  lists ``occurrences[]`` with ``occurrence_id`` (a string such as
  ``"1648194360000"``), ``start_time``, ``duration`` and ``status``.
* Types 3 and 6 recur with no fixed time: they have no dates to register for or
  to remind people of, so an event cannot be built on one.
* Adds take ``occurrence_ids`` in the query, status updates and registrant lists
  ``occurrence_id``; batch registration takes only types 2 and 5, so registrants of
  an occurrence are added one by one.

The block names the occurrence (``occurrence_id``); the fill on publish takes the
event's start and length from it, so reminders and the report pull (which keeps the
instances that start near the event) follow that one date.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wagtail_webinars.templatetags.webinars import campus_datetime

from ..errors import ProviderError
from . import answers
from .meetings import parse_zoom_time

if TYPE_CHECKING:
    from ..base import Metadata
    from .provider import ZoomProvider

#: Recurring with no fixed time (meeting 3, webinar 6): nothing to register for.
NO_FIXED_TIME_TYPES = frozenset({3, 6})
#: Recurring at fixed times (meeting 8, webinar 9): one occurrence per event.
RECURRING_TYPES = frozenset({8, 9})

NO_FIXED_TIME = _(
    "This Zoom %(what)s recurs with no fixed time, so it has no dates to register for. "
    "In Zoom, give it a fixed time (recurring at set dates), or use a one-off %(what)s."
)


def listed(data: dict[str, Any]) -> list[dict]:
    """Zoom's occurrences of a meeting: ``[{"id", "start", "duration"}]``, deleted ones
    left out, in time order."""
    found = []
    for item in answers.objects(answers.obj(data).get("occurrences")):
        start = parse_zoom_time(answers.text(item.get("start_time")))
        occurrence_id = answers.text(item.get("occurrence_id"))
        if not occurrence_id or start is None or item.get("status") == "deleted":
            continue
        found.append(
            {"id": occurrence_id, "start": start, "duration": answers.integer(item.get("duration"))}
        )
    return sorted(found, key=lambda o: o["start"])


def find(data: dict[str, Any], occurrence_id: str) -> dict | None:
    return next((o for o in listed(data) if o["id"] == occurrence_id), None)


def label(start: datetime) -> str:
    return campus_datetime(start)


def choices(provider: ZoomProvider) -> list[tuple[str, str]]:
    """``[(occurrence_id, "Tuesday 15 January 2030, 14:00 EST")]`` for the editor's pick."""
    data = provider._call("GET") or {}
    if answers.integer(data.get("type")) in NO_FIXED_TIME_TYPES:
        raise ProviderError(str(NO_FIXED_TIME % {"what": provider._what()}))
    return [(o["id"], label(o["start"])) for o in listed(data)]


def _listing(config: dict[str, Any]) -> str:
    starts = config.get("occurrence_starts") or {}
    items = sorted((parse_zoom_time(s), oid) for oid, s in starts.items() if parse_zoom_time(s))
    return "; ".join(f"{label(start)} ({oid})" for start, oid in items)


def publish_errors(provider: ZoomProvider, metadata: Metadata) -> dict[str, str]:
    """What about recurrence stops the publish, by block field."""
    config = metadata.config
    kind = config.get("type")
    chosen = provider.occurrence_id
    what = provider._what()
    if kind in NO_FIXED_TIME_TYPES:
        return {"meeting_id": str(NO_FIXED_TIME % {"what": what})}
    if kind not in RECURRING_TYPES:
        if chosen:
            return {
                "occurrence_id": gettext(
                    "This Zoom %(what)s does not recur: leave Occurrence empty."
                )
                % {"what": what}
            }
        return {}
    if not chosen:
        return {
            "occurrence_id": gettext(
                "This Zoom %(what)s recurs: pick the occurrence this event is for. Its "
                "occurrences: %(list)s."
            )
            % {"what": what, "list": _listing(config) or gettext("none left")}
        }
    if chosen not in (config.get("occurrence_starts") or {}):
        return {
            "occurrence_id": gettext(
                "Zoom has no occurrence %(id)s of this %(what)s. Its occurrences: %(list)s."
            )
            % {"id": chosen, "what": what, "list": _listing(config) or gettext("none left")}
        }
    return {}
