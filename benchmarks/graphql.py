"""Benchmark: the GraphQL registrants query (100 of 10,000) beside plain Django.

    python -m benchmarks.graphql                       # scratch SQLite in a temp dir
    DATABASE_URL=postgres://.../scratch python -m benchmarks.graphql

DATABASE_URL, when set, must name a scratch database: the script migrates it and
adds an event with its registrants. Runs, in the same process and on the same
rows, (1) the ``registrants`` query for the first 100 of 10,000 through the real
view (HTTP request object, authentication, validation rules, permission policy,
JSON out) and (2) the same 100 rows read with ``.values()`` and serialised with
``json.dumps``: the baseline. Prints the median of each, the ratio (goal: under
3x) and the queries of one GraphQL request. Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is named like the graphql package: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import (  # noqa: E402 (after the path fix above)
    Figure,
    add_json_argument,
    add_registrants,
    make_event,
    migrate,
    setup_django,
    write_figures,
)

FIELDS = (
    "id firstName lastName email status registeredAt cancelledAt syncStatus syncProblem "
    "reminderSentAt openedAt clickedAt checkedIn checkedInAt checkInSource"
)
QUERY = (
    "query($e: ID!) { registrants(eventId: $e, first: 100) { totalCount "
    f"edges {{ node {{ {FIELDS} }} }} }} }}"
)
# The baseline reads the columns of exactly the fields QUERY asks for: not
# Registrant.COLUMNS, whose answers (form_data) and event id QUERY does not ask for.
VALUES = (
    "id",
    "first_name",
    "last_name",
    "email",
    "status",
    "registered_at",
    "cancelled_at",
    "sync_status",
    "sync_error",
    "reminder_sent_at",
    "join_opened_at",
    "join_clicked_at",
    "checked_in_at",
    "checkin_source",
)


def timed(func, repeat: int) -> float:
    func()  # warm up (caches, compiled queries)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    add_json_argument(parser)
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from wagtail_webinars.graphql.views import graphql_view
    from wagtail_webinars.models import Registration

    migrate()
    event = make_event("zoom_meeting_link")
    add_registrants(event, args.registrants)
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench", "bench@example.edu", "x")
    body = json.dumps({"query": QUERY, "variables": {"e": str(event.pk)}})
    factory = RequestFactory()

    def graphql():
        request = factory.post("/graphql/", body, content_type="application/json")
        request.user = user
        response = graphql_view(request)
        assert response.status_code == 200, response.content
        return response.content

    def values():
        rows = list(
            Registration.objects.filter(page_id=event.pk)
            .order_by("registered_at", "pk")
            .values(*VALUES)[:100]
        )
        total = Registration.objects.filter(page_id=event.pk).count()
        return json.dumps({"totalCount": total, "rows": rows}, cls=DjangoJSONEncoder)

    result = json.loads(graphql())
    assert len(result["data"]["registrants"]["edges"]) == 100, result
    with CaptureQueriesContext(connection) as queries:
        graphql()
    api = timed(graphql, args.repeat)
    baseline = timed(values, args.repeat)
    print(f"database:            {connection.vendor} ({settings.DATABASES['default']['NAME']})")
    print(f"registrants:         {args.registrants} (page of 100), {args.repeat} runs each")
    print(f"GraphQL query:       {api * 1000:.1f} ms median, {len(queries)} queries")
    print(f".values() + JSON:    {baseline * 1000:.1f} ms median (2 queries)")
    ratio = api / baseline
    write_figures(
        args.json,
        [
            Figure(
                f"GraphQL registrants, 100 of {args.registrants:,}: time vs .values() + JSON",
                f"{ratio:.2f}x ({api * 1000:.1f} ms vs {baseline * 1000:.1f} ms, "
                f"medians of {args.repeat})",
                goal="< 3x",
                passed=ratio < 3,
            ),
            Figure(
                f"GraphQL registrants, 100 of {args.registrants:,}: queries",
                f"{len(queries)}",
                goal="constant (2: count and page)",
                passed=len(queries) <= 2,
            ),
        ],
    )


if __name__ == "__main__":
    main()
