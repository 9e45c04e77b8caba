"""What Zoom says before a managed event goes live: refuse IDs Zoom does not have (or has
as the other kind), let outages through with a warning."""

from __future__ import annotations

import pytest

from tests.providers.zoom_fixtures import MEETING_ID, WEBINAR_ID, timeout
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider

WRONG_BLOCK_FOR_WEBINAR = "This ID is a Zoom webinar: use the Zoom webinar block."
WRONG_BLOCK_FOR_MEETING = "This ID is a Zoom meeting: use the Zoom meeting block."


def meeting_block(meeting_id=MEETING_ID):
    return ZoomMeetingProvider({"meeting_id": meeting_id})


def webinar_block(webinar_id=WEBINAR_ID):
    return ZoomWebinarProvider({"meeting_id": webinar_id})


def test_an_existing_meeting_passes_and_its_details_are_kept(zoom):
    zoom.meeting()
    check = meeting_block().check_before_publish()
    assert check.errors == {}
    assert check.metadata is not None and check.metadata.topic == "Alumni town hall"
    assert len(zoom.calls_to("GET")) == 1


@pytest.mark.parametrize(
    "status,code,message",
    [
        (404, 3001, "Meeting 81234567890 is not found or has expired."),
        (404, None, "Meeting not found."),
        (400, 300, "Invalid meeting ID."),
    ],
)
def test_a_meeting_zoom_does_not_have_is_refused_on_the_id(zoom, status, code, message):
    zoom.error("GET", f"/meetings/{MEETING_ID}", status, code, message)
    check = meeting_block().check_before_publish()
    assert list(check.errors) == ["meeting_id"]
    assert "Zoom has no meeting with this ID" in check.errors["meeting_id"]
    assert check.metadata is None


def test_a_webinar_id_in_the_meeting_block_names_the_right_block(zoom):
    zoom.error("GET", f"/meetings/{WEBINAR_ID}", 400, 3000, "Cannot access webinar info.")
    zoom.webinar()
    check = meeting_block(WEBINAR_ID).check_before_publish()
    assert check.errors == {"meeting_id": WRONG_BLOCK_FOR_WEBINAR}


def test_a_webinar_zoom_cannot_open_in_the_meeting_block_still_names_the_webinar_block(zoom):
    # Zoom says the ID is a webinar's, but the webinar path does not open it either.
    zoom.error("GET", f"/meetings/{WEBINAR_ID}", 400, 3000, "Cannot access webinar info.")
    zoom.error("GET", f"/webinars/{WEBINAR_ID}", 404, 3001, "Webinar not found.")
    check = meeting_block(WEBINAR_ID).check_before_publish()
    assert check.errors == {"meeting_id": WRONG_BLOCK_FOR_WEBINAR}


def test_a_meeting_id_in_the_webinar_block_names_the_right_block(zoom):
    zoom.error("GET", f"/webinars/{MEETING_ID}", 404, 3001, "Webinar not found or has expired.")
    zoom.meeting()
    check = webinar_block(MEETING_ID).check_before_publish()
    assert check.errors == {"meeting_id": WRONG_BLOCK_FOR_MEETING}


def test_an_unknown_webinar_is_refused(zoom):
    zoom.error("GET", f"/webinars/{WEBINAR_ID}", 404, 3001, "Webinar not found or has expired.")
    zoom.error("GET", f"/meetings/{WEBINAR_ID}", 404, 3001, "Meeting not found.")
    check = webinar_block().check_before_publish()
    assert list(check.errors) == ["meeting_id"]
    assert "Zoom has no webinar with this ID" in check.errors["meeting_id"]


@pytest.mark.parametrize(
    "setup",
    [
        lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 503, None, "Service unavailable"),
        lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 500, None, "Internal error"),
        lambda z: z.raise_("GET", f"/meetings/{MEETING_ID}", timeout()),
        lambda z: z.raise_(
            "GET", f"/meetings/{MEETING_ID}", __import__("requests").ConnectionError("reset")
        ),
        lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 429, 429, "Too many requests"),
        lambda z: z.token_error(500, {"reason": "down"}),
    ],
)
def test_an_outage_lets_publishing_go_ahead(zoom, setup):
    setup(zoom)
    check = meeting_block().check_before_publish()
    assert check.errors == {}
    assert check.metadata is None and check.error is not None


def test_credential_problems_do_not_block_editors(zoom):
    # The editor cannot fix the site's credentials; the refresh warns about them.
    zoom.token_error(401)
    check = meeting_block().check_before_publish()
    assert check.errors == {} and check.error is not None
