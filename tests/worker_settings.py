"""Settings of a real ``qcluster`` started by a test (tests/test_worker_kill.py).

The test settings, with the database the test uses (its name in
``WEBINARS_WORKER_DB``), a cache shared with the test process (a file cache in
``WEBINARS_WORKER_DIR``), mail recorded one line per message in that folder, Zoom
at ``WEBINARS_WORKER_ZOOM`` and a real (not inline) cluster with short timeouts.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, WAGTAIL_WEBINARS

_dir = os.environ["WEBINARS_WORKER_DIR"]
DATABASES["default"]["NAME"] = os.environ["WEBINARS_WORKER_DB"]
DATABASES["default"].pop("TEST", None)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.path.join(_dir, "cache"),
    }
}
SILENCED_SYSTEM_CHECKS = []
EMAIL_BACKEND = "tests.worker_mail.RecordingBackend"
WEBINARS_MAIL_LOG = os.path.join(_dir, "mail.log")

_zoom = os.environ["WEBINARS_WORKER_ZOOM"]
WAGTAIL_WEBINARS = {
    **WAGTAIL_WEBINARS,
    "ZOOM_API_URL": _zoom + "/v2",
    "ZOOM_OAUTH_URL": _zoom + "/oauth/token",
    "ZOOM_TIMEOUT": (2, 10),
    # Short enough for a test to see what a sweeper recovers.
    "SYNC_STALE_SECONDS": 2,
    "SYNC_BACKOFF_SECONDS": 1,
    "REMINDER_CLAIM_TIMEOUT_SECONDS": 8,
}

Q_CLUSTER = {
    # The queue is the cluster name: the one the test process queues into.
    "name": "tests",
    "orm": "default",
    "workers": 2,
    "timeout": 4,
    "retry": 6,
    "max_attempts": 3,
    "catch_up": False,
    "poll": 0.1,
    "guard_cycle": 0.2,
    "save_limit": 0,
}
