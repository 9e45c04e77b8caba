"""What every benchmark shares: Django set-up on a scratch database, the events and
registrants they measure, peak memory, and the figures they hand to ``benchmarks/run``.

Each benchmark script is a process of its own (``python -m benchmarks.<name>``). With
``--json PATH`` it also writes its figures there: a list of ``Figure`` dicts (what was
measured, the goal, the figure, whether it passed), which ``benchmarks/run`` prints
as one table.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: A meeting and a webinar the example site's Zoom stand-in knows (its seed data).
STANDIN_MEETING_ID = "81234567890"

LOCATIONS = {
    "vimeo": ("vimeo", {"join_url": "https://vimeo.com/event/1234567"}),
    "zoom_meeting_link": (
        "zoom_meeting_link",
        {
            "meeting_id": "85512345678",
            "join_url": "https://example.zoom.us/j/85512345678?pwd=bench",
            "password": "bench1",
        },
    ),
    "zoom_meeting": ("zoom_meeting", {"meeting_id": STANDIN_MEETING_ID}),
}


@dataclass
class Figure:
    """One row of the table: ``passed`` is None for a figure without a goal."""

    figure: str
    measured: str
    goal: str = ""
    passed: bool | None = None
    note: str = ""
    values: dict = field(default_factory=dict)


def setup_django(settings_module: str = "example_site.settings") -> None:
    """Configure Django for a benchmark process (a scratch data folder, DEBUG off)."""
    os.environ.setdefault("WEBINARS_VAR_DIR", tempfile.mkdtemp(prefix="webinars-bench-"))
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def migrate() -> None:
    """Migrate the scratch database (``benchmarks/run`` hands over a migrated copy,
    so this is then only a check)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def site_root():
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True).root_page


def make_event(
    kind: str = "zoom_meeting_link",
    *,
    start=None,
    title: str = "Benchmark webinar",
    parent=None,
    **fields,
):
    """An event page of ``kind`` (a key of ``LOCATIONS``), live, under ``parent``.

    A managed Zoom event is made live without publishing a revision: publishing
    asks Zoom for the meeting, and a benchmark measures what it measures only.
    """
    from django.utils import timezone

    from wagtail_webinars.models import EventPage

    start = start or (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    event = EventPage(
        title=title,
        slug=f"bench-{kind.replace('_', '-')}-{time.time_ns()}",
        start=start,
        end=start + timedelta(hours=1),
        description="<p>A <b>benchmark</b> event. <a href='/'>Home</a></p>",
        reply_to="events@example.edu",
        location=[LOCATIONS[kind]],
        **fields,
    )
    (parent or site_root()).add_child(instance=event)
    if kind == "zoom_meeting":
        event.save_revision()
    else:
        event.save_revision().publish()
    return event


def add_registrants(event, count: int, per_row=None) -> str:
    """``count`` active registrations of ``event`` in bulk; returns the stamp in
    their emails (``person<n>.<stamp>@example.org``). ``per_row(n)`` gives more
    fields of row ``n``."""
    from wagtail_webinars.models import Registration

    stamp = str(time.time_ns())
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
                **(per_row(n) if per_row else {}),
            )
        )
    Registration.objects.bulk_create(rows, batch_size=1000)
    return stamp


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def add_json_argument(parser) -> None:
    parser.add_argument("--json", help="also write the figures to this file (benchmarks/run)")


def write_figures(path: str | None, figures: list[Figure]) -> None:
    """Print the figures and, with ``--json``, write them for ``benchmarks/run``."""
    for fig in figures:
        verdict = {True: "pass", False: "FAIL", None: ""}[fig.passed]
        goal = f" (goal {fig.goal})" if fig.goal else ""
        print(f"  {fig.figure}: {fig.measured}{goal} {verdict}".rstrip())
    if path:
        report = {"database": database_label(), "figures": [asdict(fig) for fig in figures]}
        Path(path).write_text(json.dumps(report, indent=1))


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")
