"""Benchmark: a real worker pushing registrations to the Zoom stand-in over HTTP.

    DATABASE_URL=postgres://.../scratch python -m benchmarks.worker            # 1,000
    DATABASE_URL=postgres://.../scratch python -m benchmarks.worker --brokers orm

DATABASE_URL must name a scratch database. For each broker (django-q2's ORM broker,
then its Redis broker on ``--redis``, a queue named for this run), the script starts
the example site under gunicorn (it serves the event page and the Zoom stand-in,
``/zoom-standin/``, on one loopback port) and a real ``manage.py qcluster``
(``--workers`` workers), posts ``--registrations`` registrations to a managed Zoom
event through the public form (4 clients), and waits for every one to be "synced".
The stand-in's side is read from gunicorn's access log: token requests (goal 1:
the token is cached and shared), HTTP calls per registrant (goal 1.0: one add
each), and the end-to-end time from the last POST's answer to the last "synced".

Then, on the ORM broker, the backfill: ``--registrations`` registrations the
provider never heard of (made before the event had its meeting ID) pushed by one
``backfill_event`` task through Zoom's batch endpoint, 30 a call (goal: 34 calls
for 1,000).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
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
from benchmarks.load import Client, Target, run_block
from benchmarks.servers import access_log_calls, free_port, gunicorn, qcluster, site_env

STANDIN = "/zoom-standin/"


def wait_until_synced(event_id: int, count: int, timeout: float) -> bool:
    from wagtail_webinars.models import Registration

    deadline = time.monotonic() + timeout
    rows = Registration.objects.filter(page_id=event_id, sync_status="synced")
    while time.monotonic() < deadline:
        if rows.count() >= count:
            return True
        time.sleep(0.5)
    return False


def synced_times(event_id: int):
    from django.db.models import Max, Min

    from wagtail_webinars.models import Registration

    return Registration.objects.filter(page_id=event_id, sync_status="synced").aggregate(
        first=Min("synced_at"), last=Max("synced_at"), n=Min("pk")
    )


def standin_calls(access_log: Path) -> dict[str, int]:
    calls = access_log_calls(access_log, STANDIN)
    return {
        "token": sum("/oauth/token" in path for _m, path, _s in calls),
        "api": sum("/v2/" in path for _m, path, _s in calls),
        "adds": sum(m == "POST" and path.endswith("/registrants") for m, path, _s in calls),
        "batches": sum("/batch_registrants" in path for _m, path, _s in calls),
        "errors": sum(not status.startswith("2") for _m, _p, status in calls),
    }


def push_run(broker: str, args, logs: Path) -> list[Figure]:
    """Registrations through the public form, pushed by a real cluster on ``broker``."""
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from wagtail_webinars.models import Registration

    event = make_event("zoom_meeting", title=f"Benchmark: worker on the {broker} broker")
    cache.clear()  # no access token yet: the run must fetch exactly one
    connection.close()
    port = free_port()
    name = f"bench-{broker}-{time.time_ns()}"
    env = site_env(
        port,
        BENCH_Q_BROKER=broker,
        BENCH_Q_NAME=name,
        BENCH_Q_WORKERS=args.workers,
        BENCH_REDIS_URL=args.redis,
    )
    access = logs / f"access-{broker}.log"
    base = f"http://127.0.0.1:{port}"
    stamp = time.time_ns()
    target = Target(
        f"managed Zoom event ({broker} broker)",
        base + event.url,
        lambda n: {
            "first_name": "Pat",
            "last_name": f"W{n}",
            "website": "",
            "email": f"w{n}.{stamp}@example.org",
        },
    )
    with (
        gunicorn(port, env, logs / f"gunicorn-{broker}.log", access),
        qcluster(env, logs / f"qcluster-{broker}.log") as cluster,
    ):
        clients = [Client() for _ in range(4)]
        started = time.time()
        run_block(clients, target, args.registrations, iter(range(10**9)))
        last_post = timezone.now()
        posted = time.time() - started
        done = wait_until_synced(event.pk, target.posted, args.timeout)
        cluster.sample_memory()
    times = synced_times(event.pk)
    synced = Registration.objects.filter(page_id=event.pk, sync_status="synced").count()
    calls = standin_calls(access)
    n = max(target.posted, 1)
    lag = (times["last"] - last_post).total_seconds() if times["last"] else math.inf
    span = (times["last"] - times["first"]).total_seconds() if times["last"] else math.inf
    label = f"Worker, {broker} broker, {args.workers} workers, {n:,} registrations"
    return [
        Figure(
            f"{label}: pushes",
            f"{synced:,} synced; {synced / span:.1f} pushes/s while registrations came in "
            f"at {target.posted / posted:.1f}/s",
            goal="every registration synced",
            passed=done and synced == target.posted and not target.failures,
        ),
        Figure(
            f"{label}: last POST to last synced",
            f"{lag:.1f} s",
        ),
        Figure(
            f"{label}: token requests", f"{calls['token']}", goal="1", passed=calls["token"] == 1
        ),
        Figure(
            f"{label}: HTTP calls per registrant",
            f"{calls['api'] / n:.2f} ({calls['api']:,} calls, {calls['adds']:,} adds, "
            f"{calls['errors']} errors)",
            goal="1.0",
            passed=calls["api"] == n,
        ),
    ]


def backfill_run(args, logs: Path) -> list[Figure]:
    from django.db import connection

    from wagtail_webinars import jobs
    from wagtail_webinars.models import Registration

    event = make_event("zoom_meeting", title="Benchmark: backfill")
    # Made before the event had a meeting ID: never pushed, nothing queued for them.
    add_registrants(event, args.registrations, lambda n: {"sync_status": "not_applicable"})
    port = free_port()
    # The queue this process queues on (its BENCH_Q_NAME, set in main()).
    env = site_env(port, BENCH_Q_WORKERS=args.workers)
    access = logs / "access-backfill.log"
    connection.close()
    with (
        gunicorn(port, env, logs / "gunicorn-backfill.log", access),
        qcluster(env, logs / "qcluster-backfill.log"),
    ):
        started = time.monotonic()
        jobs.enqueue(jobs.BACKFILL_EVENT, event.pk)
        done = wait_until_synced(event.pk, args.registrations, args.timeout)
        elapsed = time.monotonic() - started
    synced = Registration.objects.filter(page_id=event.pk, sync_status="synced").count()
    calls = standin_calls(access)
    goal = math.ceil(args.registrations / 30)
    return [
        Figure(
            f"Backfill of {args.registrations:,} through the batch endpoint: calls",
            f"{calls['batches']} batch calls ({calls['api']} API calls in all, "
            f"{calls['token']} token), {synced:,} synced in {elapsed:.1f} s",
            goal=f"{goal} calls",
            passed=done
            and calls["batches"] == goal == calls["api"]
            and synced == args.registrations,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="qcluster workers")
    parser.add_argument("--brokers", default="orm,redis", help="orm, redis or both")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for sync")
    parser.add_argument("--no-backfill", action="store_true")
    add_json_argument(parser)
    args = parser.parse_args()
    os.environ["BENCH_Q_NAME"] = f"bench-backfill-{os.getpid()}-{time.time_ns()}"
    setup_django("benchmarks.site_settings")
    migrate()
    logs = Path(tempfile.mkdtemp(prefix="webinars-bench-worker-"))
    print(f"logs in {logs}")
    figures = []
    for broker in args.brokers.split(","):
        figures += push_run(broker.strip(), args, logs)
    if not args.no_backfill:
        figures += backfill_run(args, logs)
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
