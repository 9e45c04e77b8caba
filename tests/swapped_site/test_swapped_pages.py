"""On a site that swapped Wagtail's base page model: EventPage is built on that model,
and a site's own event page (mixin + base page) takes registrations like ours.

Runs with tests/settings_swapped_page.py (the third step of .ci/run); with the usual
settings Wagtail's Page is not swapped and there is nothing to check here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import swapper
from django.utils import timezone

pytestmark = [
    pytest.mark.skipif(
        not swapper.is_swapped("wagtailcore", "Page"),
        reason="needs WAGTAIL_PAGE_MODEL (run with --ds=tests.settings_swapped_page)",
    ),
    pytest.mark.django_db,
]


def test_event_page_is_built_on_the_swapped_base_page():
    from tests.swapped_page.models import BasePage
    from wagtail_webinars.models import EventPage, page_model

    assert page_model() is BasePage
    assert EventPage._meta.get_parent_list() == [BasePage]
    assert EventPage._meta.pk.name == "basepage_ptr"
    # The site's base page fields are there for event pages too.
    assert EventPage._meta.get_field("audience")


def test_the_sites_own_event_page_takes_registrations(event_index, client):
    from tests.swapped_site.models import CampusEvent
    from wagtail_webinars import registration as service
    from wagtail_webinars.models import Registration, event_page_models, get_event_page

    assert CampusEvent in event_page_models()
    start = timezone.now() + timedelta(days=2)
    event = CampusEvent(
        title="Open day",
        slug="open-day",
        start=start,
        end=start + timedelta(hours=1),
        audience="students",
        location=[("vimeo", {"join_url": "https://vimeo.com/event/1234567"})],
    )
    event_index.add_child(instance=event)
    event.save_revision().publish()

    assert type(get_event_page(event.pk)) is CampusEvent
    service.register(event, email="ada@example.org", first_name="Ada", last_name="L")
    response = client.post(
        event.url, {"first_name": "Bob", "last_name": "B", "email": "bob@example.org"}
    )
    assert response.status_code == 200
    assert Registration.objects.filter(page_id=event.pk).count() == 2
