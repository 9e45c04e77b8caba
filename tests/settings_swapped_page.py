"""Test settings for a site that swapped Wagtail's base page model (WAGTAIL_PAGE_MODEL).

The core suite runs with these in CI (.ci/run), without migrations (pytest
--no-migrations: the swapped base page needs hand-made bootstrap migrations that a
real site writes once, see Wagtail's "custom base page models"). The example site's
home app builds on Wagtail's own Page, so the test apps tests.swapped_page (the base
page) and tests.swapped_site (pages on it) stand in for it.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

WAGTAIL_PAGE_MODEL = "swapped_page.BasePage"
INSTALLED_APPS = [
    "tests.swapped_page",
    "tests.swapped_site",
    *(app for app in INSTALLED_APPS if app != "example_site.home"),
]
