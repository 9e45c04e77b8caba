"""Fixtures of the sync tests."""

from __future__ import annotations

import pytest

from tests.providers.zoom_fixtures import FakeZoom
from wagtail_webinars import jobs


@pytest.fixture
def zoom():
    with FakeZoom.running() as fake:
        yield fake


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what would run after the transaction commits (tasks run inline in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued(monkeypatch):
    """Record enqueued tasks instead of running them."""
    calls = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args: calls.append((func, args)))
    return calls
