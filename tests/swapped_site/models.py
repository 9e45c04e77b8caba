"""Pages on the swapped base page (test-only)."""

from __future__ import annotations

from django.db import models
from modelcluster.fields import ParentalKey

from tests.swapped_page.models import BasePage
from wagtail_webinars.models import AbstractRegistrationFormField, EventFieldsMixin


class HomePage(BasePage):
    template = "swapped_site/page.html"


class EventIndexPage(BasePage):
    template = "swapped_site/page.html"
    subpage_types = ["wagtail_webinars.EventPage", "swapped_site.CampusEvent"]


class CampusEvent(EventFieldsMixin, BasePage):
    """An event page the site builds from the mixin and its own base page."""

    content_panels = [*BasePage.content_panels, *EventFieldsMixin.event_panels]


class CampusEventFormField(AbstractRegistrationFormField):
    page = ParentalKey(CampusEvent, on_delete=models.CASCADE, related_name="form_fields")
