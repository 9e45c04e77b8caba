from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import RegistrationFactory
from wagtail_webinars.models import ApiToken, ParticipantPull, Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db

CHECK_IN = (
    "mutation($r: ID!) { checkIn(registrationId: $r) "
    "{ ok message registrant { checkedIn checkInSource } } }"
)
UNDO = "mutation($r: ID!) { undoCheckIn(registrationId: $r) { ok registrant { checkedIn } } }"
RESEND = "mutation($r: ID!) { resendReminder(registrationId: $r) { ok message } }"
PULL = "mutation($e: ID!) { checkInAttendees(eventId: $e) { ok message pullState } }"
LINK = (
    "mutation($u: ID!, $r: ID!) { linkParticipant(unmatchedId: $u, registrationId: $r) "
    "{ ok message registrant { checkedIn checkInMinutes } } }"
)


def test_check_in_and_undo_through_the_check_in_service(gql, make_event, staff_client):
    registration = RegistrationFactory(page=make_event())
    _s, body = gql(CHECK_IN, {"r": str(registration.pk)}, using=staff_client)
    assert body["data"]["checkIn"] == {
        "ok": True,
        "message": "Checked in.",
        "registrant": {"checkedIn": True, "checkInSource": "Staff"},
    }
    registration.refresh_from_db()
    assert registration.checkin_by_staff and registration.checked_in_at
    _s, body = gql(UNDO, {"r": str(registration.pk)}, using=staff_client)
    assert body["data"]["undoCheckIn"]["registrant"] == {"checkedIn": False}


def test_a_cancelled_registration_is_refused_in_words(gql, make_event, staff_client):
    registration = RegistrationFactory(page=make_event(), status="cancelled")
    _s, body = gql(CHECK_IN, {"r": str(registration.pk)}, using=staff_client)
    assert body["data"]["checkIn"]["ok"] is False
    assert body["data"]["checkIn"]["message"] == "A cancelled registration cannot be checked in."


def test_staff_mutations_need_change_permission_and_a_write_token(
    gql, make_event, staff_user, django_user_model
):
    event = make_event()
    registration = RegistrationFactory(page=event)
    _t, read_token = ApiToken.issue(user=staff_user, name="r", scope="read")
    viewer = django_user_model.objects.create_user("viewer", "v@example.edu", "pw")
    viewer_client = Client()
    viewer_client.force_login(viewer)
    for kwargs in ({}, {"HTTP_AUTHORIZATION": f"Bearer {read_token}"}, {"using": viewer_client}):
        for query, variables, name in (
            (CHECK_IN, {"r": str(registration.pk)}, "checkIn"),
            (UNDO, {"r": str(registration.pk)}, "undoCheckIn"),
            (RESEND, {"r": str(registration.pk)}, "resendReminder"),
            (PULL, {"e": str(event.pk)}, "checkInAttendees"),
            (RESEND, {"r": "999999"}, "resendReminder"),
        ):
            _s, body = gql(query, variables, **kwargs)
            assert body["data"][name] is None, (kwargs, name)
            assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    registration.refresh_from_db()
    assert registration.checked_in_at is None and registration.reminder_resend_count == 0
    assert not ParticipantPull.objects.exists()
    _t, write_token = ApiToken.issue(user=staff_user, name="w", scope="read_write")
    _s, body = gql(
        CHECK_IN, {"r": str(registration.pk)}, HTTP_AUTHORIZATION=f"Bearer {write_token}"
    )
    assert body["data"]["checkIn"]["ok"] is True


def test_resend_reminder_uses_the_reminder_service(
    gql, make_event, staff_client, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(page=make_event())
    with django_capture_on_commit_callbacks(execute=True):
        _s, body = gql(RESEND, {"r": str(registration.pk)}, using=staff_client)
    assert body["data"]["resendReminder"]["ok"] is True
    registration.refresh_from_db()
    assert registration.reminder_resent_at is not None


def test_check_in_attendees_starts_a_pull_or_says_why_not(gql, make_event, staff_client):
    _s, body = gql(PULL, {"e": str(make_event(kind="vimeo").pk)}, using=staff_client)
    assert body["data"]["checkInAttendees"]["ok"] is False
    assert "no participant report" in body["data"]["checkInAttendees"]["message"]
    zoom = make_event(kind="zoom_meeting")
    _s, body = gql(PULL, {"e": str(zoom.pk)}, using=staff_client)
    assert body["data"]["checkInAttendees"]["ok"] is True
    assert ParticipantPull.objects.get().page_id == zoom.pk


def test_link_participant(gql, make_event, staff_client):
    event = make_event(kind="zoom_meeting")
    registration = RegistrationFactory(page=event)
    unmatched = UnmatchedParticipant.objects.create(
        page=event, key="name:pat", name="Pat", minutes=42
    )
    _s, body = gql(LINK, {"u": str(unmatched.pk), "r": str(registration.pk)}, using=staff_client)
    assert body["data"]["linkParticipant"]["registrant"] == {
        "checkedIn": True,
        "checkInMinutes": 42,
    }
    unmatched.refresh_from_db()
    assert unmatched.registration_id == registration.pk
    assert Registration.objects.get().checked_in_at is not None
