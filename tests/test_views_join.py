"""The tracked join link as a browser (or a mail scanner) sees it."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

import pytest
import time_machine
from django.test import Client

from tests.factories import RegistrationFactory
from wagtail_webinars import links
from wagtail_webinars.models import Registration

NY = zoneinfo.ZoneInfo("America/New_York")
START = datetime(2026, 6, 10, 14, 0, tzinfo=NY)
END = datetime(2026, 6, 10, 15, 0, tzinfo=NY)
MEETING = "https://example.zoom.us/j/85512345678?pwd=abc"


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def browser(db):
    """A client that enforces CSRF like a real deployment."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def link_event(make_event):
    return make_event(kind="zoom_meeting_link", title="Coffee chat", start=START, end=END)


def join_url(registration) -> str:
    return f"/events/join/{links.make_token(registration, links.JOIN)}/"


def csrf_from(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def row(registration):
    return Registration.objects.get(pk=registration.pk)


def test_get_records_opened_only_and_offers_a_post(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 10, 13, 55), tick=False):
        response = browser.get(join_url(registration))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post" id="webinars-join-form">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "document.getElementById(&quot;webinars-join-form&quot;)" not in html
    assert 'document.getElementById("webinars-join-form").submit()' in html  # auto-join
    assert MEETING not in html  # the meeting is reached only by the POST
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    saved = row(registration)
    assert saved.join_opened_at == ny(2026, 6, 10, 13, 55)
    assert saved.join_click_count == 0
    assert saved.join_clicked_at is None
    assert saved.checked_in_at is None


def test_post_is_the_click_and_checks_in_unmanaged(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    url = join_url(registration)
    with time_machine.travel(ny(2026, 6, 10, 14, 3), tick=False):
        page = browser.get(url)
        response = browser.post(url, {"csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 303
    assert response["Location"] == MEETING
    assert response["Referrer-Policy"] == "same-origin"
    saved = row(registration)
    assert saved.join_click_count == 1
    assert saved.join_clicked_at == ny(2026, 6, 10, 14, 3)
    assert saved.checked_in_at == ny(2026, 6, 10, 14, 3)
    assert saved.checkin_source == "email_click"


def test_post_without_csrf_token_is_refused(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 10, 14, 3), tick=False):
        response = browser.post(join_url(registration))
    assert response.status_code == 403
    assert row(registration).join_click_count == 0


def test_before_window_says_when_and_still_offers_the_link(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    url = join_url(registration)
    with time_machine.travel(ny(2026, 6, 10, 11, 0), tick=False):
        page = browser.get(url)
        html = page.content.decode()
        assert "The event starts Wednesday 10 June 2026, 14:00 EDT" in html
        assert '<form method="post" id="webinars-join-form">' in html
        assert ".submit()" not in html  # no auto-join this early
        response = browser.post(url, {"csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 303
    assert response["Location"] == MEETING
    saved = row(registration)
    assert saved.join_click_count == 1
    assert saved.checked_in_at is None  # not attendance


def test_after_the_end_says_it_is_over(browser, client, link_event):
    registration = RegistrationFactory(page=link_event)
    url = join_url(registration)
    with time_machine.travel(ny(2026, 6, 10, 15, 0), tick=False):
        page = browser.get(url)
        html = page.content.decode()
        assert "This event is over. It ended Wednesday 10 June 2026, 15:00 EDT." in html
        assert "<form" not in html
        response = client.post(url)
    assert response.status_code == 200
    assert "This event is over" in response.content.decode()
    saved = row(registration)
    assert (saved.join_click_count, saved.checked_in_at) == (0, None)


def test_cancelled_registration_is_told_and_offered_nothing(browser, client, link_event):
    registration = RegistrationFactory(page=link_event, status="cancelled")
    url = join_url(registration)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        page = browser.get(url)
        html = page.content.decode()
        assert "Your registration for this event is cancelled" in html
        assert "<form" not in html
        assert MEETING not in html
        response = client.post(url)
    assert response.status_code == 200
    assert "Your registration for this event is cancelled" in response.content.decode()
    saved = row(registration)
    assert (saved.join_opened_at, saved.join_click_count, saved.checked_in_at) == (None, 0, None)


def test_managed_zoom_redirects_to_personal_link_without_check_in(browser, make_event):
    event = make_event(
        kind="zoom_webinar",
        start=START,
        end=END,
        location={"meeting_id": "91234567890", "join_url": "https://zoom.test/w/9", "password": ""},
    )
    personal = RegistrationFactory(page=event, provider_join_url="https://zoom.test/w/9?tk=me")
    plain = RegistrationFactory(page=event)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        for registration, target in (
            (personal, "https://zoom.test/w/9?tk=me"),
            (plain, "https://zoom.test/w/9"),
        ):
            url = join_url(registration)
            page = browser.get(url)
            response = browser.post(url, {"csrfmiddlewaretoken": csrf_from(page)})
            assert response["Location"] == target
            saved = row(registration)
            assert saved.join_clicked_at == ny(2026, 6, 10, 14, 0)
            assert saved.checked_in_at is None


def test_missing_meeting_link_is_explained(browser, client, make_event):
    event = make_event(
        kind="zoom_meeting",
        start=START,
        end=END,
        reply_to="host@example.edu",
        location={"meeting_id": "81234567890", "join_url": "", "password": ""},
    )
    registration = RegistrationFactory(page=event)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        page = browser.get(join_url(registration))
        html = page.content.decode()
        assert "The link to join is not available yet." in html
        assert "host@example.edu" in html
        assert "<form" not in html
        response = client.post(join_url(registration))
    assert response.status_code == 200
    assert row(registration).join_click_count == 0


def tamper(token: str) -> str:
    """Change the first character of the signature (it carries 6 full bits, so this
    always changes the signature; the last character partly carries padding)."""
    value, signature = token.rsplit(":", 1)
    return f"{value}:{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.mark.parametrize(
    "mangle",
    [
        tamper,
        lambda t: "x" + t,  # payload changed
        lambda t: t.rsplit(":", 1)[0],  # signature cut off (a broken line in a mail client)
        lambda t: "not-a-token",
    ],
)
def test_tampered_token_gets_friendly_404(browser, link_event, mangle):
    registration = RegistrationFactory(page=link_event)
    token = mangle(links.make_token(registration, links.JOIN))
    response = browser.get(f"/events/join/{token}/")
    assert response.status_code == 404
    assert "We could not find that link" in response.content.decode()
    assert row(registration).join_opened_at is None


def test_tampered_token_post_is_404_and_counts_nothing(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        page = browser.get(join_url(registration))
        bad = tamper(links.make_token(registration, links.JOIN))
        response = browser.post(f"/events/join/{bad}/", {"csrfmiddlewaretoken": csrf_from(page)})
    assert response.status_code == 404
    saved = row(registration)
    assert (saved.join_click_count, saved.checked_in_at) == (0, None)


def test_cancel_token_does_not_open_the_join_link(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    response = browser.get(f"/events/join/{links.make_token(registration, links.CANCEL)}/")
    assert response.status_code == 404


def test_head_records_nothing(browser, link_event):
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 10, 14, 0), tick=False):
        assert browser.head(join_url(registration)).status_code == 200
    assert row(registration).join_opened_at is None


def test_other_methods_are_refused(client, link_event):
    registration = RegistrationFactory(page=link_event)
    assert client.put(join_url(registration)).status_code == 405


def test_names_are_escaped_on_the_page(browser, make_event):
    event = make_event(start=START, end=END, title="<b>Chat</b>")
    registration = RegistrationFactory(page=event)
    html = browser.get(join_url(registration)).content.decode()
    assert "&lt;b&gt;Chat&lt;/b&gt;" in html
    assert "<b>Chat</b>" not in html


def _without_scripts(html: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S)


def test_without_javascript_the_page_shows_the_button_and_the_reason(browser, link_event):
    """Issue 7 #14: "Taking you to the event…" only from the script that does it."""
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 10, 14, 3), tick=False):
        html = browser.get(join_url(registration)).content.decode()
    visible = _without_scripts(html)
    assert "Taking you to the event" not in visible
    assert "The event has started. Use the button to join." in visible
    assert '<button type="submit">Join the event now</button>' in visible


def test_inspect_view_shows_an_early_click_with_its_time(staff_client, browser, link_event):
    registration = RegistrationFactory(page=link_event)
    url = join_url(registration)
    with time_machine.travel(ny(2026, 6, 10, 11, 0), tick=False):
        page = browser.get(url)
        browser.post(url, {"csrfmiddlewaretoken": csrf_from(page)})
    from django.urls import reverse

    url = reverse("wagtail_webinars_registrations:inspect", args=[registration.pk])
    inspect = staff_client.get(url)
    assert "Wednesday 10 June 2026, 11:00 EDT (before the window)" in inspect.content.decode()


def test_join_link_expires_some_days_after_the_end(browser, link_event, settings):
    """Issue 9 #10: over (the join page says so), then expired (a friendly 410)."""
    registration = RegistrationFactory(page=link_event)
    with time_machine.travel(ny(2026, 6, 16, 15, 0), tick=False):  # 6 days after the end
        over = browser.get(join_url(registration))
    assert over.status_code == 200
    assert "This event is over." in over.content.decode()
    with time_machine.travel(ny(2026, 6, 17, 15, 0), tick=False):  # 7 days (the default)
        expired = browser.get(join_url(registration))
        posted = browser.post(join_url(registration))
    assert expired.status_code == 410
    html = expired.content.decode()
    assert "This event is over" in html and "Coffee chat" in html
    assert "join link no longer works" in html
    assert posted.status_code in (403, 410)  # CSRF first; never a redirect
    assert row(registration).join_opened_at == ny(2026, 6, 16, 15, 0)  # not the expired GET
    assert row(registration).join_click_count == 0


def test_withdrawn_join_link_says_so(browser, link_event):
    from wagtail_webinars.links import withdraw_event_links

    registration = RegistrationFactory(page=link_event)
    url = join_url(registration)
    withdraw_event_links(link_event)
    with time_machine.travel(ny(2026, 6, 10, 14, 3), tick=False):
        response = browser.get(url)
    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()
    assert row(registration).join_opened_at is None
