"""Webhook delivery records are kept ``WEBHOOK_DELIVERY_DAYS`` days (a daily schedule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ..conf import get_setting
from ..models import WebhookDelivery


def purge_deliveries(now: datetime | None = None) -> int:
    """Delete delivery records older than the setting; returns how many went."""
    days = get_setting("WEBHOOK_DELIVERY_DAYS")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _per_model = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
