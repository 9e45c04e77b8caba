"""One occurrence of a recurring Zoom meeting as the event: what is sent with it, where
the start comes from, and what refuses the publish."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.providers.zoom_fixtures import MEETING_ID
from wagtail_webinars.models import Registration
from wagtail_webinars.providers.base import BATCH_UNSUPPORTED
from wagtail_webinars.providers.errors import ProviderError, UnsupportedOperation
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider

FIRST, SECOND = "1894906800000", "1895511600000"
OCCURRENCES = [
    {
        "occurrence_id": FIRST,
        "start_time": "2030-01-15T19:00:00Z",
        "duration": 60,
        "status": "available",
    },
    {
        "occurrence_id": SECOND,
        "start_time": "2030-01-22T19:00:00Z",
        "duration": 90,
        "status": "available",
    },
]


def recurring(occurrence_id=SECOND):
    return ZoomMeetingProvider({"meeting_id": MEETING_ID, "occurrence_id": occurrence_id})


def query(call) -> dict:
    return parse_qs(urlsplit(call.request.url).query)


def person() -> Registration:
    return Registration(email="ada@example.org", first_name="Ada", provider_registrant_id="r1")


def test_the_occurrence_gives_the_start_and_length(zoom):
    zoom.meeting(type=8, start_time="2030-01-15T19:00:00Z", occurrences=OCCURRENCES)
    metadata = recurring().fetch_metadata()
    assert metadata.start_time == datetime(2030, 1, 22, 19, 0, tzinfo=UTC)
    assert metadata.duration_minutes == 90
    assert metadata.start_is_the_event
    assert metadata.config["occurrence_id"] == SECOND
    # No "Zoom says this starts ..." warning: the page takes the occurrence's time.
    assert recurring().metadata_warnings(metadata) == []


def test_a_one_off_meeting_does_not_set_the_start(zoom):
    zoom.meeting()
    metadata = ZoomMeetingProvider({"meeting_id": MEETING_ID}).fetch_metadata()
    assert not metadata.start_is_the_event


def test_adds_status_changes_and_lists_name_the_occurrence(zoom):
    zoom.accepts_registrants()
    zoom.accepts_status()
    zoom.lists_registrants({"approved": [[]]})
    provider = recurring()
    provider.push_registrant(person())
    provider.cancel_registrant(person())
    list(provider.registrants())
    (add,) = zoom.calls_to("POST", "/registrants")
    assert query(add)["occurrence_ids"] == [SECOND]
    (status,) = zoom.calls_to("PUT", "/registrants/status")
    assert query(status)["occurrence_id"] == [SECOND]
    for listing in zoom.calls_to("GET", "/registrants"):
        assert query(listing)["occurrence_id"] == [SECOND]


def test_a_one_off_meeting_sends_no_occurrence(zoom):
    zoom.accepts_registrants()
    ZoomMeetingProvider({"meeting_id": MEETING_ID}).push_registrant(person())
    (add,) = zoom.calls_to("POST", "/registrants")
    assert "occurrence_ids" not in query(add)


def test_batches_are_not_offered_for_an_occurrence(zoom):
    # Zoom's batch endpoint takes one-off meetings (type 2) and webinars (type 5) only.
    provider = recurring()
    with pytest.raises(UnsupportedOperation) as caught:
        provider.batch_push([person()])
    assert provider.batch_error_scope(caught.value) == BATCH_UNSUPPORTED
    assert zoom.api_calls == []


def test_choices_list_the_occurrences_in_campus_time(zoom):
    zoom.meeting(
        type=8,
        occurrences=[*OCCURRENCES, {**OCCURRENCES[0], "occurrence_id": "9", "status": "deleted"}],
    )
    choices = recurring("").field_choices("occurrence_id")
    assert choices == [
        (FIRST, "Tuesday 15 January 2030, 14:00 EST"),
        (SECOND, "Tuesday 22 January 2030, 14:00 EST"),
    ]


def test_choices_of_a_meeting_with_no_fixed_time_say_why_there_are_none(zoom):
    zoom.meeting(type=3)
    with pytest.raises(ProviderError, match="recurs with no fixed time"):
        recurring("").field_choices("occurrence_id")


# -- the check before publishing ----------------------------------------------------------
def test_a_recurring_meeting_with_no_fixed_time_is_refused(zoom):
    zoom.meeting(type=3, start_time=None)
    check = recurring("").check_before_publish()
    assert list(check.errors) == ["meeting_id"]
    assert "recurs with no fixed time" in check.errors["meeting_id"]


def test_a_recurring_webinar_with_no_fixed_time_is_refused(zoom):
    zoom.webinar(type=6)
    check = ZoomWebinarProvider({"meeting_id": "91234567890"}).check_before_publish()
    assert "webinar recurs with no fixed time" in check.errors["meeting_id"]


def test_a_recurring_meeting_needs_its_occurrence_and_the_error_lists_them(zoom):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    check = recurring("").check_before_publish()
    message = check.errors["occurrence_id"]
    assert "pick the occurrence" in message
    assert f"Tuesday 15 January 2030, 14:00 EST ({FIRST})" in message
    assert f"Tuesday 22 January 2030, 14:00 EST ({SECOND})" in message


def test_an_occurrence_zoom_does_not_have_is_refused(zoom):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    check = recurring("1234").check_before_publish()
    assert "Zoom has no occurrence 1234" in check.errors["occurrence_id"]
    assert FIRST in check.errors["occurrence_id"]


def test_an_occurrence_on_a_one_off_meeting_is_refused(zoom):
    zoom.meeting()
    check = recurring().check_before_publish()
    assert check.errors == {
        "occurrence_id": "This Zoom meeting does not recur: leave Occurrence empty."
    }


def test_a_good_occurrence_passes(zoom):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    check = recurring().check_before_publish()
    assert check.errors == {} and check.metadata.start_is_the_event
