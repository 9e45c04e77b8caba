"""Both exports (the Registrations list and an event page's submissions): cells a
spreadsheet cannot run, campus time without microseconds, labels, empty cells."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import RegistrationFactory
from wagtail_webinars import registration as service
from wagtail_webinars.admin.exports import neutralise_formula
from wagtail_webinars.models import Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
INDEX_URL = "wagtail_webinars_registrations:index"
DANGEROUS = ['=HYPERLINK("https://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def registrations_csv(client, **params):
    return csv_rows(client.get(reverse(INDEX_URL), {"export": "csv", **params}))


def submissions_csv(client, event):
    url = reverse("wagtailforms:list_submissions", args=(event.pk,))
    return csv_rows(client.get(url, {"export": "csv"}))


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_formula(text):
    assert neutralise_formula(text) == "'" + text
    assert neutralise_formula("Ada " + text) == "Ada " + text


class TestFormulaInjection:
    @pytest.mark.parametrize("text", DANGEROUS)
    def test_registrations_list_csv(self, staff_client, make_event, text):
        event = make_event(kind="vimeo")
        RegistrationFactory(page=event, first_name=text, last_name="Lovelace", sync_error=text)
        [row] = registrations_csv(staff_client)
        assert row["First name"] == "'" + text
        assert row["Sync problem"] == "'" + text
        assert row["Last name"] == "Lovelace"

    @pytest.mark.parametrize("text", DANGEROUS)
    def test_submissions_csv(self, staff_client, make_event, text):
        event = make_event(kind="vimeo")
        RegistrationFactory(
            page=event,
            first_name=text,
            form_data={"first_name": text, "last_name": "L", "email": "a@example.org"},
        )
        [row] = submissions_csv(staff_client, event)
        assert row["First name"] == "'" + text

    def test_answers_to_extra_questions_too(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        RegistrationFormField.objects.create(page=event, label="Diet", field_type="singleline")
        service.register(
            event,
            email="ada@example.org",
            first_name="Ada",
            last_name="L",
            answers={"diet": "=cmd|' /C calc'!A0"},
        )
        [row] = submissions_csv(staff_client, event)
        assert row["Diet"] == "'=cmd|' /C calc'!A0"

    def test_xlsx_keeps_it_as_text(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        RegistrationFactory(page=event, first_name="=1+1")
        response = staff_client.get(reverse(INDEX_URL), {"export": "xlsx"})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        cell = next(c for r in sheet.iter_rows() for c in r if c.value == "=1+1")
        assert cell.data_type == "s"


class TestReadableCells:
    @pytest.fixture
    def reg(self, make_event):
        event = make_event(kind="zoom_meeting", title="Data Science 101")
        reg = RegistrationFactory(
            page=event, email="ada@example.org", sync_status=Registration.SyncStatus.FAILED
        )
        # 14:05:09.123456 in New York (EDT) is 18:05 UTC.
        Registration.objects.filter(pk=reg.pk).update(
            registered_at=datetime(2026, 6, 10, 14, 5, 9, 123456, tzinfo=NY),
            submit_time=datetime(2026, 6, 10, 14, 5, 9, 123456, tzinfo=NY),
        )
        return reg

    def test_registrations_list(self, staff_client, reg):
        [row] = registrations_csv(staff_client)
        assert row["Registered at"] == "2026-06-10 14:05:09"
        assert row["Cancelled at"] == ""
        assert row["Checked in at"] == ""
        assert row["Status"] == "Registered"
        assert row["Sync status"] == "Sync failed"
        assert row["Check-in source"] == ""
        assert row["Event"] == "Data Science 101"
        assert "None" not in row.values()

    def test_submissions(self, staff_client, reg):
        [row] = submissions_csv(staff_client, reg.page)
        assert row["Registered"] == "2026-06-10 14:05:09"
        assert row["Status"] == "Registered"
        assert row["Checked in"] == ""

    def test_xlsx_times_are_campus_time_without_microseconds(self, staff_client, reg):
        response = staff_client.get(reverse(INDEX_URL), {"export": "xlsx"})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = [c.value for c in list(sheet.iter_rows())[1]]
        assert datetime(2026, 6, 10, 14, 5, 9) in values


def test_one_registered_at_everywhere(staff_client, make_event):
    """A re-registration moves "registered at" in the list, the inspect view and
    the page's submissions alike."""
    event = make_event(kind="vimeo")
    reg = service.register(
        event, email="ada@example.org", first_name="Ada", last_name="L"
    ).registration
    old = datetime(2026, 1, 5, 9, 0, tzinfo=NY)
    Registration.objects.filter(pk=reg.pk).update(registered_at=old, submit_time=old)
    service.cancel(Registration.objects.get(pk=reg.pk))
    service.register(
        event,
        email="ada@example.org",
        first_name="Ada",
        last_name="L",
        source=Registration.Source.ADMIN,
        enforce_rules=False,
    )
    reg.refresh_from_db()
    assert reg.registered_at > old
    expected = reg.registered_at.astimezone(NY).strftime("%Y-%m-%d %H:%M:%S")
    [listed] = registrations_csv(staff_client)
    [submitted] = submissions_csv(staff_client, event)
    assert listed["Registered at"] == submitted["Registered"] == expected
