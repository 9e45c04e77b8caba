"""One occurrence of a recurring meeting, end to end over real HTTP against the stand-in:
the editor loads the occurrences and publishes one, registrants are added to it, the
start and the reminder follow it, and check-in pulls only its instance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from example_site.zoom_standin import recurring, seed
from example_site.zoom_standin.models import Meeting, Registrant
from tests.page_forms import add_url, event_page_data
from wagtail_webinars import checkin
from wagtail_webinars import registration as service
from wagtail_webinars.blocks import CHOICES_URL_NAME
from wagtail_webinars.models import EventPage, ParticipantPull, Registration

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECURRING = str(seed.DEMO_RECURRING_ID)


def location(occurrence_id=""):
    return {"meeting_id": RECURRING, "occurrence_id": occurrence_id, "join_url": "", "password": ""}


def test_an_occurrence_of_a_recurring_meeting_end_to_end(standin, staff_client, event_index):
    meeting = Meeting.objects.get(zoom_id=seed.DEMO_RECURRING_ID)
    first, second = recurring.occurrences(meeting)[:2]

    # The editor asks for the occurrences (the page editor's button).
    url = reverse(CHOICES_URL_NAME, args=["zoom_meeting", "occurrence_id"])
    answer = staff_client.get(url, {"meeting_id": RECURRING}).json()
    assert [c["value"] for c in answer["choices"]] == [
        o["occurrence_id"] for o in recurring.occurrences(meeting)
    ]

    # Publishing without one is refused, with the list in the message.
    response = staff_client.post(add_url(event_index), event_page_data("zoom_meeting", location()))
    assert response.status_code == 200
    assert "pick the occurrence this event is for" in response.content.decode()
    assert not EventPage.objects.exists()

    # With the second occurrence it is published, at that occurrence's time.
    data = event_page_data("zoom_meeting", location(second["occurrence_id"]))
    response = staff_client.post(add_url(event_index), data)
    assert response.status_code == 302
    event = EventPage.objects.get()
    assert event.live and event.start == second["start_time"]
    assert event.end == second["start_time"] + timedelta(minutes=meeting.duration)
    assert event.reminder_due_at == second["start_time"] - timedelta(hours=2)
    assert event.location_block.value["join_url"].startswith(standin)

    # Registrants are added to that occurrence only.
    people = [
        service.register(event, email=f"p{n}@example.org", first_name=f"P{n}", last_name="X")
        for n in range(3)
    ]
    ids = [p.registration.pk for p in people]
    rows = Registration.objects.filter(pk__in=ids)
    assert all(r.provider_registrant_id and r.provider_join_url for r in rows)
    in_zoom = Registrant.objects.filter(meeting=meeting)
    assert set(in_zoom.values_list("occurrence_ids", flat=True)) == {second["occurrence_id"]}

    # p0 and p1 come to this occurrence; p2 comes only to the week before.
    control = f"/zoom-standin/control/meetings/{RECURRING}/attend"
    staff_client.post(
        control,
        {"emails": "p0@example.org,p1@example.org", "occurrence_id": second["occurrence_id"]},
    )
    staff_client.post(
        control, {"emails": "p2@example.org", "occurrence_id": first["occurrence_id"]}
    )

    pull = checkin.start_check_in(event)
    pull.refresh_from_db()
    assert pull.state == ParticipantPull.State.DONE
    assert pull.instances == 1  # the other week's instance is not this event's
    checked = {r.email for r in Registration.objects.filter(pk__in=ids) if r.checked_in_at}
    assert checked == {"p0@example.org", "p1@example.org"}
