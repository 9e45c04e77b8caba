"""Signed tokens and absolute URLs for the links in emails."""

from __future__ import annotations

import pytest
from wagtail.models import Page, Site

from tests.factories import RegistrationFactory
from wagtail_webinars import links

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(make_event):
    return RegistrationFactory(page=make_event(kind="vimeo"))


def test_tokens_are_per_purpose(registration):
    cancel = links.make_token(registration, links.CANCEL)
    assert links.read_token(cancel, links.CANCEL) == registration
    assert links.read_token(cancel, links.JOIN) is None
    assert links.read_token(cancel + "x", links.CANCEL) is None


def test_signed_urls_are_absolute_on_the_events_site(registration):
    cancel = links.cancel_url(registration)
    join = links.join_url(registration)
    assert cancel.startswith("http://testserver/events/cancel/")
    assert join.startswith("http://testserver/events/join/")
    assert links.read_token(cancel.split("/")[-2], links.CANCEL) == registration
    assert links.read_token(join.split("/")[-2], links.JOIN) == registration


def test_page_url_is_the_full_url_with_one_site_or_several(registration):
    event = registration.page.specific
    assert links.page_url(event) == f"http://testserver/events/{event.slug}/"
    other_home = Page.get_first_root_node().add_child(title="Other", slug="other-home")
    Site.objects.create(hostname="other.example", port=443, root_page=other_home)
    event = Page.objects.get(pk=event.pk).specific  # Wagtail caches site roots per page
    assert links.page_url(event) == f"http://testserver/events/{event.slug}/"
    assert links.absolute_url(event, "wagtail_webinars:cancel", token="t") == (
        "http://testserver/events/cancel/t/"
    )
