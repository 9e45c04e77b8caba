"""Load the demo content: a home page, an events index, one event per provider
kind, a contact form page, and a superuser. Safe to run again: it only adds what is missing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from example_site.home.models import ContactFormField, ContactPage, EventIndexPage, HomePage
from wagtail_webinars.models import EventPage

DEMO_USER = ("admin", "admin")

# Meeting and webinar ids the Zoom stand-in knows about (see zoom_standin).
DEMO_ZOOM_MEETING_ID = "81234567890"
DEMO_ZOOM_WEBINAR_ID = "91234567890"
#: A weekly meeting (type 8); the demo event is its second occurrence.
DEMO_ZOOM_RECURRING_ID = "81234567891"


def demo_events(now):
    soon = (now + timedelta(minutes=90)).replace(second=0, microsecond=0)
    tomorrow = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    week = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    # The stand-in's weekly meeting starts a week from now, on the hour (seed.py), and
    # its occurrence IDs are their start times in milliseconds, as Zoom's are.
    office_hours = week + timedelta(days=7)
    return [
        {
            "title": "Weekly office hours, week 2 (one occurrence of a recurring Zoom meeting)",
            "slug": "office-hours-week-2",
            "start": office_hours,
            "location": [
                (
                    "zoom_meeting",
                    {
                        "meeting_id": DEMO_ZOOM_RECURRING_ID,
                        "occurrence_id": str(int(office_hours.timestamp() * 1000)),
                    },
                )
            ],
            "description": "<p>One date of a weekly meeting: registrants are added to "
            "this occurrence only, and its start time comes from Zoom.</p>",
        },
        {
            "title": "Alumni town hall (managed Zoom meeting)",
            "slug": "alumni-town-hall",
            "start": tomorrow,
            "location": [("zoom_meeting", {"meeting_id": DEMO_ZOOM_MEETING_ID})],
            "description": "<p>Registrants are pushed to Zoom automatically.</p>",
        },
        {
            "title": "Research showcase (managed Zoom webinar)",
            "slug": "research-showcase",
            "start": week,
            "location": [("zoom_webinar", {"meeting_id": DEMO_ZOOM_WEBINAR_ID})],
            "description": "<p>A managed webinar: personal join links come from Zoom.</p>",
            "capacity": 100,
        },
        {
            "title": "Career coffee chat (Zoom link, starts soon)",
            "slug": "career-coffee-chat",
            "start": soon,
            "location": [
                (
                    "zoom_meeting_link",
                    {
                        "meeting_id": "85512345678",
                        "join_url": "https://example.zoom.us/j/85512345678?pwd=demo",
                        "password": "coffee",
                    },
                )
            ],
            "description": "<p>Starts within two hours: registrants get the reminder "
            "within a minute.</p>",
        },
        {
            "title": "Dean's lecture (Zoom webinar link)",
            "slug": "deans-lecture",
            "start": week + timedelta(days=1),
            "location": [
                (
                    "zoom_webinar_link",
                    {
                        "meeting_id": "96612345678",
                        "join_url": "https://example.zoom.us/w/96612345678?tk=demo",
                        "password": "lecture",
                    },
                )
            ],
            "description": "<p>An unmanaged webinar: a click on the reminder checks you in.</p>",
        },
        {
            "title": "Homecoming livestream (Vimeo)",
            "slug": "homecoming-livestream",
            "start": week + timedelta(days=2),
            "location": [("vimeo", {"join_url": "https://vimeo.com/event/1234567"})],
            "description": "<p>Streamed on Vimeo.</p>",
            "venue": "Main Hall, 1 College Green",
        },
    ]


class Command(BaseCommand):
    help = "Load demo content (idempotent) and print the admin login."

    @transaction.atomic
    def handle(self, *args, **options):
        root = Page.get_first_root_node()
        home = HomePage.objects.first()
        if home is None:
            home = HomePage(
                title="Example University",
                slug="example-home",
                intro="<p>Virtual events, run end to end by wagtail-webinars.</p>",
            )
            root.add_child(instance=home)
            site = Site.objects.filter(is_default_site=True).first()
            old_root = site.root_page if site else None
            base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
            if site is None:
                site = Site(is_default_site=True)
            # Links in emails are built from the site's root URL: match the demo's address.
            site.hostname = base.hostname or "127.0.0.1"
            site.port = base.port or (443 if base.scheme == "https" else 80)
            site.root_page = home
            site.site_name = "Example University Events"
            site.save()
            if old_root is not None and old_root.pk != home.pk and old_root.depth == 2:
                old_root.delete()
        index = EventIndexPage.objects.first()
        if index is None:
            index = EventIndexPage(title="Events", slug="events-index")
            home.add_child(instance=index)
        now = timezone.now()
        created = 0
        for spec in demo_events(now):
            if EventPage.objects.filter(slug=spec["slug"]).exists():
                continue
            event = EventPage(
                title=spec["title"],
                slug=spec["slug"],
                start=spec["start"],
                end=spec["start"] + timedelta(hours=1),
                description=spec["description"],
                reply_to="events@example.edu",
                location=spec["location"],
                capacity=spec.get("capacity"),
                venue=spec.get("venue", ""),
            )
            index.add_child(instance=event)
            event.save_revision().publish()
            created += 1
        if not ContactPage.objects.exists():
            add_contact_page(home)
        User = get_user_model()
        username, password = DEMO_USER
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username, "admin@example.edu", password)
        self.stdout.write(f"Demo content ready ({created} events added).")
        self.stdout.write(f"Admin login: {username} / {password}")


def add_contact_page(home) -> ContactPage:
    """A plain Wagtail form page beside the events (benchmarks/load.py compares
    a registration with a submission of it)."""
    page = ContactPage(
        title="Contact us",
        slug="contact",
        intro="<p>Questions about an event? Write to the events office.</p>",
        thank_you_text="<p>Thank you: we will answer within two working days.</p>",
        to_address="events@example.edu",
        from_address="events@example.edu",
        subject="A message from the contact form",
    )
    for order, (label, field_type) in enumerate(
        (("Your name", "singleline"), ("Your email", "email"), ("Message", "multiline"))
    ):
        page.form_fields.add(
            ContactFormField(sort_order=order, label=label, field_type=field_type, required=True)
        )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page
