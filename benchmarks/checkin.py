"""Benchmark: check in 10,000 registrants from 10,000 participant rows (34 pages of 300).

    python -m benchmarks.checkin                  # scratch SQLite in a temp dir
    DATABASE_URL=postgres://.../scratch python -m benchmarks.checkin

DATABASE_URL, when set, must name a scratch database: the script migrates it
and adds a managed Zoom event with its registrants. Zoom is played by
``responses`` (no network): one past instance whose report has 10,000 rows in
pages of 300. Prints, separately, the fetch (our client reading 34 pages; HTTP
mocked) and what the goal is about: matching and saving
(:func:`wagtail_webinars.checkin.match_participants`), its queries (they must
grow with batches, never with people), then the same again (a rerun, which must
change nothing). Not part of the test suite: timings depend on the machine.
Figures are recorded in benchmarks/RESULTS.md.

The rows: 6,000 registrants by Zoom registrant id, 1,000 of them rejoining (a
second row), 1,500 by email only, 500 by name only, 1,000 people who match
nobody (half with an email, half guests without one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from benchmarks.common import (
    STANDIN_MEETING_ID,
    Figure,
    add_json_argument,
    add_registrants,
    make_event,
    migrate,
    setup_django,
    write_figures,
)

API = "https://api.zoom.bench/v2"
MEETING_ID = STANDIN_MEETING_ID
PAGE = 300


def make_checkin_event(count: int):
    """A managed Zoom event that ended two hours ago, with ``count`` registrants
    pushed to Zoom (registrant ids ``rid<n>``)."""
    from django.utils import timezone

    start = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    event = make_event("zoom_meeting", start=start, title="Benchmark check-in")
    stamp = add_registrants(event, count, lambda n: {"provider_registrant_id": f"rid{n}"})
    return event, stamp


def report_rows(event, stamp: str, count: int) -> list[dict]:
    def row(name, email="", rid="", start=0, end=50):
        return {
            "id": "",
            "user_id": "1",
            "name": name,
            "user_email": email,
            "registrant_id": rid,
            "join_time": (event.start + timedelta(minutes=start)).astimezone(UTC).isoformat(),
            "leave_time": (event.start + timedelta(minutes=end)).astimezone(UTC).isoformat(),
            "duration": (end - start) * 60,
            "status": "in_meeting",
        }

    # The shares of the 10,000-row run: 6,000 by id (1,000 rejoining), 1,500 by
    # email, 500 by name, 500 strangers with an email and 500 guests without.
    by_id, rejoins, by_email, by_name, strangers = (
        count * 6 // 10,
        count // 10,
        count * 15 // 100,
        count // 20,
        count // 20,
    )
    rows = []
    for n in range(by_id):
        rows.append(row(f"Pat Person{n}", rid=f"rid{n}", end=30))
    for n in range(rejoins):
        rows.append(row(f"Pat Person{n}", rid=f"rid{n}", start=20, end=55))
    for n in range(by_id, by_id + by_email):
        rows.append(row(f"P. {n}", email=f"PERSON{n}.{stamp}@example.org"))
    for n in range(by_id + by_email, by_id + by_email + by_name):
        rows.append(row(f"pat  person{n}"))
    for n in range(strangers):
        rows.append(row(f"Visitor {n}", email=f"visitor{n}@example.net"))
    for n in range(count - len(rows)):
        rows.append(row(f"Guest {n}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrants", type=int, default=10_000)
    parser.add_argument(
        "--profile", help="write a pyinstrument profile of the first run to this HTML file"
    )
    add_json_argument(parser)
    args = parser.parse_args()

    setup_django()
    import responses
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wagtail_webinars import checkin

    settings.WAGTAIL_WEBINARS = {
        **getattr(settings, "WAGTAIL_WEBINARS", {}),
        "ZOOM_ACCOUNT_ID": "bench",
        "ZOOM_CLIENT_ID": "bench",
        "ZOOM_CLIENT_SECRET": "bench-secret",
        "ZOOM_API_URL": API,
        "ZOOM_OAUTH_URL": "https://zoom.bench/oauth/token",
    }
    migrate()
    event, stamp = make_checkin_event(args.registrants)
    rows = report_rows(event, stamp, args.registrants)
    pages = [rows[i : i + PAGE] for i in range(0, len(rows), PAGE)]

    def reply(request):
        index = int(parse_qs(urlsplit(request.url).query).get("next_page_token", ["0"])[0])
        body = {
            "page_count": len(pages),
            "page_size": PAGE,
            "total_records": len(rows),
            "next_page_token": str(index + 1) if index + 1 < len(pages) else "",
            "participants": pages[index],
        }
        return 200, {}, json.dumps(body)

    with responses.RequestsMock() as mock:
        mock.post(
            "https://zoom.bench/oauth/token",
            json={"access_token": "t", "token_type": "bearer", "expires_in": 3600},
        )
        mock.get(
            f"{API}/past_meetings/{MEETING_ID}/instances",
            json={"meetings": [{"uuid": "inst1==", "start_time": event.start.isoformat()}]},
        )
        mock.add_callback("GET", f"{API}/report/meetings/inst1==/participants", callback=reply)
        with CaptureQueriesContext(connection) as fetch_queries:
            started = time.perf_counter()
            participants = list(event.provider.pull_participants())
            fetched = time.perf_counter() - started
        http_calls = len(mock.calls)

    runs = []
    for attempt in range(2):
        profiler = None
        if args.profile and not attempt:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            result = checkin.match_participants(event, participants)
            if profiler:
                profiler.stop()
                Path(args.profile).write_text(
                    profiler.output_html()
                    if args.profile.endswith(".html")
                    else profiler.output_text(show_all=True)
                )
            runs.append(
                (
                    time.perf_counter() - started,
                    time.process_time() - cpu,
                    len(queries),
                    result,
                )
            )
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
            for q in slowest:
                print(f"  {float(q['time']):6.2f} s  {q['sql'][:70]}")

    print(f"database:          {connection.vendor} ({settings.DATABASES['default']['NAME']})")
    print(f"registrants:       {args.registrants}")
    print(f"report rows:       {len(participants)} in {len(pages)} pages of {PAGE}")
    print(
        f"fetch (excluded):  {fetched:.2f} s, {http_calls} HTTP calls (mocked), "
        f"{len(fetch_queries)} queries"
    )
    print(f"load average:      {os.getloadavg()[0]:.1f} (2 cores)")
    for label, (elapsed, cpu, queries, result) in zip(("first run", "rerun"), runs, strict=True):
        print(
            f"{label + ':':<18} {elapsed:.2f} s ({cpu:.2f} s CPU), {queries} queries; "
            f"people {result.people}, "
            f"matched {result.matched} (by name {result.matched_by_name}), newly checked in "
            f"{result.checked_in}, rows updated {result.updated}, unmatched {result.unmatched}"
        )
    first, rerun = runs
    label = f"Check-in: {args.registrants:,} registrants, {len(participants):,} report rows"
    write_figures(
        args.json,
        [
            Figure(
                f"{label}: matching and saving",
                f"{first[0]:.2f} s wall ({first[1]:.2f} s CPU)",
                goal="< 5 s",
                passed=first[0] < 5,
            ),
            Figure(
                f"{label}: queries",
                f"{first[2]} first run, {rerun[2]} rerun ({len(pages)} pages)",
                goal="O(pages + batches), never per participant",
                # Per participant would be at least one query per person.
                passed=first[2] <= 10 + len(pages) + first[3].people // 80,
            ),
            Figure(
                f"{label}: rerun",
                f"{rerun[0]:.2f} s, {rerun[3].updated} rows updated",
                goal="changes nothing",
                passed=not (rerun[3].updated or rerun[3].checked_in),
            ),
        ],
    )
    if rerun[3].updated or rerun[3].checked_in:
        sys.exit("the rerun changed something")


if __name__ == "__main__":
    main()
