"""Benchmark: what one registration POST costs the web process, side by side.

    DATABASE_URL=postgres://.../scratch python -m benchmarks.registration_post
    python -m benchmarks.registration_post            # scratch SQLite (connections are cheap)

DATABASE_URL must name a scratch database: the script migrates it and adds an event.
Posts the example site's event page form in-process (Django's test client, real
transactions, django-q2's ORM broker queueing for real: no worker runs) and, like a
real server, closes old connections at the end of every request. Four variants run
interleaved in rounds, so a noisy machine hits them alike:

* one task per registration (now) or two (the old confirmation + sync pair),
* ``CONN_MAX_AGE`` 0 (Django's default) or 60 with health checks (the example site).

Prints SQL statements and new database connections per POST and the time per POST.
Not part of the test suite: timings depend on the machine. Figures go to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.common import (
    Figure,
    add_json_argument,
    make_event,
    migrate,
    setup_django,
    write_figures,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100, help="POSTs per variant per round")
    parser.add_argument("--rounds", type=int, default=3)
    add_json_argument(parser)
    args = parser.parse_args()
    setup_django()

    from django.db import close_old_connections, connection
    from django.db.backends.signals import connection_created
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django_q.models import OrmQ

    from wagtail_webinars import jobs, registration

    migrate()
    event = make_event("vimeo")
    url = event.url
    one_task = registration._queue_after_change

    def two_tasks(registration_id, outcome, needs_sync):
        # The old shape: a confirmation task, then (for managed events) a sync task.
        jobs.enqueue_on_commit(jobs.SEND_CONFIRMATION, registration_id)
        jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, registration_id)

    opened = [0]
    connection_created.connect(lambda **kw: opened.__setitem__(0, opened[0] + 1), weak=False)
    results: dict[str, dict[str, list[float]]] = {}
    client = Client()
    counter = iter(range(10**9))
    variants = [
        ("1 task, CONN_MAX_AGE 60", one_task, 60),
        ("2 tasks, CONN_MAX_AGE 60", two_tasks, 60),
        ("1 task, CONN_MAX_AGE 0", one_task, 0),
        ("2 tasks, CONN_MAX_AGE 0", two_tasks, 0),
    ]
    # No rate limit here: every POST comes from one address.
    limits = {"REGISTRATION_RATE_PER_MINUTE": 0, "REGISTRATION_RATE_PER_HOUR": 0}
    with override_settings(WAGTAIL_WEBINARS=limits):
        for _round in range(args.rounds):
            for name, queue, max_age in variants:
                registration._queue_after_change = queue
                connection.close()
                connection.settings_dict["CONN_MAX_AGE"] = max_age
                connection.settings_dict["CONN_HEALTH_CHECKS"] = bool(max_age)
                row = results.setdefault(name, {"ms": [], "queries": [], "connects": []})
                client.get(url)  # warm up this variant's connection
                close_old_connections()
                for _ in range(args.posts):
                    n = next(counter)
                    data = {"first_name": "B", "last_name": "M", "email": f"b{n}@example.org"}
                    before = opened[0]
                    with CaptureQueriesContext(connection) as ctx:
                        t0 = time.perf_counter()
                        response = client.post(url, data)
                        close_old_connections()  # what the handler does after each request
                        row["ms"].append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.status_code
                    row["queries"].append(len(ctx.captured_queries))
                    row["connects"].append(opened[0] - before)
    registration._queue_after_change = one_task
    OrmQ.objects.all().delete()

    vendor = connection.vendor
    now, before = results[variants[0][0]], results[variants[3][0]]
    sql = statistics.mean(now["queries"])
    speedup = statistics.median(before["ms"]) / statistics.median(now["ms"])
    write_figures(
        args.json,
        [
            Figure(
                "Registration POST in-process (link-only event): SQL statements",
                f"{sql:.1f} per POST, the queued task's insert included",
                goal="<= 14",
                passed=sql <= 14,
            ),
            Figure(
                "Registration POST in-process: new database connections",
                f"{statistics.mean(now['connects']):.2f} per POST "
                f"(before: 2 tasks, CONN_MAX_AGE 0: {statistics.mean(before['connects']):.2f})",
                goal="0",
                passed=statistics.mean(now["connects"]) == 0,
            ),
            Figure(
                "Registration POST in-process: the old way (2 tasks, CONN_MAX_AGE 0) vs now",
                f"{speedup:.2f}x the time of now ({statistics.median(before['ms']):.0f} ms vs "
                f"{statistics.median(now['ms']):.0f} ms, medians, interleaved)",
            ),
        ],
    )
    print(f"database: {vendor}; {args.rounds} rounds x {args.posts} POSTs per variant")
    print("| variant | SQL per POST | new connections per POST | ms per POST (median) |")
    print("| --- | --- | --- | --- |")
    for name, row in results.items():
        print(
            f"| {name} | {statistics.mean(row['queries']):.1f} | "
            f"{statistics.mean(row['connects']):.2f} | {statistics.median(row['ms']):.1f} |"
        )


if __name__ == "__main__":
    main()
