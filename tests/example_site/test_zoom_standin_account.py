"""The stand-in's account and scopes, and the admin's connection test against it over
real HTTP: fewer scopes granted, the missing one named."""

from __future__ import annotations

import pytest
from django.urls import reverse

from example_site.zoom_standin import account
from wagtail_webinars.admin.connection import URL_NAME

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_users_me_and_fewer_scopes(api, client):
    me = api.get("/zoom-standin/v2/users/me")
    assert me.status_code == 200 and me.json()["account_number"] == account.ACCOUNT_NUMBER
    client.post("/zoom-standin/control/scopes", {"scopes": "meeting:read:admin"})
    assert account.granted_scopes() == "meeting:read:admin"
    refused = api.get("/zoom-standin/v2/users/me")
    assert refused.status_code == 400 and refused.json()["code"] == 4700
    client.post("/zoom-standin/control/scopes", {"scopes": ""})
    assert account.granted_scopes() == " ".join(account.ALL_SCOPES)


def test_the_connection_check_names_a_missing_scope(standin, staff_client, client):
    url = reverse(URL_NAME, args=["zoom"])
    body = staff_client.post(url).content.decode()
    assert "Every feature has the permission it needs." in body
    assert str(account.ACCOUNT_NUMBER) in body and standin + "/v2" in body

    granted = [s for s in account.ALL_SCOPES if s != "report:read:admin"]
    client.post("/zoom-standin/control/scopes", {"scopes": " ".join(granted)})
    body = staff_client.post(url).content.decode()
    assert "<strong>Check in from meeting participant reports</strong> does not work" in body
    assert "report:read:admin" in body
    assert "demo-secret" not in body
