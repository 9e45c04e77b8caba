"""Settings > Webhook deliveries: staff see what providers sent; nobody edits it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from wagtail_webinars.models import WebhookDelivery

pytestmark = pytest.mark.django_db

URL = "/admin/webinars/webhook-deliveries/"


def test_superusers_see_the_deliveries(staff_client):
    WebhookDelivery.objects.create(
        provider="zoom",
        event_type="meeting.participant_joined",
        meeting_id="81234567890",
        outcome=WebhookDelivery.Outcome.PROCESSED,
        message="Registration 4 checked in live.",
    )
    response = staff_client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "meeting.participant_joined" in text and "Registration 4 checked in live." in text
    assert staff_client.get(URL + "new/").status_code in (302, 403)


def test_staff_without_the_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("editor", "e@example.edu", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
    user.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(user)
    assert client.get(URL).status_code == 200
