from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_state(settings):
    cache.clear()
    mail.outbox = []
    yield
    cache.clear()


@pytest.fixture
def site(db):
    from tests.factories import make_site

    return make_site()


@pytest.fixture
def event_index(site):
    from tests.factories import make_event_index

    return make_event_index(site)


@pytest.fixture
def make_event(event_index):
    """``make_event(kind="vimeo", **fields)`` -> a published EventPage under the index."""
    from tests.factories import make_event as _make

    def factory(**kwargs):
        return _make(parent=event_index, **kwargs)

    return factory


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.edu", "pw")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
