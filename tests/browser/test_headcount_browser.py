"""Staff use the Event headcount report in a real browser (Chromium via Playwright):
open it, press "Check in webinar attendees", see who was checked in and who matched
nobody, link one by hand, and export the list.

The participant report comes from the managed provider's ``pull_participants``,
replaced here by fixed rows (the Zoom HTTP side has its own tests); matching,
saving and everything on screen are the real code. Tasks run inline in the test
settings, so the pull finishes within the button's request.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import Registration, UnmatchedParticipant
from wagtail_webinars.providers import get_provider_class
from wagtail_webinars.providers.base import Participant

SCREENSHOT = Path("/tmp/wagtail-webinars-headcount.png")

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in(page, base_url, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.edu", "pw")
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_check_in_link_by_hand_and_export(
    live_server, make_event, page, django_user_model, monkeypatch
):
    start = timezone.now() - timedelta(hours=3)
    end = start + timedelta(hours=1)
    event = make_event(kind="zoom_meeting", title="Data Science 101", start=start, end=end)
    ada = RegistrationFactory(
        page=event,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        provider_registrant_id="rid-ada",
    )
    RegistrationFactory(
        page=event, first_name="Grace", last_name="Hopper", email="grace@example.org"
    )
    alan = RegistrationFactory(
        page=event, first_name="Alan", last_name="Turing", email="alan@example.org"
    )

    rows = [
        Participant(
            name="Ada L.",
            email="",
            registrant_id="rid-ada",
            join_time=start,
            leave_time=start + timedelta(minutes=50),
            duration_seconds=50 * 60,
        ),
        # Alan joined from another address under a nickname: nobody matches him.
        Participant(
            name="The Enigma",
            email="enigma@example.net",
            join_time=start + timedelta(minutes=5),
            leave_time=start + timedelta(minutes=45),
            duration_seconds=40 * 60,
        ),
    ]
    provider_class = get_provider_class("zoom_meeting")
    monkeypatch.setattr(provider_class, "pull_participants", lambda self: iter(rows))

    log_in(page, live_server.url, django_user_model)
    page.goto(live_server.url + "/admin/reports/event-headcount/")
    page.get_by_role("link", name="Data Science 101").click()
    page.get_by_role("heading", name="Headcount", exact=True).wait_for()

    with page.expect_navigation():
        page.get_by_role("button", name="Check in webinar attendees").click()
    page.locator('[data-pull-state="done"]').wait_for()

    # Ada matched by her Zoom registrant id; the stranger is listed as unmatched.
    table = page.locator("#listing-results table")
    ada_row = table.locator("tr", has_text="Ada Lovelace")
    assert "Provider participant report" in ada_row.inner_text()
    assert "50 min" in ada_row.inner_text()
    unmatched = page.locator("[data-unmatched]")
    assert "The Enigma" in unmatched.inner_text()
    assert "enigma@example.net" in unmatched.inner_text()
    page.screenshot(path=str(SCREENSHOT), full_page=True)  # for a person to look at

    # Staff know who that is: link the participant to Alan's registration.
    unmatched.get_by_role("link", name="Link to a registration").click()
    page.fill("#id_q", "turing")
    with page.expect_navigation():
        page.locator("#main").get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Link to Alan Turing").click()
    page.get_by_text("Linked and checked in Alan Turing.").wait_for()
    assert "Nobody to review." in page.locator("#main").inner_text()
    alan.refresh_from_db()
    assert alan.checked_in_at is not None
    assert alan.checkin_matched_by == Registration.CheckinMatch.LINKED
    assert UnmatchedParticipant.objects.get().state == UnmatchedParticipant.State.LINKED
    ada.refresh_from_db()
    assert ada.checked_in_at is not None

    # Export the list: the same rows, campus time, human labels.
    page.get_by_role("button", name="Actions").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8")
    exported = {row["Email"]: row for row in csv.DictReader(io.StringIO(content))}
    assert set(exported) == {"ada@example.org", "grace@example.org", "alan@example.org"}
    assert exported["ada@example.org"]["Checked in by"] == "Provider participant report"
    assert exported["alan@example.org"]["Matched by"] == "Linked by staff"
    assert exported["grace@example.org"]["Checked in (America/New_York)"] == ""
