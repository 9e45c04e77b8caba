"""Calendar attachments (.ics) for confirmation and reminder emails."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from . import links
from .models import EventPageMixin, Registration
from .templatetags.webinars_text import richtext_as_text


def build_ics(
    event: EventPageMixin,
    registration: Registration,
    *,
    join_url: str = "",
    event_url: str = "",
    description: str | None = None,
) -> bytes:
    """One VEVENT whose UID is stable per registration, so updates replace it in calendars.

    Every event gets URL (the event page), LOCATION (the join link once the
    reminder has it, else the venue, else the event page: an online event's
    place is its page until then) and DESCRIPTION (the event's text, then the
    links). ``event_url`` and ``description`` (plain text) come from the email's
    context when it has them already.
    """
    event_url = event_url or links.page_url(event)
    if description is None:
        description = richtext_as_text(event.description)
    cal = Calendar()
    cal.add("prodid", "-//wagtail-webinars//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", f"registration-{registration.uid}@{links.site_domain(event)}")
    vevent.add("summary", event.title)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("dtstamp", timezone.now())
    # A later revision of the page (a moved event) must win in calendars.
    vevent.add("sequence", event.latest_revision_id or 0)
    vevent.add("url", event_url)
    parts = [description.strip()]
    if join_url:
        parts.append(_("Join the event: %(url)s") % {"url": join_url})
    parts.append(_("Event page: %(url)s") % {"url": event_url})
    vevent.add("description", "\n\n".join(part for part in parts if part))
    vevent.add("location", join_url or event.venue or event_url)
    if registration.status == Registration.Status.CANCELLED:
        vevent.add("status", "CANCELLED")
    cal.add_component(vevent)
    return cal.to_ical()
