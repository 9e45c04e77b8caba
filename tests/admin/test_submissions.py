"""An event page's submissions in Wagtail's Forms area: list, CSV, and the policy."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail_webinars import registration as service

pytestmark = pytest.mark.django_db


class TestWagtailSubmissions:
    """Registration is Wagtail's submission class: the form pages' list and export work."""

    def test_submissions_list(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        service.register(event, email="ada@example.org", first_name="Ada", last_name="L")
        url = reverse("wagtailforms:list_submissions", args=(event.pk,))
        response = staff_client.get(url)
        assert response.status_code == 200
        assert "ada@example.org" in response.content.decode()

    def test_page_editors_without_the_registration_permission_see_no_submissions(
        self, client, django_user_model, make_event
    ):
        event = make_event(kind="vimeo")
        service.register(event, email="hidden@example.org", first_name="H", last_name="P")
        editor = django_user_model.objects.create_user("pe", "pe@example.edu", "pw")
        editors = Group.objects.get(name="Editors")  # Wagtail's default: may edit every page
        editor.groups.add(editors)
        assert not editor.has_perm("wagtail_webinars.view_registration")
        client.force_login(editor)
        url = reverse("wagtailforms:list_submissions", args=(event.pk,))
        for response in (client.get(url), client.get(url, {"export": "csv"})):
            assert response.status_code in (302, 403)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"hidden@example.org" not in body

    def test_submissions_csv(self, staff_client, make_event):
        event = make_event(kind="vimeo")
        service.register(
            event,
            email="ada@example.org",
            first_name="Ada",
            last_name="L",
            answers={"diet": "vegan"},
        )
        url = reverse("wagtailforms:list_submissions", args=(event.pk,))
        response = staff_client.get(url, {"export": "csv"})
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:5] == ["Registered", "First name", "Last name", "Email", "Status"]
        assert rows[1][1:5] == ["Ada", "L", "ada@example.org", "Registered"]


def test_a_re_registration_is_listed_by_its_new_time(staff_client, make_event):
    """The list is ordered (newest first) by the same "registered at" it shows."""
    from datetime import timedelta

    from wagtail_webinars.models import Registration

    event = make_event(kind="vimeo")
    first = service.register(
        event, email="first@example.org", first_name="First", last_name="P"
    ).registration
    second = service.register(
        event, email="second@example.org", first_name="Second", last_name="P"
    ).registration
    Registration.objects.filter(pk=first.pk).update(
        registered_at=second.registered_at + timedelta(minutes=5)
    )
    url = reverse("wagtailforms:list_submissions", args=(event.pk,))
    html = staff_client.get(url).content.decode()
    assert html.index("first@example.org") < html.index("second@example.org")
