"""Benchmark: registrations under load against the example site's plain contact form.

    DATABASE_URL=postgres://.../scratch python -m benchmarks.load            # 2,000 each
    DATABASE_URL=postgres://.../scratch python -m benchmarks.load --posts 300 --rounds 3

DATABASE_URL must name a scratch database: the script migrates it, loads the demo
content (which has a contact form page, a plain Wagtail form page) and adds a
link-only event and a managed Zoom event beside it (at the same depth: Wagtail's
routing costs two queries a level, which is the site's shape, not the price of a
registration). Then it starts the example site under
gunicorn (2 sync workers, ``benchmarks.site_settings``) on a free loopback port
and a load generator of its own (threads, one ``requests`` session each) posts, in
interleaved blocks, ``--posts`` submissions to the contact form and ``--posts``
registrations to each event: round after round, each target gets a block of
``posts / rounds`` POSTs from ``--clients`` concurrent clients, so a change of the
machine's speed hits all of them alike. Each client first GETs the page for its
CSRF cookie and token, as a browser does; only the POSTs are timed.

The contact form sends no email here (its "to address" is left empty), as a
registration sends none in the request (its mail and its Zoom push are the
worker's). No worker runs: tasks stay queued. Prints requests/s and p50/p95 per
target, the cost of a registration relative to a form submission (the goal is at
most 1.2x) and the SQL statements of each request (the server's own count, see
:mod:`benchmarks.querycount`; goal at most 14 with the queued task).
"""

from __future__ import annotations

import argparse
import io
import itertools
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks.common import (
    Figure,
    add_json_argument,
    make_event,
    migrate,
    setup_django,
    write_figures,
)
from benchmarks.servers import free_port, gunicorn, site_env

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COST_GOAL = 1.2
QUERY_GOAL = 14


@dataclass
class Target:
    name: str
    url: str
    fields: object  # n -> dict of form fields
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    block_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warm_up: int = 0

    @property
    def posted(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.posted / sum(self.block_seconds)

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


class Client:
    """One visitor's browser: a session, and a CSRF token per page."""

    def __init__(self):
        self.session = requests.Session()
        self.tokens: dict[str, str] = {}

    def token(self, url: str) -> str:
        if url not in self.tokens:
            page = self.session.get(url, timeout=60)
            found = TOKEN.search(page.content)
            if page.status_code != 200 or not found:
                raise RuntimeError(f"GET {url}: {page.status_code}, no CSRF token")
            self.tokens[url] = found.group(1).decode()
        return self.tokens[url]

    def post(self, target: Target, n: int) -> None:
        data = {"csrfmiddlewaretoken": self.token(target.url), **target.fields(n)}
        started = time.perf_counter()
        response = self.session.post(target.url, data=data, timeout=60)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or b'class="errorlist' in response.content:
            errors = re.findall(rb'class="errorlist[^>]*>(.{0,120})', response.content)
            target.failures.append(f"{response.status_code} {errors[:1]}")
            return
        target.latencies.append(elapsed)
        target.queries.append(int(response.headers.get("X-Bench-Queries", -1)))


def run_block(clients: list[Client], target: Target, count: int, numbers) -> None:
    """``count`` POSTs to ``target`` from all clients at once; the block's wall time."""
    lock = threading.Lock()
    left = [count]

    def work(client: Client) -> None:
        client.token(target.url)  # outside the timed block, once per client and page
        barrier.wait()
        while True:
            with lock:
                if not left[0]:
                    return
                left[0] -= 1
                n = next(numbers)
            client.post(target, n)

    barrier = threading.Barrier(len(clients) + 1)
    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    target.block_seconds.append(time.perf_counter() - started)


def prepare_site():
    """Demo content (with its contact page), a link-only and a managed Zoom event."""
    from django.core.management import call_command

    from example_site.home.models import ContactPage, HomePage

    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    contact = ContactPage.objects.get()
    # Its mail would be sent inside the request (a registration's is the worker's).
    contact.to_address = ""
    contact.save_revision().publish()
    # Beside the contact page, at the same depth: Wagtail's routing costs two queries
    # a level, which is the site's shape and not the price of a registration.
    home = HomePage.objects.get()
    link = make_event("zoom_meeting_link", parent=home, title="Benchmark: link-only event")
    zoom = make_event("zoom_meeting", parent=home, title="Benchmark: managed Zoom event")
    return contact, link, zoom


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="POSTs per target")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved blocks per target")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    add_json_argument(parser)
    args = parser.parse_args()

    setup_django("benchmarks.site_settings")
    from django.db import connection
    from django_q.models import OrmQ

    from wagtail_webinars.models import Registration

    migrate()
    contact, link, zoom = prepare_site()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stamp = time.time_ns()
    targets = [
        Target(
            "plain form",
            base + contact.url,
            lambda n: {
                "your_name": "Pat",
                "your_email": f"c{n}.{stamp}@example.org",
                "message": "Which room is the lecture in?",
            },
        ),
        Target(
            "link-only event",
            base + link.url,
            lambda n: {
                "first_name": "Pat",
                "last_name": f"L{n}",
                "website": "",
                "email": f"l{n}.{stamp}@example.org",
            },
        ),
        Target(
            "managed Zoom event",
            base + zoom.url,
            lambda n: {
                "first_name": "Pat",
                "last_name": f"Z{n}",
                "website": "",
                "email": f"z{n}.{stamp}@example.org",
            },
        ),
    ]
    queued_before = OrmQ.objects.count()  # the demo's own (Zoom details of its events)
    connection.close()  # the server's workers need the database, not this process
    logs = Path(tempfile.mkdtemp(prefix="webinars-bench-load-"))
    per_block = [args.posts // args.rounds] * args.rounds
    per_block[-1] += args.posts - sum(per_block)
    numbers = itertools.count()
    with gunicorn(
        port, site_env(port), logs / "gunicorn.log", logs / "access.log", workers=args.workers
    ):
        clients = [Client() for _ in range(args.clients)]
        for target in targets:  # warm up every worker on every page
            for client in clients:
                client.token(target.url)
            run_block(clients, target, 2 * args.clients, numbers)
            target.warm_up = target.posted
            target.latencies.clear()
            target.queries.clear()
            target.block_seconds.clear()
        for count in per_block:
            for target in targets:
                run_block(clients, target, count, numbers)

    for t in targets:
        if t.failures:
            print(f"{t.name}: {len(t.failures)} failed, first: {t.failures[0]}")
    form = targets[0]
    print(
        f"database: {connection.vendor}; {args.clients} clients, {args.workers} gunicorn "
        f"workers, {args.rounds} rounds; logs in {logs}"
    )
    print("| target | POSTs | req/s | p50 ms | p95 ms | SQL per POST | failures |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t in targets:
        print(
            f"| {t.name} | {t.posted} | {t.rate:.1f} | {t.percentile(50):.0f} | "
            f"{t.percentile(95):.0f} | {statistics.median(t.queries):.0f} | "
            f"{len(t.failures)} |"
        )
    figures = []
    for t in targets:
        figures.append(
            Figure(
                f"Under load, {t.name}: throughput and latency",
                f"{t.rate:.1f} req/s, p50 {t.percentile(50):.0f} ms, "
                f"p95 {t.percentile(95):.0f} ms ({t.posted:,} POSTs, {len(t.failures)} failed)",
                goal="no failures",
                passed=not t.failures,
            )
        )
    for t in targets[1:]:
        cost = form.rate / t.rate
        # Each round's blocks ran one after the other: their ratio is side by side.
        rounds = [ts / fs for ts, fs in zip(t.block_seconds, form.block_seconds, strict=True)]
        figures.append(
            Figure(
                f"Under load, {t.name}: cost of a registration vs a form submission",
                f"{cost:.2f}x (rounds {min(rounds):.2f}-{max(rounds):.2f}x; "
                f"p50 {t.percentile(50) / form.percentile(50):.2f}x)",
                goal=f"<= {COST_GOAL}x",
                passed=cost <= COST_GOAL,
                values={"cost": cost},
            )
        )
        sql = statistics.median(t.queries)
        figures.append(
            Figure(
                f"Under load, {t.name}: SQL per registration request",
                f"{sql:.0f} (max {max(t.queries)}), the queued task's insert included; "
                f"plain form {statistics.median(form.queries):.0f}",
                goal=f"<= {QUERY_GOAL}",
                passed=max(t.queries) <= QUERY_GOAL,
            )
        )
    made = Registration.objects.filter(page_id__in=[link.pk, zoom.pk]).count()
    queued = OrmQ.objects.count() - queued_before
    expected = sum(t.posted + t.warm_up for t in targets[1:])
    figures.append(
        Figure(
            "Under load: registrations saved, tasks queued",
            f"{made:,} saved, {queued:,} tasks queued for {expected:,} registrations "
            "(warm-up included)",
            goal="one row and one task each",
            passed=made == expected == queued,
        )
    )
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
