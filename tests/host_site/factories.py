"""Published host-project event pages for tests (like ``tests.factories.make_event``)."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import LOCATIONS

_counter = iter(range(1, 10**9))


def make_host_event(model, parent, *, kind: str = "zoom_meeting_link", **fields):
    n = next(_counter)
    start = fields.pop("start")
    values = {
        "title": f"{model.__name__} {n}",
        "slug": f"{model.__name__.lower()}-{n}",
        "start": start,
        "end": fields.pop("end", start + timedelta(hours=1)),
        "description": "<p>About the event.</p>",
        "reply_to": "organiser@example.edu",
        **fields,
    }
    page = model(location=[(kind, dict(LOCATIONS[kind]))], **values)
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page
