"""Test settings: the example site's apps, a non-UTC zone on purpose, synchronous tasks.

DATABASE_URL picks the database (SQLite in a temp file by default).
"""

from __future__ import annotations

import os
import tempfile

import dj_database_url

from example_site.settings import *  # noqa: F403
from example_site.settings import INSTALLED_APPS

# A host project's own event pages (built from AbstractEventPage, or extending
# EventPage): reminders and the admin must work for them too. Tests only.
INSTALLED_APPS = ["tests.host_site", *INSTALLED_APPS]

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]

_default_db = f"sqlite:///{tempfile.gettempdir()}/wagtail-webinars-tests.sqlite3"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # A file (not :memory:) so live-server and thread tests share it; one per test
    # run so runs side by side never clobber each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": f"{tempfile.gettempdir()}/wagtail-webinars-test-{os.getpid()}.sqlite3"
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_wagtail_webinars_{os.getpid()}"}

# A campus zone with DST, different from UTC, so time-zone mistakes show.
TIME_ZONE = "America/New_York"
WAGTAIL_WEBINARS = {
    "TIME_ZONE": "America/New_York",
    "ZOOM_ACCOUNT_ID": "test-account",
    "ZOOM_CLIENT_ID": "test-client",
    "ZOOM_CLIENT_SECRET": "test-secret-value",
    "ZOOM_API_URL": "https://api.zoom.test/v2",
    "ZOOM_OAUTH_URL": "https://zoom.test/oauth/token",
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# W003 warns that a local-memory cache is not shared between processes. The suite
# is one process: tasks run inline (Q_CLUSTER sync), live servers and concurrency
# tests are threads, so this cache IS shared by everything; and its atomic add()
# keeps the lock tests honest. tests/test_checks.py tests the check itself.
SILENCED_SYSTEM_CHECKS = ["wagtail_webinars.W003"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WAGTAILADMIN_BASE_URL = "http://testserver"

# django-q2 reads Q_CLUSTER at import: sync runs every task inline in the test.
Q_CLUSTER = {
    "name": "tests",
    "orm": "default",
    "sync": True,
    "catch_up": False,
    "timeout": 60,
    "retry": 120,
}

MEDIA_ROOT = os.path.join(tempfile.gettempdir(), "wagtail-webinars-test-media")
LOGGING = {"version": 1, "disable_existing_loggers": False}

# The stand-in sends no webhooks unless a test points it somewhere.
ZOOM_STANDIN_WEBHOOK_URL = None
