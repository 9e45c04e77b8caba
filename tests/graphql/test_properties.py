"""Arbitrary input never makes the API answer 500 or show a stack trace (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wagtail_webinars.models import Registration

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=300)
anything = st.one_of(
    st.none(), st.booleans(), st.integers(), text, st.lists(text, max_size=3), st.floats()
)


@pytest.fixture
def post(client, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_REGISTER_RATE": None}

    def call(query, variables):
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
        )
        assert response.status_code in (200, 400), response.content
        body = response.content.decode()
        assert "Traceback" not in body and 'File "' not in body
        assert "Something went wrong on our side" not in body, body
        return response.json()

    return call


@pytest.fixture
def event(make_event):
    return make_event()


REGISTER = """
mutation($e: ID!, $f: String!, $l: String!, $m: String!, $a: [AnswerInput!]) {
  register(eventId: $e, firstName: $f, lastName: $l, email: $m, answers: $a) {
    ok errors { field messages code }
  }
}
"""


@FAST
@given(
    first=text,
    last=text,
    email=text,
    answers=st.lists(st.fixed_dictionaries({"name": text, "value": text}), max_size=3),
)
def test_register_with_arbitrary_input(post, event, first, last, email, answers):
    # One event for every example (function-scoped fixtures run once per test).
    before = Registration.objects.count()
    body = post(REGISTER, {"e": str(event.pk), "f": first, "l": last, "m": email, "a": answers})
    payload = body["data"]["register"]
    if payload["ok"]:
        assert payload["errors"] == []
    else:
        assert payload["errors"] and Registration.objects.count() == before


@FAST
@given(variables=st.dictionaries(st.sampled_from(["e", "f", "l", "m", "a"]), anything))
def test_register_with_arbitrary_variable_types(post, variables):
    post(REGISTER, variables)


EVENTS = """
query($u: Boolean, $p: Boolean, $o: Boolean, $k: String, $a: DateTime, $b: DateTime,
      $first: Int, $after: String, $id: ID, $path: String) {
  events(upcoming: $u, past: $p, registrationOpen: $o, providerKind: $k, startsAfter: $a,
         startsBefore: $b, first: $first, after: $after) { totalCount edges { node { title } } }
  one: event(id: $id) { title }
  byPath: event(urlPath: $path) { title }
}
"""


@FAST
@given(
    variables=st.fixed_dictionaries(
        {},
        optional={
            "u": anything,
            "p": anything,
            "o": anything,
            "k": anything,
            "a": anything,
            "b": anything,
            "first": anything,
            "after": anything,
            "id": anything,
            "path": anything,
        },
    )
)
def test_event_queries_with_arbitrary_input(post, variables):
    post(EVENTS, variables)


@FAST
@given(token=anything, event_id=anything, search=anything, status=anything)
def test_cancel_and_registrants_with_arbitrary_input(post, token, event_id, search, status):
    post("mutation($t: String!) { cancelRegistration(token: $t) { ok } }", {"t": token})
    post(
        "query($e: ID!, $s: String, $st: String) { registrants(eventId: $e, search: $s, "
        "status: $st) { totalCount } }",
        {"e": event_id, "s": search, "st": status},
    )


@FAST
@given(query=st.text(max_size=200))
def test_arbitrary_documents(post, query):
    post(query, {})
