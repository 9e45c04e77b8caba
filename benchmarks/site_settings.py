"""The example site's settings as the server benchmarks run it (gunicorn, qcluster).

Everything of :mod:`example_site.settings`, with DEBUG off and, from the environment
that the benchmark scripts set for the processes they start:

* ``BENCH_Q_BROKER`` ``orm`` (default) or ``redis`` (django-q2's Redis broker on
  ``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/0``), ``BENCH_Q_WORKERS``,
  ``BENCH_Q_TIMEOUT`` and ``BENCH_Q_NAME`` (the queue's name: each run its own);
* ``BENCH_SMTP_PORT``: mail goes over SMTP to the stand-in relay on that port;
* ``BENCH_REMINDER_SEND_TASKS``: ``REMINDER_SEND_TASKS``.

Registration rate limits are off (every request comes from 127.0.0.1), and every
response says how many SQL statements it ran (``X-Bench-Queries``, see
:mod:`benchmarks.querycount`).
"""

from __future__ import annotations

import os

from example_site.settings import *  # noqa: F403
from example_site.settings import MIDDLEWARE, Q_CLUSTER, WAGTAIL_WEBINARS

DEBUG = False
MIDDLEWARE = ["benchmarks.querycount.QueryCountMiddleware", *MIDDLEWARE]

_timeout = int(os.environ.get("BENCH_Q_TIMEOUT", Q_CLUSTER["timeout"]))
Q_CLUSTER = {
    **Q_CLUSTER,
    "name": os.environ.get("BENCH_Q_NAME", "webinars-bench"),
    "workers": int(os.environ.get("BENCH_Q_WORKERS", Q_CLUSTER["workers"])),
    "timeout": _timeout,
    "retry": _timeout + 60,
    # Results of 1,000 tasks are not what is measured: keep the table small.
    "save_limit": 50,
}
if os.environ.get("BENCH_Q_BROKER") == "redis":
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

WAGTAIL_WEBINARS = {
    **WAGTAIL_WEBINARS,
    "REGISTRATION_RATE_PER_MINUTE": 0,
    "REGISTRATION_RATE_PER_HOUR": 0,
    "CONFIRMATION_MAILS_PER_ADDRESS_PER_HOUR": 0,
    # Longer than the task timeout, as the system check W002 asks.
    "REMINDER_CLAIM_TIMEOUT_SECONDS": max(300, _timeout + 60),
}
if os.environ.get("BENCH_REMINDER_SEND_TASKS"):
    WAGTAIL_WEBINARS["REMINDER_SEND_TASKS"] = int(os.environ["BENCH_REMINDER_SEND_TASKS"])

if os.environ.get("BENCH_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["BENCH_SMTP_PORT"])
else:
    # Nothing is measured about the mail here: keep it off the disk.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"wagtail_webinars": {"handlers": ["console"], "level": "WARNING"}},
}
