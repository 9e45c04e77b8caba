"""A visitor registers, cancels and comes back, in a real browser (Chromium via Playwright).

Uses Debian's Chromium (``/usr/bin/chromium``); the module skips, saying why,
when it or the ``playwright`` package is missing. Never ``playwright install``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail

from wagtail_webinars.models import Registration

SCREENSHOT = Path("/tmp/wagtail-webinars-registration.png")

pytestmark = [
    pytest.mark.live,
    # live_server needs committed data; serialized_rollback keeps Wagtail's root page.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fill_with_keyboard(page, first_name, last_name, email):
    page.locator("#id_first_name").focus()
    for text in (first_name, last_name, email):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    # The honeypot is skipped by Tab: the next stop is the button.
    assert page.evaluate("document.activeElement.type") == "submit"
    assert page.evaluate("document.activeElement.textContent.trim()") == "Register"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def link_path(message, name: str) -> str:
    match = re.search(rf"https?://\S+/events/{name}/\S+/", message.body)
    assert match, message.body
    return urlsplit(match.group(0)).path


def cancel_link(message) -> str:
    return link_path(message, "cancel")


def test_register_cancel_and_come_back(live_server, make_event, page, settings):
    # The duplicate below comes seconds after the first: lift the resend throttle.
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "CONFIRMATION_RESEND_SECONDS": 0}
    event = make_event(kind="vimeo", title="Data Science 101", capacity=10)
    event_url = live_server.url + event.url

    # Register with the keyboard only.
    page.goto(event_url)
    assert page.locator("h1").inner_text() == "Data Science 101"
    assert page.get_by_text("10 places left.").is_visible()
    fill_with_keyboard(page, "Ada", "Lovelace", "Ada@Example.org")
    page.get_by_text("Check your inbox").wait_for()
    first_answer = page.get_by_role("status").inner_text()

    registration = Registration.objects.get()
    assert registration.email == "ada@example.org"
    assert registration.is_active
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]

    # The same email again: the page answers the same (nobody learns who is
    # registered); the email says what happened.
    page.goto(event_url)
    fill_with_keyboard(page, "Ada", "Lovelace", "ada@example.org")
    page.get_by_text("Check your inbox").wait_for()
    assert page.get_by_role("status").inner_text() == first_answer
    assert Registration.objects.count() == 1
    assert len(mail.outbox) == 2
    assert "You were already registered" in mail.outbox[1].body

    # An invalid email: the error summary appears, nothing is saved.
    page.goto(event_url)
    fill_with_keyboard(page, "Bob", "Builder", "not-an-email")
    summary = page.get_by_role("alert")
    summary.wait_for()
    assert "Please correct the problems below." in summary.inner_text()
    assert "Enter a valid email address." in summary.inner_text()
    # Focus moved to the summary, so keyboard and screen-reader users land on it.
    assert page.evaluate("document.activeElement.className") == "webinars-errors"
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(SCREENSHOT), full_page=True)  # for a person to look at
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_email"
    assert Registration.objects.count() == 1

    # The cancel link from the confirmation: GET only asks, the button cancels.
    page.goto(live_server.url + cancel_link(mail.outbox[0]))
    page.get_by_text("Ada, do you want to cancel your registration?").wait_for()
    registration.refresh_from_db()
    assert registration.is_active
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, cancel my registration").click()
    page.get_by_text("Your registration is cancelled.").wait_for()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED

    # Register again from the form: the same answer, and only the signed link in
    # the email brings the same row back to life (GET asks, the button confirms).
    page.goto(event_url)
    fill_with_keyboard(page, "Ada", "Lovelace", "ada@example.org")
    page.get_by_text("Check your inbox").wait_for()
    assert page.get_by_role("status").inner_text() == first_answer
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert len(mail.outbox) == 3
    page.goto(live_server.url + link_path(mail.outbox[2], "reregister"))
    page.get_by_text("Register Ada Lovelace again for this event?").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, register me again").click()
    page.get_by_text("You are registered again.").wait_for()
    assert Registration.objects.count() == 1
    again = Registration.objects.get()
    assert again.pk == registration.pk
    assert again.is_active
    assert len(mail.outbox) == 4
