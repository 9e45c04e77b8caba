"""The admin home's "Events" panel: upcoming events with their registration counts,
recent events with their attendance. Registered in ``wagtail_hooks.py``.

Only events whose registrations the user may see (the one permission policy);
a fixed number of queries whatever the number of events or registrations.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..models import event_page_models
from ..permissions import registration_policy
from ..webhooks import notices
from .headcount_names import EVENT_LIST_URL_NAME, EVENT_REPORT_URL_NAME
from .report_cells import provider_label, rate_text

#: Events shown in each list of the panel.
PANEL_EVENTS = 5


def _events(user, upcoming: bool, limit: int) -> list:
    """Events the user may see, soonest upcoming first, or most recently ended first."""
    allowed = registration_policy.events_for_user(user, "view")
    now = timezone.now()
    events = []
    for model in event_page_models():
        qs = model._default_manager.filter(pk__in=allowed)
        if upcoming:
            qs = qs.filter(end__gt=now).order_by("start", "pk")
        else:
            qs = qs.filter(end__lte=now).order_by("-end", "-pk")
        events.extend(qs[:limit])
    if upcoming:
        events.sort(key=lambda e: (e.start, e.pk))
    else:
        events.sort(key=lambda e: (e.end, e.pk), reverse=True)
    return events[:limit]


class EventsPanel(Component):
    name = "webinars_events"
    template_name = "wagtail_webinars/admin/dashboard_panel.html"
    order = 150

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        from .. import headcounts

        context = super().get_context_data(parent_context)
        upcoming = _events(self.user, True, PANEL_EVENTS)
        recent = _events(self.user, False, PANEL_EVENTS)
        figures = headcounts.headcounts_for_events([*upcoming, *recent])
        warnings = notices.deleted_warnings([*upcoming, *recent])
        rows = []
        for event in [*upcoming, *recent]:
            headcount = figures[event.pk]
            rows.append(
                {
                    "event": event,
                    "headcount": headcount,
                    "provider": provider_label(event),
                    "rate": rate_text(headcount.attendance_rate),
                    "report_url": reverse(EVENT_REPORT_URL_NAME, args=[event.pk]),
                    "meeting_warning": warnings.get(event.pk, ""),
                }
            )
        context.update(
            upcoming=rows[: len(upcoming)],
            recent=rows[len(upcoming) :],
            all_url=reverse(EVENT_LIST_URL_NAME),
        )
        return context


def panel_for(request):
    """The panel, or ``None`` when the user may not see any registrations."""
    if not registration_policy.user_has_permission(request.user, "view"):
        return None
    return EventsPanel(request.user)
