"""Benchmark: reminders sent by a real ``qcluster`` with 1, 2 and 4 workers through a
relay that takes 20 ms a message.

    DATABASE_URL=postgres://.../scratch python -m benchmarks.reminder_workers
    DATABASE_URL=postgres://.../scratch python -m benchmarks.reminder_workers \\
        --workers 4 --registrants 10000

Needs PostgreSQL: several senders share one event's batches through
``SELECT ... FOR UPDATE SKIP LOCKED``. For each worker count N the script adds an
event whose reminder time comes a few seconds later, starts a real
``manage.py qcluster`` with N workers and ``REMINDER_SEND_TASKS`` N (the sweep and
N - 1 helpers, each with a mail connection of its own), mail going over SMTP to
:mod:`benchmarks.relay` (aiosmtpd, ``--relay-delay`` a message), and waits until
every reminder is sent. The sweep is django-q2's every-minute schedule, as in
production (django-q2 checks schedules about every 30 s).

Figures: messages/s for each N (first to last message), for the largest N whether
every reminder went out within ``--deadline`` seconds of the reminder time (goal:
10,000 within 2 minutes with 4 workers), each exactly once (the relay's count of
each recipient and the database agree), and the peak RSS of the cluster's largest
process (goal: under 250 MB a worker).

The task timeout (``--task-timeout``, ``Q_CLUSTER["timeout"]``) sets each sender's
time budget (half of it): with django-q2's 60 s a sender stops after 30 s and the
next minute's sweep starts the next round, so 10,000 reminders need several rounds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import (
    Figure,
    add_json_argument,
    add_registrants,
    make_event,
    migrate,
    setup_django,
    write_figures,
)
from benchmarks.relay import start_relay
from benchmarks.servers import free_port, qcluster, site_env


def run(workers: int, count: int, args, logs: Path) -> dict:
    from django.db import connection
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from wagtail_webinars.conf import get_setting
    from wagtail_webinars.models import Registration

    lead = timedelta(minutes=get_setting("REMINDER_LEAD_MINUTES"))
    # The reminder time comes while the cluster starts: the first sweep is then
    # django-q2's first schedule check, about 30 s after the cluster starts.
    start = timezone.now() + lead + timedelta(seconds=10)
    event = make_event("zoom_meeting_link", start=start, title=f"Reminders, {workers} workers")
    add_registrants(event, count)
    due_at = event.reminder_due_at
    connection.close()
    port = free_port()
    relay, controller = start_relay(port, args.relay_delay)
    env = site_env(
        free_port(),
        BENCH_Q_NAME=f"bench-reminders-{workers}-{time.time_ns()}",
        BENCH_Q_WORKERS=workers,
        BENCH_Q_TIMEOUT=args.task_timeout,
        BENCH_REMINDER_SEND_TASKS=workers,
        BENCH_SMTP_PORT=port,
    )
    rows = Registration.objects.filter(page_id=event.pk)
    try:
        with qcluster(env, logs / f"qcluster-{workers}.log") as cluster:
            give_up = due_at + timedelta(seconds=args.give_up)
            while timezone.now() < give_up:
                cluster.sample_memory()
                if rows.filter(reminder_sent_for=event.start).count() >= count:
                    break
                time.sleep(2)
            cluster.sample_memory()
    finally:
        controller.stop()
    sent = rows.filter(reminder_sent_for=event.start).aggregate(
        n=Count("pk"), first=Min("reminder_sent_at"), last=Max("reminder_sent_at")
    )
    span = (sent["last"] - sent["first"]).total_seconds() if sent["n"] > 1 else 0
    return {
        "workers": workers,
        "count": count,
        "sent": sent["n"],
        "rate": (sent["n"] - 1) / span if span else 0.0,
        "first_after": (sent["first"] - due_at).total_seconds() if sent["n"] else None,
        "last_after": (sent["last"] - due_at).total_seconds() if sent["n"] else None,
        "delivered": relay.messages,
        "repeated": sum(1 for n in relay.recipients.values() if n > 1),
        "recipients": len(relay.recipients),
        "peak_rss_mb": max(cluster.peak_rss_kb.values(), default=0) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts, in turn")
    parser.add_argument("--registrants", type=int, default=10_000, help="for the largest count")
    parser.add_argument(
        "--rate-registrants", type=int, default=2000, help="for the smaller counts (rates only)"
    )
    parser.add_argument("--relay-delay", type=float, default=0.02, help="seconds a message")
    parser.add_argument("--task-timeout", type=int, default=300, help='Q_CLUSTER["timeout"]')
    parser.add_argument("--deadline", type=float, default=120, help="goal, s after reminder time")
    parser.add_argument("--give-up", type=float, default=420, help="s after reminder time")
    add_json_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_Q_NAME", f"bench-reminders-{os.getpid()}")
    setup_django("benchmarks.site_settings")
    from django.db import connection

    if connection.vendor != "postgresql":
        write_figures(
            args.json,
            [
                Figure(
                    "Reminders on several workers",
                    "skipped: needs PostgreSQL (senders share batches with SKIP LOCKED)",
                )
            ],
        )
        return
    migrate()
    logs = Path(tempfile.mkdtemp(prefix="webinars-bench-reminders-"))
    print(f"logs in {logs}")
    counts = [int(n) for n in args.workers.split(",")]
    results = [
        run(n, args.registrants if n == max(counts) else args.rate_registrants, args, logs)
        for n in counts
    ]
    figures = []
    one = results[0]["rate"] or 1
    for r in results:
        figures.append(
            Figure(
                f"Reminders, {r['workers']} worker(s), {args.relay_delay * 1000:.0f} ms/message "
                f"relay: rate",
                f"{r['rate']:.0f} messages/s ({r['rate'] / one:.1f}x {results[0]['workers']}); "
                f"{r['sent']:,} of {r['count']:,} sent",
                goal="grows with workers",
                passed=r is results[0] or r["rate"] > results[results.index(r) - 1]["rate"],
            )
        )
        figures.append(
            Figure(
                f"Reminders, {r['workers']} worker(s): each exactly once",
                f"{r['delivered']:,} delivered to {r['recipients']:,} addresses, "
                f"{r['repeated']} repeated",
                goal="each once",
                passed=r["delivered"] == r["recipients"] == r["sent"] == r["count"]
                and not r["repeated"],
            )
        )
        figures.append(
            Figure(
                f"Reminders, {r['workers']} worker(s): peak RSS",
                f"{r['peak_rss_mb']:.0f} MB (the cluster's largest process)",
                goal="< 250 MB a worker",
                passed=r["peak_rss_mb"] < 250,
            )
        )
    big = results[-1]
    figures.append(
        Figure(
            f"Reminders, {big['workers']} workers: {big['count']:,} sent after the reminder time",
            f"first {big['first_after']:.0f} s, last {big['last_after']:.0f} s after it "
            f"(task timeout {args.task_timeout} s)",
            goal=f"all within {args.deadline:.0f} s",
            passed=big["sent"] == big["count"] and big["last_after"] <= args.deadline,
        )
    )
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
