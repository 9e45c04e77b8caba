from __future__ import annotations

import base64

import pytest
from django.test import Client

BASIC = "Basic " + base64.b64encode(b"demo-client:demo-secret").decode()


@pytest.fixture
def api(db):
    """A CSRF-enforcing client (as any non-browser caller) signed in to the stand-in."""
    from example_site.zoom_standin import seed

    seed.seed_demo()
    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        "/zoom-standin/oauth/token",
        {"grant_type": "account_credentials", "account_id": "demo-account"},
        HTTP_AUTHORIZATION=BASIC,
    )
    assert answer.status_code == 200
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {answer.json()['access_token']}"
    return client
