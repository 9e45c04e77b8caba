"""The connection-test service and the system check that reads its last result."""

from __future__ import annotations

import pytest

from wagtail_webinars import connections
from wagtail_webinars.checks import check_last_connection_tests
from wagtail_webinars.models import ConnectionTest
from wagtail_webinars.providers.zoom.connection import FEATURES

pytestmark = pytest.mark.django_db


def test_one_connection_for_both_zoom_blocks():
    assert list(connections.connection_classes()) == ["zoom"]


def test_run_test_keeps_the_last_result(zoom):
    zoom.token(scope="meeting:read:admin")
    zoom.error("GET", "/users/me", 400, 4700, "Invalid access token, does not contain scopes")
    report = connections.run_test("zoom")
    assert report.missing
    row = ConnectionTest.objects.get()
    assert {m["label"] for m in row.missing} == {f.label for f in report.missing}
    zoom.token(scope=" ".join(scope for _label, needs in FEATURES for scope in needs))
    connections.run_test("zoom")
    assert ConnectionTest.objects.get().missing == []


def test_the_system_check_reports_what_the_last_test_found_missing(zoom):
    assert check_last_connection_tests(databases=["default"]) == []
    zoom.token(
        scope="meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin"
    )
    zoom.error("GET", "/users/me", 400, 4700, "no user scope")
    connections.run_test("zoom")
    (warning,) = check_last_connection_tests(databases=["default"])
    assert warning.id == "wagtail_webinars.W030"
    assert "Check in from meeting participant reports (needs report:read:admin or" in warning.msg
    # Without a database (plain "check"), no query.
    assert check_last_connection_tests() == []
