"""The admin home's Events panel: upcoming with registrations, recent with attendance."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory
from wagtail_webinars.admin.dashboard import EventsPanel

pytestmark = pytest.mark.django_db

HOME = reverse("wagtailadmin_home")


def panel_html(client) -> str:
    html = client.get(HOME).content.decode()
    match = re.search(r'id="webinars-events.*?</section>', html, re.S)
    assert match, "no Events panel"
    return match.group(0)


def past(make_event, title, hours_ago=3, **kwargs):
    start = timezone.now() - timedelta(hours=hours_ago)
    return make_event(
        kind="vimeo", title=title, start=start, end=start + timedelta(hours=1), **kwargs
    )


def test_upcoming_with_registrations_and_recent_with_attendance(staff_client, make_event):
    soon = make_event(kind="vimeo", title="Soon talk", capacity=40)
    RegistrationFactory.create_batch(3, page=soon)
    RegistrationFactory(page=soon, status="cancelled")
    done = past(make_event, "Done talk")
    RegistrationFactory.create_batch(3, page=done)
    RegistrationFactory(page=done, checked_in_at=timezone.now(), checkin_source="staff")
    html = panel_html(staff_client)
    upcoming = re.search(r"data-upcoming-events>(.*?)</table>", html, re.S).group(1)
    recent = re.search(r"data-recent-events>(.*?)</table>", html, re.S).group(1)
    assert "Soon talk" in upcoming and "3 / 40" in upcoming
    assert "Done talk" not in upcoming
    assert "Done talk" in recent and "1 / 4" in recent and "25%" in recent
    assert reverse("wagtail_webinars_headcount:event", args=[done.pk]) in recent


def test_only_events_the_user_may_see(client, make_staff, make_event):
    mine = make_event(kind="vimeo", title="Mine")
    make_event(kind="vimeo", title="Theirs")
    client.force_login(make_staff("view_registration", pages=[mine]))
    html = panel_html(client)
    assert "Mine" in html and "Theirs" not in html


def test_no_panel_without_the_registration_permission(client, make_staff, make_event):
    make_event(kind="vimeo", title="Hidden")
    client.force_login(make_staff())
    html = client.get(HOME).content.decode()
    assert 'id="webinars-events' not in html


def test_constant_queries(staff_user, make_event):
    def render() -> int:
        request = RequestFactory().get(HOME)
        request.user = staff_user
        with CaptureQueriesContext(connection) as queries:
            EventsPanel(staff_user).render_html({"request": request})
        return len(queries)

    past(make_event, "One past")
    make_event(kind="vimeo", title="One upcoming")
    few = render()
    for n in range(6):
        event = past(make_event, f"Past {n}", hours_ago=5 + n)
        RegistrationFactory.create_batch(2, page=event)
        RegistrationFactory.create_batch(2, page=make_event(kind="vimeo"))
    assert render() == few
