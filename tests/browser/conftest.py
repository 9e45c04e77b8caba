"""Real-browser fixtures: Debian's Chromium driven by Playwright.

Never ``playwright install``: the browser comes from Debian's ``chromium``
package (``scripts/test`` installs it when run as root). Without it, or without
the ``playwright`` package, the browser tests skip and say why.
"""

from __future__ import annotations

import os

import pytest
from django.db import connections

# Playwright's sync API runs an asyncio loop in this thread; Django would otherwise
# refuse the ORM calls the test makes between browser steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the testing extra installs it
    sync_api = None


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_api is None:
        reason = "the playwright package is not installed (testing extra)"
    elif not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if reason:
        for item in items:
            if "tests/browser/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def browser(live_server, transactional_db):
    # Function-scoped and after the database fixtures on purpose: while Playwright's
    # event loop runs, Django keeps database connections per context, so the test
    # database must be set up before it starts and flushed after it stops.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Close the connection the test's own queries opened inside that loop.
            connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 900, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
