from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

EVENTS = """
query($upcoming: Boolean, $past: Boolean, $open: Boolean, $kind: String, $after: DateTime,
      $first: Int) {
  events(upcoming: $upcoming, past: $past, registrationOpen: $open, providerKind: $kind,
         startsAfter: $after, first: $first) {
    totalCount
    edges { node { id title url urlPath start end timeZone providerKind providerName
                   registrationOpen registrationClosedReason capacity spotsLeft
                   description venue } }
  }
}
"""


def titles(body):
    return [edge["node"]["title"] for edge in body["data"]["events"]["edges"]]


def test_events_lists_live_public_events_with_their_fields(gql, make_event):
    event = make_event(title="Data Science 101", kind="vimeo", capacity=10, venue="Room 1")
    RegistrationFactory(page=event)
    status, body = gql(EVENTS)
    assert status == 200, body
    assert body["data"]["events"]["totalCount"] == 1
    node = body["data"]["events"]["edges"][0]["node"]
    assert node["id"] == str(event.pk)
    assert node["title"] == "Data Science 101"
    assert node["url"] == "http://testserver" + event.url
    assert node["urlPath"] == event.url
    # Campus time with its offset (America/New_York in the tests).
    assert node["start"] == event.local_start.isoformat()
    assert node["start"].endswith(("-05:00", "-04:00"))
    assert node["timeZone"] == "America/New_York"
    assert node["providerKind"] == "vimeo"
    assert node["providerName"] == "Vimeo"
    assert node["registrationOpen"] is True
    assert node["registrationClosedReason"] is None
    assert node["capacity"] == 10
    assert node["spotsLeft"] == 9
    assert node["description"] == "<p>About the event.</p>"
    assert node["venue"] == "Room 1"


def test_private_draft_and_other_pages_are_invisible_to_anonymous_callers(gql, make_event):
    make_event(title="Public")
    private = make_event(title="Private")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    draft = make_event(title="Draft")
    draft.unpublish()
    _status, body = gql(EVENTS)
    assert titles(body) == ["Public"]
    _status, body = gql("query($id: ID) { event(id: $id) { title } }", {"id": str(private.pk)})
    assert body["data"]["event"] is None
    _status, body = gql("query($p: String) { event(urlPath: $p) { title } }", {"p": private.url})
    assert body["data"]["event"] is None


def test_event_by_id_and_by_path(gql, make_event):
    event = make_event(title="Find me")
    for variables, query in (
        ({"id": str(event.pk)}, "query($id: ID) { event(id: $id) { title } }"),
        ({"p": event.url}, "query($p: String) { event(urlPath: $p) { title } }"),
        ({"p": event.url.rstrip("/")}, "query($p: String) { event(urlPath: $p) { title } }"),
    ):
        _status, body = gql(query, variables)
        assert body["data"]["event"] == {"title": "Find me"}, (variables, body)


def test_bad_event_ids_are_errors_not_500s(gql):
    for value in ("abc", "-1", "0", "9" * 40, ""):
        status, body = gql("query($id: ID) { event(id: $id) { title } }", {"id": value})
        assert status == 200
        assert body["data"]["event"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_ID"
    _status, body = gql("{ event { title } }")
    assert body["errors"][0]["message"] == "Give either id or urlPath."


def test_filters(gql, make_event):
    now = timezone.now()
    make_event(title="Past", start=now - timedelta(days=2))
    make_event(title="Soon", start=now + timedelta(days=1), kind="vimeo")
    make_event(title="Later", start=now + timedelta(days=10))
    make_event(title="Closed", start=now + timedelta(days=5), registration_closes=now)
    full = make_event(title="Full", start=now + timedelta(days=6), capacity=1)
    RegistrationFactory(page=full)

    assert titles(gql(EVENTS, {"upcoming": True})[1]) == ["Soon", "Closed", "Full", "Later"]
    assert titles(gql(EVENTS, {"past": True})[1]) == ["Past"]
    assert titles(gql(EVENTS, {"open": True})[1]) == ["Soon", "Later"]
    assert titles(gql(EVENTS, {"open": False})[1]) == ["Past", "Closed", "Full"]
    assert titles(gql(EVENTS, {"kind": "vimeo"})[1]) == ["Soon"]
    after = (now + timedelta(days=5, hours=12)).isoformat()
    assert titles(gql(EVENTS, {"after": after})[1]) == ["Full", "Later"]
    body = gql(EVENTS, {"open": False})[1]
    reasons = {
        e["node"]["title"]: e["node"]["registrationClosedReason"]
        for e in body["data"]["events"]["edges"]
    }
    assert reasons == {
        "Past": "This event has already started, so registration is closed.",
        "Closed": "Registration for this event has closed.",
        "Full": "Sorry, this event is full.",
    }


def test_page_size_is_at_most_100(gql, make_event):
    make_event()
    status, body = gql(EVENTS, {"first": 101})
    assert status == 200
    assert body["data"]["events"] is None
    assert "100" in body["errors"][0]["message"]
    assert "Traceback" not in str(body)
