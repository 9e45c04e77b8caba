"""Lists cost the same number of queries for 10 and for 10,000 rows."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from wagtail_webinars.graphql.views import graphql_view
from wagtail_webinars.models import Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

REGISTRANTS = """
query($e: ID!) {
  event(id: $e) { id title start spotsLeft registrationOpen }
  registrants(eventId: $e, first: 100) {
    totalCount
    edges { node { id firstName lastName email status registeredAt cancelledAt syncStatus
                   syncProblem reminderSentAt openedAt clickedAt checkedIn checkedInAt
                   checkInSource checkInMinutes answers { name label value } } }
  }
}
"""


def add_registrants(event, count):
    Registration.objects.bulk_create(
        [
            Registration(
                page=event,
                email=f"p{n}@example.org",
                first_name="Pat",
                last_name=f"P{n}",
                form_data={"first_name": "Pat", "last_name": f"P{n}", "topic": "x"},
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def run_captured(user, query, variables):
    """The answer and the SQL of one request."""
    request = RequestFactory().post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables}),
        content_type="application/json",
    )
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        response = graphql_view(request)
    body = json.loads(response.content)
    assert "errors" not in body, body
    return body, [q["sql"] for q in queries]


def run(user, query, variables):
    body, queries = run_captured(user, query, variables)
    return body, len(queries)


def events_with_a_question(make_event, *counts):
    """Events with one extra question ("Topic") and ``counts`` registrants each."""
    events = []
    for count in counts:
        event = make_event()
        RegistrationFormField.objects.create(page=event, label="Topic", field_type="singleline")
        add_registrants(event, count)
        events.append(event)
    return events


def test_a_page_of_registrants_costs_the_same_for_10_and_10000(make_event, staff_user):
    small, big = events_with_a_question(make_event, 10, 10_000)
    body, few = run(staff_user, REGISTRANTS, {"e": str(small.pk)})
    assert body["data"]["registrants"]["totalCount"] == 10
    body, many = run(staff_user, REGISTRANTS, {"e": str(big.pk)})
    assert body["data"]["registrants"]["totalCount"] == 10_000
    assert len(body["data"]["registrants"]["edges"]) == 100
    assert body["data"]["registrants"]["edges"][0]["node"]["answers"] == [
        {"name": "topic", "label": "Topic", "value": "x"}
    ]
    assert few == many


EVENTS = """
{ events(first: 20) { totalCount edges { node { id title spotsLeft registrationOpen
    headcount { registered active checkedIn checkedInBySource { source count } noShows
                attendanceRate unmatched lastPullState } } } } }
"""

REGISTRANTS_WITH_HEADCOUNT = """
query($e: ID!) {
  event(id: $e) { id title start headcount { registered active checkedIn noShows unmatched } }
  registrants(eventId: $e, first: 100) {
    totalCount
    edges { node { id firstName lastName email status registeredAt syncStatus checkedIn
                   checkInSource checkInMinutes } }
  }
}
"""


def test_a_page_of_registrants_with_its_event_and_headcount_costs_at_most_6(make_event, staff_user):
    small, big = make_event(), make_event()
    add_registrants(small, 10)
    add_registrants(big, 10_000)
    body, few = run(staff_user, REGISTRANTS_WITH_HEADCOUNT, {"e": str(small.pk)})
    assert body["data"]["event"]["headcount"]["registered"] == 10
    body, many = run(staff_user, REGISTRANTS_WITH_HEADCOUNT, {"e": str(big.pk)})
    assert body["data"]["event"]["headcount"]["registered"] == 10_000
    assert len(body["data"]["registrants"]["edges"]) == 100
    # The event, the headcount (3), the count and the page.
    assert few == many <= 6


def test_events_with_headcounts_cost_the_same_for_2_and_20_events(make_event, staff_user):
    first = [make_event(capacity=50) for _ in range(2)]
    for event in first:
        add_registrants(event, 5)
    _body, few = run(staff_user, EVENTS, {})
    for _ in range(18):
        add_registrants(make_event(capacity=50), 5)
    body, many = run(staff_user, EVENTS, {})
    assert body["data"]["events"]["totalCount"] == 20
    assert {e["node"]["headcount"]["registered"] for e in body["data"]["events"]["edges"]} == {5}
    assert {e["node"]["spotsLeft"] for e in body["data"]["events"]["edges"]} == {45}
    assert few == many


def every_registrant_field() -> str:
    """The selection of every field the Registrant type has (the subfields of
    object fields too), read from the schema: a field added later is covered."""
    from graphql import get_named_type

    from wagtail_webinars.graphql.schema import schema

    names = []
    for name, field in schema.graphql_schema.type_map["Registrant"].fields.items():
        inner = get_named_type(field.type)
        if hasattr(inner, "fields"):
            names.append(f"{name} {{ {' '.join(inner.fields)} }}")
        else:
            names.append(name)
    return " ".join(names)


def test_every_registrant_field_is_read_with_the_page(make_event, staff_user):
    # The page loads only the columns the type shows: a field whose column were
    # left out would cost a query per registrant, here 10 against 30.
    query = (
        "query($e: ID!) { registrants(eventId: $e, first: 100) "
        f"{{ totalCount edges {{ node {{ {every_registrant_field()} }} }} }} }}"
    )
    small, big = events_with_a_question(make_event, 10, 30)
    _body, few = run(staff_user, query, {"e": str(small.pk)})
    body, many = run(staff_user, query, {"e": str(big.pk)})
    assert len(body["data"]["registrants"]["edges"]) == 30
    assert few == many


def test_the_registrants_page_does_not_load_columns_no_field_shows(make_event, staff_user):
    event = make_event()
    add_registrants(event, 3)
    _body, queries = run_captured(staff_user, REGISTRANTS, {"e": str(event.pk)})
    page = [sql for sql in queries if 'FROM "wagtail_webinars_registration"' in sql]
    page = [sql for sql in page if "COUNT(" not in sql]
    assert len(page) == 1
    # Join links and pending answers are never shown here; reading them costs time.
    for column in ("provider_join_url", "pending_form_data", "reminder_claimed_at"):
        assert f'"{column}"' not in page[0]
    assert '"email"' in page[0]
