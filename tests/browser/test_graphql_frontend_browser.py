"""The example frontend (/frontend/) lists events and registers a visitor over GraphQL,
in a real browser (Chromium via Playwright). Skips, saying why, without Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wagtail_webinars.models import Registration

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_frontend_lists_events_and_registers(live_server, make_event, page):
    event = make_event(kind="vimeo", title="Data Science 101", capacity=10)
    make_event(title="Closed talk", registration_closes=timezone.now() - timedelta(minutes=1))
    make_event(title="Last year", start=timezone.now() - timedelta(days=365))

    page.goto(live_server.url + "/frontend/")
    page.get_by_role("link", name="Data Science 101").wait_for()
    assert page.locator("#events li").count() == 2  # not the past event
    assert page.get_by_text("Registration for this event has closed.").is_visible()
    assert page.get_by_text("10 places left").is_visible()
    # Only open events can be picked.
    assert page.locator("#event option").all_inner_texts() == ["Data Science 101"]

    # Field errors from the API appear next to their fields.
    page.fill("#firstName", "Ada")
    page.fill("#email", "not an email")
    page.get_by_role("button", name="Register").click()
    page.locator("#email-error").filter(has_text="valid email").wait_for()
    assert page.locator("#lastName-error").inner_text() != ""
    assert Registration.objects.count() == 0

    page.fill("#firstName", "Ada")
    page.fill("#lastName", "Lovelace")
    page.fill("#email", "ada@example.org")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("Thank you for registering.").wait_for()
    registration = Registration.objects.get()
    assert registration.page_id == event.pk
    assert registration.email == "ada@example.org"
    assert registration.source == Registration.Source.API
    assert page.locator("#email-error").inner_text() == ""
