"""The "Test Zoom connection" screen in the admin (Settings)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.providers.zoom_fixtures import ACCESS_TOKEN, SECRET
from wagtail_webinars.admin.connection import URL_NAME
from wagtail_webinars.models import ConnectionTest

URL = reverse(URL_NAME, args=["zoom"])
NO_REPORTS = "meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin"


def test_the_screen_names_a_missing_scope_in_words(zoom, staff_client):
    zoom.token(scope=NO_REPORTS, api_url="https://api.zoom.test")
    zoom.on("GET", "/users/me", json={"email": "owner@example.edu", "account_number": 42})
    assert "Not tested yet" in staff_client.get(URL).content.decode()
    body = staff_client.post(URL).content.decode()
    assert "Signed in: the credentials work." in body
    assert "https://api.zoom.test/v2" in body
    assert (
        "<strong>Check in from meeting participant reports</strong> does not work: add "
        "report:read:admin, or report:read:list_meeting_participants:admin"
    ) in body
    assert "owner@example.edu" in body
    assert SECRET not in body and ACCESS_TOKEN not in body
    stored = ConnectionTest.objects.get(connection="zoom")
    assert stored.connected
    assert {m["label"] for m in stored.missing} == {
        "Check in from meeting participant reports",
        "Check in from webinar participant reports",
    }
    # The screen shows the last result afterwards.
    assert "Missing then:" in staff_client.get(URL).content.decode()


def test_a_failed_sign_in_is_said_and_kept(zoom, staff_client):
    zoom.token_error(401)
    body = staff_client.post(URL).content.decode()
    assert "Could not sign in:" in body and "rejected this site&#x27;s credentials" in body
    assert SECRET not in body
    assert not ConnectionTest.objects.get(connection="zoom").connected


def test_in_the_settings_menu(staff_client):
    # Any admin page carries the sidebar menu.
    body = staff_client.get(reverse("wagtail_webinars_registrations:index")).content.decode()
    assert "Test Zoom connection" in body and URL in body


def test_only_for_users_who_may_change_the_settings(zoom, client, django_user_model):
    user = django_user_model.objects.create_user("ed", "ed@example.edu", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.post(URL).status_code == 302  # Wagtail's "no permission" redirect
    assert len(zoom.mock.calls) == 0 and not ConnectionTest.objects.exists()
    user.user_permissions.add(Permission.objects.get(codename="change_emailbrandingsettings"))
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_unknown_connection_is_404(staff_client):
    assert staff_client.get(reverse(URL_NAME, args=["nope"])).status_code == 404
