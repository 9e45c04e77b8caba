"""The headcount report's staff actions: check in attendees, handle unmatched
participants, the door list of a hybrid event; each needs the change permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import ParticipantPull, Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db

NS = "wagtail_webinars_headcount"


def url(name, *args) -> str:
    return reverse(f"{NS}:{name}", args=args)


def denied(response) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def messages_of(response) -> list[str]:
    return [str(m).split("<", 1)[0].strip() for m in response.context["messages"]]


@pytest.fixture
def managed_event(make_event):
    start = timezone.now() - timedelta(hours=3)
    return make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))


@pytest.fixture
def guest(managed_event):
    return UnmatchedParticipant.objects.create(
        page_id=managed_event.pk,
        key="name:ada k",
        name="Ada King Lovelace",
        email="",
        minutes=42,
        first_join=timezone.now() - timedelta(hours=2),
    )


class TestStartCheckIn:
    def test_queues_a_pull_and_goes_back_to_the_report(self, staff_client, managed_event):
        response = staff_client.post(url("check_in", managed_event.pk), follow=True)
        assert response.redirect_chain[-1][0] == url("event", managed_event.pk)
        assert ParticipantPull.objects.filter(page_id=managed_event.pk).exists()
        assert any("Checking in attendees" in m for m in messages_of(response))
        assert 'data-pull-state="' in response.content.decode()

    def test_get_does_nothing(self, staff_client, managed_event):
        assert staff_client.get(url("check_in", managed_event.pk)).status_code == 405
        assert not ParticipantPull.objects.exists()

    def test_link_only_event_has_no_report_to_pull(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        response = staff_client.post(url("check_in", event.pk), follow=True)
        assert messages_of(response) == [
            "This provider has no participant report to check attendees in from."
        ]
        assert not ParticipantPull.objects.exists()

    def test_view_permission_is_not_enough(self, client, make_staff, managed_event):
        client.force_login(make_staff("view_registration", pages=[managed_event]))
        assert denied(client.post(url("check_in", managed_event.pk)))
        assert not ParticipantPull.objects.exists()


class TestUnmatched:
    def test_link_page_searches_from_what_the_report_knew(self, staff_client, managed_event, guest):
        RegistrationFactory(page=managed_event, first_name="Ada", last_name="Lovelace")
        RegistrationFactory(page=managed_event, first_name="Bob", last_name="Other")
        html = staff_client.get(url("unmatched_link", managed_event.pk, guest.pk)).content.decode()
        assert "Link to Ada Lovelace" not in html  # the full report name matches nobody
        html = staff_client.get(
            url("unmatched_link", managed_event.pk, guest.pk) + "?q=lovelace"
        ).content.decode()
        assert "Link to Ada Lovelace" in html
        assert "Bob Other" not in html

    def test_link_checks_the_registration_in(self, staff_client, managed_event, guest):
        reg = RegistrationFactory(page=managed_event, first_name="Ada", last_name="Lovelace")
        response = staff_client.post(
            url("unmatched_link", managed_event.pk, guest.pk), {"registration": reg.pk}, follow=True
        )
        assert messages_of(response) == ["Linked and checked in Ada Lovelace."]
        reg.refresh_from_db()
        guest.refresh_from_db()
        assert reg.checked_in_at is not None
        assert reg.checkin_matched_by == Registration.CheckinMatch.LINKED
        assert guest.state == UnmatchedParticipant.State.LINKED
        assert guest.registration_id == reg.pk
        assert "Ada King Lovelace" not in response.content.decode()  # off the list

    def test_link_refuses_a_registration_of_another_event_or_cancelled(
        self, staff_client, managed_event, guest, make_event
    ):
        other = RegistrationFactory(page=make_event(kind="vimeo"))
        cancelled = RegistrationFactory(page=managed_event, status="cancelled")
        for value in (other.pk, cancelled.pk, "nonsense", ""):
            response = staff_client.post(
                url("unmatched_link", managed_event.pk, guest.pk),
                {"registration": value},
                follow=True,
            )
            assert messages_of(response) == ["Choose an active registration of this event."]
        guest.refresh_from_db()
        assert guest.is_open
        assert not Registration.objects.filter(checked_in_at__isnull=False).exists()

    def test_participant_of_another_event_is_404(self, staff_client, make_event, guest):
        other = make_event(kind="vimeo")
        assert staff_client.get(url("unmatched_link", other.pk, guest.pk)).status_code == 404

    def test_create_a_registration_prefilled_from_the_report(
        self, staff_client, managed_event, guest, django_capture_on_commit_callbacks
    ):
        form = staff_client.get(url("unmatched_register", managed_event.pk, guest.pk))
        assert form.context["form"].initial == {
            "first_name": "Ada King",
            "last_name": "Lovelace",
            "email": "",
        }
        missing = staff_client.post(
            url("unmatched_register", managed_event.pk, guest.pk),
            {"first_name": "Ada", "last_name": "Lovelace", "email": ""},
        )
        assert missing.status_code == 200
        assert "email" in missing.context["form"].errors
        assert not Registration.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                url("unmatched_register", managed_event.pk, guest.pk),
                {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org"},
                follow=True,
            )
        assert messages_of(response)[-1] == "Registered and checked in Ada Lovelace."
        reg = Registration.objects.get()
        assert reg.email == "ada@example.org"
        assert reg.checked_in_at is not None
        guest.refresh_from_db()
        assert guest.state == UnmatchedParticipant.State.REGISTERED

    def test_dismiss(self, staff_client, managed_event, guest):
        explode = url("unmatched_action", managed_event.pk, guest.pk, "explode")
        assert staff_client.post(explode).status_code == 404
        response = staff_client.post(
            url("unmatched_action", managed_event.pk, guest.pk, "dismiss"), follow=True
        )
        assert messages_of(response) == ["Participant dismissed."]
        guest.refresh_from_db()
        assert guest.state == UnmatchedParticipant.State.DISMISSED
        again = staff_client.post(
            url("unmatched_action", managed_event.pk, guest.pk, "dismiss"), follow=True
        )
        assert messages_of(again) == ["That participant has already been handled."]

    def test_view_only_user_cannot_act_or_see_the_forms(
        self, client, make_staff, managed_event, guest
    ):
        reg = RegistrationFactory(page=managed_event)
        client.force_login(make_staff("view_registration", pages=[managed_event]))
        for response in (
            client.get(url("unmatched_link", managed_event.pk, guest.pk)),
            client.post(
                url("unmatched_link", managed_event.pk, guest.pk), {"registration": reg.pk}
            ),
            client.get(url("unmatched_register", managed_event.pk, guest.pk)),
            client.post(url("unmatched_action", managed_event.pk, guest.pk, "dismiss")),
        ):
            assert denied(response)
            assert "Ada King" not in response.content.decode()
        guest.refresh_from_db()
        assert guest.is_open


class TestDoorList:
    @pytest.fixture
    def hybrid(self, make_event):
        return make_event(kind="zoom_meeting_link", venue="Room 101, Main Hall")

    def test_search_and_check_in_on_the_spot(self, staff_client, hybrid):
        ada = RegistrationFactory(
            page=hybrid, first_name="Ada", last_name="Lovelace", email="ada@example.org"
        )
        RegistrationFactory(page=hybrid, first_name="Bob", last_name="Other")
        door = url("door_list", hybrid.pk)
        html = staff_client.get(door + "?q=love").content.decode()
        assert "Ada Lovelace" in html and "Bob Other" not in html
        assert 'name="viewport"' in html  # Wagtail's admin is responsive: phones work

        response = staff_client.post(
            door, {"registration": ada.pk, "action": "check_in", "q": "love"}, follow=True
        )
        assert response.redirect_chain[-1][0] == door + "?q=love"
        assert messages_of(response) == ["Ada Lovelace is checked in (in person)."]
        ada.refresh_from_db()
        assert ada.checked_in_at is not None
        assert ada.checkin_source == Registration.CheckinSource.STAFF
        assert ada.attendance_mode == Registration.Attendance.IN_PERSON
        assert "In person: 1 · online: 0" in response.content.decode()
        # The report separates in person from online for a hybrid event.
        figures = {
            label: value
            for label, value, _ in staff_client.get(url("event", hybrid.pk)).context["figures"]
        }
        assert (figures["In person"], figures["Online"]) == (1, 0)

        undone = staff_client.post(door, {"registration": ada.pk, "action": "undo"}, follow=True)
        assert messages_of(undone) == ["Check-in of Ada Lovelace undone."]
        ada.refresh_from_db()
        assert ada.checked_in_at is None

    def test_only_for_hybrid_events(self, staff_client, make_event):
        online_only = make_event(kind="vimeo")
        assert staff_client.get(url("door_list", online_only.pk)).status_code == 404

    def test_report_links_the_door_list_of_a_hybrid_event(self, staff_client, hybrid):
        assert (
            url("door_list", hybrid.pk)
            in staff_client.get(url("event", hybrid.pk)).content.decode()
        )

    def test_unknown_person_or_action(self, staff_client, hybrid, make_event):
        other = RegistrationFactory(page=make_event(kind="vimeo"))
        response = staff_client.post(
            url("door_list", hybrid.pk),
            {"registration": other.pk, "action": "check_in"},
            follow=True,
        )
        assert messages_of(response) == ["That person is not registered for this event."]
        other.refresh_from_db()
        assert other.checked_in_at is None

    def test_needs_change_permission(self, client, make_staff, hybrid):
        reg = RegistrationFactory(page=hybrid, email="secret.person@example.org")
        client.force_login(make_staff("view_registration", pages=[hybrid]))
        response = client.get(url("door_list", hybrid.pk) + "?q=secret")
        assert denied(response)
        assert "secret.person" not in response.content.decode()
        assert denied(
            client.post(url("door_list", hybrid.pk), {"registration": reg.pk, "action": "check_in"})
        )
        reg.refresh_from_db()
        assert reg.checked_in_at is None
