"""``event_page_models()``: every concrete event page model, each table once."""

from __future__ import annotations

from wagtail_webinars.models import EventPage, EventPageMixin, event_page_models


def test_lists_ours_and_the_host_projects_event_pages():
    from tests.host_site.models import CampusEventPage, SeminarPage

    models = event_page_models()
    assert EventPage in models
    # Built from AbstractEventPage: a table of its own, so a query of its own.
    assert CampusEventPage in models
    # A SeminarPage is also an EventPage row: EventPage's query already covers it.
    assert SeminarPage not in models
    assert issubclass(SeminarPage, tuple(models))
    assert all(issubclass(m, EventPageMixin) and not m._meta.abstract for m in models)
    assert len(set(models)) == len(models)


def test_pages_that_are_not_events_are_not_listed():
    from tests.factories import EventIndexPage, HomePage

    models = tuple(event_page_models())
    assert not issubclass(EventIndexPage, models)
    assert not issubclass(HomePage, models)
