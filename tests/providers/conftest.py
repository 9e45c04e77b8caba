from __future__ import annotations

import pytest

from tests.providers.zoom_fixtures import FakeZoom


@pytest.fixture
def zoom():
    """Zoom over ``responses``, with a working token endpoint."""
    with FakeZoom.running() as fake:
        yield fake
