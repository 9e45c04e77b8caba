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


def run(user, query, variables):
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
    return body, len(queries)


def test_a_page_of_registrants_costs_the_same_for_10_and_10000(make_event, staff_user):
    small, big = make_event(), make_event()
    for event in (small, big):
        RegistrationFormField.objects.create(page=event, label="Topic", field_type="singleline")
    add_registrants(small, 10)
    add_registrants(big, 10_000)
    body, few = run(staff_user, REGISTRANTS, {"e": str(small.pk)})
    assert body["data"]["registrants"]["totalCount"] == 10
    body, many = run(staff_user, REGISTRANTS, {"e": str(big.pk)})
    assert body["data"]["registrants"]["totalCount"] == 10_000
    assert len(body["data"]["registrants"]["edges"]) == 100
    assert body["data"]["registrants"]["edges"][0]["node"]["answers"] == [
        {"name": "topic", "label": "Topic", "value": "x"}
    ]
    assert few == many
