"""Who may see and use an event's "Zoom sync" admin page.

The page counts and links to registrations (personal data) and its buttons change
registrations (retry) or rewrite the live page (refresh from Zoom), so page edit
rights alone are not enough.
"""

from __future__ import annotations

import pytest
import responses
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import RegistrationFactory, page_permission
from wagtail_webinars.admin.events import ZOOM_URL_NAME as EVENT_ZOOM_URL_NAME
from wagtail_webinars.models import Registration


@pytest.fixture(autouse=True)
def no_network():
    # Nothing here may reach Zoom; an unexpected call fails the test.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


@pytest.fixture
def failed(event):
    return RegistrationFactory(
        page=event, sync_status=Registration.SyncStatus.FAILED, sync_error="Host cannot register"
    )


def editor(django_user_model, *codenames):
    """A Wagtail "Editors" member (may edit every page) with extra registration perms."""
    user = django_user_model.objects.create_user("ed", "ed@example.edu", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    if codenames:
        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="wagtail_webinars", codename__in=codenames
            )
        )
    return user


def url(event):
    return reverse(EVENT_ZOOM_URL_NAME, args=[event.pk])


def refused(response) -> bool:
    # Wagtail turns PermissionDenied in the admin into a redirect to the dashboard.
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def test_page_editor_without_registration_permission_sees_and_changes_nothing(
    client, django_user_model, event, failed
):
    client.force_login(editor(django_user_model))
    assert refused(client.get(url(event)))
    assert refused(client.post(url(event), {"action": "retry_failed"}))
    failed.refresh_from_db()
    assert failed.sync_status == Registration.SyncStatus.FAILED


def test_viewer_sees_counts_but_cannot_retry(client, django_user_model, event, failed):
    client.force_login(editor(django_user_model, "view_registration"))
    response = client.get(url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="retry_failed"' not in html
    assert refused(client.post(url(event), {"action": "retry_failed"}))
    failed.refresh_from_db()
    assert failed.sync_status == Registration.SyncStatus.FAILED


def test_who_may_change_registrations_can_retry(client, django_user_model, event, failed):
    client.force_login(editor(django_user_model, "view_registration", "change_registration"))
    html = client.get(url(event)).content.decode()
    assert 'value="retry_failed"' in html
    response = client.post(url(event), {"action": "retry_failed"})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.sync_status != Registration.SyncStatus.FAILED


def test_refresh_needs_publish_permission(client, django_user_model, event):
    user = editor(django_user_model, "view_registration")
    Group.objects.get(name="Editors").page_permissions.filter(
        permission=page_permission("publish")
    ).delete()
    client.force_login(user)
    html = client.get(url(event)).content.decode()
    assert 'value="refresh"' not in html
    assert refused(client.post(url(event), {"action": "refresh"}))


def test_the_zoom_page_shows_the_meeting_as_zoom_has_it(admin_client, event):
    # What Zoom told us when the event was last read, worded by the Zoom provider.
    event.provider_config = {
        "id": event.provider.external_id,
        "topic": "Spring open day",
        "start_time": "2030-03-05T14:00:00Z",
        "timezone": "Europe/London",
        "approval_type": 1,
    }
    event.save()
    page = admin_client.get(url(event)).content.decode()
    assert "Spring open day" in page
    assert "Zoom&#x27;s zone: Europe/London" in page or "Zoom's zone: Europe/London" in page
    assert "Required, approved manually" in page
    assert "Required, approved automatically" not in page


def test_people_registered_in_zoom_directly_are_adopted_from_the_zoom_page(
    client, django_user_model, event, no_network, django_capture_on_commit_callbacks
):
    from wagtail_webinars.models import ProviderRegistrant

    person = ProviderRegistrant.objects.create(
        page=event,
        registrant_id="zr-1",
        email="direct@example.org",
        first_name="Dee",
        meeting_id=event.provider.external_id,
        join_url="https://zoom.us/w/1?tk=zr-1",
    )
    viewer = editor(django_user_model, "view_registration")
    client.force_login(viewer)
    page = client.get(url(event)).content.decode()
    assert "direct@example.org" in page and "Adopt as a registration" not in page
    assert refused(client.post(url(event), {"action": "adopt", "registrant": person.pk}))
    assert not Registration.objects.filter(email="direct@example.org").exists()

    viewer.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtail_webinars", codename="add_registration"
        )
    )
    client.force_login(viewer)
    assert "Adopt as a registration" in client.get(url(event)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(event), {"action": "adopt", "registrant": person.pk})
    row = Registration.objects.get(email="direct@example.org")
    assert (
        row.provider_registrant_id == "zr-1" and row.sync_status == Registration.SyncStatus.SYNCED
    )
    assert [c.request.url for c in no_network.calls] == []  # nothing pushed to Zoom
    person.refresh_from_db()
    assert person.state == ProviderRegistrant.State.ADOPTED
