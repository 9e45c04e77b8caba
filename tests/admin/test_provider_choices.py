"""The editor's "Load the occurrences from Zoom" button: the admin's provider-choices view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.providers.zoom_fixtures import MEETING_ID

OCCURRENCES = [
    {
        "occurrence_id": "1894906800000",
        "start_time": "2030-01-15T19:00:00Z",
        "duration": 60,
        "status": "available",
    },
]


def url(kind="zoom_meeting", field="occurrence_id", **params):
    from urllib.parse import urlencode

    return (
        reverse("wagtail_webinars_provider_choices", args=[kind, field]) + "?" + urlencode(params)
    )


def test_lists_the_occurrences_of_the_typed_meeting(zoom, staff_client):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    response = staff_client.get(url(meeting_id="812 3456 7890"))
    assert response.status_code == 200
    data = response.json()
    assert data["choices"] == [
        {"value": "1894906800000", "label": "Tuesday 15 January 2030, 14:00 EST"}
    ]
    assert data["summary"] == "1 to pick from: choose it in the field."
    assert zoom.calls_to("GET", f"/meetings/{MEETING_ID}")


def test_says_what_zoom_said_about_an_unknown_meeting(zoom, staff_client):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 404, 3001, "Meeting does not exist.")
    data = staff_client.get(url(meeting_id=MEETING_ID)).json()
    assert data["choices"] == []
    assert "Zoom has no meeting with ID 81234567890" in data["error"]


def test_a_badly_typed_id_gets_the_blocks_own_message(zoom, staff_client):
    data = staff_client.get(url(meeting_id="12ab")).json()
    assert data == {"choices": [], "error": "A Zoom ID is 9 to 13 digits, e.g. 812 3456 7890."}
    assert zoom.api_calls == []


def test_no_secret_in_an_answer_about_credentials(zoom, staff_client):
    zoom.token_error(401)
    body = staff_client.get(url(meeting_id=MEETING_ID)).content.decode()
    assert "rejected this site's credentials" in body
    assert "test-secret-value" not in body


@pytest.mark.parametrize(
    "kind,field", [("vimeo", "occurrence_id"), ("zoom_meeting", "topic"), ("nope", "x")]
)
def test_unknown_kinds_and_fields_are_404(zoom, staff_client, kind, field):
    assert staff_client.get(url(kind, field, meeting_id=MEETING_ID)).status_code == 404


def test_needs_a_user_who_may_edit_pages(zoom, client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", "v@example.edu", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.get(url(meeting_id=MEETING_ID))
    # Wagtail's admin turns the refusal into its "no permission" redirect.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert zoom.api_calls == []


def test_the_editor_shows_the_button(staff_client, make_event):
    from tests.page_forms import edit_url

    page = make_event(kind="zoom_meeting")
    body = staff_client.get(edit_url(page)).content.decode()
    assert "Load the occurrences from Zoom" in body
    assert "wagtail_webinars/js/provider-choices.js" in body
