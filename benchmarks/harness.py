"""``benchmarks/run``: every benchmark, one table, written into benchmarks/RESULTS.md.

    benchmarks/run                      # PostgreSQL (the default), full sizes
    benchmarks/run --db sqlite          # SQLite: the in-process benchmarks only
    benchmarks/run --quick              # smaller sizes, a few minutes
    benchmarks/run --only load,worker   # some of them (names below)
    benchmarks/run --tiny --no-write    # the smoke test's sizes (nothing judged)

Each benchmark runs as a process of its own on a scratch database of its own,
cloned from one migrated template (PostgreSQL: ``CREATE DATABASE ... TEMPLATE``;
SQLite: a copy of the file), with a data folder of its own. The table lists, for
every figure, the goal, what was measured and whether it passed, under a line
naming the machine (cores, CPU model, load average), the date, the database and the
exact command. Where the goal is a ratio, both sides were measured in the same
run, interleaved (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import ROOT

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")

#: name -> (module, needs PostgreSQL, args per size: full, quick, tiny)
BENCHMARKS = {
    "load": (
        "benchmarks.load",
        True,
        (
            ["--posts", "2000", "--rounds", "20"],
            ["--posts", "300", "--rounds", "3"],
            ["--posts", "6", "--rounds", "1", "--clients", "2"],
        ),
    ),
    "registration_post": (
        "benchmarks.registration_post",
        False,
        (
            ["--posts", "100", "--rounds", "3"],
            ["--posts", "40", "--rounds", "2"],
            ["--posts", "2", "--rounds", "1"],
        ),
    ),
    "worker": (
        "benchmarks.worker",
        True,
        (
            ["--registrations", "1000"],
            ["--registrations", "300"],
            ["--registrations", "5", "--brokers", "orm", "--workers", "1"],
        ),
    ),
    "reminder_workers": (
        "benchmarks.reminder_workers",
        True,
        (
            ["--registrants", "10000", "--rate-registrants", "2000"],
            ["--registrants", "2000", "--rate-registrants", "600"],
            ["--workers", "1", "--registrants", "5", "--rate-registrants", "5"],
        ),
    ),
    "reminders": (
        "benchmarks.reminders",
        False,
        (["--registrants", "10000"], ["--registrants", "3000"], ["--registrants", "20"]),
    ),
    "checkin": (
        "benchmarks.checkin",
        False,
        (["--registrants", "10000"], ["--registrants", "10000"], ["--registrants", "40"]),
    ),
    "graphql": (
        "benchmarks.graphql",
        False,
        (
            ["--registrants", "10000"],
            ["--registrants", "10000", "--repeat", "10"],
            ["--registrants", "120", "--repeat", "1"],
        ),
    ),
}


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {model or platform.processor() or 'unknown CPU'}, "
        f"Python {platform.python_version()}, load average {load}"
    )


class Scratch:
    """Scratch databases cloned from one migrated template."""

    def __init__(self, db: str, workdir: Path):
        self.db = db
        self.workdir = workdir
        self.stamp = f"{os.getpid()}"
        self.made: list[str] = []

    def _psql(self, sql: str) -> None:
        subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True,
            capture_output=True,
        )

    def url(self, name: str) -> str:
        if self.db == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        return f"{PG_SERVER}/wagtail_webinars_bench_{name}_{self.stamp}"

    def template(self, copy_of: str | None = None) -> None:
        url = self.url("template")
        if copy_of and self.db == "sqlite":
            # Already migrated (the smoke test hands over its test database).
            shutil.copy(copy_of, self.workdir / "template.sqlite3")
            return
        if self.db == "postgres":
            name = url.rsplit("/", 1)[1]
            self._psql(f"DROP DATABASE IF EXISTS {name}")
            self._psql(f"CREATE DATABASE {name}")
            self.made.append(name)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_DEBUG": "0",
            "WEBINARS_VAR_DIR": str(self.workdir / "var-template"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )

    def clone(self, name: str) -> str:
        url = self.url(name)
        if self.db == "sqlite":
            shutil.copy(self.workdir / "template.sqlite3", self.workdir / f"{name}.sqlite3")
        else:
            target = url.rsplit("/", 1)[1]
            self._psql(f"DROP DATABASE IF EXISTS {target}")
            self._psql(
                f"CREATE DATABASE {target} TEMPLATE {self.url('template').rsplit('/', 1)[1]}"
            )
            self.made.append(target)
        return url

    def drop_all(self) -> None:
        for name in reversed(self.made):
            try:
                self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except subprocess.CalledProcessError:
                print(f"could not drop scratch database {name}", file=sys.stderr)


def run_benchmark(name: str, scratch: Scratch, size: int, log) -> tuple[str, list[dict]]:
    """Run one benchmark; its database's name and version, and its figures."""
    module, _pg, sizes = BENCHMARKS[name]
    url = scratch.clone(name)
    out = scratch.workdir / f"{name}.json"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "WEBINARS_VAR_DIR": str(scratch.workdir / f"var-{name}"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    args = [sys.executable, "-m", module, *sizes[size], "--json", str(out)]
    print(f"==> {name}: {shlex.join(args[2:])}", flush=True)
    started = time.monotonic()
    done = subprocess.run(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
    )
    elapsed = time.monotonic() - started
    print(f"    {elapsed:.0f} s, exit {done.returncode}", flush=True)
    report = json.loads(out.read_text()) if out.exists() else {"database": "", "figures": []}
    if done.returncode or not out.exists():
        failed = {
            "figure": f"{name}: the benchmark failed",
            "goal": "runs",
            "measured": f"exit {done.returncode} (see {scratch.workdir / 'benchmarks.log'})",
            "passed": False,
        }
        report["figures"].insert(0, failed)
    return report["database"], report["figures"]


def table(figures: list[dict], judged: bool) -> str:
    lines = ["| figure | goal | measured | pass/fail |", "| --- | --- | --- | --- |"]
    for fig in figures:
        if fig["passed"] is None:
            verdict = ""
        elif not judged:
            verdict = "(not judged: tiny sizes)"
        else:
            verdict = "pass" if fig["passed"] else "**FAIL**"
        cells = [fig["figure"], fig["goal"] or "-", fig["measured"], verdict]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def write_results(db: str, section: str) -> None:
    """Replace this database's section between its markers in RESULTS.md."""
    begin, end = f"<!-- benchmarks/run {db}: begin -->", f"<!-- benchmarks/run {db}: end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        heading = text.find("\n## ")
        head, rest = (text, "") if heading < 0 else (text[: heading + 1], text[heading + 1 :])
        text = f"{head}\n{block}\n\n{rest}"
    RESULTS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes (minutes)")
    size.add_argument("--tiny", action="store_true", help="the smoke test's sizes")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--template", help="SQLite only: a migrated database file to copy instead of migrating"
    )
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    size_index = 2 if args.tiny else 1 if args.quick else 0
    command = "benchmarks/run " + shlex.join(argv if argv is not None else sys.argv[1:])
    started = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="webinars-bench-run-"))
    scratch = Scratch(args.db, workdir)
    figures: list[dict] = []
    skipped = [n for n in names if BENCHMARKS[n][1] and args.db == "sqlite"]
    names = [n for n in names if n not in skipped]
    database = ""
    with (workdir / "benchmarks.log").open("wb") as log:
        try:
            print(f"==> migrating the template database ({args.db}); logs in {workdir}")
            scratch.template(args.template)
            for name in names:
                label, found = run_benchmark(name, scratch, size_index, log)
                database = database or label
                figures += found
        finally:
            if not args.keep:
                scratch.drop_all()
    for name in skipped:
        figures.append(
            {
                "figure": f"{name}",
                "goal": "",
                "passed": None,
                "note": "",
                "measured": "skipped: needs PostgreSQL (a server under load)",
            }
        )
    minutes = (datetime.now(UTC) - started).total_seconds() / 60
    judged = not args.tiny
    database = database or args.db
    header = (
        f"Run {started:%Y-%m-%d %H:%M} UTC ({minutes:.0f} min) on {database}; "
        f"machine: {machine()} at the end.\n\nCommand: `{command}`"
    )
    section = f"### Latest `benchmarks/run` on {database.split()[0]}\n\n{header}\n\n" + table(
        figures, judged
    )
    print()
    print(section)
    failed = [f for f in figures if f["passed"] is False]
    if judged:
        print(f"\n{len(failed)} of {sum(f['passed'] is not None for f in figures)} goals missed")
    if not args.no_write:
        write_results(args.db, section)
        print(f"written into {RESULTS.relative_to(ROOT)}")
    broken = [f for f in figures if f["figure"].endswith("the benchmark failed")]
    if not broken and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
