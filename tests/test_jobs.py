import ast
from pathlib import Path

import pytest
from django.db import transaction
from django_q.models import OrmQ

from wagtail_webinars import jobs, tasks


def test_jobs_imports_nothing_else_of_the_package():
    # Queueing is imported from everywhere: it must not pull the services in.
    tree = ast.parse(Path(jobs.__file__).read_text())
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.level or "wagtail_webinars" in (node.module or ""))
    ]
    imported += [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("wagtail_webinars")
    ]
    assert imported == []


def test_every_task_name_is_a_task():
    names = [v for k, v in vars(jobs).items() if k.isupper() and not k.startswith("_")]
    names = [n for n in names if n.startswith("wagtail_webinars.tasks.")]
    assert names
    for name in names:
        assert callable(getattr(tasks, name.rpartition(".")[2]))


def test_enqueue_puts_the_task_in_the_package_group(monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "async_task", lambda *a, **kw: calls.append((a, kw)))
    jobs.enqueue(jobs.SYNC_REGISTRATION, 5)
    assert calls == [((jobs.SYNC_REGISTRATION, 5), {"group": "wagtail_webinars"})]


@pytest.mark.django_db
def test_enqueue_at_leaves_a_schedule_that_runs_once_in_the_package_group():
    import ast
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    at = timezone.now() + timedelta(minutes=5)
    jobs.enqueue_at(jobs.REGISTRATION_CHANGED, at, 7, "created", False, 2)
    [row] = Schedule.objects.filter(func=jobs.REGISTRATION_CHANGED)
    assert (row.func, row.schedule_type, row.next_run) == (
        jobs.REGISTRATION_CHANGED,
        Schedule.ONCE,
        at,
    )
    assert ast.literal_eval(row.args) == (7, "created", False, 2)
    assert "'group': 'wagtail_webinars'" in row.kwargs


# serialized_rollback: a flush without it re-creates content types, which the next
# serialized_rollback test then inserts again (IntegrityError at its set-up).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestEnqueueOnCommit:
    """With the ORM broker the task's row is written inside the transaction: it
    commits with the data (one commit less), or is rolled back with them."""

    @pytest.fixture
    def orm_broker(self, monkeypatch):
        from django_q.conf import Conf

        monkeypatch.setattr(Conf, "SYNC", False)
        assert Conf.ORM == "default"

    def test_orm_broker_queues_inside_the_transaction(self, orm_broker):
        with transaction.atomic():
            jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, 5)
            # Already there for this transaction; nobody else sees it before commit.
            assert OrmQ.objects.count() == 1
        assert OrmQ.objects.count() == 1

    def test_a_rolled_back_transaction_queues_nothing(self, orm_broker):
        with pytest.raises(RuntimeError), transaction.atomic():
            jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, 5)
            raise RuntimeError("the change failed")
        assert OrmQ.objects.count() == 0

    def test_outside_a_transaction_queues_at_once(self, orm_broker):
        jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, 5)
        assert OrmQ.objects.count() == 1

    def test_other_brokers_wait_for_the_commit(self, orm_broker, monkeypatch):
        from django_q.conf import Conf

        # Redis (or any broker outside the database) would hand the task to a
        # worker before the data it reads is committed.
        monkeypatch.setattr(Conf, "BROKER_CLASS", "django_q.brokers.redis_broker.Redis")
        queued = []
        monkeypatch.setattr(jobs, "enqueue", lambda *args: queued.append(args))
        with transaction.atomic():
            jobs.enqueue_on_commit(jobs.SYNC_REGISTRATION, 5)
            assert queued == []
        assert queued == [(jobs.SYNC_REGISTRATION, 5)]
