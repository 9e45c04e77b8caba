"""Sync, an event pointed at another meeting."""

from __future__ import annotations

import json

from tests.factories import RegistrationFactory
from tests.providers.zoom_fixtures import (
    MEETING_ID,
    registrant_payload,
)
from tests.sync.helpers import (
    ADD,
    BATCH,
    NEW_ADD,
    NEW_BATCH,
    NEW_ID,
    Sync,
    moved,
    pending_row,
    statuses,
    synced_row,
)
from wagtail_webinars import sync
from wagtail_webinars.models import EventPage, Registration


def test_meeting_changed_forgets_old_registrants(zoom, event, queued, commit):
    old = {"provider_meeting_id": "80000000000", "sync_status": Sync.SYNCED}
    active = RegistrationFactory(
        page=event, provider_registrant_id="old1", provider_status="approved", **old
    )
    gone = RegistrationFactory(
        page=event,
        status=Registration.Status.CANCELLED,
        provider_registrant_id="old2",
        provider_status="cancelled",
        **old,
    )
    refused = RegistrationFactory(page=event, sync_status=Sync.FAILED, sync_attempts=1)
    here = RegistrationFactory(
        page=event,
        provider_registrant_id="new1",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
        sync_status=Sync.SYNCED,
    )
    with commit():
        assert sync.meeting_changed(event.pk, MEETING_ID) == 2
    active.refresh_from_db()
    gone.refresh_from_db()
    refused.refresh_from_db()
    here.refresh_from_db()
    assert (active.provider_registrant_id, active.provider_join_url) == ("", "")
    assert (active.provider_meeting_id, active.sync_status) == ("", Sync.PENDING)
    assert (gone.provider_registrant_id, gone.sync_status) == ("", Sync.SYNCED)
    # Refused by the old meeting: the new one gets its own chance.
    assert (refused.sync_status, refused.sync_attempts) == (Sync.PENDING, 0)
    assert (here.provider_registrant_id, here.sync_status) == ("new1", Sync.SYNCED)
    assert sync.has_never_pushed(event.pk, MEETING_ID)
    assert queued == []  # the caller queues the backfill
    # Nothing held for another meeting: nothing to do.
    assert sync.meeting_changed(event.pk, MEETING_ID) == 0


def test_going_live_without_the_editor_moves_registrants_to_the_new_meeting(zoom, event, commit):
    # A workflow approval, a scheduled go-live or code: no admin hook runs.
    ada = synced_row(event, "regA")
    bob = synced_row(event, "regB")
    gone = synced_row(
        event, "regC", status=Registration.Status.CANCELLED, provider_status="cancelled"
    )
    zoom.meeting(NEW_ID, join_url=f"https://zoom.test/j/{NEW_ID}")
    zoom.accepts_batches(NEW_ID)
    with commit():
        moved(event, NEW_ID).save_revision().publish()
    assert sorted(zoom.describe()) == sorted([NEW_BATCH, f"GET /meetings/{NEW_ID}"])
    (body,) = zoom.bodies("POST", "batch_registrants")
    assert {p["email"] for p in body["registrants"]} == {ada.email, bob.email}
    for row in (ada, bob):
        row.refresh_from_db()
        assert row.sync_status == Sync.SYNCED
        assert row.provider_meeting_id == NEW_ID
        assert row.provider_registrant_id not in ("regA", "regB", "")
        assert NEW_ID in row.provider_join_url
    gone.refresh_from_db()
    assert (gone.sync_status, gone.provider_registrant_id) == (Sync.SYNCED, "")
    # And the join link of the live page was read from Zoom for the new meeting.
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == f"https://zoom.test/j/{NEW_ID}"
    assert live.provider_config["id"] == NEW_ID


def test_registrants_stored_before_meetings_were_recorded_move_too(zoom, event):
    event.provider_config = {"id": MEETING_ID}
    event.save_revision().publish()
    reg = synced_row(event, "regA", meeting_id="")
    moved(event, NEW_ID).save_revision().publish()
    zoom.accepts_registrants(NEW_ID)
    assert sync.sync_registration(reg.pk) == "synced"
    reg.refresh_from_db()
    assert zoom.describe() == [NEW_ADD]
    assert (reg.provider_registrant_id, reg.provider_meeting_id) == ("reg0001", NEW_ID)


def test_an_add_in_flight_when_the_event_moves_is_not_kept(zoom, event):
    registration = pending_row(event)
    zoom.accepts_registrants(NEW_ID)

    def add_while_the_event_moves(request):
        moved(event, NEW_ID).save_revision().publish()
        answer = registrant_payload("meetings", MEETING_ID, "old1", "https://z/old")
        return 201, {}, json.dumps(answer)

    zoom.callback("POST", f"/meetings/{MEETING_ID}/registrants", add_while_the_event_moves)
    assert sync.sync_registration(registration.pk) == "synced"
    registration.refresh_from_db()
    assert zoom.describe() == [ADD, NEW_ADD]
    assert registration.provider_registrant_id == "reg0001"
    assert registration.provider_meeting_id == NEW_ID
    assert not registration.sync_add_uncertain


def test_a_batch_in_flight_when_the_event_moves_is_pushed_again(zoom, event, commit):
    RegistrationFactory.create_batch(3, page=event, sync_status=Sync.PENDING)
    zoom.meeting(NEW_ID)
    zoom.accepts_batches(NEW_ID)

    def batch_while_the_event_moves(request):
        moved(event, NEW_ID).save_revision().publish()
        people = json.loads(request.body)["registrants"]
        answered = [
            {"email": p["email"], "join_url": "https://z/old", "registrant_id": f"old{n}"}
            for n, p in enumerate(people)
        ]
        return 201, {}, json.dumps({"registrants": answered})

    zoom.callback("POST", f"/meetings/{MEETING_ID}/batch_registrants", batch_while_the_event_moves)
    with commit():
        assert sync.backfill_event(event.pk) == 0
    assert BATCH in zoom.describe() and NEW_BATCH in zoom.describe()
    rows = Registration.objects.filter(page=event)
    assert statuses(event) == {Sync.SYNCED}
    assert set(rows.values_list("provider_meeting_id", flat=True)) == {NEW_ID}
    assert not rows.filter(provider_registrant_id__startswith="old").exists()


def test_personal_link_into_a_meeting_the_event_left_is_not_offered(event):
    row = synced_row(event, "regA", meeting_id="80000000000")
    assert event.provider.join_info(row).url != row.provider_join_url
