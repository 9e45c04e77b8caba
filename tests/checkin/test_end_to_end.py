"""Check-in over real HTTP: registrants pushed to the stand-in, attendance simulated
there, "Check in webinar attendees" pulls every instance's report and matches."""

from __future__ import annotations

import pytest

from example_site.zoom_standin import seed
from example_site.zoom_standin.models import Meeting
from wagtail_webinars import checkin
from wagtail_webinars import registration as service
from wagtail_webinars.models import ParticipantPull, Registration, UnmatchedParticipant

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_simulated_attendance_is_checked_in(standin, make_event, client):
    meeting = Meeting.objects.get(zoom_id=seed.DEMO_MEETING_ID)
    event = make_event(
        kind="zoom_meeting",
        location={"meeting_id": str(seed.DEMO_MEETING_ID)},
        start=meeting.start_time,
    )
    people = [
        service.register(event, email=f"p{n}@example.org", first_name=f"P{n}", last_name="Person")
        for n in range(5)
    ]
    ids = [p.registration.pk for p in people]
    assert all(r.provider_registrant_id for r in Registration.objects.filter(pk__in=ids))

    # The stand-in: "not ready yet" first, as Zoom right after the end.
    client.post(f"/zoom-standin/control/meetings/{seed.DEMO_MEETING_ID}/simulate")
    client.post(f"/zoom-standin/control/meetings/{seed.DEMO_MEETING_ID}/report", {"ready": "0"})
    pull = checkin.start_check_in(event)
    pull.refresh_from_db()
    assert pull.state == ParticipantPull.State.WAITING

    client.post(f"/zoom-standin/control/meetings/{seed.DEMO_MEETING_ID}/report", {"ready": "1"})
    assert checkin.run_pull(pull.pk) == ParticipantPull.State.DONE
    pull.refresh_from_db()
    assert pull.instances == 2

    rows = {r.email: r for r in Registration.objects.filter(pk__in=ids)}
    checked = {email for email, r in rows.items() if r.checked_in_at}
    # p0 rejoined (two devices, after the restart), p1 joined briefly, p4 stayed away.
    assert checked == {"p0@example.org", "p2@example.org", "p3@example.org"}
    assert rows["p1@example.org"].joined_briefly
    assert rows["p0@example.org"].checkin_matched_by == "registrant_id"
    unmatched = {u.name for u in UnmatchedParticipant.objects.filter(page=event)}
    assert unmatched == {"Guest phone", "Visitor Without Registration"}
