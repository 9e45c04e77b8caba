"""Property test of the webhook endpoint (hypothesis): arbitrary bodies and headers,
signed or not: never a server error, and nothing stored half-way (a delivery is
either refused without its body, or recorded whole and handled)."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.webhooks.deliveries import URL, signed_headers
from wagtail_webinars.models import Registration, WebhookDelivery

pytestmark = pytest.mark.django_db

EVENTS = [
    "endpoint.url_validation",
    "meeting.participant_joined",
    "webinar.participant_left",
    "meeting.registration_cancelled",
    "webinar.registration_created",
    "meeting.updated",
    "meeting.deleted",
    "meeting.ended",
    "recording.completed",
]

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
zoomish = st.fixed_dictionaries(
    {"event": st.one_of(st.sampled_from(EVENTS), json_value)},
    optional={
        "event_ts": st.one_of(st.integers(), json_value),
        "payload": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "plainToken": st.one_of(st.text(max_size=300), json_value),
                    "object": st.one_of(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "id": st.one_of(
                                    st.sampled_from(["81234567890", 81234567890]), json_value
                                ),
                                "participant": json_value,
                                "registrant": json_value,
                            },
                        ),
                        json_value,
                    ),
                },
            ),
            json_value,
        ),
    },
)
body = st.one_of(
    st.binary(max_size=300),
    zoomish.map(lambda d: json.dumps(d).encode()),
)
header_value = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
signing = st.sampled_from(["signed", "unsigned", "garbage", "old"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=body, how=signing, signature=header_value, timestamp=header_value)
def test_any_delivery_is_answered_and_nothing_is_half_stored(
    webhook_secret, body, how, signature, timestamp
):
    WebhookDelivery.objects.all().delete()
    if how == "signed":
        headers = signed_headers(body)
    elif how == "old":
        headers = signed_headers(body, at=int(time.time()) - 3600)
    elif how == "garbage":
        headers = {"HTTP_X_ZM_SIGNATURE": signature, "HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp}
    else:
        headers = {}
    response = Client(raise_request_exception=False).generic(
        "POST", URL, body, content_type="application/json", **headers
    )
    assert response.status_code in (200, 400, 401, 403)
    rows = list(WebhookDelivery.objects.all())
    if response.status_code != 200:
        # Refused: at most a line without the body, nothing handled.
        assert all(r.outcome == WebhookDelivery.Outcome.REFUSED for r in rows)
        assert all(r.payload == {} and r.key is None for r in rows)
        assert how == "signed" or response.status_code in (401, 403)
    else:
        assert how == "signed"
        # Recorded whole and handled (tasks run inline): nothing left waiting.
        assert all(r.outcome != WebhookDelivery.Outcome.QUEUED and r.payload == {} for r in rows)
    assert not Registration.objects.exists()
