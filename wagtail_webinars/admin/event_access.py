"""Which events a user may see or act on in the report views, through the one
Registration permission policy; and the door list's search of one event's people."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from ..models import Registration, event_page_models, get_event_page
from ..permissions import registration_policy


def events_for_user(user, action: str = "view") -> list:
    """Specific event pages whose registrations ``user`` may ``action``, newest first.

    One query per event page model (``event_page_models()`` lists each table once).
    """
    allowed = registration_policy.events_for_user(user, action)
    events = []
    for model in event_page_models():
        events.extend(model._default_manager.filter(pk__in=allowed))
    events.sort(key=lambda event: (event.start, event.pk), reverse=True)
    return events


def get_event_for_user(user, event_id: int, action: str = "view"):
    """The specific event page, or 404 (no such event) / 403 (not allowed)."""
    event = get_event_page(event_id)
    if event is None:
        raise Http404
    if not registration_policy.user_can_for_event(user, action, event):
        raise PermissionDenied
    return event


def registrations_matching(event, query: str, limit: int = 20):
    """Active registrations of ``event`` whose name or email contains ``query``."""
    qs = Registration.objects.active().filter(page_id=event.pk)
    for word in query.split():
        qs = qs.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return qs.order_by("last_name", "first_name", "pk")[:limit]
