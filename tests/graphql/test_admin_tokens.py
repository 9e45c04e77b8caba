from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission

from wagtail_webinars.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/admin/webinars/api-tokens/"


def editor(django_user_model, name="editor", perms=("add", "change", "delete", "view")):
    user = django_user_model.objects.create_user(name, f"{name}@example.edu", "pw")
    group = Group.objects.create(name=f"{name} group")
    group.permissions.add(*Permission.objects.filter(codename="access_admin"))
    for perm in perms:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label="wagtail_webinars", codename=f"{perm}_apitoken"
            )
        )
    user.groups.add(group)
    return user


def test_created_token_is_shown_once_and_stored_as_a_hash(staff_client, staff_user):
    response = staff_client.post(URL + "new/", {"name": "Dashboard", "scope": "read"})
    assert response.status_code == 200
    secret = re.search(r'id="api-token-secret">([^<]+)<', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.user == staff_user
    assert ApiToken.authenticate(secret) == token
    assert secret not in str(ApiToken.objects.values().get())
    assert "no-store" in response["Cache-Control"]
    listing = staff_client.get(URL).content.decode()
    assert "Dashboard" in listing and token.last_four in listing
    assert secret not in listing


def test_users_manage_only_their_own_tokens(client, django_user_model, staff_user):
    alice = editor(django_user_model, "alice")
    theirs, _raw = ApiToken.issue(user=staff_user, name="Theirs")
    mine, _raw = ApiToken.issue(user=alice, name="Mine")
    client.force_login(alice)
    listing = client.get(URL).content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    assert client.get(f"{URL}edit/{theirs.pk}/").status_code in (302, 403)
    assert client.post(f"{URL}delete/{theirs.pk}/").status_code in (302, 403)
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    client.post(f"{URL}delete/{mine.pk}/")
    assert not ApiToken.objects.filter(pk=mine.pk).exists()  # deleting revokes


def test_without_the_permission_no_tokens(client, django_user_model):
    bob = editor(django_user_model, "bob", perms=())
    client.force_login(bob)
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL + "new/", {"name": "x", "scope": "read"}).status_code in (302, 403)
    assert not ApiToken.objects.exists()
