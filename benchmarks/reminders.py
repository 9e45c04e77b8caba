"""Benchmark: one reminder sweep to 10,000 registrants, locmem mail backend.

    python -m benchmarks.reminders                 # scratch SQLite in a temp dir
    DATABASE_URL=postgres://.../scratch python -m benchmarks.reminders
    python -m benchmarks.reminders --relay-delay 0.02   # a relay taking 20 ms a message
    python -m benchmarks.reminders --relay-delay 0.02 --senders 4   # the sweep and 3 helpers

DATABASE_URL, when set, must name a scratch database: the script migrates it
and adds an event with its registrants. Prints the queries the sweep used
(they must grow with batches, not registrants), messages per second and the
process's peak memory. With ``--relay-delay`` every message waits that long, like
a real SMTP relay: the sweep then stops at its time budget (half of
Q_CLUSTER["timeout"]) and leaves the rest to the next sweep. With ``--senders N``
(``REMINDER_SEND_TASKS``) the sweep queues N - 1 helpers; each runs here in a thread
of its own (its own database and mail connection), as it would on a worker of its
own; the figures then count every sender's messages (queries: the sweep's only).
Not part of the test suite: timings depend on the machine. Figures are recorded in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import tracemalloc
from datetime import timedelta

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from benchmarks.common import (
    Figure,
    add_json_argument,
    add_registrants,
    make_event,
    migrate,
    peak_rss_mb,
    setup_django,
    write_figures,
)


class SlowRelayBackend(LocmemBackend):
    """The locmem backend, taking ``delay`` seconds per message like a real relay."""

    delay = 0.0

    def send_messages(self, messages):
        time.sleep(self.delay * len(messages))
        return super().send_messages(messages)


def make_event_with_registrants(count: int):
    """A link-only event starting in an hour (its reminders are due) with ``count``
    registrants."""
    from django.utils import timezone

    start = (timezone.now() + timedelta(minutes=60)).replace(second=0, microsecond=0)
    event = make_event("zoom_meeting_link", start=start)
    add_registrants(event, count)
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrants", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=None, help="REMINDER_BATCH_SIZE")
    parser.add_argument(
        "--relay-delay",
        type=float,
        default=0.0,
        help="seconds each message takes to send (a slow SMTP relay); default 0",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=1,
        help="REMINDER_SEND_TASKS: the sweep and helpers sending one event at once",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure Python allocations during the sweep (slows it down; "
        "the rate printed is then not representative)",
    )
    add_json_argument(parser)
    args = parser.parse_args()

    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    setup_django()
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wagtail_webinars import mail_batches, reminders
    from wagtail_webinars.conf import get_setting

    if args.batch_size:
        settings.WAGTAIL_WEBINARS = {
            **settings.WAGTAIL_WEBINARS,
            "REMINDER_BATCH_SIZE": args.batch_size,
        }
    helpers: list[threading.Thread] = []
    helper_reports: list[dict] = []
    if args.senders > 1:
        from django.db import connections

        from wagtail_webinars import jobs, tasks

        settings.WAGTAIL_WEBINARS = {
            **settings.WAGTAIL_WEBINARS,
            "REMINDER_SEND_TASKS": args.senders,
        }

        def work(name, *task_args):
            try:
                helper_reports.append(getattr(tasks, name.rsplit(".", 1)[1])(*task_args))
            finally:
                connections.close_all()

        def enqueue(name, *task_args):
            helper = threading.Thread(target=work, args=(name, *task_args))
            helpers.append(helper)
            helper.start()

        jobs.enqueue = enqueue  # a worker of its own for each queued helper
    if args.relay_delay:
        SlowRelayBackend.delay = args.relay_delay
        settings.EMAIL_BACKEND = "__main__.SlowRelayBackend"
    migrate()
    event = make_event_with_registrants(args.registrants)
    batch_size = get_setting("REMINDER_BATCH_SIZE")
    mail.outbox = []
    rss_before = peak_rss_mb()

    if args.tracemalloc:
        tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = reminders.send_due_reminders()
        for helper in helpers:
            helper.join()
        elapsed = time.perf_counter() - started
    report.sent += sum(r["sent"] for r in helper_reports)
    report.failed += sum(r["failed"] for r in helper_reports)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    tracemalloc.stop()

    batches = -(-report.sent // batch_size)
    print(f"database:          {connection.vendor} ({settings.DATABASES['default']['NAME']})")
    print(f"event:             {event.pk} starting {event.start.isoformat()}")
    print(f"registrants:       {args.registrants}")
    print(f"senders:           {max(args.senders, 1)} (the sweep and {len(helpers)} helpers)")
    print(f"batch size:        {batch_size} ({batches} batches)")
    print(f"sent / failed:     {report.sent} / {report.failed}")
    budget = mail_batches.time_budget()
    print(f"time budget:       {budget:.0f} s (out of time: {report.out_of_time})")
    print(f"messages in outbox:{len(mail.outbox):>6}")
    print(f"queries:           {len(queries)} ({len(queries) / batches:.1f} per batch)")
    print(f"time:              {elapsed:.2f} s")
    print(f"rate:              {report.sent / elapsed:.0f} messages/s")
    print(f"peak RSS:          {peak_rss_mb():.0f} MB (before the sweep: {rss_before:.0f} MB)")
    if traced_peak is not None:
        print(f"tracemalloc peak:  {traced_peak:.0f} MB allocated by Python during the sweep")
    rate = report.sent / elapsed
    senders = max(args.senders, 1)
    label = f"Reminder sweep in-process, {args.registrants:,} registrants"
    if senders > 1 or args.relay_delay:
        label += f", {senders} senders, {args.relay_delay * 1000:.0f} ms/message relay"
    figures = [
        Figure(
            f"{label}: queries",
            f"{len(queries)} ({len(queries) / batches:.1f} per batch of {batch_size})",
            goal="O(batches), never per registrant",
            passed=len(queries) / batches < 20,
        ),
        Figure(
            f"{label}: rate",
            f"{rate:,.0f} messages/s ({report.sent:,} sent in {elapsed:.1f} s)",
            goal="" if args.relay_delay else ">= 500 messages/s",
            passed=None if args.relay_delay else rate >= 500,
        ),
        Figure(
            f"{label}: peak RSS",
            f"{peak_rss_mb():.0f} MB (process, outbox included)",
            goal="< 250 MB",
            passed=peak_rss_mb() < 250,
        ),
    ]
    if report.out_of_time:
        print(f"left for the next sweep: {args.registrants - report.sent - report.failed}")
    elif report.sent != args.registrants:
        figures.append(Figure(f"{label}: sent", f"{report.sent}", goal="all", passed=False))
    write_figures(args.json, figures)
    if not report.out_of_time and report.sent != args.registrants:
        sys.exit("not every registrant got a reminder")


if __name__ == "__main__":
    main()
