"""Event pages a host project might define (test-only)."""

from __future__ import annotations

from django.db import models
from modelcluster.fields import ParentalKey

from wagtail_webinars.models import AbstractEventPage, AbstractRegistrationFormField, EventPage


class CampusEventPage(AbstractEventPage):
    """Built from the abstract page: its event fields live in its own table."""

    department = models.CharField(max_length=100, blank=True)


class CampusEventFormField(AbstractRegistrationFormField):
    # AbstractEventPage's editor has an inline panel for the page's "form_fields".
    page = ParentalKey(CampusEventPage, on_delete=models.CASCADE, related_name="form_fields")


class SeminarPage(EventPage):
    """Extends the app's EventPage: its event fields live in EventPage's table."""

    speaker = models.CharField(max_length=100, blank=True)
