from datetime import timedelta

import pytest
from django.utils import timezone

from wagtail_webinars.models import WebhookDelivery
from wagtail_webinars.webhooks.retention import purge_deliveries

pytestmark = pytest.mark.django_db


def test_old_delivery_records_are_purged(settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "WEBHOOK_DELIVERY_DAYS": 3}
    now = timezone.now()
    WebhookDelivery.objects.create(provider="zoom", received_at=now - timedelta(days=4))
    kept = WebhookDelivery.objects.create(provider="zoom", received_at=now - timedelta(days=2))
    assert purge_deliveries(now) == 1
    assert list(WebhookDelivery.objects.all()) == [kept]
