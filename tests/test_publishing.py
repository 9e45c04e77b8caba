"""Publishing a managed event in the admin: Zoom's "no such ID" refuses the publish with an
error on the ID field (drafts still save); an outage publishes with a warning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages

from tests.page_forms import add_url, edit_url, event_page_data
from tests.providers.zoom_fixtures import MEETING_ID, WEBINAR_ID, timeout
from wagtail_webinars.models import EventPage

PAGE_START = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
NOT_FOUND = ("GET", f"/meetings/{MEETING_ID}", 404, 3001, "Meeting does not exist.")


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting", start=PAGE_START, end=PAGE_START.replace(hour=20))


def post_edit(client, page, publish=True, **kwargs):
    fields = {"slug": page.slug, "title": page.title, **kwargs}
    data = event_page_data("zoom_meeting", publish=publish, **fields)
    return client.post(edit_url(page), data)


def id_field_errors(response) -> list[str]:
    """The messages on the location block's ID field, as the editor's page gets them."""
    error = response.context["form"].errors["location"].as_data()[0]
    struct_error = error.block_errors[0]
    return [str(m) for e in struct_error.block_errors["meeting_id"].error_list for m in e]


def test_publishing_an_id_zoom_does_not_have_is_refused_on_the_id_field(zoom, staff_client, event):
    zoom.meeting()
    before = EventPage.objects.get(pk=event.pk)
    revisions = before.revisions.count()
    zoom.error(*NOT_FOUND)
    response = post_edit(
        staff_client,
        event,
        location={"meeting_id": "812 3456 7890", "join_url": "", "password": ""},
        title="Renamed while refused",
    )
    assert response.status_code == 200
    (message,) = id_field_errors(response)
    assert "Zoom has no meeting with this ID" in message
    # The page says so where the editor looks (the block's field), and nothing was saved.
    assert "Zoom has no meeting with this ID" in response.content.decode()
    after = EventPage.objects.get(pk=event.pk)
    assert after.title == before.title
    assert after.revisions.count() == revisions
    assert after.live_revision_id == before.live_revision_id


def test_a_draft_with_the_same_id_still_saves(zoom, staff_client, event):
    zoom.error(*NOT_FOUND)
    revisions = event.revisions.count()
    response = post_edit(staff_client, event, publish=False, title="Draft title")
    assert response.status_code == 302
    page = EventPage.objects.get(pk=event.pk)
    assert page.revisions.count() == revisions + 1
    assert page.latest_revision.as_object().title == "Draft title"
    assert page.title != "Draft title"  # the live page is untouched by a draft
    assert zoom.calls_to("GET") == []  # a draft does not ask Zoom


def test_a_new_page_with_an_unknown_id_cannot_be_published_but_saves_as_draft(
    zoom, staff_client, event_index
):
    zoom.error(*NOT_FOUND)
    response = staff_client.post(add_url(event_index), event_page_data("zoom_meeting"))
    assert response.status_code == 200
    assert not EventPage.objects.filter(slug="data-science-101").exists()
    response = staff_client.post(
        add_url(event_index), event_page_data("zoom_meeting", publish=False)
    )
    assert response.status_code == 302
    page = EventPage.objects.get(slug="data-science-101")
    assert not page.live


def test_a_webinar_id_in_the_meeting_block_is_refused_with_the_block_to_use(
    zoom, staff_client, event
):
    zoom.error("GET", f"/meetings/{WEBINAR_ID}", 400, 3000, "Cannot access webinar info.")
    zoom.webinar()
    response = post_edit(
        staff_client,
        event,
        location={"meeting_id": WEBINAR_ID, "join_url": "", "password": ""},
    )
    assert response.status_code == 200
    assert id_field_errors(response) == ["This ID is a Zoom webinar: use the Zoom webinar block."]
    assert EventPage.objects.get(pk=event.pk).provider.external_id == MEETING_ID


def test_a_meeting_id_in_the_webinar_block_is_refused_with_the_block_to_use(
    zoom, staff_client, make_event
):
    page = make_event(kind="zoom_webinar", start=PAGE_START, end=PAGE_START.replace(hour=20))
    zoom.error("GET", f"/webinars/{MEETING_ID}", 404, 3001, "Webinar not found or has expired.")
    zoom.meeting()
    data = event_page_data(
        "zoom_webinar",
        location={"meeting_id": MEETING_ID, "join_url": "", "password": ""},
        slug=page.slug,
        title=page.title,
    )
    response = staff_client.post(edit_url(page), data)
    assert response.status_code == 200
    assert id_field_errors(response) == ["This ID is a Zoom meeting: use the Zoom meeting block."]


@pytest.mark.parametrize(
    "setup",
    [
        lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 503, None, "Service unavailable"),
        lambda z: z.raise_("GET", f"/meetings/{MEETING_ID}", timeout()),
    ],
)
def test_an_outage_publishes_with_a_warning(zoom, staff_client, event, setup):
    setup(zoom)
    response = post_edit(staff_client, event, title="Published during an outage")
    assert response.status_code == 302
    page = EventPage.objects.get(pk=event.pk)
    assert page.live and page.title == "Published during an outage"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("could not be reached just now" in m for m in shown), shown
    # One question to Zoom for the check and the fill together.
    assert len(zoom.calls_to("GET")) == 1


def test_a_good_id_is_asked_about_once(zoom, staff_client, event):
    zoom.meeting()
    response = post_edit(staff_client, event)
    assert response.status_code == 302
    assert EventPage.objects.get(pk=event.pk).provider_config["topic"] == "Alumni town hall"
    assert len(zoom.calls_to("GET", f"/meetings/{MEETING_ID}")) == 1


def test_an_editor_who_may_not_publish_saves_a_draft_without_asking_zoom(
    zoom, client, django_user_model, event
):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("ed", "ed@example.edu", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    zoom.error(*NOT_FOUND)
    response = post_edit(client, event, title="Suggested")
    # Wagtail treats a publish from someone who may not publish as a save.
    assert response.status_code == 302
    assert EventPage.objects.get(pk=event.pk).latest_revision.as_object().title == "Suggested"
