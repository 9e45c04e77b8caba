"""The benchmark harness (benchmarks/run) runs, at tiny sizes, so it cannot rot.

Timings are not asserted (benchmarks are scripts, not timed tests): only that every
in-process benchmark runs to the end and hands its figures to the one table, and
that the pieces the server benchmarks read results with do what they say. The
server benchmarks themselves (gunicorn, qcluster) run only in benchmarks/run.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from benchmarks import harness
from benchmarks.common import ROOT
from benchmarks.relay import start_relay
from benchmarks.servers import access_log_calls, free_port
from benchmarks.worker import standin_calls


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the smoke run copies the SQLite run's migrated test database (migrating a "
    "scratch one would take longer than the run); it runs in the SQLite step",
)
def test_the_harness_runs_benchmarks_at_tiny_sizes_into_one_table(tmp_path):
    # Two in-process benchmarks of different shapes (a web request, a bulk job), to
    # stay quick: each is a process of its own with Django's start-up.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.harness",
            "--db",
            "sqlite",
            "--tiny",
            "--no-write",
            "--only",
            "registration_post,checkin,load",
            "--template",
            connection.settings_dict["NAME"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "| figure | goal | measured | pass/fail |" in out
    assert "failed" not in out.split("| --- |")[-1]
    for figure in (
        "Registration POST in-process (link-only event): SQL statements",
        "Check-in: 40 registrants, 40 report rows: matching and saving",
        "| load | - | skipped: needs PostgreSQL",
    ):
        assert figure in out
    assert "Command: `benchmarks/run --db sqlite --tiny --no-write --only" in out


def test_results_keep_one_section_per_database(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nIntro.\n\n## Older figures\n\nkept\n")
    monkeypatch.setattr(harness, "RESULTS", results)
    harness.write_results("postgres", "first run")
    harness.write_results("sqlite", "sqlite run")
    harness.write_results("postgres", "second run")
    text = results.read_text()
    assert "first run" not in text
    assert text.count("second run") == 1
    assert "sqlite run" in text
    assert text.index("second run") < text.index("## Older figures")
    assert text.endswith("kept\n")


def test_table_marks_each_goal(tmp_path):
    figures = [
        {"figure": "a", "goal": "< 5 s", "measured": "3 s", "passed": True},
        {"figure": "b", "goal": "1", "measured": "2", "passed": False},
        {"figure": "c", "goal": "", "measured": "7 s", "passed": None},
    ]
    rows = harness.table(figures, judged=True).splitlines()
    assert rows[2] == "| a | < 5 s | 3 s | pass |"
    assert rows[3] == "| b | 1 | 2 | **FAIL** |"
    assert rows[4] == "| c | - | 7 s |  |"


def test_standin_calls_are_read_from_the_access_log(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        "POST /zoom-standin/oauth/token 200 5\n"
        "POST /zoom-standin/v2/meetings/81234567890/registrants 201 9\n"
        "POST /zoom-standin/v2/meetings/81234567890/registrants 429 3\n"
        "POST /zoom-standin/v2/meetings/81234567890/batch_registrants 201 30\n"
        "POST /events/some-event/ 200 40\n"
    )
    assert len(access_log_calls(log)) == 5
    assert standin_calls(log) == {"token": 1, "api": 3, "adds": 2, "batches": 1, "errors": 1}


def test_the_relay_takes_its_time_and_counts_each_recipient():
    import smtplib
    import time

    relay, controller = start_relay(free_port(), delay=0.05)
    try:
        with smtplib.SMTP(controller.hostname, controller.port) as smtp:
            started = time.monotonic()
            smtp.sendmail("a@example.edu", ["x@example.org"], "Subject: 1\r\n\r\nhi")
            smtp.sendmail("a@example.edu", ["x@example.org", "y@example.org"], "Subject: 2\r\n\r\n")
            assert time.monotonic() - started >= 0.1
    finally:
        controller.stop()
    assert relay.messages == 2
    assert relay.recipients == {"x@example.org": 2, "y@example.org": 1}
