"""A document is parsed and validated once per text and set of limits."""

from __future__ import annotations

import pytest
from graphql import parse as real_parse

from wagtail_webinars.graphql import documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def parses(monkeypatch):
    documents._check_cached.cache_clear()
    seen = []

    def parse(text):
        seen.append(text)
        return real_parse(text)

    monkeypatch.setattr(documents, "parse", parse)
    yield seen
    documents._check_cached.cache_clear()


def test_the_same_document_is_parsed_once(gql, parses):
    for _ in range(3):
        status, body = gql("{ events { totalCount } }")
        assert status == 200 and body["data"]["events"]["totalCount"] == 0
    assert parses == ["{ events { totalCount } }"]


def test_a_changed_limit_applies_to_a_document_already_checked(gql, parses, settings):
    query = "{ events { edges { node { title } } } }"
    assert gql(query)[0] == 200
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_MAX_DEPTH": 2}
    status, body = gql(query)
    assert status == 400
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_MAX_DEPTH": 10}
    assert gql(query)[0] == 200


def test_refused_documents_are_refused_every_time(gql, parses):
    for _ in range(2):
        status, body = gql("{ events { ")
        assert status == 400 and "Syntax Error" in body["errors"][0]["message"]
        status, body = gql("{ events { noSuchField } }")
        assert status == 400 and "noSuchField" in body["errors"][0]["message"]
    assert len(parses) == 2


def test_long_documents_are_not_kept(gql, parses):
    padding = "# " + "x" * documents.CACHEABLE_LENGTH + "\n"
    for _ in range(2):
        assert gql(padding + "{ events { totalCount } }")[0] == 200
    assert len(parses) == 2
    assert documents._check_cached.cache_info().currsize == 0


@pytest.mark.parametrize("query", [5, ["{ events { totalCount } }"], {"a": 1}, True])
def test_a_query_that_is_not_text_gets_a_clear_400(client, query):
    response = client.post("/graphql/", {"query": query}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The query must be a string."
