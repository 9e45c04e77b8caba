"""A real ``manage.py qcluster`` (django-q2, ORM broker) killed with SIGKILL mid-flight.

The worker is a separate process group on the test's own database (SQLite file with
IMMEDIATE transactions, or the PostgreSQL test database), with a file cache shared
with this process, talking over HTTP to a slow Zoom (tests/zoom_http.py) and to a
mail relay that records each message and takes 20 ms (tests/worker_mail.py). The
whole group (cluster, pusher, monitor, workers) is killed outright while pushes, and
then a reminder sweep, are in flight; a new cluster is started; the sweepers (queued
here as the schedule would) recover the rest.

What must hold: every registrant is in Zoom, approved, once (one add each); every
registrant gets a confirmation, and no more of them twice than the documented bound
(one per worker process caught between sending it and recording it); every
registrant gets the reminder, and no more of them twice than the documented bound
(docs/reliability.md): what the killed sweep sent since its last record, at most
``mail_batches.RECORD_EVERY`` messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from tests.factories import RegistrationFactory
from tests.zoom_http import ZoomOverHTTP
from wagtail_webinars import jobs, mail_batches
from wagtail_webinars import registration as service
from wagtail_webinars.models import Registration

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent
PUSHES = 40
REMINDERS = 120
WORKERS = 2  # tests/worker_settings.py Q_CLUSTER["workers"]


@pytest.fixture
def worker_dir(tmp_path, settings):
    """The cache and mail log shared with the worker; this process uses the same cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    return tmp_path


@pytest.fixture
def queue_for_real(monkeypatch):
    """Tasks queued here go to the ORM broker for the worker, not inline."""
    monkeypatch.setattr(Conf, "SYNC", False)


class Cluster:
    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.process = env, log, None

    def start(self) -> None:
        self.output = open(self.log, "a")  # noqa: SIM115  (closed when it is killed)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed all at once
        )

    def kill(self) -> None:
        """SIGKILL to the whole group: no cleanup, as a lost machine."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.output.close()

    def stop(self) -> None:
        # Once its work is checked nothing is in flight: no need for django-q2's slow
        # graceful stop.
        if self.process and self.process.poll() is None:
            self.kill()


@pytest.fixture
def cluster(worker_dir, queue_for_real):
    clusters = []

    def make(zoom: ZoomOverHTTP) -> Cluster:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "WEBINARS_WORKER_DB": connection.settings_dict["NAME"],
            "WEBINARS_WORKER_DIR": str(worker_dir),
            "WEBINARS_WORKER_ZOOM": zoom.api_url.removesuffix("/v2"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        made = Cluster(env, worker_dir / "qcluster.log")
        clusters.append(made)
        return made

    yield make
    for made in clusters:
        made.stop()


def mail_sent(worker_dir: Path) -> Counter:
    log = worker_dir / "mail.log"
    if not log.exists():
        return Counter()
    return Counter(tuple(line.split(" ", 1)) for line in log.read_text().splitlines())


def wait_for(condition, timeout: float, what: str, every: float = 0.1, then=None):
    deadline = time.monotonic() + timeout
    last_nudge = 0.0
    while time.monotonic() < deadline:
        if condition():
            return
        if then is not None and time.monotonic() - last_nudge > 1.5:
            then()  # the every-minute schedule, sped up
            last_nudge = time.monotonic()
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def test_pushes_and_reminders_survive_sigkill(make_event, cluster, worker_dir):
    with ZoomOverHTTP(delay=0.15) as zoom:
        worker = cluster(zoom)
        event = make_event(kind="zoom_meeting", start=timezone.now() + timedelta(days=3))
        emails = [f"person{i}@example.org" for i in range(PUSHES)]
        for email in emails:
            service.register(event, email=email, first_name="Pat", last_name="Person")
        # One task per registration, for the worker (and the event's refresh from Zoom).
        assert OrmQ.objects.count() >= PUSHES

        # -- kill it while pushes are in flight -------------------------------------------
        worker.start()
        wait_for(lambda: len(zoom.kept.adds) >= 6, 60, "the first pushes")
        worker.kill()
        added_at_kill = len(zoom.kept.adds)
        assert added_at_kill < PUSHES, "every push was done before the kill: nothing tested"

        restarted = cluster(zoom)
        restarted.start()

        def all_synced():
            rows = Registration.objects.filter(page=event)
            return rows.filter(sync_status=Registration.SyncStatus.SYNCED).count() == PUSHES

        wait_for(all_synced, 90, "every push", then=lambda: jobs.enqueue(jobs.SYNC_SWEEP))
        for row in Registration.objects.filter(page=event):
            assert zoom.kept.status_of(row.email) == "approved"
            assert row.provider_join_url == zoom.kept.join_url(zoom.kept.people[row.email]["id"])
        # Nobody added to Zoom twice: a push whose answer was lost is looked up first.
        assert Counter(zoom.kept.adds.values()) == Counter({1: PUSHES}), zoom.kept.adds
        wait_for(
            lambda: len([k for k in mail_sent(worker_dir) if k[0] == "confirmation"]) == PUSHES,
            30,
            "every confirmation",
        )
        confirmations = {k: n for k, n in mail_sent(worker_dir).items() if k[0] == "confirmation"}
        # A redelivered task does not send it again, except the documented bound
        # (docs/reliability.md): a worker killed between handing the message to the
        # relay and recording it (one write later) sends that one again, so at most
        # one confirmation per worker process goes out twice, none three times.
        confirmed_twice = [k for k, n in confirmations.items() if n == 2]
        assert max(confirmations.values()) <= 2, confirmations
        assert len(confirmed_twice) <= WORKERS, confirmations
        restarted.stop()

        # -- kill a reminder sweep mid-batch -------------------------------------------------
        soon = make_event(kind="vimeo", start=timezone.now() + timedelta(minutes=60))
        due = RegistrationFactory.create_batch(REMINDERS, page=soon)
        worker = cluster(zoom)
        worker.start()
        jobs.enqueue(jobs.SEND_DUE_REMINDERS)
        reminders = lambda: [k for k in mail_sent(worker_dir).elements() if k[0] == "reminder"]  # noqa: E731
        wait_for(lambda: len(reminders()) >= 30, 60, "the first reminders")
        worker.kill()
        sent_at_kill = len(reminders())
        recorded_at_kill = Registration.objects.filter(
            page=soon, reminder_sent_for__isnull=False
        ).count()
        assert sent_at_kill < REMINDERS

        restarted = cluster(zoom)
        restarted.start()
        wait_for(
            lambda: (
                Registration.objects.filter(page=soon, reminder_sent_for=soon.start).count()
                == REMINDERS
            ),
            90,
            "every reminder",
            then=lambda: jobs.enqueue(jobs.SEND_DUE_REMINDERS),
        )
        restarted.stop()

    counts = Counter(email for kind, email in reminders())
    missed = {r.email for r in due} - set(counts)
    twice = sum(n - 1 for n in counts.values())
    report = (
        f"reminders: {REMINDERS}, sent before the kill {sent_at_kill} "
        f"(recorded {recorded_at_kill}), sent twice {twice} "
        f"(bound {mail_batches.RECORD_EVERY} per killed batch)"
    )
    print(report)
    (worker_dir.parent / "kill-report.txt").write_text(report + "\n")
    assert not missed
    assert max(counts.values()) <= 2
    # Only what the killed sweep had sent but not yet recorded goes out again.
    assert twice == sent_at_kill - recorded_at_kill
    assert twice <= mail_batches.RECORD_EVERY, report
