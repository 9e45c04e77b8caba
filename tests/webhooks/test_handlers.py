"""What verified deliveries do, end to end: signed POST -> task (inline in tests) ->
our events and registrations."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import MEETING_ID
from tests.webhooks import deliveries
from wagtail_webinars import details_refresh
from wagtail_webinars.admin.headcount_names import EVENT_REPORT_URL_NAME
from wagtail_webinars.models import (
    MeetingNotice,
    ParticipantPull,
    ProviderRegistrant,
    Registration,
    WebhookDelivery,
)
from wagtail_webinars.webhooks import adoption

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)
S = Registration.SyncStatus


@pytest.fixture
def event(zoom, make_event, webhook_secret):
    zoom.meeting()
    page = make_event(
        kind="zoom_meeting",
        location={"meeting_id": MEETING_ID},
        start=START,
        end=START + timedelta(hours=1),
    )
    # What the page_published receiver queues after commit (never in a test transaction).
    details_refresh.refresh_event_details(page)
    page.refresh_from_db()
    assert page.provider_config.get("id") == MEETING_ID
    return page


def _held(event, email, rid, **fields):
    return RegistrationFactory(
        page=event,
        email=email,
        provider_registrant_id=rid,
        provider_meeting_id=MEETING_ID,
        provider_status="approved",
        sync_status=S.SYNCED,
        **fields,
    )


def _outcome():
    return WebhookDelivery.objects.order_by("-pk").first()


# -- live check-in ----------------------------------------------------------------------
def test_participant_joined_checks_in_by_registrant_id(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    body = deliveries.participant(
        MEETING_ID, registrant_id="rid-1", email="", join_time="2030-01-15T19:02:00Z"
    )
    assert post_delivery(body).status_code == 200
    row.refresh_from_db()
    assert row.checked_in_at == START + timedelta(minutes=2)
    assert row.checkin_source == Registration.CheckinSource.PROVIDER_LIVE
    assert row.checkin_matched_by == Registration.CheckinMatch.REGISTRANT_ID
    delivery = _outcome()
    assert delivery.outcome == WebhookDelivery.Outcome.PROCESSED
    assert delivery.payload == {}  # the person's details are not kept
    assert "pat@example.org" not in delivery.message


def test_participant_joined_checks_in_by_email(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    body = deliveries.participant(
        MEETING_ID, email="PAT@example.org", join_time="2030-01-15T19:05:00Z"
    )
    post_delivery(body)
    row.refresh_from_db()
    assert row.checked_in_at is not None, (_outcome().outcome, _outcome().message)
    assert row.checkin_matched_by == Registration.CheckinMatch.EMAIL


def test_email_of_a_registration_holding_another_registrant_does_not_match(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    body = deliveries.participant(
        MEETING_ID,
        registrant_id="rid-other",
        email="pat@example.org",
        join_time="2030-01-15T19:05:00Z",
    )
    post_delivery(body)
    row.refresh_from_db()
    assert row.checked_in_at is None


def test_staff_undo_is_never_overwritten(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1", checkin_by_staff=True)
    post_delivery(
        deliveries.participant(MEETING_ID, registrant_id="rid-1", join_time="2030-01-15T19:02:00Z")
    )
    row.refresh_from_db()
    assert row.checked_in_at is None
    assert _outcome().outcome == WebhookDelivery.Outcome.IGNORED


def test_a_later_join_keeps_the_first_check_in(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    post_delivery(
        deliveries.participant(MEETING_ID, registrant_id="rid-1", join_time="2030-01-15T19:02:00Z")
    )
    post_delivery(
        deliveries.participant(MEETING_ID, registrant_id="rid-1", join_time="2030-01-15T19:30:00Z")
    )
    row.refresh_from_db()
    assert row.checked_in_at == START + timedelta(minutes=2)


def test_participant_left_alone_still_checks_in(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    post_delivery(
        deliveries.participant(
            MEETING_ID, registrant_id="rid-1", join_time="2030-01-15T19:40:00Z", left=True
        )
    )
    row.refresh_from_db()
    assert row.checked_in_at is not None, _outcome().message


def test_a_join_long_outside_the_event_is_not_a_check_in(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    post_delivery(
        deliveries.participant(MEETING_ID, registrant_id="rid-1", join_time="2030-02-15T19:02:00Z")
    )
    row.refresh_from_db()
    assert row.checked_in_at is None


def test_a_meeting_no_event_uses_is_ignored(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    post_delivery(
        deliveries.participant(
            "99999999999", registrant_id="rid-1", join_time="2030-01-15T19:02:00Z"
        )
    )
    row.refresh_from_db()
    assert row.checked_in_at is None
    assert _outcome().outcome == WebhookDelivery.Outcome.IGNORED


# -- cancelled in Zoom ------------------------------------------------------------------
def test_registration_cancelled_in_zoom_is_cancelled_here_without_calling_zoom(
    event, zoom, post_delivery, commit
):
    row = _held(event, "pat@example.org", "rid-1")
    calls_before = len(zoom.api_calls)
    body = deliveries.registration(
        MEETING_ID, "cancelled", registrant_id="rid-1", email="pat@example.org"
    )
    with commit():
        assert post_delivery(body).status_code == 200
    row.refresh_from_db()
    assert row.status == Registration.Status.CANCELLED
    assert row.provider_status == "cancelled"
    assert row.sync_status == S.SYNCED
    assert len(zoom.api_calls) == calls_before  # nothing pushed back: no loop
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    assert "cancelled" in mail.outbox[0].subject.lower()
    assert not mail.outbox[0].attachments


def test_a_cancellation_twice_mails_once(event, post_delivery, commit):
    _held(event, "pat@example.org", "rid-1")
    body = deliveries.registration(
        MEETING_ID, "cancelled", registrant_id="rid-1", email="pat@example.org"
    )
    with commit():
        post_delivery(body)
        post_delivery(body, headers=deliveries.signed_headers(body, at=int(time.time()) + 2))
        # A fresh delivery of the same cancellation (another event_ts) changes nothing either.
        post_delivery(
            deliveries.registration(
                MEETING_ID,
                "cancelled",
                registrant_id="rid-1",
                email="pat@example.org",
                event_ts=int(time.time() * 1000) + 5,
            )
        )
    assert len(mail.outbox) == 1


def test_a_cancellation_older_than_the_registration_is_stale(event, post_delivery):
    row = _held(event, "pat@example.org", "rid-1")
    old = int((row.registered_at - timedelta(minutes=30)).timestamp() * 1000)
    post_delivery(
        deliveries.registration(
            MEETING_ID, "cancelled", registrant_id="rid-1", email="pat@example.org", event_ts=old
        )
    )
    row.refresh_from_db()
    assert row.is_active
    assert mail.outbox == []


# -- registered in Zoom directly -------------------------------------------------------
def test_someone_registered_in_zoom_directly_is_listed_and_adopted(
    event, zoom, post_delivery, commit
):
    body = deliveries.registration(
        MEETING_ID, "created", registrant_id="zr-9", email="direct@example.org"
    )
    post_delivery(body)
    listed = ProviderRegistrant.objects.get(page=event)
    assert listed.state == ProviderRegistrant.State.OPEN
    assert (listed.email, listed.first_name, listed.registrant_id) == (
        "direct@example.org",
        "Robin",
        "zr-9",
    )

    calls_before = len(zoom.api_calls)
    with commit():
        result = adoption.adopt(listed)
    row = result.registration
    row.refresh_from_db()
    assert row.is_active and row.sync_status == S.SYNCED
    assert row.provider_registrant_id == "zr-9"
    assert row.provider_join_url.endswith("tk=zr-9")
    assert len(zoom.api_calls) == calls_before  # no duplicate add pushed to Zoom
    assert [m.to for m in mail.outbox] == [["direct@example.org"]]  # the confirmation
    listed.refresh_from_db()
    assert listed.state == ProviderRegistrant.State.ADOPTED
    with pytest.raises(adoption.AdoptionRefused):
        adoption.adopt(listed)


def test_our_own_push_is_not_listed_as_registered_in_zoom(event, post_delivery):
    # The sync's add makes Zoom send registration_created, maybe before we stored the id.
    _held(event, "pat@example.org", "")
    post_delivery(
        deliveries.registration(
            MEETING_ID, "created", registrant_id="rid-1", email="pat@example.org"
        )
    )
    assert not ProviderRegistrant.objects.exists()


def test_a_zoom_direct_registrant_cancelling_before_adoption_leaves_the_list(event, post_delivery):
    post_delivery(
        deliveries.registration(MEETING_ID, "created", registrant_id="zr-9", email="d@example.org")
    )
    post_delivery(
        deliveries.registration(
            MEETING_ID, "cancelled", registrant_id="zr-9", email="d@example.org"
        )
    )
    assert ProviderRegistrant.objects.get().state == ProviderRegistrant.State.CANCELLED


# -- meeting changed, deleted, ended ------------------------------------------------------
def test_meeting_updated_refreshes_the_details(event, zoom, post_delivery):
    zoom.meeting(join_url="https://zoom.test/j/81234567890?pwd=NEW", password="new-pass")
    post_delivery(deliveries.meeting(MEETING_ID, "updated"))
    event.refresh_from_db()
    assert event.location_block.value["password"] == "new-pass"
    assert event.location_block.value["join_url"].endswith("pwd=NEW")
    assert event.latest_revision.as_object().location_block.value["password"] == "new-pass"
    assert _outcome().outcome == WebhookDelivery.Outcome.PROCESSED


def test_an_older_update_arriving_late_changes_nothing(event, zoom, post_delivery):
    zoom.meeting(password="newest")
    now_ms = int(time.time() * 1000)
    post_delivery(deliveries.meeting(MEETING_ID, "updated", event_ts=now_ms + 1000))
    calls = len(zoom.calls_to("GET", f"/meetings/{MEETING_ID}"))
    zoom.meeting(password="older")
    post_delivery(deliveries.meeting(MEETING_ID, "updated", event_ts=now_ms - 60_000))
    event.refresh_from_db()
    assert event.location_block.value["password"] == "newest"
    assert len(zoom.calls_to("GET", f"/meetings/{MEETING_ID}")) == calls
    assert _outcome().outcome == WebhookDelivery.Outcome.IGNORED


def test_meeting_deleted_warns_on_the_event(event, post_delivery, staff_client):
    post_delivery(deliveries.meeting(MEETING_ID, "deleted"))
    notice = MeetingNotice.objects.get(page=event)
    assert notice.deleted_at is not None
    text = "deleted in Zoom"
    assert text in staff_client.get(f"/admin/webinars/events/{event.pk}/zoom/").content.decode()
    assert text in staff_client.get("/admin/").content.decode()
    report = staff_client.get(reverse(EVENT_REPORT_URL_NAME, args=[event.pk]))
    assert text in report.content.decode()


def test_meeting_ended_starts_the_first_pull(event, zoom, post_delivery):
    zoom.serves_instances({})
    post_delivery(deliveries.meeting(MEETING_ID, "ended"))
    pull = ParticipantPull.objects.get(page=event)
    assert pull.trigger == ParticipantPull.Trigger.AUTOMATIC
    # The same end again starts nothing more.
    post_delivery(deliveries.meeting(MEETING_ID, "ended", event_ts=int(time.time() * 1000) - 5))
    assert ParticipantPull.objects.filter(page=event).count() == 1


def test_handling_a_delivery_twice_changes_nothing(event, post_delivery, queued):
    from wagtail_webinars.webhooks.handlers import handle_delivery

    row = _held(event, "pat@example.org", "rid-1")
    post_delivery(
        deliveries.participant(MEETING_ID, registrant_id="rid-1", join_time="2030-01-15T19:02:00Z")
    )
    ((_task, (delivery_id,)),) = queued
    assert handle_delivery(delivery_id) == WebhookDelivery.Outcome.PROCESSED
    row.refresh_from_db()
    first = (row.checked_in_at, row.updated_at)
    assert handle_delivery(delivery_id) == ""  # a second run (django-q2 retry) does nothing
    row.refresh_from_db()
    assert (row.checked_in_at, row.updated_at) == first


def test_an_event_zoom_was_never_read_for_is_found_by_its_meeting_id(
    make_event, webhook_secret, post_delivery
):
    page = make_event(kind="zoom_meeting", location={"meeting_id": "81234567891"}, start=START)
    assert not page.provider_config
    post_delivery(
        deliveries.registration(
            "81234567891", "created", registrant_id="zr-2", email="x@example.org"
        )
    )
    assert ProviderRegistrant.objects.get().page_id == page.pk
    # A meeting ID that only contains this one is another meeting.
    post_delivery(
        deliveries.registration(
            "8123456789", "created", registrant_id="zr-3", email="y@example.org"
        )
    )
    assert ProviderRegistrant.objects.count() == 1
