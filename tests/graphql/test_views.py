from __future__ import annotations

import pytest

from tests.factories import RegistrationFactory
from wagtail_webinars.models import ApiToken

pytestmark = pytest.mark.django_db

REGISTRANTS = "query($e: ID!) { registrants(eventId: $e) { totalCount edges { node { email } } } }"


def test_bearer_token_acts_as_its_creator(gql, make_event, staff_user):
    event = make_event()
    RegistrationFactory(page=event, email="pat@example.org")
    _token, raw = ApiToken.issue(user=staff_user, name="App")
    _status, body = gql(REGISTRANTS, {"e": str(event.pk)}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert body["data"]["registrants"]["edges"] == [{"node": {"email": "pat@example.org"}}]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic abc", "Token x"])
def test_bad_tokens_get_401(gql, header):
    status, body = gql("{ events { totalCount } }", HTTP_AUTHORIZATION=header)
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphiql_only_with_debug(client, settings):
    settings.DEBUG = False
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert b"graphiql" not in response.content.lower()
    settings.DEBUG = True
    response = client.get("/graphql/", HTTP_ACCEPT="text/html")
    assert b"graphiql" in response.content.lower()


def test_introspection_can_be_switched_off(gql, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_INTROSPECTION": True}
    _status, body = gql("{ __schema { queryType { name } } }")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_INTROSPECTION": False}
    _status, body = gql("{ __schema { queryType { name } } }")
    assert "introspection is disabled" in body["errors"][0]["message"]


def test_depth_and_selection_limits(gql, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_MAX_DEPTH": 2}
    status, body = gql("{ events { edges { node { title } } } }")
    assert status == 400
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "GRAPHQL_MAX_DEPTH": 10,
        "GRAPHQL_MAX_SELECTIONS": 10,
    }
    fields = " ".join(f"a{i}: title" for i in range(10))
    status, body = gql(f"{{ events {{ edges {{ node {{ {fields} }} }} }} }}")
    assert status == 400
    assert "more than 10 fields" in body["errors"][0]["message"]
    # Fragments count every time they are spread.
    status, body = gql(
        "fragment F on Event { title venue } "
        "{ events { edges { node { ...F a: title b: title c: title d: title e: title "
        "f: title } } } }"
    )
    assert status == 400


@pytest.mark.parametrize(
    "query, words",
    [
        ("{ events { noSuchField } }", "Cannot query field 'noSuchField'"),
        ("{ event(id: 1, nope: 2) { title } }", "Unknown argument 'nope'"),
        ("query($e: ID!) { registrants(eventId: $f) { totalCount } }", "'$f' is not defined"),
        ("{ events { edges { node { title { x } } } } }", "must not have a selection"),
    ],
)
def test_documents_are_checked_against_the_schema(gql, query, words):
    # Every rule of the GraphQL specification, besides our own limits.
    status, body = gql(query)
    assert status == 400
    assert words in body["errors"][0]["message"]
