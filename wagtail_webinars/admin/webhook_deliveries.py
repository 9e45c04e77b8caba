"""Settings > Webhook deliveries: what providers sent and what came of it (event,
times, outcome, a message without personal data), kept ``WEBHOOK_DELIVERY_DAYS``.

Read only, for superusers and users with the "view webhook delivery" permission
(``permissions.DeliveryRecordsPolicy``).
Wired up in ``wagtail_hooks.py``.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import WebhookDelivery


class DeliveryFilterSet(WagtailFilterSet):
    outcome = django_filters.ChoiceFilter(
        label=_("outcome"), choices=WebhookDelivery.Outcome.choices
    )

    class Meta:
        model = WebhookDelivery
        fields = ["outcome", "event_type"]


class WebhookDeliveryViewSet(ModelViewSet):
    model = WebhookDelivery
    icon = "resubmit"
    menu_label = _("Webhook deliveries")
    add_to_settings_menu = True
    url_prefix = "webinars/webhook-deliveries"
    name = "webinar_webhook_deliveries"
    copy_view_enabled = False
    inspect_view_enabled = False
    filterset_class = DeliveryFilterSet
    search_fields = ["meeting_id", "event_type"]
    list_display = [
        Column("received_at", label=_("received at")),
        "event_type",
        "meeting_id",
        Column("occurred_at", label=_("happened at")),
        StatusTagColumn("outcome", label=_("outcome"), accessor="get_outcome_display"),
        "message",
    ]
    list_export = ["received_at", "event_type", "meeting_id", "occurred_at", "outcome", "message"]
    ordering = ["-received_at", "-pk"]
    form_fields = []


webhook_delivery_viewset = WebhookDeliveryViewSet()
