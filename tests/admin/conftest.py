"""Users with exactly the permissions a test needs, for the admin's permission checks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission

from tests.factories import page_permission
from wagtail_webinars.models import page_model


@pytest.fixture
def make_staff(db, django_user_model):
    """``make_staff("view_registration", pages=[event])`` -> an admin user holding those
    Registration permissions and permission to edit those pages."""
    counter = iter(range(1, 1000))

    def factory(*codenames, pages=()):
        n = next(counter)
        user = django_user_model.objects.create_user(f"user{n}", f"user{n}@example.edu", "pw")
        group = Group.objects.create(name=f"Staff {n}")
        perms = Permission.objects.filter(
            content_type__app_label__in=["wagtailadmin", "wagtail_webinars"],
            codename__in=["access_admin", *codenames],
        )
        assert perms.count() == 1 + len(codenames)
        group.permissions.set(perms)
        change_page = page_permission("change")
        for page in pages:
            GroupPagePermission.objects.create(
                group=group, page=page_model().objects.get(pk=page.pk), permission=change_page
            )
        user.groups.add(group)
        return user

    return factory
