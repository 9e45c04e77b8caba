"""Signed tokens and absolute URLs for the links in emails."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from tests.factories import RegistrationFactory, root_page
from wagtail_webinars import links
from wagtail_webinars.models import get_event_page

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
    other_home = root_page().add_child(title="Other", slug="other-home")
    Site.objects.create(hostname="other.example", port=443, root_page=other_home)
    event = get_event_page(event.pk)  # Wagtail caches site roots per page
    assert links.page_url(event) == f"http://testserver/events/{event.slug}/"
    assert links.absolute_url(event, "wagtail_webinars:cancel", token="t") == (
        "http://testserver/events/cancel/t/"
    )


# -- links that expire, and a version to withdraw them (issue 9 #10) ------------------


def test_tokens_carry_the_registrations_link_version(registration):
    from django.core import signing

    token = links.make_token(registration, links.CANCEL)
    assert signing.loads(token, salt=links.CANCEL) == f"{registration.uid.hex}.0"
    # Links mailed before versions existed (the bare uid) read as version 0.
    legacy = signing.dumps(registration.uid.hex, salt=links.CANCEL, compress=False)
    assert links.read_token(legacy, links.CANCEL) == registration


def test_withdrawing_an_events_links_invalidates_every_outstanding_one(make_event):
    event = make_event(kind="vimeo")
    mine = RegistrationFactory.create_batch(2, page=event)
    other = RegistrationFactory(page=make_event(kind="vimeo"))
    old = {r.pk: links.make_token(r, links.JOIN) for r in [*mine, other]}
    assert links.withdraw_event_links(event) == 2
    for registration in mine:
        check = links.check_token(old[registration.pk], links.JOIN)
        assert check.problem == links.WITHDRAWN and check.registration is None
        fresh = type(registration).objects.get(pk=registration.pk)
        assert links.check_token(links.make_token(fresh, links.JOIN), links.JOIN).registration
    assert links.check_token(old[other.pk], links.JOIN).registration == other


def test_expiry_per_purpose(make_event, settings):
    from datetime import timedelta

    event = make_event(kind="vimeo")
    registration = RegistrationFactory(page=event)
    cancel = links.make_token(registration, links.CANCEL)
    join = links.make_token(registration, links.JOIN)
    before_end = event.end - timedelta(seconds=1)
    assert links.check_token(cancel, links.CANCEL, now=before_end).problem == ""
    assert links.check_token(cancel, links.CANCEL, now=event.end).problem == links.EXPIRED
    days = timedelta(days=7)  # JOIN_LINK_DAYS_AFTER_END's default
    assert links.check_token(join, links.JOIN, now=event.end + days - timedelta(seconds=1))
    assert links.check_token(join, links.JOIN, now=event.end + days).problem == links.EXPIRED
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "JOIN_LINK_DAYS_AFTER_END": 1}
    check = links.check_token(join, links.JOIN, now=event.end + timedelta(days=1))
    assert check.problem == links.EXPIRED
    assert check.registration == registration  # the page still names the event
