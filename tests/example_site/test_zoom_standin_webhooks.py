"""The stand-in sends signed webhooks, as Zoom does, and the site acts on them: live
check-in from "simulate attendance", a cancellation in Zoom, a registration made in
Zoom directly, a changed meeting."""

from __future__ import annotations

import re

import pytest
import responses
from django.core import mail
from django.test import Client

from example_site.zoom_standin import seed
from example_site.zoom_standin.models import Meeting, Registrant
from tests.factories import RegistrationFactory
from wagtail_webinars import details_refresh
from wagtail_webinars.models import ProviderRegistrant, Registration, WebhookDelivery

pytestmark = pytest.mark.django_db

HOOK = "http://testserver/events/webhooks/zoom/"
SECRET = "standin-test-secret"


@pytest.fixture
def wired(settings):
    """Everything over HTTP stays in this process: the stand-in's webhooks go to this
    site's endpoint, and our Zoom client talks to the stand-in, both through the test
    client (``responses`` hands each request over). Returns the webhooks sent."""
    settings.ZOOM_STANDIN_WEBHOOK_URL = HOOK
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET,
        "ZOOM_ACCOUNT_ID": "demo-account",
        "ZOOM_CLIENT_ID": "demo-client",
        "ZOOM_CLIENT_SECRET": "demo-secret",
        "ZOOM_API_URL": "http://testserver/zoom-standin/v2",
        "ZOOM_OAUTH_URL": "http://testserver/zoom-standin/oauth/token",
    }
    sent = []

    def forward(request):
        if request.url == HOOK:
            sent.append(request)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
        content_type = headers.pop("HTTP_CONTENT_TYPE", "application/octet-stream")
        headers.pop("HTTP_CONTENT_LENGTH", None)
        path = request.url.removeprefix("http://testserver")
        answer = Client().generic(
            request.method, path, request.body or b"", content_type=content_type, **headers
        )
        return answer.status_code, dict(answer.items()), answer.content

    everything = re.compile(r"http://testserver/.*")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST, responses.PUT, responses.PATCH):
            mock.add_callback(method, everything, callback=forward)
        yield sent


@pytest.fixture
def meeting(db):
    seed.seed_demo()
    return Meeting.objects.get(zoom_id=seed.DEMO_MEETING_ID)


@pytest.fixture
def event(make_event, meeting):
    from datetime import timedelta

    return make_event(
        kind="zoom_meeting",
        location={"meeting_id": str(meeting.zoom_id)},
        start=meeting.start_time,
        end=meeting.start_time + timedelta(hours=1),
    )


def _pushed(event, meeting, email, n):
    registrant = Registrant.objects.create(
        meeting=meeting,
        registrant_id=f"sr{n}",
        email=email,
        first_name=f"P{n}",
        last_name="Person",
        join_token=f"t{n}",
    )
    row = RegistrationFactory(
        page=event,
        email=email,
        provider_registrant_id=registrant.registrant_id,
        provider_meeting_id=str(meeting.zoom_id),
        provider_status="approved",
        sync_status=Registration.SyncStatus.SYNCED,
    )
    return registrant, row


def test_simulated_attendance_checks_people_in_live(wired, event, meeting, client, commit):
    rows = [_pushed(event, meeting, f"p{n}@example.org", n)[1] for n in range(4)]
    with commit():
        client.post(f"/zoom-standin/control/meetings/{meeting.zoom_id}/simulate")
    assert wired, "the stand-in sent no webhook"
    assert all(r.headers["x-zm-signature"].startswith("v0=") for r in wired)
    checked = [
        r for r in Registration.objects.filter(pk__in=[r.pk for r in rows]) if r.checked_in_at
    ]
    # Everyone who came in (the last registrant stays away in the simulation).
    assert len(checked) == 3
    assert {r.checkin_source for r in checked} == {Registration.CheckinSource.PROVIDER_LIVE}
    assert not WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.REFUSED).exists()


def test_cancelling_in_the_standin_cancels_here_and_mails(wired, event, meeting, client, commit):
    registrant, row = _pushed(event, meeting, "pat@example.org", 1)
    with commit():
        client.post(f"/zoom-standin/control/registrants/{registrant.registrant_id}/cancel")
    row.refresh_from_db()
    assert row.status == Registration.Status.CANCELLED
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    # Nothing went back to the stand-in's API (no status call: no loop).
    assert all(call.url == HOOK for call in wired)


def test_registering_in_zoom_directly_is_listed_to_adopt(wired, event, meeting, client, commit):
    with commit():
        client.post(
            f"/zoom-standin/control/meetings/{meeting.zoom_id}/register",
            {"email": "direct@example.org", "first_name": "Dee"},
        )
    listed = ProviderRegistrant.objects.get(page=event)
    assert listed.email == "direct@example.org" and "tk=" in listed.join_url


def test_a_changed_passcode_reaches_the_event(wired, event, meeting, client, commit):
    details_refresh.refresh_event_details(event)
    event.refresh_from_db()
    assert event.location_block.value["password"] == "town1234"
    with commit():
        client.post(
            f"/zoom-standin/control/meetings/{meeting.zoom_id}/change", {"password": "newpass1"}
        )
    event.refresh_from_db()
    assert event.location_block.value["password"] == "newpass1"


def test_without_a_url_nothing_is_sent(settings, meeting, client, commit):
    settings.ZOOM_STANDIN_WEBHOOK_URL = None
    with responses.RequestsMock() as mock, commit():  # any HTTP call would fail the test
        client.post(f"/zoom-standin/control/meetings/{meeting.zoom_id}/simulate")
    assert not mock.calls
