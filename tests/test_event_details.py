"""Auto-populated fields from Zoom: on publish, from "Refresh from Zoom", with warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory
from tests.page_forms import add_url, edit_url, event_page_data
from tests.providers.zoom_fixtures import MEETING_ID, WEBINAR_ID, FakeZoom
from wagtail_webinars import event_details, sync
from wagtail_webinars.admin.events import ZOOM_URL_NAME as EVENT_ZOOM_URL_NAME
from wagtail_webinars.models import EventPage, Registration

Sync = Registration.SyncStatus
JOIN_URL = f"https://zoom.test/j/{MEETING_ID}?pwd=ENCRYPTED"
# The page forms' default start: 14:00 campus time on 15 January 2030 = 19:00 UTC.
PAGE_START = datetime(2030, 1, 15, 19, 0, tzinfo=UTC)


@pytest.fixture
def zoom():
    with FakeZoom.running() as fake:
        yield fake


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting", start=PAGE_START, end=PAGE_START.replace(hour=20))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def publish_edit(client, page, **kwargs):
    data = event_page_data("zoom_meeting", slug=page.slug, title=page.title, **kwargs)
    return client.post(edit_url(page), data)


# -- refresh_event -----------------------------------------------------------------------------
def test_refresh_fills_the_auto_populated_fields(zoom, event):
    zoom.meeting()
    result = event_details.refresh_event(event)
    assert result.refreshed and result.warnings == []
    assert event.location_block.value["join_url"] == JOIN_URL
    assert event.location_block.value["password"] == "town1234"
    assert event.provider_config["topic"] == "Alumni town hall"
    assert event.provider_config["start_time"] == "2030-01-15T19:00:00Z"
    assert event.provider_config["timezone"] == "America/New_York"
    assert event.provider_config["approval_type"] == 1
    assert event.provider_checked_at is not None
    assert event.provider.join_info().url == JOIN_URL  # the provider sees the new values


def test_refresh_webinar(zoom, make_event):
    webinar = make_event(kind="zoom_webinar", start=PAGE_START)
    zoom.webinar()
    event_details.refresh_event(webinar)
    assert webinar.location_block.value["join_url"].endswith(f"{WEBINAR_ID}?tk=WEBINAR")
    assert webinar.provider_config["resource"] == "webinars"


@pytest.mark.parametrize(
    "setup,phrase",
    [
        (
            lambda z: z.error(
                "GET", f"/meetings/{MEETING_ID}", 404, 3001, "Meeting does not exist."
            ),
            f"Zoom has no meeting with ID {MEETING_ID}",
        ),
        (lambda z: z.meeting(settings={"approval_type": 2}), "Registration is not required"),
        (lambda z: z.meeting(settings={"approval_type": 0}), "approves registrations"),
        (lambda z: z.meeting(start_time="2030-01-15T20:30:00Z"), "Zoom says this starts"),
        (lambda z: z.token_error(401), "rejected this site's credentials"),
        (
            lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 503, None, "Unavailable"),
            "could not be reached just now",
        ),
    ],
)
def test_refresh_warnings(zoom, event, setup, phrase):
    setup(zoom)
    result = event_details.refresh_event(event)
    assert any(phrase in w for w in result.warnings), result.warnings
    assert "test-secret-value" not in " ".join(result.warnings)


def test_start_time_warning_names_both_times_in_campus_time(zoom, event):
    zoom.meeting(start_time="2030-01-15T20:30:00Z")
    (warning,) = event_details.refresh_event(event).warnings
    assert "15:30 EST" in warning and "14:00 EST" in warning


RECURRING = {
    "type": 8,
    "start_time": "2030-01-08T19:00:00Z",
    "occurrences": [
        {"occurrence_id": "1", "start_time": "2030-01-08T19:00:00Z", "duration": 60},
        {"occurrence_id": "2", "start_time": "2030-01-15T19:00:00Z", "duration": 60},
    ],
}


def test_recurring_meeting_at_its_named_occurrence_is_fine(zoom, event):
    zoom.meeting(**RECURRING)
    event.location = [("zoom_meeting", {"meeting_id": MEETING_ID, "occurrence_id": "2"})]
    assert event_details.refresh_event(event).warnings == []
    assert event.start == PAGE_START


def test_recurring_meeting_without_its_occurrence_says_to_pick_one(zoom, event):
    # (Publishing refuses it; a refresh of an event published earlier says so.)
    zoom.meeting(**RECURRING)
    (warning,) = event_details.refresh_event(event).warnings
    assert "pick the occurrence this event is for" in warning


def test_missing_credentials_warn_by_setting_name(zoom, event, settings, monkeypatch):
    monkeypatch.delenv("ZOOM_CLIENT_SECRET", raising=False)
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_CLIENT_SECRET": ""}
    (warning,) = event_details.refresh_event(event).warnings
    assert "ZOOM_CLIENT_SECRET" in warning
    assert len(zoom.mock.calls) == 0


def test_a_failed_refresh_keeps_earlier_values(zoom, event):
    zoom.meeting()
    event_details.refresh_and_save(event)
    zoom.error("GET", f"/meetings/{MEETING_ID}", 500, None, "boom")
    event = EventPage.objects.get(pk=event.pk)
    result = event_details.refresh_event(event)
    assert not result.refreshed
    assert event.location_block.value["join_url"] == JOIN_URL


# -- on publish (Wagtail's before_publish_page hook) -------------------------------------------
def test_publish_in_the_admin_fills_live_page_and_revision(zoom, staff_client, event):
    zoom.meeting()
    response = publish_edit(staff_client, event)
    assert response.status_code == 302, response.context and response.context["form"].errors
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == JOIN_URL
    assert live.location_block.value["password"] == "town1234"
    assert live.provider_config["topic"] == "Alumni town hall"
    assert live.provider_checked_at is not None
    # The revision the editor opens next holds them too (so the next publish keeps them).
    for revision in (live.latest_revision, live.live_revision):
        draft = revision.as_object()
        assert draft.location_block.value["join_url"] == JOIN_URL
        assert draft.provider_config["topic"] == "Alumni town hall"
    edit_page = staff_client.get(edit_url(live))
    assert JOIN_URL.replace("&", "&amp;") in edit_page.content.decode()


def test_create_in_the_admin_fills_the_fields(zoom, staff_client, event_index):
    zoom.meeting()
    response = staff_client.post(add_url(event_index), event_page_data("zoom_meeting"))
    assert response.status_code == 302
    page = EventPage.objects.get(slug="data-science-101")
    assert page.live
    assert page.location_block.value["join_url"] == JOIN_URL
    assert page.latest_revision.as_object().location_block.value["password"] == "town1234"


@pytest.mark.parametrize(
    "setup,phrase",
    [
        (
            lambda z: z.error("GET", f"/meetings/{MEETING_ID}", 500, None, "Internal error"),
            "could not be reached just now",
        ),
        # (An ID Zoom does not have refuses the publish: tests/test_publishing.py.)
        (lambda z: z.meeting(settings={"approval_type": 2}), "Registration is not required"),
        (lambda z: z.token_error(401), "rejected this site's credentials"),
    ],
)
def test_publish_warns_the_editor_without_failing(zoom, staff_client, event, setup, phrase):
    setup(zoom)
    response = publish_edit(staff_client, event)
    assert response.status_code == 302
    assert EventPage.objects.get(pk=event.pk).live
    shown = messages_of(response)
    assert any(phrase in m for m in shown), shown
    assert not any("test-secret-value" in m for m in shown)


def test_publish_of_an_unmanaged_event_calls_nothing(zoom, staff_client, make_event):
    page = make_event(kind="vimeo")
    data = event_page_data("vimeo", slug=page.slug, title=page.title)
    assert staff_client.post(edit_url(page), data).status_code == 302
    assert len(zoom.mock.calls) == 0


def test_publish_queues_backfill_for_registrations_made_before_zoom(
    zoom, staff_client, make_event, django_capture_on_commit_callbacks
):
    page = make_event(kind="vimeo", start=PAGE_START, end=PAGE_START.replace(hour=20))
    early = RegistrationFactory.create_batch(3, page=page)  # "not applicable" then
    zoom.meeting()
    zoom.accepts_batches()
    with django_capture_on_commit_callbacks(execute=True):
        response = publish_edit(staff_client, page)
    assert response.status_code == 302
    assert any("being added to Zoom" in m for m in messages_of(response))
    rows = Registration.objects.filter(pk__in=[r.pk for r in early])
    assert set(rows.values_list("sync_status", flat=True)) == {Sync.SYNCED}
    assert rows.exclude(provider_registrant_id="").count() == 3
    assert len(zoom.calls_to("POST", "batch_registrants")) == 1


def test_changing_the_meeting_id_forgets_the_old_meeting(
    zoom, staff_client, event, django_capture_on_commit_callbacks
):
    zoom.meeting()
    event_details.refresh_and_save(event)
    old = RegistrationFactory(
        page=event,
        sync_status=Sync.SYNCED,
        provider_registrant_id="old1",
        provider_status="approved",
    )
    new_id = "83333333333"
    zoom.meeting(new_id, join_url=f"https://zoom.test/j/{new_id}")
    zoom.accepts_batches(new_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            edit_url(event),
            event_page_data(
                "zoom_meeting",
                location={"meeting_id": new_id, "join_url": JOIN_URL, "password": "town1234"},
                slug=event.slug,
                title=event.title,
            ),
        )
    assert response.status_code == 302
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == f"https://zoom.test/j/{new_id}"
    assert live.provider_config["id"] == new_id
    old.refresh_from_db()
    assert old.provider_registrant_id != "old1"
    assert old.sync_status == Sync.SYNCED
    assert zoom.describe()[-1] == f"POST /meetings/{new_id}/batch_registrants"


def test_meeting_change_is_seen_when_zoom_was_never_read(zoom, event):
    # First publish while Zoom was down: no stored Zoom details to compare with.
    assert not event.provider_config
    RegistrationFactory(page=event, sync_status=Sync.SYNCED, provider_registrant_id="regA")
    new_id = "83333333333"
    zoom.meeting(new_id)
    draft = EventPage.objects.get(pk=event.pk)
    draft.location = [("zoom_meeting", {"meeting_id": new_id, "join_url": "", "password": ""})]
    result = event_details.refresh_event(draft)
    assert result.refreshed
    assert (result.meeting_changed, result.previous_id) == (True, MEETING_ID)


def test_meeting_change_is_seen_from_the_registrants(zoom, event):
    # The live page already points elsewhere and Zoom was never read for it; the
    # registrants say which meeting they were added to.
    new_id = "83333333333"
    live = EventPage.objects.get(pk=event.pk)
    live.location = [("zoom_meeting", {"meeting_id": new_id, "join_url": "", "password": ""})]
    EventPage.objects.filter(pk=event.pk).update(location=live.location)
    RegistrationFactory(
        page=event,
        sync_status=Sync.SYNCED,
        provider_registrant_id="regA",
        provider_meeting_id=MEETING_ID,
    )
    zoom.meeting(new_id)
    result = event_details.refresh_event(EventPage.objects.get(pk=event.pk))
    assert (result.meeting_changed, result.previous_id) == (True, MEETING_ID)


def test_scheduled_move_keeps_registrants_on_the_live_meeting_until_it_goes_live(
    zoom, staff_client, event, django_capture_on_commit_callbacks
):
    zoom.meeting()
    event_details.refresh_and_save(event)
    ada = RegistrationFactory(
        page=event,
        sync_status=Sync.SYNCED,
        provider_registrant_id="regA",
        provider_status="approved",
        provider_meeting_id=MEETING_ID,
    )
    new_id = "83333333333"
    zoom.meeting(new_id, join_url=f"https://zoom.test/j/{new_id}")
    zoom.accepts_batches(new_id)
    go_live = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        second=0, microsecond=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = publish_edit(
            staff_client,
            event,
            location={"meeting_id": new_id, "join_url": "", "password": ""},
            go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
        )
    assert response.status_code == 302
    assert EventPage.objects.get(pk=event.pk).provider.external_id == MEETING_ID
    # Until it goes live, people join the old meeting with their old registrant.
    ada.refresh_from_db()
    assert (ada.provider_registrant_id, ada.sync_status) == ("regA", Sync.SYNCED)
    assert sync.sync_registration(ada.pk) == "synced"
    assert not zoom.calls_to("POST")

    with (
        time_machine.travel(go_live + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("publish_scheduled")
    live = EventPage.objects.get(pk=event.pk)
    assert live.provider.external_id == new_id
    ada.refresh_from_db()
    assert ada.provider_meeting_id == new_id
    assert ada.provider_registrant_id not in ("", "regA")
    assert ada.sync_status == Sync.SYNCED
    assert zoom.describe()[-1] == f"POST /meetings/{new_id}/batch_registrants"


# -- "Refresh from Zoom" and the event's Zoom sync page -----------------------------------
def zoom_page(event) -> str:
    return reverse(EVENT_ZOOM_URL_NAME, args=[event.pk])


def test_refresh_action_updates_live_page_and_revisions(zoom, staff_client, event):
    zoom.meeting()
    response = staff_client.post(zoom_page(event), {"action": "refresh"})
    assert response.status_code == 302
    assert any("refreshed from Zoom" in m for m in messages_of(response))
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == JOIN_URL
    assert live.live_revision.as_object().location_block.value["join_url"] == JOIN_URL


def test_refresh_action_leaves_a_draft_for_another_meeting_alone(zoom, event):
    zoom.meeting()
    draft = EventPage.objects.get(pk=event.pk)
    draft.location = [
        ("zoom_meeting", {"meeting_id": "84444444444", "join_url": "", "password": ""})
    ]
    draft.save_revision()
    live = EventPage.objects.get(pk=event.pk)
    event_details.refresh_and_save(live)
    live = EventPage.objects.get(pk=event.pk)
    assert live.location_block.value["join_url"] == JOIN_URL
    latest = live.latest_revision.as_object()
    assert latest.location_block.value["meeting_id"] == "84444444444"
    assert latest.location_block.value["join_url"] == ""


def test_refresh_action_shows_warnings_not_errors(zoom, staff_client, event):
    zoom.error("GET", f"/meetings/{MEETING_ID}", 404, 3001, "Meeting does not exist.")
    response = staff_client.post(zoom_page(event), {"action": "refresh"}, follow=True)
    assert response.status_code == 200
    assert "Zoom has no meeting" in response.content.decode()


def test_zoom_page_shows_counts_and_links_to_failed(staff_client, event):
    RegistrationFactory.create_batch(2, page=event, sync_status=Sync.FAILED)
    RegistrationFactory(page=event, sync_status=Sync.SYNCED)
    response = staff_client.get(zoom_page(event))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Retry failed syncs" in body
    assert f"page={event.pk}&amp;sync_status=failed" in body
    assert response.context["failed_count"] == 2


def test_zoom_page_warns_about_automatic_approval(staff_client, event):
    EventPage.objects.filter(pk=event.pk).update(
        provider_config={"id": MEETING_ID, "approval_type": 0}
    )
    body = staff_client.get(zoom_page(event)).content.decode()
    assert "approves registrations for this meeting automatically" in body
    EventPage.objects.filter(pk=event.pk).update(
        provider_config={"id": MEETING_ID, "approval_type": 1}
    )
    body = staff_client.get(zoom_page(event)).content.decode()
    assert "automatically" not in body


def test_zoom_page_retry_failed(zoom, staff_client, event, django_capture_on_commit_callbacks):
    RegistrationFactory.create_batch(2, page=event, sync_status=Sync.FAILED)
    zoom.accepts_batches()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(zoom_page(event), {"action": "retry_failed"})
    assert response.status_code == 302
    assert set(Registration.objects.filter(page=event).values_list("sync_status", flat=True)) == {
        Sync.SYNCED
    }


def test_zoom_page_needs_edit_permission(zoom, client, django_user_model, event):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", "v@example.edu", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    # Wagtail turns the PermissionDenied into a redirect with a message.
    for response in (
        client.get(zoom_page(event)),
        client.post(zoom_page(event), {"action": "refresh"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    assert len(zoom.mock.calls) == 0
    assert "Zoom sync" not in client.get(edit_url(event)).content.decode()


def test_zoom_page_is_only_for_managed_events(staff_client, make_event):
    assert staff_client.get(zoom_page(make_event(kind="vimeo"))).status_code == 404


def test_header_button_costs_no_query_and_the_zoom_page_has_the_count(
    staff_client, staff_user, event
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from wagtail import hooks

    RegistrationFactory.create_batch(3, page=event, sync_status=Sync.FAILED)
    body = staff_client.get(edit_url(event)).content.decode()
    assert zoom_page(event) in body
    with CaptureQueriesContext(connection) as queries:
        for hook in hooks.get_hooks("register_page_header_buttons"):
            list(hook(event, staff_user, view_name="edit"))
    assert not [q for q in queries if "wagtail_webinars_registration" in q["sql"]]
    zoom_body = staff_client.get(zoom_page(event)).content.decode()
    assert "See the 3 registrations whose sync failed" in zoom_body


def test_retry_sync_action_on_a_registration(
    zoom, staff_client, event, django_capture_on_commit_callbacks
):
    registration = RegistrationFactory(page=event, sync_status=Sync.FAILED, sync_error="Host…")
    inspect = reverse("wagtail_webinars_registrations:inspect", args=[registration.pk])
    assert "Retry sync" in staff_client.get(inspect).content.decode()
    zoom.accepts_registrants()
    url = reverse("wagtail_webinars_registrations:action", args=[registration.pk, "retry_sync"])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.sync_status == Sync.SYNCED
    assert "Retry sync" not in staff_client.get(inspect).content.decode()


def test_failed_filter_lists_failed_registrations(staff_client, event):
    failed = RegistrationFactory(page=event, sync_status=Sync.FAILED)
    synced = RegistrationFactory(page=event, sync_status=Sync.SYNCED)
    url = reverse("wagtail_webinars_registrations:index") + f"?page={event.pk}&sync_status=failed"
    body = staff_client.get(url).content.decode()
    assert failed.email in body and synced.email not in body


# -- one occurrence of a recurring meeting ---------------------------------------------------
OCCURRENCES = [
    {"occurrence_id": "1894906800000", "start_time": "2030-01-15T19:00:00Z", "duration": 60},
    {"occurrence_id": "1895511600000", "start_time": "2030-01-22T19:00:00Z", "duration": 90},
]


def test_publishing_an_occurrence_takes_its_start_and_length(zoom, staff_client, event):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    response = publish_edit(
        staff_client,
        event,
        location={"meeting_id": MEETING_ID, "occurrence_id": "1895511600000"},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    live = EventPage.objects.get(pk=event.pk)
    assert live.start == datetime(2030, 1, 22, 19, 0, tzinfo=UTC)
    assert live.end == datetime(2030, 1, 22, 20, 30, tzinfo=UTC)
    assert live.latest_revision.as_object().start == live.start  # the next edit keeps it
    shown = messages_of(response)
    assert any("start time was set from Zoom's occurrence" in m for m in shown), shown
    assert not any("Zoom says this starts" in m for m in shown)


def test_refresh_from_zoom_follows_a_moved_occurrence(zoom, event):
    zoom.meeting(type=8, occurrences=OCCURRENCES)
    draft = EventPage.objects.get(pk=event.pk)
    draft.location = [
        (
            "zoom_meeting",
            {
                "meeting_id": MEETING_ID,
                "occurrence_id": "1894906800000",
                "join_url": "",
                "password": "",
            },
        )
    ]
    draft.save_revision().publish()
    live = EventPage.objects.get(pk=event.pk)
    moved = [{**OCCURRENCES[0], "start_time": "2030-01-15T21:00:00Z"}]
    zoom.meeting(type=8, occurrences=moved)
    event_details.refresh_and_save(live)
    live = EventPage.objects.get(pk=event.pk)
    assert live.start == datetime(2030, 1, 15, 21, 0, tzinfo=UTC)
    assert live.live_revision.as_object().start == live.start
