"""Test data builders. Events are real, published Wagtail pages under a real site."""

from __future__ import annotations

from datetime import timedelta

import factory
import swapper
from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from wagtail.models import GroupPagePermission, Locale, Site

from wagtail_webinars.models import EventPage, Registration, page_model

if swapper.is_swapped("wagtailcore", "Page"):
    # tests/settings_swapped_page.py: the site's own pages, on its own base page.
    from tests.swapped_site.models import EventIndexPage, HomePage
else:
    from example_site.home.models import EventIndexPage, HomePage

LOCATIONS = {
    "zoom_meeting": {"meeting_id": "81234567890", "join_url": "", "password": ""},
    "zoom_webinar": {"meeting_id": "91234567890", "join_url": "", "password": ""},
    "zoom_meeting_link": {
        "meeting_id": "85512345678",
        "join_url": "https://example.zoom.us/j/85512345678?pwd=abc",
        "password": "abc123",
    },
    "zoom_webinar_link": {
        "meeting_id": "96612345678",
        "join_url": "https://example.zoom.us/w/96612345678",
        "password": "xyz789",
    },
    "vimeo": {"join_url": "https://vimeo.com/event/1234567"},
    "microsoft_teams": {
        "join_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_N2Q%40thread.v2/0"
    },
}


def page_permission(action: str) -> Permission:
    """The page permission for ``action`` ("add", "change", "publish", ...) of the site's
    base page model: ``wagtailcore.change_page``, or ``change_basepage`` of a swapped one."""
    Page = page_model()
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Page),
        codename=get_permission_codename(action, Page._meta),
    )


def root_page():
    """Wagtail's root page. Made here when no migration made it (the swapped-Page run),
    with the "Editors" and "Moderators" groups Wagtail's data migrations create."""
    Page = page_model()
    root = Page.get_first_root_node()
    if root is None:
        locale, _ = Locale.objects.get_or_create(
            language_code=get_supported_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        _default_groups(root)
    return root


def _default_groups(root) -> None:
    # As wagtailcore's 0002_initial_data and wagtailadmin's admin-access migration do.
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for name, actions in (
        ("Moderators", ("add", "change", "publish")),
        ("Editors", ("add", "change")),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin)
        for action in actions:
            GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=page_permission(action)
            )


def make_site() -> Site:
    root = root_page()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(title="Home", slug="test-home")
        root.add_child(instance=home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname="testserver", port=80, root_page=home, is_default_site=True
        )
    else:
        site.hostname, site.port, site.root_page = "testserver", 80, home
        site.save()
    return site


def make_event_index(site: Site) -> EventIndexPage:
    index = EventIndexPage.objects.first()
    if index is None:
        index = EventIndexPage(title="Events", slug="events")
        site.root_page.add_child(instance=index)
    return index


_counter = iter(range(1, 10**9))


def make_event(
    parent=None, kind: str = "zoom_meeting_link", location: dict | None = None, **fields
) -> EventPage:
    """A published event, by default starting in 3 days, lasting an hour."""
    if parent is None:
        parent = make_event_index(make_site())
    n = next(_counter)
    start = fields.pop("start", timezone.now() + timedelta(days=3))
    values = {
        "title": f"Event {n}",
        "slug": f"event-{n}",
        "start": start,
        "end": fields.pop("end", start + timedelta(hours=1)),
        "description": "<p>About the event.</p>",
        "reply_to": "organiser@example.edu",
        **fields,
    }
    event = EventPage(location=[(kind, location or dict(LOCATIONS[kind]))], **values)
    parent.add_child(instance=event)
    event.save_revision().publish()
    event.refresh_from_db()
    return event


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A row written directly (no service, no tasks): for tests that need many rows fast."""

    class Meta:
        model = Registration

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    form_data = factory.LazyAttribute(
        lambda o: {"first_name": o.first_name, "last_name": o.last_name, "email": o.email}
    )
    # A registrant the provider holds comes with its personal join link (Zoom gives one
    # to every approved registrant; the sync never marks one Synced without it).
    provider_join_url = factory.LazyAttribute(
        lambda o: (
            f"https://zoom.test/w/1?tk={o.provider_registrant_id}"
            if getattr(o, "provider_registrant_id", "")
            else ""
        )
    )
