from __future__ import annotations

from datetime import timedelta

import pytest

from tests.checkin.rows import T0


@pytest.fixture
def event(make_event):
    return make_event(kind="zoom_meeting", start=T0, end=T0 + timedelta(hours=1))
