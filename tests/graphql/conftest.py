from __future__ import annotations

import json

import pytest


@pytest.fixture
def gql(client):
    """``gql(query, variables=None, client=None, **headers)`` -> (status, body) from /graphql/."""

    def call(query, variables=None, using=None, **headers):
        response = (using or client).post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
        )
        return response.status_code, response.json()

    return call
