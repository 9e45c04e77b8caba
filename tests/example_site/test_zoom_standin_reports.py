"""The stand-in's past instances, per-instance reports and "simulate attendance"."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from example_site.zoom_standin import reports, seed
from example_site.zoom_standin.models import Meeting, Participant, Registrant

pytestmark = pytest.mark.django_db

MEETING = seed.DEMO_MEETING_ID
WEBINAR = seed.DEMO_WEBINAR_ID


def registrants(zoom_id, n):
    meeting = Meeting.objects.get(zoom_id=zoom_id)
    return [
        Registrant.objects.create(
            meeting=meeting,
            registrant_id=f"r{zoom_id}{i}",
            email=f"p{i}@example.org",
            first_name=f"P{i}",
            last_name="Person",
            join_token=f"t{i}",
        )
        for i in range(n)
    ]


def path_of(uuid):
    if uuid.startswith("/") or "//" in uuid:
        return quote(quote(uuid, safe=""), safe="")
    return uuid


def test_no_instances_before_anyone_joined(api):
    answer = api.get(f"/zoom-standin/v2/past_meetings/{MEETING}/instances")
    assert answer.status_code == 200 and answer.json() == {"meetings": []}
    assert api.get("/zoom-standin/v2/past_meetings/1/instances").json()["code"] == 3001


def test_simulate_attendance_then_read_every_instance(api, client):
    registrants(MEETING, 6)
    answer = client.post(f"/zoom-standin/control/meetings/{MEETING}/simulate")
    assert answer.status_code == 200
    assert answer.json()["instances"] == 2

    listed = api.get(f"/zoom-standin/v2/past_meetings/{MEETING}/instances").json()["meetings"]
    assert len(listed) == 2
    rows = []
    for instance in listed:
        url = f"/zoom-standin/v2/report/meetings/{path_of(instance['uuid'])}/participants"
        page = api.get(url, {"page_size": 2, "include_fields": "registrant_id"}).json()
        rows += page["participants"]
        while page["next_page_token"]:
            page = api.get(
                url,
                {
                    "page_size": 2,
                    "include_fields": "registrant_id",
                    "next_page_token": page["next_page_token"],
                },
            ).json()
            rows += page["participants"]
    assert len(rows) == Participant.objects.filter(meeting__zoom_id=MEETING).count()
    names = {row["name"] for row in rows}
    assert "Guest phone" in names and "Visitor Without Registration" in names
    assert "P5 Person" not in names  # the last registrant stayed away
    guest = next(row for row in rows if row["name"] == "Guest phone")
    assert guest["user_email"] == "" and guest["registrant_id"] == ""
    first = [row for row in rows if row["name"] == "P0 Person"]
    assert len(first) >= 3  # dropped out, rejoined, second device, after the restart


def test_uuid_needing_double_encoding(api):
    meeting = Meeting.objects.get(zoom_id=MEETING)
    Participant.objects.create(
        meeting=meeting,
        name="A",
        join_time=meeting.start_time,
        leave_time=meeting.start_time + timedelta(minutes=5),
    )
    uuid = "/ab//cd=="
    original = reports.instance_uuid
    reports.instance_uuid = lambda m, s: uuid
    try:
        url = f"/zoom-standin/v2/report/meetings/{path_of(uuid)}/participants"
        assert api.get(url).json()["total_records"] == 1
    finally:
        reports.instance_uuid = original


def test_not_ready_switch(api, client):
    registrants(MEETING, 2)
    client.post(f"/zoom-standin/control/meetings/{MEETING}/simulate")
    client.post(f"/zoom-standin/control/meetings/{MEETING}/report", {"ready": "0"})
    (first, *_rest) = api.get(f"/zoom-standin/v2/past_meetings/{MEETING}/instances").json()[
        "meetings"
    ]
    url = f"/zoom-standin/v2/report/meetings/{path_of(first['uuid'])}/participants"
    answer = api.get(url)
    assert answer.status_code == 404 and answer.json()["code"] == 3001
    client.post(f"/zoom-standin/control/meetings/{MEETING}/report", {"ready": "1"})
    assert api.get(url).status_code == 200


def test_webinar_instances(api, client):
    registrants(WEBINAR, 3)
    client.post(f"/zoom-standin/control/meetings/{WEBINAR}/simulate")
    listed = api.get(f"/zoom-standin/v2/past_webinars/{WEBINAR}/instances").json()
    assert len(listed["webinars"]) == 2
    uuid = listed["webinars"][0]["uuid"]
    url = f"/zoom-standin/v2/report/webinars/{path_of(uuid)}/participants"
    assert api.get(url).json()["participants"]
    # Not on the meeting path.
    assert (
        api.get(f"/zoom-standin/v2/report/meetings/{path_of(uuid)}/participants").status_code == 404
    )


def test_dashboard_has_the_buttons(staff_client):
    seed.seed_demo()
    page = staff_client.get("/zoom-standin/").content.decode()
    assert "Simulate attendance" in page and "Report not ready yet" in page
