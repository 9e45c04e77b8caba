"""Fixtures of the sync tests (``zoom``, ``commit`` and ``queued`` come from tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting")
