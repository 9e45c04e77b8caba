"""Which events a caller sees, filtered and paged, in a constant number of queries.

Events may live in several tables (ours and a host project's pages built from
``AbstractEventPage``), so one page of results is found from a light list of
``(start, pk)`` per table, then only the events of that page are loaded, one
query per table. Figures every event of a page needs (spots left, headcounts)
are fetched once for the whole page by :class:`EventBatch`.
"""

from __future__ import annotations

from collections.abc import Iterator

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from graphql import GraphQLError
from wagtail.models import Site

from ..models import Registration, event_page_models
from .permissions import VIEW, Caller, get_caller


def _active_count():
    return Coalesce(
        Subquery(
            Registration.objects.filter(page_id=OuterRef("pk"), status="registered")
            .order_by()
            .values("page_id")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


class EventFilterSet(django_filters.FilterSet):
    """The ``events`` filters (django-filter, applied to each event table)."""

    upcoming = django_filters.BooleanFilter(method="filter_upcoming")
    past = django_filters.BooleanFilter(method="filter_past")
    starts_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")
    registration_open = django_filters.BooleanFilter(method="filter_registration_open")

    def filter_upcoming(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(end__gt=now) if value else queryset.filter(end__lte=now)

    def filter_past(self, queryset, name, value):
        return self.filter_upcoming(queryset, name, not value)

    def filter_registration_open(self, queryset, name, value):
        # The same rules as EventPageMixin.registration_closed_reason and the
        # capacity check of the registration service.
        now = timezone.now()
        open_q = (
            (Q(registration_opens__isnull=True) | Q(registration_opens__lte=now))
            & (Q(registration_closes__isnull=True) | Q(registration_closes__gt=now))
            & Q(start__gt=now)
            & (Q(capacity__isnull=True) | Q(capacity__gt=_active_count()))
        )
        return queryset.filter(open_q) if value else queryset.exclude(open_q)


def visible_events(model, caller: Caller):
    """The events of ``model`` this caller may see: live and public (Wagtail page
    privacy respected) and, for staff, the live events whose registrations they see."""
    queryset = model.objects.live()
    allowed = caller.event_ids(VIEW)
    if allowed is None:
        return queryset
    public = queryset.public()
    if allowed:
        return queryset.filter(Q(pk__in=public.values("pk")) | Q(pk__in=allowed))
    return public


class EventBatch:
    """The events loaded together (one page of results): their shared figures."""

    def __init__(self, events: list):
        self.events = events
        self._active: dict[int, int] | None = None
        self._headcounts: dict | None = None

    def active_count(self, event) -> int:
        if self._active is None:
            rows = (
                Registration.objects.filter(
                    page_id__in=[e.pk for e in self.events], status="registered"
                )
                .order_by()
                .values_list("page_id")
                .annotate(n=Count("pk"))
            )
            self._active = dict(rows)
        return self._active.get(event.pk, 0)

    def headcount(self, event):
        if self._headcounts is None:
            from ..headcounts import headcounts_for_events

            self._headcounts = headcounts_for_events(self.events)
        return self._headcounts[event.pk]


def load_events(pairs: list[tuple[type, int]]) -> list:
    """The specific event pages for ``(model, pk)`` pairs, in that order, one query per
    table, sharing one :class:`EventBatch`."""
    by_model: dict[type, list[int]] = {}
    for model, pk in pairs:
        by_model.setdefault(model, []).append(pk)
    found = {}
    for model, pks in by_model.items():
        for event in model.objects.filter(pk__in=pks):
            found[event.pk] = event
    events = [found[pk] for _model, pk in pairs if pk in found]
    batch = EventBatch(events)
    for event in events:
        event._webinars_batch = batch
    return events


def batch_of(event) -> EventBatch:
    batch = getattr(event, "_webinars_batch", None)
    if batch is None:
        batch = EventBatch([event])
        event._webinars_batch = batch
    return batch


class EventList:
    """A lazy, sliceable list of events for a relay connection: the length costs
    nothing more, a slice loads only its own events."""

    def __init__(self, candidates: list[tuple], descending: bool = False):
        # (start, pk, model), sorted by start then pk.
        self.candidates = sorted(candidates, key=lambda c: (c[0], c[1]), reverse=descending)

    def __len__(self) -> int:
        return len(self.candidates)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return load_events([(model, pk) for _start, pk, model in self.candidates[index]])
        _start, pk, model = self.candidates[index]
        return load_events([(model, pk)])[0]

    def __iter__(self) -> Iterator:
        return iter(self[:])


def find_events(caller: Caller, filters: dict) -> EventList:
    provider_kind = filters.pop("provider_kind", None)
    data = {k: v for k, v in filters.items() if v is not None}
    candidates = []
    for model in event_page_models():
        filterset = EventFilterSet(data, queryset=visible_events(model, caller))
        queryset = filterset.qs.order_by()
        if provider_kind:
            rows = queryset.values_list("start", "pk", "location")
            candidates += [
                (start, pk, model)
                for start, pk, location in rows
                if location and location[0].block_type == provider_kind
            ]
        else:
            candidates += [(start, pk, model) for start, pk in queryset.values_list("start", "pk")]
    return EventList(candidates, descending=bool(data.get("past")))


# -- one event, as the caller may see it ------------------------------------------
def parse_id(value, what: str = "event") -> int:
    """An id from the caller, or a GraphQL error (never a 500) when it is not one."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or number > 2**63 - 1:
        raise GraphQLError(
            _("“%(value)s” is not a valid %(what)s id.") % {"value": str(value)[:40], "what": what},
            extensions={"code": "BAD_ID"},
        )
    return number


def visible_event(info, event_id: int):
    """The event with this id, if the caller may see it; else ``None`` (one query per
    event table; kept for the request, so its questions need no second look-up)."""
    caller = get_caller(info)
    for model in event_page_models():
        event = visible_events(model, caller).filter(pk=event_id).first()
        if event is not None:
            return remember(info, event)
    return None


def remember(info, event):
    batch_of(event)
    cache = getattr(info.context, "__dict__", {}).setdefault("_webinars_events", {})
    cache[event.pk] = event
    return event


def event_by_path(info, url_path: str):
    request = info.context
    site = Site.find_for_request(request) if hasattr(request, "META") else None
    site = site or Site.objects.filter(is_default_site=True).first()
    if site is None:
        return None
    path = "/" + "/".join(part for part in str(url_path).split("/") if part)
    full = site.root_page.url_path.rstrip("/") + path.rstrip("/") + "/"
    caller = get_caller(info)
    for model in event_page_models():
        event = visible_events(model, caller).filter(url_path=full).first()
        if event is not None:
            return remember(info, event)
    return None
