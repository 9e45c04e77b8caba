"""Testing the Zoom connection: sign in, the account, granted scopes against features."""

from __future__ import annotations

from tests.providers.zoom_fixtures import ACCESS_TOKEN, SECRET
from wagtail_webinars.providers.zoom import connection
from wagtail_webinars.providers.zoom.connection import FEATURES
from wagtail_webinars.providers.zoom.provider import ZoomMeetingProvider, ZoomWebinarProvider

ALL_CLASSIC = (
    "meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin "
    "report:read:admin user:read:admin"
)
ME = {
    "id": "z8yAAAAA",
    "email": "owner@example.edu",
    "account_id": "test-account",
    "account_number": 10009239,
    "role_name": "Owner",
    "type": 2,
}


def test_everything_granted(zoom):
    zoom.token(scope=ALL_CLASSIC, api_url="https://eu01api-www4local.zoom.us")
    zoom.mock.upsert("GET", "https://eu01api-www4local.zoom.us/v2/users/me", json=ME)
    report = ZoomMeetingProvider.test_connection()
    assert report.connected and report.problem == ""
    assert report.api_url == "https://eu01api-www4local.zoom.us/v2"
    assert report.missing == []
    assert len(report.features) == len(FEATURES)
    assert ("Account number", "10009239") in report.account
    assert ("Signed in as", "owner@example.edu") in report.account
    assert "report:read:admin" in report.granted


def test_a_missing_scope_names_the_features_it_stops(zoom):
    zoom.token(
        scope="meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin"
    )
    zoom.error("GET", "/users/me", 400, 4700, "Invalid access token, does not contain scopes")
    report = connection.test_connection()
    missing = {f.label: f.needs for f in report.missing}
    assert set(missing) == {
        "Check in from meeting participant reports",
        "Check in from webinar participant reports",
    }
    assert "report:read:admin" in missing["Check in from meeting participant reports"]
    # Without user:read the account is simply not described (the events do not need it).
    assert any("not shown" in value for _label, value in report.account)


def test_granular_scopes_count_as_well(zoom):
    granular = [needs[-1] for _label, needs in FEATURES]
    zoom.token(scope=" ".join(granular))
    zoom.on("GET", "/users/me", json=ME)
    assert connection.test_connection().missing == []


def test_the_webinar_block_tests_the_same_connection():
    assert ZoomWebinarProvider.connection_name == ZoomMeetingProvider.connection_name == "zoom"


def test_rejected_credentials_say_so_without_the_secret(zoom):
    zoom.token_error(401)
    report = connection.test_connection()
    assert not report.connected
    assert "rejected this site's credentials" in report.problem
    assert SECRET not in repr(report) and ACCESS_TOKEN not in repr(report)


def test_zoom_down(zoom):
    zoom.token_error(503, {"reason": "down"})
    report = connection.test_connection()
    assert not report.connected and report.problem


def test_missing_credentials_name_the_setting(settings, monkeypatch, zoom):
    monkeypatch.delenv("ZOOM_CLIENT_SECRET", raising=False)
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "ZOOM_CLIENT_SECRET": ""}
    report = connection.test_connection()
    assert "ZOOM_CLIENT_SECRET" in report.problem
    assert len(zoom.mock.calls) == 0


def test_nothing_secret_in_the_report(zoom):
    zoom.token(scope=ALL_CLASSIC)
    zoom.on("GET", "/users/me", json=ME)
    text = repr(connection.test_connection())
    assert SECRET not in text and ACCESS_TOKEN not in text
