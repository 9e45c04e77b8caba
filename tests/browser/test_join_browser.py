"""The reminder's tracked join link in a real browser.

A person's browser runs the page's script, which submits the join button by
itself: that POST is the click, and for a link-only event it checks them in. A
client that runs no script (like a mail scanner fetching the link) only opens it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wagtail_webinars import links
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ZOOM_URL = "https://example.zoom.us/j/85512345678?pwd=abc"


@pytest.fixture
def join_url(live_server, make_event):
    event = make_event(
        kind="zoom_meeting_link",
        start=timezone.now() + timedelta(minutes=5),  # inside the attendance window
    )
    registration = service.register(
        event, email="grace@example.org", first_name="Grace", last_name="Hopper"
    ).registration
    token = links.make_token(registration, links.JOIN)
    return live_server.url + reverse("wagtail_webinars:join", kwargs={"token": token})


def stub_zoom(context):
    # No internet here: answer for Zoom so the redirect's destination loads.
    context.route(
        "https://example.zoom.us/**",
        lambda route: route.fulfill(status=200, body="<h1>Zoom stand-in page</h1>"),
    )


def test_a_person_is_sent_on_by_script_and_checked_in(browser, join_url):
    context = browser.new_context()
    # Playwright marks its browser as automated (navigator.webdriver), which the
    # page treats as a robot; a person's browser is not marked.
    context.add_init_script("Object.defineProperty(navigator, 'webdriver', {get: () => false})")
    stub_zoom(context)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(join_url)
    page.wait_for_url(ZOOM_URL)
    assert "Zoom stand-in page" in page.content()

    registration = Registration.objects.get()
    assert registration.join_opened_at is not None
    assert registration.join_click_count == 1
    assert registration.checked_in_at is not None
    assert registration.checkin_source == Registration.CheckinSource.EMAIL_CLICK
    context.close()


def test_a_client_without_script_only_opens_until_the_button_is_pressed(browser, join_url):
    context = browser.new_context(java_script_enabled=False)
    stub_zoom(context)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(join_url)
    registration = Registration.objects.get()
    assert registration.join_opened_at is not None
    assert registration.join_click_count == 0
    assert registration.checked_in_at is None

    page.get_by_role("button").first.click()
    page.wait_for_url(ZOOM_URL)
    registration.refresh_from_db()
    assert registration.join_click_count == 1
    assert registration.checked_in_at is not None
    context.close()
