"""A host project's own event page (built from AbstractEventPage) takes registrations
through the same service, the page form and the staff admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.host_site.factories import make_host_event
from tests.host_site.models import CampusEventPage
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration


@pytest.fixture
def campus_event(event_index):
    return make_host_event(
        CampusEventPage,
        event_index,
        kind="vimeo",
        start=timezone.now() + timedelta(days=2),
        capacity=1,
    )


def test_service_registers_and_enforces_capacity(campus_event):
    result = service.register(
        campus_event, email="ada@example.org", first_name="Ada", last_name="L"
    )
    assert result.created
    with pytest.raises(service.RegistrationRefused) as refused:
        service.register(campus_event, email="bob@example.org", first_name="Bob", last_name="B")
    assert refused.value.code == "full"


def test_visitor_registers_on_the_page(client, campus_event):
    response = client.post(
        campus_event.url, {"first_name": "Ada", "last_name": "L", "email": "ada@example.org"}
    )
    assert response.status_code == 200
    assert Registration.objects.get().page_id == campus_event.pk


def test_staff_add_offers_and_accepts_the_host_event(staff_client, campus_event, make_event):
    ours = make_event(kind="vimeo")
    add_url = reverse("wagtail_webinars_registrations:add")
    html = staff_client.get(add_url).content.decode()
    assert f'value="{campus_event.pk}"' in html
    assert f'value="{ours.pk}"' in html
    response = staff_client.post(
        add_url,
        {
            "page": campus_event.pk,
            "first_name": "Ada",
            "last_name": "L",
            "email": "ada@example.org",
        },
    )
    assert response.status_code == 302
    assert Registration.objects.get().page_id == campus_event.pk
