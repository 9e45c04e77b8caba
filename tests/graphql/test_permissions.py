"""Personal data only for callers the one permission policy allows: every field of every
type that carries it is refused (error + null, nothing leaked) to everyone else."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from graphql import GraphQLObjectType, get_named_type
from wagtail.models import GroupPagePermission

from tests.factories import RegistrationFactory, page_permission
from wagtail_webinars.graphql.schema import schema
from wagtail_webinars.models import ApiToken, UnmatchedParticipant

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "secret.person@example.org"
SECRET_NAME = "Zebedee"


def selection(type_name: str) -> list[str]:
    """One selection per field of the type (sub-fields selected in full)."""
    graphql_type = schema.graphql_schema.get_type(type_name)
    result = []
    for name, field in graphql_type.fields.items():
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType):
            result.append(f"{name} {{ {' '.join(inner.fields)} }}")
        else:
            result.append(name)
    return result


#: (personal type, query template with {field}) for every path that reaches it.
PATHS = [
    ("Registrant", "registrants(eventId: $e) { edges { node { {field} } } }", "registrants"),
    (
        "UnmatchedParticipant",
        "unmatchedParticipants(eventId: $e) { edges { node { {field} } } }",
        "unmatchedParticipants",
    ),
    ("Headcount", "eventHeadcount(eventId: $e) { {field} }", "eventHeadcount"),
]
EVENT_HEADCOUNT = ("Headcount", "event(id: $e) { headcount { {field} } }", "event.headcount")


def editor_of(django_user_model, event, name, codenames):
    user = django_user_model.objects.create_user(name, f"{name}@example.edu", "pw")
    group = Group.objects.create(name=f"{name}s")
    for codename in codenames:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtail_webinars", codename=codename)
        )
    GroupPagePermission.objects.create(
        group=group, page=event, permission=page_permission("change")
    )
    user.groups.add(group)
    return user


@pytest.fixture
def world(make_event, django_user_model):
    event, other = make_event(), make_event()
    RegistrationFactory(page=event, email=SECRET_EMAIL, first_name=SECRET_NAME)
    UnmatchedParticipant.objects.create(
        page=event, key="email:x", name=SECRET_NAME, email=SECRET_EMAIL, minutes=3
    )
    return {
        "event": event,
        # May edit the page but holds no registration permission.
        "page_editor": editor_of(django_user_model, event, "pageeditor", []),
        # Holds the view permission, but edits only another event.
        "other_editor": editor_of(django_user_model, other, "othereditor", ["view_registration"]),
        # Allowed: view permission and edits this event.
        "allowed": editor_of(django_user_model, event, "alloweditor", ["view_registration"]),
    }


def client_for(user=None, token=None):
    client = Client()
    headers = {}
    if user is not None:
        client.force_login(user)
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client, headers


def ask(client, headers, query, event):
    response = client.post(
        "/graphql/",
        json.dumps({"query": f"query($e: ID!) {{ {query} }}", "variables": {"e": str(event.pk)}}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    return response.content.decode(), response.json()


@pytest.mark.parametrize(("type_name", "template", "root"), PATHS, ids=lambda v: str(v)[:20])
def test_every_personal_field_is_refused_to_everyone_else(world, type_name, template, root):
    event = world["event"]
    _token, page_editor_token = ApiToken.issue(user=world["page_editor"], name="t")
    refused = [
        ("anonymous", {}),
        ("page editor", {"user": world["page_editor"]}),
        ("editor of another event", {"user": world["other_editor"]}),
        ("token of a page editor", {"token": page_editor_token}),
    ]
    clients = {who: client_for(**kwargs) for who, kwargs in refused}
    allowed = client_for(user=world["allowed"])
    for field in selection(type_name):
        query = template.replace("{field}", field)
        for who, (client, headers) in clients.items():
            raw, body = ask(client, headers, query, event)
            assert SECRET_EMAIL not in raw and SECRET_NAME not in raw, (who, field)
            assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", (who, body)
            if root == "event.headcount":
                assert body["data"]["event"]["headcount"] is None, (who, field)
            else:
                assert body["data"][root] is None, (who, field)
        raw, body = ask(*allowed, query, event)
        assert "errors" not in body, (field, body)
        if field in ("email", "firstName"):
            assert SECRET_EMAIL in raw or SECRET_NAME in raw


def test_the_walk_covers_every_type_with_personal_fields():
    # A new type carrying names or emails must be added to PATHS above.
    personal = {"email", "firstName", "lastName", "name"}
    covered = set()
    for type_name, _template, _root in PATHS:
        covered |= {type_name} | nested_types(type_name)
    found = {
        name
        for name, graphql_type in schema.graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("__")
        and personal & set(graphql_type.fields)
    }
    assert found <= covered, found - covered


def nested_types(type_name: str) -> set[str]:
    """The object types reachable only inside ``type_name`` (e.g. a registrant's answers)."""
    found = set()
    for field in schema.graphql_schema.get_type(type_name).fields.values():
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType) and inner.name not in found:
            found |= {inner.name} | nested_types(inner.name)
    return found
