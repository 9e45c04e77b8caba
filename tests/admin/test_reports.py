"""Reports > Event headcount: picking an event, the figures, the registrant table,
its exports, permissions and constant query counts."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.models import ParticipantPull, Registration, UnmatchedParticipant

pytestmark = pytest.mark.django_db

CAMPUS = ZoneInfo("America/New_York")
LIST_URL = reverse("wagtail_webinars_headcount:index")


def report_url(event, **params) -> str:
    from urllib.parse import urlencode

    url = reverse("wagtail_webinars_headcount:event", args=[event.pk])
    return url + ("?" + urlencode(params) if params else "")


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(body(response))))


def denied(response) -> bool:
    # Wagtail answers a PermissionDenied in the admin with 403 (or a redirect home).
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


@pytest.fixture
def ended_event(make_event):
    start = timezone.now() - timedelta(days=1)
    return make_event(
        kind="zoom_meeting_link",
        title="Data Science 101",
        start=start,
        end=start + timedelta(hours=1),
    )


def people(event, n, **fields):
    return [RegistrationFactory(page=event, **fields) for _ in range(n)]


class TestPickAnEvent:
    def test_newest_first_with_date_provider_and_figures(self, staff_client, make_event):
        older = make_event(
            kind="vimeo", title="Older talk", start=datetime(2026, 3, 1, 14, 0, tzinfo=CAMPUS)
        )
        newer = make_event(
            kind="zoom_webinar_link",
            title="Newer talk",
            start=datetime(2026, 11, 2, 9, 30, tzinfo=CAMPUS),
        )
        people(newer, 3)
        RegistrationFactory(page=newer, checked_in_at=timezone.now(), checkin_source="staff")
        html = body(staff_client.get(LIST_URL))
        assert html.index("Newer talk") < html.index("Older talk")
        assert "Monday 2 November 2026, 09:30 EST" in html
        assert "Zoom webinar (link only)" in html
        assert "Vimeo" in html
        assert report_url(newer) in html and report_url(older) in html
        assert "25%" in html  # 1 of 4 checked in

    def test_lists_only_events_the_user_may_see(self, client, make_staff, make_event):
        mine = make_event(kind="vimeo", title="My event")
        make_event(kind="vimeo", title="Someone else's event")
        client.force_login(make_staff("view_registration", pages=[mine]))
        html = body(client.get(LIST_URL))
        assert "My event" in html
        assert "Someone else" not in html

    def test_needs_the_registration_view_permission(self, client, make_staff, make_event):
        event = make_event(kind="vimeo")
        client.force_login(make_staff(pages=[event]))
        assert denied(client.get(LIST_URL))
        assert denied(client.get(LIST_URL + "?export=csv"))

    def test_under_reports_in_the_menu_only_for_those_who_may_see(
        self, client, staff_client, make_staff, site
    ):
        assert LIST_URL in body(staff_client.get(reverse("wagtailadmin_home")))
        client.force_login(make_staff())
        assert LIST_URL not in body(client.get(reverse("wagtailadmin_home")))

    def test_export_of_the_event_list(self, staff_client, make_event):
        event = make_event(
            kind="vimeo", title="Exported", start=datetime(2026, 7, 1, 12, 0, tzinfo=CAMPUS)
        )
        people(event, 2)
        rows = csv_rows(staff_client.get(LIST_URL + "?export=csv"))
        assert rows[0][:3] == ["Event", "Starts (America/New_York)", "Provider"]
        assert rows[1][:4] == ["Exported", "2026-07-01 12:00:00", "Vimeo", "2"]


class TestEventReport:
    def test_figures_registrants_and_the_state_of_check_in(self, staff_client, ended_event):
        now = timezone.now()
        RegistrationFactory(
            page=ended_event,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            reminder_sent_at=now,
            join_clicked_at=now,
            join_click_count=1,
            checked_in_at=now,
            checkin_source=Registration.CheckinSource.EMAIL_CLICK,
        )
        RegistrationFactory(
            page=ended_event, first_name="Bob", last_name="Babbage", reminder_sent_at=now
        )
        RegistrationFactory(
            page=ended_event, status=Registration.Status.CANCELLED, last_name="Gone"
        )
        response = staff_client.get(report_url(ended_event))
        assert response.status_code == 200
        html = body(response)
        figures = {label: value for label, value, _ in response.context["figures"]}
        assert figures["Registered"] == 3
        assert figures["Active"] == 2
        assert figures["Cancelled"] == 1
        assert figures["Reminders sent"] == 2
        assert figures["Checked in"] == 1
        assert figures["By a reminder link click"] == 1
        assert figures["No-shows"] == 1
        assert figures["Attendance rate"] == "50%"
        assert "Ada Lovelace" in html and "ada@example.org" in html
        assert "Reminder link click" in html  # the check-in column, in words
        # Link-only: no participant report, so no pull button.
        assert "Check in webinar attendees" not in html
        assert "no participant report" in html
        assert "Resend reminder to all" in html

    def test_live_check_ins_have_their_own_figure(self, staff_client, ended_event):
        RegistrationFactory(
            page=ended_event,
            checked_in_at=timezone.now(),
            checkin_source=Registration.CheckinSource.PROVIDER_LIVE,
            checkin_matched_by=Registration.CheckinMatch.REGISTRANT_ID,
        )
        response = staff_client.get(report_url(ended_event))
        figures = {label: value for label, value, _ in response.context["figures"]}
        assert figures["Checked in"] == 1
        assert figures["Live, as they joined in Zoom"] == 1
        assert figures["From the participant report"] == 0

    def test_filter_search_and_pagination(self, staff_client, ended_event):
        people(ended_event, 55)
        RegistrationFactory(
            page=ended_event,
            last_name="Zed",
            checked_in_at=timezone.now(),
            checkin_source=Registration.CheckinSource.STAFF,
        )
        first_page = staff_client.get(report_url(ended_event))
        assert first_page.context["paginator"].count == 56
        assert len(first_page.context["object_list"]) == 50
        checked = staff_client.get(report_url(ended_event, checked_in="yes"))
        assert [r.last_name for r in checked.context["object_list"]] == ["Zed"]
        assert (
            staff_client.get(report_url(ended_event, checked_in="no")).context["paginator"].count
            == 55
        )
        searched = staff_client.get(report_url(ended_event, q="zed"))
        assert [r.last_name for r in searched.context["object_list"]] == ["Zed"]
        by_source = staff_client.get(report_url(ended_event, checkin_source="staff"))
        assert by_source.context["paginator"].count == 1

    def test_unknown_or_non_event_page_is_404(self, staff_client, ended_event):
        assert (
            staff_client.get(reverse("wagtail_webinars_headcount:event", args=[99999])).status_code
            == 404
        )
        parent = ended_event.get_parent()
        assert staff_client.get(report_url(parent)).status_code == 404

    def test_bad_filter_values_do_not_break_the_page(self, staff_client, ended_event):
        people(ended_event, 2)
        response = staff_client.get(report_url(ended_event, status="bogus", p="x", ordering="evil"))
        assert response.status_code == 200

    def test_managed_event_offers_the_pull_and_shows_its_state(self, staff_client, make_event):
        start = timezone.now() - timedelta(hours=3)
        event = make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))
        html = body(staff_client.get(report_url(event)))
        assert "Check in webinar attendees" in html
        assert 'http-equiv="refresh"' not in html

        pull = ParticipantPull.objects.create(page_id=event.pk, state="running")
        html = body(staff_client.get(report_url(event)))
        assert 'data-pull-state="running"' in html
        assert 'http-equiv="refresh" content="3"' in html  # reloads until it is done
        assert re.search(r'<button type="submit" class="button" disabled>\s*Check in webinar', html)

        pull.state = "waiting"
        pull.save()
        html = body(staff_client.get(report_url(event)))
        assert "Waiting for Zoom" in html
        assert "never" not in html.lower().split("waiting for zoom")[1][:200]
        assert 'http-equiv="refresh" content="60"' in html
        # Waiting for Zoom: staff may ask again now.
        assert re.search(r'<button type="submit" class="button">\s*Check in webinar', html)

        pull.state, pull.people, pull.checked_in, pull.unmatched = "done", 5, 3, 2
        pull.matched_by_name = 1
        pull.message = "5 people in Zoom's report, 3 newly checked in, 2 unmatched."
        pull.finished_at = timezone.now()
        pull.save()
        html = body(staff_client.get(report_url(event)))
        assert (
            "5 people in the report: 3 newly checked in, 0 joined briefly, 2 matched nobody."
            in html
        )
        # Said once: the pull's own summary of the same counts is not repeated.
        assert html.count("newly checked in") == 1
        assert "1 matched by name: please review." in html
        assert 'http-equiv="refresh"' not in html

    def test_unmatched_participants_are_listed_with_actions(self, staff_client, ended_event):
        UnmatchedParticipant.objects.create(
            page_id=ended_event.pk, key="name:guest", name="Guest Person", minutes=42
        )
        UnmatchedParticipant.objects.create(
            page_id=ended_event.pk, key="name:gone", name="Dismissed One", state="dismissed"
        )
        html = body(staff_client.get(report_url(ended_event)))
        assert "1 unmatched participant" in html
        assert "Guest Person" in html and "42" in html
        assert "Dismissed One" not in html
        assert "Link to a registration" in html
        assert "Create a registration" in html
        assert "Dismiss" in html


class TestPermissions:
    def test_no_view_permission_is_403_and_no_personal_data(self, client, make_staff, ended_event):
        RegistrationFactory(page=ended_event, email="secret.person@example.org")
        UnmatchedParticipant.objects.create(
            page_id=ended_event.pk, key="email:x", name="Hidden Guest", email="hidden@example.org"
        )
        # May edit the page, but holds no registration permission.
        client.force_login(make_staff(pages=[ended_event]))
        results = reverse("wagtail_webinars_headcount:event_results", args=[ended_event.pk])
        for url in (
            report_url(ended_event),
            report_url(ended_event, export="csv"),
            report_url(ended_event, export="xlsx"),
            results,
        ):
            response = client.get(url)
            assert denied(response), url
            text = body(response)
            assert "secret.person" not in text and "Hidden Guest" not in text, url

    def test_permission_for_another_event_is_not_enough(self, client, make_staff, make_event):
        mine = make_event(kind="vimeo")
        theirs = make_event(kind="vimeo")
        RegistrationFactory(page=theirs, email="secret.person@example.org")
        client.force_login(make_staff("view_registration", "change_registration", pages=[mine]))
        assert client.get(report_url(mine)).status_code == 200
        for url in (report_url(theirs), report_url(theirs, export="csv")):
            response = client.get(url)
            assert denied(response)
            assert "secret.person" not in body(response)

    def test_view_only_sees_the_report_but_no_actions(self, client, make_staff, make_event):
        start = timezone.now() - timedelta(hours=3)
        event = make_event(kind="zoom_meeting", start=start, end=start + timedelta(hours=1))
        RegistrationFactory(page=event, email="seen@example.org")
        UnmatchedParticipant.objects.create(page_id=event.pk, key="name:g", name="Guest")
        client.force_login(make_staff("view_registration", pages=[event]))
        html = body(client.get(report_url(event)))
        assert "seen@example.org" in html
        assert "Guest" in html
        for action in ("Check in webinar attendees", "Resend reminder to all", "Dismiss"):
            assert action not in html
        csv_export = csv_rows(client.get(report_url(event, export="csv")))
        assert csv_export[1][2] == "seen@example.org"


class TestExport:
    def test_csv_in_campus_time_with_human_labels(self, staff_client, ended_event):
        registered = datetime(2026, 11, 20, 15, 5, tzinfo=ZoneInfo("UTC"))  # 10:05 EST
        reg = RegistrationFactory(
            page=ended_event,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            sync_status=Registration.SyncStatus.NOT_APPLICABLE,
            checked_in_at=datetime(2026, 12, 1, 19, 2, tzinfo=ZoneInfo("UTC")),  # 14:02 EST
            checkin_source=Registration.CheckinSource.PROVIDER_REPORT,
            checkin_matched_by=Registration.CheckinMatch.NAME,
            checkin_needs_review=True,
            attended_minutes=47,
            attendance_mode=Registration.Attendance.ONLINE,
        )
        Registration.objects.filter(pk=reg.pk).update(registered_at=registered)
        response = staff_client.get(report_url(ended_event, export="csv"))
        assert response["Content-Type"].startswith("text/csv")
        assert "headcount-" in response["Content-Disposition"]
        rows = csv_rows(response)
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["First name"] == "Ada"
        assert row["Email"] == "ada@example.org"
        assert row["Status"] == "Registered"
        assert row["Registered (America/New_York)"] == "2026-11-20 10:05:00"
        assert row["Checked in (America/New_York)"] == "2026-12-01 14:02:00"
        assert row["Checked in by"] == "Provider participant report"
        assert row["Matched by"] == "Name"
        assert row["Attended"] == "Online"
        assert row["Minutes attended"] == "47"
        assert row["Matched by name: please review"] == "Yes"
        assert row["Joined briefly"] == "No"
        assert row["Sync"] == "Not applicable"

    def test_export_follows_the_filters(self, staff_client, ended_event):
        people(ended_event, 3)
        RegistrationFactory(
            page=ended_event, email="came@example.org", checked_in_at=timezone.now()
        )
        rows = csv_rows(staff_client.get(report_url(ended_event, checked_in="yes", export="csv")))
        assert [r[2] for r in rows[1:]] == ["came@example.org"]

    def test_xlsx(self, staff_client, ended_event):
        from openpyxl import load_workbook

        reg = RegistrationFactory(
            page=ended_event,
            email="ada@example.org",
            checked_in_at=datetime(2026, 12, 1, 19, 2, tzinfo=ZoneInfo("UTC")),
        )
        assert reg.pk
        response = staff_client.get(report_url(ended_event, export="xlsx"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        headings = list(rows[0])
        row = dict(zip(headings, rows[1], strict=True))
        assert row["Email"] == "ada@example.org"
        assert row["Checked in (America/New_York)"] == datetime(2026, 12, 1, 14, 2)
        assert row["Status"] == "Registered"


class TestQueryCounts:
    def _make(self, event, n):
        Registration.objects.bulk_create(
            Registration(
                page_id=event.pk,
                email=f"p{i}@example.org",
                first_name="Pat",
                last_name=f"Person{i:05d}",
                form_data={},
                reminder_sent_at=timezone.now(),
                checked_in_at=timezone.now() if i % 3 == 0 else None,
                checkin_source="provider_report" if i % 3 == 0 else "",
            )
            for i in range(n)
        )
        UnmatchedParticipant.objects.bulk_create(
            UnmatchedParticipant(page_id=event.pk, key=f"name:{i}", name=f"Guest {i}")
            for i in range(min(n, 150))
        )
        ParticipantPull.objects.create(page_id=event.pk, state="done")

    def count(self, client, url) -> int:
        client.get(url)  # warm caches (content types, site, user permissions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    def test_report_page_costs_the_same_for_10_and_10000_registrants(
        self, staff_client, make_event
    ):
        small = make_event(kind="zoom_meeting")
        big = make_event(kind="zoom_meeting")
        self._make(small, 10)
        self._make(big, 10_000)
        assert self.count(staff_client, report_url(small)) == self.count(
            staff_client, report_url(big)
        )

    def test_event_list_costs_the_same_for_few_and_many_events(self, staff_client, make_event):
        first = make_event(kind="vimeo")
        self._make(first, 10)
        few = self.count(staff_client, LIST_URL)
        for _ in range(5):
            self._make(make_event(kind="vimeo"), 10)
        assert self.count(staff_client, LIST_URL) == few


def test_event_page_editor_links_the_headcount_report(
    staff_client, client, make_staff, ended_event
):
    edit = reverse("wagtailadmin_pages:edit", args=[ended_event.pk])
    assert report_url(ended_event) in body(staff_client.get(edit))
    client.force_login(make_staff(pages=[ended_event]))  # may edit, may not see registrations
    assert report_url(ended_event) not in body(client.get(edit))


def test_csv_cells_never_start_a_formula(staff_client, ended_event):
    RegistrationFactory(page=ended_event, first_name='=HYPERLINK("http://x")', last_name="Evil")
    rows = csv_rows(staff_client.get(report_url(ended_event, export="csv")))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
