"""Benchmark: check in 10,000 registrants from 10,000 participant rows (34 pages of 300).

    python benchmarks/checkin.py                  # scratch SQLite in a temp dir
    DATABASE_URL=postgres://.../scratch python benchmarks/checkin.py

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
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API = "https://api.zoom.bench/v2"
MEETING_ID = "81234567890"
PAGE = 300


def setup_django() -> None:
    os.environ.setdefault("WEBINARS_VAR_DIR", tempfile.mkdtemp(prefix="webinars-bench-"))
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")
    import django

    django.setup()


def make_event(count: int):
    from django.utils import timezone
    from wagtail.models import Site

    from wagtail_webinars.models import EventPage, Registration

    root = Site.objects.get(is_default_site=True).root_page
    start = (timezone.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    stamp = int(time.time())
    event = EventPage(
        title="Benchmark check-in",
        slug=f"benchmark-checkin-{stamp}",
        start=start,
        end=start + timedelta(hours=1),
        location=[("zoom_meeting", {"meeting_id": MEETING_ID, "join_url": "", "password": ""})],
    )
    root.add_child(instance=event)
    # Saved as a revision only: publishing would ask Zoom for the meeting.
    event.save_revision()
    rows = []
    for n in range(count):
        email = f"person{n}.{stamp}@example.org"
        rows.append(
            Registration(
                page=event,
                email=email,
                first_name="Pat",
                last_name=f"Person{n}",
                form_data={"first_name": "Pat", "last_name": f"Person{n}", "email": email},
                provider_registrant_id=f"rid{n}",
            )
        )
    Registration.objects.bulk_create(rows, batch_size=1000)
    return event, stamp


def report_rows(event, stamp: int, count: int) -> list[dict]:
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

    rows = []
    for n in range(6000):
        rows.append(row(f"Pat Person{n}", rid=f"rid{n}", end=30))
    for n in range(1000):  # rejoins
        rows.append(row(f"Pat Person{n}", rid=f"rid{n}", start=20, end=55))
    for n in range(6000, 7500):
        rows.append(row(f"P. {n}", email=f"PERSON{n}.{stamp}@example.org"))
    for n in range(7500, 8000):
        rows.append(row(f"pat  person{n}"))
    for n in range(500):
        rows.append(row(f"Visitor {n}", email=f"visitor{n}@example.net"))
    for n in range(500):
        rows.append(row(f"Guest {n}"))
    return rows[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrants", type=int, default=10_000)
    args = parser.parse_args()

    setup_django()
    import responses
    from django.conf import settings
    from django.core.management import call_command
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
    call_command("migrate", verbosity=0)
    event, stamp = make_event(args.registrants)
    rows = report_rows(event, stamp, 10_000)
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
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            result = checkin.match_participants(event, participants)
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
    if first[0] > 5 or rerun[3].updated or rerun[3].checked_in:
        sys.exit("goal missed: over 5 s, or the rerun changed something")


if __name__ == "__main__":
    main()
