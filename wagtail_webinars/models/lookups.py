"""Finding event pages without naming Wagtail's ``Page`` class.

A site may swap Wagtail's base page model (``WAGTAIL_PAGE_MODEL``), so the page
class is looked up when it is needed, never imported from ``wagtail.models``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import swapper

from .pages import EventPageMixin

if TYPE_CHECKING:
    from django.db.models import QuerySet


def page_model():
    """The site's base page model: Wagtail's ``Page`` or the one it was swapped for."""
    return swapper.load_model("wagtailcore", "Page")


def event_page_models() -> list[type[EventPageMixin]]:
    """The concrete event page models: ours and any a host project builds from
    ``AbstractEventPage`` (or ``EventPageMixin``), each table once.

    A model that extends a listed one (multi-table, like ``class Seminar(EventPage)``)
    or proxies it is left out: its events are rows of the listed model's table, so
    one query per listed model covers every event exactly once. To ask whether a
    page is an event, use ``issubclass(page.specific_class, tuple(event_page_models()))``.
    """
    from wagtail.models import get_page_models

    events = [
        model
        for model in get_page_models()
        if issubclass(model, EventPageMixin) and not model._meta.proxy
    ]
    return [
        model
        for model in events
        if not any(parent in events for parent in model._meta.get_parent_list())
    ]


def all_event_pages() -> QuerySet:
    """Every event page of every event page model, as base pages (``.specific()`` them)."""
    return page_model().objects.type(*event_page_models())


def get_event_page(page_id) -> EventPageMixin | None:
    """The specific event page with this id, whichever event page model it is,
    or ``None`` when there is no such page or it is not an event."""
    try:
        page_id = int(page_id)
    except (TypeError, ValueError):
        return None
    page = page_model().objects.filter(pk=page_id).specific().first()
    return page if isinstance(page, EventPageMixin) else None


def is_managed_event(page) -> bool:
    """Whether ``page`` is an event whose provider we sync (a managed Zoom meeting or
    webinar), rather than a plain link."""
    return isinstance(page, EventPageMixin) and bool(page.location_block) and page.is_managed
