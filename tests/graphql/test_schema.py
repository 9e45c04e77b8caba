"""The printed schema in the repository is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from wagtail_webinars.graphql.schema import printed_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_up_to_date():
    # After changing the schema: python -m wagtail_webinars.graphql.print_schema > schema.graphql
    assert SCHEMA_FILE.read_text() == printed_schema(), (
        "schema.graphql is out of date: run "
        "`DJANGO_SETTINGS_MODULE=tests.settings python -m wagtail_webinars.graphql.print_schema`"
    )
