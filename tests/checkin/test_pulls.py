"""Participant pulls end to end over ``responses``: start_check_in -> task -> Zoom ->
matching; not ready, 429, errors; automatic pulls after the end; the command."""

from __future__ import annotations

from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import MEETING_ID, participant_payload
from wagtail_webinars import checkin, jobs
from wagtail_webinars.models import ParticipantPull, Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db

State = ParticipantPull.State
START = (timezone.now() - timedelta(hours=3)).replace(microsecond=0, second=0)
END = START + timedelta(hours=1)


def zt(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting", start=START, end=END)


def person(n, email="", rid="", start=0, end=40, status="in_meeting"):
    data = participant_payload(n, email, rid)
    data.update(
        join_time=zt(START + timedelta(minutes=start)),
        leave_time=zt(START + timedelta(minutes=end)),
        duration=(end - start) * 60,
        status=status,
    )
    return data


def serve(zoom, instances: dict[str, list[list[dict]]]):
    """``{uuid: [page, page...]}``: past instances 20 minutes apart, their paged reports."""
    zoom.serves_instances(
        instances,
        {uuid: zt(START + timedelta(minutes=20 * i)) for i, uuid in enumerate(instances)},
    )


def test_the_whole_pull(event, zoom, commit, staff_user):
    ada = RegistrationFactory(page=event, provider_registrant_id="rA", email="ada@x.org")
    bob = RegistrationFactory(page=event, email="bob@x.org")
    cy = RegistrationFactory(page=event, first_name="Cy", last_name="Young", email="cy@x.org")
    dee = RegistrationFactory(page=event, email="dee@x.org")  # a no-show
    serve(
        zoom,
        {
            "inst1==": [
                [person(1, "", "rA", 0, 20), person(2, "BOB@x.org", "", 0, 30)],
                [{**person(3, "", "", 0, 30), "name": "Cy Young"}, person(4, "", "", 0, 30)],
            ],
            # The host restarted the meeting: Ada rejoins from two devices at once.
            "/inst2==": [[person(5, "", "rA", 25, 50), person(6, "", "rA", 30, 45)]],
        },
    )

    with commit():
        pull = checkin.start_check_in(event, by=staff_user)

    pull.refresh_from_db()
    assert pull.state == State.DONE and pull.attempts == 1
    assert (pull.instances, pull.rows, pull.people) == (2, 6, 4)
    assert (pull.checked_in, pull.matched_by_name, pull.unmatched) == (3, 1, 1)
    assert "3 newly checked in" in pull.message and "please review" in pull.message
    ada.refresh_from_db()
    assert ada.attended_minutes == 45 and ada.checkin_matched_by == "registrant_id"
    for r in (bob, cy):
        r.refresh_from_db()
        assert r.checked_in_at is not None
    dee.refresh_from_db()
    assert dee.checked_in_at is None
    assert UnmatchedParticipant.objects.get().name == "Person 4"
    assert pull.requested_by == staff_user and pull.finished_at is not None


def test_pressing_twice_starts_one_pull(event, queued):
    first = checkin.start_check_in(event)
    assert checkin.start_check_in(event) == first
    assert ParticipantPull.objects.count() == 1


def test_link_only_events_have_no_pull(make_event):
    with pytest.raises(checkin.CheckInRefused):
        checkin.start_check_in(make_event(kind="zoom_meeting_link"))


def test_not_ready_then_ready(event, zoom, commit):
    a = RegistrationFactory(page=event, email="a@x.org")
    zoom.error(
        "GET", f"/past_meetings/{MEETING_ID}/instances", 404, 3001, "Meeting does not exist."
    )
    with commit():
        pull = checkin.start_check_in(event)
    pull.refresh_from_db()
    assert pull.state == State.WAITING and pull.get_state_display() == "Waiting for Zoom"
    assert pull.retry_at is not None and "no participant report yet" in pull.message
    assert pull.finished_at is None

    serve(zoom, {"u1": [[person(1, "a@x.org")]]})
    assert checkin.run_pull(pull.pk) == State.DONE
    a.refresh_from_db()
    assert a.checked_in_at is not None


def test_waiting_too_long_is_still_not_a_failure(event, zoom, settings, queued):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "CHECKIN_MAX_ATTEMPTS": 1}
    zoom.on("GET", f"/past_meetings/{MEETING_ID}/instances", json={"meetings": []})
    pull = checkin.start_check_in(event)
    assert checkin.run_pull(pull.pk) == State.WAITING
    pull.refresh_from_db()
    assert pull.retry_at is None and pull.state != State.FAILED


def test_rate_limited_pull_waits_for_retry_after(event, zoom, queued):
    serve(zoom, {"u1": [[person(1)]]})
    zoom.error(
        "GET",
        "/report/meetings/u1/participants",
        429,
        429,
        "You have reached the maximum per-second rate limit for this API.",
        headers={"Retry-After": "120"},
    )
    pull = checkin.start_check_in(event)
    now = timezone.now()
    assert checkin.run_pull(pull.pk, now=now) == State.QUEUED
    pull.refresh_from_db()
    assert pull.retry_at >= now + timedelta(seconds=120)
    assert not UnmatchedParticipant.objects.exists()  # nothing half-saved

    # The sweep queues it again once its time has come, not before.
    queued.clear()
    checkin.checkin_sweep(now=now + timedelta(seconds=60))
    assert (jobs.PULL_PARTICIPANTS, (pull.pk,)) not in queued
    checkin.checkin_sweep(now=pull.retry_at + timedelta(seconds=1))
    assert (jobs.PULL_PARTICIPANTS, (pull.pk,)) in queued


def test_permanent_error_fails_with_a_message(event, zoom, commit):
    zoom.error("GET", f"/past_meetings/{MEETING_ID}/instances", 400, 12702, "Too old.")
    with commit():
        pull = checkin.start_check_in(event)
    pull.refresh_from_db()
    assert pull.state == State.FAILED and pull.message
    assert "test-secret-value" not in pull.message


def test_outage_retries_then_fails(event, zoom, settings, queued):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "CHECKIN_MAX_ATTEMPTS": 2}
    zoom.error("GET", f"/past_meetings/{MEETING_ID}/instances", 503, None, "Unavailable")
    pull = checkin.start_check_in(event)
    assert checkin.run_pull(pull.pk) == State.QUEUED
    assert checkin.run_pull(pull.pk) == State.FAILED


def test_a_finished_pull_is_not_run_again(event, zoom, commit):
    serve(zoom, {"u1": [[person(1)]]})
    with commit():
        pull = checkin.start_check_in(event)
    calls = len(zoom.api_calls)
    assert checkin.run_pull(pull.pk) == ""
    assert len(zoom.api_calls) == calls


def test_rerun_and_staff_overrides(event, zoom, commit, staff_user):
    a = RegistrationFactory(page=event, email="a@x.org")
    b = RegistrationFactory(page=event, email="b@x.org")
    serve(zoom, {"u1": [[person(1, "a@x.org"), person(2, "b@x.org")]]})
    with commit():
        checkin.start_check_in(event)
    checkin.undo_check_in(b, by=staff_user)
    a.refresh_from_db()
    before = a.updated_at
    with commit():
        second = checkin.start_check_in(event)
    second.refresh_from_db()
    assert second.state == State.DONE and second.checked_in == 0
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.updated_at == before
    assert b.checked_in_at is None and b.checkin_by_staff


# -- automatic pulls ----------------------------------------------------------------
def test_automatic_pulls_after_the_end(make_event, queued):
    event = make_event(kind="zoom_meeting", start=START, end=END)
    make_event(kind="zoom_meeting_link", start=START, end=END)  # no report to pull
    future = make_event(kind="zoom_meeting")

    def sweep(minutes):
        checkin.checkin_sweep(now=END + timedelta(minutes=minutes))
        pulls = ParticipantPull.objects.filter(trigger="automatic")
        # What the worker would do: finish them.
        pulls.filter(state=State.QUEUED).update(state=State.DONE)
        return pulls.filter(page=event).count()

    assert sweep(10) == 0
    assert sweep(16) == 1
    assert sweep(30) == 1
    assert sweep(61) == 2
    assert sweep(6 * 60 + 1) == 3
    assert sweep(24 * 60 + 1) == 4
    assert sweep(24 * 60 + 50) == 4
    assert not ParticipantPull.objects.filter(page=future).exists()
    assert ParticipantPull.objects.filter(trigger="automatic").count() == 4


def test_no_automatic_pull_while_one_is_under_way(event, queued):
    checkin.start_check_in(event)
    checkin.checkin_sweep(now=END + timedelta(minutes=20))
    assert ParticipantPull.objects.count() == 1


def test_sweep_is_scheduled():
    from wagtail_webinars.schedules import SCHEDULES

    assert SCHEDULES["wagtail_webinars.checkin_sweep"] == (jobs.CHECKIN_SWEEP, 5)


# -- management command ------------------------------------------------------------
def test_command_runs_the_pull(event, zoom):
    RegistrationFactory(page=event, email="a@x.org")
    serve(zoom, {"u1": [[person(1, "a@x.org")]]})
    out = StringIO()
    call_command("webinars_check_in", str(event.pk), stdout=out)
    assert "Done" in out.getvalue() and "1 newly checked in" in out.getvalue()
    pull = ParticipantPull.objects.get()
    assert pull.trigger == "command"
    assert Registration.objects.get().checked_in_at is not None


def test_command_refuses_clearly(make_event):
    with pytest.raises(CommandError, match="No event page"):
        call_command("webinars_check_in", "999999")
    with pytest.raises(CommandError, match="no participant report"):
        call_command("webinars_check_in", str(make_event(kind="vimeo").pk))
