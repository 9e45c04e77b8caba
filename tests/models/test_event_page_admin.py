"""Editors create event pages in the Wagtail admin, one provider kind at a time."""

from __future__ import annotations

import html as htmllib
from datetime import UTC, datetime

import pytest
import responses

from tests.factories import LOCATIONS
from tests.page_forms import TYPED_LOCATIONS, add_url, edit_url, event_page_data
from wagtail_webinars.models import EventPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def zoom_unreachable():
    """Publishing a managed event asks Zoom for its details; here Zoom cannot be reached,
    which must never stop an editor from saving (the Zoom work has its own tests)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# What the admin form stores is exactly what the factories write directly (plus the
# managed blocks' empty occurrence, a field the factories leave out).
EXPECTED_LOCATIONS = {
    kind: {**value, "occurrence_id": ""} if kind in ("zoom_meeting", "zoom_webinar") else value
    for kind, value in LOCATIONS.items()
}


def location_errors(response) -> dict[str, list[str]]:
    """The per-field messages of the (only) location block, as the editor sees them."""
    assert response.status_code == 200, "the form should be shown again with errors"
    error = response.context["form"].errors["location"].as_data()[0]
    html = htmllib.unescape(response.content.decode())
    errors = {}
    for child, child_error in error.block_errors[0].block_errors.items():
        messages = list(child_error.messages)
        for message in messages:
            assert message in html  # really shown to the editor
        errors[child] = messages
    return errors


def post_event(client, parent, kind="vimeo", **kwargs):
    return client.post(add_url(parent), event_page_data(kind, **kwargs))


@pytest.mark.parametrize("kind", list(TYPED_LOCATIONS))
def test_create_each_provider_kind(staff_client, event_index, kind):
    response = post_event(staff_client, event_index, kind, capacity="25", venue="Room 101")

    assert response.status_code == 302, response.context["form"].errors
    page = EventPage.objects.get()
    assert page.live
    assert page.get_parent().pk == event_index.pk
    assert page.title == "Data Science 101"
    # 14:00 campus time in January is 19:00 UTC.
    assert page.start == datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
    assert page.end == datetime(2030, 1, 15, 20, 30, tzinfo=UTC)
    assert page.capacity == 25
    assert page.venue == "Room 101"
    assert page.reply_to == "organiser@example.edu"
    assert page.location_kind == kind
    assert len(page.location) == 1
    assert dict(page.location[0].value) == EXPECTED_LOCATIONS[kind]
    assert page.provider.kind == kind


@pytest.mark.parametrize(
    ("kind", "location", "field", "message"),
    [
        (
            "zoom_meeting",
            {"meeting_id": "", "join_url": "", "password": ""},
            "meeting_id",
            "Zoom meeting ID is required",
        ),
        (
            "zoom_webinar",
            {"meeting_id": "  ", "join_url": "", "password": ""},
            "meeting_id",
            "Zoom webinar ID is required",
        ),
        (
            "zoom_meeting_link",
            {**EXPECTED_LOCATIONS["zoom_meeting_link"], "meeting_id": ""},
            "meeting_id",
            "Zoom meeting ID is required",
        ),
        (
            "zoom_meeting_link",
            {**EXPECTED_LOCATIONS["zoom_meeting_link"], "join_url": ""},
            "join_url",
            "Zoom needs the meeting's join link",
        ),
        (
            "zoom_meeting_link",
            {**EXPECTED_LOCATIONS["zoom_meeting_link"], "password": ""},
            "password",
            "Zoom meeting passcode is required",
        ),
        (
            "zoom_webinar_link",
            {**EXPECTED_LOCATIONS["zoom_webinar_link"], "join_url": ""},
            "join_url",
            "Zoom needs the webinar's join link",
        ),
        (
            "zoom_webinar_link",
            {**EXPECTED_LOCATIONS["zoom_webinar_link"], "password": ""},
            "password",
            "Zoom webinar passcode is required",
        ),
        ("vimeo", {"join_url": ""}, "join_url", "Vimeo needs the event link"),
    ],
)
def test_required_fields_have_editor_friendly_messages(
    staff_client, event_index, kind, location, field, message
):
    response = post_event(staff_client, event_index, kind, location=location)
    assert location_errors(response)[field] == [message]
    assert not EventPage.objects.exists()


@pytest.mark.parametrize("kind", ["zoom_meeting_link", "zoom_webinar_link", "vimeo"])
@pytest.mark.parametrize(
    "link", ["http://example.zoom.us/j/1", "ftp://example.org/x", "javascript:alert(1)"]
)
def test_links_must_be_https(staff_client, event_index, kind, link):
    location = {**EXPECTED_LOCATIONS[kind], "join_url": link}
    response = post_event(staff_client, event_index, kind, location=location)
    assert location_errors(response)["join_url"]
    assert not EventPage.objects.exists()


def test_http_link_message(staff_client, event_index):
    location = {"join_url": "http://vimeo.com/event/1"}
    response = post_event(staff_client, event_index, "vimeo", location=location)
    assert location_errors(response) == {"join_url": ["The link must start with https://"]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("812 3456 7890", "81234567890"),
        ("812-3456-7890", "81234567890"),
        (" 812 - 3456 - 7890 ", "81234567890"),
        ("123456789", "123456789"),
        ("1234567890123", "1234567890123"),
    ],
)
def test_zoom_ids_store_digits_only(staff_client, event_index, typed, stored):
    location = {"meeting_id": typed, "join_url": "", "password": ""}
    response = post_event(staff_client, event_index, "zoom_meeting", location=location)
    assert response.status_code == 302
    assert EventPage.objects.get().location[0].value["meeting_id"] == stored


@pytest.mark.parametrize("typed", ["12345678", "12345678901234", "812 3456 789O", "812.3456.7890"])
def test_bad_zoom_ids_are_refused(staff_client, event_index, typed):
    location = {"meeting_id": typed, "join_url": "", "password": ""}
    response = post_event(staff_client, event_index, "zoom_meeting", location=location)
    assert location_errors(response) == {
        "meeting_id": ["A Zoom ID is 9 to 13 digits, e.g. 812 3456 7890."]
    }


def test_unmanaged_zoom_without_passcode_is_refused(staff_client, event_index):
    location = {**EXPECTED_LOCATIONS["zoom_webinar_link"], "password": ""}
    response = post_event(staff_client, event_index, "zoom_webinar_link", location=location)
    assert "password" in location_errors(response)
    assert not EventPage.objects.exists()


def test_a_location_is_required(staff_client, event_index):
    data = event_page_data("vimeo")
    data = {k: v for k, v in data.items() if not k.startswith("location-")}
    data["location-count"] = "0"
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert not EventPage.objects.exists()


def test_only_one_location(staff_client, event_index):
    data = event_page_data("vimeo")
    data.update(
        {
            "location-count": "2",
            "location-1-type": "vimeo",
            "location-1-value-join_url": "https://vimeo.com/event/2",
            "location-1-order": "1",
            "location-1-deleted": "",
        }
    )
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert not EventPage.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end": "2030-01-15 13:00"}, "end", "The event must end after it starts."),
        (
            {"registration_opens": "2030-01-10 09:00", "registration_closes": "2030-01-09 09:00"},
            "registration_closes",
            "Registration must close after it opens.",
        ),
        (
            {"registration_opens": "2030-01-16 09:00"},
            "registration_opens",
            "Registration must open before the event starts.",
        ),
        ({"capacity": "0"}, "capacity", "Capacity must be at least 1, or empty for no limit."),
        ({"reply_to": "not an address"}, "reply_to", "Enter a valid email address."),
        ({"start": "next tuesday"}, "start", "Enter a valid date/time."),
    ],
)
def test_event_fields_are_checked(staff_client, event_index, fields, field, message):
    response = post_event(staff_client, event_index, "vimeo", **fields)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert not EventPage.objects.exists()


def test_registration_window_in_campus_time(staff_client, event_index):
    response = post_event(
        staff_client,
        event_index,
        "vimeo",
        registration_opens="2030-01-01 09:00",
        registration_closes="2030-01-15 12:00",
    )
    assert response.status_code == 302
    page = EventPage.objects.get()
    assert page.registration_opens == datetime(2030, 1, 1, 14, 0, tzinfo=UTC)
    assert page.registration_closes == datetime(2030, 1, 15, 17, 0, tzinfo=UTC)


def test_editor_questions_are_saved_and_asked(staff_client, client, event_index):
    questions = [
        {"label": "Dietary needs"},
        {"label": "Department", "field_type": "dropdown", "choices": "Art\nScience"},
    ]
    response = post_event(staff_client, event_index, "vimeo", questions=questions)
    assert response.status_code == 302
    page = EventPage.objects.get()
    assert [f.clean_name for f in page.form_fields.all()] == ["dietary_needs", "department"]
    html = client.get(page.url).content.decode()
    assert 'name="dietary_needs"' in html
    assert '<option value="Science">Science</option>' in html


def test_edit_keeps_campus_time_and_digits(staff_client, event_index):
    post_event(staff_client, event_index, "zoom_meeting")
    page = EventPage.objects.get()
    html = staff_client.get(edit_url(page)).content.decode()
    assert 'value="2030-01-15 14:00"' in html
    data = event_page_data("zoom_meeting", title="Renamed")
    response = staff_client.post(edit_url(page), data)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Renamed"
    assert page.start == datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
    assert page.location[0].value["meeting_id"] == "81234567890"
