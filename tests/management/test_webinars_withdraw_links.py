"""``manage.py webinars_withdraw_links <event id>`` (issue 9 #10)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import RegistrationFactory
from wagtail_webinars import links

pytestmark = pytest.mark.django_db


def test_withdraws_the_events_links(make_event):
    event = make_event(kind="vimeo")
    registrations = RegistrationFactory.create_batch(3, page=event)
    tokens = [links.make_token(r, links.CANCEL) for r in registrations]
    out = StringIO()
    call_command("webinars_withdraw_links", str(event.pk), stdout=out)
    assert f"Links withdrawn for 3 registrations of event {event.pk}." in out.getvalue()
    assert all(links.read_token(t, links.CANCEL) is None for t in tokens)


def test_unknown_event_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No registrations for a page with id 999999"):
        call_command("webinars_withdraw_links", "999999")
