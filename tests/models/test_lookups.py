"""Finding event pages by id without naming Wagtail's Page class."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.host_site.factories import make_host_event
from tests.host_site.models import CampusEventPage, SeminarPage
from wagtail_webinars.models import EventPage, all_event_pages, get_event_page, page_model


@pytest.mark.django_db
def test_loads_the_specific_event_page_of_any_event_model(make_event, event_index):
    ours = make_event(kind="vimeo")
    start = timezone.now() + timedelta(days=3)
    campus = make_host_event(CampusEventPage, event_index, start=start)
    seminar = make_host_event(SeminarPage, event_index, start=start)

    for page, model in ((ours, EventPage), (campus, CampusEventPage), (seminar, SeminarPage)):
        found = get_event_page(page.pk)
        assert type(found) is model
        assert found.pk == page.pk
        # The event's fields are there: it is the specific page, not the base row.
        assert found.location_kind


@pytest.mark.django_db
def test_pages_that_are_not_events_and_unknown_ids_give_none(event_index):
    assert get_event_page(event_index.pk) is None
    assert get_event_page(event_index.pk + 10_000) is None
    assert get_event_page("not-a-number") is None
    assert get_event_page(None) is None


@pytest.mark.django_db
def test_one_lookup_is_two_queries(make_event, django_assert_num_queries):
    event = make_event(kind="vimeo")
    with django_assert_num_queries(2):  # the base row, then the specific row
        get_event_page(event.pk)


@pytest.mark.django_db
def test_event_pages_lists_every_event_model_and_nothing_else(make_event, event_index):
    ours = make_event(kind="vimeo")
    campus = make_host_event(CampusEventPage, event_index, start=timezone.now() + timedelta(days=3))
    ids = set(all_event_pages().values_list("pk", flat=True))
    assert ids == {ours.pk, campus.pk}


def test_page_model_is_the_configured_base_page_model(settings):
    import swapper

    assert page_model()._meta.label == swapper.get_model_name("wagtailcore", "Page")
