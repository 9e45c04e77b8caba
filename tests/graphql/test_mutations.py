from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars import links as tokens
from wagtail_webinars.models import Registration, RegistrationFormField

pytestmark = pytest.mark.django_db

REGISTER = """
mutation($event: ID!, $first: String!, $last: String!, $email: String!, $answers: [AnswerInput!]) {
  register(eventId: $event, firstName: $first, lastName: $last, email: $email, answers: $answers) {
    ok message outcome errors { field messages code }
  }
}
"""


def register(gql, event, using=None, **overrides):
    variables = {
        "event": str(event.pk),
        "first": "Ada",
        "last": "Lovelace",
        "email": "ada@example.org",
    }
    variables.update(overrides)
    status, body = gql(REGISTER, variables, using=using)
    assert status == 200, body
    assert "errors" not in body, body
    return body["data"]["register"]


def test_register_saves_through_the_service_and_mails(
    gql, make_event, django_capture_on_commit_callbacks
):
    event = make_event(kind="vimeo")
    with django_capture_on_commit_callbacks(execute=True):
        payload = register(gql, event, email="Ada@Example.org")
    assert payload["ok"] is True
    assert payload["errors"] == []
    assert payload["outcome"] is None  # anonymous: no outcome
    registration = Registration.objects.get()
    assert registration.email == "ada@example.org"
    assert registration.source == Registration.Source.API
    assert len(mail.outbox) == 1


def test_anonymous_gets_the_same_answer_whatever_the_state(gql, make_event, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "CONFIRMATION_RESEND_SECONDS": 0}
    event = make_event()
    first = register(gql, event)
    again = register(gql, event)
    Registration.objects.update(status="cancelled", cancelled_at=timezone.now())
    after_cancel = register(gql, event)
    assert first == again == after_cancel
    assert first["message"].startswith("Thank you for registering.")


def test_staff_see_the_outcome(gql, make_event, staff_client):
    event = make_event()
    assert register(gql, event, using=staff_client)["outcome"] == "CREATED"
    assert register(gql, event, using=staff_client)["outcome"] == "ALREADY_REGISTERED"


def test_field_errors_are_structured_with_the_forms_messages(gql, make_event):
    event = make_event()
    RegistrationFormField.objects.create(
        page=event, label="Department", field_type="singleline", required=True
    )
    payload = register(gql, event, first="", email="not-an-email")
    assert payload["ok"] is False
    fields = {e["field"]: e["messages"] for e in payload["errors"]}
    assert set(fields) == {"firstName", "email", "department"}
    assert fields["department"] == ["This field is required."]
    assert Registration.objects.count() == 0
    payload = register(gql, event, answers=[{"name": "department", "value": "Physics"}])
    assert payload["ok"] is True
    assert Registration.objects.get().form_data["department"] == "Physics"


def test_refusals_come_back_as_errors(gql, make_event):
    closed = make_event(registration_closes=timezone.now() - timedelta(minutes=1))
    payload = register(gql, closed)
    assert payload["ok"] is False
    assert payload["errors"] == [
        {"field": None, "messages": ["Registration for this event has closed."], "code": "closed"}
    ]
    full = make_event(capacity=1)
    RegistrationFactory(page=full)
    assert register(gql, full)["errors"][0]["code"] == "full"
    payload = register(gql, type("E", (), {"pk": 999999})())
    assert payload["errors"][0]["field"] == "eventId"


def test_register_is_rate_limited_per_address(gql, make_event, settings):
    settings.WAGTAIL_WEBINARS = {**settings.WAGTAIL_WEBINARS, "GRAPHQL_REGISTER_RATE": "2/m"}
    event = make_event()
    assert register(gql, event, email="a@example.org")["ok"]
    assert register(gql, event, email="b@example.org")["ok"]
    payload = register(gql, event, email="c@example.org")
    assert payload["ok"] is False
    assert payload["errors"][0]["code"] == "rate_limited"
    assert Registration.objects.count() == 2


CANCEL = (
    "mutation($t: String!) { cancelRegistration(token: $t) { ok message errors { field code } } }"
)


def test_cancel_with_the_email_token(gql, make_event):
    event = make_event()
    registration = RegistrationFactory(page=event)
    _status, body = gql(CANCEL, {"t": tokens.make_token(registration, tokens.CANCEL)})
    assert body["data"]["cancelRegistration"]["ok"] is True
    registration.refresh_from_db()
    assert registration.status == "cancelled"
    for bad in ("nonsense", tokens.make_token(registration, tokens.JOIN), "x" * 5000):
        _status, body = gql(CANCEL, {"t": bad})
        assert body["data"]["cancelRegistration"] == {
            "ok": False,
            "message": None,
            "errors": [{"field": "token", "code": "not_found"}],
        }


def test_session_mutations_need_the_csrf_token(make_event, staff_user):
    event = make_event()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    query = {
        "query": REGISTER,
        "variables": {"event": str(event.pk), "first": "A", "last": "B", "email": "a@example.org"},
    }
    response = client.post("/graphql/", query, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["message"]
    assert Registration.objects.count() == 0
    # Queries with the session need no token; with the token mutations work.
    response = client.get("/graphql/", {"query": "{ events { totalCount } }"})
    assert response.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/graphql/", query, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.json()["data"]["register"]["ok"] is True
    # Anonymous callers have no session to abuse: no CSRF token needed.
    anonymous = Client(enforce_csrf_checks=True)
    query["variables"]["email"] = "b@example.org"
    response = anonymous.post("/graphql/", query, content_type="application/json")
    assert response.json()["data"]["register"]["ok"] is True


def test_anonymous_register_never_takes_over_a_cancelled_registration(
    gql, make_event, django_capture_on_commit_callbacks
):
    # As on the page: a stranger posting a cancelled person's address changes
    # nothing; the person gets an email with a signed "register me again" link.
    event = make_event()
    original = RegistrationFactory(
        page=event, email="ada@example.org", first_name="Ada", last_name="Lovelace"
    )
    Registration.objects.filter(pk=original.pk).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        payload = register(gql, event, first="Mallory", last="Takeover")
    assert payload["ok"] is True
    original.refresh_from_db()
    assert original.status == "cancelled"
    assert (original.first_name, original.last_name) == ("Ada", "Lovelace")


def test_staff_register_re_activates_a_cancelled_registration_at_once(
    gql, make_event, staff_client
):
    event = make_event()
    original = RegistrationFactory(page=event, email="ada@example.org")
    Registration.objects.filter(pk=original.pk).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    assert register(gql, event, using=staff_client)["outcome"] == "REACTIVATED"
    original.refresh_from_db()
    assert original.status == "registered"
