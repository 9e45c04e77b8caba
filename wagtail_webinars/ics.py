"""Calendar attachments (.ics) for confirmation and reminder emails."""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import strip_tags
from icalendar import Calendar, Event

from .models import EventPage, Registration
from .urls_util import site_domain


def build_ics(event: EventPage, registration: Registration, *, join_url: str = "") -> bytes:
    """One VEVENT whose UID is stable per registration, so updates replace it in calendars."""
    cal = Calendar()
    cal.add("prodid", "-//wagtail-webinars//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", f"registration-{registration.uid}@{site_domain(event)}")
    vevent.add("summary", event.title)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("dtstamp", timezone.now())
    # A later revision of the page (a moved event) must win in calendars.
    vevent.add("sequence", event.latest_revision_id or 0)
    description = strip_tags(event.description or "").strip()
    if join_url:
        description = f"{description}\n\n{join_url}".strip()
        vevent.add("url", join_url)
    if description:
        vevent.add("description", description)
    location = join_url or event.venue
    if location:
        vevent.add("location", location)
    if registration.status == Registration.Status.CANCELLED:
        vevent.add("status", "CANCELLED")
    cal.add_component(vevent)
    return cal.to_ical()
