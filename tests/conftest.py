from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_secrets_or_emails_in_logs(request, monkeypatch):
    """Fails the test when a log record at INFO or above names a secret or the email of
    a registrant it knows (tests/log_guard.py)."""
    from tests.log_guard import LogGuard
    from wagtail_webinars.providers.zoom.client import ZoomClient

    guard = LogGuard()
    fetch = ZoomClient._fetch_and_store

    def fetch_and_note(client, key):
        token, base = fetch(client, key)
        guard.remember_token(token)
        return token, base

    monkeypatch.setattr(ZoomClient, "_fetch_and_store", fetch_and_note)
    guard.start()
    try:
        yield guard
    finally:
        guard.stop()
    leaks = guard.leaks()
    if leaks:
        pytest.fail("Logged what must never be logged:\n" + "\n".join(leaks), pytrace=False)


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


@pytest.fixture
def zoom():
    """Zoom over ``responses``, with a working token endpoint (tests/providers/zoom_fixtures.py)."""
    from tests.providers.zoom_fixtures import FakeZoom

    with FakeZoom.running() as fake:
        yield fake


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what would run after the transaction commits (tasks run inline in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued(monkeypatch):
    """Record enqueued tasks instead of running them."""
    from wagtail_webinars import jobs

    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls


@pytest.fixture
def standin(live_server, settings):
    """The example site's Zoom stand-in on a live server, with our client pointed at it."""
    from example_site.zoom_standin import seed

    seed.seed_demo()
    base = live_server.url + "/zoom-standin"
    settings.WAGTAIL_WEBINARS = {
        **settings.WAGTAIL_WEBINARS,
        "ZOOM_ACCOUNT_ID": "demo-account",
        "ZOOM_CLIENT_ID": "demo-client",
        "ZOOM_CLIENT_SECRET": "demo-secret",
        "ZOOM_API_URL": base + "/v2",
        "ZOOM_OAUTH_URL": base + "/oauth/token",
        "ZOOM_TIMEOUT": (5, 10),
    }
    cache.clear()
    return base
