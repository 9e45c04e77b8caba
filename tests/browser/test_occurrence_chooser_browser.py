"""An editor picks the occurrence of a recurring Zoom meeting in a real browser: the
block's "Load the occurrences from Zoom" asks the stand-in (over real HTTP), offers
its dates, and the chosen one is published with that occurrence's start."""

from __future__ import annotations

import pytest

from example_site.zoom_standin import recurring, seed
from example_site.zoom_standin.models import Meeting
from tests.browser.test_headcount_browser import log_in
from wagtail_webinars.models import EventPage

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_pick_an_occurrence_and_publish(standin, live_server, page, make_event, django_user_model):
    meeting = Meeting.objects.get(zoom_id=seed.DEMO_RECURRING_ID)
    second = recurring.occurrences(meeting)[1]
    event = make_event(kind="zoom_meeting", location={"meeting_id": str(seed.DEMO_RECURRING_ID)})
    log_in(page, live_server.url, django_user_model)
    page.goto(f"{live_server.url}/admin/pages/{event.pk}/edit/")

    page.get_by_role("button", name="Load the occurrences from Zoom").click()
    status = page.locator("[id$='occurrence_id-status']")
    status.get_by_text("4 to pick from: choose one in the field.").wait_for()
    options = page.locator("[id$='occurrence_id-choices'] option")
    assert options.count() == 4
    assert options.nth(1).get_attribute("value") == second["occurrence_id"]
    assert options.nth(1).text_content().endswith(("EST", "EDT"))

    page.locator("input[id$='occurrence_id']").fill(second["occurrence_id"])
    publish = page.locator("button[name='action-publish']")
    if not publish.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        publish.click()
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["occurrence_id"] == second["occurrence_id"]
    assert live.start == second["start_time"]
